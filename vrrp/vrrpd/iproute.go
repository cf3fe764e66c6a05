package vrrpd

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/vrrp"
)

// restoreDeleted re-adds the tracked static entry d names, if any.
func (ad *addresses) restoreDeleted(d vrrp.Deletion) {
	if !d.Route {
		for i, a := range ad.statics.addrs {
			if a.Prefix == d.Addr && a.Dev == d.Dev && !ad.noTrack[i] {
				if err := ad.addrs.Add(a); err != nil {
					ad.log.Warn("restore static address", "addr", a.Prefix, "err", err)
				} else {
					ad.log.Info(fmt.Sprintf("Restoring deleted static address %s dev %s", a.Prefix, a.Dev))
				}
			}
		}
		return
	}
	if ad.routes == nil {
		return
	}
	for i := range ad.statics.routes {
		rt := &ad.statics.routes[i]
		dst := rt.Dst
		if rt.DstDefault || !dst.IsValid() {
			dst = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
			if rt.Family == 6 {
				dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
			}
		}
		if rt.NoTrack || rt.Table != d.Table || (rt.Dev != "" && rt.Dev != d.Dev) ||
			(dst != d.Dst && !(d.Dst.Bits() == 0 && dst.Bits() == 0)) {
			continue
		}
		if err := ad.routes.AddRoute(rt); err != nil {
			ad.log.Warn("restore static route", "route", vrrp.FormatRoute(rt), "err", err)
			continue
		}
		ad.log.Info("Restoring deleted static route " + vrrp.FormatRoute(rt))
	}
}

// statics are static_ipaddress, static_routes and static_rules: set at
// start, kept whatever the instances do, removed at stop.
type statics struct {
	addrs  []vrrp.VIP
	routes []conf.Route
	rules  []conf.Rule
}

func staticsOf(cfg *conf.Config) statics {
	var s statics
	for _, a := range cfg.StaticAddresses {
		v := vrrp.VIP{Prefix: a.Prefix, Dev: a.Dev, Broadcast: a.Broadcast, Scope: vrrp.ScopeOf(a.Scope),
			Label: a.Label, NoDAD: a.NoDAD, PreferredLft: a.PreferredLft}
		if v.Dev == "" {
			v.Dev = cfg.Global.DefaultInterface
		}
		s.addrs = append(s.addrs, v)
	}
	s.routes = slices.Clone(cfg.StaticRoutes)
	s.rules = slices.Clone(cfg.StaticRules)
	return s
}

// addStatics installs the static entries as keepalived does at start:
// addresses, then routes, then rules.
func (ad *addresses) addStatics(s *statics) {
	for _, a := range s.addrs {
		if err := ad.addrs.Add(a); err != nil {
			ad.log.Warn("add static address", "addr", a.Prefix, "err", err)
		}
	}
	if ad.routes == nil {
		return
	}
	for i := range s.routes {
		if err := ad.routes.AddRoute(&s.routes[i]); err != nil {
			ad.log.Warn("add static route", "route", vrrp.FormatRoute(&s.routes[i]), "err", err)
		}
	}
	for i := range s.rules {
		if err := ad.routes.AddRule(&s.rules[i]); err != nil {
			ad.log.Warn("add static rule", "rule", vrrp.FormatRule(&s.rules[i]), "err", err)
		}
	}
}

// delStatics removes them in the reverse order (rules, routes, addresses).
func (ad *addresses) delStatics(s *statics) {
	if ad.routes != nil {
		for i := range s.rules {
			if err := ad.routes.DelRule(&s.rules[i]); err != nil {
				ad.log.Warn("remove static rule", "rule", vrrp.FormatRule(&s.rules[i]), "err", err)
			}
		}
		for i := range s.routes {
			if err := ad.routes.DelRoute(&s.routes[i]); err != nil {
				ad.log.Warn("remove static route", "route", vrrp.FormatRoute(&s.routes[i]), "err", err)
			}
		}
	}
	for _, a := range s.addrs {
		if err := ad.addrs.Del(a); err != nil {
			ad.log.Warn("remove static address", "addr", a.Prefix, "err", err)
		}
	}
}

