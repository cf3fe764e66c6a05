package conf

import (
	"net/netip"
	"strings"
	"time"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

// Schedulers keepalived 2.2.7 accepts (lvs_schedulers[]).
var lvsSchedulers = map[string]bool{
	"rr": true, "wrr": true, "lc": true, "wlc": true, "lblc": true, "sh": true, "mh": true,
	"dh": true, "fo": true, "ovf": true, "lblcr": true, "sed": true, "nq": true, "twos": true,
}

const (
	lvsDefaultScheduler   = "wlc"
	lvsDefaultPersistence = 360      // IPVS_SVC_PERSISTENT_TIMEOUT
	lvsWeightLimit        = kaIntMax // IPVS_WEIGHT_LIMIT
	lvsDefaultDelayLoop   = 60 * time.Second
	lvsDefaultConnTimeout = 5 * time.Second
	lvsTimerUintMax       = uint64(kaUintMax) // read_timer(..., UINT_MAX) bound in µs
)

// lvsCursor is where the decoder is inside a virtual_server. The LVS
// keyword tables are built once (a big config has tens of thousands of
// these blocks) and their handlers find their target here.
type lvsCursor struct {
	vs   *VirtualServer
	rs   *RealServer
	c    *Checker
	conn *ConnOpts // what connect_ip & co set: the checker's or an SMTP host's
	// connFamily is the family bindto is checked against when there is
	// no connect_ip ("" for none).
	connFamily LVSFamily
	url        *URLCheck

	// per-block state of the checker and url being decoded
	digestSet, haveRegex bool        // url
	dnsNameSet           bool        // DNS_CHECK
	removed, miscUserSet bool        // MISC_CHECK, BFD_CHECK
	miscCred             scriptCred  // MISC_CHECK user
	heloSet              bool        // SMTP_CHECK
	smtpHosts            []*ConnOpts // SMTP_CHECK host blocks
}

// countKeyword counts the statements of a block with keyword kw.
func countKeyword(block []*syntax.Stmt, kw string) int {
	n := 0
	for _, s := range block {
		if s.Keyword() == kw {
			n++
		}
	}
	return n
}

// decodeVirtualServer decodes a virtual_server block (vs_handler,
// alloc_vs, the keyword handlers and vs_end_handler).
func decodeVirtualServer(d *decoder, s *syntax.Stmt) {
	p1, ok := d.arg(s, 1)
	if !ok {
		return
	}
	// field by field into the zeroed slab: copying a whole struct with
	// pointers costs a write barrier per pointer field while the GC runs
	vs := d.mem.vs.new()
	vs.Pos, vs.Quorum, vs.Weight = s.Pos(), 1, 1
	vs.DelayLoop, vs.ConnectTimeout = lvsDefaultDelayLoop, lvsDefaultConnTimeout
	switch p1 {
	case "group":
		name, ok := d.arg(s, 2)
		if !ok {
			return
		}
		vs.Group = name
	case "fwmark":
		str, ok := d.arg(s, 2)
		if !ok {
			return
		}
		v, ok := d.readUnsignedStr(s.WordPos(2), str, 0, kaUintMax)
		if !ok {
			d.errorf(s, 2, "virtual server fwmark '%s' must be in [0, %d] - ignoring", str, uint64(kaUintMax))
			return
		}
		vs.FWMark = uint32(v)
	default:
		p2, have := "", false
		if len(s.Words) > 2 {
			p2, have = kaPortStr(s.Words[2].Text, true)
		}
		a, port, ok := d.kaSockaddr(p1, p2, have, s.WordPos(2))
		if !ok {
			sep1, sep2 := "", ""
			if have {
				sep1, sep2 = "/port", "/"
			}
			d.errorf(s, 1, "Invalid virtual server IP address%s %s%s%s - skipping", sep1, p1, sep2, p2)
			return
		}
		vs.Addr, vs.Port = a, port
		vs.Family = lvsFamilyOf(a)
	}
	d.lvs.vs = vs
	if n := countKeyword(s.Block, "real_server"); n > 0 {
		vs.RealServers = d.mem.rsLists.list(n)
	}
	d.walk("virtual_server", s.Block, vsIndex)
	if len(vs.RealServers) == 0 {
		vs.RealServers = nil // as if never appended to
	}
	// from 2.2.8 a service without real servers is dropped at the end
	// of its block; 2.2.7 drops it when validating, at its first line
	if len(vs.RealServers) == 0 && d.opt.Compat.AtLeast(2, 2, 8) {
		d.lose(d.endPos(s), syntax.GeneralError, "Virtual server %s has no real servers - ignoring", fmtVS(vs))
		return
	}
	d.vsEnd(vs)
	d.cfg.VirtualServers = append(d.cfg.VirtualServers, vs)
}

// vsEnd is vs_end_handler: the sorry server's family, and the family of
// fwmark services whose servers are all tunnelled.
func (d *decoder) vsEnd(vs *VirtualServer) {
	if ss := vs.SorryServer; ss != nil && ss.Forwarding.Method != "TUN" {
		f := lvsFamilyOf(ss.Addr)
		if vs.Family == "" {
			vs.Family = f
		} else if vs.Family != f {
			d.add(ss.Pos, syntax.GeneralError, "Address family of virtual server and sorry server %s don't match - skipping sorry server.", ss.Addr)
			vs.SorryServer = nil
		}
	}
	if vs.Family == "" && vs.Group == "" {
		mixed := false
		if vs.SorryServer != nil {
			vs.Family = lvsFamilyOf(vs.SorryServer.Addr)
		}
		for _, rs := range vs.RealServers {
			f := lvsFamilyOf(rs.Addr)
			if vs.Family == "" {
				vs.Family = f
			} else if vs.Family != f {
				mixed = true
				break
			}
		}
		if mixed || vs.Family == "" {
			vs.Family = LVSInet
		}
	}
}

// vsTable is the virtual_server block's keyword table.
var (
	vsTable table
	vsIndex = indexOf(&vsTable)
)

func vsForwarding(d *decoder, s *syntax.Stmt) {
	d.forwarding(s, &d.lvs.vs.Forwarding, "virtual")
}

func vsScheduler(d *decoder, s *syntax.Stmt) {
	vs := d.lvs.vs
	str, ok := d.arg(s, 1)
	if !ok {
		return
	}
	if !lvsSchedulers[str] {
		d.errorf(s, 1, "Invalid lvs_scheduler '%s' - ignoring", str)
		return
	}
	vs.Scheduler = str
}

func vsFlag(d *decoder, s *syntax.Stmt) {
	vs := d.lvs.vs
	f := &vs.Flags
	switch k := s.Keyword(); {
	case k == "ops":
		f.OnePacket = true
	case k == "flag-1":
		f.Flag1 = true
	case k == "flag-2":
		f.Flag2 = true
	case k == "flag-3":
		f.Flag3 = true
	case vs.Scheduler == "sh":
		// sh-port/sh-fallback only; anything else (hashed, mh-*) is
		// silently ignored, as keepalived does.
		f.SHPort = f.SHPort || k == "sh-port"
		f.SHFallback = f.SHFallback || k == "sh-fallback"
	case vs.Scheduler == "mh":
		f.MHPort = f.MHPort || k == "mh-port"
		f.MHFallback = f.MHFallback || k == "mh-fallback"
	default:
		d.errorf(s, 0, "%s only applies to sh scheduler - ignoring", k)
	}
}

func init() {
	vsTable = mergeTables(
		vsSchedulingKeywords(),
		vsPersistenceKeywords(),
		vsQuorumKeywords(),
		vsIdentityKeywords(),
		vsServerKeywords(),
	)
	serverTimingKeywords(vsTable, func(d *decoder) *LVSTimingSet { return &d.lvs.vs.Configured },
		timingOwn{
			connectTimeout: func(d *decoder, v time.Duration) { d.lvs.vs.ConnectTimeout = v },
			delayLoop:      func(d *decoder, v time.Duration) { d.lvs.vs.DelayLoop = v },
		}, timingMsgs{
			delayBeforeRetry: "virtual server delay before retry '%s' invalid - ignoring",
			warmup:           "virtual server warmup '%s' invalid - ignoring",
			connectTimeout:   "virtual server connect_timeout %s invalid - ignoring",
			delayLoop:        "virtual server delay loop '%s' invalid - ignoring",
		})
}

// maskLen is the prefix length of a contiguous IPv4 mask, or -1.
func maskLen(a netip.Addr) int {
	b := a.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := 0
	for n < 32 && v&(1<<(31-n)) != 0 {
		n++
	}
	if n < 32 && v<<n != 0 {
		return -1
	}
	return n
}

// lvsRetry is the virtual/real server retry keyword: [1, UINT_MAX].
func (d *decoder) lvsRetry(s *syntax.Stmt) (uint32, bool) {
	str, ok := d.arg(s, 1)
	if !ok {
		return 0, false
	}
	v, ok := d.readUnsignedStr(s.WordPos(1), str, 1, kaUintMax)
	if !ok {
		d.errorf(s, 1, "retry value invalid - %s", str)
		return 0, false
	}
	return uint32(v), true
}

// lvsTimer reads a timer keyword in [lo, hi] µs (hi 0 = no bound; lo is
// 1 µs, not 1 s, for the keywords that refuse 0, as in keepalived),
// reporting msg (formatted with the word) when invalid.
func (d *decoder) lvsTimer(s *syntax.Stmt, lo, hi uint64, msg string) (time.Duration, bool) {
	str, ok := d.arg(s, 1)
	if !ok {
		return 0, false
	}
	v, ok := d.readTimerStr(s.WordPos(1), str, lo, hi)
	if !ok {
		d.errorf(s, 1, msg, str)
		return 0, false
	}
	return v, true
}

// lvsScript handles notify_up/notify_down/quorum_up/quorum_down: a
// second one is refused, the script is registered for the security check.
func (d *decoder) lvsScript(s *syntax.Stmt, dst **Script, group string) {
	if *dst != nil {
		arg := ""
		if len(s.Words) > 1 {
			arg = s.Words[1].Text
		}
		d.errorf(s, 0, "(%s) %s script already specified - ignoring %s", kaNullStr(group), s.Keyword(), arg)
		return
	}
	typ := "notify"
	if strings.HasPrefix(s.Keyword(), "quorum") {
		typ = "quorum"
	}
	*dst = d.notifyScript(s, typ, phaseCheck)
}

// forwarding is svr_forwarding_handler: NAT|DR|TUN [type ipip|gue|gre]
// [port N] [nocsum|csum|remcsum]. The method is kept even when the tunnel
// options are wrong, as keepalived does. It reports whether the method
// was understood.
func (d *decoder) forwarding(s *syntax.Stmt, f *Forwarding, kind string) bool {
	str, ok := d.arg(s, 1)
	if !ok {
		return false
	}
	switch str {
	case "NAT", "DR", "TUN":
		f.Method = str
	default:
		d.errorf(s, 1, "PARSER : unknown [%s] routing method for %s server.", str, kind)
		return false
	}
	tunType, csum := "ipip", "nocsum"
	var port uint64
	w := s.Words
	for i := 2; i < len(w); i++ {
		switch w[i].Text {
		case "type":
			if i+1 == len(w) {
				d.errorf(s, i, "Missing tunnel type for %s server.", kind)
				return true
			}
			switch t := w[i+1].Text; t {
			case "ipip", "gue", "gre":
				tunType = t
			default:
				d.errorf(s, i+1, "Unknown tunnel type %s for %s server.", t, kind)
				return true
			}
			i++
		case "port":
			if i+1 == len(w) {
				d.errorf(s, i, "Missing port for %s server gue tunnel.", kind)
				return true
			}
			v, ok := d.readUnsignedStr(s.WordPos(i+1), w[i+1].Text, 1, 65535)
			if !ok {
				d.errorf(s, i+1, "Invalid gue tunnel port %s for %s server.", w[i+1].Text, kind)
				return true
			}
			port = v
			i++
		case "nocsum", "csum", "remcsum":
			csum = w[i].Text
		default:
			d.errorf(s, i, "Invalid tunnel option %s for %s server.", w[i].Text, kind)
			return true
		}
	}
	if (tunType == "gue") != (port != 0) {
		d.errorf(s, 1, "gue tunnels require port, otherwise cannot have port.")
		return true
	}
	if tunType == "ipip" && csum != "nocsum" {
		d.errorf(s, 1, "ipip tunnels do not support checksum option.")
		return true
	}
	if tunType == "gre" && csum == "remcsum" {
		d.errorf(s, 1, "gre tunnels do not support remote checksum option.")
		return true
	}
	f.TunnelType, f.TunnelPort, f.TunnelCsum = tunType, uint16(port), csum
	return true
}

// decodeRealServer decodes a real_server block (alloc_rs, the keyword
// handlers, rs_end_handler).
func decodeRealServer(d *decoder, s *syntax.Stmt) {
	vs := d.lvs.vs
	ip, ok := d.arg(s, 1)
	if !ok {
		return
	}
	p, have := "", false
	raw := ""
	if len(s.Words) > 2 {
		raw = s.Words[2].Text
		p, have = kaPortStr(raw, true)
	}
	a, port, ok := d.kaSockaddr(ip, p, have, s.WordPos(2))
	if !ok {
		rawShown := raw
		if len(s.Words) <= 2 {
			rawShown = "(null)"
		}
		d.errorf(s, 1, "Invalid real server ip address/port %s/%s - skipping", ip, rawShown)
		return
	}
	rs := d.mem.rs.new() // zeroed: filled field by field as vs above
	rs.Pos, rs.Addr, rs.Port, rs.ConfiguredPort, rs.Forwarding = s.Pos(), a, port, port, vs.Forwarding
	vs.RealServers = append(vs.RealServers, rs)
	d.lvs.rs = rs
	d.walk("real_server", s.Block, rsIndex)

	// rs_end_handler: the families must match unless tunnelled
	if rs.Forwarding.Method != "TUN" {
		f := lvsFamilyOf(rs.Addr)
		if vs.Family == "" {
			vs.Family = f
		} else if vs.Family != f {
			d.errorf(s, 1, "Address family of virtual server and real server %s don't match - skipping real server.", rs.Addr)
			vs.RealServers = vs.RealServers[:len(vs.RealServers)-1]
		}
	}
}

// rsTable is the real_server block's keyword table, checkers included.
var (
	rsTable table
	rsIndex = indexOf(&rsTable)
)

func init() {
	rsTable = table{
		"weight": {fn: func(d *decoder, s *syntax.Stmt) {
			rs := d.lvs.rs
			str, ok := d.arg(s, 1)
			if !ok {
				return
			}
			v, ok := d.readUnsignedStr(s.WordPos(1), str, 0, lvsWeightLimit)
			if !ok {
				d.errorf(s, 1, "Real server weight %s is outside range 0-%d", str, lvsWeightLimit)
				return
			}
			rs.Weight, rs.WeightSet = uint32(v), true
		}},
		"lvs_method": {fn: func(d *decoder, s *syntax.Stmt) {
			d.forwarding(s, &d.lvs.rs.Forwarding, "real")
		}},
		"uthreshold": {fn: func(d *decoder, s *syntax.Stmt) {
			rs := d.lvs.rs
			str, ok := d.arg(s, 1)
			if !ok {
				return
			}
			v, ok := d.readUnsignedStr(s.WordPos(1), str, 0, kaUintMax)
			if !ok {
				d.errorf(s, 1, "Invalid real_server uthreshold '%s' - ignoring", str)
				return
			}
			rs.UThreshold = uint32(v)
		}},
		"lthreshold": {fn: func(d *decoder, s *syntax.Stmt) {
			rs := d.lvs.rs
			str, ok := d.arg(s, 1)
			if !ok {
				return
			}
			v, ok := d.readUnsignedStr(s.WordPos(1), str, 0, kaUintMax)
			if !ok {
				d.errorf(s, 1, "Invalid real_server lthreshold '%s' - ignoring", str)
				return
			}
			rs.LThreshold = uint32(v)
		}},
		"inhibit_on_failure": {fn: func(d *decoder, s *syntax.Stmt) {
			rs := d.lvs.rs
			if v, ok := d.boolArg(s, 1, "Invalid inhibit_on_failure parameter %s"); ok {
				rs.Configured.InhibitOnFailure = &v
			}
		}},
		"notify_up": {fn: func(d *decoder, s *syntax.Stmt) {
			d.lvsScript(s, &d.lvs.rs.NotifyUp, d.lvs.vs.Group)
		}},
		"notify_down": {fn: func(d *decoder, s *syntax.Stmt) {
			d.lvsScript(s, &d.lvs.rs.NotifyDown, d.lvs.vs.Group)
		}},
		"alpha": {fn: func(d *decoder, s *syntax.Stmt) {
			rs := d.lvs.rs
			if v, ok := d.boolArg(s, 1, "Invalid alpha parameter %s"); ok {
				rs.Configured.Alpha = &v
			}
		}},
		"smtp_alert": {fn: func(d *decoder, s *syntax.Stmt) {
			rs := d.lvs.rs
			if v, ok := d.boolArg(s, 1, "Invalid real_server smtp_alert parameter %s"); ok {
				rs.Configured.SMTPAlert = &v
			}
		}},
		"virtualhost": {fn: func(d *decoder, s *syntax.Stmt) {
			rs := d.lvs.rs
			if len(s.Words) < 2 {
				d.errorf(s, 0, "real server virtualhost missing")
				return
			}
			d.setString(&rs.Virtualhost, s, "rs virtualhost")
		}},
		"snmp_name": {fn: func(d *decoder, s *syntax.Stmt) {
			rs := d.lvs.rs
			if len(s.Words) != 2 {
				d.errorf(s, 0, "real server snmp_name missing or extra parameters")
				return
			}
			d.setString(&rs.SNMPName, s, "rs snmp_name")
		}},
	}
	serverTimingKeywords(rsTable, func(d *decoder) *LVSTimingSet { return &d.lvs.rs.Configured }, timingOwn{}, timingMsgs{
		delayBeforeRetry: "real server delay_before_retry '%s' invalid - ignoring",
		warmup:           "real server warmup '%s' invalid - ignoring",
		connectTimeout:   "real server connect_timeout %s invalid - ignoring",
		delayLoop:        "real server delay_loop '%s' invalid - ignoring",
	})
	for name, fn := range checkerKeywords {
		rsTable[name] = kw{fn: fn, block: true}
	}
}

// timingMsgs are keepalived's messages for bad timing values, worded
// differently for virtual and real servers.
type timingMsgs struct{ delayBeforeRetry, warmup, connectTimeout, delayLoop string }

// timingOwn receives the values a level uses itself (nil: none).
type timingOwn struct{ connectTimeout, delayLoop func(*decoder, time.Duration) }

// serverTimingKeywords adds retry, delay_before_retry, warmup, connect_timeout
// and delay_loop, which virtual and real servers both take: the value is
// recorded as configured at that level (checkers inherit it), and own
// also receives the two the level itself uses.
func serverTimingKeywords(t table, set func(*decoder) *LVSTimingSet, own timingOwn, m timingMsgs) {
	timer := func(lo, hi uint64, msg string, field func(*LVSTimingSet) **time.Duration, own func(d *decoder, v time.Duration)) kw {
		return kw{fn: func(d *decoder, s *syntax.Stmt) {
			if v, ok := d.lvsTimer(s, lo, hi, msg); ok {
				*field(set(d)) = d.mem.dur(v)
				if own != nil {
					own(d, v)
				}
			}
		}}
	}
	t["retry"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		if v, ok := d.lvsRetry(s); ok {
			set(d).Retry = d.mem.u32(v)
		}
	}}
	t["delay_before_retry"] = timer(0, 0, m.delayBeforeRetry, func(c *LVSTimingSet) **time.Duration { return &c.DelayBeforeRetry }, nil)
	t["warmup"] = timer(0, 0, m.warmup, func(c *LVSTimingSet) **time.Duration { return &c.Warmup }, nil)
	t["connect_timeout"] = timer(1, lvsTimerUintMax, m.connectTimeout, func(c *LVSTimingSet) **time.Duration { return &c.ConnectTimeout }, own.connectTimeout)
	t["delay_loop"] = timer(1, 0, m.delayLoop, func(c *LVSTimingSet) **time.Duration { return &c.DelayLoop }, own.delayLoop)
}

