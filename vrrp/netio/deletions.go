package netio

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/gokeepalived/gokeepalived/vrrp"
)

var _ vrrp.DeletionWatcher = Links{}

// WatchDeletions reports deleted addresses and deleted routes of
// protocol keepalived (the only ones keepalived restores) until ctx ends.
// A subscription that fails (ENOBUFS) is made again and Resynced told:
// deletions the kernel dropped meanwhile are not known.
func (l Links) WatchDeletions(ctx context.Context, ch chan<- vrrp.Deletion) error {
	first := true
	backoff := 10 * time.Millisecond
	for {
		err := watchDeletions(ctx, ch)
		if ctx.Err() != nil {
			return nil
		}
		var se subscribeError
		if first && errors.As(err, &se) {
			return se.err
		}
		first = false
		l.resynced("address/route", err)
		if !resubscribeBackoff(ctx, &backoff) {
			return nil
		}
	}
}

func watchDeletions(ctx context.Context, ch chan<- vrrp.Deletion) error {
	done := make(chan struct{})
	defer close(done)
	errc := make(chan error, 2)
	onErr := func(err error) {
		select {
		case errc <- err:
		default:
		}
	}
	addrs := make(chan netlink.AddrUpdate, 64)
	if err := netlink.AddrSubscribeWithOptions(addrs, done, netlink.AddrSubscribeOptions{ErrorCallback: onErr}); err != nil {
		return subscribeError{err}
	}
	routes := make(chan netlink.RouteUpdate, 64)
	if err := netlink.RouteSubscribeWithOptions(routes, done, netlink.RouteSubscribeOptions{ErrorCallback: onErr}); err != nil {
		return subscribeError{err}
	}
	name := func(i int) string {
		if l, err := nl().LinkByIndex(i); err == nil {
			return l.Attrs().Name
		}
		return ""
	}
	for {
		var d vrrp.Deletion
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			return err
		case u, ok := <-addrs:
			if !ok {
				return errors.New("address subscription closed")
			}
			if u.NewAddr {
				continue
			}
			a, _ := netip.AddrFromSlice(u.LinkAddress.IP)
			ones, _ := u.LinkAddress.Mask.Size()
			d = vrrp.Deletion{Addr: netip.PrefixFrom(a.Unmap(), ones), Dev: name(u.LinkIndex)}
		case u, ok := <-routes:
			if !ok {
				return errors.New("route subscription closed")
			}
			if u.Type != unix.RTM_DELROUTE || u.Protocol != unix.RTPROT_KEEPALIVED {
				continue
			}
			d = vrrp.Deletion{Route: true, Dev: name(u.LinkIndex), Table: uint32(u.Table)}
			if u.Dst != nil {
				a, _ := netip.AddrFromSlice(u.Dst.IP)
				ones, _ := u.Dst.Mask.Size()
				d.Dst = netip.PrefixFrom(a.Unmap(), ones)
			}
		}
		select {
		case ch <- d:
		case <-ctx.Done():
			return nil
		}
	}
}
