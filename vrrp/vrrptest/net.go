package vrrptest

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/packet"
)

// Hub is an in-memory segment joining the fake sockets of several nodes:
// what one node sends, the others receive, decoded as the real socket
// would deliver it.
type Hub struct {
	mu    sync.Mutex
	socks []*Sock
	cut   map[string]bool
}

// NewHub returns an empty segment.
func NewHub() *Hub { return &Hub{cut: map[string]bool{}} }

// Cut stops delivery from and to node (a dead or partitioned node).
func (h *Hub) Cut(node string, cut bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cut[node] = cut
}

// Net is one node's vrrp.Net on a Hub.
type Net struct {
	Hub    *Hub
	Node   string
	Ifaces map[string]vrrp.IfaceInfo
}

// Interface returns the configured fake interface.
func (n *Net) Interface(name string) (vrrp.IfaceInfo, error) {
	i, ok := n.Ifaces[name]
	if !ok {
		return i, errors.New("no such interface")
	}
	return i, nil
}

// Open attaches a socket to the hub.
func (n *Net) Open(s vrrp.SocketSpec) (vrrp.Socket, error) {
	info, err := n.Interface(s.Iface)
	if err != nil {
		return nil, err
	}
	k := &Sock{hub: n.Hub, node: n.Node, spec: s, info: info, in: make(chan []byte, 256), done: make(chan struct{})}
	n.Hub.mu.Lock()
	n.Hub.socks = append(n.Hub.socks, k)
	n.Hub.mu.Unlock()
	return k, nil
}

// Sock is a fake vrrp.Socket.
type Sock struct {
	hub  *Hub
	node string
	spec vrrp.SocketSpec
	info vrrp.IfaceInfo
	in   chan []byte // IPv4: whole packets; IPv6: a 1-byte hop limit, 16+16 src/dst, payload
	once sync.Once
	done chan struct{}
}

func (k *Sock) mine(a netip.Addr) bool {
	return a == k.info.Addr4 || a.WithZone("") == k.info.LinkLocal6.WithZone("")
}

// proto is the IP protocol the socket receives, as the real one opens it.
func (k *Sock) proto() uint8 {
	if k.spec.Family == packet.IPv4 && k.spec.Proto != 0 {
		return k.spec.Proto
	}
	return packet.ProtoVRRP
}

// Send delivers o to every other node's socket of the same family that
// listens to its destination and, like a raw socket, to its IP protocol
// (IPv4 AH adverts are protocol 51; IPv6 ones always 112).
func (k *Sock) Send(o vrrp.Outgoing) error {
	k.hub.mu.Lock()
	defer k.hub.mu.Unlock()
	if k.hub.cut[k.node] {
		return nil
	}
	proto := uint8(packet.ProtoVRRP)
	if k.spec.Family == packet.IPv4 && len(o.Data) >= packet.IPv4HeaderLen {
		proto = o.Data[9]
	}
	for _, p := range k.hub.socks {
		if p.node == k.node || p.spec.Family != k.spec.Family || k.hub.cut[p.node] || p.proto() != proto {
			continue
		}
		if o.Dst.IsMulticast() != !p.spec.Unicast || (!o.Dst.IsMulticast() && !p.mine(o.Dst)) {
			continue
		}
		b := o.Data
		if k.spec.Family == packet.IPv6 {
			s, d := o.Src.As16(), o.Dst.As16()
			b = append(append(append([]byte{byte(o.HopLimit)}, s[:]...), d[:]...), o.Data...)
		}
		p.Inject(b)
	}
	return nil
}

// Inject queues raw bytes as if they arrived on the wire (same framing as
// Send uses), e.g. a malformed packet.
func (k *Sock) Inject(b []byte) {
	select {
	case k.in <- append([]byte(nil), b...):
	default: // a full socket buffer drops, as the kernel would
	}
}

