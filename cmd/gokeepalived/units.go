package main

import (
	"log/slog"

	"github.com/gokeepalived/gokeepalived/cmd/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/ipvs"
)

func vrrpUnit(o options) daemon.Unit {
	return daemon.Unit{
		Name: "VRRP", Ident: daemon.IdentVRRP, PidFile: o.vrrpPid, DataFile: "keepalived.data",
		Wanted: func(c *conf.Config) bool { return len(c.VRRPInstances) > 0 },
		New:    func(log *slog.Logger) (daemon.Subsystem, error) { return newVRRPSub(log, o.keepVRRP), nil },
	}
}

func checkUnit(o options) daemon.Unit {
	return daemon.Unit{
		Name: "checker", Ident: daemon.IdentCheck, PidFile: o.checkPid, DataFile: "keepalived_check.data",
		Wanted: func(c *conf.Config) bool { return len(c.VirtualServers) > 0 },
		New: func(log *slog.Logger) (daemon.Subsystem, error) {
			return newChecker(log, o, func() (ipvsHandle, error) { return ipvs.Open(ipvs.Options{}) }), nil
		},
	}
}