// vsSchedulingKeywords decodes how a virtual server spreads its connections:
//
//	ip_family inet|inet6
//	lb_algo|lvs_sched SCHEDULER
//	hashed|ops|flag-1|flag-2|flag-3|sh-port|sh-fallback|mh-port|mh-fallback
//	lb_kind|lvs_method NAT|DR|TUN [type ipip|gue port PORT|gre] [nocsum|csum|remcsum]
//	protocol TCP|UDP|SCTP
func vsSchedulingKeywords() table {
	return table{
		"ip_family": {fn: func(d *decoder, s *syntax.Stmt) {
			vs := d.lvs.vs
			str, ok := d.arg(s, 1)
			if !ok {
				return
			}
			var f LVSFamily
			switch str {
			case "inet":
				f = LVSInet
			case "inet6":
				f = LVSInet6
			default:
				d.errorf(s, 1, "unknown address family %s", str)
				return
			}
			if vs.Family != "" && f != vs.Family {
				d.errorf(s, 1, "Virtual server specified family %s conflicts with server family", str)
				return
			}
			vs.Family, vs.IPFamily = f, f
		}},
		"lb_algo":     {fn: vsScheduler},
		"lvs_sched":   {fn: vsScheduler},
		"hashed":      {fn: vsFlag},
		"ops":         {fn: vsFlag},
		"flag-1":      {fn: vsFlag},
		"flag-2":      {fn: vsFlag},
		"flag-3":      {fn: vsFlag},
		"sh-port":     {fn: vsFlag},
		"sh-fallback": {fn: vsFlag},
		"mh-port":     {fn: vsFlag},
		"mh-fallback": {fn: vsFlag},
		"lb_kind":     {fn: vsForwarding},
		"lvs_method":  {fn: vsForwarding},
		"protocol": {fn: func(d *decoder, s *syntax.Stmt) {
			vs := d.lvs.vs
			str, ok := d.arg(s, 1)
			if !ok {
				return
			}
			switch strings.ToUpper(str) {
			case "TCP":
				vs.Protocol = LVSTCP
			case "UDP":
				vs.Protocol = LVSUDP
			case "SCTP":
				vs.Protocol = LVSSCTP
			default:
				d.errorf(s, 1, "Unknown protocol %s - ignoring", str)
			}
		}},
	}
}

