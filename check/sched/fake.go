package sched

import (
	"sync"
	"time"
)

// Fake is a manual clock for tests.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

// NewFake returns a fake clock at an arbitrary fixed instant.
func NewFake() *Fake { return &Fake{now: time.Unix(1_000_000, 0)} }

func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Set moves the clock to t (never backwards) and fires due timers.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	if t.After(f.now) {
		f.now = t
	}
	for _, tm := range f.timers {
		tm.fireLocked(f.now)
	}
	f.mu.Unlock()
}

// Advance moves the clock forward by d.
func (f *Fake) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }

func (f *Fake) NewTimer(d time.Duration) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{f: f, c: make(chan time.Time, 1), at: f.now.Add(d), armed: true}
	f.timers = append(f.timers, t)
	t.fireLocked(f.now)
	return t
}

type fakeTimer struct {
	f     *Fake
	c     chan time.Time
	at    time.Time
	armed bool
}

func (t *fakeTimer) fireLocked(now time.Time) {
	if t.armed && !t.at.After(now) {
		t.armed = false
		select {
		case t.c <- now:
		default:
		}
	}
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) ResetAt(at time.Time) {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	t.at, t.armed = at, true
	t.fireLocked(t.f.now)
}

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	was := t.armed
	t.armed = false
	return was
}
