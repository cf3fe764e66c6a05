package netio

import (
	"context"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/gokeepalived/gokeepalived/vrrp"
)

var _ vrrp.DeletionWatcher = Links{}

// WatchDeletions reports deleted addresses and deleted routes of
// protocol keepalived (the only ones keepalived restores) until ctx ends.
func (Links) WatchDeletions(ctx context.Context, ch chan<- vrrp.Deletion) error {
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
		return err
	}
	routes := make(chan netlink.RouteUpdate, 64)
	if err := netlink.RouteSubscribeWithOptions(routes, done, netlink.RouteSubscribeOptions{ErrorCallback: onErr}); err != nil {
		return err
	}
	name := func(i int) string {
		if l, err := netlink.LinkByIndex(i); err == nil {
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
			if ctx.Err() != nil {
				return nil
			}
			return err
		case u, ok := <-addrs:
			if !ok {
				return nil
			}
			if u.NewAddr {
				continue
			}
			a, _ := netip.AddrFromSlice(u.LinkAddress.IP)
			ones, _ := u.LinkAddress.Mask.Size()
			d = vrrp.Deletion{Addr: netip.PrefixFrom(a.Unmap(), ones), Dev: name(u.LinkIndex)}
		case u, ok := <-routes:
			if !ok {
				return nil
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
