package daemon

import (
	"context"
	"os"
	"sync"
	"syscall"
)

// signalQueue takes signals off the channel signal.Notify fills as soon
// as they come, so that channel never fills and drops one (Go drops
// rather than blocks), whatever the loop is doing: a reload or a dump
// may take a while. What is pending is a set: a storm of SIGHUPs during
// a reload is one more reload after it, as keepalived queues one; a stop
// is never lost and goes first.
type signalQueue struct {
	mu      sync.Mutex
	stop    os.Signal
	pending []os.Signal // at most one of each, in arrival order
	wake    chan struct{}
}

func (q *signalQueue) pump(ctx context.Context, sigs <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case s := <-sigs:
			q.add(s)
		}
	}
}

func (q *signalQueue) add(s os.Signal) {
	q.mu.Lock()
	switch {
	case s == syscall.SIGTERM || s == syscall.SIGINT:
		if q.stop == nil {
			q.stop = s
		}
	case !containsSignal(q.pending, s):
		q.pending = append(q.pending, s)
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take returns what is pending, a stop alone when there is one.
func (q *signalQueue) take() []os.Signal {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stop != nil {
		return []os.Signal{q.stop}
	}
	out := q.pending
	q.pending = nil
	return out
}

func containsSignal(l []os.Signal, s os.Signal) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
