package vrrpd

import (
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp"
)

// tracker steps every instance that tracks name.
func (r *Runtime) tracker(now time.Time, name string, up bool) {
	for _, ri := range r.insts {
		for _, t := range ri.inst.Config().Trackers {
			if t.Name == name {
				r.exec(ri, now, ri.inst.Step(now, vrrp.EventTracker{Name: name, Up: up}))
				break
			}
		}
	}
}
