// Package nlmon follows a netlink multicast group reliably: it
// subscribes, lists the state the group changes, and delivers the
// changes; when a subscription fails (ENOBUFS: the kernel dropped
// notifications it could not queue, or any other error) it subscribes
// again with a backoff and lists the state anew, so a consumer never
// silently stops seeing changes.
package nlmon

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vishvananda/netlink"
)

// Source is what a Monitor follows: the seam tests replace to inject
// faults.
type Source[U, S any] interface {
	// Subscribe starts sending updates to ch. After an error it tells
	// onErr (which never blocks) and may stop. Once done is closed, or
	// after it stopped, it closes ch and sends nothing more. On error
	// it has started nothing and ch stays open.
	Subscribe(ch chan<- U, done <-chan struct{}, onErr func(error)) error
	// List reads the whole state.
	List() (S, error)
}

// SubscribeFunc is the signature of Source.Subscribe.
type SubscribeFunc[U any] func(ch chan<- U, done <-chan struct{}, onErr func(error)) error

// Funcs is a Source made of two functions.
type Funcs[U, S any] struct {
	SubscribeFunc SubscribeFunc[U]
	// ListFunc nil: the group changes no state worth listing.
	ListFunc func() (S, error)
}

func (f Funcs[U, S]) Subscribe(ch chan<- U, done <-chan struct{}, onErr func(error)) error {
	return f.SubscribeFunc(ch, done, onErr)
}

func (f Funcs[U, S]) List() (S, error) {
	if f.ListFunc == nil {
		var zero S
		return zero, nil
	}
	return f.ListFunc()
}

// Links subscribes to rtnetlink's link group. rcvbuf, when not 0, is
// the socket's receive buffer size (SO_RCVBUF; tests make it small to
// overflow it).
func Links(rcvbuf int) SubscribeFunc[netlink.LinkUpdate] {
	return func(ch chan<- netlink.LinkUpdate, done <-chan struct{}, onErr func(error)) error {
		return netlink.LinkSubscribeWithOptions(ch, done, netlink.LinkSubscribeOptions{ErrorCallback: onErr, ReceiveBufferSize: rcvbuf})
	}
}

// Addrs subscribes to rtnetlink's IPv4 and IPv6 address groups.
func Addrs(rcvbuf int) SubscribeFunc[netlink.AddrUpdate] {
	return func(ch chan<- netlink.AddrUpdate, done <-chan struct{}, onErr func(error)) error {
		return netlink.AddrSubscribeWithOptions(ch, done, netlink.AddrSubscribeOptions{ErrorCallback: onErr, ReceiveBufferSize: rcvbuf})
	}
}

// Routes subscribes to rtnetlink's IPv4 and IPv6 route groups.
func Routes(rcvbuf int) SubscribeFunc[netlink.RouteUpdate] {
	return func(ch chan<- netlink.RouteUpdate, done <-chan struct{}, onErr func(error)) error {
		return netlink.RouteSubscribeWithOptions(ch, done, netlink.RouteSubscribeOptions{ErrorCallback: onErr, ReceiveBufferSize: rcvbuf})
	}
}

// Default backoff between attempts to subscribe again: it doubles from
// MinBackoff up to MaxBackoff.
const (
	MinBackoff = 10 * time.Millisecond
	MaxBackoff = time.Second
)

// Monitor follows one Source. Its callbacks run one at a time, on the
// goroutine that follows (Run's caller, or Start's goroutine); one that
// blocks should give up when the context ends.
type Monitor[U, S any] struct {
	Source Source[U, S]
	// Name names the group in errors ("link": "link subscription closed").
	Name string
	// Buffer is the capacity of the updates channel.
	Buffer int
	// Listed is given every listing: the first, and one after each
	// subscription made again.
	Listed func(S)
	// Update is given each notification, in order.
	Update func(U)
	// Lost, when set, is told of every error that ended a subscription
	// or failed an attempt to make one again, before the backoff.
	Lost func(error)
	// Resynced, when set, is told once a subscription was made again
	// and the state listed anew, of the error that lost the one before.
	Resynced func(error)
	// MinBackoff and MaxBackoff bound the wait before each attempt
	// (defaults above). A subscription that lasted MaxBackoff resets it.
	MinBackoff, MaxBackoff time.Duration

	// after is time.After; tests record the waits.
	after func(time.Duration) <-chan time.Time
	// foreign counts messages dropped for not coming from the kernel.
	foreign atomic.Uint64
}

