// Package probe holds the health checkers that talk to real servers:
// TCP_CHECK, HTTP_GET, SSL_GET, SMTP_CHECK, UDP_CHECK, DNS_CHECK,
// PING_CHECK, MISC_CHECK and FILE_CHECK, each behind Checker.
//
// A probe performs one attempt and reports what happened; retries,
// delays and up/down state belong to check/state.
package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/gokeepalived/gokeepalived/check/probe/internal/poller"
	"github.com/gokeepalived/gokeepalived/conf"
)

// Result is the outcome of one attempt.
type Result struct {
	OK bool
	// Reason is keepalived's wording of a failure where it has one
	// (e.g. "HTTP status code error to"); Err is the underlying error.
	Reason string
	Err    error
	// Weight is set by MISC_CHECK misc_dynamic and FILE_CHECK. With
	// Absolute it is the real server's new weight (misc_dynamic exit
	// code − 2); otherwise it is the checker's contribution added to
	// the configured weight (0 restores it; FILE_CHECK value × weight).
	Weight   *int64
	Absolute bool
	// NoVerdict: the attempt could not be made (no socket, bind
	// failed); keepalived logs Reason (one line per \n) and tries again
	// after delay_loop without changing the checker's state.
	NoVerdict bool
}

func fail(reason string, err error) Result { return Result{Reason: reason, Err: err} }

func (r Result) String() string {
	if r.OK {
		return "ok"
	}
	if r.Err != nil {
		return r.Reason + ": " + r.Err.Error()
	}
	return r.Reason
}

// Checker is one health checker. Check runs one attempt; step is the
// url{} index for HTTP_GET/SSL_GET and 0 otherwise. Each probe bounds
// its own steps by the checker's timeout; Check returns soon after ctx
// ends.
type Checker interface {
	Check(ctx context.Context, step int) Result
}

// Conn holds the connection options common to network checkers.
type Conn struct {
	Dst      netip.AddrPort
	BindTo   netip.Addr
	BindPort uint16
	BindIf   string
	FWMark   uint32
	Timeout  time.Duration
}

// ConnFrom converts conf's connection options.
func ConnFrom(c *conf.ConnOpts) Conn {
	return Conn{Dst: c.Dst, BindTo: c.BindTo, BindPort: c.BindPort, BindIf: c.BindIf, FWMark: c.FWMark, Timeout: c.ConnectTimeout}
}

// dialer returns a net.Dialer honouring bindto, bind_port, bind_if and
// fwmark (SO_MARK, for checking DR/TUN servers through the VIP).
func (c Conn) dialer(network string) *net.Dialer {
	d := &net.Dialer{Timeout: c.Timeout}
	if c.BindTo.IsValid() || c.BindPort != 0 {
		ip := net.IP(c.BindTo.AsSlice())
		if network[:3] == "udp" {
			d.LocalAddr = &net.UDPAddr{IP: ip, Port: int(c.BindPort)}
		} else {
			d.LocalAddr = &net.TCPAddr{IP: ip, Port: int(c.BindPort)}
		}
	}
	if c.FWMark != 0 || c.BindIf != "" {
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				if c.FWMark != 0 {
					serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_MARK, int(c.FWMark))
				}
				if serr == nil && c.BindIf != "" {
					serr = syscall.BindToDevice(int(fd), c.BindIf)
				}
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	return d
}

func (c Conn) dst() netip.AddrPort {
	a := c.Dst.Addr()
	if c.BindIf != "" && a.Is6() && a.IsLinkLocalUnicast() && a.Zone() == "" {
		a = a.WithZone(c.BindIf)
	}
	return netip.AddrPortFrom(a, c.Dst.Port())
}

// dial connects with connect_timeout bounding the connect.
func (c Conn) dial(ctx context.Context, network string) (net.Conn, error) {
	return c.dialer(network).DialContext(ctx, network, c.dst().String())
}

