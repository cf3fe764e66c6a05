package sched

import (
	"context"
	"github.com/gokeepalived/gokeepalived/internal/clock"
	"testing"
	"time"
)

// An asynchronous job runs on the dispatcher, is requeued when its done
// is called (from another goroutine, later), and not after Run returned.
func TestStartJobs(t *testing.T) {
	clk := clock.NewFake(time.Unix(1_000_000, 0))
	s := New(clk, 1)
	t0 := clk.Now()
	started := make(chan time.Duration, 10)
	pending := make(chan func(time.Duration), 10)
	s.AddStart(time.Second, func(_ context.Context, done func(time.Duration)) {
		started <- clk.Now().Sub(t0)
		pending <- done // completes later, elsewhere
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	expect := func(at time.Duration) func(time.Duration) {
		t.Helper()
		select {
		case got := <-started:
			if got != at {
				t.Fatalf("started at %v, want %v", got, at)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("not started at %v", at)
		}
		return <-pending
	}
	clk.Set(t0.Add(time.Second))
	d := expect(time.Second)
	clk.Set(t0.Add(3 * time.Second)) // in flight: nothing queued meanwhile
	if n := s.Len(); n != 0 {
		t.Fatalf("%d queued while in flight", n)
	}
	go d(2 * time.Second) // next run 2 s after completing at 3 s
	for s.Len() == 0 {
		time.Sleep(time.Millisecond)
	}
	clk.Set(t0.Add(5 * time.Second))
	d = expect(5 * time.Second)
	cancel()
	<-done
	d(time.Second) // completes after Run returned: not requeued
	if n := s.Len(); n != 0 {
		t.Fatalf("%d queued after Run returned", n)
	}
}

// Slack runs jobs due within it together with the one that woke the
// dispatcher, never later than due.
func TestSlack(t *testing.T) {
	clk := clock.NewFake(time.Unix(1_000_000, 0))
	s := New(clk, 1)
	s.Slack = time.Millisecond
	t0 := clk.Now()
	ran := make(chan time.Duration, 10)
	for _, at := range []time.Duration{10 * time.Millisecond, 10500 * time.Microsecond, 12 * time.Millisecond} {
		s.AddStart(at, func(_ context.Context, done func(time.Duration)) {
			ran <- clk.Now().Sub(t0)
			done(-1)
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	clk.Set(t0.Add(10 * time.Millisecond))
	for range 2 { // 10 ms and 10.5 ms, both now
		select {
		case at := <-ran:
			if at != 10*time.Millisecond {
				t.Fatalf("ran at %v", at)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("job within the slack did not run")
		}
	}
	select {
	case at := <-ran:
		t.Fatalf("job due at 12 ms ran at %v", at)
	case <-time.After(50 * time.Millisecond):
	}
}
