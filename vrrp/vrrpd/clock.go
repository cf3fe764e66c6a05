package vrrpd

import (
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/internal/hrtimer"
)

// SystemClock is the real Clock.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now() }

// funcClock is a Clock whose timers can call a function at expiry.
type funcClock interface {
	NewFuncTimer(f func()) (vrrp.Timer, bool)
}

// NewFuncTimer is a timerfd that calls f on expiry (see hrtimer.NewFunc).
func (SystemClock) NewFuncTimer(f func()) (vrrp.Timer, bool) {
	t, err := hrtimer.NewFunc(f)
	if err != nil {
		return nil, false
	}
	return t, true
}

// NewTimer is a timerfd when it can be (on time to the microsecond; the
// runtime's timers wake up to 1 ms late), a time.Timer otherwise.
func (SystemClock) NewTimer(d time.Duration) vrrp.Timer {
	if t, err := hrtimer.New(); err == nil {
		t.Reset(d)
		return t
	}
	return sysTimer{time.NewTimer(d)}
}

type sysTimer struct{ t *time.Timer }

func (t sysTimer) C() <-chan time.Time { return t.t.C }

func (t sysTimer) Stop() bool { return t.t.Stop() }

func (t sysTimer) Reset(d time.Duration) bool { return t.t.Reset(d) }

func (t sysTimer) ResetAt(at time.Time) bool { return t.t.Reset(time.Until(at)) }