// vsPersistenceKeywords decodes a virtual server's persistence:
//
//	persistence_engine NAME
//	persistence_timeout [SECONDS]
//	persistence_granularity MASK|PREFIXLEN
func vsPersistenceKeywords() table {
	return table{
		"persistence_engine": {fn: func(d *decoder, s *syntax.Stmt) {
			vs := d.lvs.vs
			str, ok := d.arg(s, 1)
			if !ok {
				return
			}
			// IP_VS_PENAME_MAXLEN is 16 including the NUL
			if len(str) > 15 {
				d.errorf(s, 1, "persistence_name too long, truncating - %s", str)
				str = str[:15]
			}
			vs.PersistenceEngine = str
		}},
		"persistence_timeout": {fn: func(d *decoder, s *syntax.Stmt) {
			vs := d.lvs.vs
			if len(s.Words) < 2 {
				vs.PersistenceTimeout = lvsDefaultPersistence
				return
			}
			v, ok := d.readUnsignedStr(s.WordPos(1), s.Words[1].Text, 1, lvsMaxTimeout)
			if !ok {
				d.errorf(s, 1, "persistence_timeout invalid")
				return
			}
			vs.PersistenceTimeout = uint32(v)
		}},
		"persistence_granularity": {fn: func(d *decoder, s *syntax.Stmt) {
			vs := d.lvs.vs
			str, ok := d.arg(s, 1)
			if !ok {
				return
			}
			af := vs.Family
			if af == "" {
				af = LVSInet6
				if strings.Contains(str, ".") {
					af = LVSInet
				}
			}
			g := &Granularity{}
			if af == LVSInet6 {
				v, ok := d.readUnsignedStr(s.WordPos(1), str, 1, 128)
				if !ok {
					d.errorf(s, 1, "Invalid IPv6 persistence_granularity specified - %s", str)
					return
				}
				g.PrefixLen = int(v)
			} else {
				a, err := netip.ParseAddr(str)
				if err != nil || !a.Is4() {
					d.errorf(s, 1, "Invalid IPv4 persistence_granularity specified - %s", str)
					return
				}
				g.Mask = a
				g.PrefixLen = maskLen(a)
			}
			vs.PersistenceGranularity = g
			if vs.Family == "" {
				vs.Family = af
			}
			if vs.PersistenceTimeout == 0 {
				vs.PersistenceTimeout = lvsDefaultPersistence
			}
		}},
	}
}

