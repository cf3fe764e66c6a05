// Package clock is the time source the VRRP runtime and the checker
// scheduler take, so that tests drive them with one fake (Fake) that has
// one contract.
package clock

import "time"

// Clock gives the time and one-shot timers.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is a one-shot timer. ResetAt arms it for an absolute time, so
// that a fake clock moving between "compute the deadline" and "arm"
// cannot lose a tick.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
	Reset(d time.Duration) bool
	ResetAt(at time.Time) bool
}

// Real is the system clock.
type Real struct{}

// Now is time.Now.
func (Real) Now() time.Time { return time.Now() }

// NewTimer is a time.Timer.
func (Real) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time        { return r.t.C }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }
func (r realTimer) ResetAt(at time.Time) bool  { return r.t.Reset(time.Until(at)) }
