package clock

import (
	"sort"
	"sync"
	"time"
)

// Fake is a manual clock. Its contract, the one every test relies on:
//   - time moves only with Advance or Set, never backwards;
//   - a timer fires (a non-blocking send of its deadline on C) as soon
//     as the clock reaches its deadline: at Advance/Set, in deadline
//     order, or at once when armed for a time already reached, as a
//     time.Timer armed with d <= 0 does.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

// NewFake starts at t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Advance moves the clock forward by d and fires the timers due.
func (f *Fake) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }

// Set moves the clock to t (never backwards) and fires the timers due.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	if t.After(f.now) {
		f.now = t
	}
	var due []*fakeTimer
	for _, tm := range f.timers {
		if tm.armed && !tm.at.After(f.now) {
			tm.armed = false
			due = append(due, tm)
		}
	}
	f.mu.Unlock()
	sort.SliceStable(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, tm := range due {
		tm.send()
	}
}

// NewTimer arms a timer d from now.
func (f *Fake) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{f: f, c: make(chan time.Time, 1)}
	f.mu.Lock()
	f.timers = append(f.timers, t)
	f.mu.Unlock()
	t.ResetAt(f.Now().Add(d))
	return t
}

type fakeTimer struct {
	f     *Fake
	c     chan time.Time
	at    time.Time
	armed bool
}

func (t *fakeTimer) send() {
	select {
	case t.c <- t.at:
	default:
	}
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	was := t.armed
	t.armed = false
	return was
}

func (t *fakeTimer) Reset(d time.Duration) bool { return t.ResetAt(t.f.Now().Add(d)) }

func (t *fakeTimer) ResetAt(at time.Time) bool {
	t.f.mu.Lock()
	was := t.armed
	t.at, t.armed = at, true
	fire := !at.After(t.f.now)
	if fire {
		t.armed = false
	}
	t.f.mu.Unlock()
	if fire {
		t.send()
	}
	return was
}
