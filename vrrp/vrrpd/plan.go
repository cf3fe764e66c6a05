package vrrpd

import (
	"slices"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/vrrp"
)

// PlanReload validates cfg exactly as Reload does and reports what Reload
// would change, without changing anything: no socket is opened, no
// address touched, no instance stepped. Removed instances come first, as
// Reload stops them first.
func (r *Runtime) PlanReload(cfg *conf.Config) ([]vrrp.InstancePlan, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	plan, unmatched, _, err := r.plan(cfg, r.scanProcs(procTrackersOf(cfg)))
	if err != nil {
		return nil, err
	}
	var out []vrrp.InstancePlan
	for _, ri := range r.insts {
		if unmatched[ri.key] != ri {
			continue
		}
		c := ri.inst.Config()
		ch := vrrp.Removed
		// A version change leaves the old instance unmatched and builds a
		// new one under the same key.
		if slices.ContainsFunc(plan, func(p *planned) bool { return p.old == nil && p.key == ri.key }) {
			ch = vrrp.Rebuilt
		}
		out = append(out, vrrp.InstancePlan{Change: ch, Name: c.Name, Key: ri.key, VRID: c.VRID, Iface: ri.iface,
			State: ri.inst.State().String(), OldPriority: c.Priority})
	}
	for _, p := range plan {
		ip := vrrp.InstancePlan{Name: p.ic.Name, Key: p.key, VRID: p.ic.VRID, Iface: p.v.Interface, Priority: p.ic.Priority}
		if p.old == nil {
			ip.Change = vrrp.Added
			if slices.ContainsFunc(out, func(o vrrp.InstancePlan) bool { return o.Change == vrrp.Rebuilt && o.Key == p.key }) {
				ip.Change = vrrp.Rebuilt
			}
			out = append(out, ip)
			continue
		}
		oc := p.old.inst.Config()
		ip.Change, ip.State, ip.OldPriority = vrrp.Kept, p.old.inst.State().String(), oc.Priority
		if oc.Name != p.ic.Name {
			ip.OldName = oc.Name
		}
		nv := vrrp.VIPsOf(p.v)
		for _, v := range p.old.vips {
			if !slices.ContainsFunc(nv, func(n vrrp.VIP) bool { return vrrp.SameVIP(n, v) }) {
				ip.VIPsRemoved = append(ip.VIPsRemoved, v)
			}
		}
		for _, v := range nv {
			if !slices.ContainsFunc(p.old.vips, func(o vrrp.VIP) bool { return vrrp.SameVIP(o, v) }) {
				ip.VIPsAdded = append(ip.VIPsAdded, v)
			}
		}
		out = append(out, ip)
	}
	return out, nil
}
