package probe

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/netip"
	"os"
	osuser "os/user"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/testenv"
	"golang.org/x/net/dns/dnsmessage"
	"golang.org/x/sys/unix"
)

func TestTCP(t *testing.T) {
	up := listen(t, func(c net.Conn) {})
	if r := (&TCP{Conn: Conn{Dst: up, Timeout: time.Second}}).Check(context.Background(), 0); !r.OK {
		t.Fatalf("listener: %v", r)
	}
	if r := (&TCP{Conn: Conn{Dst: closedPort(t, "tcp"), Timeout: time.Second}}).Check(context.Background(), 0); r.OK {
		t.Fatal("refused port reported up")
	}
	// bindto/bind_port are honoured: the server sees our source
	src := make(chan string, 1)
	ap := listen(t, func(c net.Conn) { src <- c.RemoteAddr().String() })
	bp := closedPort(t, "tcp").Port()
	if r := (&TCP{Conn: Conn{Dst: ap, BindTo: netip.MustParseAddr("127.0.0.2"), BindPort: bp, Timeout: time.Second}}).Check(context.Background(), 0); !r.OK {
		t.Fatal(r)
	}
	if got, want := <-src, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.2"), bp).String(); got != want {
		t.Errorf("source %s, want %s", got, want)
	}
	// fwmark needs CAP_NET_ADMIN; as root the connect must still work
	if os.Geteuid() == 0 {
		if r := (&TCP{Conn: Conn{Dst: up, FWMark: 7, Timeout: time.Second}}).Check(context.Background(), 0); !r.OK {
			t.Fatalf("fwmark: %v", r)
		}
	}
}

// smtpServer answers with the given greeting and records the HELO line.
func smtpServer(t *testing.T, greeting string, helo chan<- string) netip.AddrPort {
	return listen(t, func(c net.Conn) {
		io.WriteString(c, greeting)
		br := bufio.NewReader(c)
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return
			}
			switch {
			case strings.HasPrefix(l, "HELO "):
				helo <- strings.TrimSpace(l[5:])
				io.WriteString(c, "250 hello\r\n")
			case strings.HasPrefix(l, "QUIT"):
				io.WriteString(c, "221 bye\r\n")
				return
			}
		}
	})
}

func TestSMTP(t *testing.T) {
	helo := make(chan string, 4)
	ok := smtpServer(t, "220 mail.test ESMTP ready\r\n", helo)
	if r := (&SMTP{Conn: Conn{Dst: ok, Timeout: time.Second}, Helo: "checker.test"}).Check(context.Background(), 0); !r.OK {
		t.Fatal(r)
	}
	if got := <-helo; got != "checker.test" {
		t.Errorf("HELO %q", got)
	}
	for _, bad := range []string{"554 no service\r\n", "220-mail.test ESMTP\r\n220 ready\r\n", "2200 x\r\n"} {
		// check_smtp.c reads one line: a multi-line 220- banner fails too
		srv := smtpServer(t, bad, helo)
		if r := (&SMTP{Conn: Conn{Dst: srv, Timeout: time.Second}, Helo: "x"}).Check(context.Background(), 0); r.OK || r.Reason != "Bad greeting banner from server "+sockPair(srv) {
			t.Fatalf("greeting %q: got %v, want bad banner", bad, r)
		}
	}
	badHelo := listen(t, func(c net.Conn) {
		io.WriteString(c, "220 ok\r\n")
		bufio.NewReader(c).ReadString('\n')
		io.WriteString(c, "501 syntax\r\n")
	})
	if r := (&SMTP{Conn: Conn{Dst: badHelo, Timeout: time.Second}, Helo: "x"}).Check(context.Background(), 0); r.OK || r.Reason != "Bad HELO response from server "+sockPair(badHelo) {
		t.Fatalf("501 to HELO: got %v", r)
	}
	// each step has the whole timeout (check_smtp.c), not the exchange
	slow := listen(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for _, l := range []string{"220 ok\r\n", "250 ok\r\n", "221 bye\r\n"} {
			time.Sleep(150 * time.Millisecond)
			io.WriteString(c, l)
			br.ReadString('\n')
		}
	})
	if r := (&SMTP{Conn: Conn{Dst: slow, Timeout: 300 * time.Millisecond}, Helo: "x"}).Check(context.Background(), 0); !r.OK {
		t.Errorf("slow server, each step in time: %v", r)
	}
	// the other messages check_smtp.c passes to smtp_final
	silent := listen(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	hangup := listen(t, func(net.Conn) {})
	quitHangup := listen(t, func(c net.Conn) {
		io.WriteString(c, "220 ok\r\n")
		br := bufio.NewReader(c)
		br.ReadString('\n')
		io.WriteString(c, "250 ok\r\n")
		br.ReadString('\n')
	})
	refused := closedPort(t, "tcp")
	for _, tc := range []struct {
		dst  netip.AddrPort
		want string
	}{
		{silent, "Read timeout from server " + sockPair(silent)},
		{hangup, "Read failure from server " + sockPair(hangup)},
		{quitHangup, "Read failure from server " + sockPair(quitHangup)},
		{refused, "Could not connect to server " + sockPair(refused)},
	} {
		r := (&SMTP{Conn: Conn{Dst: tc.dst, Timeout: 300 * time.Millisecond}, Helo: "x"}).Check(context.Background(), 0)
		if r.OK || r.Reason != tc.want {
			t.Errorf("%s: got %v, want %q", tc.dst, r, tc.want)
		}
	}
	if got := sockPair(netip.MustParseAddrPort("[fe80::1%eth0]:25")); got != "[fe80::1]:25" {
		t.Errorf("sockPair %q", got)
	}
	if os.Geteuid() != 0 {
		testenv.Unavailable(t, "needs root for the no-route case (a network namespace)")
	}
	// connect() itself refuses in a network namespace without routes;
	// the thread dies with its namespace (never unlocked)
	ch := make(chan Result)
	go func() {
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			ch <- Result{Reason: "unshare: " + err.Error()}
			return
		}
		ch <- (&SMTP{Conn: Conn{Dst: parseAP("198.51.100.7:2525"), Timeout: time.Second}, RS: parseAP("198.51.100.7:25")}).Check(context.Background(), 0)
	}()
	if r, want := <-ch, "Network unreachable for server 198.51.100.7 - real server [198.51.100.7]:25"; r.Reason != want {
		t.Errorf("no route: got %v, want %q", r, want)
	}
}

