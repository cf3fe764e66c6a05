package bfd

import (
	"fmt"
	"net/netip"
	"time"
)

// Config is one bfd_instance.
type Config struct {
	Name     string
	Neighbor netip.Addr
	Source   netip.Addr // unset: the kernel chooses
	// MinRx, MinTx and IdleTx are the required min RX, the desired min TX
	// while Up, and the desired min TX while not Up.
	MinRx, MinTx, IdleTx time.Duration
	Multiplier           uint8
	Passive              bool // send nothing until the peer is heard
	// Multihop (keepalived 2.4's multihop): the session sends to and is
	// found on port 4784 (RFC 5883) instead of 3784.
	Multihop bool
	TTL      uint8 // sent; 0: 255 (IPv4) or 64 (IPv6)
	// MaxHops is how many hops a received packet may have crossed: its
	// TTL must be at least TTL - MaxHops (RFC 5881's GTSM with 0); 255
	// turns the check off.
	MaxHops       uint8
	VRRP, Checker bool // who hears about it
}

// Port is the single-hop port (RFC 5881); MultihopPort is RFC 5883's,
// a multihop session's.
const (
	Port         = 3784
	MultihopPort = 4784
)

// port is where the session sends and listens.
func (c Config) port() uint16 {
	if c.Multihop {
		return MultihopPort
	}
	return Port
}

func us(d time.Duration) uint32 { return uint32(min(d/time.Microsecond, 1<<32-1)) }

// never is a deadline that is not armed.
const never = int64(1<<63 - 1)

// session is one BFD session's state variables (RFC 5880 6.8.1) and
// timers, in keepalived's terms. Times are nanoseconds on the engine's
// monotonic clock; intervals microseconds, as on the wire.
type session struct {
	cfg                                 Config
	minRx, minTx, idleTx                uint32
	localState, remoteState             State
	localDisc, remoteDisc               uint32
	localDiag, remoteDiag               Diag
	remoteMinTx, remoteMinRx            uint32
	remoteDemand                        bool
	remoteMult                          uint8
	poll, final                         bool
	localTxIntv, remoteTxIntv           uint32
	detectTime                          uint64 // µs
	txAt, expAt, rstAt                  int64
	sendNow                             bool // a Final is owed
	lastSeen                            int64
	sendErr                             bool
	tx                                  sender
	dstPort                             uint16
	idx                                 int   // in the timer heap
	dueAt                               int64 // due() when last placed in the heap
	reported                            State
	rxPackets, txPackets, txErrs, downs uint64
	upSince                             int64
}

func newSession(c Config, disc uint32) *session {
	s := &session{cfg: c, minRx: us(c.MinRx), minTx: us(c.MinTx), idleTx: us(c.IdleTx),
		localState: Down, remoteState: Down, localDisc: disc,
		txAt: never, expAt: never, rstAt: never, idx: -1, reported: Down, dstPort: c.port()}
	s.localTxIntv = s.idleTx
	return s
}

// due is the session's next deadline.
func (s *session) due() int64 {
	d := min(s.txAt, s.expAt, s.rstAt)
	if s.sendNow {
		d = min(d, 0)
	}
	return d
}

func (s *session) updateLocalTx()  { s.localTxIntv = max(s.minTx, s.remoteMinRx) }
func (s *session) updateRemoteTx() { s.remoteTxIntv = max(s.minRx, s.remoteMinTx) }
func (s *session) idleLocalTx()    { s.localTxIntv = max(s.idleTx, s.remoteMinRx) }

// build fills p with the packet the session sends now.
func (s *session) build(p *Packet) {
	if s.poll && s.final {
		s.poll = false // the Final carries the new parameters already
	}
	minTx := s.idleTx
	if s.localState == Up {
		minTx = s.minTx
	}
	*p = Packet{Version: 1, Diag: s.localDiag, State: s.localState, Poll: s.poll, Final: s.final,
		DetectMult: s.cfg.Multiplier, Length: PacketLen, MyDisc: s.localDisc, YourDisc: s.remoteDisc,
		MinTx: minTx, MinRx: s.minRx}
}

// txDelay is the interval to the next packet, less RFC 5880's jitter
// (0-25 %, 10-25 % with a multiplier of 1); r is in [0, 1).
func (s *session) txDelay(r float64) int64 {
	lo := 0.0
	if s.cfg.Multiplier == 1 {
		lo = 0.10
	}
	j := lo + r*(0.25-lo)
	return int64(float64(s.localTxIntv)*(1-j)) * 1000
}

// logger receives the session's log lines (keepalived's wording).
type logger interface {
	info(msg string)
	warn(msg string)
}

// events receives Up/Down changes.
type events interface {
	changed(s *session, up bool)
}

// machine is the state machine's context: the clock, jitter and outputs.
type machine struct {
	now  int64
	rand func() float64
	log  logger
	ev   events
	disc func(s *session) uint32 // a new local discriminator for s
}

func (m *machine) scheduleTx(s *session) { s.txAt = m.now + s.txDelay(m.rand()) }

