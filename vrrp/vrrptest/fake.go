// Package vrrptest has fakes for the vrrp package's I/O interfaces.
package vrrptest

import (
	"sort"
	"sync"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp"
)

// Clock is a manual clock; timers fire (non-blocking send) on Advance.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*timer
}

// NewClock starts at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer arms a timer d from now.
func (c *Clock) NewTimer(d time.Duration) vrrp.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{c: c, ch: make(chan time.Time, 1), at: c.now.Add(d), active: true}
	c.timers = append(c.timers, t)
	return t
}

// Advance moves time forward, firing due timers in deadline order.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	now := c.now
	var due []*timer
	for _, t := range c.timers {
		if t.active && !t.at.After(now) {
			t.active = false
			due = append(due, t)
		}
	}
	c.mu.Unlock()
	sort.Slice(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, t := range due {
		select {
		case t.ch <- t.at:
		default:
		}
	}
}

type timer struct {
	c      *Clock
	ch     chan time.Time
	at     time.Time
	active bool
}

func (t *timer) C() <-chan time.Time { return t.ch }

func (t *timer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.active
	t.active = false
	return was
}

func (t *timer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.active
	t.at, t.active = t.c.now.Add(d), true
	return was
}

// Effector records actions per instance name.
type Effector struct {
	mu   sync.Mutex
	Acts map[string][]vrrp.Action
	Err  error // returned from Do when set
}

// Do records a.
func (e *Effector) Do(inst *vrrp.Instance, a vrrp.Action) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.Acts == nil {
		e.Acts = map[string][]vrrp.Action{}
	}
	e.Acts[inst.Name()] = append(e.Acts[inst.Name()], a)
	return e.Err
}

// Take returns and clears the actions recorded for name.
func (e *Effector) Take(name string) []vrrp.Action {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.Acts[name]
	delete(e.Acts, name)
	return a
}

var (
	_ vrrp.Clock    = (*Clock)(nil)
	_ vrrp.Effector = (*Effector)(nil)
)
