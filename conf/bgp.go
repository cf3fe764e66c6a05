package conf

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

// The BGP extension (issue 18): bgp_speaker and bgp_announce are
// gokeepalived's own top-level keywords, kept in a file that
// keepalived.conf includes with "@gokeepalived include FILE" (keepalived
// skips it). internal/bgp runs them.

// BGPSpeaker is the bgp_speaker block.
type BGPSpeaker struct {
	Pos      Pos        `json:"-"`
	RouterID netip.Addr `json:"router_id"`
	LocalAS  uint32     `json:"local_as"`
	// ListenPort is 179 by default; 0 means dial out only.
	ListenPort int `json:"listen_port"`
	// GracefulRestart is the restart time announced (RFC 4724); 0: off.
	GracefulRestart time.Duration  `json:"graceful_restart"`
	Neighbors       []*BGPNeighbor `json:"neighbors"`
}

// BGPNeighbor is a neighbor block of bgp_speaker.
type BGPNeighbor struct {
	Pos          Pos           `json:"-"`
	Address      netip.Addr    `json:"address"`
	RemoteAS     uint32        `json:"remote_as"`
	Port         uint16        `json:"port"`
	HoldTime     time.Duration `json:"hold_time"`
	Passive      bool          `json:"passive,omitempty"`
	LocalAddress netip.Addr    `json:"local_address,omitzero"`
	BFD          *BGPBFD       `json:"bfd,omitempty"`
}

// BGPBFD is a neighbor's bfd line: GoBGP's BFD on the session.
type BGPBFD struct {
	MinRx      time.Duration `json:"min_rx"`
	MinTx      time.Duration `json:"min_tx"`
	Multiplier int           `json:"multiplier"`
}

// BGPAnnounce is a bgp_announce block: Prefix is announced while every
// virtual server named has quorum and every VRRP instance named is
// MASTER here.
type BGPAnnounce struct {
	Pos            Pos          `json:"-"`
	Prefix         netip.Prefix `json:"prefix"`
	VirtualServers []VSRef      `json:"virtual_servers,omitempty"`
	VRRPInstances  []string     `json:"vrrp_instances,omitempty"`
	Communities    []uint32     `json:"communities,omitempty"`
	LocalPref      *uint32      `json:"local_pref,omitempty"`
	MED            *uint32      `json:"med,omitempty"`
	// NextHop unset: the session's local address (next-hop self).
	NextHop netip.Addr `json:"next_hop,omitzero"`
}

// VSRef names virtual servers in keepalived's forms: IP PORT [PROTO],
// fwmark N, or group NAME.
type VSRef struct {
	Pos      Pos         `json:"-"`
	Addr     netip.Addr  `json:"addr,omitzero"`
	Port     uint16      `json:"port,omitempty"`
	Protocol LVSProtocol `json:"protocol,omitempty"`
	FWMark   uint32      `json:"fwmark,omitempty"`
	Group    string      `json:"group,omitempty"`
}

// String is the reference as written in the config.
func (r VSRef) String() string {
	switch {
	case r.Group != "":
		return "group " + r.Group
	case r.FWMark != 0:
		return "fwmark " + strconv.FormatUint(uint64(r.FWMark), 10)
	}
	return r.Addr.String() + " " + strconv.Itoa(int(r.Port)) + " " + string(r.Protocol)
}

// Matches says whether vs is one of the virtual servers r names.
func (r VSRef) Matches(vs *VirtualServer) bool {
	switch {
	case r.Group != "":
		return vs.Group == r.Group
	case r.FWMark != 0:
		return vs.Group == "" && vs.FWMark == r.FWMark
	}
	p := vs.Protocol
	if p == "" {
		p = LVSTCP
	}
	return vs.Group == "" && vs.FWMark == 0 && vs.Addr == r.Addr && vs.Port == r.Port && p == r.Protocol
}

const (
	bgpDefaultPort = 179
	bgpDefaultHold = 90 * time.Second
)

func decodeBGPSpeaker(d *decoder, s *syntax.Stmt) {
	if d.cfg.BGPSpeaker != nil {
		d.errorf(s, 0, "bgp_speaker: only one block is allowed (the first is at line %d) - ignoring", d.cfg.BGPSpeaker.Pos.Line)
		return
	}
	b := &BGPSpeaker{Pos: s.Pos(), ListenPort: bgpDefaultPort}
	d.walk("bgp_speaker", s.Block, boundKeywords{bgpSpeakerTable, b})
	end := closeOf(s)
	ok := true
	if !b.RouterID.IsValid() {
		d.add(end, syntax.GeneralError, "bgp_speaker: router_id is required")
		ok = false
	}
	if b.LocalAS == 0 {
		d.add(end, syntax.GeneralError, "bgp_speaker: local_as is required")
		ok = false
	}
	if len(b.Neighbors) == 0 {
		d.add(end, syntax.GeneralError, "bgp_speaker: no neighbor")
	}
	if ok {
		d.cfg.BGPSpeaker = b
	}
}