// vsQuorumKeywords decodes a virtual server's quorum and how its real servers start and leave:
//
//	inhibit_on_failure
//	alpha
//	omega
//	quorum WEIGHT
//	hysteresis WEIGHT
//	quorum_up|quorum_down SCRIPT
//	weight WEIGHT
func vsQuorumKeywords() table {
	return table{
		"inhibit_on_failure": {fn: func(d *decoder, s *syntax.Stmt) {
			vs := d.lvs.vs
			vs.Configured.InhibitOnFailure = lvsPtr(true)
			vs.InhibitOnFailure = true
		}},
		"alpha": {fn: func(d *decoder, s *syntax.Stmt) {
			vs := d.lvs.vs
			vs.Configured.Alpha = lvsPtr(true)
			vs.Alpha = true
		}},
		"omega": {fn: func(d *decoder, s *syntax.Stmt) {
			d.lvs.vs.Omega = true
		}},
		"quorum_up": {fn: func(d *decoder, s *syntax.Stmt) {
			vs := d.lvs.vs
			d.lvsScript(s, &vs.QuorumUp, vs.Group)
		}},
		"quorum_down": {fn: func(d *decoder, s *syntax.Stmt) {
			vs := d.lvs.vs
			d.lvsScript(s, &vs.QuorumDown, vs.Group)
		}},
		"quorum": {fn: func(d *decoder, s *syntax.Stmt) {
			vs := d.lvs.vs
			str, ok := d.arg(s, 1)
			if !ok {
				return
			}
			v, ok := d.readUnsignedStr(s.WordPos(1), str, 1, kaUintMax)
			if !ok {
				d.errorf(s, 1, "Quorum %s must be in [1, %d]. Setting to 1.", str, uint64(kaUintMax))
				v = 1
			}
			vs.Quorum = uint32(v)
		}},
		"hysteresis": {fn: func(d *decoder, s *syntax.Stmt) {
			vs := d.lvs.vs
			str, ok := d.arg(s, 1)
			if !ok {
				return
			}
			v, ok := d.readUnsignedStr(s.WordPos(1), str, 0, kaUintMax)
			if !ok {
				d.errorf(s, 1, "Hysteresis %s must be in [0, %d] - ignoring", str, uint64(kaUintMax))
				return
			}
			vs.Hysteresis = uint32(v)
		}},
		"weight": {fn: func(d *decoder, s *syntax.Stmt) {
			vs := d.lvs.vs
			str, ok := d.arg(s, 1)
			if !ok {
				return
			}
			v, ok := d.readUnsignedStr(s.WordPos(1), str, 1, lvsWeightLimit)
			if !ok {
				d.errorf(s, 1, "Virtual server weight %s is outside range 1-%d", str, lvsWeightLimit)
				return
			}
			vs.Weight = uint32(v)
		}},
	}
}

