// Package poller runs TCP connect attempts (TCP_CHECK) and small
// request/response exchanges (HTTP_GET) without a goroutine or a
// net.Conn each: non-blocking sockets in one epoll set, watched by one
// goroutine with one deadline heap, as keepalived's event loop does —
// minus its lingering close, which blocks that loop until the peer
// acknowledges the FIN.
package poller

import (
	"container/heap"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Opts is one connect attempt.
type Opts struct {
	Dst      netip.AddrPort
	BindTo   netip.Addr
	BindPort uint16
	BindIf   string
	FWMark   uint32
	Timeout  time.Duration
	// MaxTime bounds a whole Exchange (0: none): each stage's deadline
	// is renewed by progress, so a server trickling a body, or sending
	// one without end, would otherwise hold the check for ever.
	MaxTime time.Duration
	// Reset closes with RST (SO_LINGER 0) instead of FIN.
	Reset bool

	raw rawAddr // Dst, made once by Prepare
}

// Prepare converts Dst once, so attempts allocate nothing for it. Call
// it before sharing o between goroutines.
func (o *Opts) Prepare() { o.raw = o.rawAddr() }

func (o *Opts) rawAddr() rawAddr {
	var zone uint32
	if sa, ok := sockaddr(o.Dst).(*unix.SockaddrInet6); ok {
		zone = sa.ZoneId
	}
	return makeRawAddr(o.Dst, zone)
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "connect timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// ErrTimeout is the result of an attempt that did not connect in time.
var ErrTimeout error = timeoutError{}

// Reader takes a response as it arrives, on the poller's goroutine.
type Reader interface {
	// Data is given the bytes of each read (valid only during the call)
	// and reports whether the response is complete.
	Data(b []byte) bool
}

// Stage is how far an exchange got. Each stage has its own deadline,
// o.Timeout from its start, as keepalived's check_http.c: the connect,
// the request, the wait for the first response bytes, and then each
// further read.
type Stage uint8

const (
	Connecting Stage = iota
	Sending
	Receiving // request sent, nothing received yet
	Reading   // some of the response received
)

// ConnectFail is connect(2) itself failing with an unreachable network
// or host, refused or reset (layer4.c connect_fail): a failed check,
// unlike a SetupError, and worded apart from a connect that fails
// later (SO_ERROR).
type ConnectFail struct{ Err error }

func (e *ConnectFail) Error() string { return e.Err.Error() }
func (e *ConnectFail) Unwrap() error { return e.Err }

// SockoptError is getsockopt(SO_ERROR) failing on a connecting socket
// (check_http.c "Error connecting").
type SockoptError struct{ Err error }

func (e *SockoptError) Error() string { return e.Err.Error() }
func (e *SockoptError) Unwrap() error { return e.Err }

type attempt struct {
	fd       int
	deadline time.Duration // since Poller.base
	timeout  time.Duration // Exchange: each stage's
	end      time.Duration // Exchange: the whole exchange's, since base; 0: none
	renew    bool          // set by step: a new stage (or read) began
	idx      int
	done     func(error)      // Connect
	fdone    func(int, error) // Dial: given the connected socket
	// Exchange: xdone is its callback, req what is left to send
	xdone func(Stage, error)
	stage Stage
	req   []byte
	r     Reader
	// set by step, off the lock: the attempt is over with err
	over bool
	err  error
}

type attempts []*attempt

func (h attempts) Len() int           { return len(h) }
func (h attempts) Less(i, j int) bool { return h[i].deadline < h[j].deadline }
func (h attempts) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}
func (h *attempts) Push(x any) {
	a := x.(*attempt)
	a.idx = len(*h)
	*h = append(*h, a)
}
func (h *attempts) Pop() any {
	old := *h
	a := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return a
}

type completion struct {
	done  func(error)
	fdone func(int, error)
	fd    int
	xdone func(Stage, error)
	stage Stage
	err   error
}

// Poller watches attempts in flight. The zero value is not usable; use
// Default or New.
type Poller struct {
	base time.Time
	epfd int
	// The loop waits for the epoll set in the runtime's netpoller, with
	// the file's read deadline as its timeout: no thread sits in
	// epoll_wait (which keeps sysmon polling every 20 µs to retake its
	// P), and an earlier deadline needs no wake-up, only a new deadline.
	ep     *os.File
	rc     syscall.RawConn
	events []unix.EpollEvent
	nev    int
	wait   func(fd uintptr) bool
	fileDL time.Duration // ep's read deadline; -1: none

	mu       sync.Mutex
	byFD     []*attempt // indexed by fd
	dl       attempts
	sleeping time.Duration // when the loop wakes at the latest; -1: never
	free     []*attempt
	out      []completion
	rbuf     []byte // the loop's read buffer, shared by all exchanges
}

var (
	defOnce sync.Once
	def     *Poller
	defErr  error
)

// Default returns the process-wide poller, started on first use.
func Default() (*Poller, error) {
	defOnce.Do(func() { def, defErr = New() })
	return def, defErr
}

// New starts a poller and its goroutine (which lives as long as the
// process, like the runtime's own netpoller).
func New() (*Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	// non-blocking, so that os.NewFile hands it to the netpoller
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		return nil, err
	}
	p := &Poller{base: time.Now(), epfd: epfd, ep: os.NewFile(uintptr(epfd), "poller"), sleeping: -1,
		fileDL: -1, events: make([]unix.EpollEvent, 256)}
	rc, err := p.ep.SyscallConn()
	if err != nil {
		p.ep.Close()
		return nil, err
	}
	p.rc = rc
	p.wait = func(fd uintptr) bool {
		n, _ := unix.EpollWait(int(fd), p.events, 0)
		p.nev = max(n, 0)
		return n != 0 // -1 (EINTR): look again
	}
	go p.loop()
	return p, nil
}