func closeOf(s *syntax.Stmt) Pos {
	if end := s.Close(); end.Line != 0 {
		return end
	}
	return s.Pos()
}

var (
	bgpSpeakerTable  table
	bgpNeighborTable table
	bgpAnnounceTable table
)

func init() {
	bgpSpeakerTable = bgpSpeakerKeywords()
	bgpNeighborTable = bgpNeighborKeywords()
	bgpAnnounceTable = bgpAnnounceKeywords()
}

// bgpSpeakerKeywords decodes a bgp_speaker block:
//
//	router_id IPV4
//	local_as 1..4294967295
//	listen_port 0..65535 (0: do not listen)
//	graceful_restart SECONDS (1..4095)
//	neighbor ADDRESS { ... }
func bgpSpeakerKeywords() table {
	return table{
		"router_id": objKw(func(d *decoder, b *BGPSpeaker, c *syntax.Stmt) {
			a, ok := bgpAddr(d, c, 1, "router_id")
			if ok && !a.Is4() {
				d.errorf(c, 1, "bgp_speaker: router_id %s is not an IPv4 address", a)
				return
			}
			b.RouterID = a
		}),
		"local_as": objKw(func(d *decoder, b *BGPSpeaker, c *syntax.Stmt) {
			if v, ok := bgpUint(d, c, 1, "local_as", 1, 1<<32-1); ok {
				b.LocalAS = uint32(v)
			}
		}),
		"listen_port": objKw(func(d *decoder, b *BGPSpeaker, c *syntax.Stmt) {
			if v, ok := bgpUint(d, c, 1, "listen_port", 0, 65535); ok {
				b.ListenPort = int(v)
			}
		}),
		"graceful_restart": objKw(func(d *decoder, b *BGPSpeaker, c *syntax.Stmt) {
			// RFC 4724: the restart time is 12 bits
			if v, ok := bgpUint(d, c, 1, "graceful_restart", 1, 4095); ok {
				b.GracefulRestart = time.Duration(v) * time.Second
			}
		}),
		"neighbor": objBlockKw(decodeBGPNeighbor),
	}
}

func decodeBGPNeighbor(d *decoder, b *BGPSpeaker, s *syntax.Stmt) {
	a, ok := bgpAddr(d, s, 1, "neighbor")
	n := &BGPNeighbor{Pos: s.Pos(), Address: a, Port: bgpDefaultPort, HoldTime: bgpDefaultHold}
	d.walk("neighbor", s.Block, boundKeywords{bgpNeighborTable, n})
	if !ok {
		return
	}
	end := closeOf(s)
	for _, o := range b.Neighbors {
		if o.Address == a {
			d.errorf(s, 1, "bgp_speaker: neighbor %s already configured at line %d - ignoring", a, o.Pos.Line)
			return
		}
	}
	if n.RemoteAS == 0 {
		d.add(end, syntax.GeneralError, "bgp_speaker: neighbor %s has no remote_as - ignoring", a)
		return
	}
	if n.LocalAddress.IsValid() && n.LocalAddress.Is4() != a.Is4() {
		d.add(end, syntax.GeneralError, "bgp_speaker: neighbor %s: local_address %s is not of the same family - ignoring", a, n.LocalAddress)
		return
	}
	b.Neighbors = append(b.Neighbors, n)
}

// bgpNeighborKeywords decodes a neighbor block:
//
//	remote_as 1..4294967295
//	port 1..65535
//	hold_time 0|3..65535 (seconds; keepalives every hold/3)
//	passive
//	local_address ADDRESS
//	bfd [min_rx MS] [min_tx MS] [multiplier N]
func bgpNeighborKeywords() table {
	return table{
		"remote_as": objKw(func(d *decoder, n *BGPNeighbor, c *syntax.Stmt) {
			if v, ok := bgpUint(d, c, 1, "remote_as", 1, 1<<32-1); ok {
				n.RemoteAS = uint32(v)
			}
		}),
		"port": objKw(func(d *decoder, n *BGPNeighbor, c *syntax.Stmt) {
			if v, ok := bgpUint(d, c, 1, "port", 1, 65535); ok {
				n.Port = uint16(v)
			}
		}),
		"hold_time": objKw(func(d *decoder, n *BGPNeighbor, c *syntax.Stmt) {
			v, ok := bgpUint(d, c, 1, "hold_time", 0, 65535)
			if ok && v > 0 && v < 3 { // RFC 4271 4.2
				d.errorf(c, 1, "hold_time %d: must be 0 or at least 3 - ignoring", v)
				return
			}
			if ok {
				n.HoldTime = time.Duration(v) * time.Second
			}
		}),
		"passive": objKw(func(d *decoder, n *BGPNeighbor, c *syntax.Stmt) { n.Passive = true }),
		"local_address": objKw(func(d *decoder, n *BGPNeighbor, c *syntax.Stmt) {
			if a, ok := bgpAddr(d, c, 1, "local_address"); ok {
				n.LocalAddress = a
			}
		}),
		"bfd": objKw(decodeBGPBFD),
	}
}

