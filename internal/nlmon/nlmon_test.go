package nlmon

import (
	"context"
	"fmt"
	"maps"
	"math"
	"runtime"
	"sync"
	"testing"
	"time"
)

// recordWaits makes m record the backoff waits it asks for.
func recordWaits(m *Monitor[upd, map[string]bool]) func() []time.Duration {
	var mu sync.Mutex
	var waits []time.Duration
	m.after = func(d time.Duration) <-chan time.Time {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return time.After(d)
	}
	return func() []time.Duration {
		mu.Lock()
		defer mu.Unlock()
		return append([]time.Duration(nil), waits...)
	}
}

// ended checks that the monitor and every subscription goroutine ended.
func ended(t *testing.T, k *fakeKernel, done <-chan struct{}, goroutines int) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the monitor did not end after ctx was cancelled")
	}
	if n := k.senders.Load(); n != 0 {
		t.Errorf("%d subscription goroutine(s) still running", n)
	}
	if o, c := k.opened.Load(), k.closed.Load(); o != c {
		t.Errorf("%d subscriptions made, %d closed", o, c)
	}
	n := runtime.NumGoroutine()
	for end := time.Now().Add(5 * time.Second); n > goroutines && time.Now().Before(end); n = runtime.NumGoroutine() {
		time.Sleep(10 * time.Millisecond)
	}
	if n > goroutines {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines, %d before the monitor started:\n%s", n, goroutines, buf[:runtime.Stack(buf, true)])
	}
}

// An overflow mid-stream: the consumer is held up while a burst of
// changes comes, the socket queue overflows, and eth0 goes down while
// notifications are being dropped. The monitor must report ENOBUFS,
// subscribe again and list: eth0 is reported down and the view ends
// equal to the kernel's state.
func TestOverflowRelists(t *testing.T) {
	g := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	k := newFakeKernel(4, map[string]bool{"eth0": true, "eth1": true})
	v := newView(ctx)
	m := v.monitor(k)
	done, err := m.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v.waitFor(t, "the first listing", func(v *view) bool { return v.listings == 1 && v.state["eth0"] })

	gate := make(chan struct{})
	v.mu.Lock()
	v.gate = gate
	v.mu.Unlock()
	for i := range 20 { // more than the queue, the channel and the one in hand
		k.set(fmt.Sprintf("burst%d", i), true)
	}
	k.set("eth0", false) // the queue is full: this one is dropped
	v.mu.Lock()
	v.gate = nil
	v.mu.Unlock()
	close(gate)

	v.waitFor(t, "eth0 down after the resync", func(v *view) bool { return len(v.resynced) == 1 && !v.state["eth0"] })
	v.mu.Lock()
	if len(v.lost) != 1 || v.lost[0] != errENOBUFS || v.resynced[0] != errENOBUFS {
		t.Errorf("lost %v, resynced %v: want ENOBUFS once in each", v.lost, v.resynced)
	}
	if v.listings != 2 {
		t.Errorf("%d listings, want 2", v.listings)
	}
	want, _ := k.List()
	if !maps.Equal(v.state, want) {
		t.Errorf("the view %v differs from the kernel's %v", v.state, want)
	}
	v.mu.Unlock()
	// The new subscription follows changes.
	k.set("eth0", true)
	v.waitFor(t, "eth0 up", func(v *view) bool { return v.state["eth0"] })
	cancel()
	ended(t, k, done, g)
}

