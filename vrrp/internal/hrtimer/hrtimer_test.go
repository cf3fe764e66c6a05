package hrtimer

import (
	"testing"
	"time"
)

func TestTimer(t *testing.T) {
	tm, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer tm.Close()
	// Never early, and it fires again after each Reset.
	for _, d := range []time.Duration{0, time.Millisecond, 3500 * time.Microsecond, 20 * time.Millisecond} {
		start := time.Now()
		tm.Reset(d)
		select {
		case at := <-tm.C():
			if at.Sub(start) < d {
				t.Errorf("Reset(%v) fired after %v", d, at.Sub(start))
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Reset(%v) never fired", d)
		}
	}
	// Stop and a later Reset cancel the pending expiry.
	tm.Reset(30 * time.Millisecond)
	if !tm.Stop() {
		t.Error("Stop of an armed timer reported it was not armed")
	}
	tm.Reset(10 * time.Millisecond)
	tm.Reset(time.Hour)
	select {
	case <-tm.C():
		t.Fatal("fired after Stop / a Reset to an hour")
	case <-time.After(100 * time.Millisecond):
	}
	if !tm.Stop() || tm.Stop() {
		t.Error("Stop should report armed once, then not")
	}
}

// Close ends the reader: a closed timer never ticks.
func TestClose(t *testing.T) {
	tm, err := New()
	if err != nil {
		t.Fatal(err)
	}
	tm.Reset(time.Millisecond)
	tm.Close()
	time.Sleep(20 * time.Millisecond)
	select {
	case <-tm.C():
		// A tick read before Close is allowed; none may follow.
		select {
		case <-tm.C():
			t.Fatal("ticks after Close")
		case <-time.After(20 * time.Millisecond):
		}
	default:
	}
}

// NewFunc's timer calls f at each expiry and leaves C silent.
func TestNewFunc(t *testing.T) {
	calls := make(chan time.Time, 4)
	tm, err := NewFunc(func() { calls <- time.Now() })
	if err != nil {
		t.Fatal(err)
	}
	defer tm.Close()
	for range 2 {
		start := time.Now()
		tm.Reset(2 * time.Millisecond)
		select {
		case at := <-calls:
			if at.Sub(start) < 2*time.Millisecond {
				t.Errorf("called after %v", at.Sub(start))
			}
		case <-time.After(5 * time.Second):
			t.Fatal("f not called")
		}
	}
	select {
	case <-tm.C():
		t.Error("C delivered with a function set")
	default:
	}
}

// An expiry while f runs (f re-arms for at once, as the VRRP loop does
// when the next deadline is already due) is not lost.
func TestExpiryDuringFunc(t *testing.T) {
	calls := make(chan struct{}, 16)
	var tm *Timer
	armed := make(chan struct{})
	tm, err := NewFunc(func() {
		<-armed
		tm.Reset(0)
		time.Sleep(2 * time.Millisecond) // the expiry lands here
		select {
		case calls <- struct{}{}:
		default:
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer tm.Close()
	close(armed)
	tm.Reset(time.Millisecond)
	for i := range 5 {
		select {
		case <-calls:
		case <-time.After(3 * time.Second):
			t.Fatalf("f called %d times, then no more", i)
		}
	}
	tm.Stop()
}