func decodeBGPBFD(d *decoder, n *BGPNeighbor, c *syntax.Stmt) {
	b := &BGPBFD{MinRx: 300 * time.Millisecond, MinTx: 300 * time.Millisecond, Multiplier: 3}
	for i := 1; i < len(c.Words); i += 2 {
		opt := c.Words[i].Text
		var lo, hi uint64
		switch opt {
		case "min_rx", "min_tx":
			lo, hi = 1, 60000
		case "multiplier":
			lo, hi = 1, 255
		default:
			d.errorf(c, i, "bfd: unknown option %s (min_rx, min_tx, multiplier) - ignoring", opt)
			return
		}
		v, ok := bgpUint(d, c, i+1, "bfd "+opt, lo, hi)
		if !ok {
			return
		}
		switch opt {
		case "min_rx":
			b.MinRx = time.Duration(v) * time.Millisecond
		case "min_tx":
			b.MinTx = time.Duration(v) * time.Millisecond
		default:
			b.Multiplier = int(v)
		}
	}
	n.BFD = b
}

func decodeBGPAnnounce(d *decoder, s *syntax.Stmt) {
	a := &BGPAnnounce{Pos: s.Pos()}
	str, ok := optArg(s, 1)
	if !ok {
		d.add(s.Pos(), syntax.GeneralError, "bgp_announce: no prefix")
	} else if p, err := netip.ParsePrefix(str); err != nil {
		d.errorf(s, 1, "bgp_announce: invalid prefix %s", str)
		ok = false
	} else if p.Masked() != p {
		d.errorf(s, 1, "bgp_announce: prefix %s has host bits set (%s)", str, p.Masked())
		ok = false
	} else {
		a.Prefix = p
	}
	d.walk("bgp_announce", s.Block, boundKeywords{bgpAnnounceTable, a})
	if !ok {
		return
	}
	for _, o := range d.cfg.BGPAnnounces {
		if o.Prefix == a.Prefix {
			d.errorf(s, 1, "bgp_announce: %s already announced at line %d - ignoring", a.Prefix, o.Pos.Line)
			return
		}
	}
	if a.NextHop.IsValid() && a.NextHop.Is4() != a.Prefix.Addr().Is4() {
		d.add(closeOf(s), syntax.GeneralError, "bgp_announce %s: next_hop %s is not of the prefix's family - ignoring", a.Prefix, a.NextHop)
		return
	}
	d.cfg.BGPAnnounces = append(d.cfg.BGPAnnounces, a)
}

// bgpAnnounceKeywords decodes a bgp_announce block:
//
//	virtual_server IP PORT [TCP|UDP|SCTP] | fwmark N | group NAME
//	vrrp_instance NAME
//	community AS:VALUE ...
//	local_pref 0..4294967295
//	med 0..4294967295
//	next_hop ADDRESS
func bgpAnnounceKeywords() table {
	return table{
		"virtual_server": objKw(decodeVSRef),
		"vrrp_instance": objKw(func(d *decoder, a *BGPAnnounce, c *syntax.Stmt) {
			if v, ok := optArg(c, 1); ok {
				a.VRRPInstances = append(a.VRRPInstances, v)
				d.bgpRefs = append(d.bgpRefs, bgpRef{pos: c.WordPos(1), instance: v})
			} else {
				d.errorf(c, 0, "vrrp_instance: no name")
			}
		}),
		"community": objKw(func(d *decoder, a *BGPAnnounce, c *syntax.Stmt) {
			if len(c.Words) < 2 {
				d.errorf(c, 0, "community: no value")
			}
			for i := 1; i < len(c.Words); i++ {
				v, ok := parseCommunity(c.Words[i].Text)
				if !ok {
					d.errorf(c, i, "community %s: not AS:VALUE with both in 0..65535 - ignoring", c.Words[i].Text)
					continue
				}
				a.Communities = append(a.Communities, v)
			}
		}),
		"local_pref": objKw(func(d *decoder, a *BGPAnnounce, c *syntax.Stmt) {
			if v, ok := bgpUint(d, c, 1, "local_pref", 0, 1<<32-1); ok {
				u := uint32(v)
				a.LocalPref = &u
			}
		}),
		"med": objKw(func(d *decoder, a *BGPAnnounce, c *syntax.Stmt) {
			if v, ok := bgpUint(d, c, 1, "med", 0, 1<<32-1); ok {
				u := uint32(v)
				a.MED = &u
			}
		}),
		"next_hop": objKw(func(d *decoder, a *BGPAnnounce, c *syntax.Stmt) {
			if v, ok := bgpAddr(d, c, 1, "next_hop"); ok {
				a.NextHop = v
			}
		}),
	}
}

