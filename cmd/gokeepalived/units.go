package main

import (
	"log/slog"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/internal/daemon/vrrpsub"
	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/vrrp"
)

// units are the subsystems this build runs, as -P and -C select them.
func units(o options) daemon.Units {
	var us daemon.Units
	if !o.checkOnly || o.vrrpOnly {
		us.VRRP = daemon.VRRPUnit{PidFile: o.vrrpPid, New: func(log *slog.Logger) (daemon.VRRP, error) {
			return vrrpsub.New(log, vrrpsub.Options{KeepVIPs: o.keepVRRP, ReleaseVIPs: o.releaseVIPs,
				Follow: func(cfg *conf.Config) (vrrpsub.Follower, error) {
					h, err := ipvs.Open(ipvsOptions(o))
					if err != nil {
						return nil, err
					}
					f := newSyncFollower(log, cfg, h)
					f.start()
					return syncShim{f}, nil
				}}), nil
		}}
	}
	if !o.vrrpOnly || o.checkOnly {
		us.Checker = daemon.CheckerUnit{PidFile: o.checkPid, New: func(log *slog.Logger) (daemon.Checker, error) {
			return newChecker(log, o, func() (ipvsHandle, error) { return ipvs.Open(ipvsOptions(o)) }), nil
		}}
	}
	return us
}

// syncShim gives the sync daemon the Follower's method names.
type syncShim struct{ *syncFollower }

func (s syncShim) OnVRRPState(instance string, master bool) {
	st := vrrp.StateBackup
	if master {
		st = vrrp.StateMaster
	}
	s.onState(instance, st)
}

func (s syncShim) Stop() { s.stop() }

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
