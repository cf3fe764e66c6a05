package bfd

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/lograte"
)

// Receiver is a listening socket: Recv reads one datagram into b and
// says where it came from, where it went and the TTL (hop limit) it
// arrived with (0: unknown).
type Receiver interface {
	Recv(b []byte) (n int, src netip.AddrPort, dst netip.Addr, ttl int, err error)
	Close() error
}

// Sender is a session's own sending socket.
type Sender interface {
	// Send sends b to the neighbour's port: 3784, or 4784 for a
	// multihop session.
	Send(b []byte, port uint16) error
	Close() error
}

type sender = Sender

// Transport is the engine's view of the network: the listening sockets
// and one sending socket per session. UDP is the real one; tests use a
// fake.
type Transport interface {
	Listen(port int) (Receiver, error)
	Open(c Config) (Sender, error)
}

// Sink hears of every session going Up or Down. It is called on the
// engine's goroutine and must not block.
type Sink interface {
	BFDChanged(name string, up, vrrp, checker bool)
}

// rxBuf bounds a read: a control packet with the longest authentication
// section is 24+28 bytes; anything filling the buffer is dropped.
const rxBuf = 64

type rxItem struct {
	b    [rxBuf]byte
	n    int
	src  netip.Addr
	dst  netip.Addr
	ttl  int
	port uint16 // where it arrived
}

// Engine runs every BFD session on one goroutine with a timer heap.
type Engine struct {
	tr   Transport
	log  *slog.Logger
	sink Sink

	rx   chan rxItem
	ctl  chan func()
	base time.Time

	// loop-owned
	sessions []*session
	byDisc   map[uint32]*session
	byAddr   map[netip.Addr][]*session
	heap     timerHeap
	m        machine
	pkt      Packet
	txbuf    [PacketLen]byte
	rnd      *rand.Rand
	limit    *lograte.Limiter
	sendFn   func(*session)
	rctx     context.Context      // the readers' (Run's)
	lis      map[uint16]*listener // by port

	started chan struct{} // closed once the sockets are open

	// Drops counts discarded packets by reason (errorsByCounter's order).
	drops [len(errorsByCounter)]atomic.Uint64
}

// Drops returns the discarded packets by reason.
func (e *Engine) Drops() map[string]uint64 {
	out := map[string]uint64{}
	for i, c := range errorsByCounter {
		if n := e.drops[i].Load(); n > 0 {
			out[c.Error()] = n
		}
	}
	return out
}

// New returns an engine on tr; sink may be nil.
func New(tr Transport, log *slog.Logger, sink Sink) *Engine {
	e := &Engine{tr: tr, log: log, sink: sink, rx: make(chan rxItem, 256), ctl: make(chan func()),
		byDisc: map[uint32]*session{}, byAddr: map[netip.Addr][]*session{},
		rnd: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())), limit: lograte.Default()}
	e.m = machine{rand: e.rnd.Float64, log: e, ev: e, disc: e.rekey}
	e.sendFn = e.send
	return e
}

func (e *Engine) info(msg string) { e.log.Info(msg) }
func (e *Engine) warn(msg string) { e.log.Warn(msg) }

func (e *Engine) changed(s *session, up bool) {
	if e.sink != nil {
		e.sink.BFDChanged(s.cfg.Name, up, s.cfg.VRRP, s.cfg.Checker)
	}
}

func (e *Engine) newDisc() uint32 {
	for {
		d := e.rnd.Uint32()
		if _, used := e.byDisc[d]; d != 0 && !used {
			return d
		}
	}
}

// rekey gives s a new discriminator (keepalived changes it when a
// session leaves Up).
func (e *Engine) rekey(s *session) uint32 {
	if e.byDisc[s.localDisc] == s {
		delete(e.byDisc, s.localDisc)
	}
	d := e.newDisc()
	e.byDisc[d] = s
	return d
}

func (e *Engine) now() int64 { return int64(time.Since(e.base)) }