// connectTCP connects as the poller's attempts do (the same socket
// set-up, errors and connect_timeout) and returns the socket as a
// net.Conn, for the probes that talk over one.
func (c Conn) connectTCP(ctx context.Context) (net.Conn, error) {
	p, err := poller.Default()
	if err != nil {
		return nil, err
	}
	o := c.pollOpts(false)
	type dialed struct {
		fd  int
		err error
	}
	ch := make(chan dialed, 1)
	p.Dial(&o, func(fd int, err error) { ch <- dialed{fd, err} })
	var d dialed
	select {
	case d = <-ch:
	case <-ctx.Done():
		go func() { // the poller ends the attempt by connect_timeout
			if d := <-ch; d.err == nil {
				syscall.Close(d.fd)
			}
		}()
		return nil, ctx.Err()
	}
	if d.err != nil {
		return nil, d.err
	}
	return fileConn(d.fd)
}

// connectUDP is connectTCP for a UDP socket (DNS_CHECK).
func (c Conn) connectUDP() (net.Conn, error) {
	o := c.pollOpts(false)
	fd, err := poller.DialUDP(&o)
	if err != nil {
		return nil, err
	}
	return fileConn(fd)
}

// fileConn makes a net.Conn of a socket, which it takes over.
func fileConn(fd int) (net.Conn, error) {
	f := os.NewFile(uintptr(fd), "")
	nc, err := net.FileConn(f) // a dup, in the runtime's netpoller
	f.Close()
	return nc, err
}

// setupResult is the no-verdict result of a socket that could not be
// set up (a *poller.SetupError): keepalived logs layer4.c's line for
// it, if any, then the checker's own, and reschedules.
func setupResult(err error, socketMsg, bindMsg string) (Result, bool) {
	var se *poller.SetupError
	if !errors.As(err, &se) {
		return Result{}, false
	}
	if se.Socket {
		return Result{NoVerdict: true, Reason: socketMsg, Err: err}, true
	}
	r := Result{NoVerdict: true, Reason: bindMsg, Err: err}
	if se.Msg != "" {
		r.Reason = se.Msg + "\n" + r.Reason
	}
	return r, true
}

// pollOpts converts c for the poller.
func (c Conn) pollOpts(reset bool) poller.Opts {
	o := poller.Opts{Dst: c.dst(), BindTo: c.BindTo, BindPort: c.BindPort, BindIf: c.BindIf,
		FWMark: c.FWMark, Timeout: c.Timeout, Reset: reset}
	if o.Timeout <= 0 {
		o.Timeout = time.Hour
	}
	o.Prepare()
	return o
}

// withTimeout bounds a whole exchange by the checker's timeout.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// deadline applies ctx's deadline to a connection.
func deadline(ctx context.Context, nc net.Conn) {
	if t, ok := ctx.Deadline(); ok {
		nc.SetDeadline(t)
	}
}

// TCP is TCP_CHECK: success when the connect completes in time. Its
// attempts run on the shared poller (no goroutine or net.Conn each).
type TCP struct {
	Conn Conn
	// Reset closes with RST (SO_LINGER 0) instead of FIN: no TIME_WAIT
	// left behind. keepalived closes normally.
	Reset bool

	once sync.Once
	opts poller.Opts
	done func(Result) // Start's callback; one attempt in flight at a time
	cb   func(error)  // t.finish, bound once
}

func (t *TCP) init() {
	t.once.Do(func() {
		t.opts = t.Conn.pollOpts(t.Reset)
		t.cb = t.finish
	})
}

func tcpResult(err error) Result {
	if err == nil {
		return Result{OK: true}
	}
	if r, ok := setupResult(err, "TCP connect fail to create socket. Rescheduling.", "TCP socket bind failed. Rescheduling."); ok {
		return r
	}
	return fail("TCP connection failed", err)
}