// vsIdentityKeywords decodes what names and reports a virtual server:
//
//	ha_suspend
//	smtp_alert [BOOL]
//	virtualhost NAME
//	snmp_name NAME
func vsIdentityKeywords() table {
	return table{
		"ha_suspend": {fn: func(d *decoder, s *syntax.Stmt) {
			d.lvs.vs.HASuspend = true
		}},
		"smtp_alert": {fn: func(d *decoder, s *syntax.Stmt) {
			vs := d.lvs.vs
			if v, ok := d.boolArg(s, 1, "Invalid virtual_server smtp_alert parameter %s"); ok {
				vs.Configured.SMTPAlert = &v
			}
		}},
		"virtualhost": {fn: func(d *decoder, s *syntax.Stmt) {
			vs := d.lvs.vs
			if len(s.Words) < 2 {
				d.errorf(s, 0, "virtual server virtualhost missing")
				return
			}
			d.setString(&vs.Virtualhost, s, "vs virtualhost")
		}},
		"snmp_name": {fn: func(d *decoder, s *syntax.Stmt) {
			vs := d.lvs.vs
			if len(s.Words) != 2 {
				d.errorf(s, 0, "virtual server snmp_name missing or extra parameters")
				return
			}
			d.setString(&vs.SNMPName, s, "vs snmp_name")
		}},
	}
}