// Run opens the listening sockets, starts cfgs' sessions and runs until
// ctx ends. As keepalived 2.4, it listens on 3784 while a session is
// single-hop and on 4784 while one is multihop; it fails only if no
// needed listening socket opens.
func (e *Engine) Run(ctx context.Context, cfgs []Config) error {
	e.base = time.Now()
	rctx, cancel := context.WithCancel(ctx)
	e.rctx, e.lis = rctx, map[uint16]*listener{}
	defer func() {
		cancel()
		for port := range e.lis {
			e.unlisten(port)
		}
		for _, s := range e.sessions {
			if s.tx != nil {
				s.tx.Close()
			}
		}
	}()
	if err := e.listenFor(cfgs, true); err != nil {
		return err
	}
	e.apply(cfgs)
	if e.started != nil {
		close(e.started)
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	armed := never
	for {
		if next := e.next(); next != armed {
			armed = next
			if next == never {
				timer.Stop()
			} else {
				timer.Reset(time.Duration(next - e.now()))
			}
		}
		select {
		case it := <-e.rx:
			e.m.now = e.now()
			e.handle(&it)
			// take what else waits before re-arming the timer
			for range 64 {
				select {
				case it = <-e.rx:
					e.handle(&it)
					continue
				default:
				}
				break
			}
			if e.next() <= e.m.now {
				e.fireDue()
			}
		case <-timer.C:
			armed = never
			e.fireDue()
		case fn := <-e.ctl:
			fn()
		case <-ctx.Done():
			return nil
		}
	}
}

// Reload replaces the sessions: one whose configuration is unchanged
// keeps its state, the others start anew.
func (e *Engine) Reload(ctx context.Context, cfgs []Config) {
	done := make(chan struct{})
	select {
	case e.ctl <- func() { e.listenFor(cfgs, false); e.apply(cfgs); close(done) }:
		<-done
	case <-ctx.Done():
	}
}

func (e *Engine) next() int64 {
	if len(e.heap) == 0 {
		return never
	}
	return e.heap[0].dueAt
}

// listener is a listening socket and its reader.
type listener struct {
	r      Receiver
	cancel context.CancelFunc
	done   chan struct{}
}

// listenFor opens the listening sockets cfgs need and closes the others
// (keepalived 2.4's bfd_register_workers). At start, a needed socket
// that fails is an error when no other kind of session is there.
func (e *Engine) listenFor(cfgs []Config, start bool) error {
	need := map[uint16]bool{}
	for _, c := range cfgs {
		need[c.port()] = true
	}
	for port := range e.lis {
		if !need[port] {
			e.unlisten(port)
		}
	}
	for _, port := range []uint16{Port, MultihopPort} {
		if !need[port] || e.lis[port] != nil {
			continue
		}
		r, err := e.tr.Listen(int(port))
		if err != nil {
			e.log.Error(fmt.Sprintf("bind() error (%v)", err))
			if port == Port {
				e.log.Error("Unable to open listening socket")
			} else {
				e.log.Error("Unable to open multihop listening socket")
			}
			if start && len(need) == 1 {
				return err
			}
			continue
		}
		lctx, cancel := context.WithCancel(e.rctx)
		l := &listener{r: r, cancel: cancel, done: make(chan struct{})}
		e.lis[port] = l
		go func() { defer close(l.done); e.read(lctx, r, port) }()
	}
	return nil
}

// unlisten closes port's socket and waits for its reader.
func (e *Engine) unlisten(port uint16) {
	l := e.lis[port]
	l.cancel()
	l.r.Close()
	<-l.done
	delete(e.lis, port)
}

// read is one listening socket's reader: bounded reads, handed to the
// loop by value.
func (e *Engine) read(ctx context.Context, r Receiver, port uint16) {
	it := rxItem{port: port}
	for {
		n, src, dst, ttl, err := r.Recv(it.b[:])
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, errClosed) {
				return
			}
			continue
		}
		it.n, it.src, it.dst, it.ttl = n, src.Addr().Unmap(), dst.Unmap(), ttl
		select {
		case e.rx <- it:
		case <-ctx.Done():
			return
		}
	}
}

var errClosed = errors.New("closed")

