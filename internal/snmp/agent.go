package snmp

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/dumps"
	"github.com/gokeepalived/gokeepalived/internal/lograte"
	"github.com/gokeepalived/gokeepalived/internal/metrics"
	"github.com/gokeepalived/gokeepalived/internal/snmp/agentx"
)

// DefaultSocket is net-snmp's AgentX socket, keepalived's default.
const DefaultSocket = "unix:/var/agentx/master"

// Source gives the running configuration and a snapshot of the
// subsystems, with the kernel's IPVS counters when counters is set; it
// is called from the agent's goroutine only.
type Source func(counters bool) (*conf.Config, metrics.Snapshot)

// Options configure an Agent.
type Options struct {
	Log    *slog.Logger
	Source Source
	// Socket is snmp_socket; empty is DefaultSocket.
	Socket string
	Which  Which
	// Poll is how often snapshots are compared for notifications.
	Poll time.Duration
}

// Agent is the subagent: one goroutine that connects to the master,
// registers, answers requests and sends notifications; after the master
// goes away it connects again with a backoff.
type Agent struct {
	o       Options
	stop    chan struct{}
	done    chan struct{}
	started time.Time
	once    sync.Once

	// Notification state, kept across reconnections.
	seen      bool
	vrrpPrev  map[string]int
	groupPrev map[string]int
	rsPrev    map[string]bool
	// quorumPrev is whether each virtual server has had its quorum.
	quorumPrev map[string]bool

	// malformed counts PDUs from the master that were dropped.
	malformed atomic.Uint64
	quiet     atomic.Bool // Close: no stop notifications
	logMu     sync.Mutex
	limit     *lograte.Limiter

	cacheAt   time.Time
	buildTook time.Duration
	cache     View
	cacheCfg  *conf.Config
}

// Start runs an agent until Stop.
func Start(o Options) *Agent {
	if o.Poll <= 0 {
		o.Poll = 250 * time.Millisecond
	}
	if o.Socket == "" {
		o.Socket = DefaultSocket
	}
	a := &Agent{o: o, stop: make(chan struct{}), done: make(chan struct{}), started: time.Now(), limit: lograte.Default()}
	go a.run()
	return a
}

// Close ends the session without the stop notifications (a reload
// that changes what is served).
func (a *Agent) Close() {
	a.quiet.Store(true)
	a.Stop()
}

// Malformed counts the PDUs from the master that were dropped as
// malformed.
func (a *Agent) Malformed() uint64 { return a.malformed.Load() }

// warn logs a line of kind key, rate-limited.
func (a *Agent) warn(key, line string) {
	a.logMu.Lock()
	ok, n := a.limit.Allow(key, time.Now())
	a.logMu.Unlock()
	if !ok {
		return
	}
	if n > 0 {
		line += fmt.Sprintf(" (%d more not logged)", n)
	}
	a.o.Log.Warn(line)
}

// Stop closes the session (Close-PDU, reason shutdown) and waits.
func (a *Agent) Stop() {
	a.once.Do(func() { close(a.stop) })
	<-a.done
}

// dialAddr turns snmp_socket into a network and address, as net-snmp
// reads it: "unix:PATH", "/PATH", "tcp:HOST[:PORT]", "tcp6:…",
// "HOST:PORT" (AgentX's port is 705). AgentX over UDP is refused.
func dialAddr(s string) (string, string, error) {
	switch {
	case strings.HasPrefix(s, "unix:"):
		return "unix", strings.TrimPrefix(s, "unix:"), nil
	case strings.HasPrefix(s, "/"):
		return "unix", s, nil
	case strings.HasPrefix(s, "udp:"), strings.HasPrefix(s, "udp6:"):
		return "", "", fmt.Errorf("AgentX over UDP is not supported")
	}
	for _, p := range []string{"tcp:", "tcp6:"} {
		s = strings.TrimPrefix(s, p)
	}
	if _, _, err := net.SplitHostPort(s); err != nil {
		s = net.JoinHostPort(strings.Trim(s, "[]"), "705")
	}
	return "tcp", s, nil
}

