package snmp

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/metrics"
	"github.com/gokeepalived/gokeepalived/ipvs"
)

// schedulers is virtualServerLoadBalancingAlgo's enumeration.
var schedulers = map[string]int{"rr": 1, "wrr": 2, "lc": 3, "wlc": 4, "lblc": 5, "lblcr": 6, "dh": 7, "sh": 8,
	"sed": 9, "nq": 10, "fo": 11, "ovf": 12, "mh": 13, "twos": 14}

// kindOf is the LoadBalancingKind enumeration: nat 1, dr 2, tun 3.
func kindOf(f conf.Forwarding) int {
	switch f.Method {
	case "DR":
		return 2
	case "TUN":
		return 3
	}
	return 1
}

func secs(d time.Duration) int  { return int(d / time.Second) }
func usecs(d time.Duration) int { return int(d / time.Microsecond) }

// counters are the IPVS statistics columns: virtual servers' from col
// (27: conns … ) and real servers' (14: conns, active, inactive,
// persistent, then the same run). Absent when the kernel table was not
// read.
func (b *builder) vsCounters(e []uint32, row uint32, st ipvs.Stats) {
	o := func(c uint32) []uint32 { return append(append([]uint32{}, e...), c, row) }
	b.gauge(o(27), int(uint32(st.Conns)))
	b.stats(o, st, 28, 38)
}

func (b *builder) rsCounters(e []uint32, row, rrow uint32, d ipvs.DestinationEntry) {
	o := func(c uint32) []uint32 { return append(append([]uint32{}, e...), c, row, rrow) }
	b.gauge(o(14), int(uint32(d.Stats.Conns)))
	b.gauge(o(15), int(d.ActiveConns))
	b.gauge(o(16), int(d.InactConns))
	b.gauge(o(17), int(d.PersistConns))
	b.stats(o, d.Stats, 18, 27)
}

// stats is the run both tables share after their connection gauges:
// packets and bytes from column pkts, then the five rates; the 64-bit
// connections and packets from column wide, then the rates as low/high
// halves.
func (b *builder) stats(o func(uint32) []uint32, st ipvs.Stats, pkts, wide uint32) {
	rates := []uint64{st.CPS, st.InPPS, st.OutPPS, st.InBPS, st.OutBPS}
	b.counter(o(pkts), st.InPkts)
	b.counter(o(pkts+1), st.OutPkts)
	b.c64(o(pkts+2), st.InBytes)
	b.c64(o(pkts+3), st.OutBytes)
	for i, r := range rates {
		b.gauge(o(pkts+4+uint32(i)), int(uint32(r)))
	}
	b.c64(o(wide), st.Conns)
	b.c64(o(wide+1), st.InPkts)
	b.c64(o(wide+2), st.OutPkts)
	for i, r := range rates {
		b.gauge(o(wide+3+2*uint32(i)), int(uint32(r)))
		b.gauge(o(wide+4+2*uint32(i)), int(uint32(r>>32)))
	}
}

// vsKey is how the checker's snapshot names a virtual server
// (ipvs.ServiceKey's String): "TCP 10.0.0.1:80", "FWM 1 ...".
func vsKey(vs *conf.VirtualServer) string {
	if vs.FWMark != 0 {
		return "FWM " + strconv.FormatUint(uint64(vs.FWMark), 10) + " "
	}
	return strings.ToUpper(string(vs.Protocol)) + " " + netip.AddrPortFrom(vs.Addr, vs.Port).String()
}

// protoOf is KEEPALIVED-MIB's virtualServerProtocol: tcp 1, udp 2, sctp 3.
func protoOf(p conf.LVSProtocol) int {
	switch p {
	case conf.LVSUDP:
		return 2
	case conf.LVSSCTP:
		return 3
	}
	return 1
}