// reinstateStatics re-adds the tracked static addresses and routes on an
// interface that came up: the kernel drops an interface's routes (and
// IPv6 addresses) when it goes down, without telling us about the routes.
func (ad *addresses) reinstateStatics(iface string) {
	for i, a := range ad.statics.addrs {
		if a.Dev != iface || ad.noTrack[i] {
			continue
		}
		if err := ad.addrs.Add(a); err != nil {
			ad.log.Warn("restore static address", "addr", a.Prefix, "err", err)
			continue
		}
		ad.log.Info(fmt.Sprintf("Restoring deleted static address %s dev %s", a.Prefix, a.Dev))
	}
	if ad.routes == nil {
		return
	}
	for i := range ad.statics.routes {
		rt := &ad.statics.routes[i]
		if rt.Dev != iface || rt.NoTrack {
			continue
		}
		if err := ad.routes.AddRoute(rt); err != nil {
			ad.log.Warn("restore static route", "route", vrrp.FormatRoute(rt), "err", err)
			continue
		}
		ad.log.Info("Restoring deleted static route " + vrrp.FormatRoute(rt))
	}
}

// reloadStatics removes the static entries the new config dropped and
// adds the new ones; unchanged ones are left alone.
func (ad *addresses) reloadStatics(cfg *conf.Config) {
	next := staticsOf(cfg)
	var gone, added statics
	for _, a := range ad.statics.addrs {
		if !slices.ContainsFunc(next.addrs, func(b vrrp.VIP) bool { return vrrp.SameVIP(a, b) }) {
			gone.addrs = append(gone.addrs, a)
		}
	}
	for _, a := range next.addrs {
		if !slices.ContainsFunc(ad.statics.addrs, func(b vrrp.VIP) bool { return vrrp.SameVIP(a, b) }) {
			added.addrs = append(added.addrs, a)
		}
	}
	gone.routes, added.routes = vrrp.DiffRoutes(ad.statics.routes, next.routes)
	gone.rules, added.rules = vrrp.DiffRules(ad.statics.rules, next.rules)
	ad.delStatics(&gone)
	ad.addStatics(&added)
	ad.statics = next
	ad.noTrack = noTrackOf(cfg)
}

func noTrackOf(cfg *conf.Config) []bool {
	out := make([]bool, len(cfg.StaticAddresses))
	for i, a := range cfg.StaticAddresses {
		out[i] = a.NoTrack
	}
	return out
}

// addVRoutes sets an instance's virtual_routes then virtual_rules, after
// its VIPs (vrrp_state_become_master's order).
func (ad *addresses) addVRoutes(ri *rtInst, routes []conf.Route, rules []conf.Rule) {
	if len(routes)+len(rules) == 0 {
		return
	}
	name := ri.inst.Name()
	if ad.routes == nil {
		ad.log.Warn("virtual routes/rules configured but not supported here", "instance", name)
		return
	}
	ad.log.Debug(fmt.Sprintf("(%s) setting Virtual Routes", name))
	for i := range routes {
		if err := ad.routes.AddRoute(&routes[i]); err != nil {
			ad.log.Warn("add virtual route", "instance", name, "route", vrrp.FormatRoute(&routes[i]), "err", err)
		}
	}
	for i := range rules {
		if err := ad.routes.AddRule(&rules[i]); err != nil {
			ad.log.Warn("add virtual rule", "instance", name, "rule", vrrp.FormatRule(&rules[i]), "err", err)
		}
	}
}

// delVRoutes removes them, before the VIPs (vrrp_restore_interface's order).
func (ad *addresses) delVRoutes(ri *rtInst, routes []conf.Route, rules []conf.Rule) {
	if len(routes)+len(rules) == 0 || ad.routes == nil {
		return
	}
	name := ri.inst.Name()
	ad.log.Debug(fmt.Sprintf("(%s) removing Virtual Routes", name))
	for i := range routes {
		if err := ad.routes.DelRoute(&routes[i]); err != nil {
			ad.log.Warn("remove virtual route", "instance", name, "route", vrrp.FormatRoute(&routes[i]), "err", err)
		}
	}
	for i := range rules {
		if err := ad.routes.DelRule(&rules[i]); err != nil {
			ad.log.Warn("remove virtual rule", "instance", name, "rule", vrrp.FormatRule(&rules[i]), "err", err)
		}
	}
}

// changeVRoutes makes a MASTER's routes and rules follow a reload.
func (ad *addresses) changeVRoutes(ri *rtInst, oldRoutes []conf.Route, oldRules []conf.Rule) {
	goneR, addR := vrrp.DiffRoutes(oldRoutes, ri.vroutes)
	goneL, addL := vrrp.DiffRules(oldRules, ri.vrules)
	ad.delVRoutes(ri, goneR, goneL)
	ad.addVRoutes(ri, addR, addL)
}
