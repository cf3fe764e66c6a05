// Package snmp is gokeepalived's AgentX subagent: it serves keepalived
// 2.2.7's KEEPALIVED-MIB, VRRP-MIB (RFC 2787) and VRRPv3-MIB (RFC 6527)
// from the daemon's snapshots, and sends keepalived's notifications.
package snmp

import (
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/dumps"
	"github.com/gokeepalived/gokeepalived/internal/metrics"
	"github.com/gokeepalived/gokeepalived/internal/snmp/agentx"
)

// The subtrees, as keepalived registers them.
var (
	KeepalivedOID = agentx.MustOID("1.3.6.1.4.1.9586.100.5")
	globalOID     = KeepalivedOID.Append(1)
	vrrpOID       = KeepalivedOID.Append(2)
	checkOID      = KeepalivedOID.Append(3)
	RFCv2OID      = agentx.MustOID("1.3.6.1.2.1.68")
	RFCv3OID      = agentx.MustOID("1.3.6.1.2.1.207")
)

// Object is one value of the view.
type Object = agentx.VarBind

// View is what the subagent serves at one moment, sorted by OID.
type View []Object

// Env is what the view needs of the host: the interfaces (index,
// hardware address, addresses) and the time the agent started (the RFC
// MIBs' uptimes count from it).
type Env struct {
	Iface   func(name string) (index int, hw net.HardwareAddr, addrs []netip.Addr)
	Started time.Time
	Now     time.Time
}

// HostEnv looks interfaces up in the daemon's network namespace.
func HostEnv(started time.Time) Env {
	return Env{Started: started, Now: time.Now(), Iface: func(name string) (int, net.HardwareAddr, []netip.Addr) {
		ifi, err := net.InterfaceByName(name)
		if err != nil {
			return 0, nil, nil
		}
		var out []netip.Addr
		addrs, _ := ifi.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(ipn.IP); ok {
					out = append(out, ip.Unmap())
				}
			}
		}
		return ifi.Index, ifi.HardwareAddr, out
	}}
}

// iface is an interface as the view shows it: its index, hardware
// address and primary addresses (keepalived's ifp->sin_addr and the
// link-local sin6_addr): the first ones that are no instance's VIP.
func (b *builder) iface(name string) (int, net.HardwareAddr, netip.Addr, netip.Addr) {
	idx, hw, addrs := b.env.Iface(name)
	var v4, v6 netip.Addr
	for _, a := range addrs {
		if b.vips[a] {
			continue
		}
		if a.Is4() && !v4.IsValid() {
			v4 = a
		} else if a.Is6() && a.IsLinkLocalUnicast() && !v6.IsValid() {
			v6 = a
		}
	}
	return idx, hw, v4, v6
}

// Which says which MIBs are served (enable_snmp_*).
type Which struct{ VRRP, Checker, RFCv2, RFCv3 bool }

// WhichOf reads global_defs.
func WhichOf(g *conf.GlobalDefs) Which {
	return Which{VRRP: g.EnableSNMPVRRP, Checker: g.EnableSNMPChecker, RFCv2: g.EnableSNMPRFCv2, RFCv3: g.EnableSNMPRFCv3}
}

// Any says whether anything is served at all.
func (w Which) Any() bool { return w.VRRP || w.Checker || w.RFCv2 || w.RFCv3 }

type builder struct {
	objs View
	env  Env
	vips map[netip.Addr]bool
}

func newBuilder(cfg *conf.Config, env Env) *builder {
	b := &builder{env: env, vips: map[netip.Addr]bool{}}
	for _, v := range cfg.VRRPInstances {
		for _, l := range [][]conf.IPAddress{v.VIPs, v.EVIPs} {
			for _, a := range l {
				b.vips[a.Prefix.Addr()] = true
			}
		}
	}
	return b
}

func (b *builder) add(oid agentx.OID, typ uint16, v any) {
	b.objs = append(b.objs, Object{Name: oid, Type: typ, Value: v})
}
func (b *builder) int(oid agentx.OID, v int)        { b.add(oid, agentx.Integer, int32(v)) }
func (b *builder) gauge(oid agentx.OID, v int)      { b.add(oid, agentx.Gauge32, uint32(v)) }
func (b *builder) counter(oid agentx.OID, v uint64) { b.add(oid, agentx.Counter32, uint32(v)) }
func (b *builder) c64(oid agentx.OID, v uint64)     { b.add(oid, agentx.Counter64, v) }
func (b *builder) ticks(oid agentx.OID, v uint32)   { b.add(oid, agentx.TimeTicks, v) }
func (b *builder) str(oid agentx.OID, s string)     { b.add(oid, agentx.OctetString, []byte(s)) }
func (b *builder) truth(oid agentx.OID, v bool)     { b.int(oid, truth(v)) }
func (b *builder) addr(oid agentx.OID, a netip.Addr) {
	b.add(oid, agentx.OctetString, addrBytes(a))
}

