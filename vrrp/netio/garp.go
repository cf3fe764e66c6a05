package netio

import (
	"encoding/binary"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"unsafe"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"github.com/mdlayher/ndp"
	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"

	"github.com/gokeepalived/gokeepalived/vrrp"
)

var (
	broadcastMAC = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	allNodesMAC  = net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1}
	allNodes     = netip.MustParseAddr("ff02::1")
)

// Announcer is the real vrrp.Announcer: one send-only AF_PACKET socket per
// interface (protocol 0, so the kernel queues nothing to us).
type Announcer struct {
	mu    sync.Mutex
	conns map[string]*packet.Conn
}

var _ vrrp.Announcer = (*Announcer)(nil)

// NewAnnouncer returns an Announcer; Close releases its sockets.
func NewAnnouncer() *Announcer { return &Announcer{conns: map[string]*packet.Conn{}} }

// conn returns name's socket and current MAC. Only opening one looks the
// interface up through the table dump net.InterfaceByName does (a
// master's burst is 5 GARPs per VIP, for 1,000 VIPs the dumps dominated
// the transition); after that one ioctl reads the MAC, so a changed MAC is
// still seen, and a deleted interface drops the socket.
func (a *Announcer) conn(name string) (*packet.Conn, net.HardwareAddr, error) {
	if c, ok := a.conns[name]; ok {
		if mac, err := hwAddr(c, name); err == nil {
			return c, mac, nil
		}
		a.drop(name)
	}
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return nil, nil, err
	}
	c, err := packet.Listen(ifi, packet.Raw, 0, nil)
	if err != nil {
		return nil, nil, err
	}
	a.conns[name] = c
	return c, ifi.HardwareAddr, nil
}

func (a *Announcer) drop(name string) {
	if c, ok := a.conns[name]; ok {
		c.Close()
		delete(a.conns, name)
	}
}

// hwAddr is SIOCGIFHWADDR on c's socket.
func hwAddr(c *packet.Conn, name string) (net.HardwareAddr, error) {
	var req struct {
		name   [unix.IFNAMSIZ]byte
		family uint16
		data   [14]byte
		_      [8]byte // the rest of struct ifreq's union
	}
	if len(name) >= unix.IFNAMSIZ {
		return nil, unix.EINVAL
	}
	copy(req.name[:], name)
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = unix.Syscall(unix.SYS_IOCTL, fd, unix.SIOCGIFHWADDR, uintptr(unsafe.Pointer(&req)))
	}); err != nil {
		return nil, err
	}
	if errno != 0 {
		return nil, errno
	}
	if req.family != unix.ARPHRD_ETHER {
		return nil, nil // as net.Interface has it: no Ethernet address
	}
	return net.HardwareAddr(append([]byte(nil), req.data[:6]...)), nil
}

// Announce sends a gratuitous ARP or an unsolicited NA for addr.
func (a *Announcer) Announce(iface string, addr netip.Addr) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	err := a.announce(iface, addr)
	if err != nil {
		// The socket may be bound to an index that is gone (the
		// interface re-created): once more on a fresh one.
		a.drop(iface)
		err = a.announce(iface, addr)
	}
	return err
}

func (a *Announcer) announce(iface string, addr netip.Addr) error {
	c, mac, err := a.conn(iface)
	if err != nil {
		return err
	}
	var f []byte
	var dst net.HardwareAddr
	if addr.Is4() {
		f, err = GARPFrame(mac, addr)
		dst = broadcastMAC
	} else {
		f, err = NAFrame(mac, addr)
		dst = allNodesMAC
	}
	if err != nil {
		return err
	}
	_, err = c.WriteTo(f, &packet.Addr{HardwareAddr: dst})
	return err
}

// Close closes the sockets.
func (a *Announcer) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for n, c := range a.conns {
		c.Close()
		delete(a.conns, n)
	}
	return nil
}

// GARPFrame is keepalived's gratuitous ARP: a broadcast ARP request
// with sender IP = target IP = the VIP and target MAC ff:ff:ff:ff:ff:ff.
func GARPFrame(mac net.HardwareAddr, vip netip.Addr) ([]byte, error) {
	p, err := arp.NewPacket(arp.OperationRequest, mac, vip, broadcastMAC, vip)
	if err != nil {
		return nil, err
	}
	pb, err := p.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return (&ethernet.Frame{Destination: broadcastMAC, Source: mac, EtherType: ethernet.EtherTypeARP, Payload: pb}).MarshalBinary()
}

// NAFrame is keepalived's unsolicited NA: from the VIP to ff02::1, hop
// limit 255, Override only, with the target link-layer address option.
func NAFrame(mac net.HardwareAddr, vip netip.Addr) ([]byte, error) {
	na := &ndp.NeighborAdvertisement{Override: true, TargetAddress: vip,
		Options: []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: mac}}}
	icmp, err := ndp.MarshalMessageChecksum(na, vip, allNodes)
	if err != nil {
		return nil, err
	}
	ip := make([]byte, 40, 40+len(icmp))
	ip[0] = 0x60
	binary.BigEndian.PutUint16(ip[4:], uint16(len(icmp)))
	ip[6] = 58 // ICMPv6
	ip[7] = 255
	s, d := vip.As16(), allNodes.As16()
	copy(ip[8:], s[:])
	copy(ip[24:], d[:])
	return (&ethernet.Frame{Destination: allNodesMAC, Source: mac, EtherType: ethernet.EtherTypeIPv6, Payload: append(ip, icmp...)}).MarshalBinary()
}
