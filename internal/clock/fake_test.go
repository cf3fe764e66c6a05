package clock

import (
	"testing"
	"time"
)

func recv(c <-chan time.Time) (time.Time, bool) {
	select {
	case t := <-c:
		return t, true
	default:
		return time.Time{}, false
	}
}

// The contract both the VRRP runtime's and the checker's tests rely on.
func TestFakeContract(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	f := NewFake(t0)
	a := f.NewTimer(3 * time.Second)
	b := f.NewTimer(time.Second)
	if _, ok := recv(a.C()); ok {
		t.Fatal("a fired before its deadline")
	}
	f.Advance(5 * time.Second)
	// Each fires once, with its own deadline.
	if at, ok := recv(b.C()); !ok || !at.Equal(t0.Add(time.Second)) {
		t.Errorf("b: %v %v", at, ok)
	}
	if at, ok := recv(a.C()); !ok || !at.Equal(t0.Add(3*time.Second)) {
		t.Errorf("a: %v %v", at, ok)
	}
	f.Advance(time.Hour)
	if _, ok := recv(a.C()); ok {
		t.Error("a fired twice")
	}
	// Armed for a time already reached: fires at once, as time.Timer does.
	if a.ResetAt(f.Now().Add(-time.Second)) {
		t.Error("ResetAt of a fired timer reported it active")
	}
	if _, ok := recv(a.C()); !ok {
		t.Error("ResetAt in the past did not fire")
	}
	if a.Reset(0); true {
		if _, ok := recv(a.C()); !ok {
			t.Error("Reset(0) did not fire")
		}
	}
	// Stop reports whether it was armed; a stopped timer does not fire.
	c := f.NewTimer(time.Second)
	if !c.Stop() || c.Stop() {
		t.Error("Stop: want true then false")
	}
	f.Advance(2 * time.Second)
	if _, ok := recv(c.C()); ok {
		t.Error("a stopped timer fired")
	}
	// Never backwards.
	now := f.Now()
	f.Set(now.Add(-time.Hour))
	if !f.Now().Equal(now) {
		t.Error("Set moved the clock backwards")
	}
}

// Every timer due at one Advance is delivered, each with its deadline.
func TestFakeManyDue(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	var ts []Timer
	for _, d := range []time.Duration{5, 1, 3, 2, 4} {
		ts = append(ts, f.NewTimer(d*time.Millisecond))
	}
	f.Advance(10 * time.Millisecond)
	seen := map[time.Duration]bool{}
	for _, tm := range ts {
		if at, ok := recv(tm.C()); ok {
			seen[at.Sub(time.Unix(0, 0))] = true
		}
	}
	if len(seen) != 5 {
		t.Errorf("deadlines delivered: %v", seen)
	}
}
