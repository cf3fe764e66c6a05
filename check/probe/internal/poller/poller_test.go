package poller

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func listen(t *testing.T, network, addr string) (net.Listener, netip.AddrPort) {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln, netip.MustParseAddrPort(ln.Addr().String())
}

func connect(t *testing.T, p *Poller, o Opts) error {
	t.Helper()
	ch := make(chan error, 2)
	p.Connect(&o, func(err error) { ch <- err })
	return doneOnce(t, ch, o.Timeout+5*time.Second)
}

// doneOnce waits for an attempt's one completion on ch and checks that
// no second one follows.
func doneOnce[T any](t *testing.T, ch chan T, limit time.Duration) T {
	t.Helper()
	var zero T
	select {
	case v := <-ch:
		select {
		case <-ch:
			t.Fatal("done called twice")
		case <-time.After(10 * time.Millisecond):
		}
		return v
	case <-time.After(limit):
		t.Fatal("done never called")
	}
	return zero
}

func openFDs(t *testing.T) int {
	d, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(d)
}

func TestConnect(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	_, up := listen(t, "tcp", "127.0.0.1:0")
	_, up6 := listen(t, "tcp6", "[::1]:0")
	ln, down := listen(t, "tcp", "127.0.0.1:0")
	ln.Close()
	fds := openFDs(t)
	if err := connect(t, p, Opts{Dst: up, Timeout: time.Second}); err != nil {
		t.Fatalf("listener: %v", err)
	}
	if err := connect(t, p, Opts{Dst: up6, Timeout: time.Second}); err != nil {
		t.Fatalf("IPv6 listener: %v", err)
	}
	if err := connect(t, p, Opts{Dst: down, Timeout: time.Second}); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("closed port: %v, want ECONNREFUSED", err)
	}
	if err := connect(t, p, Opts{Dst: up, BindIf: "nosuchif0", Timeout: time.Second}); err == nil {
		t.Fatal("bind_if to a missing interface connected")
	}
	// many at once, all answered, no socket left open
	const n = 500
	ch := make(chan error, n)
	for range n {
		p.Connect(&Opts{Dst: up, Timeout: 2 * time.Second}, func(err error) { ch <- err })
	}
	for range n {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	if got := openFDs(t); got != fds {
		t.Errorf("%d fds open, %d before", got, fds)
	}
}

// A full accept queue drops SYNs: the attempt ends at its timeout.
func TestTimeout(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	ap := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(sa.(*syscall.SockaddrInet4).Port))
	for range 4 { // fill the queue
		c, err := net.DialTimeout("tcp", ap.String(), 200*time.Millisecond)
		if err != nil {
			break
		}
		t.Cleanup(func() { c.Close() })
	}
	fds := openFDs(t)
	start := time.Now()
	// an attempt with a later deadline must not hold up an earlier one
	late := make(chan error, 1)
	p.Connect(&Opts{Dst: ap, Timeout: 3 * time.Second}, func(err error) { late <- err })
	err = connect(t, p, Opts{Dst: ap, Timeout: 300 * time.Millisecond})
	el := time.Since(start)
	if !IsTimeout(err) {
		t.Fatalf("err %v, want timeout", err)
	}
	if el < 290*time.Millisecond || el > 1500*time.Millisecond {
		t.Fatalf("timed out after %v, want 300ms", el)
	}
	if err := <-late; !IsTimeout(err) {
		t.Fatalf("late attempt: %v", err)
	}
	if got := openFDs(t); got != fds {
		t.Errorf("%d fds open, %d before", got, fds)
	}
}

// The default close is a FIN (as keepalived's); Reset sends an RST.
func TestClose(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	ln, up := listen(t, "tcp", "127.0.0.1:0")
	for _, reset := range []bool{false, true} {
		if err := connect(t, p, Opts{Dst: up, Timeout: time.Second, Reset: reset}); err != nil {
			t.Fatal(err)
		}
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, err = c.Read(make([]byte, 1))
		c.Close()
		if reset && !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("Reset: server read %v, want ECONNRESET", err)
		}
		if !reset && err != io.EOF {
			t.Errorf("server read %v, want EOF", err)
		}
	}
}

// collect is a Reader that keeps everything and is complete at want
// bytes (0: at EOF).
type collect struct {
	got  []byte
	want int
}

func (c *collect) Data(b []byte) bool {
	c.got = append(c.got, b...)
	return c.want > 0 && len(c.got) >= c.want
}

type xresult struct {
	stage Stage
	err   error
}

func exchange(t *testing.T, p *Poller, o Opts, req string, r Reader) xresult {
	t.Helper()
	ch := make(chan xresult, 2)
	p.Exchange(&o, []byte(req), r, func(s Stage, err error) { ch <- xresult{s, err} })
	return doneOnce(t, ch, o.Timeout+5*time.Second)
}

