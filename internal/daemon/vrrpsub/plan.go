package vrrpsub

import (
	"fmt"
	"strings"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/vrrp"
)

// PlanReload is what a reload would do to the VRRP instances.
func (v *Subsystem) PlanReload(cfg *conf.Config, stopping bool) ([]string, error) {
	v.mu.Lock()
	rt := v.rt
	v.mu.Unlock()
	if stopping {
		var out []string
		for _, st := range rt.States() {
			out = append(out, fmt.Sprintf("remove %s (%s, VRID %d on %s)", st.Name, st.State, st.Key.VRID, st.Key.Interface))
		}
		return out, nil
	}
	plan, err := rt.PlanReload(cfg)
	if err != nil {
		return nil, err
	}
	return vrrpPlanLines(plan), nil
}

// vrrpPlanLines renders a VRRP reload plan, one instance per line and its
// VIP changes below it.
func vrrpPlanLines(plan []vrrp.InstancePlan) []string {
	out := []string{}
	for _, p := range plan {
		var what []string
		if p.State != "" {
			what = append(what, p.State)
		}
		what = append(what, fmt.Sprintf("VRID %d on %s", p.VRID, p.Iface))
		switch {
		case p.Change == vrrp.Removed || (p.Change == vrrp.Rebuilt && p.State != ""):
			what = append(what, fmt.Sprintf("priority %d", p.OldPriority))
		case p.Change == vrrp.Kept && p.OldPriority != p.Priority:
			what = append(what, fmt.Sprintf("priority %d -> %d", p.OldPriority, p.Priority))
		default:
			what = append(what, fmt.Sprintf("priority %d", p.Priority))
		}
		if p.OldName != "" {
			what = append(what, "renamed from "+p.OldName)
		}
		line := fmt.Sprintf("%s %s (%s)", p.Change, p.Name, strings.Join(what, ", "))
		switch {
		case p.Change == vrrp.Removed && p.State == vrrp.StateMaster.String():
			line += ": priority 0 sent, VIPs removed"
		case p.Change == vrrp.Rebuilt && p.State != "":
			line += ": stopped (version changed)"
		case p.Change == vrrp.Rebuilt:
			line += ": started again"
		}
		out = append(out, line)
		note := ""
		if p.State != vrrp.StateMaster.String() {
			note = " (on the interface only while MASTER)"
		}
		for _, a := range p.VIPsRemoved {
			out = append(out, "  - VIP "+vipText(a)+note)
		}
		for _, a := range p.VIPsAdded {
			out = append(out, "  + VIP "+vipText(a)+note)
		}
	}
	return out
}

func vipText(v vrrp.VIP) string {
	s := v.Prefix.String() + " dev " + v.Dev
	if v.Label != "" {
		s += " label " + v.Label
	}
	return s
}
