package bfd

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// UDP is the host's transport.
type UDP struct{}

// Listen opens a dual-stack UDP socket on port that reports each
// datagram's TTL (hop limit) and destination address.
func (UDP) Listen(port int) (Receiver, error) {
	lc := net.ListenConfig{Control: func(network, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			f := int(fd)
			serr = unix.SetsockoptInt(f, unix.IPPROTO_IP, unix.IP_RECVTTL, 1)
			if serr == nil {
				serr = unix.SetsockoptInt(f, unix.IPPROTO_IP, unix.IP_PKTINFO, 1)
			}
			if serr == nil && network == "udp6" {
				serr = unix.SetsockoptInt(f, unix.IPPROTO_IPV6, unix.IPV6_RECVHOPLIMIT, 1)
				if serr == nil {
					serr = unix.SetsockoptInt(f, unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, 1)
				}
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	pc, err := lc.ListenPacket(context.Background(), "udp", fmt.Sprintf(":%d", port))
	if err != nil {
		// no IPv6 on this host: IPv4 alone
		pc, err = lc.ListenPacket(context.Background(), "udp4", fmt.Sprintf(":%d", port))
		if err != nil {
			return nil, err
		}
	}
	return &udpRecv{c: pc.(*net.UDPConn)}, nil
}

type udpRecv struct {
	c   *net.UDPConn
	oob [256]byte
}

func (r *udpRecv) Close() error { return r.c.Close() }

func (r *udpRecv) Recv(b []byte) (int, netip.AddrPort, netip.Addr, int, error) {
	n, oobn, flags, src, err := r.c.ReadMsgUDPAddrPort(b, r.oob[:])
	if err != nil {
		if errors.Is(err, net.ErrClosed) {
			err = errClosed
		}
		return 0, src, netip.Addr{}, 0, err
	}
	if flags&unix.MSG_TRUNC != 0 {
		n = len(b) // dropped as too long
	}
	dst, ttl := parseCmsgs(r.oob[:oobn])
	return n, src, dst, ttl, nil
}

// parseCmsgs reads the TTL (hop limit) and destination address from
// control messages, without allocating.
func parseCmsgs(b []byte) (dst netip.Addr, ttl int) {
	const hdr = unix.SizeofCmsghdr
	for len(b) >= hdr {
		l := int(binary.NativeEndian.Uint64(b[0:8]))
		lvl := int32(binary.NativeEndian.Uint32(b[8:12]))
		typ := int32(binary.NativeEndian.Uint32(b[12:16]))
		if l < hdr || l > len(b) {
			return
		}
		data := b[hdr:l]
		switch {
		case lvl == unix.IPPROTO_IP && typ == unix.IP_TTL && len(data) >= 4:
			ttl = int(binary.NativeEndian.Uint32(data))
		case lvl == unix.IPPROTO_IPV6 && typ == unix.IPV6_HOPLIMIT && len(data) >= 4:
			ttl = int(binary.NativeEndian.Uint32(data))
		case lvl == unix.IPPROTO_IP && typ == unix.IP_PKTINFO && len(data) >= 12:
			dst = netip.AddrFrom4([4]byte(data[8:12]))
		case lvl == unix.IPPROTO_IPV6 && typ == unix.IPV6_PKTINFO && len(data) >= 16:
			dst = netip.AddrFrom16([16]byte(data[0:16])).Unmap()
		}
		al := (l + 7) &^ 7
		if al > len(b) {
			return
		}
		b = b[al:]
	}
	return
}

// Open opens a session's sending socket: bound to its source address (if
// any) on a port in 49152-65535 (RFC 5881 4), with the TTL (hop limit).
func (UDP) Open(c Config) (Sender, error) {
	network := "udp4"
	if c.Neighbor.Is6() {
		network = "udp6"
	}
	ttl := int(c.TTL)
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			if c.Neighbor.Is6() {
				serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS, ttl)
			} else {
				serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_TTL, ttl)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	src := ""
	if c.Source.IsValid() {
		src = c.Source.String()
	}
	first := 49152 + rand.IntN(65536-49152)
	var lastErr error
	for i := range 65536 - 49152 {
		port := 49152 + (first-49152+i)%(65536-49152)
		pc, err := lc.ListenPacket(context.Background(), network, net.JoinHostPort(src, fmt.Sprint(port)))
		if err == nil {
			return &udpSend{c: pc.(*net.UDPConn), dst: netip.AddrPortFrom(c.Neighbor, Port)}, nil
		}
		lastErr = err
		if !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
	}
	return nil, lastErr
}

type udpSend struct {
	c   *net.UDPConn
	dst netip.AddrPort
}

func (s *udpSend) Send(b []byte, port uint16) error {
	_, err := s.c.WriteToUDPAddrPort(b, netip.AddrPortFrom(s.dst.Addr(), port))
	return err
}

func (s *udpSend) Close() error { return s.c.Close() }
