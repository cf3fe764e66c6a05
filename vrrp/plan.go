package vrrp

import (
	"slices"

	"github.com/gokeepalived/gokeepalived/conf"
)

// Change says what a reload does to one instance.
type Change string

// Changes a reload makes to an instance.
const (
	Kept    Change = "keep"    // matched by Key: reconfigured in place, state kept
	Added   Change = "add"     // new: started as at start-up
	Removed Change = "remove"  // no match: stopped as at shutdown
	Rebuilt Change = "rebuild" // VRRP version changed: stopped, then started as new
)

// InstancePlan is what Reload would do to one instance.
type InstancePlan struct {
	Change  Change `json:"change"`
	Name    string `json:"name"`               // the new config's name (the old one when removed)
	OldName string `json:"old_name,omitempty"` // when a kept instance was renamed
	Key     Key    `json:"-"`
	VRID    uint8  `json:"vrid"`
	Iface   string `json:"interface"`
	// State is the running instance's state; empty for added ones.
	State       string `json:"state,omitempty"`
	OldPriority uint8  `json:"old_priority,omitempty"`
	Priority    uint8  `json:"priority,omitempty"`
	// VIPsAdded and VIPsRemoved are a kept instance's address changes
	// (set on the interface at once only while it is MASTER).
	VIPsAdded   []VIP `json:"vips_added,omitempty"`
	VIPsRemoved []VIP `json:"vips_removed,omitempty"`
}

// PlanReload validates cfg exactly as Reload does and reports what Reload
// would change, without changing anything: no socket is opened, no
// address touched, no instance stepped. Removed instances come first, as
// Reload stops them first.
func (r *Runtime) PlanReload(cfg *conf.Config) ([]InstancePlan, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	plan, unmatched, _, err := r.plan(cfg, r.scanProcs(procTrackersOf(cfg)))
	if err != nil {
		return nil, err
	}
	var out []InstancePlan
	for _, ri := range r.insts {
		if unmatched[ri.key] != ri {
			continue
		}
		c := ri.inst.Config()
		ch := Removed
		// A version change leaves the old instance unmatched and builds a
		// new one under the same key.
		if slices.ContainsFunc(plan, func(p *planned) bool { return p.old == nil && p.key == ri.key }) {
			ch = Rebuilt
		}
		out = append(out, InstancePlan{Change: ch, Name: c.Name, Key: ri.key, VRID: c.VRID, Iface: ri.iface,
			State: ri.inst.State().String(), OldPriority: c.Priority})
	}
	for _, p := range plan {
		ip := InstancePlan{Name: p.ic.Name, Key: p.key, VRID: p.ic.VRID, Iface: p.v.Interface, Priority: p.ic.Priority}
		if p.old == nil {
			ip.Change = Added
			if slices.ContainsFunc(out, func(o InstancePlan) bool { return o.Change == Rebuilt && o.Key == p.key }) {
				ip.Change = Rebuilt
			}
			out = append(out, ip)
			continue
		}
		oc := p.old.inst.Config()
		ip.Change, ip.State, ip.OldPriority = Kept, p.old.inst.State().String(), oc.Priority
		if oc.Name != p.ic.Name {
			ip.OldName = oc.Name
		}
		nv := VIPsOf(p.v)
		for _, v := range p.old.vips {
			if !slices.ContainsFunc(nv, func(n VIP) bool { return sameVIP(n, v) }) {
				ip.VIPsRemoved = append(ip.VIPsRemoved, v)
			}
		}
		for _, v := range nv {
			if !slices.ContainsFunc(p.old.vips, func(o VIP) bool { return sameVIP(o, v) }) {
				ip.VIPsAdded = append(ip.VIPsAdded, v)
			}
		}
		out = append(out, ip)
	}
	return out, nil
}