// Subscribing again fails for a while (then one listing fails too): the
// attempts back off, doubling up to the maximum, each at least its wait
// after the one before, so their rate is bounded; once the kernel lets
// it, the monitor recovers, lists and reports the change it missed. A
// subscription that then lasted the maximum wait resets the backoff.
func TestResubscribeBacksOff(t *testing.T) {
	g := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	k := newFakeKernel(4, map[string]bool{"eth0": true})
	v := newView(ctx)
	m := v.monitor(k)
	m.MinBackoff, m.MaxBackoff = time.Millisecond, 16*time.Millisecond
	waits := recordWaits(m)
	done, err := m.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v.waitFor(t, "the first listing", func(v *view) bool { return v.listings == 1 })

	k.fail(math.MaxInt, 0)
	k.setQuiet("eth0", false)
	start := time.Now()
	k.closeAll() // the channel closes without an error
	for len(k.attemptTimes()) < 12 {
		time.Sleep(5 * time.Millisecond)
	}
	k.fail(0, 1)
	v.waitFor(t, "eth0 down after the resync", func(v *view) bool { return len(v.resynced) == 1 && !v.state["eth0"] })
	elapsed := time.Since(start)

	w := waits()
	at := k.attemptTimes()[1:] // the first is Start's
	v.mu.Lock()
	lost, resynced := append([]error(nil), v.lost...), v.resynced[0]
	v.mu.Unlock()
	if resynced.Error() != "link subscription closed" {
		t.Errorf("resynced told %q, want the error that lost the subscription", resynced)
	}
	// One loss, then one per failed attempt; the last attempt succeeded.
	if len(lost) != len(at) || len(w) != len(at) {
		t.Fatalf("%d attempts, %d waits, %d errors reported", len(at), len(w), len(lost))
	}
	for i, d := range w {
		want := min(time.Millisecond<<i, 16*time.Millisecond)
		if d != want {
			t.Errorf("wait %d: %v, want %v (all: %v)", i, d, want, w)
		}
		if i > 0 {
			if gap := at[i].Sub(at[i-1]); gap < d {
				t.Errorf("attempt %d came %v after the one before, under its wait %v", i, gap, d)
			}
		}
	}
	// At most one attempt a wait: 1 ms, 2 ms, 4 ms, 8 ms, then one each 16 ms.
	if bound := 5 + int(elapsed/(16*time.Millisecond)); len(at) > bound {
		t.Errorf("%d attempts in %v, more than %d", len(at), elapsed, bound)
	}
	t.Logf("%d attempts in %v, waits %v", len(at), elapsed, w)

	// A subscription that lasted the maximum wait resets the backoff.
	time.Sleep(20 * time.Millisecond)
	n := len(waits())
	k.closeAll()
	v.waitFor(t, "the second resync", func(v *view) bool { return len(v.resynced) == 2 })
	if w := waits(); w[n] != time.Millisecond {
		t.Errorf("after a healthy subscription the wait was %v, want %v", w[n], time.Millisecond)
	}
	cancel()
	ended(t, k, done, g)
}

// Whatever the monitor is doing, cancelling ctx ends it and every
// subscription it made: no goroutine is left.
func TestCancelEndsEverything(t *testing.T) {
	for _, tc := range []struct {
		name  string
		run   bool // Run on a goroutine of the test rather than Start
		setup func(k *fakeKernel, v *view)
	}{
		{name: "following"},
		{name: "following, Run", run: true},
		{name: "consumer and sender blocked", setup: func(k *fakeKernel, v *view) {
			// Update blocks; the sender blocks sending to the full
			// channel and never looks at done: only a drain ends it.
			v.mu.Lock()
			v.gate = make(chan struct{})
			v.mu.Unlock()
			for i := range 3 {
				k.set(fmt.Sprintf("l%d", i), false)
			}
			time.Sleep(20 * time.Millisecond)
		}},
		{name: "backing off", setup: func(k *fakeKernel, v *view) {
			k.fail(math.MaxInt, 0)
			k.closeAll()
			for len(k.attemptTimes()) < 4 {
				time.Sleep(time.Millisecond)
			}
		}},
		{name: "listing fails", run: true, setup: func(k *fakeKernel, v *view) {
			k.fail(0, math.MaxInt)
			k.closeAll()
			for len(k.attemptTimes()) < 4 {
				time.Sleep(time.Millisecond)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := runtime.NumGoroutine()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			k := newFakeKernel(4, map[string]bool{"eth0": true})
			v := newView(ctx)
			m := v.monitor(k)
			m.MinBackoff, m.MaxBackoff = time.Millisecond, 4*time.Millisecond
			var done <-chan struct{}
			if tc.run {
				d := make(chan struct{})
				go func() {
					defer close(d)
					if err := m.Run(ctx); err != nil {
						t.Errorf("Run: %v", err)
					}
				}()
				done = d
			} else {
				var err error
				if done, err = m.Start(ctx); err != nil {
					t.Fatal(err)
				}
			}
			v.waitFor(t, "the first listing", func(v *view) bool { return v.listings == 1 })
			if tc.setup != nil {
				tc.setup(k, v)
			}
			cancel()
			ended(t, k, done, g)
		})
	}
}

// The first subscription's and listing's errors are returned, and a
// subscription made before a failed listing is closed.
func TestFirstErrorsReturned(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	k := newFakeKernel(4, map[string]bool{"eth0": true})
	k.fail(1, 1)
	v := newView(ctx)
	m := v.monitor(k)
	if err := m.Run(ctx); err == nil || err.Error() != "socket: too many open files" {
		t.Errorf("Run: %v, want the subscription's error", err)
	}
	if _, err := m.Start(ctx); err == nil || err.Error() != "dump interrupted" {
		t.Errorf("Start: %v, want the listing's error", err)
	}
	for end := time.Now().Add(5 * time.Second); k.senders.Load() != 0 && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
	if o, c := k.opened.Load(), k.closed.Load(); o != 1 || c != 1 || k.senders.Load() != 0 {
		t.Errorf("%d subscriptions made, %d closed, %d goroutines running: want 1, 1, 0", o, c, k.senders.Load())
	}
	if len(v.lost)+len(v.resynced)+v.listings != 0 {
		t.Errorf("callbacks ran: lost %v, resynced %v, %d listings", v.lost, v.resynced, v.listings)
	}
}