func (a *Agent) run() {
	defer close(a.done)
	backoff := time.Second
	logged := false
	for {
		err := a.session()
		select {
		case <-a.stop:
			return
		default:
		}
		if err != nil && !logged {
			a.o.Log.Warn(fmt.Sprintf("SNMP: AgentX master %s: %v; retrying", a.o.Socket, err))
			logged = true
		}
		if err == nil {
			backoff, logged = time.Second, false
		}
		select {
		case <-a.stop:
			return
		case <-time.After(backoff):
		}
		if backoff < 30*time.Second {
			backoff *= 2
		}
	}
}

// timeout bounds every wait on the master; pingEvery is how often the
// session is checked.
const (
	timeout   = 5 * time.Second
	pingEvery = 15 * time.Second
)

type conn struct {
	c       net.Conn
	r       *bufio.Reader
	session uint32
	packet  uint32
}

func (c *conn) send(p *agentx.PDU) error {
	p.SessionID = c.session
	if p.Type != agentx.TypeResponse {
		c.packet++
		p.PacketID = c.packet
	}
	b, err := p.Encode()
	if err != nil {
		return err
	}
	c.c.SetWriteDeadline(time.Now().Add(timeout))
	_, err = c.c.Write(b)
	return err
}

// call sends p and reads until its response.
func (c *conn) call(p *agentx.PDU) (*agentx.PDU, error) {
	if err := c.send(p); err != nil {
		return nil, err
	}
	c.c.SetReadDeadline(time.Now().Add(timeout))
	defer c.c.SetReadDeadline(time.Time{})
	for {
		r, err := agentx.ReadPDU(c.r)
		if err != nil {
			return nil, err
		}
		if r.Type == agentx.TypeResponse && r.PacketID == p.PacketID {
			if r.Error != agentx.ErrNone {
				return r, fmt.Errorf("AgentX error %d", r.Error)
			}
			return r, nil
		}
	}
}

// subtrees are what w registers, as keepalived does.
func subtrees(w Which) []agentx.OID {
	var s []agentx.OID
	if w.VRRP || w.Checker {
		s = append(s, globalOID)
	}
	if w.VRRP {
		s = append(s, vrrpOID)
	}
	if w.Checker {
		s = append(s, checkOID)
	}
	if w.RFCv2 {
		s = append(s, RFCv2OID)
	}
	if w.RFCv3 {
		s = append(s, RFCv3OID)
	}
	return s
}

func (a *Agent) session() error {
	network, addr, err := dialAddr(a.o.Socket)
	if err != nil {
		return err
	}
	nc, err := net.DialTimeout(network, addr, timeout)
	if err != nil {
		return err
	}
	c := &conn{c: nc, r: bufio.NewReader(nc)}
	defer nc.Close()
	r, err := c.call(&agentx.PDU{Header: agentx.Header{Type: agentx.TypeOpen}, Timeout: 5, ID: KeepalivedOID, Descr: "gokeepalived (Keepalived v2.2.7)"})
	if err != nil {
		return fmt.Errorf("open: %v", err)
	}
	c.session = r.SessionID
	for _, t := range subtrees(a.o.Which) {
		if _, err := c.call(&agentx.PDU{Header: agentx.Header{Type: agentx.TypeRegister}, Timeout: 5, Priority: 127, Subtree: t}); err != nil {
			return fmt.Errorf("register %s: %v", t, err)
		}
	}
	a.o.Log.Info("SNMP: AgentX subagent connected")

	// The reader ends with the connection (closed when this returns);
	// ended tells it no one reads in any more.
	in := make(chan *agentx.PDU)
	errc := make(chan error, 1)
	ended := make(chan struct{})
	defer close(ended)
	go func() {
		for {
			p, err := agentx.ReadPDU(c.r)
			if errors.Is(err, agentx.ErrMalformed) {
				a.malformed.Add(1)
				a.warn("malformed", fmt.Sprintf("SNMP: dropped a malformed AgentX PDU (%v)", err))
				continue
			}
			if err != nil {
				errc <- err
				return
			}
			select {
			case in <- p:
			case <-ended:
				return
			}
		}
	}()
	poll := time.NewTicker(a.o.Poll)
	defer poll.Stop()
	ping := time.NewTicker(pingEvery)
	heard := time.Now()
	defer ping.Stop()
	a.notify(c) // the states as first seen
	for {
		select {
		case <-a.stop:
			if !a.quiet.Load() {
				for _, p := range a.stopTraps() {
					c.send(p)
				}
			}
			c.send(&agentx.PDU{Header: agentx.Header{Type: agentx.TypeClose}, Reason: agentx.ReasonShutdown})
			return nil
		case err := <-errc:
			a.warn("away", fmt.Sprintf("SNMP: AgentX master went away (%v)", err))
			return nil
		case p := <-in:
			heard = time.Now()
			if err := a.answer(c, p); err != nil {
				return err
			}
		case <-poll.C:
			if err := a.notify(c); err != nil {
				return err
			}
		case <-ping.C:
			// a master that answers no ping for three periods is gone
			if time.Since(heard) > 3*pingEvery+timeout {
				return errors.New("the master answers no ping")
			}
			if err := c.send(&agentx.PDU{Header: agentx.Header{Type: agentx.TypePing}}); err != nil {
				return err
			}
		}
	}
}

