package netio

import (
	"context"
	"errors"
	"maps"
	"net"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/gokeepalived/gokeepalived/vrrp"
)

// Links is the real vrrp.Links: rtnetlink link notifications.
type Links struct {
	// Resynced, when set, is told that a monitor lost its subscription
	// (ENOBUFS: the kernel dropped notifications it could not queue) and
	// subscribed again, listing the state anew.
	Resynced func(monitor string, err error)
}

var _ vrrp.Links = Links{}

// usable: admin up with the lower layer up (unknown counts as up, as for
// interfaces without carrier reporting).
func usable(a *netlink.LinkAttrs) bool {
	return a.Flags&net.FlagUp != 0 && (a.OperState == netlink.OperUp || a.OperState == netlink.OperUnknown)
}

func (l Links) resynced(monitor string, err error) {
	if l.Resynced != nil {
		l.Resynced(monitor, err)
	}
}

// subscribeError is a subscription that could not be made.
type subscribeError struct{ err error }

func (e subscribeError) Error() string { return e.err.Error() }

// resubscribeBackoff paces resubscriptions after errors.
func resubscribeBackoff(ctx context.Context, d *time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(*d):
	}
	*d = min(2**d, time.Second)
	return true
}

// Watch sends an event whenever an interface's usability changes. A
// subscription that fails (ENOBUFS after a burst of link changes) is
// made again and the links listed anew, and what changed meanwhile is
// sent: interface tracking never silently stops.
func (l Links) Watch(ctx context.Context, ch chan<- vrrp.LinkEvent) error {
	last := map[string]bool{}
	first := true
	backoff := 10 * time.Millisecond
	for {
		err := watchLinks(ctx, ch, last, first)
		if ctx.Err() != nil {
			return nil
		}
		var se subscribeError
		if first && errors.As(err, &se) {
			return se.err // could not subscribe at all
		}
		first = false
		l.resynced("link", err)
		if !resubscribeBackoff(ctx, &backoff) {
			return nil
		}
	}
}

// watchLinks subscribes, lists the links (sending what differs from last
// unless this is the first listing) and follows updates until an error.
func watchLinks(ctx context.Context, ch chan<- vrrp.LinkEvent, last map[string]bool, first bool) error {
	updates := make(chan netlink.LinkUpdate, 64)
	done := make(chan struct{})
	defer close(done)
	errc := make(chan error, 1)
	err := netlink.LinkSubscribeWithOptions(updates, done, netlink.LinkSubscribeOptions{
		ErrorCallback: func(err error) {
			select {
			case errc <- err:
			default:
			}
		},
	})
	if err != nil {
		return subscribeError{err}
	}
	send := func(name string, up bool) bool {
		if prev, seen := last[name]; seen && prev == up {
			return true
		}
		last[name] = up
		select {
		case ch <- vrrp.LinkEvent{Name: name, Up: up}:
			return true
		case <-ctx.Done():
			return false
		}
	}
	links, err := nl().LinkList()
	if err != nil && !first {
		return err
	}
	now := map[string]bool{}
	for _, ln := range links {
		now[ln.Attrs().Name] = usable(ln.Attrs())
	}
	if first {
		maps.Copy(last, now)
	} else {
		for name := range last {
			if _, ok := now[name]; !ok && !send(name, false) {
				return nil
			}
		}
		for name, up := range now {
			if !send(name, up) {
				return nil
			}
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			return err
		case u, ok := <-updates:
			if !ok {
				return errors.New("link subscription closed")
			}
			a := u.Attrs()
			if !send(a.Name, usable(a) && u.Header.Type != unix.RTM_DELLINK) {
				return nil
			}
		}
	}
}
