package netio

import (
	"context"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/gokeepalived/gokeepalived/internal/nlmon"
	"github.com/gokeepalived/gokeepalived/vrrp"
)

var _ vrrp.DeletionWatcher = Links{}

// WatchDeletions reports deleted addresses and deleted routes of
// protocol keepalived (the only ones keepalived restores) until ctx ends.
// A subscription that fails (ENOBUFS) is made again and Resynced told:
// deletions the kernel dropped meanwhile are not known.
func (l Links) WatchDeletions(ctx context.Context, ch chan<- vrrp.Deletion) error {
	name := func(i int) string {
		if l, err := nl().LinkByIndex(i); err == nil {
			return l.Attrs().Name
		}
		return ""
	}
	send := func(d vrrp.Deletion) {
		select {
		case ch <- d:
		case <-ctx.Done():
		}
	}
	m := nlmon.Monitor[addrOrRoute, struct{}]{
		Name:   "address/route",
		Source: nlmon.Funcs[addrOrRoute, struct{}]{SubscribeFunc: subscribeAddrsAndRoutes},
		Update: func(u addrOrRoute) {
			switch {
			case u.addr != nil && !u.addr.NewAddr:
				a, _ := netip.AddrFromSlice(u.addr.LinkAddress.IP)
				ones, _ := u.addr.LinkAddress.Mask.Size()
				send(vrrp.Deletion{Addr: netip.PrefixFrom(a.Unmap(), ones), Dev: name(u.addr.LinkIndex)})
			case u.route != nil && u.route.Type == unix.RTM_DELROUTE && u.route.Protocol == unix.RTPROT_KEEPALIVED:
				d := vrrp.Deletion{Route: true, Dev: name(u.route.LinkIndex), Table: uint32(u.route.Table)}
				if u.route.Dst != nil {
					a, _ := netip.AddrFromSlice(u.route.Dst.IP)
					ones, _ := u.route.Dst.Mask.Size()
					d.Dst = netip.PrefixFrom(a.Unmap(), ones)
				}
				send(d)
			}
		},
		Lost: func(err error) { l.resynced("address/route", err) },
	}
	return m.Run(ctx)
}

// addrOrRoute is one notification of the address or the route groups.
type addrOrRoute struct {
	addr  *netlink.AddrUpdate
	route *netlink.RouteUpdate
}

// subscribeAddrsAndRoutes is one subscription to both groups: an error
// on either ends both.
func subscribeAddrsAndRoutes(ch chan<- addrOrRoute, done <-chan struct{}, onErr func(error)) error {
	stop := make(chan struct{})
	addrs := make(chan netlink.AddrUpdate, 64)
	if err := nlmon.Addrs(0)(addrs, stop, onErr); err != nil {
		close(stop)
		return err
	}
	routes := make(chan netlink.RouteUpdate, 64)
	if err := nlmon.Routes(0)(routes, stop, onErr); err != nil {
		close(stop)
		for range addrs {
		}
		return err
	}
	go func() {
		defer close(ch)
		defer func() {
			close(stop)
			for range addrs {
			}
			for range routes {
			}
		}()
		for {
			var u addrOrRoute
			select {
			case <-done:
				return
			case a, ok := <-addrs:
				if !ok {
					return
				}
				u.addr = &a
			case r, ok := <-routes:
				if !ok {
					return
				}
				u.route = &r
			}
			select {
			case ch <- u:
			case <-done:
				return
			}
		}
	}()
	return nil
}