// truth is SNMPv2-TC's TruthValue.
func truth(v bool) int {
	if v {
		return 1
	}
	return 2
}

func addrBytes(a netip.Addr) []byte {
	if !a.IsValid() {
		return make([]byte, 4)
	}
	return a.Unmap().AsSlice()
}

// inetType is INET-ADDRESS-MIB's InetAddressType: ipv4(1), ipv6(2).
func inetType(a netip.Addr) int {
	switch {
	case !a.IsValid():
		return 0
	case a.Unmap().Is4():
		return 1
	}
	return 2
}

// Build makes the view of cfg and snap, for the MIBs w selects.
func Build(cfg *conf.Config, snap *metrics.Snapshot, w Which, env Env) View {
	b := newBuilder(cfg, env)
	// room for every object, so appending never copies the view
	n := 64 + 64*len(cfg.VRRPInstances) + 16*len(cfg.VRRPScripts)
	for _, vs := range cfg.VirtualServers {
		n += 80 + 60*len(vs.RealServers)
	}
	b.objs = make(View, 0, n)
	if w.VRRP || w.Checker {
		b.global(cfg)
	}
	byName := map[string]*dumps.Instance{}
	for i := range snap.VRRP {
		byName[snap.VRRP[i].Name] = &snap.VRRP[i]
	}
	if w.VRRP {
		b.syncGroups(cfg, byName)
		b.instances(cfg, byName)
		// static_ipaddress and static_routes: row 0, always set
		b.addressRows(0, 0, cfg.StaticAddresses, "", true, false)
		b.routeRows(0, cfg.StaticRoutes, true)
		b.ruleRows(0, cfg.StaticRules, true)
		b.scripts(cfg, snap.Scripts)
	}
	var checker View
	if w.Checker {
		cb := newBuilder(cfg, env)
		cb.objs = make(View, 0, cap(b.objs))
		cb.checker(cfg, snap)
		checker = columnOrder(cb.objs)
	}
	if w.RFCv2 {
		b.rfcv2(cfg, byName)
	}
	if w.RFCv3 {
		b.rfcv3(cfg, byName)
	}
	// OIDs are unique: no need for a stable sort.
	slices.SortFunc(b.objs, func(x, y Object) int { return agentx.Compare(x.Name, y.Name) })
	// The checker's subtree sorts after everything else served.
	return append(b.objs, checker...)
}