// udpServer runs handle for each datagram; reply nil means no answer.
func udpServer(t *testing.T, handle func([]byte) []byte) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if r := handle(append([]byte(nil), buf[:n]...)); r != nil {
				pc.WriteTo(r, from)
			}
		}
	}()
	return netip.MustParseAddrPort(pc.LocalAddr().String())
}

func TestUDP(t *testing.T) {
	echo := udpServer(t, func(b []byte) []byte { return b })
	silent := udpServer(t, func([]byte) []byte { return nil })
	opts := conf.UDPCheck{Payload: []byte{0xde, 0xad, 0xbe, 0xef}, RequireReply: true,
		Reply: []byte{0xd0, 0xad}, ReplyMask: []byte{0x0f, 0}, MaxReplyLength: 255}
	tests := []struct {
		name string
		dst  netip.AddrPort
		opts conf.UDPCheck
		ok   bool
	}{
		{"echo matches with wildcard nibble", echo, opts, true},
		{"reply mismatch", echo, func() conf.UDPCheck { o := opts; o.Reply = []byte{0xbe}; o.ReplyMask = nil; return o }(), false},
		{"reply below min_reply_length", echo, func() conf.UDPCheck { o := opts; o.MinReplyLength = 10; return o }(), false},
		{"reply above max_reply_length", echo, func() conf.UDPCheck { o := opts; o.MaxReplyLength = 3; return o }(), false},
		{"reply shorter than expected compared as far as it goes", echo,
			func() conf.UDPCheck {
				o := opts
				o.Reply = []byte{0xde, 0xad, 0xbe, 0xef, 0x00, 0x11}
				o.ReplyMask = nil
				return o
			}(), true},
		{"required reply missing", silent, opts, false},
		{"no reply required, silence is up", silent, conf.UDPCheck{Payload: []byte("x")}, true},
		{"ICMP port unreachable is down", closedPort(t, "udp"), conf.UDPCheck{Payload: []byte("x")}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := (&UDP{Conn: Conn{Dst: tc.dst, Timeout: 300 * time.Millisecond}, Opts: tc.opts}).Check(context.Background(), 0)
			// The kernel rate-limits ICMP errors, and a freed port may be
			// taken by another test meanwhile: silence then reads as up.
			// Ask again, on a fresh port, after the rate limit's second.
			for try := 1; tc.name == "ICMP port unreachable is down" && r.OK && try < 3; try++ {
				time.Sleep(1100 * time.Millisecond)
				r = (&UDP{Conn: Conn{Dst: closedPort(t, "udp"), Timeout: 300 * time.Millisecond}, Opts: tc.opts}).Check(context.Background(), 0)
			}
			if r.OK != tc.ok {
				t.Fatalf("got %v, want ok=%v", r, tc.ok)
			}
		})
	}
}

