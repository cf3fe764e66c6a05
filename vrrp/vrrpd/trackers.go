package vrrpd

import (
	"context"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp"
)

// trackers are what instances track besides their interface: the
// vrrp_script checks (track_script.go), the processes (track_process.go)
// and the track files (track_file.go). Each kind has its goroutines feed
// the loop, which steps the instances (tracker); the state here is the
// loop's, but for procTrackers.
type trackers struct {
	checks  []*scriptCheck
	results chan scriptResult

	procTrackers []*procTracker // owned by the watcher goroutine
	procUp       map[string]bool
	procCancel   context.CancelFunc
	procResults  chan procResult

	files     []*fileTrack
	watchStop context.CancelFunc // ends the track files' watcher
}

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
