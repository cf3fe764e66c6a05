// Package state holds keepalived's health-check bookkeeping as pure
// logic: the retry/timing state machine of one checker, and the per
// virtual server state (alive real servers, weights, quorum, sorry
// server) that yields the desired IPVS destinations and keepalived's log
// lines. Nothing here does I/O or reads a clock; callers pass times in.
package state

import "time"

// Verdict is what a checker result did to the checker's up/down state.
type Verdict uint8

// Verdicts.
const (
	NoChange Verdict = iota
	WentUp
	WentDown
	// FirstUp is the first success of a checker that was already up
	// (not alpha): keepalived logs it but nothing changes.
	FirstUp
)

// Timing is a checker's resolved timing (conf.Checker after inheritance).
type Timing struct {
	Retry            uint32
	DelayLoop        time.Duration
	DelayBeforeRetry time.Duration
	Warmup           time.Duration
	Alpha            bool
	// URLs is the number of url{} blocks of an HTTP_GET/SSL_GET; 0 for
	// every other type (one step per check).
	URLs         int
	FastRecovery bool
	// RetryEachCheck: the retry count restarts at every check, the
	// first included (SMTP_CHECK: smtp_start_check_thread), so even at
	// start-up a failure is retried before the checker goes down.
	RetryEachCheck bool
	// NoRetryWhileDown: a failure while down waits delay_loop, no
	// retries (DNS_CHECK dns_final, MISC_CHECK misc_check_child_thread).
	NoRetryWhileDown bool
}

// Bootstrap is keepalived's BOOTSTRAP_DELAY: the first check of every
// checker comes 1 s after start plus a random share of warmup.
const Bootstrap = time.Second

// FirstDelay returns the delay of the first check; frac in [0,1) is the
// random share of warmup (injected so tests are deterministic).
func (t Timing) FirstDelay(frac float64) time.Duration {
	return Bootstrap + time.Duration(float64(t.Warmup)*frac)
}

// Checker is the retry state machine of one checker (check_tcp.c
// tcp_epilog and siblings; check_http.c epilog for URL lists).
type Checker struct {
	T      Timing
	Up     bool
	HasRun bool
	// RetryIt counts retries of the current failure. It starts at Retry
	// so that a single failure at start-up is enough (check_data.c).
	RetryIt uint32
	// URL is the url{} index the next check must fetch (HTTP only);
	// FailedURL is the url that took the checker down, or -1.
	URL       int
	FailedURL int
}

// NewChecker returns a checker in its start-up state: up unless alpha.
func NewChecker(t Timing) *Checker {
	c := &Checker{T: t, Up: !t.Alpha, RetryIt: t.Retry, FailedURL: -1}
	if t.RetryEachCheck {
		c.RetryIt = 0
	}
	return c
}

// Final reports whether a failure now would be the last try, after
// which the checker is down (non-HTTP checkers).
func (c *Checker) Final() bool { return c.RetryIt >= c.T.Retry }

// Step returns which url{} to fetch next (always 0 for non-HTTP).
func (c *Checker) Step() int {
	if c.FailedURL >= 0 {
		return c.FailedURL
	}
	return c.URL
}

// Result feeds one check outcome and returns the delay until the next
// check and what happened to the checker state. retries is the retry
// count keepalived prints in "failed after N retries." (0: no retries).
func (c *Checker) Result(ok bool) (next time.Duration, v Verdict, retries uint32) {
	if c.T.URLs > 0 {
		return c.httpResult(ok)
	}
	if !ok && !c.Up && c.HasRun && c.T.NoRetryWhileDown {
		c.RetryIt = 0
		return c.T.DelayLoop, NoChange, 0
	}
	if ok || c.RetryIt >= c.T.Retry {
		next = c.T.DelayLoop
		c.RetryIt = 0
		switch {
		case ok && !c.Up:
			c.Up = true
			v = WentUp
		case ok && !c.HasRun:
			v = FirstUp
		case !ok && (c.Up || !c.HasRun):
			if c.T.Retry > 0 && c.HasRun {
				retries = c.T.Retry
			}
			if c.Up {
				v = WentDown
			}
			c.Up = false
		}
	} else {
		next = c.T.DelayBeforeRetry
		c.RetryIt++
		if c.T.RetryEachCheck {
			// smtp_final: a check has run once its retries are over
			return next, v, retries
		}
	}
	c.HasRun = true
	return next, v, retries
}

// httpResult is check_http.c's epilog: each URL must pass; a failing URL
// is retried in place; once down only the failed URL is polled, and when
// it passes a full pass over all URLs must succeed before the checker
// comes back up.
func (c *Checker) httpResult(ok bool) (next time.Duration, v Verdict, retries uint32) {
	if ok {
		if c.FailedURL >= 0 {
			c.FailedURL = -1
			c.URL = 0
			c.RetryIt = 0
		} else if c.URL++; c.URL >= c.T.URLs {
			c.URL = 0
			c.RetryIt = 0
			if !c.Up {
				c.Up = true
				v = WentUp
			} else if !c.HasRun {
				v = FirstUp
			}
			c.HasRun = true
		} else {
			c.RetryIt = 0
		}
		next = c.T.DelayLoop
		if !c.HasRun {
			c.RetryIt = c.T.Retry
		}
		if c.T.FastRecovery && (!c.HasRun || (!c.Up && c.FailedURL < 0)) {
			next = 0
		}
		return next, v, 0
	}
	c.RetryIt++
	if c.RetryIt > c.T.Retry {
		if c.Up || !c.HasRun {
			if c.HasRun && c.T.Retry > 0 {
				retries = c.RetryIt - 1
			}
			if c.Up {
				v = WentDown
			}
			c.Up = false
			c.HasRun = true
		}
		c.FailedURL = c.Step()
	}
	if c.FailedURL >= 0 {
		next = max(c.T.DelayBeforeRetry, c.T.DelayLoop)
	} else {
		next = c.T.DelayBeforeRetry
	}
	return next, v, retries
}