// Recv decodes the next queued packet.
func (k *Sock) Recv(ctx context.Context) (*packet.Received, error) {
	select {
	case b := <-k.in:
		if k.spec.Family == packet.IPv4 {
			rx, err := packet.DecodeIPv4(b)
			if err != nil {
				return nil, nil
			}
			return rx, nil
		}
		if len(b) < 33 {
			return nil, nil
		}
		src, _ := netip.AddrFromSlice(b[1:17])
		dst, _ := netip.AddrFromSlice(b[17:33])
		rx, err := packet.DecodeIPv6(b[33:], packet.Control{HopLimit: int(b[0]), Src: src, Dst: dst})
		if err != nil {
			return nil, nil
		}
		return rx, nil
	case <-k.done:
		return nil, errors.New("closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close detaches the socket.
func (k *Sock) Close() error {
	k.once.Do(func() {
		close(k.done)
		k.hub.mu.Lock()
		defer k.hub.mu.Unlock()
		for i, p := range k.hub.socks {
			if p == k {
				k.hub.socks = append(k.hub.socks[:i], k.hub.socks[i+1:]...)
				break
			}
		}
	})
	return nil
}

// Sockets returns node's open sockets (to inject packets).
func (h *Hub) Sockets(node string) []*Sock {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*Sock
	for _, p := range h.socks {
		if p.node == node {
			out = append(out, p)
		}
	}
	return out
}

// Addrs is a fake vrrp.Addrs: the set of addresses present.
type Addrs struct {
	mu  sync.Mutex
	Set map[netip.Prefix]vrrp.VIP
	Log []string // "add 10.0.0.1/32" / "del …", in order
}

func (a *Addrs) Add(v vrrp.VIP) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.Set == nil {
		a.Set = map[netip.Prefix]vrrp.VIP{}
	}
	a.Set[v.Prefix] = v
	a.Log = append(a.Log, "add "+v.Prefix.String())
	return nil
}

func (a *Addrs) Del(v vrrp.VIP) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.Set, v.Prefix)
	a.Log = append(a.Log, "del "+v.Prefix.String())
	return nil
}

// Ops returns the operations so far.
func (a *Addrs) Ops() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.Log...)
}

// Has reports whether p is present.
func (a *Addrs) Has(p netip.Prefix) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.Set[p]
	return ok
}

// Announcer records announcements.
type Announcer struct {
	mu   sync.Mutex
	Sent []netip.Addr
}

func (a *Announcer) Announce(_ string, addr netip.Addr) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Sent = append(a.Sent, addr)
	return nil
}

// Count returns how many announcements were sent.
func (a *Announcer) Count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.Sent)
}

// Addrs returns the announced addresses, in order.
func (a *Announcer) Addrs() []netip.Addr {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]netip.Addr(nil), a.Sent...)
}

var (
	_ vrrp.Net       = (*Net)(nil)
	_ vrrp.Socket    = (*Sock)(nil)
	_ vrrp.Addrs     = (*Addrs)(nil)
	_ vrrp.Announcer = (*Announcer)(nil)
)

// Scripts records the commands the runtime starts; Run (vrrp_script
// checks) succeeds unless Fail has the script's argv[0].
type Scripts struct {
	mu        sync.Mutex
	Cmds      []vrrp.Command
	fail      map[string]bool
	firstFail time.Time
}

// FirstFail is when a Run first returned failure (zero if never).
func (s *Scripts) FirstFail() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.firstFail
}

// SetFail makes runs of argv0 fail (or succeed again).
func (s *Scripts) SetFail(argv0 string, fail bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail == nil {
		s.fail = map[string]bool{}
	}
	s.fail[argv0] = fail
}

func (s *Scripts) Run(_ context.Context, c vrrp.Command, _ time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail[c.Argv[0]] {
		if s.firstFail.IsZero() {
			s.firstFail = time.Now()
		}
		return errors.New("exit status 1")
	}
	return nil
}

func (s *Scripts) Start(c vrrp.Command) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Cmds = append(s.Cmds, c)
	return nil
}

// Argvs returns the recorded argv lists, each joined with spaces.
func (s *Scripts) Argvs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, c := range s.Cmds {
		line := ""
		for i, a := range c.Argv {
			if i > 0 {
				line += " "
			}
			line += a
		}
		out = append(out, line)
	}
	return out
}

var _ vrrp.Scripts = (*Scripts)(nil)
