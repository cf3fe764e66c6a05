package vrrp

// Tracker is a track_script / track_interface / track_file entry.
type Tracker struct {
	Name    string
	Weight  int  // 0 = unweighted: down means FAULT
	Reverse bool // "reverse": the sense of up/down is inverted
	Up      bool // initial state (init_fail → false)
	// File is a track_file: its integer value (EventTrackValue) scales
	// Weight instead of an up/down state.
	File bool
}

// PriorityOwner is the address owner's priority.
const PriorityOwner = 255

// EffectivePriority applies trackers to a base priority as keepalived
// does: a positive weight adds when up, a negative one adds
// when down, reverse negates; the result is clamped to 1..254, and an
// owner (255) is never changed. fault is set if any unweighted tracker is
// down (or up, if reversed).
func EffectivePriority(base uint8, trackers []Tracker, up map[string]bool) (prio uint8, fault bool) {
	return effectivePriority(base, trackers, up, nil)
}

// effectivePriority also applies track_file values (vals, missing = 0).
func effectivePriority(base uint8, trackers []Tracker, up map[string]bool, vals map[string]int64) (prio uint8, fault bool) {
	total := int(base)
	for _, t := range trackers {
		if t.File {
			s, down := fileStatus(vals[t.Name], t.Weight, t.Reverse)
			fault = fault || down
			if !down {
				total += s
			}
			continue
		}
		isUp, ok := up[t.Name]
		if !ok {
			isUp = t.Up
		}
		m := 1
		if t.Reverse {
			m = -1
		}
		switch {
		case t.Weight == 0:
			if isUp != (m == 1) {
				fault = true
			}
		case t.Weight > 0 && isUp, t.Weight < 0 && !isUp:
			total += t.Weight * m
		}
	}
	if base == PriorityOwner {
		return base, fault
	}
	return uint8(min(max(total, 1), PriorityOwner-1)), fault
}