// Foreign is the number of messages dropped because a process, not the
// kernel, sent them (keepalived 2.4 ignores those too).
func (m *Monitor[U, S]) Foreign() uint64 { return m.foreign.Load() }

// sub is one subscription.
type sub[U any] struct {
	ch   chan U
	done chan struct{}
	errc chan error
}

// close ends the subscription and drains its channel until the source
// closes it: a source may be blocked sending (netlink's is), and would
// otherwise never end.
func (s *sub[U]) close() {
	close(s.done)
	for range s.ch {
	}
}

// Run subscribes, lists and follows until ctx ends, on the calling
// goroutine (so on its thread's network namespace: netlink sockets are
// opened there). It returns the first subscription's or listing's error;
// later errors are retried.
func (m *Monitor[U, S]) Run(ctx context.Context) error {
	s, err := m.attempt(ctx)
	if err != nil {
		return err
	}
	m.follow(ctx, s)
	return nil
}

// Start subscribes and lists on the calling goroutine, returning their
// error, then follows on a goroutine of its own until ctx ends; done is
// closed once that goroutine and every subscription have ended.
func (m *Monitor[U, S]) Start(ctx context.Context) (done <-chan struct{}, err error) {
	s, err := m.attempt(ctx)
	if err != nil {
		return nil, err
	}
	d := make(chan struct{})
	go func() {
		defer close(d)
		m.follow(ctx, s)
	}()
	return d, nil
}

// attempt subscribes first and lists second, so that no change falls
// between the two (one in both is harmless to a consumer that compares).
func (m *Monitor[U, S]) attempt(ctx context.Context) (*sub[U], error) {
	s := &sub[U]{ch: make(chan U, m.Buffer), done: make(chan struct{}), errc: make(chan error, 1)}
	onErr := func(err error) {
		// netlink drops a message not sent by the kernel and says so;
		// any local process may send one, so it must not cost a resync
		if strings.HasPrefix(err.Error(), "Wrong sender portid") {
			m.foreign.Add(1)
			return
		}
		select {
		case s.errc <- err:
		default:
		}
	}
	if err := m.Source.Subscribe(s.ch, s.done, onErr); err != nil {
		close(s.done)
		return nil, err
	}
	st, err := m.Source.List()
	if err != nil {
		s.close()
		return nil, err
	}
	if m.Listed != nil {
		m.Listed(st)
	}
	return s, nil
}

// follow delivers s's updates and, when it fails, makes it again until
// ctx ends. It closes the last subscription before returning.
func (m *Monitor[U, S]) follow(ctx context.Context, s *sub[U]) {
	minB, maxB := m.MinBackoff, m.MaxBackoff
	if minB <= 0 {
		minB = MinBackoff
	}
	if maxB < minB {
		maxB = max(MaxBackoff, minB)
	}
	after := m.after
	if after == nil {
		after = time.After
	}
	backoff := minB
	for {
		since := time.Now()
		err := m.deliver(ctx, s)
		s.close()
		if ctx.Err() != nil {
			return
		}
		if time.Since(since) >= maxB {
			backoff = minB
		}
		lost := err
		for {
			if m.Lost != nil {
				m.Lost(err)
			}
			select {
			case <-ctx.Done():
				return
			case <-after(backoff):
			}
			backoff = min(2*backoff, maxB)
			if s, err = m.attempt(ctx); err == nil {
				break
			}
			if ctx.Err() != nil {
				return
			}
		}
		if ctx.Err() != nil {
			s.close()
			return
		}
		if m.Resynced != nil {
			m.Resynced(lost)
		}
	}
}

// deliver hands s's updates to Update until an error, which it returns,
// or until ctx ends (nil).
func (m *Monitor[U, S]) deliver(ctx context.Context, s *sub[U]) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-s.errc:
			return err
		case u, ok := <-s.ch:
			if !ok {
				// netlink reports the error before closing: give it.
				select {
				case err := <-s.errc:
					return err
				default:
					return fmt.Errorf("%s subscription closed", m.Name)
				}
			}
			if m.Update != nil {
				m.Update(u)
			}
		}
	}
}