// drop counts a discarded packet and logs it, rate-limited.
func (e *Engine) drop(err error, src netip.Addr) {
	for i, c := range errorsByCounter {
		if c == err {
			e.drops[i].Add(1)
		}
	}
	if ok, sup := e.limit.Allow(err.Error(), time.Now()); ok {
		msg := fmt.Sprintf("Discarding bogus packet from %s (%v)", src, err)
		if sup > 0 {
			msg += fmt.Sprintf(" (%d more suppressed)", sup)
		}
		e.log.Info(msg)
	}
}

func (e *Engine) handle(it *rxItem) {
	if it.n >= rxBuf {
		e.drop(ErrLength, it.src)
		return
	}
	p := &e.pkt
	if err := Decode(it.b[:it.n], p); err != nil {
		e.drop(err, it.src)
		return
	}
	var s *session
	if p.YourDisc == 0 {
		for _, c := range e.byAddr[it.src] {
			if c.cfg.port() != it.port {
				continue // keepalived 2.4: single-hop and multihop are apart
			}
			if !c.cfg.Source.IsValid() || !it.dst.IsValid() || c.cfg.Source == it.dst {
				s = c
				break
			}
		}
	} else {
		s = e.byDisc[p.YourDisc]
	}
	if s == nil {
		e.drop(ErrNoSession, it.src)
		return
	}
	if s.cfg.MaxHops != 255 && it.ttl != 0 && int(s.cfg.MaxHops)+it.ttl < int(s.cfg.TTL) {
		e.drop(ErrTTL, it.src)
		return
	}
	e.m.receive(s, p)
	if s.sendNow {
		s.sendNow = false
		e.send(s)
		s.final = false
	}
	s.dueAt = s.due()
	heap.Fix(&e.heap, s.idx)
}

func (e *Engine) fireDue() {
	e.m.now = e.now()
	for len(e.heap) > 0 && e.heap[0].dueAt <= e.m.now {
		s := e.heap[0]
		e.m.fire(s, e.sendFn)
		s.dueAt = s.due()
		heap.Fix(&e.heap, 0)
	}
}

func (e *Engine) send(s *session) {
	if s.tx == nil {
		return
	}
	s.build(&e.pkt)
	n := e.pkt.Marshal(e.txbuf[:])
	if err := s.tx.Send(e.txbuf[:n], s.dstPort); err != nil {
		s.txErrs++
		if !s.sendErr {
			e.log.Error(fmt.Sprintf("(%s) Error sending packet", s.cfg.Name))
			e.log.Error(fmt.Sprintf("sendto() error (%v)", err))
			s.sendErr = true
		}
		return
	}
	s.txPackets++
	s.sendErr = false
}

// apply sets the sessions to cfgs.
func (e *Engine) apply(cfgs []Config) {
	e.m.now = e.now()
	old := map[string]*session{}
	for _, s := range e.sessions {
		old[s.cfg.Name] = s
	}
	e.sessions, e.heap = nil, nil
	clear(e.byDisc)
	clear(e.byAddr)
	for _, c := range cfgs {
		if c.TTL == 0 {
			c.TTL = 255
			if c.Neighbor.Is6() {
				c.TTL = 64
			}
		}
		s := old[c.Name]
		if s != nil && s.cfg == c {
			delete(old, c.Name)
		} else {
			s = newSession(c, e.newDisc())
			tx, err := e.tr.Open(c)
			if err != nil {
				e.log.Error(fmt.Sprintf("(%s) socket() error (%v)", c.Name, err))
				e.log.Error(fmt.Sprintf("(%s) Unable to open output socket, disabling instance", c.Name))
				s.localState, s.localDiag = AdminDown, DiagAdminDown
				e.log.Warn(fmt.Sprintf("(%s) Entering %s state", c.Name, AdminDown))
			} else {
				s.tx = tx
				if !c.Passive {
					e.m.scheduleTx(s)
				}
			}
			// every instance's state is sent at start (keepalived's
			// bfd_register_workers): Down until it comes up
			if e.sink != nil {
				e.sink.BFDChanged(c.Name, false, c.VRRP, c.Checker)
			}
		}
		e.sessions = append(e.sessions, s)
		e.byDisc[s.localDisc] = s
		e.byAddr[c.Neighbor] = append(e.byAddr[c.Neighbor], s)
		s.dueAt = s.due()
		heap.Push(&e.heap, s)
	}
	for _, s := range old {
		if s.tx != nil {
			s.tx.Close()
		}
	}
}

