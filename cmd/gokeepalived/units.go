package main

import (
	"github.com/gokeepalived/gokeepalived/internal/bgp"
	"log/slog"

	"github.com/gokeepalived/gokeepalived/check/checkerd"
	"github.com/gokeepalived/gokeepalived/internal/bfd"
	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/internal/daemon/vrrpsub"
	"github.com/gokeepalived/gokeepalived/internal/dbusapi"
	"github.com/gokeepalived/gokeepalived/ipvs"
)

// units are the subsystems this build runs, as -P and -C select them.
func units(o options) daemon.Units {
	var us daemon.Units
	// BFD runs unless -B (-P and -C leave it on, as keepalived's); its
	// hub outlives restarts of the three subsystems
	var hub *bfd.Hub
	if !o.noBFD {
		hub = bfd.NewHub()
		us.BFD = daemon.BFDUnit{New: func(log *slog.Logger) (daemon.Subsystem, error) {
			return bfd.NewSubsystem(log, hub, nil), nil
		}}
	}
	mailbox := func(m func(*bfd.Hub) *bfd.Mailbox) *bfd.Mailbox {
		if hub == nil {
			return nil
		}
		return m(hub)
	}
	// the BGP speaker's inputs, fed by VRRP and the checker whether or
	// not a bgp_speaker is configured (a few map writes)
	feed := bgp.NewFeed()
	us.BGP = daemon.BGPUnit{New: func(log *slog.Logger) (daemon.Subsystem, error) {
		return bgp.NewSubsystem(log, feed, nil), nil
	}}
	if !o.checkOnly || o.vrrpOnly {
		bus := dbusapi.New() // enable_dbus; idle otherwise
		us.VRRP = daemon.VRRPUnit{PidFile: o.vrrpPid, Observer: bus, New: func(log *slog.Logger) (daemon.VRRP, error) {
			return vrrpsub.New(log, vrrpsub.Options{KeepVIPs: o.keepVRRP, ReleaseVIPs: o.releaseVIPs, OnNotify: bus.Notify, OnState: feed.SetMaster,
				BFD: mailbox(func(h *bfd.Hub) *bfd.Mailbox { return h.VRRP }),
				Follow: func() (vrrpsub.Follower, error) {
					h, err := ipvs.Open(ipvsOptions(o))
					if err != nil {
						return nil, err
					}
					return checkerd.NewSyncFollower(log, h, checkerd.SyncFollowInstance), nil
				}}), nil
		}}
	}
	if !o.vrrpOnly || o.checkOnly {
		us.Checker = daemon.CheckerUnit{PidFile: o.checkPid, New: func(log *slog.Logger) (daemon.Checker, error) {
			c := checkerd.New(log, checkerd.Options{KeepIPVS: o.keepIPVS, OnQuorum: feed.QuorumChanged,
				Sysctl: ipvsSysctl{ipvsOptions(o)},
				BFD:    mailbox(func(h *bfd.Hub) *bfd.Mailbox { return h.Checker })}, func() (checkerd.Handle, error) { return ipvs.Open(ipvsOptions(o)) })
			feed.SetQuorumSource(func() []bgp.Quorum {
				var out []bgp.Quorum
				for _, q := range c.Quorums() {
					out = append(out, bgp.Quorum{VS: q.VS, Up: q.Up})
				}
				return out
			})
			return c, nil
		}}
	}
	return us
}

// ipvsOptions places the IPVS socket as net_namespace_ipvs says: in the
// named namespace, or, given no name, in the default one (init's), as
// keepalived's open_ipvs_namespace().
func ipvsOptions(o options) ipvs.Options {
	switch {
	case o.ipvsNS == nil:
		return ipvs.Options{}
	case *o.ipvsNS == "":
		return ipvs.Options{NetNS: "/proc/1/ns/net"}
	}
	return ipvs.Options{NetNS: *o.ipvsNS}
}

// ipvsSysctl is net.ipv4.vs.* in the IPVS namespace (ipvs_sysctl).
type ipvsSysctl struct{ o ipvs.Options }

func (s ipvsSysctl) Read(name string) (int, error)  { return ipvs.ReadSysctl(s.o, name) }
func (s ipvsSysctl) Write(name string, v int) error { return ipvs.WriteSysctl(s.o, name, v) }