func (t *TCP) finish(err error) {
	done := t.done
	t.done = nil
	done(tcpResult(err))
}

// Start begins one attempt and calls done with its result, usually from
// the poller's goroutine. Attempts of one TCP must not overlap.
func (t *TCP) Start(_ int, done func(Result)) {
	t.init()
	p, err := poller.Default()
	if err != nil {
		done(fail("TCP connection failed", err))
		return
	}
	t.done = done
	p.Connect(&t.opts, t.cb)
}

func (t *TCP) Check(ctx context.Context, _ int) Result {
	t.init()
	p, err := poller.Default()
	if err != nil {
		return fail("TCP connection failed", err)
	}
	ch := make(chan Result, 1)
	p.Connect(&t.opts, func(err error) { ch <- tcpResult(err) })
	select {
	case r := <-ch:
		return r
	case <-ctx.Done():
		return fail("TCP connection failed", ctx.Err())
	}
}

// Async is a Checker whose attempts need not block a goroutine: Start
// must return at once and call done exactly once with the result.
type Async interface {
	Checker
	Start(step int, done func(Result))
}

// New builds the probe for a configured checker. vs and rs give the
// virtualhost fall-back; ssl is the global SSL block (may be nil);
// scriptUser/Group are global_defs script_user, MISC_CHECK's default.
func New(c *conf.Checker, rs *conf.RealServer, vs *conf.VirtualServer, ssl *conf.SSLConfig, trackFiles []*conf.TrackFile, scriptUser, scriptGroup string) (Checker, error) {
	switch c.Type {
	case conf.CheckTCP:
		return &TCP{Conn: ConnFrom(c.Conn)}, nil
	case conf.CheckHTTP, conf.CheckSSL:
		h, err := NewHTTP(c, rs, vs, ssl)
		if err != nil {
			return nil, err
		}
		if h.TLS != nil {
			return blocking{h}, nil
		}
		return h, nil
	case conf.CheckSMTP:
		return &SMTP{Conn: ConnFrom(c.Conn), Helo: c.SMTP.HeloName, RS: netip.AddrPortFrom(rs.Addr, rs.Port)}, nil
	case conf.CheckUDP:
		return &UDP{Conn: ConnFrom(c.Conn), Opts: *c.UDP}, nil
	case conf.CheckDNS:
		return &DNS{Conn: ConnFrom(c.Conn), Type: c.DNS.TypeCode, Name: c.DNS.Name}, nil
	case conf.CheckPing:
		return &Ping{Conn: ConnFrom(c.Conn)}, nil
	case conf.CheckMisc:
		m := &Misc{Timeout: c.Misc.Timeout, Dynamic: c.Misc.Dynamic, User: c.Misc.User, Group: c.Misc.Group}
		if c.Misc.Script != nil {
			m.Argv = c.Misc.Script.Exec()
			if m.User == "" {
				m.User, m.Group = c.Misc.Script.User, c.Misc.Script.Group
			}
		}
		if m.User == "" {
			m.User, m.Group = scriptUser, scriptGroup
		}
		return m, nil
	case conf.CheckFile:
		for _, tf := range trackFiles {
			if tf.Name == c.File.TrackFile {
				f := &File{Path: tf.File, Weight: int64(tf.Weight), Reverse: tf.Reverse}
				if c.File.Weight != nil {
					f.Weight, f.Reverse = int64(*c.File.Weight), c.File.Reverse
				}
				return f, nil
			}
		}
		return nil, fmt.Errorf("FILE_CHECK: track_file %q not found", c.File.TrackFile)
	}
	return nil, fmt.Errorf("checker type %s not supported", c.Type)
}

// blocking hides a probe's Start: SSL_GET runs its TLS over a net.Conn,
// on the engine's worker pool.
type blocking struct{ Checker }

// aLongTimeAgo unblocks pending I/O when a context ends.
var aLongTimeAgo = time.Unix(1, 0)
