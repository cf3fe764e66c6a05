package vrrp

import "math"

// EventTrackValue: a tracked file's value changed.
type EventTrackValue struct {
	Name  string
	Value int64
}

func (EventTrackValue) event() {}

// fileStatus is a track_file's contribution as keepalived 2.2.7
// computes it: unweighted, a non-zero value (a zero one with reverse)
// is a fault; weighted, value × weight (negated with reverse), capped at
// 253, and -254 or below is a fault.
func fileStatus(v int64, weight int, reverse bool) (s int, fault bool) {
	if weight == 0 {
		return 0, (v != 0) != reverse
	}
	p := v * int64(weight)
	if reverse {
		p = -p
	}
	p = min(max(p, math.MinInt32), math.MaxInt32)
	if p <= -254 {
		return 0, true
	}
	return int(min(p, 253)), false
}

func FileTracker(name string) string { return "file:" + name }

// SetTrackValue sets a tracked file's value before Start, silently, as
// keepalived reads track files at start-up.
func (i *Instance) SetTrackValue(name string, v int64) {
	i.trackVal[name] = v
	i.effPrio, i.fault = effectivePriority(i.basePrio, i.cfg.Trackers, i.trackUp, i.trackVal)
}
