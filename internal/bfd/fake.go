package bfd

import (
	"net/netip"
	"sync"
)

// FakeNet is an in-memory network of BFD hosts, for tests: datagrams go
// from a host's session socket to the listening socket of the neighbour
// it names, with the sender's TTL, unless either host is cut off.
type FakeNet struct {
	mu  sync.RWMutex
	rcv map[netip.AddrPort]*fakeRecv
	cut map[netip.Addr]bool
	// TTL, when set, replaces the TTL packets arrive with.
	TTL int
}

// NewFakeNet returns an empty network.
func NewFakeNet() *FakeNet {
	return &FakeNet{rcv: map[netip.AddrPort]*fakeRecv{}, cut: map[netip.Addr]bool{}}
}

// Host is the transport of the host with address a.
func (n *FakeNet) Host(a netip.Addr) Transport { return fakeHost{n: n, a: a} }

// Hosts is one transport listening on every address of as (the first
// is its own; sessions send from their Source).
func (n *FakeNet) Hosts(as []netip.Addr) Transport { return fakeHost{n: n, a: as[0], more: as[1:]} }

// Cut cuts a host off the network (its link down), or restores it.
func (n *FakeNet) Cut(a netip.Addr, cut bool) {
	n.mu.Lock()
	n.cut[a] = cut
	n.mu.Unlock()
}

// Inject delivers raw bytes to a's listening socket on port, from src.
func (n *FakeNet) Inject(a netip.Addr, port uint16, src netip.Addr, ttl int, b []byte) {
	n.mu.RLock()
	r := n.rcv[netip.AddrPortFrom(a, port)]
	n.mu.RUnlock()
	if r == nil {
		return
	}
	var p fakePkt
	p.n = copy(p.b[:], b)
	if len(b) > len(p.b) {
		p.n = len(p.b)
	}
	p.src, p.dst, p.ttl = src, a, ttl
	select {
	case r.c <- p:
	default:
	}
}

type fakeHost struct {
	n    *FakeNet
	a    netip.Addr
	more []netip.Addr
}

type fakePkt struct {
	b        [rxBuf]byte
	n        int
	src, dst netip.Addr
	ttl      int
}

type fakeRecv struct {
	c    chan fakePkt
	done chan struct{}
	once sync.Once
	n    *FakeNet
	at   netip.AddrPort
}

func (h fakeHost) Listen(port int) (Receiver, error) {
	at := netip.AddrPortFrom(h.a, uint16(port))
	r := &fakeRecv{c: make(chan fakePkt, 4096), done: make(chan struct{}), n: h.n, at: at}
	h.n.mu.Lock()
	h.n.rcv[at] = r
	for _, a := range h.more {
		h.n.rcv[netip.AddrPortFrom(a, uint16(port))] = r
	}
	h.n.mu.Unlock()
	return r, nil
}

func (r *fakeRecv) Recv(b []byte) (int, netip.AddrPort, netip.Addr, int, error) {
	select {
	case p := <-r.c:
		return copy(b, p.b[:p.n]), netip.AddrPortFrom(p.src, 49152), p.dst, p.ttl, nil
	case <-r.done:
		return 0, netip.AddrPort{}, netip.Addr{}, 0, errClosed
	}
}

func (r *fakeRecv) Close() error {
	r.once.Do(func() {
		close(r.done)
		r.n.mu.Lock()
		for k, v := range r.n.rcv {
			if v == r {
				delete(r.n.rcv, k)
			}
		}
		r.n.mu.Unlock()
	})
	return nil
}

func (h fakeHost) Open(c Config) (Sender, error) {
	src := h.a
	if c.Source.IsValid() {
		src = c.Source
	}
	return &fakeSend{n: h.n, src: src, dst: c.Neighbor, ttl: int(c.TTL)}, nil
}

type fakeSend struct {
	n        *FakeNet
	src, dst netip.Addr
	ttl      int
}

func (s *fakeSend) Send(b []byte, port uint16) error {
	s.n.mu.RLock()
	r := s.n.rcv[netip.AddrPortFrom(s.dst, port)]
	lost := s.n.cut[s.src] || s.n.cut[s.dst]
	ttl := s.ttl
	if s.n.TTL != 0 {
		ttl = s.n.TTL
	}
	s.n.mu.RUnlock()
	if r == nil || lost {
		return nil
	}
	var p fakePkt
	p.n = copy(p.b[:], b)
	p.src, p.dst, p.ttl = s.src, s.dst, ttl
	select {
	case r.c <- p:
	case <-r.done:
	default: // a full socket buffer drops
	}
	return nil
}

func (s *fakeSend) Close() error { return nil }
