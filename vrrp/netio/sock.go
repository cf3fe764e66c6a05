// Package netio is the Linux side of the vrrp runtime: raw VRRP sockets
// (x/net ipv4/ipv6), VIPs through rtnetlink, and GARP/NA over AF_PACKET.
package netio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"

	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/packet"
)

// Net is the real vrrp.Net.
type Net struct{}

var _ vrrp.Net = Net{}

// Interface looks name up and picks the default advert sources.
func (Net) Interface(name string) (vrrp.IfaceInfo, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return vrrp.IfaceInfo{}, err
	}
	info := vrrp.IfaceInfo{Index: ifi.Index, Up: ifi.Flags&net.FlagUp != 0 && ifi.Flags&net.FlagRunning != 0, MAC: ifi.HardwareAddr}
	addrs, err := ifi.Addrs()
	if err != nil {
		return info, err
	}
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(n.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		switch {
		case ip.Is4() && !info.Addr4.IsValid():
			info.Addr4 = ip // the kernel lists the primary first
		case ip.Is6() && ip.IsLinkLocalUnicast() && !info.LinkLocal6.IsValid():
			info.LinkLocal6 = ip.WithZone(name)
		}
	}
	return info, nil
}

// Open opens a raw socket bound to s.Iface for protocol 112, or 51 for an
// IPv4 AH spec (a raw socket receives only its own protocol's packets).
func (Net) Open(s vrrp.SocketSpec) (vrrp.Socket, error) {
	ifi, err := net.InterfaceByName(s.Iface)
	if err != nil {
		return nil, err
	}
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			// As keepalived: only this interface's packets reach us.
			serr = unix.SetsockoptString(int(fd), unix.SOL_SOCKET, unix.SO_BINDTODEVICE, s.Iface)
			if serr == nil && s.Family == packet.IPv4 {
				// We build the IPv4 header (TOS 0xc0, ID, AH).
				serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_HDRINCL, 1)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	if s.Family == packet.IPv6 {
		return open6(lc, ifi, s)
	}
	return open4(lc, ifi, s)
}

type sock4 struct {
	c   *net.IPConn
	rc  syscall.RawConn
	buf []byte
}

func open4(lc net.ListenConfig, ifi *net.Interface, s vrrp.SocketSpec) (*sock4, error) {
	proto := s.Proto
	if proto == 0 {
		proto = packet.ProtoVRRP
	}
	pc, err := lc.ListenPacket(context.Background(), fmt.Sprintf("ip4:%d", proto), "0.0.0.0")
	if err != nil {
		return nil, fmt.Errorf("vrrp socket on %s: %w", s.Iface, err)
	}
	c := pc.(*net.IPConn)
	p := ipv4.NewPacketConn(c)
	fail := func(err error) (*sock4, error) {
		c.Close()
		return nil, fmt.Errorf("vrrp socket on %s: %w", s.Iface, err)
	}
	if err := p.SetMulticastLoopback(false); err != nil {
		return fail(err)
	}
	if err := p.SetMulticastInterface(ifi); err != nil {
		return fail(err)
	}
	if !s.Unicast {
		if err := p.JoinGroup(ifi, &net.IPAddr{IP: s.Group.AsSlice()}); err != nil {
			return fail(err)
		}
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return fail(err)
	}
	return &sock4{c: c, rc: rc, buf: make([]byte, 65536)}, nil
}

// Recv reads one whole IPv4 packet; a raw IPv4 socket always delivers the
// header, which validation needs (TTL, total length, AH).
func (s *sock4) Recv(ctx context.Context) (*packet.Received, error) {
	var n int
	var rerr error
	err := s.rc.Read(func(fd uintptr) bool {
		n, _, rerr = unix.Recvfrom(int(fd), s.buf, unix.MSG_DONTWAIT)
		return !errors.Is(rerr, unix.EAGAIN)
	})
	if err != nil {
		return nil, err
	}
	if rerr != nil {
		return nil, rerr
	}
	b := make([]byte, n)
	copy(b, s.buf[:n])
	rx, err := packet.DecodeIPv4(b)
	if err != nil {
		return nil, nil
	}
	return rx, nil
}

