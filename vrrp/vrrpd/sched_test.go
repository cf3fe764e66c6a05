package vrrpd

import (
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp"
)

// The queue yields due timers earliest first (ties in the order they were
// set), follows re-arming and disarming, and puts an instance's timer
// before a GARP round due at the same time.
func TestTimerQ(t *testing.T) {
	var q timerQ
	t0 := time.Unix(1000, 0)
	ris := make([]*rtInst, 5)
	for i := range ris {
		ris[i] = &rtInst{key: vrrp.Key{VRID: uint8(i)}}
	}
	q.set(ris[0], t0.Add(3*time.Second))
	q.set(ris[1], t0.Add(1*time.Second))
	q.set(ris[2], t0.Add(2*time.Second))
	q.set(ris[3], t0.Add(2*time.Second))
	q.set(ris[4], t0.Add(5*time.Second))
	q.set(ris[0], t0.Add(500*time.Millisecond)) // re-armed earlier
	q.set(ris[4], time.Time{})                  // disarmed
	q.addGARP(ris[1], t0.Add(2*time.Second), 5)
	q.addGARP(ris[2], t0.Add(1500*time.Millisecond), 3)
	if got := q.next(); !got.Equal(t0.Add(500 * time.Millisecond)) {
		t.Fatalf("next %v", got.Sub(t0))
	}
	type ev struct {
		vrid   uint8
		garp   int
		at     time.Duration
		disarm bool
	}
	var got []ev
	for {
		ri, g, ok := q.popDue(t0.Add(10 * time.Second))
		if !ok {
			break
		}
		e := ev{vrid: ri.key.VRID, disarm: ri.deadline.IsZero() && ri.hidx == 0}
		if g != nil {
			e.garp, e.at = g.repeat, g.at.Sub(t0)
		}
		got = append(got, e)
	}
	want := []ev{{0, 0, 0, true}, {1, 0, 0, true}, {2, 3, 1500 * time.Millisecond, false}, {2, 0, 0, true}, {3, 0, 0, true}, {1, 5, 2 * time.Second, true}}
	if len(got) != len(want) {
		t.Fatalf("popped %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("pop %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if !q.next().IsZero() || len(q.advs) != 0 || len(q.garps) != 0 {
		t.Errorf("queue not empty: next %v", q.next())
	}
	// Nothing is due before its time.
	q.set(ris[0], t0.Add(time.Second))
	if _, _, ok := q.popDue(t0.Add(999 * time.Millisecond)); ok {
		t.Error("popped before the deadline")
	}
}
