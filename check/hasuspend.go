package check

import (
	"net/netip"

	"github.com/gokeepalived/gokeepalived/conf"
)

// ha_suspend (check_api.c update_checker_activity): the checkers of a
// virtual server with ha_suspend run only while its address is on this
// host. A suspended checker keeps its state and is simply not run; its
// real server stays as it is in IPVS.

// suspendAddr is the address whose presence keeps a ha_suspend virtual
// server's checkers running; ok is false for one that no address can
// wake: keepalived 2.2.7's addr_matches never matches a virtual server
// group, so such a group's checkers stay suspended.
func suspendAddr(vs *conf.VirtualServer) (a netip.Addr, ok bool) {
	if !vs.HASuspend || vs.Group != "" || vs.FWMark != 0 {
		return netip.Addr{}, false
	}
	return vs.Addr.Unmap(), vs.Addr.IsValid()
}

// suspendable: FILE_CHECK is driven by its file in keepalived, not by
// a checker thread, so ha_suspend does not stop it.
func suspendable(t conf.CheckerType) bool { return t != conf.CheckFile }

// AddrChanged tells the engine that address a is now present count
// times on this host (0: gone). The checkers of the ha_suspend virtual
// servers on a are activated or suspended, with keepalived's lines.
func (e *Engine) AddrChanged(a netip.Addr, count int) {
	a = a.Unmap()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ent := range e.vss {
		sa, ok := suspendAddr(ent.cfg)
		if !ok || sa != a {
			continue
		}
		ent.addrCount = count
		enable := count > 0
		for _, js := range ent.rsJobs {
			for _, j := range js {
				if !suspendable(j.typ) || j.enabled.Load() == enable {
					continue
				}
				verb := "Suspend"
				if enable {
					verb = "Activat"
				}
				e.opt.Logf("%sing healthchecker for service %s for VS %s", verb, j.name, j.vsName)
				j.enabled.Store(enable)
			}
		}
	}
}