func dnsServer(t *testing.T, rcode dnsmessage.RCode, qtype chan<- dnsmessage.Question) netip.AddrPort {
	return udpServer(t, func(b []byte) []byte {
		var m dnsmessage.Message
		if err := m.Unpack(b); err != nil || len(m.Questions) != 1 {
			return nil
		}
		qtype <- m.Questions[0]
		m.Header.Response, m.Header.RCode = true, rcode
		out, _ := m.Pack()
		return out
	})
}

func TestDNS(t *testing.T) {
	q := make(chan dnsmessage.Question, 4)
	ok := dnsServer(t, dnsmessage.RCodeSuccess, q)
	if r := (&DNS{Conn: Conn{Dst: ok, Timeout: time.Second}, Type: uint16(dnsmessage.TypeA), Name: "www.example.test"}).Check(context.Background(), 0); !r.OK {
		t.Fatal(r)
	}
	if got := <-q; got.Name.String() != "www.example.test." || got.Type != dnsmessage.TypeA {
		t.Errorf("question %v", got)
	}
	nx := dnsServer(t, dnsmessage.RCodeNameError, q)
	if r := (&DNS{Conn: Conn{Dst: nx, Timeout: time.Second}, Type: uint16(dnsmessage.TypeSOA)}).Check(context.Background(), 0); r.OK || r.Reason != "read error occurred. (rcode = 3)" {
		t.Fatalf("NXDOMAIN: got %v", r)
	}
	if got := <-q; got.Name.String() != "." {
		t.Errorf("default name %q, want root", got.Name.String())
	}
	silent := udpServer(t, func([]byte) []byte { return nil })
	if r := (&DNS{Conn: Conn{Dst: silent, Timeout: 300 * time.Millisecond}, Type: 6}).Check(context.Background(), 0); r.OK || r.Reason != "read timeout from socket" {
		t.Fatalf("silent server: got %v", r)
	}
	// a reply with the wrong ID is ignored, so this times out
	wrongID := udpServer(t, func(b []byte) []byte {
		var m dnsmessage.Message
		m.Unpack(b)
		m.Header.ID++
		m.Header.Response = true
		out, _ := m.Pack()
		return out
	})
	if r := (&DNS{Conn: Conn{Dst: wrongID, Timeout: 300 * time.Millisecond}, Type: 6}).Check(context.Background(), 0); r.OK {
		t.Fatal("reply with wrong ID accepted")
	}
	// a query echoed back (QR clear) is ignored too
	echo := udpServer(t, func(b []byte) []byte { return b })
	if r := (&DNS{Conn: Conn{Dst: echo, Timeout: 300 * time.Millisecond}, Type: 6}).Check(context.Background(), 0); r.OK || r.Reason != "read timeout from socket" {
		t.Fatalf("echoed query: got %v, want timeout", r)
	}
	// ICMP port unreachable reaches recv() as ECONNREFUSED
	refused := closedPort(t, "udp")
	if r := (&DNS{Conn: Conn{Dst: refused, Timeout: time.Second}, Type: 6}).Check(context.Background(), 0); r.OK || r.Reason != "failed to read socket; errno 111 (Connection refused)" {
		t.Fatalf("closed port: got %v", r)
	}
}

func TestPing(t *testing.T) {
	for _, a := range []string{"127.0.0.1", "::1"} {
		p := &Ping{Conn: Conn{Dst: netip.AddrPortFrom(netip.MustParseAddr(a), 0), Timeout: 2 * time.Second}}
		if _, _, err := p.listen(); err != nil {
			t.Skipf("no ICMP socket: %v", err)
		}
		if r := p.Check(context.Background(), 0); !r.OK {
			t.Errorf("ping %s: %v", a, r)
		}
	}
}

