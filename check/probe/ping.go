package probe

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// Ping is PING_CHECK: one ICMP/ICMPv6 echo. It uses an unprivileged
// datagram ICMP socket when ping_group_range allows, else a raw socket;
// bindto and bind_if apply to either.
type Ping struct {
	Conn Conn
	// Seq23 follows keepalived 2.3.0 and later: each check's new socket
	// sends echo sequence 1, and a reply with another sequence fails
	// the check, logged through Log. Before, the sequence is one counter
	// for the whole process, sent in host byte order, and any echo reply
	// passes. (A datagram socket only gets the replies to its own ID;
	// the raw fallback matches ID and sequence whatever the release.)
	Seq23 bool
	Log   func(string)
}

// pingSeq is keepalived 2.2.7's process-wide echo sequence.
var pingSeq atomic.Uint32

// seq is the echo sequence of the next check, as it goes on the wire.
func (p *Ping) seq() int {
	if p.Seq23 {
		return 1
	}
	n := uint16(pingSeq.Add(1) - 1)
	return int(n>>8 | n<<8) // htons was missing: host byte order
}

func (p *Ping) listen() (net.PacketConn, bool, error) {
	v6 := p.Conn.Dst.Addr().Is6()
	src := netip.IPv4Unspecified()
	if v6 {
		src = netip.IPv6Unspecified()
	}
	if p.Conn.BindTo.IsValid() {
		src = p.Conn.BindTo
	}
	if c, err := p.dgram(v6, src); err == nil {
		return c, true, nil
	}
	raw := "ip4:icmp"
	if v6 {
		raw = "ip6:ipv6-icmp"
	}
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error { return p.bindIf(rc) }}
	c, err := lc.ListenPacket(context.Background(), raw, src.String())
	return c, false, err
}

// bindIf binds the socket to bind_if's device, which keepalived 2.4.3
// accepts in PING_CHECK but does not apply.
func (p *Ping) bindIf(rc syscall.RawConn) error {
	if p.Conn.BindIf == "" {
		return nil
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.BindToDevice(int(fd), p.Conn.BindIf) }); err != nil {
		return err
	}
	return serr
}

// dgram opens an unprivileged datagram ICMP socket (as x/net/icmp
// does), bound to src and bind_if.
func (p *Ping) dgram(v6 bool, src netip.Addr) (net.PacketConn, error) {
	fam, proto := unix.AF_INET, unix.IPPROTO_ICMP
	var sa unix.Sockaddr
	if v6 {
		fam, proto = unix.AF_INET6, unix.IPPROTO_ICMPV6
		sa = &unix.SockaddrInet6{Addr: src.As16()}
	} else if src.Unmap().Is4() {
		sa = &unix.SockaddrInet4{Addr: src.Unmap().As4()}
	} else {
		return nil, errors.New("bindto is not IPv4")
	}
	fd, err := unix.Socket(fam, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return nil, err
	}
	if p.Conn.BindIf != "" {
		err = unix.BindToDevice(fd, p.Conn.BindIf)
	}
	if err == nil {
		err = unix.Bind(fd, sa)
	}
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "icmp")
	defer f.Close()
	return net.FilePacketConn(f)
}

func (p *Ping) Check(ctx context.Context, _ int) Result {
	ctx, cancel := withTimeout(ctx, p.Conn.Timeout)
	defer cancel()
	c, dgram, err := p.listen()
	if err != nil {
		return fail("ICMP connect fail to create socket.", err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(aLongTimeAgo) })
	defer stop()
	if t, ok := ctx.Deadline(); ok {
		c.SetDeadline(t)
	}
	v6 := p.Conn.Dst.Addr().Is6()
	var typ icmp.Type = ipv4.ICMPTypeEcho
	if v6 {
		typ = ipv6.ICMPTypeEchoRequest
	}
	id, seq := int(rand.Uint32()&0xffff), p.seq()
	m := icmp.Message{Type: typ, Body: &icmp.Echo{ID: id, Seq: seq, Data: []byte("gokeepalived")}}
	b, err := m.Marshal(nil)
	if err != nil {
		return fail("send ICMP packet fail", err)
	}
	ip := net.IP(p.Conn.Dst.Addr().AsSlice())
	var to net.Addr = &net.IPAddr{IP: ip, Zone: p.Conn.Dst.Addr().Zone()}
	if dgram {
		to = &net.UDPAddr{IP: ip, Zone: p.Conn.Dst.Addr().Zone()}
	}
	if _, err := c.WriteTo(b, to); err != nil {
		return fail("send ICMP packet fail", err)
	}
	buf := make([]byte, 1500)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return fail("ICMP connection to address timeout.", err)
			}
			return fail("recv ICMP packet error", err)
		}
		if !sameIP(from, ip) {
			continue
		}
		if !dgram {
			if isEchoReply(buf[:n], v6, id, seq, false) {
				return Result{OK: true}
			}
			continue
		}
		// keepalived reads one datagram: its echo reply decides
		got, ok := echoReplySeq(buf[:n], v6)
		if !ok {
			continue
		}
		if p.Seq23 && got != seq {
			msg := "Ping reply expected seq no " + strconv.Itoa(seq) + ", received " + strconv.Itoa(got)
			if p.Log != nil {
				p.Log(msg)
			}
			return fail(msg, nil)
		}
		return Result{OK: true}
	}
}

// echoReplySeq returns the sequence of an echo reply.
func echoReplySeq(b []byte, v6 bool) (int, bool) {
	proto, reply := 1, icmp.Type(ipv4.ICMPTypeEchoReply)
	if v6 {
		proto, reply = 58, ipv6.ICMPTypeEchoReply
	}
	rm, err := icmp.ParseMessage(proto, b)
	if err != nil || rm.Type != reply {
		return 0, false
	}
	e, ok := rm.Body.(*icmp.Echo)
	if !ok {
		return 0, false
	}
	return e.Seq, true
}

// isEchoReply says whether b is the reply to our echo (id, seq); the
// kernel rewrites the ID of datagram ICMP sockets, so only seq is
// compared there.
func isEchoReply(b []byte, v6 bool, id, seq int, dgram bool) bool {
	proto, reply := 1, icmp.Type(ipv4.ICMPTypeEchoReply)
	if v6 {
		proto, reply = 58, ipv6.ICMPTypeEchoReply
	}
	rm, err := icmp.ParseMessage(proto, b)
	if err != nil || rm.Type != reply {
		return false
	}
	e, ok := rm.Body.(*icmp.Echo)
	return ok && e.Seq == seq && (dgram || e.ID == id)
}

func sameIP(a net.Addr, ip net.IP) bool {
	switch v := a.(type) {
	case *net.IPAddr:
		return v.IP.Equal(ip)
	case *net.UDPAddr:
		return v.IP.Equal(ip)
	}
	return false
}