// sleepUntil sets when the loop wakes at the latest: -1 never, 0 it is
// awake. p.mu held.
func (p *Poller) sleepUntil(d time.Duration) {
	p.sleeping = d
	if d == 0 || d == p.fileDL {
		return
	}
	p.fileDL = d
	var t time.Time
	if d > 0 {
		t = p.base.Add(d)
	}
	p.ep.SetReadDeadline(t)
}

func sockaddr(ap netip.AddrPort) unix.Sockaddr {
	a := ap.Addr()
	if a.Is4() || a.Is4In6() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: a.Unmap().As4()}
	}
	sa := &unix.SockaddrInet6{Port: int(ap.Port()), Addr: a.As16()}
	if z := a.Zone(); z != "" {
		if ifi, err := net.InterfaceByName(z); err == nil {
			sa.ZoneId = uint32(ifi.Index)
		} else if n, err := strconv.ParseUint(z, 10, 32); err == nil {
			sa.ZoneId = uint32(n)
		}
	}
	return sa
}

// Setup applies the connection options (SO_MARK, SO_BINDTODEVICE, bind,
// SO_LINGER 0 with Reset) to a new socket, as layer4.c
// socket_bind_connect does, with its log line in a *SetupError.
func Setup(fd int, o *Opts) error {
	if o.FWMark != 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_MARK, int(o.FWMark)); err != nil {
			return &SetupError{Msg: fmt.Sprintf("Error setting fwmark %d to socket: %s", o.FWMark, Strerror(err)), Err: err}
		}
	}
	if o.BindIf != "" {
		if err := unix.BindToDevice(fd, o.BindIf); err != nil {
			return &SetupError{Msg: fmt.Sprintf("Checker can't bind to device %s: %s", o.BindIf, Strerror(err)), Err: err}
		}
	}
	if o.BindTo.IsValid() || o.BindPort != 0 {
		b := o.BindTo
		if !b.IsValid() {
			b = netip.IPv4Unspecified()
			if o.Dst.Addr().Is6() && !o.Dst.Addr().Is4In6() {
				b = netip.IPv6Unspecified()
			}
		}
		if err := unix.Bind(fd, sockaddr(netip.AddrPortFrom(b, o.BindPort))); err != nil {
			return &SetupError{Msg: "Checker bind failed: " + Strerror(err), Err: err}
		}
	}
	if o.Reset {
		if err := unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0}); err != nil {
			return err
		}
	}
	return nil
}

