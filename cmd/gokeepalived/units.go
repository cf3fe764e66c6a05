package main

import (
	"errors"
	"log/slog"

	"github.com/gokeepalived/gokeepalived/cmd/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/ipvs"
)

var errNotYet = errors.New("not available in this build yet")

func vrrpUnit(o options) daemon.Unit {
	return daemon.Unit{
		Name: "VRRP", Ident: daemon.IdentVRRP, PidFile: o.vrrpPid, DataFile: "keepalived.data",
		Wanted: func(c *conf.Config) bool { return len(c.VRRPInstances) > 0 },
		New:    func(*slog.Logger) (daemon.Subsystem, error) { return nil, errNotYet },
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
