package netio

import (
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/gokeepalived/gokeepalived/vrrp"
)

// Addrs is the real vrrp.Addrs over rtnetlink in the current namespace.
type Addrs struct{}

var _ vrrp.Addrs = Addrs{}

func nlAddr(v vrrp.VIP) *netlink.Addr {
	a := &netlink.Addr{
		IPNet: &net.IPNet{IP: v.Prefix.Addr().AsSlice(), Mask: net.CIDRMask(v.Prefix.Bits(), v.Prefix.Addr().BitLen())},
		Label: v.Label,
		Scope: int(v.Scope),
	}
	if v.Broadcast.IsValid() {
		// A 16-byte slice here is sent as is and ignored by the kernel.
		a.Broadcast = v.Broadcast.AsSlice()
	}
	if v.Prefix.Addr().Is6() && !v.NoDAD {
		// keepalived adds IPv6 addresses without DAD unless "-nodad".
		a.Flags |= unix.IFA_F_NODAD
	}
	if v.PreferredLft != nil {
		// netlink only sends cache info when a lifetime is non-zero.
		a.PreferedLft, a.ValidLft = int(*v.PreferredLft), int(^uint32(0))
	}
	return a
}

// Add adds the address; EEXIST is success.
func (Addrs) Add(v vrrp.VIP) error {
	l, err := nl().LinkByName(v.Dev)
	if err != nil {
		return fmt.Errorf("add %v: %w", v.Prefix, err)
	}
	if err := nl().AddrAdd(l, nlAddr(v)); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("add %v dev %s: %w", v.Prefix, v.Dev, err)
	}
	return nil
}

// Del removes the address; EADDRNOTAVAIL (not there) is success.
func (Addrs) Del(v vrrp.VIP) error {
	l, err := nl().LinkByName(v.Dev)
	if err != nil {
		return fmt.Errorf("del %v: %w", v.Prefix, err)
	}
	if err := nl().AddrDel(l, nlAddr(v)); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
		return fmt.Errorf("del %v dev %s: %w", v.Prefix, v.Dev, err)
	}
	return nil
}
