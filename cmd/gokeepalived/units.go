package main

import (
	"log/slog"

	"github.com/gokeepalived/gokeepalived/check/checkerd"
	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/ipvs"
)

func vrrpUnit(o options) daemon.Unit {
	return daemon.Unit{
		Name: "VRRP", Ident: daemon.IdentVRRP, PidFile: o.vrrpPid, DataFile: "keepalived.data",
		Wanted: func(c *conf.Config) bool { return len(c.VRRPInstances) > 0 },
		New: func(log *slog.Logger) (daemon.Subsystem, error) {
			v := newVRRPSub(log, o.keepVRRP)
			v.releaseVIPs = o.releaseVIPs
			v.openSync = func() (checkerd.SyncHandle, error) { return ipvs.Open(ipvsOptions(o)) }
			return v, nil
		},
	}
}

func checkUnit(o options) daemon.Unit {
	return daemon.Unit{
		Name: "checker", Ident: daemon.IdentCheck, PidFile: o.checkPid, DataFile: "keepalived_check.data",
		Wanted: func(c *conf.Config) bool { return len(c.VirtualServers) > 0 },
		New: func(log *slog.Logger) (daemon.Subsystem, error) {
			return checkerd.New(log, checkerd.Options{KeepIPVS: o.keepIPVS}, func() (checkerd.Handle, error) { return ipvs.Open(ipvsOptions(o)) }), nil
		},
	}
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