// checker serves the rows of virtualServerTable and realServerTable that
// the checker's snapshot carries: what each server is and its health.
func (b *builder) checker(cfg *conf.Config, snap *metrics.Snapshot) {
	health := healthOf(snap)
	kernel := map[string]*metrics.IPVSService{}
	for i := range snap.IPVSTable {
		kernel[snap.IPVSTable[i].ServiceKey.String()] = &snap.IPVSTable[i]
	}
	b.truth(checkOID.Append(6, 1, 0), cfg.Global.LVSSyncDaemon != nil)
	b.groups(cfg)
	for vi, vs := range cfg.VirtualServers {
		row := uint32(vi + 1)
		key := vsKey(vs)
		e := checkOID.Append(3, 1)
		b.vsConfig(vs, row)
		// a group's counters are its services' summed
		ksvc := kernel[key]
		if vs.Group != "" || vs.FWMark != 0 {
			ksvc = sumServices(snap.IPVSTable, vs)
		}
		if ksvc != nil {
			b.vsCounters(e, row, ksvc.Stats)
		}
		switch {
		case vs.Group != "":
			b.int(e.Append(2, row), 3)
			b.str(e.Append(3, row), vs.Group)
			// keepalived reads a group's address family from its members,
			// and shows both granularities (its own address has none)
			if g := vs.GroupRef; g != nil && (g.HasIPv4 || g.HasIPv6) {
				b.int(e.Append(5, row), map[bool]int{true: 1, false: 2}[g.HasIPv4])
			}
			b.gauge(e.Append(51, row), 1<<32-1)
		case vs.FWMark != 0:
			b.int(e.Append(2, row), 1)
			b.gauge(e.Append(4, row), int(vs.FWMark))
		default:
			b.int(e.Append(2, row), 2)
			b.int(e.Append(5, row), inetType(vs.Addr))
			b.addr(e.Append(6, row), vs.Addr)
			b.gauge(e.Append(7, row), int(vs.Port))
		}
		b.int(e.Append(8, row), protoOf(vs.Protocol))
		up, weights := 0, 0
		for ri, rs := range vs.RealServers {
			rrow := uint32(ri + 1)
			re := checkOID.Append(4, 1)
			st, known := health.of(vs, rs)
			b.int(re.Append(2, row, rrow), 1) // real server (not sorry)
			b.int(re.Append(3, row, rrow), inetType(rs.Addr))
			b.addr(re.Append(4, row, rrow), rs.Addr)
			b.gauge(re.Append(5, row, rrow), int(rs.Port))
			b.truth(re.Append(6, row, rrow), known && st.up)
			w := int(rs.Weight)
			if known {
				w = st.weight
			}
			b.int(re.Append(7, row, rrow), w)
			if rs.SNMPName != "" {
				b.str(re.Append(55, row, rrow), rs.SNMPName)
			}
			b.rsConfig(vs, rs, row, rrow)
			// rsFailedChecks: none when up; all of one checker when down
			// (with several, how many fail is not in the snapshot).
			if known && st.up {
				b.gauge(re.Append(13, row, rrow), 0)
			} else if known && len(rs.Checkers) == 1 {
				b.gauge(re.Append(13, row, rrow), 1)
			}
			if ksvc != nil {
				for _, d := range ksvc.Dests {
					if d.Addr == rs.Addr && d.Port == rs.Port {
						b.rsCounters(re, row, rrow, d)
					}
				}
			}
			if known && st.up {
				up++
				weights += st.weight
			}
		}
		b.gauge(e.Append(20, row), len(vs.RealServers))
		b.gauge(e.Append(21, row), up)
		quorum := max(int(vs.Quorum), 1)
		b.truth(e.Append(11, row), weights >= quorum)
		b.truth(e.Append(23, row), weights >= quorum)
		if vs.SNMPName != "" {
			b.str(e.Append(71, row), vs.SNMPName)
		}
	}
}

