package probe

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/gokeepalived/gokeepalived/conf"
)

// smtpModel is check_smtp.c's verdict on a whole server stream whose
// lines are all shorter than the read buffer: a "220" line, a "250"
// line, then any complete line.
func smtpModel(in []byte) (ok, modelled bool) {
	want := []int{220, 250, -2}
	for _, w := range want {
		i := bytes.IndexByte(in, '\n')
		if i < 0 {
			return false, len(in) < smtpBuffMax-1
		}
		if i >= smtpBuffMax-2 {
			return false, false // a long line: read in pieces, not modelled
		}
		line := string(bytes.TrimRight(in[:i+1], "\r\n"))
		in = in[i+1:]
		if w != -2 && smtpStatus(line) != w {
			return false, true
		}
	}
	return true, true
}

// FuzzSMTPReply plays a server that sends the fuzz input and hangs up:
// the check never panics, ends by its timeout, and agrees with the model.
func FuzzSMTPReply(f *testing.F) {
	for _, s := range []string{
		"220 mx ESMTP\r\n250 hello\r\n221 bye\r\n",
		"220-multi\r\n220 line\r\n",
		"220 ok\r\n550 no\r\n",
		"220 ok\n250 ok\n",
		"22",
		"220 " + string(bytes.Repeat([]byte("x"), 700)) + "\r\n250 ok\r\n221\r\n",
	} {
		f.Add([]byte(s))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { ln.Close() })
	f.Fuzz(func(t *testing.T, in []byte) {
		cli, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		srv, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		go func() {
			srv.Write(in)
			srv.(*net.TCPConn).CloseWrite()
			io.Copy(io.Discard, srv) // HELO and QUIT
		}()
		s := &SMTP{Conn: Conn{Timeout: 2 * time.Second}, Helo: "gk"}
		start := time.Now()
		r := s.converse(context.Background(), cli)
		cli.Close()
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("took %v with a 2 s timeout", d)
		}
		if ok, modelled := smtpModel(in); modelled && ok != r.OK {
			t.Fatalf("%q: OK=%v (%s), model says %v", in, r.OK, r.Reason, ok)
		}
	})
}

// FuzzDNSReply: any datagram is judged without panic; success only for
// a response with our ID and RCODE 0.
func FuzzDNSReply(f *testing.F) {
	f.Add([]byte{0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0}, uint16(0x1234))
	f.Add([]byte{0x12, 0x34, 0x81, 0x83, 0, 0, 0, 0, 0, 0, 0, 0}, uint16(0x1234))
	f.Add([]byte{0x12, 0x34, 0x01, 0x00}, uint16(0x1234))
	f.Fuzz(func(t *testing.T, b []byte, id uint16) {
		r, done := dnsReply(b, id)
		if !done {
			return
		}
		if len(b) < 12 || binary.BigEndian.Uint16(b) != id || b[2]&0x80 == 0 {
			t.Fatalf("%x: judged a datagram that is not our reply", b)
		}
		if r.OK != (b[3]&0x0f == 0) {
			t.Fatalf("%x: OK=%v with rcode %d", b, r.OK, b[3]&0x0f)
		}
	})
}

// FuzzUDPReply: the reply comparison never panics, honours the length
// bounds, and an exact copy of the expected reply within them matches.
func FuzzUDPReply(f *testing.F) {
	f.Add([]byte("pong"), []byte("pong"), []byte{}, uint16(0), uint16(0))
	f.Add([]byte("pXng"), []byte("pong"), []byte{0, 0xf0}, uint16(2), uint16(10))
	f.Fuzz(func(t *testing.T, reply, want, mask []byte, lo, hi uint16) {
		u := &UDP{Opts: conf.UDPCheck{RequireReply: true, Reply: want, ReplyMask: mask, MinReplyLength: lo, MaxReplyLength: hi}}
		got := u.replyMatches(reply)
		inBounds := len(reply) >= int(lo) && (hi == 0 || len(reply) <= int(hi))
		if got && !inBounds {
			t.Fatalf("matched %d bytes outside [%d,%d]", len(reply), lo, hi)
		}
		if inBounds && bytes.HasPrefix(reply, want) && !got {
			t.Fatalf("%x does not match its own prefix %x", reply, want)
		}
	})
}

// FuzzEchoReply: any ICMP/ICMPv6 payload is judged without panic, and
// only an echo reply carrying our sequence (and ID, on raw sockets) is
// ours.
func FuzzEchoReply(f *testing.F) {
	for _, v6 := range []bool{false, true} {
		var typ icmp.Type = ipv4.ICMPTypeEchoReply
		if v6 {
			typ = ipv6.ICMPTypeEchoReply
		}
		m := icmp.Message{Type: typ, Body: &icmp.Echo{ID: 7, Seq: 9, Data: []byte("gokeepalived")}}
		b, err := m.Marshal(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, v6, 7, 9, false)
		f.Add(b, v6, 8, 9, true)
	}
	f.Add([]byte{0, 0}, false, 0, 0, false)
	f.Fuzz(func(t *testing.T, b []byte, v6 bool, id, seq int, dgram bool) {
		if !isEchoReply(b, v6, id, seq, dgram) {
			return
		}
		want := byte(0)
		if v6 {
			want = 129
		}
		if len(b) < 8 || b[0] != want || int(binary.BigEndian.Uint16(b[6:])) != seq ||
			(!dgram && int(binary.BigEndian.Uint16(b[4:])) != id) {
			t.Fatalf("%x accepted as the reply to id %d seq %d (dgram %v, v6 %v)", b, id, seq, dgram, v6)
		}
	})
}