// vsServerKeywords decodes a virtual server's sorry server and real servers:
//
//	sorry_server ADDRESS [PORT]
//	sorry_server_inhibit
//	sorry_server_lvs_method NAT|DR|TUN ...
//	real_server ADDRESS [PORT] { ... }
func vsServerKeywords() table {
	return table{
		"sorry_server": {fn: func(d *decoder, s *syntax.Stmt) {
			vs := d.lvs.vs
			ip, ok := d.arg(s, 1)
			if !ok {
				return
			}
			p, have := "", false
			if len(s.Words) > 2 {
				p, have = kaPortStr(s.Words[2].Text, true)
			}
			a, port, ok := d.kaSockaddr(ip, p, have, s.WordPos(2))
			if !ok {
				d.errorf(s, 1, "Invalid sorry server IP address %s - skipping", ip)
				return
			}
			vs.SorryServer = &SorryServer{Pos: s.Pos(), Addr: a, Port: port, Forwarding: vs.Forwarding}
		}},
		"sorry_server_inhibit": {fn: func(d *decoder, s *syntax.Stmt) {
			vs := d.lvs.vs
			if vs.SorryServer == nil {
				d.errorf(s, 0, "Ignoring sorry_server inhibit used before or without sorry_server")
				return
			}
			vs.SorryServer.Inhibit = true
		}},
		"sorry_server_lvs_method": {fn: func(d *decoder, s *syntax.Stmt) {
			vs := d.lvs.vs
			if vs.SorryServer == nil {
				d.errorf(s, 0, "sorry_server forwarding used without sorry_server")
				return
			}
			d.forwarding(s, &vs.SorryServer.Forwarding, "sorry")
		}},
		"real_server": {fn: decodeRealServer, block: true},
	}
}
