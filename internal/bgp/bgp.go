// Package bgp is gokeepalived's optional BGP speaker (issue 18): it
// announces bgp_announce prefixes to the bgp_speaker's neighbours while
// the service is healthy here (every virtual server named has quorum,
// every VRRP instance named is MASTER) and withdraws them otherwise.
// What to announce is pure logic (Desired); the BGP I/O is GoBGP behind
// the Speaker interface, created only when the config has a
// bgp_speaker, so a daemon without one runs none of it.
package bgp

import (
	"net/netip"
	"slices"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
)

// Global is the speaker's own settings.
type Global struct {
	RouterID   netip.Addr
	LocalAS    uint32
	ListenPort int // 0: do not listen
	// GracefulRestart is the restart time announced; 0: off.
	GracefulRestart time.Duration
}

// Announcement is one prefix with its attributes.
type Announcement struct {
	Prefix      netip.Prefix
	NextHop     netip.Addr // zero: the session's local address
	Communities []uint32
	LocalPref   *uint32
	MED         *uint32
}

// Equal compares every attribute.
func (a Announcement) Equal(b Announcement) bool {
	eqp := func(x, y *uint32) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.Prefix == b.Prefix && a.NextHop == b.NextHop && slices.Equal(a.Communities, b.Communities) &&
		eqp(a.LocalPref, b.LocalPref) && eqp(a.MED, b.MED)
}

// Quorum is one virtual server's quorum as the checker has it.
type Quorum struct {
	VS *conf.VirtualServer
	Up bool
}

// Inputs are the states announcements depend on.
type Inputs struct {
	// Master says which VRRP instances are MASTER here.
	Master map[string]bool
	// Quorums are the checker's virtual servers (nil: no checker).
	Quorums []Quorum
}

// quorumMet: every virtual server r names has quorum (and there is one).
func (in Inputs) quorumMet(r conf.VSRef) bool {
	found := false
	for _, q := range in.Quorums {
		if r.Matches(q.VS) {
			if !q.Up {
				return false
			}
			found = true
		}
	}
	return found
}

// Healthy says whether a is to be announced with these inputs.
func Healthy(a *conf.BGPAnnounce, in Inputs) bool {
	for _, name := range a.VRRPInstances {
		if !in.Master[name] {
			return false
		}
	}
	for _, r := range a.VirtualServers {
		if !in.quorumMet(r) {
			return false
		}
	}
	return true
}

// Desired is what cfg announces given the inputs, in config order.
func Desired(cfg *conf.Config, in Inputs) []Announcement {
	var out []Announcement
	for _, a := range cfg.BGPAnnounces {
		if Healthy(a, in) {
			out = append(out, announcement(a))
		}
	}
	return out
}

func announcement(a *conf.BGPAnnounce) Announcement {
	return Announcement{Prefix: a.Prefix, NextHop: a.NextHop, Communities: a.Communities, LocalPref: a.LocalPref, MED: a.MED}
}

// Neighbors are cfg's neighbours.
func Neighbors(cfg *conf.Config) []conf.BGPNeighbor {
	if cfg.BGPSpeaker == nil {
		return nil
	}
	out := make([]conf.BGPNeighbor, len(cfg.BGPSpeaker.Neighbors))
	for i, n := range cfg.BGPSpeaker.Neighbors {
		out[i] = *n
		out[i].Pos = conf.Pos{}
	}
	return out
}

// GlobalOf is cfg's speaker settings.
func GlobalOf(cfg *conf.Config) Global {
	b := cfg.BGPSpeaker
	return Global{RouterID: b.RouterID, LocalAS: b.LocalAS, ListenPort: b.ListenPort, GracefulRestart: b.GracefulRestart}
}

// SameNeighbor says whether a session can stay as it is.
func SameNeighbor(a, b conf.BGPNeighbor) bool {
	a.Pos, b.Pos = conf.Pos{}, conf.Pos{}
	bfdEq := (a.BFD == nil) == (b.BFD == nil) && (a.BFD == nil || *a.BFD == *b.BFD)
	a.BFD, b.BFD = nil, nil
	return a == b && bfdEq
}
