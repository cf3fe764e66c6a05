// Package sched runs many periodic jobs from one timer heap with a
// bounded pool of workers. Each job returns the delay to its next run,
// so a job is never queued twice and a slow job delays only itself.
package sched

import (
	"container/heap"
	"context"
	"github.com/gokeepalived/gokeepalived/internal/clock"
	"sync"
	"sync/atomic"
	"time"
)

// Clock is the time source (internal/clock: Real, and Fake for tests).
type Clock = clock.Clock

// Timer is a one-shot timer; the scheduler arms it with ResetAt.
type Timer = clock.Timer

// Real is the system clock.
type Real = clock.Real

// Func is a job: it runs once and returns the delay before its next run
// (negative: never again).
type Func func(ctx context.Context) time.Duration

// Start is an asynchronous job: it must return at once and call done
// exactly once, from any goroutine, with the delay to its next run
// (negative: never again). It runs on the dispatching goroutine, so a
// check in flight costs no goroutine.
type Start func(ctx context.Context, done func(next time.Duration))

type entry struct {
	at    time.Time
	idx   int // heap index, -1 when not queued
	fn    Func
	start Start
	done  func(time.Duration) // requeues a Start job; bound once
}

// Queue is a min-heap of jobs by due time.
type Queue []*entry

func (q Queue) Len() int           { return len(q) }
func (q Queue) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q Queue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].idx, q[j].idx = i, j
}
func (q *Queue) Push(x any) {
	e := x.(*entry)
	e.idx = len(*q)
	*q = append(*q, e)
}
func (q *Queue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	e.idx = -1
	return e
}

// Scheduler runs jobs on at most Workers goroutines.
type Scheduler struct {
	clock   Clock
	workers int
	// Slack lets jobs due within it run together with an earlier one:
	// fewer timer wake-ups for many jobs, each at most Slack early.
	// Set it before Run.
	Slack time.Duration
	// RecordLateness keeps the last jobs' dispatch lateness for
	// Lateness (benchmarks). Set it before Run.
	RecordLateness bool
	ended          atomic.Bool // Run returned: Start jobs are not requeued

	mu    sync.Mutex
	q     Queue
	late  []int32 // ring of recent dispatch lateness, µs (s.mu)
	nLate int
	wake  chan struct{} // something was queued earlier than the timer
	ready chan *entry
	done  chan struct{}
}

// New returns a scheduler; workers bounds concurrent jobs.
func New(clock Clock, workers int) *Scheduler {
	if clock == nil {
		clock = Real{}
	}
	if workers < 1 {
		workers = 1
	}
	return &Scheduler{clock: clock, workers: workers, wake: make(chan struct{}, 1),
		ready: make(chan *entry, workers), done: make(chan struct{})}
}

// Add queues fn to run first after delay. It may be called before or
// while Run runs.
func (s *Scheduler) Add(delay time.Duration, fn Func) {
	s.push(&entry{fn: fn, idx: -1}, delay)
}

func (s *Scheduler) push(e *entry, delay time.Duration) {
	s.mu.Lock()
	e.at = s.clock.Now().Add(delay)
	heap.Push(&s.q, e)
	first := s.q[0] == e
	s.mu.Unlock()
	if first {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// AddStart queues an asynchronous job to run first after delay.
func (s *Scheduler) AddStart(delay time.Duration, fn Start) {
	e := &entry{start: fn, idx: -1}
	e.done = func(next time.Duration) {
		if next >= 0 && !s.ended.Load() {
			s.push(e, next)
		}
	}
	s.push(e, delay)
}

const lateRing = 1 << 16

func (s *Scheduler) noteLate(d time.Duration) {
	if !s.RecordLateness {
		return
	}
	if s.late == nil {
		s.late = make([]int32, lateRing)
	}
	s.late[s.nLate%lateRing] = int32(min(d, time.Hour) / time.Microsecond)
	s.nLate++
}

// Lateness returns, with RecordLateness, how late the last (up to 65,536) jobs were
// dispatched after their due time, and forgets them.
func (s *Scheduler) Lateness() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := min(s.nLate, lateRing)
	out := make([]time.Duration, n)
	for i := range n {
		out[i] = time.Duration(s.late[i]) * time.Microsecond
	}
	s.nLate = 0
	return out
}

// Len returns the number of queued jobs (running ones excluded).
func (s *Scheduler) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.q)
}

// Run dispatches due jobs until ctx ends, then waits for running jobs.
func (s *Scheduler) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range s.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range s.ready {
				next := e.fn(ctx)
				if next >= 0 && ctx.Err() == nil {
					s.push(e, next)
				}
			}
		}()
	}
	defer func() {
		close(s.ready)
		wg.Wait()
	}()
	defer s.ended.Store(true)
	t := s.clock.NewTimer(time.Hour)
	defer t.Stop()
	for {
		// hand out everything due; blocking on ready is the bound on
		// concurrent jobs
		for {
			s.mu.Lock()
			now := s.clock.Now()
			if len(s.q) == 0 || s.q[0].at.After(now.Add(s.Slack)) {
				break
			}
			e := heap.Pop(&s.q).(*entry)
			s.noteLate(now.Sub(e.at))
			s.mu.Unlock()
			if e.start != nil {
				if ctx.Err() != nil {
					return
				}
				e.start(ctx, e.done)
				continue
			}
			select {
			case s.ready <- e:
			case <-ctx.Done():
				return
			}
		}
		at := s.clock.Now().Add(time.Hour)
		if len(s.q) > 0 {
			at = s.q[0].at
		}
		s.mu.Unlock()
		if !t.Stop() {
			select {
			case <-t.C():
			default:
			}
		}
		t.ResetAt(at)
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-t.C():
		}
	}
}