// vsConfig is the virtual server's configuration columns.
func (b *builder) vsConfig(vs *conf.VirtualServer, row uint32) {
	e := checkOID.Append(3, 1)
	if n, ok := schedulers[vs.Scheduler]; ok {
		b.int(e.Append(9, row), n)
	} else {
		b.int(e.Append(9, row), 99)
	}
	b.int(e.Append(10, row), kindOf(vs.Forwarding))
	if vs.Virtualhost != "" {
		b.str(e.Append(12, row), vs.Virtualhost)
	}
	b.truth(e.Append(13, row), vs.PersistenceTimeout > 0)
	if vs.PersistenceTimeout > 0 {
		b.gauge(e.Append(14, row), int(vs.PersistenceTimeout))
	}
	if vs.Addr.Is6() {
		bits := 128
		if g := vs.PersistenceGranularity; g != nil && g.PrefixLen > 0 {
			bits = g.PrefixLen
		}
		b.gauge(e.Append(51, row), bits)
	} else {
		mask := []byte{255, 255, 255, 255}
		if g := vs.PersistenceGranularity; g != nil && g.Mask.Is4() {
			mask = g.Mask.AsSlice()
		}
		b.add(e.Append(15, row), agentxOctets, mask)
	}
	b.gauge(e.Append(16, row), secs(vs.DelayLoop))
	b.truth(e.Append(17, row), vs.HASuspend)
	b.truth(e.Append(18, row), vs.Alpha)
	b.truth(e.Append(19, row), vs.Omega)
	b.gauge(e.Append(22, row), max(int(vs.Quorum), 1))
	if vs.QuorumUp != nil {
		b.str(e.Append(24, row), cmdStr(vs.QuorumUp))
	}
	if vs.QuorumDown != nil {
		b.str(e.Append(25, row), cmdStr(vs.QuorumDown))
	}
	b.gauge(e.Append(26, row), int(vs.Hysteresis))
	f := vs.Flags
	b.truth(e.Append(37, row), f.OnePacket)
	b.truth(e.Append(52, row), f.Flag1 && vs.Scheduler != "sh" && vs.Scheduler != "mh")
	b.truth(e.Append(53, row), f.SHFallback)
	b.truth(e.Append(54, row), f.SHPort)
	b.truth(e.Append(55, row), f.Flag3)
	b.truth(e.Append(56, row), !vs.InhibitOnFailure)
	c := vs.Configured
	b.gauge(e.Append(57, row), int(deref(c.Retry)))
	b.gauge(e.Append(58, row), secs(derefD(c.DelayBeforeRetry)))
	b.gauge(e.Append(59, row), secs(derefD(c.Warmup)))
	b.int(e.Append(60, row), int(vs.Weight))
	b.truth(e.Append(61, row), vs.SMTPAlert)
	b.truth(e.Append(62, row), f.MHFallback)
	b.truth(e.Append(63, row), f.MHPort)
	b.gauge(e.Append(64, row), usecs(vs.DelayLoop))
	b.gauge(e.Append(65, row), usecs(derefD(c.DelayBeforeRetry)))
	b.gauge(e.Append(66, row), usecs(derefD(c.Warmup)))
	b.gauge(e.Append(67, row), usecs(vs.ConnectTimeout))
}

// rsConfig is the real server's configuration columns. Timings not set
// on the real server show 0, but delay_loop, which it takes from the
// virtual server.
func (b *builder) rsConfig(vs *conf.VirtualServer, rs *conf.RealServer, row, rrow uint32) {
	e := checkOID.Append(4, 1)
	o := func(c uint32) []uint32 { return append(append([]uint32{}, e...), c, row, rrow) }
	if rs.UThreshold > 0 {
		b.gauge(o(8), int(rs.UThreshold))
	}
	if rs.LThreshold > 0 {
		b.gauge(o(9), int(rs.LThreshold))
	}
	b.truth(o(10), !rs.InhibitOnFailure)
	if rs.NotifyUp != nil {
		b.str(o(11), cmdStr(rs.NotifyUp))
	}
	if rs.NotifyDown != nil {
		b.str(o(12), cmdStr(rs.NotifyDown))
	}
	b.int(o(40), kindOf(rs.Forwarding))
	if rs.Virtualhost != "" {
		b.str(o(41), rs.Virtualhost)
	}
	b.truth(o(42), rs.Alpha)
	c := rs.Configured
	b.gauge(o(43), int(deref(c.Retry)))
	b.gauge(o(44), secs(derefD(c.DelayBeforeRetry)))
	b.gauge(o(45), secs(derefD(c.Warmup)))
	b.gauge(o(46), secs(rs.DelayLoop))
	// keepalived's unset smtp_alert (-1) reads as true(1)
	b.truth(o(47), c.SMTPAlert == nil || *c.SMTPAlert)
	b.gauge(o(48), usecs(derefD(c.DelayBeforeRetry)))
	b.gauge(o(49), usecs(derefD(c.Warmup)))
	b.gauge(o(50), usecs(rs.DelayLoop))
	b.gauge(o(51), usecs(rs.ConnectTimeout))
}

const agentxOctets = 4 // agentx.OctetString

func deref(p *uint32) uint32 {
	if p == nil {
		return 0
	}
	return *p
}

func derefD(p *time.Duration) time.Duration {
	if p == nil {
		return 0
	}
	return *p
}