// Connect starts one attempt; done is called exactly once, from the
// poller's goroutine or, when the attempt ends at once, from the caller's,
// with nil on success, ErrTimeout, or the connect error. The socket is
// closed before done is called.
func (p *Poller) Connect(o *Opts, done func(error)) {
	fd, connected, err := dial(o)
	switch {
	case err != nil:
		done(err)
		return
	case connected:
		rawClose(fd)
		done(nil)
		return
	}
	a := p.alloc()
	a.fd, a.done = fd, done
	p.add(a, time.Since(p.base)+o.Timeout, unix.EPOLLOUT)
}

// Dial connects as Connect does but hands the connected socket (still
// non-blocking, in no epoll set) to done, which owns it; on failure fd
// is -1.
func (p *Poller) Dial(o *Opts, done func(fd int, err error)) {
	fd, connected, err := dial(o)
	switch {
	case err != nil:
		done(-1, err)
		return
	case connected:
		done(fd, nil)
		return
	}
	a := p.alloc()
	a.fd, a.fdone = fd, done
	p.add(a, time.Since(p.base)+o.Timeout, unix.EPOLLOUT)
}

// DialUDP makes a connected UDP socket set up as Setup does (layer4.c
// socket_bind_connect, which DNS_CHECK uses); connect(2) errors are a
// *ConnectFail or, for other errnos, a *SetupError.
func DialUDP(o *Opts) (int, error) {
	family := unix.AF_INET
	if dst := o.Dst.Addr(); dst.Is6() && !dst.Is4In6() {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return -1, &SetupError{Socket: true, Err: err}
	}
	if err := Setup(fd, o); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if err := unix.Connect(fd, sockaddr(o.Dst)); err != nil {
		unix.Close(fd)
		if connectFail(err) {
			return -1, &ConnectFail{Err: err}
		}
		return -1, &SetupError{Err: err}
	}
	return fd, nil
}

func connectFail(err error) bool {
	switch err {
	case unix.ENETUNREACH, unix.EHOSTUNREACH, unix.ECONNREFUSED, unix.EHOSTDOWN,
		unix.ENETDOWN, unix.ECONNRESET, unix.ECONNABORTED, unix.ETIMEDOUT:
		return true
	}
	return false
}

// Exchange connects, sends req and feeds what comes back to r until r
// has it all, EOF or an error, each Stage within o.Timeout. done is
// called exactly once, as Connect's, with the stage reached and nil (r
// complete or EOF), ErrTimeout, a *SetupError or *ConnectFail
// (Connecting) or the error met. req and r must stay untouched until
// then.
func (p *Poller) Exchange(o *Opts, req []byte, r Reader, done func(Stage, error)) {
	fd, connected, err := dial(o)
	if err != nil {
		done(Connecting, err)
		return
	}
	stage, events := Connecting, uint32(unix.EPOLLOUT)
	if connected {
		// a request fits the socket buffer: it goes now, and the next
		// event is the response
		n, err := rawWrite(fd, req)
		switch {
		case err == unix.EAGAIN:
			stage = Sending
		case err != nil:
			rawClose(fd)
			done(Sending, err)
			return
		case n < len(req):
			stage, req = Sending, req[n:]
		default:
			stage, events = Receiving, unix.EPOLLIN
		}
	}
	a := p.alloc()
	a.fd, a.xdone, a.stage, a.req, a.r, a.timeout = fd, done, stage, req, r, o.Timeout
	now := time.Since(p.base)
	a.end = 0
	if o.MaxTime > 0 {
		a.end = now + o.MaxTime
	}
	// the connect's deadline, or the request's or response's when the
	// connect completed at once: o.Timeout from now either way
	p.add(a, a.renewed(now), events)
}

