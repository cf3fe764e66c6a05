package netio

import (
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	nlraw "github.com/vishvananda/netlink/nl"
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
	if err := addrAddProto(l, nlAddr(v)); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("add %v dev %s: %w", v.Prefix, v.Dev, err)
	}
	return nil
}

const (
	// ifaProto is IFA_PROTO (Linux 6.1); older kernels ignore it.
	ifaProto = 11
	// ProtoKeepalived is the address protocol keepalived 2.3.2 and later
	// set on its VIPs (RTPROT_KEEPALIVED), which "ip addr" names.
	ProtoKeepalived = 18
)

// addrAddProto is netlink's AddrAdd for a VIP (no peer) with IFA_PROTO
// set to ProtoKeepalived, which vishvananda/netlink cannot send. It is
// sent on a socket of the calling thread's namespace, as nl()'s are.
func addrAddProto(l netlink.Link, a *netlink.Addr) error {
	family := nlraw.GetIPFamily(a.IP)
	req := nlraw.NewNetlinkRequest(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_EXCL|unix.NLM_F_ACK)
	msg := nlraw.NewIfAddrmsg(family)
	msg.Scope = uint8(a.Scope)
	msg.Index = uint32(l.Attrs().Index)
	ones, _ := a.Mask.Size()
	msg.Prefixlen = uint8(ones)
	req.AddData(msg)
	local := a.IP.To16()
	if family == netlink.FAMILY_V4 {
		local = a.IP.To4()
	}
	req.AddData(nlraw.NewRtAttr(unix.IFA_LOCAL, local))
	req.AddData(nlraw.NewRtAttr(unix.IFA_ADDRESS, local))
	if a.Flags > 0xff {
		b := make([]byte, 4)
		nlraw.NativeEndian().PutUint32(b, uint32(a.Flags))
		req.AddData(nlraw.NewRtAttr(unix.IFA_FLAGS, b))
	} else {
		msg.Flags = uint8(a.Flags)
	}
	if family == netlink.FAMILY_V4 {
		// Only a configured broadcast, as keepalived (netlink would
		// compute one for /30 and larger).
		if brd := a.Broadcast; brd != nil && !net.IPv4zero.Equal(brd) {
			req.AddData(nlraw.NewRtAttr(unix.IFA_BROADCAST, brd))
		}
		if a.Label != "" {
			req.AddData(nlraw.NewRtAttr(unix.IFA_LABEL, nlraw.ZeroTerminated(a.Label)))
		}
	}
	if a.ValidLft > 0 || a.PreferedLft > 0 {
		ci := nlraw.IfaCacheInfo{IfaCacheinfo: unix.IfaCacheinfo{Valid: uint32(a.ValidLft), Prefered: uint32(a.PreferedLft)}}
		req.AddData(nlraw.NewRtAttr(unix.IFA_CACHEINFO, ci.Serialize()))
	}
	req.AddData(nlraw.NewRtAttr(ifaProto, []byte{ProtoKeepalived}))
	req.Sockets = routeSockets() // no socket per request: see nl()
	_, err := req.Execute(unix.NETLINK_ROUTE, 0)
	return err
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