// receive runs a valid packet through the session (keepalived's
// bfd_handle_packet after the session lookup and TTL check).
func (m *machine) receive(s *session, p *Packet) {
	if s.localState == AdminDown {
		return
	}
	s.rxPackets++
	oldTx, oldDetect := s.localTxIntv, s.detectTime
	s.remoteDisc, s.remoteState, s.remoteDiag = p.MyDisc, p.State, p.Diag
	s.remoteMinRx, s.remoteMinTx, s.remoteDemand, s.remoteMult = p.MinRx, p.MinTx, p.Demand, p.DetectMult
	if p.Final {
		s.poll = false
	}
	if s.localState != Up || p.Poll || p.Final {
		if s.remoteState == Up && (s.localState == Init || s.localState == Up) {
			s.updateLocalTx()
		} else {
			s.idleLocalTx()
		}
		s.updateRemoteTx()
	}
	s.detectTime = uint64(s.remoteMult) * uint64(s.remoteTxIntv)
	if s.localTxIntv < oldTx && s.txAt != never {
		m.scheduleTx(s)
	}
	if s.detectTime != oldDetect {
		m.log.info(fmt.Sprintf("%*s Detection time is %d us (was %d us)", len(s.cfg.Name)+2, "", s.detectTime, oldDetect))
	}
	switch {
	case s.remoteState == AdminDown && s.localState != Down:
		m.down(s, DiagNeighborDown)
	case s.localState == Down && s.remoteState == Down:
		m.toInit(s)
	case s.localState == Down && s.remoteState == Init:
		m.up(s)
	case s.localState == Init && (s.remoteState == Init || s.remoteState == Up):
		m.up(s)
	case s.localState == Up && s.remoteState == Down:
		m.down(s, DiagNeighborDown)
	}
	// demand mode is not ours to request; a peer asking it while both
	// are Up stops our periodic packets (RFC 5880 6.6)
	if s.remoteDemand && s.localState == Up && s.remoteState == Up {
		s.txAt = never
	} else if s.txAt == never { // a passive session answers once it hears the peer
		m.scheduleTx(s)
	}
	if p.Poll {
		s.final, s.sendNow = true, true
	}
	s.lastSeen = m.now
	if s.localState == Up || s.localState == Init {
		s.expAt = m.now + int64(s.detectTime)*1000
	}
}

// rise is what Init and Up have in common.
func (m *machine) rise(s *session) {
	s.localDiag = DiagNone
	if s.localState == Up {
		m.log.info(fmt.Sprintf("(%s) Entering %s state", s.cfg.Name, s.localState))
	}
	s.rstAt = never
	if s.expAt == never {
		s.expAt = m.now + int64(s.detectTime)*1000
	}
}

func (m *machine) toInit(s *session) {
	s.localState = Init
	m.rise(s)
	if s.cfg.Passive && s.txAt == never {
		m.scheduleTx(s)
	}
}

func (m *machine) up(s *session) {
	s.localState = Up
	s.upSince = m.now
	m.rise(s)
	if s.idleTx != s.minTx && !s.final {
		s.poll = true // the faster rate is agreed by a poll sequence
	}
	m.report(s)
}

// down enters Down with diag (keepalived's bfd_state_down).
func (m *machine) down(s *session, diag Diag) {
	was := s.localState
	if was == Up {
		s.localDisc = m.disc(s)
		s.downs++
		m.log.warn(fmt.Sprintf("(%s) Entering %s state (Local diagnostic - %s, Remote diagnostic - %s)",
			s.cfg.Name, Down, diag, s.remoteDiag))
	}
	s.localState, s.localDiag = Down, diag
	s.rstAt = m.now + int64(s.detectTime)*1000
	if s.cfg.Passive {
		s.txAt = never
	}
	s.idleLocalTx()
	s.expAt = never
	if was == Up && s.remoteState != AdminDown {
		m.report(s)
	} else if was == Up {
		s.reported = Down // keepalived sends no event then; our view follows the state
	}
}

func (m *machine) report(s *session) {
	st := Down
	if s.localState == Up {
		st = Up
	}
	if st == s.reported {
		return
	}
	s.reported = st
	if m.ev != nil {
		m.ev.changed(s, st == Up)
	}
}

// fire runs the session's due timers; send is called for a packet due.
func (m *machine) fire(s *session, send func(*session)) {
	if s.expAt <= m.now {
		s.expAt = never
		dead := m.now - s.lastSeen
		if s.localState == Up {
			m.log.warn(fmt.Sprintf("(%s) Expired after %d ms (%d usec overdue)", s.cfg.Name,
				dead/int64(time.Millisecond), dead/1000-int64(s.detectTime)))
		}
		s.remoteDisc = 0
		m.down(s, DiagExpired)
	}
	if s.rstAt <= m.now {
		// the session is reset to its initial state a detection time
		// after going Down (keepalived's bfd_reset_thread)
		s.rstAt = never
		s.remoteState, s.remoteDisc, s.remoteDiag, s.remoteDemand, s.poll, s.final = Down, 0, DiagNone, false, false, false
		s.idleLocalTx()
	}
	if s.sendNow {
		s.sendNow = false
		send(s)
		s.final = false
	}
	if s.txAt <= m.now {
		send(s)
		s.final = false
		m.scheduleTx(s)
	}
}