func decodeVSRef(d *decoder, a *BGPAnnounce, c *syntax.Stmt) {
	r := VSRef{Pos: c.Pos()}
	first, ok := optArg(c, 1)
	if !ok {
		d.errorf(c, 0, "virtual_server: no address, fwmark or group")
		return
	}
	switch first {
	case "group":
		name, ok := optArg(c, 2)
		if !ok {
			d.errorf(c, 1, "virtual_server group: no name")
			return
		}
		r.Group = name
	case "fwmark":
		v, ok := bgpUint(d, c, 2, "virtual_server fwmark", 1, 1<<32-1)
		if !ok {
			return
		}
		r.FWMark = uint32(v)
	default:
		addr, ok := bgpAddr(d, c, 1, "virtual_server")
		if !ok {
			return
		}
		port, ok := bgpUint(d, c, 2, "virtual_server port", 0, 65535)
		if !ok {
			return
		}
		r.Addr, r.Port, r.Protocol = addr, uint16(port), LVSTCP
		if p, ok := optArg(c, 3); ok {
			switch LVSProtocol(strings.ToUpper(p)) {
			case LVSTCP, LVSUDP, LVSSCTP:
				r.Protocol = LVSProtocol(strings.ToUpper(p))
			default:
				d.errorf(c, 3, "virtual_server: unknown protocol %s (TCP, UDP or SCTP)", p)
				return
			}
		}
	}
	a.VirtualServers = append(a.VirtualServers, r)
	d.bgpRefs = append(d.bgpRefs, bgpRef{pos: c.WordPos(1), vs: &r})
}

// bgpRef is a reference from a bgp_announce block, checked once every
// block is decoded.
type bgpRef struct {
	pos      Pos
	instance string
	vs       *VSRef
}

// validateBGP checks bgp_announce's references against the decoded
// instances and virtual servers.
func (d *decoder) validateBGP() {
	if len(d.cfg.BGPAnnounces) > 0 && d.cfg.BGPSpeaker == nil {
		d.add(d.cfg.BGPAnnounces[0].Pos, syntax.Warning, "bgp_announce without a bgp_speaker: nothing is announced")
	}
	if b := d.cfg.BGPSpeaker; b != nil && len(d.cfg.BFDInstances) > 0 {
		for _, n := range b.Neighbors {
			if n.BFD != nil {
				d.add(n.Pos, syntax.Warning, "bgp_speaker: neighbor %s's bfd and bfd_instance both listen on UDP port 3784: use one or the other", n.Address)
			}
		}
	}
	for _, r := range d.bgpRefs {
		if r.vs == nil {
			found := false
			for _, in := range d.cfg.VRRPInstances {
				found = found || in.Name == r.instance
			}
			if !found {
				d.add(r.pos, syntax.GeneralError, "bgp_announce: unknown vrrp_instance %s", r.instance)
			}
			continue
		}
		found := false
		for _, vs := range d.cfg.VirtualServers {
			found = found || r.vs.Matches(vs)
		}
		if !found {
			d.add(r.pos, syntax.GeneralError, "bgp_announce: unknown virtual_server %s", r.vs)
		}
	}
}

func bgpAddr(d *decoder, c *syntax.Stmt, i int, what string) (netip.Addr, bool) {
	str, ok := optArg(c, i)
	if !ok {
		d.errorf(c, i-1, "%s: no address", what)
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(str)
	if err != nil || a.Zone() != "" {
		d.errorf(c, i, "%s: invalid address %s", what, str)
		return netip.Addr{}, false
	}
	return a, true
}

func bgpUint(d *decoder, c *syntax.Stmt, i int, what string, lo, hi uint64) (uint64, bool) {
	str, ok := optArg(c, i)
	if !ok {
		d.errorf(c, i-1, "%s: no value", what)
		return 0, false
	}
	v, err := strconv.ParseUint(str, 10, 64)
	if err != nil || v < lo || v > hi {
		d.errorf(c, i, "%s: %s is not a number in [%d, %d]", what, str, lo, hi)
		return 0, false
	}
	return v, true
}

// parseCommunity reads a standard community AS:VALUE (RFC 1997).
func parseCommunity(s string) (uint32, bool) {
	hi, lo, ok := strings.Cut(s, ":")
	if !ok {
		return 0, false
	}
	h, err1 := strconv.ParseUint(hi, 10, 16)
	l, err2 := strconv.ParseUint(lo, 10, 16)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return uint32(h)<<16 | uint32(l), true
}
