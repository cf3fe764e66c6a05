package vrrpd

import (
	"fmt"
	"slices"

	"github.com/gokeepalived/gokeepalived/vrrp"
)

// bfdEvents applies the BFD subsystem's waiting changes to the instances
// that track them (keepalived's vrrp_handle_bfd_event): a change of a
// BFD instance's last known state only, that state starting Down.
func (r *Runtime) bfdEvents() {
	evs := r.deps.BFD.Drain()
	if r.bfdUp == nil {
		// a runtime (re)starting takes the states as they are: the
		// BFD subsystem may have been up for long
		evs = r.deps.BFD.Catchup()
		r.bfdUp = map[string]bool{}
	}
	now := r.deps.Clock.Now()
	for _, ev := range evs {
		if r.bfdUp[ev.Name] == ev.Up {
			continue
		}
		r.bfdUp[ev.Name] = ev.Up
		name := vrrp.BFDTracker(ev.Name)
		state := "DOWN"
		if ev.Up {
			state = "UP"
		}
		for _, ri := range r.insts {
			if !slices.ContainsFunc(ri.inst.Config().Trackers, func(t vrrp.Tracker) bool { return t.Name == name }) {
				continue
			}
			r.log.Info(fmt.Sprintf("VRRP_Instance(%s) Tracked BFD instance %s is %s", ri.inst.Config().Name, ev.Name, state))
			r.exec(ri, now, ri.inst.Step(now, vrrp.EventTracker{Name: name, Up: ev.Up}))
		}
	}
}