func TestExchange(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	// echo: answers "re:" and the 5-byte request, then closes
	ln, echo := listen(t, "tcp", "127.0.0.1:0")
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				b := make([]byte, 5)
				if _, err := io.ReadFull(c, b); err == nil {
					c.Write(append([]byte("re:"), b...))
				}
			}()
		}
	}()
	silentLn, silent := listen(t, "tcp", "127.0.0.1:0")
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := silentLn.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	down := closedAddr(t)
	fds := openFDs(t)

	c := &collect{}
	if r := exchange(t, p, Opts{Dst: echo, Timeout: time.Second}, "hello", c); r.err != nil || r.stage != Reading || string(c.got) != "re:hello" {
		t.Fatalf("to EOF: %+v, got %q", r, c.got)
	}
	c = &collect{want: 4}
	if r := exchange(t, p, Opts{Dst: echo, Timeout: time.Second}, "hello", c); r.err != nil || len(c.got) < 4 {
		t.Fatalf("complete: %+v, got %q", r, c.got)
	}
	start := time.Now()
	if r := exchange(t, p, Opts{Dst: silent, Timeout: 300 * time.Millisecond}, "hello", &collect{}); !IsTimeout(r.err) || r.stage != Receiving {
		t.Fatalf("silent: %+v", r)
	}
	if el := time.Since(start); el < 290*time.Millisecond || el > 1500*time.Millisecond {
		t.Fatalf("silent timed out after %v, want 300ms", el)
	}
	(<-accepted).Close()
	if r := exchange(t, p, Opts{Dst: down, Timeout: time.Second}, "hello", &collect{}); !errors.Is(r.err, syscall.ECONNREFUSED) || r.stage != Connecting {
		t.Fatalf("refused: %+v", r)
	}
	var se *SetupError
	if r := exchange(t, p, Opts{Dst: echo, BindIf: "nosuchif0", Timeout: time.Second}, "hello", &collect{}); !errors.As(r.err, &se) || r.stage != Connecting {
		t.Fatalf("bind_if to a missing interface: %+v", r)
	}
	// connect(2) itself refuses a broadcast destination (ENETUNREACH)
	var cf *ConnectFail
	if r := exchange(t, p, Opts{Dst: netip.MustParseAddrPort("255.255.255.255:80"), Timeout: time.Second}, "hello", &collect{}); !errors.As(r.err, &cf) || r.stage != Connecting {
		t.Fatalf("broadcast: %+v", r)
	}
	// many at once, all answered, no socket left open
	const n = 300
	ch := make(chan error, n)
	for range n {
		c := &collect{}
		p.Exchange(&Opts{Dst: echo, Timeout: 5 * time.Second}, []byte("hello"), c, func(_ Stage, err error) {
			if err == nil && string(c.got) != "re:hello" {
				err = errors.New("got " + string(c.got))
			}
			ch <- err
		})
	}
	for range n {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	if got := openFDs(t); got != fds {
		t.Errorf("%d fds open, %d before", got, fds)
	}
}

func closedAddr(t *testing.T) netip.AddrPort {
	ln, ap := listen(t, "tcp", "127.0.0.1:0")
	ln.Close()
	return ap
}

// Each read has its own timeout: a response trickled with gaps shorter
// than it completes however long it takes in all; a longer gap ends it
// (Reading, as some bytes came).
func TestExchangeStageTimeouts(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	trickle := func(gap time.Duration) netip.AddrPort {
		ln, ap := listen(t, "tcp", "127.0.0.1:0")
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					c.Read(make([]byte, 5))
					for range 6 {
						if _, err := c.Write([]byte("x")); err != nil {
							return
						}
						time.Sleep(gap)
					}
				}()
			}
		}()
		return ap
	}
	start := time.Now()
	c := &collect{}
	if r := exchange(t, p, Opts{Dst: trickle(100 * time.Millisecond), Timeout: 300 * time.Millisecond}, "hello", c); r.err != nil || r.stage != Reading || string(c.got) != "xxxxxx" {
		t.Fatalf("steady: %+v, got %q", r, c.got)
	}
	if el := time.Since(start); el < 550*time.Millisecond {
		t.Fatalf("steady: done after %v, before the whole response", el)
	}
	c = &collect{}
	if r := exchange(t, p, Opts{Dst: trickle(time.Second), Timeout: 300 * time.Millisecond}, "hello", c); !IsTimeout(r.err) || r.stage != Reading || string(c.got) != "x" {
		t.Fatalf("gap: %+v, got %q", r, c.got)
	}
}

// Dial hands over a connected socket; DialUDP sets up as Setup does.
func TestDial(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	ln, ap := listen(t, "tcp", "127.0.0.1:0")
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Write([]byte("hi"))
			c.Close()
		}
	}()
	type dialed struct {
		fd  int
		err error
	}
	dial := func(o Opts) dialed {
		ch := make(chan dialed, 1)
		p.Dial(&o, func(fd int, err error) { ch <- dialed{fd, err} })
		return <-ch
	}
	d := dial(Opts{Dst: ap, Timeout: time.Second})
	if d.err != nil {
		t.Fatal(d.err)
	}
	unix.SetNonblock(d.fd, false)
	b := make([]byte, 8)
	n, err := unix.Read(d.fd, b)
	unix.Close(d.fd)
	if err != nil || string(b[:n]) != "hi" {
		t.Fatalf("read %q, %v", b[:n], err)
	}
	if d := dial(Opts{Dst: closedAddr(t), Timeout: time.Second}); d.fd != -1 || !errors.Is(d.err, syscall.ECONNREFUSED) {
		t.Fatalf("refused: %+v", d)
	}
	var se *SetupError
	if d := dial(Opts{Dst: ap, BindTo: netip.MustParseAddr("192.0.2.77"), Timeout: time.Second}); !errors.As(d.err, &se) || se.Msg != "Checker bind failed: Cannot assign requested address" {
		t.Fatalf("bindto not local: %+v", d)
	}
	if _, err := DialUDP(&Opts{Dst: ap, BindIf: "nosuchif0"}); !errors.As(err, &se) || se.Msg != "Checker can't bind to device nosuchif0: No such device" {
		t.Fatalf("UDP bind_if to a missing interface: %v", err)
	}
	fd, err := DialUDP(&Opts{Dst: ap})
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
}
