package sched

import (
	"context"
	"github.com/gokeepalived/gokeepalived/internal/clock"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestQueueOrder(t *testing.T) {
	clk := clock.NewFake(time.Unix(1_000_000, 0))
	s := New(clk, 2)
	type run struct {
		at   time.Duration
		name string
	}
	runs := make(chan run, 100)
	t0 := clk.Now()
	job := func(name string, period time.Duration) Func {
		return func(context.Context) time.Duration {
			runs <- run{clk.Now().Sub(t0), name}
			return period
		}
	}
	s.Add(time.Second, job("A", time.Second))
	s.Add(500*time.Millisecond, job("B", 1500*time.Millisecond))
	s.Add(2500*time.Millisecond, job("C", -1)) // runs once
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	want := []run{{500 * time.Millisecond, "B"}, {time.Second, "A"}, {2 * time.Second, "A"}, {2 * time.Second, "B"},
		{2500 * time.Millisecond, "C"}, {3 * time.Second, "A"}, {3500 * time.Millisecond, "B"}, {4 * time.Second, "A"}}
	for i := 0; i < len(want); {
		clk.Set(t0.Add(want[i].at))
		var got []string
		var exp []string
		for j := i; j < len(want) && want[j].at == want[i].at; j++ {
			exp = append(exp, want[j].name)
		}
		for range exp {
			select {
			case r := <-runs:
				if r.at != want[i].at {
					t.Fatalf("%s ran at %v, want %v", r.name, r.at, want[i].at)
				}
				got = append(got, r.name)
			case <-time.After(5 * time.Second):
				t.Fatalf("at %v: ran %v, want %v", want[i].at, got, exp)
			}
		}
		sort.Strings(got)
		sort.Strings(exp)
		if len(got) != len(exp) || got[0] != exp[0] || got[len(got)-1] != exp[len(exp)-1] {
			t.Fatalf("at %v: ran %v, want %v", want[i].at, got, exp)
		}
		i += len(exp)
		// A job is re-queued relative to when it returns: let every job
		// of this step return before the clock moves on.
		live := 3
		if want[i-1].at >= 2500*time.Millisecond {
			live = 2 // C ran once
		}
		for deadline := time.Now().Add(5 * time.Second); s.Len() != live; {
			if time.Now().After(deadline) {
				t.Fatalf("at %v: %d jobs queued, want %d", want[i-1].at, s.Len(), live)
			}
			time.Sleep(time.Millisecond)
		}
	}
	select {
	case r := <-runs:
		t.Fatalf("unexpected early run %v", r)
	default:
	}
}

func TestBoundedWorkers(t *testing.T) {
	s := New(Real{}, 3)
	var cur, peak, total atomic.Int32
	var wg sync.WaitGroup
	wg.Add(20)
	for range 20 {
		s.Add(0, func(context.Context) time.Duration {
			n := cur.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(20 * time.Millisecond)
			cur.Add(-1)
			total.Add(1)
			wg.Done()
			return -1
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	wg.Wait()
	cancel()
	<-done
	if total.Load() != 20 {
		t.Fatalf("%d jobs ran, want 20", total.Load())
	}
	if p := peak.Load(); p > 3 || p < 2 {
		t.Fatalf("peak concurrency %d, want 2..3 (bounded by 3 workers)", p)
	}
	if s.Len() != 0 {
		t.Fatalf("%d jobs still queued", s.Len())
	}
}