// view is the current view, rebuilt at most once a second, or once in
// five times what the last build took: a walk of many GetNexts reads one
// snapshot (and one IPVS dump), not hundreds, and a large table is not
// rebuilt more than a fifth of the time.
func (a *Agent) view() (View, *conf.Config) {
	if a.cache != nil && time.Since(a.cacheAt) < max(time.Second, 5*a.buildTook) {
		return a.cache, a.cacheCfg
	}
	start := time.Now()
	cfg, snap := a.o.Source(a.o.Which.Checker)
	env := HostEnv(a.started)
	a.cache, a.cacheCfg = Build(cfg, &snap, a.o.Which, env), cfg
	a.cacheAt = time.Now()
	a.buildTook = a.cacheAt.Sub(start)
	return a.cache, cfg
}

func (a *Agent) uptime() uint32 { return uint32(time.Since(a.started) / (10 * time.Millisecond)) }

func (a *Agent) answer(c *conn, p *agentx.PDU) error {
	resp := &agentx.PDU{Header: agentx.Header{Type: agentx.TypeResponse, TransactionID: p.TransactionID, PacketID: p.PacketID},
		SysUpTime: a.uptime(), Context: p.Context}
	switch p.Type {
	case agentx.TypeGet, agentx.TypeGetNext, agentx.TypeGetBulk:
		v, _ := a.view()
		resp.VarBinds = v.Answer(p)
	case agentx.TypeTestSet:
		resp.Error, resp.ErrorIndex = agentx.ErrNotWritable, 1
	case agentx.TypeCommitSet, agentx.TypeUndoSet, agentx.TypeCleanupSet:
	case agentx.TypeClose:
		return errors.New("closed by the master")
	default:
		return nil // responses to our pings and notifications
	}
	return c.send(resp)
}

// Answer answers a Get, GetNext or GetBulk from v.
func (v View) Answer(p *agentx.PDU) []agentx.VarBind {
	var out []agentx.VarBind
	switch p.Type {
	case agentx.TypeGet:
		for _, r := range p.Ranges {
			out = append(out, v.get(r.Start))
		}
	case agentx.TypeGetNext:
		for _, r := range p.Ranges {
			out = append(out, v.next(r))
		}
	case agentx.TypeGetBulk:
		n := int(p.NonRepeaters)
		for i, r := range p.Ranges {
			if i < n {
				out = append(out, v.next(r))
			}
		}
		if n > len(p.Ranges) {
			n = len(p.Ranges)
		}
		reps := p.Ranges[n:]
		cur := append([]agentx.SearchRange(nil), reps...)
		for k := 0; k < int(p.MaxRepetitions) && len(out) < 4096; k++ {
			for i := range cur {
				vb := v.next(cur[i])
				out = append(out, vb)
				cur[i].Start, cur[i].Include = vb.Name, false
			}
		}
	}
	return out
}