// columnOrder sorts the checker's objects, made row by row with rows in
// index order, into OID order by grouping them by table and column: at
// tens of thousands of real servers a comparison sort is most of the
// build.
func columnOrder(objs View) View {
	n := len(checkOID)
	key := func(o agentx.OID) uint64 {
		var t, c uint32
		if len(o) > n {
			t = o[n]
		}
		if len(o) > n+2 {
			c = o[n+2]
		}
		return uint64(t)<<32 | uint64(c)
	}
	// A counting sort: count each group, then place each object.
	count := map[uint64]int{}
	for _, o := range objs {
		count[key(o.Name)]++
	}
	keys := make([]uint64, 0, len(count))
	for k := range count {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	at, off := map[uint64]int{}, 0
	for _, k := range keys {
		at[k], off = off, off+count[k]
	}
	out := make(View, len(objs))
	for _, o := range objs {
		k := key(o.Name)
		out[at[k]] = o
		at[k]++
	}
	return out
}

// routerID is router_id, or the host name keepalived defaults it to.
func routerID(cfg *conf.Config) string {
	if cfg.Global.RouterID != "" {
		return cfg.Global.RouterID
	}
	h, _ := os.Hostname()
	return h
}

// Version is KEEPALIVED-MIB's version scalar: keepalived's version string.
const Version = "Keepalived v2.2.7 (01/16,2022)"

func triState(p *bool) int {
	if p == nil {
		return 3
	}
	return truth(*p)
}

func (b *builder) global(cfg *conf.Config) {
	g := &cfg.Global
	o := globalOID
	b.str(o.Append(1, 0), Version)
	b.str(o.Append(2, 0), routerID(cfg))
	var smtp netip.Addr
	port, timeout := 0, 0
	if g.SMTPServer != nil {
		smtp, _ = netip.ParseAddr(g.SMTPServer.Host)
		port = int(g.SMTPServer.Port)
	}
	// keepalived applies the default connect timeout only with an
	// smtp_server, and calls no address (family 0) ipv6(2).
	if g.SMTPServer != nil || g.SMTPConnectTimeout != 30*time.Second {
		timeout = int(g.SMTPConnectTimeout / time.Second)
	}
	atype := inetType(smtp)
	if atype == 0 {
		atype = 2
	}
	b.int(o.Append(3, 1, 0), atype)
	b.addr(o.Append(3, 2, 0), smtp)
	b.gauge(o.Append(3, 3, 0), timeout)
	if g.NotificationEmailFrom != "" {
		b.str(o.Append(3, 4, 0), g.NotificationEmailFrom)
	}
	for i, e := range g.NotificationEmail {
		b.str(o.Append(3, 5, 1, 2, uint32(i+1)), e)
	}
	b.gauge(o.Append(3, 6, 0), port)
	b.truth(o.Append(3, 7, 0), !g.NoEmailFaults)
	b.int(o.Append(3, 8, 0), triState(g.SMTPAlert))
	b.int(o.Append(3, 9, 0), triState(g.SMTPAlertVRRP))
	b.int(o.Append(3, 10, 0), triState(g.SMTPAlertChecker))
	b.truth(o.Append(4, 0), g.EnableTraps)
	// linkBeat, dbus and dynamicInterfaces say what gokeepalived does:
	// netlink link state (1), no D-Bus (2), no dynamic interfaces (2),
	// whatever the configuration asks (those keywords are unsupported).
	b.int(o.Append(5, 0), 1)
	b.truth(o.Append(6, 0), g.LVSFlush)
	b.int(o.Append(7, 0), 1) // 64-bit IPVS counters
	b.str(o.Append(8, 0), cfg.NetNamespace)
	b.truth(o.Append(9, 0), false)
	b.truth(o.Append(10, 0), false)
	b.int(o.Append(11, 0), map[string]int{"FULL": 1, "VS": 3}[g.LVSFlushOnStop]|boolInt(g.LVSFlushOnStop == "")*2)
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

// stateOf is vrrp_snmp_state: init 0, backup 1, master 2, fault 3, else 4.
func stateOf(s int) int {
	if s >= 0 && s <= 3 {
		return s
	}
	return 4
}

// initialState is the configured state: MASTER 2, else BACKUP 1.
func initialState(v *conf.VRRPInstance) int {
	if strings.EqualFold(v.State, "MASTER") {
		return 2
	}
	return 1
}

func cmdStr(s *conf.Script) string {
	if s == nil {
		return ""
	}
	return strings.Join(s.Argv, " ")
}

func (b *builder) syncGroups(cfg *conf.Config, byName map[string]*dumps.Instance) {
	index := map[string]int{}
	for i, v := range cfg.VRRPInstances {
		index[v.Name] = i + 1
	}
	for gi, g := range cfg.SyncGroups {
		row := uint32(gi + 1)
		e := vrrpOID.Append(1, 1)
		b.str(e.Append(2, row), g.Name)
		b.int(e.Append(3, row), groupState(g, byName))
		b.truth(e.Append(4, row), g.SMTPAlert != nil && *g.SMTPAlert)
		notify := g.NotifyMaster != nil || g.NotifyBackup != nil || g.NotifyFault != nil || g.NotifyStop != nil || g.Notify != nil
		b.truth(e.Append(5, row), notify)
		for col, s := range map[uint32]*conf.Script{6: g.NotifyMaster, 7: g.NotifyBackup, 8: g.NotifyFault, 9: g.Notify, 11: g.NotifyStop} {
			if s != nil {
				b.str(e.Append(col, row), cmdStr(s))
			}
		}
		b.truth(e.Append(10, row), g.TrackingWeight)
		for _, m := range g.Instances {
			if i, ok := index[m]; ok {
				b.str(vrrpOID.Append(2, 1, 2, row, uint32(i)), m)
			}
		}
	}
}

// groupState is the group's state as its members show it: fault if any
// is, master if all are, else backup.
func groupState(g *conf.SyncGroup, byName map[string]*dumps.Instance) int {
	master, n := 0, 0
	for _, m := range g.Instances {
		in := byName[m]
		if in == nil {
			continue
		}
		n++
		switch in.State {
		case 3:
			return 3
		case 2:
			master++
		}
	}
	if n > 0 && master == n {
		return 2
	}
	return 1
}

func (b *builder) instances(cfg *conf.Config, byName map[string]*dumps.Instance) {
	for i, v := range cfg.VRRPInstances {
		in := byName[v.Name]
		if in == nil {
			continue
		}
		row := uint32(i + 1)
		e := vrrpOID.Append(3, 1)
		b.str(e.Append(2, row), v.Name)
		b.gauge(e.Append(3, row), v.VRID)
		b.int(e.Append(4, row), stateOf(in.State))
		b.int(e.Append(5, row), initialState(v))
		b.int(e.Append(6, row), stateOf(in.WantState))
		b.int(e.Append(7, row), in.BasePriority)
		b.int(e.Append(8, row), in.EffectivePriority)
		b.truth(e.Append(9, row), in.VIPSet)
		if v.Interface != "" {
			b.str(e.Append(10, row), v.Interface)
		}
		b.truth(e.Append(11, row), len(v.TrackInterfaces) > 0)
		if v.Version == 3 {
			b.gauge(e.Append(12, row), int(v.AdvertInt/(10*time.Millisecond)))
		} else {
			b.gauge(e.Append(12, row), int(v.AdvertInt/time.Second))
		}
		b.truth(e.Append(13, row), !v.Nopreempt)
		b.gauge(e.Append(14, row), int(v.PreemptDelay/time.Second))
		auth := 0
		if v.Version != 3 {
			auth = map[string]int{"PASS": 1, "AH": 2}[v.AuthType]
		}
		b.int(e.Append(15, row), auth)
		b.truth(e.Append(16, row), cfg.Global.LVSSyncDaemon != nil && cfg.Global.LVSSyncDaemon.Instance == v.Name)
		if s := cfg.Global.LVSSyncDaemon; s != nil && s.Instance == v.Name {
			b.str(e.Append(17, row), s.Interface)
		}
		if v.SyncGroup != "" {
			b.str(e.Append(18, row), v.SyncGroup)
		}
		b.gauge(e.Append(19, row), int(v.GARPMasterDelay/time.Second))
		b.truth(e.Append(20, row), v.SMTPAlert)
		notify := v.NotifyMaster != nil || v.NotifyBackup != nil || v.NotifyFault != nil || v.NotifyStop != nil ||
			v.Notify != nil || v.NotifyMasterRxLowerPri != nil || v.NotifyDeletedScript != nil
		b.truth(e.Append(21, row), notify)
		for col, s := range map[uint32]*conf.Script{22: v.NotifyMaster, 23: v.NotifyBackup, 24: v.NotifyFault,
			25: v.NotifyStop, 26: v.Notify, 31: v.NotifyMasterRxLowerPri, 32: v.NotifyDeletedScript} {
			if s != nil {
				b.str(e.Append(col, row), cmdStr(s))
			}
		}
		accept := 0
		if v.Version == 3 {
			accept = truth(v.Accept)
		}
		b.int(e.Append(27, row), accept)
		b.truth(e.Append(28, row), v.PromoteSecondaries)
		b.truth(e.Append(29, row), false) // linkbeat polling is unsupported
		b.int(e.Append(30, row), v.Version)
		b.truth(e.Append(33, row), v.NotifyDeleted)
		if !v.Unicast && len(v.UnicastPeers) == 0 {
			mc := v.McastDstIP
			if !mc.IsValid() {
				mc = defaultMcast(v)
			}
			b.int(e.Append(34, row), inetType(mc))
			b.addr(e.Append(35, row), mc)
		}
		b.addresses(v, in, row)
		b.trackedScripts(v, row)
		b.routes(v, in, row)
	}
}

func defaultMcast(v *conf.VRRPInstance) netip.Addr {
	if v.Family == 10 {
		return netip.MustParseAddr("ff02::12")
	}
	return netip.MustParseAddr("224.0.0.18")
}

// scope is INET-ADDRESS-MIB's InetScopeType for ip's scope names.
func scope(s string) int {
	switch s {
	case "host":
		return 1
	case "link":
		return 2
	case "site":
		return 5
	}
	return 14 // global
}

func (b *builder) addresses(v *conf.VRRPInstance, in *dumps.Instance, row uint32) {
	set := in.VIPSet && in.State == 2
	b.addressRows(row, 0, v.VIPs, v.Interface, set, true)
	b.addressRows(row, uint32(len(v.VIPs)), v.EVIPs, v.Interface, set, false)
}

// addressRows are vrrpAddressTable's rows for addrs, numbered from n+1
// under row (0: static_ipaddress).
func (b *builder) addressRows(row, n uint32, addrs []conf.IPAddress, defDev string, set, adv bool) {
	for _, a := range addrs {
		n++
		e := vrrpOID.Append(6, 1)
		ip := a.Prefix.Addr()
		b.int(e.Append(2, row, n), inetType(ip))
		b.addr(e.Append(3, row, n), ip)
		if ip.Is4() {
			b.addr(e.Append(4, row, n), a.Broadcast)
		}
		b.gauge(e.Append(5, row, n), a.Prefix.Bits())
		b.int(e.Append(6, row, n), scope(a.Scope))
		dev := a.Dev
		if dev == "" {
			dev = defDev
		}
		idx, _, _, _ := b.iface(dev)
		b.int(e.Append(7, row, n), idx)
		b.str(e.Append(8, row, n), dev)
		if a.Label != "" {
			b.str(e.Append(9, row, n), a.Label)
		}
		b.truth(e.Append(10, row, n), set)
		b.truth(e.Append(11, row, n), adv)
		if a.Peer.IsValid() {
			b.addr(e.Append(12, row, n), a.Peer.Addr())
		}
	}
}

// rfcState is VRRP-MIB's vrrpOperState: initialize 1, backup 2, master 3.
func rfcState(s int) int {
	switch s {
	case 1:
		return 2
	case 2:
		return 3
	}
	return 1
}

func (b *builder) uptime(in *dumps.Instance) uint32 {
	if (in.State != 1 && in.State != 2) || b.env.Started.IsZero() {
		return 0
	}
	d := b.env.Now.Sub(b.env.Started)
	if d < 0 {
		d = 0
	}
	return uint32(d / (10 * time.Millisecond))
}

func (b *builder) rfcv2(cfg *conf.Config, byName map[string]*dumps.Instance) {
	var chk, ver uint64
	for _, v := range cfg.VRRPInstances {
		in := byName[v.Name]
		if in == nil || v.Version == 3 || v.Family == 10 {
			continue
		}
		chk += in.Drops["checksum"]
		ver += in.Drops["version"]
		idx, hw, v4, _ := b.iface(v.Interface)
		row := agentx.OID{uint32(idx), uint32(v.VRID)}
		e := RFCv2OID.Append(1, 3, 1)
		b.add(e.Append(2).Append(row...), agentx.OctetString, []byte(hw))
		b.int(e.Append(3).Append(row...), rfcState(in.State))
		b.int(e.Append(4).Append(row...), 1)
		b.int(e.Append(5).Append(row...), in.BasePriority)
		b.int(e.Append(6).Append(row...), len(v.VIPs))
		b.add(e.Append(7).Append(row...), agentx.IPAddress, make([]byte, 4))
		b.add(e.Append(8).Append(row...), agentx.IPAddress, addrBytes(v4))
		b.int(e.Append(9).Append(row...), map[string]int{"PASS": 1, "AH": 2}[v.AuthType]+1)
		b.int(e.Append(11).Append(row...), int(v.AdvertInt/time.Second))
		b.truth(e.Append(12).Append(row...), !v.Nopreempt)
		b.ticks(e.Append(13).Append(row...), b.uptime(in))
		b.int(e.Append(14).Append(row...), 1)
		b.int(e.Append(15).Append(row...), 1)
		for _, a := range v.VIPs {
			if ip := a.Prefix.Addr(); ip.Is4() {
				b.int(RFCv2OID.Append(1, 4, 1, 2).Append(row...).Append(ipSubs(ip)...), 1)
			}
		}
		s := in.Stats
		e = RFCv2OID.Append(2, 4, 1)
		for col, c := range []uint64{s.BecomeMaster, s.AdvertRcvd, s.AdvertIntervalErr, s.AuthFailure, s.IPTTLErr,
			s.PriZeroRcvd, s.PriZeroSent, s.InvalidTypeRcvd, s.AddrListErr, s.InvalidAuthType, s.AuthTypeMismatch, s.PacketLenErr} {
			b.counter(e.Append(uint32(col+1)).Append(row...), c)
		}
	}
	b.int(RFCv2OID.Append(1, 1, 0), 2)
	b.truth(RFCv2OID.Append(1, 2, 0), cfg.Global.EnableTraps)
	b.counter(RFCv2OID.Append(2, 1, 0), chk)
	b.counter(RFCv2OID.Append(2, 2, 0), ver)
	b.counter(RFCv2OID.Append(2, 3, 0), 0)
}

func ipSubs(a netip.Addr) []uint32 {
	var s []uint32
	for _, x := range a.Unmap().AsSlice() {
		s = append(s, uint32(x))
	}
	return s
}

func (b *builder) rfcv3(cfg *conf.Config, byName map[string]*dumps.Instance) {
	var chk, ver uint64
	for _, v := range cfg.VRRPInstances {
		in := byName[v.Name]
		if in == nil {
			continue
		}
		chk += in.Drops["checksum"]
		ver += in.Drops["version"]
		idx, hw, v4, v6 := b.iface(v.Interface)
		typ := uint32(1)
		primary := v4
		if v.Family == 10 {
			typ, primary = 2, v6
		}
		row := agentx.OID{uint32(idx), uint32(v.VRID), typ}
		e := RFCv3OID.Append(1, 1, 1, 1)
		master := primary
		if in.State != 2 {
			master, _ = netip.ParseAddr(in.MasterAddr)
			if !master.IsValid() && typ == 2 {
				master = netip.IPv6Unspecified()
			}
		}
		b.addr(e.Append(3).Append(row...), master)
		b.addr(e.Append(4).Append(row...), primary)
		b.add(e.Append(5).Append(row...), agentx.OctetString, []byte(hw))
		b.int(e.Append(6).Append(row...), rfcState(in.State))
		b.gauge(e.Append(7).Append(row...), in.BasePriority)
		b.int(e.Append(8).Append(row...), len(v.VIPs))
		b.int(e.Append(9).Append(row...), int(v.AdvertInt/(10*time.Millisecond)))
		b.truth(e.Append(10).Append(row...), !v.Nopreempt)
		b.truth(e.Append(11).Append(row...), v.Accept)
		b.ticks(e.Append(12).Append(row...), b.uptime(in))
		b.int(e.Append(13).Append(row...), 1)
		for _, a := range v.VIPs {
			b.int(RFCv3OID.Append(1, 1, 2, 1, 2).Append(row...).Append(ipSubs(a.Prefix.Addr())...), 1)
		}
		s := in.Stats
		e = RFCv3OID.Append(1, 2, 5, 1)
		b.counter(e.Append(1).Append(row...), s.BecomeMaster)
		b.int(e.Append(2).Append(row...), masterReason(in))
		b.c64(e.Append(3).Append(row...), s.AdvertRcvd)
		b.c64(e.Append(4).Append(row...), s.AdvertIntervalErr)
		b.c64(e.Append(5).Append(row...), s.IPTTLErr)
		b.int(e.Append(6).Append(row...), 0)
		b.c64(e.Append(7).Append(row...), s.PriZeroRcvd)
		b.c64(e.Append(8).Append(row...), s.PriZeroSent)
		b.c64(e.Append(9).Append(row...), s.InvalidTypeRcvd)
		b.c64(e.Append(10).Append(row...), s.AddrListErr)
		b.c64(e.Append(11).Append(row...), s.PacketLenErr)
		b.ticks(e.Append(12).Append(row...), 0)
		b.gauge(e.Append(13).Append(row...), int(v.AdvertInt/time.Millisecond))
	}
	b.c64(RFCv3OID.Append(1, 2, 1, 0), chk)
	b.c64(RFCv3OID.Append(1, 2, 2, 0), ver)
	b.c64(RFCv3OID.Append(1, 2, 3, 0), 0)
	b.ticks(RFCv3OID.Append(1, 2, 4, 0), 0)
}

// masterReason is vrrpv3StatisticsNewMasterReason: notMaster(0),
// priority(1) for an owner, masterNoResponse(3) otherwise.
func masterReason(in *dumps.Instance) int {
	switch {
	case in.State != 2:
		return 0
	case in.BasePriority == 255:
		return 1
	}
	return 3
}
