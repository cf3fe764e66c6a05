package netio

import (
	"context"
	"net"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/gokeepalived/gokeepalived/vrrp"
)

// Links is the real vrrp.Links: rtnetlink link notifications.
type Links struct{}

var _ vrrp.Links = Links{}

// usable: admin up with the lower layer up (unknown counts as up, as for
// interfaces without carrier reporting).
func usable(a *netlink.LinkAttrs) bool {
	return a.Flags&net.FlagUp != 0 && (a.OperState == netlink.OperUp || a.OperState == netlink.OperUnknown)
}

// Watch sends an event whenever an interface's usability changes.
func (Links) Watch(ctx context.Context, ch chan<- vrrp.LinkEvent) error {
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
		return err
	}
	last := map[string]bool{}
	if links, err := netlink.LinkList(); err == nil {
		for _, l := range links {
			last[l.Attrs().Name] = usable(l.Attrs())
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			return err
		case u, ok := <-updates:
			if !ok {
				return nil
			}
			a := u.Attrs()
			up := usable(a) && u.Header.Type != unix.RTM_DELLINK
			if prev, seen := last[a.Name]; seen && prev == up {
				continue
			}
			last[a.Name] = up
			select {
			case ch <- vrrp.LinkEvent{Name: a.Name, Up: up}:
			case <-ctx.Done():
				return nil
			}
		}
	}
}