// dial makes a non-blocking socket and starts connecting it; connected
// reports a handshake already complete (loopback). On error the socket
// is closed.
func dial(o *Opts) (fd int, connected bool, err error) {
	dst := o.Dst.Addr()
	family := unix.AF_INET
	if dst.Is6() && !dst.Is4In6() {
		family = unix.AF_INET6
	}
	fd, err = rawSocket(family)
	if err != nil {
		return -1, false, &SetupError{Socket: true, Err: err}
	}
	if err := Setup(fd, o); err != nil {
		rawClose(fd)
		return -1, false, err
	}
	sa := &o.raw
	if sa.len == 0 {
		r := o.rawAddr()
		sa = &r
	}
	switch err := rawConnect(fd, sa); err {
	case nil:
		return fd, true, nil
	case unix.EINPROGRESS:
	case unix.ENETUNREACH, unix.EHOSTUNREACH, unix.ECONNREFUSED, unix.EHOSTDOWN,
		unix.ENETDOWN, unix.ECONNRESET, unix.ECONNABORTED, unix.ETIMEDOUT:
		rawClose(fd)
		return -1, false, &ConnectFail{Err: err}
	default:
		// e.g. EADDRNOTAVAIL (no local port left): no verdict on the
		// server (layer4.c connect_error)
		rawClose(fd)
		return -1, false, &SetupError{Err: err}
	}
	// On loopback (and a fast LAN) the handshake has often completed by
	// now: asking again costs one syscall and saves the epoll round.
	switch err := rawConnect(fd, sa); err {
	case nil, unix.EISCONN: // nil: Linux's answer when it completed since
		return fd, true, nil
	case unix.EALREADY, unix.EINPROGRESS:
		return fd, false, nil
	default:
		// as SO_ERROR would tell once connect(2) had returned
		rawClose(fd)
		return -1, false, err
	}
}

func (p *Poller) alloc() *attempt {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		a := p.free[n-1]
		p.free = p.free[:n-1]
		return a
	}
	return new(attempt)
}

// add watches a's socket for events until deadline.
func (p *Poller) add(a *attempt, deadline time.Duration, events uint32) {
	fd := a.fd
	p.mu.Lock()
	a.deadline = deadline
	for fd >= len(p.byFD) {
		p.byFD = append(p.byFD, make([]*attempt, len(p.byFD)+64)...)
	}
	p.byFD[fd] = a
	heap.Push(&p.dl, a)
	ev := unix.EpollEvent{Events: events, Fd: int32(fd)}
	err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev)
	if err != nil {
		p.end(a, err)
		p.flushLocked()
		return
	}
	if p.sleeping < 0 || deadline < p.sleeping {
		p.sleepUntil(deadline)
	}
	p.mu.Unlock()
}

// end finishes an attempt with p.mu held; its done runs at flush.
func (p *Poller) end(a *attempt, err error) {
	heap.Remove(&p.dl, a.idx)
	p.byFD[a.fd] = nil
	fd := -1
	if a.fdone != nil && err == nil {
		fd = a.fd // Dial: handed over
		unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, nil)
	} else {
		rawClose(a.fd) // also leaves the epoll set
	}
	p.out = append(p.out, completion{done: a.done, fdone: a.fdone, fd: fd, xdone: a.xdone, stage: a.stage, err: err})
	*a = attempt{}
	p.free = append(p.free, a)
}

// flushLocked runs the completions gathered with p.mu held, releasing
// it first: a done may start the next attempt.
func (p *Poller) flushLocked() {
	out := p.out
	p.out = nil
	p.mu.Unlock()
	for i := range out {
		if c := out[i]; c.xdone != nil {
			c.xdone(c.stage, c.err)
		} else if c.fdone != nil {
			c.fdone(c.fd, c.err)
		} else {
			c.done(c.err)
		}
		out[i] = completion{}
	}
	p.mu.Lock()
	if p.out == nil {
		p.out = out[:0]
	}
	p.mu.Unlock()
}

