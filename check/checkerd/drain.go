package checkerd

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	checkengine "github.com/gokeepalived/gokeepalived/check"
	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/metrics"
	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/reconcile"
)

// Draining a real server: weight 0 in IPVS at once, so new connections
// go elsewhere, and deletion once the kernel counts no connection to it
// or at the timeout. The drains are an overlay on the engine's table,
// applied wherever the table is programmed (sync, reload, the periodic
// repair), so the repair neither restores the weight nor adds back a
// drained server, and a reload keeps the drains going.

// drainPoll is how often the connections of draining servers are read.
var drainPoll = time.Second

type drainKey struct {
	svc  ipvs.ServiceKey
	dest ipvs.DestKey
}

// Drain reasons.
const (
	drainCommand = "command" // gokeepalived drain
	drainReload  = "reload"  // removed from the configuration, drain block
)

type drainState struct {
	reason   string
	since    time.Time
	deadline time.Time // zero: until no connection is left
	conns    uint64    // connections left at the last read
	read     bool      // conns has been read
	removed  bool      // deleted from IPVS; a command's drain stays until undrain
	// orphan: no longer in the configuration, kept in the table (at
	// weight 0) by the drain alone, as dest.
	orphan bool
	dest   ipvs.Destination
}

// overlay applies the drains to a table from the engine: drained servers
// at weight 0, removed ones left out, orphans added back. With syncMu.
func (c *Checker) overlay(desired []reconcile.VirtualService) []reconcile.VirtualService {
	if len(c.drains) == 0 {
		return desired
	}
	bySvc := map[ipvs.ServiceKey][]drainKey{}
	for k := range c.drains {
		bySvc[k.svc] = append(bySvc[k.svc], k)
	}
	out := make([]reconcile.VirtualService, len(desired))
	for i, vs := range desired {
		out[i] = vs
		keys := bySvc[vs.Service.ServiceKey]
		if len(keys) == 0 {
			continue
		}
		ds := make([]ipvs.Destination, 0, len(vs.Dests)+len(keys))
		present := map[ipvs.DestKey]bool{}
		for _, d := range vs.Dests {
			present[d.Key()] = true
			st := c.drains[drainKey{vs.Service.ServiceKey, d.Key()}]
			switch {
			case st == nil:
			case st.removed:
				continue
			default:
				d.Weight = 0
			}
			ds = append(ds, d)
		}
		sort.Slice(keys, func(a, b int) bool { return keys[a].dest.String() < keys[b].dest.String() })
		for _, k := range keys {
			if st := c.drains[k]; st.orphan && !st.removed && !present[k.dest] {
				d := st.dest
				d.Weight = 0
				ds = append(ds, d)
			}
		}
		out[i].Dests = ds
	}
	return out
}

// syncFullLocked programs the whole table with the drains; with syncMu.
func (c *Checker) syncFullLocked() []reconcile.Op {
	c.full = false
	c.eng.Changed() // taken whole below
	desired := c.overlay(c.eng.Table())
	ops, err := c.diff(desired)
	c.apply(ops, err)
	c.applied = desired
	return ops
}

// VSMatcher is a virtual server as the drain command names it:
// IP:PORT or [IPv6]:PORT with an optional /tcp, /udp or /sctp (without
// it every protocol), or fwmark:N.
type VSMatcher struct {
	addr  netip.AddrPort
	proto ipvs.Protocol // 0: any
	mark  uint32
}

// ParseVS reads a virtual server as the drain command names it.
func ParseVS(s string) (VSMatcher, error) {
	var m VSMatcher
	if v, ok := strings.CutPrefix(s, "fwmark:"); ok {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n == 0 {
			return m, fmt.Errorf("bad virtual server %q: fwmark:N with N in [1, 4294967295]", s)
		}
		m.mark = uint32(n)
		return m, nil
	}
	addr, proto, ok := strings.Cut(s, "/")
	if ok {
		switch strings.ToLower(proto) {
		case "tcp":
			m.proto = ipvs.TCP
		case "udp":
			m.proto = ipvs.UDP
		case "sctp":
			m.proto = ipvs.SCTP
		default:
			return m, fmt.Errorf("bad virtual server %q: protocol %q is not tcp, udp or sctp", s, proto)
		}
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return m, fmt.Errorf("bad virtual server %q: IP:PORT, [IPv6]:PORT (optional /tcp, /udp, /sctp) or fwmark:N", s)
	}
	m.addr = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	return m, nil
}

// Match reports whether k is the virtual server m names.
func (m VSMatcher) Match(k ipvs.ServiceKey) bool {
	if m.mark != 0 {
		return k.FWMark == m.mark
	}
	return k.FWMark == 0 && k.Addr == m.addr.Addr() && k.Port == m.addr.Port() && (m.proto == 0 || k.Protocol == m.proto)
}

