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
	select {
	case err := <-ch:
		select {
		case <-ch:
			t.Fatal("done called twice")
		case <-time.After(10 * time.Millisecond):
		}
		return err
	case <-time.After(o.Timeout + 5*time.Second):
		t.Fatal("done never called")
	}
	return nil
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