func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "check.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMisc(t *testing.T) {
	w := func(r Result) int64 {
		if r.Weight == nil {
			return -1
		}
		return *r.Weight
	}
	tests := []struct {
		name    string
		body    string
		args    []string
		dynamic bool
		ok      bool
		weight  int64 // -1: none
	}{
		{"exit 0 up", "exit 0", nil, false, true, -1},
		{"exit 1 down", "exit 1", nil, false, false, -1},
		{"exit 7 down without misc_dynamic", "exit 7", nil, false, false, -1},
		{"misc_dynamic exit 7 weight 5", "exit 7", nil, true, true, 5},
		{"misc_dynamic exit 0 restores weight", "exit 0", nil, true, true, 0},
		{"misc_dynamic exit 1 down", "exit 1", nil, true, false, -1},
		{"arguments passed", `[ "$1" = a ] && [ "$2" = "b c" ]`, []string{"a", "b c"}, false, true, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &Misc{Argv: append([]string{script(t, tc.body)}, tc.args...), Timeout: 5 * time.Second, Dynamic: tc.dynamic}
			r := m.Check(context.Background(), 0)
			if r.OK != tc.ok || w(r) != tc.weight {
				t.Fatalf("got %v weight %d, want ok=%v weight %d", r, w(r), tc.ok, tc.weight)
			}
		})
	}
}

func TestMiscTimeoutKillsGroup(t *testing.T) {
	dir := t.TempDir()
	pidf := filepath.Join(dir, "child.pid")
	// the script ignores SIGTERM and leaves a child: both must die
	m := &Misc{Argv: []string{script(t, "trap '' TERM\nsleep 30 &\necho $! > "+pidf+"\nwait")},
		Timeout: 200 * time.Millisecond, KillGrace: 200 * time.Millisecond}
	start := time.Now()
	r := m.Check(context.Background(), 0)
	if r.OK || r.Reason != "timed out" {
		t.Fatalf("got %v, want timeout", r)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("took %v", el)
	}
	b, err := os.ReadFile(pidf)
	if err != nil {
		t.Fatal(err)
	}
	pid := strings.TrimSpace(string(b))
	deadline := time.Now().Add(3 * time.Second)
	for {
		st, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil || strings.Contains(string(st), ") Z ") {
			break // gone or a zombie waiting for init
		}
		if time.Now().After(deadline) {
			t.Fatalf("child %s still running", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "track")
	for _, tc := range []struct {
		content string
		weight  int64
		reverse bool
		ok      bool
		w       int64 // -1 none
	}{
		{"0\n", 0, false, true, -1},
		{"3\n", 0, false, false, -1},
		{"3\n", 2, false, true, 6},
		{"3\n", 2, true, true, -6},
		{"-2147483648", 1, false, false, -1},
		{"garbage", 5, false, true, 0},
		{"0x10", 1, false, true, 16}, // strtol base 0, as keepalived
	} {
		os.WriteFile(p, []byte(tc.content), 0o600)
		r := (&File{Path: p, Weight: tc.weight, Reverse: tc.reverse}).Check(context.Background(), 0)
		got := int64(-1)
		if r.Weight != nil {
			got = *r.Weight
		}
		if r.OK != tc.ok || got != tc.w {
			t.Errorf("%q weight %d reverse %v: got %v weight %d, want ok=%v weight %d", tc.content, tc.weight, tc.reverse, r, got, tc.ok, tc.w)
		}
	}
	// An out-of-range number is ignored: the last value stays.
	f := &File{Path: p, Weight: 1}
	os.WriteFile(p, []byte("4"), 0o600)
	f.Check(context.Background(), 0)
	os.WriteFile(p, []byte("99999999999"), 0o600)
	if r := f.Check(context.Background(), 0); !r.OK || r.Weight == nil || *r.Weight != 4 {
		t.Errorf("out-of-range value: got %v", r)
	}
}

// fullBacklog returns a loopback listener whose accept queue is full:
// further SYNs are dropped, so a connect times out.
func fullBacklog(t *testing.T) netip.AddrPort {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	ap := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(sa.(*syscall.SockaddrInet4).Port))
	for range 4 { // fill the queue; later ones may already time out
		c, err := net.DialTimeout("tcp", ap.String(), 200*time.Millisecond)
		if err != nil {
			break
		}
		t.Cleanup(func() { c.Close() })
	}
	return ap
}

func TestTCPTimeoutAndBindIf(t *testing.T) {
	ap := fullBacklog(t)
	start := time.Now()
	r := (&TCP{Conn: Conn{Dst: ap, Timeout: 300 * time.Millisecond}}).Check(context.Background(), 0)
	if r.OK {
		t.Fatal("connect to a full accept queue reported up")
	}
	if el := time.Since(start); el < 250*time.Millisecond || el > 3*time.Second {
		t.Fatalf("failed after %v, want about connect_timeout (300ms): %v", el, r)
	}
	up := listen(t, func(net.Conn) {})
	if r := (&TCP{Conn: Conn{Dst: up, BindIf: "lo", Timeout: time.Second}}).Check(context.Background(), 0); !r.OK {
		t.Fatalf("bind_if lo: %v", r)
	}
	// keepalived gives no verdict when the socket cannot be bound
	r = (&TCP{Conn: Conn{Dst: up, BindIf: "nosuchif0", Timeout: time.Second}}).Check(context.Background(), 0)
	if want := "Checker can't bind to device nosuchif0: No such device\nTCP socket bind failed. Rescheduling."; r.OK || !r.NoVerdict || r.Reason != want {
		t.Fatalf("bind_if to a missing interface: %+v, want no verdict, %q", r, want)
	}
}

func TestMiscRunsAsUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch user")
	}
	u, err := osuser.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	m := &Misc{Argv: []string{"/bin/sh", "-c", `[ "$(id -u)" = "` + u.Uid + `" ]`}, Timeout: 5 * time.Second, User: "nobody"}
	if r := m.Check(context.Background(), 0); !r.OK {
		t.Fatalf("script did not run as nobody: %v", r)
	}
	m = &Misc{Argv: m.Argv, Timeout: m.Timeout} // a probe's user is fixed at its creation
	if r := m.Check(context.Background(), 0); r.OK {
		t.Fatal("script ran as nobody without a user set")
	}
}