// ParseRS reads a real server, IP:PORT or [IPv6]:PORT.
func ParseRS(s string) (ipvs.DestKey, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return ipvs.DestKey{}, fmt.Errorf("bad real server %q: IP:PORT or [IPv6]:PORT", s)
	}
	return ipvs.DestKey{Addr: ap.Addr().Unmap(), Port: ap.Port()}, nil
}

// drainTargets are the (service, real server) pairs vs and rs name among
// the configured real servers and the drains. With syncMu.
func (c *Checker) drainTargets(vs, rs string) ([]drainKey, error) {
	m, err := ParseVS(vs)
	if err != nil {
		return nil, err
	}
	dk, err := ParseRS(rs)
	if err != nil {
		return nil, err
	}
	if c.eng == nil {
		return nil, fmt.Errorf("the checker is not running")
	}
	seen := map[drainKey]bool{}
	var out []drainKey
	add := func(k drainKey) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, r := range c.eng.Status() {
		if !r.Sorry && r.Dest.Key() == dk && m.Match(r.Service) {
			add(drainKey{r.Service, dk})
		}
	}
	for k := range c.drains {
		if k.dest == dk && m.Match(k.svc) {
			add(k)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no real server %s in virtual server %s", rs, vs)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].svc.String() < out[b].svc.String() })
	return out, nil
}

// Drain sets the real server rs of virtual server vs to weight 0 at once
// and deletes it from IPVS once it has no connection left, or at the
// timeout (0: none). Draining again changes the timeout.
func (c *Checker) Drain(vs, rs string, timeout time.Duration) (string, error) {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	keys, err := c.drainTargets(vs, rs)
	if err != nil {
		return "", err
	}
	now := time.Now()
	if c.drains == nil {
		c.drains = map[drainKey]*drainState{}
	}
	var msgs []string
	for _, k := range keys {
		st := c.drains[k]
		if st == nil {
			st = &drainState{reason: drainCommand, since: now}
			c.drains[k] = st
		}
		st.deadline = time.Time{}
		if timeout > 0 {
			st.deadline = now.Add(timeout)
		}
		c.log.Info(fmt.Sprintf("IPVS: draining real server %s of %s%s", k.dest, k.svc, timeoutText(timeout)))
		msgs = append(msgs, fmt.Sprintf("draining %s in %s%s", k.dest, k.svc, timeoutText(timeout)))
	}
	logOps(c.log, "drain", c.syncFullLocked())
	c.kickDrains()
	return strings.Join(msgs, "; "), nil
}

func timeoutText(t time.Duration) string {
	if t <= 0 {
		return ": weight 0, removed when no connection is left"
	}
	return fmt.Sprintf(": weight 0, removed when no connection is left or in %v", t)
}

// Undrain ends a command's drain: the server gets back its configured
// weight, or stays out if its checkers find it down.
func (c *Checker) Undrain(vs, rs string) (string, error) {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	keys, err := c.drainTargets(vs, rs)
	if err != nil {
		return "", err
	}
	var msgs []string
	for _, k := range keys {
		st := c.drains[k]
		switch {
		case st == nil:
			msgs = append(msgs, fmt.Sprintf("%s in %s was not draining", k.dest, k.svc))
			continue
		case st.orphan:
			return "", fmt.Errorf("%s in %s is no longer in the configuration: it cannot be undrained", k.dest, k.svc)
		}
		delete(c.drains, k)
		c.log.Info(fmt.Sprintf("IPVS: real server %s of %s undrained", k.dest, k.svc))
		msgs = append(msgs, fmt.Sprintf("undrained %s in %s", k.dest, k.svc))
	}
	logOps(c.log, "undrain", c.syncFullLocked())
	return strings.Join(msgs, "; "), nil
}

// kickDrains asks the drain loop for a read now.
func (c *Checker) kickDrains() {
	select {
	case c.drainKick <- struct{}{}:
	default:
	}
}

// drainLoop reads the draining servers' connections every drainPoll.
func (c *Checker) drainLoop(ctx context.Context) {
	t := time.NewTicker(drainPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.drainKick:
		}
		c.pollDrains(time.Now())
	}
}

// pollDrains reads the connections of every draining server from the
// kernel and deletes those with none left or past their timeout.
func (c *Checker) pollDrains(now time.Time) {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	bySvc := map[ipvs.ServiceKey][]drainKey{}
	for k, st := range c.drains {
		if !st.removed {
			bySvc[k.svc] = append(bySvc[k.svc], k)
		}
	}
	changed := false
	for svc, keys := range bySvc {
		ds, err := c.conn.Destinations(svc)
		if err != nil {
			c.log.Warn(fmt.Sprintf("IPVS: reading the connections of %s: %v", svc, err))
			continue
		}
		conns := map[ipvs.DestKey]uint64{}
		for _, d := range ds {
			n := uint64(d.ActiveConns)
			if svc.Protocol == ipvs.UDP { // a UDP connection is never active
				n += uint64(d.InactConns)
			}
			conns[d.Key()] = n
		}
		for _, k := range keys {
			st := c.drains[k]
			st.conns, st.read = conns[k.dest], true
			expired := !st.deadline.IsZero() && !now.Before(st.deadline)
			if st.conns > 0 && !expired {
				continue
			}
			if st.conns == 0 {
				c.log.Info(fmt.Sprintf("IPVS: drained real server %s of %s has no connection left: removed after %v", k.dest, svc, now.Sub(st.since).Round(time.Millisecond)))
			} else {
				c.log.Warn(fmt.Sprintf("IPVS: drain timeout of real server %s of %s: removed with %d connection(s) left", k.dest, svc, st.conns))
			}
			st.removed, changed = true, true
			if st.orphan {
				delete(c.drains, k)
			}
		}
	}
	if changed {
		logOps(c.log, "drain", c.syncFullLocked())
	}
}

// reloadDrains is the drains after a reload onto cfg whose engine is
// next: drains of services that went end; a reload drain whose server is
// back in the configuration ends; a drained server no longer configured
// is kept as an orphan until drained; and with a drain timeout, servers
// the reload removes from a service it keeps start draining. With syncMu.
func (c *Checker) reloadDrains(cfg *conf.Config, next *checkengine.Engine, now time.Time) map[drainKey]*drainState {
	if len(c.drains) == 0 && cfg.Drain == nil {
		return nil // keepalived's reload: nothing to carry or start
	}
	tab := next.Table()
	svcs := map[ipvs.ServiceKey]bool{}
	for _, vs := range tab {
		svcs[vs.Service.ServiceKey] = true
	}
	configured, sorry := map[drainKey]bool{}, map[drainKey]bool{}
	for _, r := range next.Status() {
		if !r.Sorry {
			configured[drainKey{r.Service, r.Dest.Key()}] = true
		}
	}
	for _, e := range []*checkengine.Engine{c.eng, next} {
		for _, r := range e.Status() {
			if r.Sorry {
				sorry[drainKey{r.Service, r.Dest.Key()}] = true
			}
		}
	}
	applied := map[drainKey]ipvs.Destination{}
	for _, vs := range c.applied {
		for _, d := range vs.Dests {
			applied[drainKey{vs.Service.ServiceKey, d.Key()}] = d
		}
	}
	out := map[drainKey]*drainState{}
	for k, st := range c.drains {
		if !svcs[k.svc] {
			continue
		}
		cp := *st
		if configured[k] {
			if st.reason == drainReload {
				continue // back in the configuration
			}
			cp.orphan = false
			out[k] = &cp
			continue
		}
		if cp.removed {
			continue
		}
		if !cp.orphan {
			d, ok := applied[k]
			if !ok {
				continue
			}
			cp.orphan, cp.dest = true, d
		}
		out[k] = &cp
	}
	if cfg.Drain == nil {
		return out
	}
	timeouts := map[ipvs.ServiceKey]time.Duration{}
	for _, vs := range cfg.VirtualServers {
		if t := cfg.DrainTimeout(vs); t > 0 {
			for _, k := range checkengine.ServiceKeys(vs) {
				timeouts[k] = t
			}
		}
	}
	for k, d := range applied {
		t := timeouts[k.svc]
		if t == 0 || !svcs[k.svc] || configured[k] || out[k] != nil || sorry[k] {
			continue
		}
		out[k] = &drainState{reason: drainReload, since: now, deadline: now.Add(t), orphan: true, dest: d}
	}
	return out
}

// drainSnapshot copies the drains for status. With syncMu.
func (c *Checker) drainSnapshot() map[drainKey]drainState {
	out := make(map[drainKey]drainState, len(c.drains))
	for k, st := range c.drains {
		out[k] = *st
	}
	return out
}

// setDrain shows a drain in a real server's status.
func setDrain(rs *metrics.RealServer, st drainState) {
	if st.reason == "" {
		return
	}
	rs.Draining, rs.DrainReason, rs.DrainConnections, rs.DrainRemoved = true, st.reason, st.conns, st.removed
	rs.Weight = 0
	if !st.deadline.IsZero() {
		rs.DrainTimeLeft = max(time.Until(st.deadline), 0).Seconds()
	}
}
