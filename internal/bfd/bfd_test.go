package bfd

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testLog() (*slog.Logger, *syncBuf) {
	b := &syncBuf{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

func TestPacketRoundTrip(t *testing.T) {
	p := Packet{Version: 1, Diag: DiagExpired, State: Up, Poll: true, DetectMult: 5, Length: PacketLen,
		MyDisc: 0x01020304, YourDisc: 7, MinTx: 10000, MinRx: 20000}
	var b [PacketLen]byte
	p.Marshal(b[:])
	want := []byte{0x21, 0xe0, 5, 24, 1, 2, 3, 4, 0, 0, 0, 7, 0, 0, 0x27, 0x10, 0, 0, 0x4e, 0x20, 0, 0, 0, 0}
	if !bytes.Equal(b[:], want) {
		t.Fatalf("marshal: % x\nwant      % x", b, want)
	}
	var q Packet
	if err := Decode(b[:], &q); err != nil || q != p {
		t.Fatalf("decode: %v %+v", err, q)
	}
}

func TestDecodeRejects(t *testing.T) {
	good := func() []byte {
		var b [PacketLen]byte
		(&Packet{Version: 1, State: Down, DetectMult: 3, MyDisc: 1}).Marshal(b[:])
		return b[:]
	}
	for _, tc := range []struct {
		name string
		mod  func([]byte) []byte
		want error
	}{
		{"short", func(b []byte) []byte { return b[:20] }, ErrShort},
		{"length field", func(b []byte) []byte { b[3] = 30; return b }, ErrLength},
		{"trailing bytes", func(b []byte) []byte { return append(b, 0) }, ErrLength},
		{"version", func(b []byte) []byte { b[0] = 2 << 5; return b }, ErrVersion},
		{"mult", func(b []byte) []byte { b[2] = 0; return b }, ErrDetectMult},
		{"multipoint", func(b []byte) []byte { b[1] |= 1; return b }, ErrMultipoint},
		{"my disc", func(b []byte) []byte { b[7] = 0; return b }, ErrMyDisc},
		{"your disc while up", func(b []byte) []byte { b[1] = 3 << 6; return b }, ErrYourDisc},
		{"poll and final", func(b []byte) []byte { b[1] |= 0x30; return b }, ErrPollFinal},
		{"diag", func(b []byte) []byte { b[0] |= 9; return b }, ErrDiag},
		{"auth", func(b []byte) []byte { b[1] |= 4; return b }, ErrAuth},
	} {
		var p Packet
		if err := Decode(tc.mod(good()), &p); err != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// pair runs two engines on a fake network, a at .1 and b at .2, each
// with one session to the other.
type pair struct {
	net            *FakeNet
	a, b           netip.Addr
	ea, eb         *Engine
	ha, hb         *Hub
	la, lb         *syncBuf
	cancelA, cancB context.CancelFunc
	doneA, doneB   chan struct{}
}

func cfgTo(name string, nbr netip.Addr, mod func(*Config)) Config {
	c := Config{Name: name, Neighbor: nbr, MinRx: 10 * time.Millisecond, MinTx: 10 * time.Millisecond,
		IdleTx: time.Second, Multiplier: 5, VRRP: true, Checker: true}
	if mod != nil {
		mod(&c)
	}
	return c
}

func startPair(t *testing.T, modA, modB func(*Config)) *pair {
	p := &pair{net: NewFakeNet(), a: netip.MustParseAddr("10.0.0.1"), b: netip.MustParseAddr("10.0.0.2"),
		ha: NewHub(), hb: NewHub()}
	var la, lb *slog.Logger
	la, p.la = testLog()
	lb, p.lb = testLog()
	p.ea = New(p.net.Host(p.a), la, p.ha)
	p.eb = New(p.net.Host(p.b), lb, p.hb)
	p.cancelA, p.doneA = run(p.ea, []Config{cfgTo("to_b", p.b, modA)})
	p.cancB, p.doneB = run(p.eb, []Config{cfgTo("to_a", p.a, modB)})
	t.Cleanup(func() { p.stopA(); p.stopB() })
	return p
}

func run(e *Engine, cfgs []Config) (context.CancelFunc, chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx, cfgs) }()
	return cancel, done
}

func (p *pair) stopA() { p.cancelA(); <-p.doneA }
func (p *pair) stopB() { p.cancB(); <-p.doneB }

// waitState waits until name's latest state in m is up; it returns when.
func waitState(t *testing.T, m *Mailbox, name string, up bool, within time.Duration) time.Time {
	t.Helper()
	deadline := time.After(within)
	for {
		m.Drain()
		if u, _ := m.State(name); u == up {
			return time.Now()
		}
		select {
		case <-m.C():
		case <-deadline:
			t.Fatalf("%s never went up=%v within %v", name, up, within)
		}
	}
}

func TestSessionComesUpAndDetectsLoss(t *testing.T) {
	p := startPair(t, nil, nil)
	// both active: the first packets come a jittered idle_tx (1 s) apart
	waitState(t, p.ha.VRRP, "to_b", true, 5*time.Second)
	waitState(t, p.hb.Checker, "to_a", true, 5*time.Second)
	// the poll sequence agrees on the fast rate: detection 5 × 10 ms
	time.Sleep(100 * time.Millisecond)
	p.net.Cut(p.b, true)
	cut := time.Now()
	at := waitState(t, p.ha.VRRP, "to_b", false, 2*time.Second)
	d := at.Sub(cut)
	t.Logf("loss detected in %v (bound 5 × 10 ms + 20 ms)", d)
	if d > 50*time.Millisecond+20*time.Millisecond {
		t.Errorf("detection took %v, over multiplier × interval + 20 ms", d)
	}
	log := p.la.String()
	for _, want := range []string{"(to_b) Entering Up state", "Detection time is 50000 us",
		"(to_b) Expired after", "(to_b) Entering Down state (Local diagnostic - Control Detection Time Expired, Remote diagnostic - No Diagnostic)"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	// back
	p.net.Cut(p.b, false)
	waitState(t, p.ha.VRRP, "to_b", true, 5*time.Second)
}

func TestPeerStoppedSignalsDownOrExpires(t *testing.T) {
	p := startPair(t, nil, func(c *Config) { c.Multiplier = 3; c.MinRx = 20 * time.Millisecond })
	waitState(t, p.ha.VRRP, "to_b", true, 5*time.Second)
	// a is Up on b's Init; the fast timers follow once b is Up too and a
	// Poll has run, up to an idle interval (1 s) later: stop b only then.
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(p.la.String(), "Detection time is 30000 us"); {
		if time.Now().After(deadline) {
			t.Fatalf("a never took b's fast timers:\n%s", p.la.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.stopB()
	stop := time.Now()
	at := waitState(t, p.ha.VRRP, "to_b", false, 2*time.Second)
	// b asked for 20 ms × 3: a's detection time is b's multiplier times
	// the agreed interval, max(a's min_rx 10, b's min_tx 10) = 10 ms
	if !strings.Contains(p.la.String(), "Detection time is 30000 us") {
		t.Errorf("detection time not from the remote multiplier:\n%s", p.la.String())
	}
	if d := at.Sub(stop); d > 30*time.Millisecond+20*time.Millisecond {
		t.Errorf("detection took %v", d)
	}
}

func TestPassiveWaitsForPeer(t *testing.T) {
	p := NewFakeNet()
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	la, _ := testLog()
	lb, _ := testLog()
	ha, hb := NewHub(), NewHub()
	ea, eb := New(p.Host(a), la, ha), New(p.Host(b), lb, hb)
	ca, da := run(ea, []Config{cfgTo("x", b, func(c *Config) { c.Passive = true })})
	defer func() { ca(); <-da }()
	cb, db := run(eb, []Config{cfgTo("y", a, func(c *Config) { c.Passive = true })})
	// two passive ends never start
	time.Sleep(2500 * time.Millisecond)
	if _, known := ha.VRRP.State("x"); !known {
		t.Fatal("no initial Down event")
	}
	if up, _ := ha.VRRP.State("x"); up {
		t.Fatal("two passive sessions came up")
	}
	cb()
	<-db
	eb = New(p.Host(b), lb, hb)
	cb, db = run(eb, []Config{cfgTo("y", a, nil)})
	defer func() { cb(); <-db }()
	waitState(t, ha.VRRP, "x", true, 5*time.Second)
}

func TestTTLCheck(t *testing.T) {
	p := startPair(t, nil, nil)
	p.net.mu.Lock()
	p.net.TTL = 254 // one hop too many for single hop (GTSM)
	p.net.mu.Unlock()
	time.Sleep(2500 * time.Millisecond)
	if up, _ := p.ha.VRRP.State("to_b"); up {
		t.Fatal("came up with TTL 254")
	}
	if p.ea.Drops()[ErrTTL.Error()] == 0 {
		t.Fatalf("no TTL drops counted: %v", p.ea.Drops())
	}
}

func TestMaxHopsAllowsTTL(t *testing.T) {
	p := startPair(t, func(c *Config) { c.MaxHops = 2 }, func(c *Config) { c.MaxHops = 2 })
	p.net.mu.Lock()
	p.net.TTL = 253
	p.net.mu.Unlock()
	waitState(t, p.ha.VRRP, "to_b", true, 5*time.Second)
}

func TestMalformedDroppedAndCounted(t *testing.T) {
	// a generous detection time: this is about counting, and -race
	// slows the flood's handling
	slow := func(c *Config) { c.Multiplier = 100 }
	p := startPair(t, slow, slow)
	waitState(t, p.ha.VRRP, "to_b", true, 5*time.Second)
	for range 1000 {
		p.net.Inject(p.a, Port, p.b, 255, []byte{0x20, 0x40, 0, 24})
		p.net.Inject(p.a, Port, p.b, 255, make([]byte, 200))
	}
	time.Sleep(200 * time.Millisecond)
	if up, _ := p.ha.VRRP.State("to_b"); !up {
		t.Fatal("session went down under a flood of malformed packets")
	}
	d := p.ea.Drops()
	if d[ErrShort.Error()] == 0 || d[ErrLength.Error()] == 0 {
		t.Fatalf("drops: %v", d)
	}
	if n := strings.Count(p.la.String(), "Discarding bogus packet"); n > 20 {
		t.Errorf("%d log lines for a flood: not rate-limited", n)
	}
}

// The state machine's steady state allocates nothing per packet: one
// received packet handled and one sent.
func TestNoAllocationPerPacket(t *testing.T) {
	net := NewFakeNet()
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	l, _ := testLog()
	e := New(net.Host(a), l, nil)
	e.base = time.Now()
	e.apply([]Config{cfgTo("s", b, nil)})
	s := e.sessions[0]
	// bring it up by hand
	var it rxItem
	it.src, it.ttl, it.port = b, 255, Port
	pk := Packet{Version: 1, State: Init, DetectMult: 5, Length: PacketLen, MyDisc: 99, YourDisc: s.localDisc, MinTx: 10000, MinRx: 10000}
	it.n = pk.Marshal(it.b[:])
	e.m.now = e.now()
	e.handle(&it)
	if s.localState != Up {
		t.Fatalf("state %v", s.localState)
	}
	pk.State, pk.Final = Up, true
	it.n = pk.Marshal(it.b[:])
	e.handle(&it)
	pk.Final = false
	it.n = pk.Marshal(it.b[:])
	allocs := testing.AllocsPerRun(1000, func() {
		e.m.now = e.now()
		e.handle(&it)
		s.txAt = e.m.now
		e.fireDue()
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per packet", allocs)
	}
}

// snapshot returns a copy of the engine's first session, taken on its
// loop.
func snapshot(e *Engine) session {
	done := make(chan session)
	e.ctl <- func() { done <- *e.sessions[0] }
	return <-done
}

// TestPollFinalAgreesFastRate: both ends leave the idle rate (1 s) for
// min_tx once Up through a Poll sequence, and the Poll is over.
func TestPollFinalAgreesFastRate(t *testing.T) {
	p := startPair(t, nil, func(c *Config) { c.MinTx = 20 * time.Millisecond })
	waitState(t, p.ha.VRRP, "to_b", true, 5*time.Second)
	waitState(t, p.hb.VRRP, "to_a", true, 5*time.Second)
	deadline := time.Now().Add(2 * time.Second)
	for {
		a, b := snapshot(p.ea), snapshot(p.eb)
		// a sends at max(its 10 ms, b's min_rx 10 ms); b at its 20 ms;
		// a's detection time is b's multiplier × max(a's min_rx, b's 20 ms)
		if !a.poll && !b.poll && a.localTxIntv == 10000 && b.localTxIntv == 20000 && a.detectTime == 100000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a: poll %v tx %d detect %d; b: poll %v tx %d", a.poll, a.localTxIntv, a.detectTime, b.poll, b.localTxIntv)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReloadKeepsUnchangedSession: a reload keeps an unchanged session
// Up (no event); a changed one starts again from Down.
func TestReloadKeepsUnchangedSession(t *testing.T) {
	p := startPair(t, nil, nil)
	waitState(t, p.ha.VRRP, "to_b", true, 5*time.Second)
	p.ha.VRRP.Drain()
	p.ea.Reload(context.Background(), []Config{cfgTo("to_b", p.b, nil)})
	time.Sleep(200 * time.Millisecond)
	if evs := p.ha.VRRP.Drain(); len(evs) != 0 {
		t.Fatalf("unchanged session reported %v at reload", evs)
	}
	if s := snapshot(p.ea); s.localState != Up {
		t.Fatalf("unchanged session %v after reload", s.localState)
	}
	p.ea.Reload(context.Background(), []Config{cfgTo("to_b", p.b, func(c *Config) { c.Multiplier = 4 })})
	if s := snapshot(p.ea); s.localState != Down {
		t.Fatalf("changed session %v after reload, want a new one", s.localState)
	}
	waitState(t, p.ha.VRRP, "to_b", true, 5*time.Second)
}

// TestIPv6Session: an IPv6 session comes up; its TTL defaults to 64
// (hop limit), which GTSM then requires.
func TestIPv6Session(t *testing.T) {
	net := NewFakeNet()
	a, b := netip.MustParseAddr("fd00::1"), netip.MustParseAddr("fd00::2")
	la, _ := testLog()
	lb, _ := testLog()
	ha := NewHub()
	ea, eb := New(net.Host(a), la, ha), New(net.Host(b), lb, nil)
	ca, da := run(ea, []Config{cfgTo("six", b, nil)})
	defer func() { ca(); <-da }()
	cb, db := run(eb, []Config{cfgTo("six", a, nil)})
	defer func() { cb(); <-db }()
	waitState(t, ha.VRRP, "six", true, 5*time.Second)
	if s := snapshot(ea); s.cfg.TTL != 64 {
		t.Fatalf("IPv6 hop limit %d, want 64", s.cfg.TTL)
	}
}

// TestMultihop: multihop sessions (keepalived 2.4) talk on 4784, across
// hops their max_hops allow; a multihop end never meets a single-hop
// one, and only the ports in use are listened on.
func TestMultihop(t *testing.T) {
	mh := func(c *Config) { c.Multihop, c.MaxHops = true, 3 }
	p := startPair(t, mh, mh)
	p.net.mu.Lock()
	p.net.TTL = 252 // three routers on the way
	p.net.mu.Unlock()
	waitState(t, p.ha.VRRP, "to_b", true, 5*time.Second)
	p.net.mu.RLock()
	_, on3784 := p.net.rcv[netip.AddrPortFrom(p.a, Port)]
	_, on4784 := p.net.rcv[netip.AddrPortFrom(p.a, MultihopPort)]
	p.net.mu.RUnlock()
	if on3784 || !on4784 {
		t.Errorf("listening on 3784 %v, 4784 %v; want only 4784", on3784, on4784)
	}

	q := startPair(t, mh, func(c *Config) { c.MaxHops = 3 })
	// a also has a single-hop session elsewhere, so listens on both
	q.ea.Reload(context.Background(), []Config{cfgTo("to_b", q.b, mh), cfgTo("to_c", netip.MustParseAddr("10.0.0.3"), nil)})
	time.Sleep(2500 * time.Millisecond)
	if up, _ := q.ha.VRRP.State("to_b"); up {
		t.Fatal("a multihop session came up with a single-hop one")
	}
	// a listener on both ports still tells the kinds apart
	q.net.Inject(q.a, Port, q.b, 255, downFrom(7))
	deadline := time.Now().Add(5 * time.Second)
	for q.ea.Drops()[ErrNoSession.Error()] == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("a single-hop packet matched the multihop session: %v", q.ea.Drops())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// downFrom is a Down packet with discriminator my and no your
// discriminator: it is matched by address.
func downFrom(my uint32) []byte {
	var b [PacketLen]byte
	(&Packet{Version: 1, State: Down, DetectMult: 3, MyDisc: my, Length: PacketLen}).Marshal(b[:])
	return b[:]
}

// TestMultihopReload: a reload that makes the session multihop moves
// the listening socket from 3784 to 4784.
func TestMultihopReload(t *testing.T) {
	p := startPair(t, nil, nil)
	waitState(t, p.ha.VRRP, "to_b", true, 5*time.Second)
	listening := func(a netip.Addr, port uint16) bool {
		p.net.mu.RLock()
		defer p.net.mu.RUnlock()
		_, ok := p.net.rcv[netip.AddrPortFrom(a, port)]
		return ok
	}
	if !listening(p.a, Port) || listening(p.a, MultihopPort) {
		t.Fatal("single-hop: not on 3784 alone")
	}
	mh := func(c *Config) { c.Multihop = true }
	p.ea.Reload(context.Background(), []Config{cfgTo("to_b", p.b, mh)})
	p.eb.Reload(context.Background(), []Config{cfgTo("to_a", p.a, mh)})
	if listening(p.a, Port) || !listening(p.a, MultihopPort) {
		t.Fatal("multihop after reload: not on 4784 alone")
	}
	waitState(t, p.ha.VRRP, "to_b", true, 5*time.Second)
}