func (s *sock4) Send(o vrrp.Outgoing) error {
	if len(o.Data) == 0 {
		return unix.EINVAL
	}
	sa := unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: o.Dst.As4()}
	var werr error
	err := s.rc.Write(func(fd uintptr) bool {
		werr = sendtoRaw(fd, o.Data, &sa)
		return !errors.Is(werr, unix.EAGAIN)
	})
	if err != nil {
		return err
	}
	return werr
}

// sendtoRaw is a non-blocking sendto(2) made as a raw system call: it
// cannot block, and a blocking-call entry lets the runtime's sysmon see a
// "long" syscall (the send runs the receiving side of a veth or bridge
// inline) and hand the P to another thread; with an advert every
// millisecond that kept sysmon polling every 20 µs.
func sendtoRaw(fd uintptr, b []byte, sa *unix.RawSockaddrInet4) error {
	_, _, e := unix.RawSyscall6(unix.SYS_SENDTO, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)),
		unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(sa)), unix.SizeofSockaddrInet4)
	if e != 0 {
		return e
	}
	return nil
}

func (s *sock4) Close() error { return s.c.Close() }

type sock6 struct {
	p   *ipv6.PacketConn
	ifi *net.Interface
	buf []byte
}

func open6(lc net.ListenConfig, ifi *net.Interface, s vrrp.SocketSpec) (*sock6, error) {
	pc, err := lc.ListenPacket(context.Background(), "ip6:112", "::")
	if err != nil {
		return nil, fmt.Errorf("vrrp socket on %s: %w", s.Iface, err)
	}
	p := ipv6.NewPacketConn(pc)
	fail := func(err error) (*sock6, error) {
		pc.Close()
		return nil, fmt.Errorf("vrrp socket on %s: %w", s.Iface, err)
	}
	steps := []func() error{
		// The kernel fills in and verifies the VRRP checksum (offset 6).
		func() error { return p.SetChecksum(true, 6) },
		func() error { return p.SetMulticastLoopback(false) },
		func() error { return p.SetMulticastInterface(ifi) },
		func() error { return p.SetMulticastHopLimit(packet.TTL) },
		func() error { return p.SetHopLimit(packet.TTL) },
		func() error { return p.SetTrafficClass(packet.TOS) },
		func() error {
			return p.SetControlMessage(ipv6.FlagHopLimit|ipv6.FlagDst|ipv6.FlagSrc|ipv6.FlagInterface, true)
		},
	}
	if !s.Unicast {
		steps = append(steps, func() error { return p.JoinGroup(ifi, &net.IPAddr{IP: s.Group.AsSlice()}) })
	}
	for _, f := range steps {
		if err := f(); err != nil {
			return fail(err)
		}
	}
	return &sock6{p: p, ifi: ifi, buf: make([]byte, 65536)}, nil
}

func (s *sock6) Recv(ctx context.Context) (*packet.Received, error) {
	n, cm, src, err := s.p.ReadFrom(s.buf)
	if err != nil {
		return nil, err
	}
	c := packet.Control{HopLimit: -1}
	if cm != nil {
		c.HopLimit = cm.HopLimit
		c.Dst, _ = netip.AddrFromSlice(cm.Dst)
	}
	if a, ok := src.(*net.IPAddr); ok {
		c.Src, _ = netip.AddrFromSlice(a.IP)
	}
	b := make([]byte, n)
	copy(b, s.buf[:n])
	rx, err := packet.DecodeIPv6(b, c)
	if err != nil {
		return nil, nil
	}
	return rx, nil
}

func (s *sock6) Send(o vrrp.Outgoing) error {
	cm := &ipv6.ControlMessage{IfIndex: s.ifi.Index, HopLimit: o.HopLimit, TrafficClass: packet.TOS}
	if o.Src.IsValid() {
		cm.Src = o.Src.AsSlice()
	}
	_, err := s.p.WriteTo(o.Data, cm, &net.IPAddr{IP: o.Dst.AsSlice(), Zone: s.ifi.Name})
	return err
}

func (s *sock6) Close() error { return s.p.Close() }