// timerHeap orders sessions by their next deadline.
type timerHeap []*session

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].dueAt < h[j].dueAt }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}
func (h *timerHeap) Push(x any) {
	s := x.(*session)
	s.idx = len(*h)
	*h = append(*h, s)
}
func (h *timerHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	*h = old[:len(old)-1]
	s.idx = -1
	return s
}

// sessionsRx is the packets the sessions took in, asked of the loop.
func (e *Engine) sessionsRx() uint64 {
	done := make(chan uint64)
	e.ctl <- func() {
		var n uint64
		for _, s := range e.sessions {
			n += s.rxPackets
		}
		done <- n
	}
	return <-done
}

// dump writes each session as keepalived's dump_bfd (on the loop).
func (e *Engine) dump(w io.Writer) {
	for _, s := range e.sessions {
		c := s.cfg
		fmt.Fprintf(w, " BFD Instance = %s\n", c.Name)
		fmt.Fprintf(w, "   Neighbor IP = %s\n", c.Neighbor)
		if c.Source.IsValid() {
			fmt.Fprintf(w, "   Source IP = %s\n", c.Source)
		}
		fmt.Fprintf(w, "   Required min RX interval = %d us\n", s.minRx)
		fmt.Fprintf(w, "   Desired min TX interval = %d us\n", s.minTx)
		fmt.Fprintf(w, "   Desired idle TX interval = %d us\n", s.idleTx)
		fmt.Fprintf(w, "   Detection multiplier = %d\n", c.Multiplier)
		ttl := "TTL"
		if c.Neighbor.Is6() {
			ttl = "hoplimit"
		}
		fmt.Fprintf(w, "   %s = %d\n", ttl, c.TTL)
		fmt.Fprintf(w, "   max_hops = %d\n", c.MaxHops)
		fmt.Fprintf(w, "   passive = %t\n", c.Passive)
		fmt.Fprintf(w, "   send event to VRRP process = %s\n", yesNo(c.VRRP))
		fmt.Fprintf(w, "   send event to checker process = %s\n", yesNo(c.Checker))
		fmt.Fprintf(w, "   send error = %t\n", s.sendErr)
		fmt.Fprintf(w, "   local state = %s\n", s.localState)
		fmt.Fprintf(w, "   remote state = %s\n", s.remoteState)
		fmt.Fprintf(w, "   local discriminator = 0x%x\n", s.localDisc)
		fmt.Fprintf(w, "   remote discriminator = 0x%x\n", s.remoteDisc)
		fmt.Fprintf(w, "   local diag = %s\n", s.localDiag)
		fmt.Fprintf(w, "   remote diag = %s\n", s.remoteDiag)
		fmt.Fprintf(w, "   remote min tx intv = %d us\n", s.remoteMinTx)
		fmt.Fprintf(w, "   remote min rx intv = %d us\n", s.remoteMinRx)
		fmt.Fprintf(w, "   local demand = 0\n")
		fmt.Fprintf(w, "   remote demand = %d\n", b2i(s.remoteDemand))
		fmt.Fprintf(w, "   remote detect multiplier = %d\n", s.remoteMult)
		fmt.Fprintf(w, "   %spoll, %sfinal\n", bang(s.poll), bang(s.final))
		fmt.Fprintf(w, "   local tx intv = %d us\n", s.localTxIntv)
		fmt.Fprintf(w, "   remote tx intv = %d us\n", s.remoteTxIntv)
		fmt.Fprintf(w, "   local detection time = %d us\n", s.detectTime)
		fmt.Fprintf(w, "   remote detection time = %d us\n", uint64(c.Multiplier)*uint64(s.localTxIntv))
		fmt.Fprintf(w, "   packets received = %d, sent = %d, send errors = %d\n", s.rxPackets, s.txPackets, s.txErrs)
	}
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

func bang(b bool) string {
	if b {
		return ""
	}
	return "!"
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