// groups are virtualServerGroupTable and its members: fwmarks first, then
// addresses and ranges, numbered on from 1 in each group.
func (b *builder) groups(cfg *conf.Config) {
	for gi, g := range cfg.VSGroups {
		row := uint32(gi + 1)
		b.str(checkOID.Append(1, 1, 2, row), g.Name)
		e := checkOID.Append(2, 1)
		n := uint32(0)
		for _, f := range g.FWMarks {
			n++
			b.int(e.Append(2, row, n), 1)
			b.gauge(e.Append(3, row, n), int(f.Mark))
		}
		for _, r := range g.Ranges {
			n++
			if r.First == r.Last {
				b.int(e.Append(2, row, n), 2)
				b.int(e.Append(4, row, n), inetType(r.First))
				b.addr(e.Append(5, row, n), r.First)
			} else {
				b.int(e.Append(2, row, n), 3)
				b.int(e.Append(4, row, n), inetType(r.First))
				b.addr(e.Append(6, row, n), r.First)
				b.addr(e.Append(7, row, n), r.Last)
			}
			b.gauge(e.Append(8, row, n), int(r.Port))
		}
	}
}

type rsState struct {
	up     bool
	weight int
}

// healthIndex is the checker's snapshot by real server, then service.
type healthIndex map[string]map[string]rsState

func healthOf(snap *metrics.Snapshot) healthIndex {
	h := healthIndex{}
	for _, r := range snap.RealServers {
		if h[r.RS] == nil {
			h[r.RS] = map[string]rsState{}
		}
		h[r.RS][r.VS] = rsState{r.Up, r.Weight}
	}
	return h
}

// of is rs's state under vs. A group's real server is checked once for
// all its services: any of them gives the state.
func (h healthIndex) of(vs *conf.VirtualServer, rs *conf.RealServer) (rsState, bool) {
	byVS := h[netip.AddrPortFrom(rs.Addr, rs.Port).String()]
	if len(byVS) == 0 {
		return rsState{}, false
	}
	if vs.Group == "" && vs.FWMark == 0 {
		st, ok := byVS[vsKey(vs)]
		return st, ok
	}
	for svc, st := range byVS {
		if vs.Group == "" {
			if strings.HasPrefix(svc, vsKey(vs)) {
				return st, true
			}
			continue
		}
		if inGroup(vs, svc) {
			return st, true
		}
	}
	return rsState{}, false
}

// inGroup says whether the service key svc ("TCP 10.0.0.1:80", "FWM 7
// …") is one of vs's group's.
func inGroup(vs *conf.VirtualServer, svc string) bool {
	g := vs.GroupRef
	if g == nil {
		return false
	}
	for _, f := range g.FWMarks {
		if strings.HasPrefix(svc, "FWM "+strconv.FormatUint(uint64(f.Mark), 10)+" ") {
			return true
		}
	}
	proto, ap, ok := strings.Cut(svc, " ")
	if !ok || proto != strings.ToUpper(string(vs.Protocol)) {
		return false
	}
	a, err := netip.ParseAddrPort(ap)
	if err != nil {
		return false
	}
	for _, r := range g.Ranges {
		port := r.Port
		if port == 0 {
			port = vs.Port
		}
		if a.Port() == port && a.Addr().Compare(r.First) >= 0 && a.Addr().Compare(r.Last) <= 0 {
			return true
		}
	}
	return false
}

// sumServices is the kernel's services of a group or fwmark virtual
// server added up (their destinations merged by address and port); nil
// when none is in the table.
func sumServices(tab []metrics.IPVSService, vs *conf.VirtualServer) *metrics.IPVSService {
	var sum *metrics.IPVSService
	for i := range tab {
		k := tab[i].ServiceKey.String()
		if !inGroup(vs, k) && !(vs.Group == "" && strings.HasPrefix(k, vsKey(vs))) {
			continue
		}
		if sum == nil {
			sum = &metrics.IPVSService{}
		}
		addStats(&sum.Stats, tab[i].Stats)
	next:
		for _, d := range tab[i].Dests {
			for j := range sum.Dests {
				if sum.Dests[j].Addr == d.Addr && sum.Dests[j].Port == d.Port {
					addStats(&sum.Dests[j].Stats, d.Stats)
					sum.Dests[j].ActiveConns += d.ActiveConns
					sum.Dests[j].InactConns += d.InactConns
					sum.Dests[j].PersistConns += d.PersistConns
					continue next
				}
			}
			sum.Dests = append(sum.Dests, d)
		}
	}
	return sum
}

func addStats(to *ipvs.Stats, s ipvs.Stats) {
	to.Conns += s.Conns
	to.InPkts += s.InPkts
	to.OutPkts += s.OutPkts
	to.InBytes += s.InBytes
	to.OutBytes += s.OutBytes
	to.CPS += s.CPS
	to.InPPS += s.InPPS
	to.OutPPS += s.OutPPS
	to.InBPS += s.InBPS
	to.OutBPS += s.OutBPS
}
