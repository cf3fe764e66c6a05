package vrrp

import (
	"testing"

	"github.com/gokeepalived/gokeepalived/conf"
)

// TestBFDTrackers: track_bfd as keepalived 2.2.7's vrrp_handle_bfd_event
// applies it. Nothing changes before the BFD instance's first Up;
// weighted, Up adds |weight| (negated with reverse) and Down takes it
// back, whatever the weight's sign; unweighted, Down is a fault (Up with
// reverse). A sync group's entry replaces the instance's.
func TestBFDTrackers(t *testing.T) {
	v := &conf.VRRPInstance{Name: "VI_1", SyncGroup: "SG"}
	v.TrackBFDs = []conf.TrackedRef{{Name: "plain"}, {Name: "neg", Weight: -10}, {Name: "rev", Weight: 5, Reverse: true},
		{Name: "unrev", Reverse: true}, {Name: "grp", Weight: 3}}
	sg := &conf.SyncGroup{Name: "SG"}
	sg.TrackBFDs = []conf.TrackedRef{{Name: "grp", Weight: 7}}
	cfg := &conf.Config{VRRPInstances: []*conf.VRRPInstance{v}, SyncGroups: []*conf.SyncGroup{sg}}
	tr := ExtraTrackers(cfg, v)
	if len(tr) != 5 {
		t.Fatalf("trackers %+v", tr)
	}
	prio := func(up map[string]bool) (uint8, bool) {
		m := map[string]bool{}
		for k, u := range up {
			m[BFDTracker(k)] = u
		}
		return EffectivePriority(100, tr, m)
	}
	if p, f := prio(nil); p != 100 || f {
		t.Fatalf("before any event: %d fault=%v, want 100 and no fault", p, f)
	}
	for _, tc := range []struct {
		up    map[string]bool
		prio  uint8
		fault bool
	}{
		{map[string]bool{"neg": true}, 110, false},
		{map[string]bool{"neg": false}, 100, false},
		{map[string]bool{"rev": true}, 95, false},
		{map[string]bool{"grp": true}, 107, false}, // the group's weight
		{map[string]bool{"plain": false}, 100, true},
		{map[string]bool{"plain": true}, 100, false},
		{map[string]bool{"unrev": true}, 100, true},
	} {
		if p, f := prio(tc.up); p != tc.prio || f != tc.fault {
			t.Errorf("%v: priority %d fault=%v, want %d %v", tc.up, p, f, tc.prio, tc.fault)
		}
	}
}