func (p *Poller) loop() {
	ready := make([]*attempt, 0, len(p.events))
	p.rbuf = make([]byte, 16<<10)
	for {
		p.mu.Lock()
		if len(p.dl) > 0 {
			p.sleepUntil(p.dl[0].deadline)
		} else {
			p.sleepUntil(-1)
		}
		p.mu.Unlock()
		// nil, or os.ErrDeadlineExceeded at the earliest deadline
		if err := p.rc.Read(p.wait); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			panic("poller: wait: " + err.Error())
		}
		p.mu.Lock()
		p.sleepUntil(0) // awake: no need to be woken
		ready = ready[:0]
		n := p.nev
		p.nev = 0
		for _, ev := range p.events[:n] {
			fd := int(ev.Fd)
			if fd < len(p.byFD) && p.byFD[fd] != nil {
				ready = append(ready, p.byFD[fd])
			}
		}
		p.mu.Unlock()
		// Registered attempts belong to this goroutine: their I/O runs
		// without the lock, which Connect and Exchange need.
		for _, a := range ready {
			p.step(a)
		}
		p.mu.Lock()
		now := time.Since(p.base)
		for i, a := range ready {
			if a.over {
				p.end(a, a.err)
			} else if a.renew {
				a.renew = false
				a.deadline = a.renewed(now)
				heap.Fix(&p.dl, a.idx)
			}
			ready[i] = nil
		}
		for len(p.dl) > 0 && p.dl[0].deadline <= now {
			p.end(p.dl[0], ErrTimeout)
		}
		p.flushLocked()
	}
}

// renewed is a's next deadline from now: its stage's timeout, but never
// past the whole exchange's end.
func (a *attempt) renewed(now time.Duration) time.Duration {
	d := now + a.timeout
	if a.end > 0 && d > a.end {
		d = a.end
	}
	return d
}

// maxReadsPerEvent bounds the reads of one socket per event, so a server
// streaming fast cannot keep the poller from every other check; epoll is
// level-triggered, so what is left is seen at the next wait.
const maxReadsPerEvent = 16

// step handles an event on a's socket, setting a.over when it ends.
func (p *Poller) step(a *attempt) {
	if a.stage == Connecting {
		if v, err := unix.GetsockoptInt(a.fd, unix.SOL_SOCKET, unix.SO_ERROR); err != nil {
			a.over, a.err = true, &SockoptError{Err: err}
			return
		} else if v != 0 {
			a.over, a.err = true, unix.Errno(v)
			return
		}
		if a.xdone == nil { // Connect, Dial: done
			a.over = true
			return
		}
		a.stage, a.renew = Sending, true
	}
	if a.stage == Sending {
		n, err := rawWrite(a.fd, a.req)
		switch {
		case err == unix.EAGAIN:
			return
		case err != nil:
			a.over, a.err = true, err
			return
		case n < len(a.req):
			a.req = a.req[n:]
			return
		}
		a.stage, a.renew = Receiving, true
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(a.fd)}
		if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, a.fd, &ev); err != nil {
			a.over, a.err = true, err
		}
		return
	}
	// Receiving: drain what is there; a short read is usually followed
	// by the peer's FIN, which the next read sees without another round
	for range maxReadsPerEvent {
		n, err := rawRead(a.fd, p.rbuf)
		switch {
		case err == unix.EAGAIN || err == unix.EINTR:
			return
		case err != nil:
			a.over, a.err = true, err
			return
		case n == 0 || a.r.Data(p.rbuf[:n]):
			a.over = true
			return
		}
		a.stage, a.renew = Reading, true
	}
}

// SetupError is an attempt that could not be made: the socket could not
// be created (Socket), set up or bound, or connect failed locally.
// keepalived reschedules such a check without a verdict.
type SetupError struct {
	Socket bool
	Msg    string // keepalived's log line for it, if it has one
	Err    error
}

func (e *SetupError) Error() string { return e.Err.Error() }
func (e *SetupError) Unwrap() error { return e.Err }

// Strerror is C's wording of an errno ("No such device").
func Strerror(err error) string {
	s := err.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// IsTimeout reports whether err is ErrTimeout.
func IsTimeout(err error) bool { return errors.Is(err, ErrTimeout) }