func (v View) search(o agentx.OID) int {
	lo, hi := 0, len(v)
	for lo < hi {
		m := (lo + hi) / 2
		if agentx.Compare(v[m].Name, o) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func (v View) get(o agentx.OID) agentx.VarBind {
	i := v.search(o)
	if i < len(v) && agentx.Compare(v[i].Name, o) == 0 {
		return v[i]
	}
	// An object whose column exists but not this row is noSuchInstance.
	t := uint16(agentx.NoSuchObject)
	if len(o) > 1 {
		parent := o[:len(o)-1]
		j := v.search(parent)
		if j < len(v) && v[j].Name.HasPrefix(parent) && len(v[j].Name) == len(o) {
			t = agentx.NoSuchInstance
		}
	}
	return agentx.VarBind{Type: t, Name: o}
}

func (v View) next(r agentx.SearchRange) agentx.VarBind {
	i := v.search(r.Start)
	if i < len(v) && !r.Include && agentx.Compare(v[i].Name, r.Start) == 0 {
		i++
	}
	if i < len(v) && (len(r.End) == 0 || agentx.Compare(v[i].Name, r.End) < 0) {
		return v[i]
	}
	return agentx.VarBind{Type: agentx.EndOfMibView, Name: r.Start}
}

var (
	snmpTrapOID       = agentx.MustOID("1.3.6.1.6.3.1.1.4.1.0")
	vrrpStateTrap     = vrrpOID.Append(10, 0, 2)
	vrrpGroupTrap     = vrrpOID.Append(10, 0, 1)
	groupNameOID      = vrrpOID.Append(1, 1, 2)
	groupStateOID     = vrrpOID.Append(1, 1, 3)
	rfcv2NewMaster    = RFCv2OID.Append(0, 1)
	rfcv3NewMaster    = RFCv3OID.Append(0, 1)
	realServerTrap    = checkOID.Append(5, 0, 1)
	quorumTrapOID     = checkOID.Append(5, 0, 2)
	routerIDOID       = globalOID.Append(2, 0)
	instNameOID       = vrrpOID.Append(3, 1, 2)
	instStateOID      = vrrpOID.Append(3, 1, 4)
	instInitStateOID  = vrrpOID.Append(3, 1, 5)
	rfcv2MasterIPOID  = RFCv2OID.Append(1, 3, 1, 7)
	rfcv3MasterIPOID  = RFCv3OID.Append(1, 1, 1, 1, 3)
	rfcv3ReasonOID    = RFCv3OID.Append(1, 2, 5, 1, 2)
	vsPrefixOID       = checkOID.Append(3, 1)
	rsPrefixOID       = checkOID.Append(4, 1)
	objectIDTypedNull = agentx.ObjectID
)

// notify compares the snapshot with the last one and sends keepalived's
// notifications for what changed: vrrpInstanceStateChange (with the RFC
// new-master traps) and realServerStateChange.
func (a *Agent) notify(c *conn) error {
	cfg, snap := a.o.Source(false)
	first := !a.seen
	a.seen = true
	var pdus []*agentx.PDU
	traps := cfg.Global.EnableTraps
	// An instance missing from the snapshot (its subsystem stopping)
	// keeps its last state, for the stop notifications.
	state := map[string]int{}
	for k, v := range a.vrrpPrev {
		state[k] = v
	}
	for _, in := range snap.VRRP {
		state[in.Name] = in.State
	}
	b := newBuilder(cfg, HostEnv(a.started))
	for _, v := range cfg.VRRPInstances {
		s, ok := state[v.Name]
		if !ok || instanceNamed(snap, v.Name).Name == "" {
			continue
		}
		if prev, had := a.vrrpPrev[v.Name]; had && prev == s {
			continue
		}
		if !traps {
			continue
		}
		if a.o.Which.VRRP {
			pdus = append(pdus, trap(vrrpStateTrap,
				agentx.VarBind{Type: agentx.OctetString, Name: instNameOID, Value: []byte(v.Name)},
				agentx.VarBind{Type: agentx.Integer, Name: instStateOID, Value: int32(stateOf(s))},
				agentx.VarBind{Type: agentx.Integer, Name: instInitStateOID, Value: int32(initialState(v))},
				agentx.VarBind{Type: agentx.OctetString, Name: routerIDOID, Value: []byte(routerID(cfg))}))
		}
		if s == 2 {
			idx, _, v4, v6 := b.iface(v.Interface)
			if a.o.Which.RFCv2 && v.Version != 3 && v.Family != 10 {
				pdus = append(pdus, trap(rfcv2NewMaster,
					agentx.VarBind{Type: agentx.IPAddress, Name: rfcv2MasterIPOID.Append(uint32(idx), uint32(v.VRID)), Value: addrBytes(v4)}))
			}
			if a.o.Which.RFCv3 {
				typ, ip := uint32(1), v4
				if v.Family == 10 {
					typ, ip = 2, v6
				}
				row := []uint32{uint32(idx), uint32(v.VRID), typ}
				in := instanceNamed(snap, v.Name)
				pdus = append(pdus, trap(rfcv3NewMaster,
					agentx.VarBind{Type: agentx.OctetString, Name: rfcv3MasterIPOID.Append(row...), Value: addrBytes(ip)},
					agentx.VarBind{Type: agentx.Integer, Name: rfcv3ReasonOID.Append(row...), Value: int32(masterReason(in))}))
			}
		}
	}
	a.vrrpPrev = state
	pdus = append(pdus, a.groupTraps(cfg, &snap, traps)...)
	pdus = append(pdus, a.rsTraps(cfg, &snap, first, traps)...)
	pdus = append(pdus, a.quorumTraps(cfg, &snap, traps)...)
	for _, p := range pdus {
		if err := c.send(p); err != nil {
			return err
		}
	}
	return nil
}

// stopTraps are the vrrpInstanceStateChange keepalived sends as its
// instances stop (state 5).
func (a *Agent) stopTraps() []*agentx.PDU {
	cfg, _ := a.o.Source(false)
	out := a.rsStopTraps(cfg)
	if !cfg.Global.EnableTraps || !a.o.Which.VRRP {
		return out
	}
	for _, v := range cfg.VRRPInstances {
		if _, ok := a.vrrpPrev[v.Name]; !ok {
			continue
		}
		out = append(out, trap(vrrpStateTrap,
			agentx.VarBind{Type: agentx.OctetString, Name: instNameOID, Value: []byte(v.Name)},
			agentx.VarBind{Type: agentx.Integer, Name: instStateOID, Value: int32(5)},
			agentx.VarBind{Type: agentx.Integer, Name: instInitStateOID, Value: int32(initialState(v))},
			agentx.VarBind{Type: agentx.OctetString, Name: routerIDOID, Value: []byte(routerID(cfg))}))
	}
	for _, g := range cfg.SyncGroups {
		if _, ok := a.groupPrev[g.Name]; ok {
			out = append(out, groupTrap(cfg, g.Name, 5))
		}
	}
	return out
}

// groupTraps are vrrpSyncGroupStateChange for the sync groups whose
// state (as their members show it) changed.
func (a *Agent) groupTraps(cfg *conf.Config, snap *metrics.Snapshot, traps bool) []*agentx.PDU {
	byName := map[string]*dumps.Instance{}
	for i := range snap.VRRP {
		byName[snap.VRRP[i].Name] = &snap.VRRP[i]
	}
	now := map[string]int{}
	var out []*agentx.PDU
	for _, g := range cfg.SyncGroups {
		seen := false
		for _, m := range g.Instances {
			seen = seen || byName[m] != nil
		}
		if !seen {
			continue
		}
		s := groupState(g, byName)
		now[g.Name] = s
		if prev, had := a.groupPrev[g.Name]; (!had || prev != s) && traps && a.o.Which.VRRP {
			out = append(out, groupTrap(cfg, g.Name, s))
		}
	}
	a.groupPrev = now
	return out
}

func groupTrap(cfg *conf.Config, name string, state int) *agentx.PDU {
	return trap(vrrpGroupTrap,
		agentx.VarBind{Type: agentx.OctetString, Name: groupNameOID, Value: []byte(name)},
		agentx.VarBind{Type: agentx.Integer, Name: groupStateOID, Value: int32(state)},
		agentx.VarBind{Type: agentx.OctetString, Name: routerIDOID, Value: []byte(routerID(cfg))})
}

func instanceNamed(s metrics.Snapshot, name string) *metricsInstance {
	for i := range s.VRRP {
		if s.VRRP[i].Name == name {
			return &s.VRRP[i]
		}
	}
	return &metricsInstance{}
}

func trap(id agentx.OID, vbs ...agentx.VarBind) *agentx.PDU {
	all := append([]agentx.VarBind{{Type: uint16(objectIDTypedNull), Name: snmpTrapOID, Value: id}}, vbs...)
	return &agentx.PDU{Header: agentx.Header{Type: agentx.TypeNotify}, VarBinds: all}
}

// rsTraps are realServerStateChange for real servers whose health
// changed; at the first look none is sent (keepalived sends one only on
// a change of state).
func (a *Agent) rsTraps(cfg *conf.Config, snap *metrics.Snapshot, first, traps bool) []*agentx.PDU {
	// A real server missing from the snapshot (the checker stopping)
	// keeps its last state, for the stop notifications.
	now := map[string]bool{}
	for k, v := range a.rsPrev {
		now[k] = v
	}
	h := healthOf(snap)
	for _, vs := range cfg.VirtualServers {
		for _, rs := range vs.RealServers {
			if st, ok := h.of(vs, rs); ok {
				now[rsID(vs, rs)] = st.up
			}
		}
	}
	defer func() { a.rsPrev = now }()
	if a.quorumPrev == nil {
		a.quorumPrev = map[string]bool{}
	}
	var out []*agentx.PDU
	if first || !traps || !a.o.Which.Checker {
		return out
	}
	for _, vs := range cfg.VirtualServers {
		up := 0
		for _, rs := range vs.RealServers {
			if now[rsID(vs, rs)] {
				up++
			}
		}
		for _, rs := range vs.RealServers {
			k := rsID(vs, rs)
			st, ok := now[k]
			prev, had := a.rsPrev[k]
			if !ok || !had || prev == st {
				continue
			}
			out = append(out, rsTrap(cfg, vs, rs, st, up))
		}
	}
	return out
}

// quorumTraps are virtualServerQuorumStateChange, keepalived's way: the
// quorum is a sum of the live real servers' weights; it is gained at
// quorum + hysteresis and lost below quorum - hysteresis, and a virtual
// server starts without it (so the first notification is the gain).
func (a *Agent) quorumTraps(cfg *conf.Config, snap *metrics.Snapshot, traps bool) []*agentx.PDU {
	if a.quorumPrev == nil {
		a.quorumPrev = map[string]bool{}
	}
	h := healthOf(snap)
	var out []*agentx.PDU
	for _, vs := range cfg.VirtualServers {
		sum, up, known := 0, 0, false
		for _, rs := range vs.RealServers {
			if st, ok := h.of(vs, rs); ok {
				known = true
				if st.up {
					sum += st.weight
					up++
				}
			}
		}
		if !known { // the checker stopping: keep the state for the stop
			continue
		}
		key := vsID(vs)
		q, hy := int(max(vs.Quorum, 1)), int(vs.Hysteresis)
		was := a.quorumPrev[key]
		now := was
		switch {
		case !was && sum >= q+hy:
			now = true
		case was && (sum < q-hy || sum == 0):
			now = false
		}
		if now == was {
			continue
		}
		a.quorumPrev[key] = now
		if traps && a.o.Which.Checker {
			out = append(out, quorumTrap(cfg, vs, truth(now), up))
		}
	}
	return out
}

// vsID and rsID name a virtual server and one of its real servers in
// the notification state.
func vsID(vs *conf.VirtualServer) string {
	if vs.Group != "" {
		return "group " + vs.Group
	}
	return vsKey(vs)
}

func rsID(vs *conf.VirtualServer, rs *conf.RealServer) string {
	return vsID(vs) + "|" + netip.AddrPortFrom(rs.Addr, rs.Port).String()
}

// rsStopTraps are the realServerStateChange keepalived sends as it stops:
// each real server that was up goes down, in order, realUp counting
// down.
func (a *Agent) rsStopTraps(cfg *conf.Config) []*agentx.PDU {
	if !cfg.Global.EnableTraps || !a.o.Which.Checker {
		return nil
	}
	var out []*agentx.PDU
	for _, vs := range cfg.VirtualServers {
		key := vsID(vs)
		up := 0
		for _, rs := range vs.RealServers {
			if a.rsPrev[rsID(vs, rs)] {
				up++
			}
		}
		for _, rs := range vs.RealServers {
			if a.rsPrev[rsID(vs, rs)] {
				up--
				out = append(out, rsTrap(cfg, vs, rs, false, up))
			}
		}
		if a.quorumPrev[key] {
			out = append(out, quorumTrap(cfg, vs, 3, up))
		}
	}
	return out
}

// rsTrap is realServerStateChange with keepalived's varbinds.
func rsTrap(cfg *conf.Config, vs *conf.VirtualServer, rs *conf.RealServer, alive bool, up int) *agentx.PDU {
	vbs := []agentx.VarBind{
		{Type: agentx.Integer, Name: rsPrefixOID.Append(3), Value: int32(inetType(rs.Addr))},
		{Type: agentx.OctetString, Name: rsPrefixOID.Append(4), Value: addrBytes(rs.Addr)},
		{Type: agentx.Gauge32, Name: rsPrefixOID.Append(5), Value: uint32(rs.Port)},
		{Type: agentx.Integer, Name: rsPrefixOID.Append(6), Value: int32(truth(alive))},
	}
	vbs = append(vbs, vsIdent(vs)...)
	vbs = append(vbs,
		agentx.VarBind{Type: agentx.Integer, Name: vsPrefixOID.Append(8), Value: int32(truth(vs.Protocol == conf.LVSTCP || vs.Protocol == ""))},
		agentx.VarBind{Type: agentx.Gauge32, Name: vsPrefixOID.Append(21), Value: uint32(up)},
		agentx.VarBind{Type: agentx.Gauge32, Name: vsPrefixOID.Append(20), Value: uint32(len(vs.RealServers))},
		agentx.VarBind{Type: agentx.OctetString, Name: routerIDOID, Value: []byte(routerID(cfg))})
	return trap(realServerTrap, vbs...)
}

// vsIdent are the varbinds naming a virtual server in keepalived's
// checker notifications.
func vsIdent(vs *conf.VirtualServer) []agentx.VarBind {
	switch {
	case vs.Group != "":
		return []agentx.VarBind{{Type: agentx.Integer, Name: vsPrefixOID.Append(2), Value: int32(3)},
			{Type: agentx.OctetString, Name: vsPrefixOID.Append(3), Value: []byte(vs.Group)}}
	case vs.FWMark != 0:
		return []agentx.VarBind{{Type: agentx.Integer, Name: vsPrefixOID.Append(2), Value: int32(1)},
			{Type: agentx.Gauge32, Name: vsPrefixOID.Append(4), Value: vs.FWMark}}
	}
	return []agentx.VarBind{{Type: agentx.Integer, Name: vsPrefixOID.Append(2), Value: int32(2)},
		{Type: agentx.Integer, Name: vsPrefixOID.Append(5), Value: int32(inetType(vs.Addr))},
		{Type: agentx.OctetString, Name: vsPrefixOID.Append(6), Value: addrBytes(vs.Addr)},
		{Type: agentx.Gauge32, Name: vsPrefixOID.Append(7), Value: uint32(vs.Port)}}
}

// quorumTrap is virtualServerQuorumStateChange: status met 1, lost 2,
// stopping 3.
func quorumTrap(cfg *conf.Config, vs *conf.VirtualServer, status, up int) *agentx.PDU {
	vbs := append(vsIdent(vs),
		agentx.VarBind{Type: agentx.Integer, Name: vsPrefixOID.Append(8), Value: int32(truth(vs.Protocol == conf.LVSTCP || vs.Protocol == ""))},
		agentx.VarBind{Type: agentx.Integer, Name: vsPrefixOID.Append(23), Value: int32(status)},
		agentx.VarBind{Type: agentx.Gauge32, Name: vsPrefixOID.Append(22), Value: uint32(max(vs.Quorum, 1))},
		agentx.VarBind{Type: agentx.Gauge32, Name: vsPrefixOID.Append(21), Value: uint32(up)},
		agentx.VarBind{Type: agentx.Gauge32, Name: vsPrefixOID.Append(20), Value: uint32(len(vs.RealServers))},
		agentx.VarBind{Type: agentx.OctetString, Name: routerIDOID, Value: []byte(routerID(cfg))})
	return trap(quorumTrapOID, vbs...)
}

type metricsInstance = dumps.Instance