// A socket SMTP_CHECK or DNS_CHECK cannot set up is no verdict, with
// layer4.c's line then the checker's (smtp_connect_thread,
// dns_connect_thread).
func TestSMTPDNSSetupNoVerdict(t *testing.T) {
	dst := closedPort(t, "tcp")
	for _, tc := range []struct {
		name string
		c    Checker
		want string
	}{
		{"SMTP bindto", &SMTP{Conn: Conn{Dst: dst, BindTo: netip.MustParseAddr("192.0.2.77"), Timeout: time.Second}},
			"Checker bind failed: Cannot assign requested address\nSMTP_CHECK socket bind failed. Rescheduling."},
		{"SMTP bind_if", &SMTP{Conn: Conn{Dst: dst, BindIf: "nosuchif0", Timeout: time.Second}},
			"Checker can't bind to device nosuchif0: No such device\nSMTP_CHECK socket bind failed. Rescheduling."},
		{"DNS bindto", &DNS{Conn: Conn{Dst: dst, BindTo: netip.MustParseAddr("192.0.2.77"), Timeout: time.Second}, Type: 1, Name: "example.test"},
			"Checker bind failed: Cannot assign requested address\nUDP socket bind failed. Rescheduling."},
		{"DNS bind_if", &DNS{Conn: Conn{Dst: dst, BindIf: "nosuchif0", Timeout: time.Second}, Type: 1, Name: "example.test"},
			"Checker can't bind to device nosuchif0: No such device\nUDP socket bind failed. Rescheduling."},
	} {
		if r := tc.c.Check(context.Background(), 0); r.OK || !r.NoVerdict || r.Reason != tc.want {
			t.Errorf("%s: %+v, want no verdict %q", tc.name, r, tc.want)
		}
	}
	// connect(2) refusing the destination is a verdict
	s := &SMTP{Conn: Conn{Dst: netip.MustParseAddrPort("255.255.255.255:25"), Timeout: time.Second}, RS: netip.MustParseAddrPort("192.0.2.9:25")}
	if r := s.Check(context.Background(), 0); r.OK || r.NoVerdict || r.Reason != "Network unreachable for server 255.255.255.255 - real server [192.0.2.9]:25" {
		t.Errorf("SMTP broadcast: %+v", r)
	}
}

// TestSMTPEndlessLineIsBounded: a server that sends a line without end
// costs the checker keepalived's 512-byte buffer, not memory without
// bound, and the check fails at its read timeout.
func TestSMTPEndlessLineIsBounded(t *testing.T) {
	var sent atomic.Int64
	ap := listen(t, func(c net.Conn) {
		io.WriteString(c, "220 ")
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for {
			n, err := c.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	s := &SMTP{Conn: Conn{Dst: ap, Timeout: 700 * time.Millisecond}, Helo: "lb"}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := s.Check(context.Background(), 0)
	runtime.ReadMemStats(&after)
	if r.OK || !strings.Contains(r.Reason, "Read timeout from server") {
		t.Errorf("endless line: %+v, want a read timeout", r)
	}
	if sent.Load() < 4<<20 {
		t.Fatalf("the server sent only %d bytes", sent.Load())
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("reading %d bytes of one line allocated %d bytes", sent.Load(), grew)
	}
}
