// Package vrrptest has fakes for the vrrp package's I/O interfaces.
package vrrptest

import (
	"github.com/gokeepalived/gokeepalived/internal/clock"
	"sync"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp"
)

// Clock is the manual clock (internal/clock's one fake).
type Clock = clock.Fake

// NewClock starts at t.
func NewClock(t time.Time) *Clock { return clock.NewFake(t) }

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
