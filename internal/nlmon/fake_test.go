package nlmon

import (
	"context"
	"errors"
	"maps"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// upd is a fake link notification.
type upd struct {
	name string
	up   bool
}

// errENOBUFS is what netlink's subscription reports after an overflow.
var errENOBUFS = errors.New("Receive failed: " + syscall.ENOBUFS.Error())

// fakeKernel holds link states and fans their changes out to fake
// subscriptions that behave as netlink's: a socket queue of qcap
// notifications (more are dropped, and ENOBUFS reported once the queue
// is read), and a sender that blocks on the consumer's channel without
// looking at done.
type fakeKernel struct {
	qcap int

	mu    sync.Mutex
	state map[string]bool
	subs  map[*fakeSub]bool
	// failSubscribe and failList make the next so many calls fail.
	failSubscribe, failList int
	attempts                []time.Time

	senders atomic.Int32 // sender goroutines still running
	opened  atomic.Int32 // subscriptions made
	closed  atomic.Int32 // subscriptions whose channel was closed
}

type fakeSub struct {
	q      chan upd
	lost   chan struct{} // closed at the first dropped notification
	kill   chan struct{} // closed to end the subscription without an error
	killed bool
	isLost bool
}

func newFakeKernel(qcap int, state map[string]bool) *fakeKernel {
	return &fakeKernel{qcap: qcap, state: maps.Clone(state), subs: map[*fakeSub]bool{}}
}

func (k *fakeKernel) Subscribe(ch chan<- upd, done <-chan struct{}, onErr func(error)) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.attempts = append(k.attempts, time.Now())
	if k.failSubscribe > 0 {
		k.failSubscribe--
		return errors.New("socket: too many open files")
	}
	s := &fakeSub{q: make(chan upd, k.qcap), lost: make(chan struct{}), kill: make(chan struct{})}
	k.subs[s] = true
	k.opened.Add(1)
	k.senders.Add(1)
	go func() {
		// The counts come before close(ch): the monitor may return (and
		// the test read them) as soon as ch is closed.
		defer func() {
			k.mu.Lock()
			delete(k.subs, s)
			k.mu.Unlock()
			k.closed.Add(1)
			k.senders.Add(-1)
			close(ch)
		}()
		for {
			// What is queued comes first, then the error, as a socket's.
			select {
			case u := <-s.q:
				ch <- u // blocks like netlink's, done or not
				continue
			default:
			}
			select {
			case u := <-s.q:
				ch <- u
			case <-s.lost:
				onErr(errENOBUFS)
				return
			case <-s.kill:
				return
			case <-done:
				return
			}
		}
	}()
	return nil
}

func (k *fakeKernel) List() (map[string]bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.failList > 0 {
		k.failList--
		return nil, errors.New("dump interrupted")
	}
	return maps.Clone(k.state), nil
}

// set changes a link and notifies every subscription whose queue has
// room; the others lose it.
func (k *fakeKernel) set(name string, up bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.state[name] = up
	for s := range k.subs {
		select {
		case s.q <- upd{name, up}:
		default:
			if !s.isLost {
				s.isLost = true
				close(s.lost)
			}
		}
	}
}

// setQuiet changes a link and tells no one: a notification lost.
func (k *fakeKernel) setQuiet(name string, up bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.state[name] = up
}

func (k *fakeKernel) fail(subscribe, list int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.failSubscribe, k.failList = subscribe, list
}

// closeAll ends every subscription without an error.
func (k *fakeKernel) closeAll() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for s := range k.subs {
		if !s.killed {
			s.killed = true
			close(s.kill)
		}
	}
}

func (k *fakeKernel) attemptTimes() []time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]time.Time(nil), k.attempts...)
}

// view is a consumer: the link states as the monitor reported them.
type view struct {
	mu       sync.Mutex
	state    map[string]bool
	listings int
	gate     chan struct{} // when not nil, Update waits for it
	lost     []error
	resynced []error
	changed  chan struct{}
	ctx      context.Context // a blocked Update gives up when it ends
}

func newView(ctx context.Context) *view {
	return &view{state: map[string]bool{}, changed: make(chan struct{}, 1), ctx: ctx}
}

func (v *view) poke() {
	select {
	case v.changed <- struct{}{}:
	default:
	}
}

func (v *view) monitor(k *fakeKernel) *Monitor[upd, map[string]bool] {
	return &Monitor[upd, map[string]bool]{
		Source: k,
		Name:   "link",
		Buffer: 1,
		Listed: func(s map[string]bool) {
			v.mu.Lock()
			v.state = s
			v.listings++
			v.mu.Unlock()
			v.poke()
		},
		Update: func(u upd) {
			v.mu.Lock()
			gate := v.gate
			v.mu.Unlock()
			if gate != nil {
				select {
				case <-gate:
				case <-v.ctx.Done():
					return
				}
			}
			v.mu.Lock()
			v.state[u.name] = u.up
			v.mu.Unlock()
			v.poke()
		},
		Lost: func(err error) {
			v.mu.Lock()
			v.lost = append(v.lost, err)
			v.mu.Unlock()
		},
		Resynced: func(err error) {
			v.mu.Lock()
			v.resynced = append(v.resynced, err)
			v.mu.Unlock()
			v.poke()
		},
	}
}

// waitFor waits until cond holds of the view (checked under its lock).
func (v *view) waitFor(t *testing.T, what string, cond func(v *view) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		v.mu.Lock()
		ok := cond(v)
		v.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-v.changed:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			v.mu.Lock()
			defer v.mu.Unlock()
			t.Fatalf("timed out waiting for %s: state %v, %d listing(s), lost %v, resynced %v", what, v.state, v.listings, v.lost, v.resynced)
		}
	}
}
