package conf

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

// LinkbeatInterface is one line of linkbeat_interfaces.
type LinkbeatInterface struct {
	Pos       Pos    `json:"-"`
	Interface string `json:"interface"`
	Type      string `json:"type,omitempty"` // "", MII, ETHTOOL, IOCTL
}

// InterfaceDelay is one line of interface_up_down_delays.
type InterfaceDelay struct {
	Pos       Pos           `json:"-"`
	Interface string        `json:"interface"`
	Down      time.Duration `json:"down"`
	Up        time.Duration `json:"up"`
}

// TrackGroup is a track_group: static addresses, routes and rules that
// name it follow the state of its instances.
type TrackGroup struct {
	Pos       Pos      `json:"-"`
	Name      string   `json:"name"`
	Instances []string `json:"instances"`
}

// PreferredLftForever is preferred_lft forever (INFINITY_LIFE_TIME).
const PreferredLftForever = 0xffffffff

// IPAddress is an address of static_ipaddress, virtual_ipaddress or
// virtual_ipaddress_excluded.
type IPAddress struct {
	Pos    Pos          `json:"-"`
	Prefix netip.Prefix `json:"prefix"`
	// Broadcast is brd IP, or computed from brd +/-.
	Broadcast     netip.Addr   `json:"broadcast,omitzero"`
	Dev           string       `json:"dev,omitempty"`
	Scope         string       `json:"scope,omitempty"`
	Label         string       `json:"label,omitempty"`
	Peer          netip.Prefix `json:"peer,omitzero"`
	Home          bool         `json:"home,omitempty"`
	NoDAD         bool         `json:"nodad,omitempty"`
	MngTmpAddr    bool         `json:"mngtmpaddr,omitempty"`
	NoPrefixRoute bool         `json:"noprefixroute,omitempty"`
	AutoJoin      bool         `json:"autojoin,omitempty"`
	// PreferredLft is nil when not set (IPv4 default), else seconds;
	// IPv6 gets keepalived's old defaults (0 for /128, forever otherwise).
	PreferredLft *uint32 `json:"preferred_lft,omitempty"`
	NoTrack      bool    `json:"no_track,omitempty"`
	UseVMAC      bool    `json:"use_vmac,omitempty"`
	TrackGroup   string  `json:"track_group,omitempty"`
}

// Nexthop is a nexthop (or "or") of a route.
type Nexthop struct {
	Via    netip.Addr `json:"via,omitzero"`
	Dev    string     `json:"dev,omitempty"`
	Weight int        `json:"weight,omitempty"`
	Onlink bool       `json:"onlink,omitempty"`
	Realms string     `json:"realms,omitempty"`
}

// Route is a line of static_routes or virtual_routes (ip route syntax).
type Route struct {
	Pos    Pos          `json:"-"`
	Family int          `json:"family"`
	Dst    netip.Prefix `json:"dst,omitzero"` // invalid for default
	// DstDefault is default/any/all.
	DstDefault bool              `json:"default,omitempty"`
	Type       string            `json:"type"`
	Src        netip.Addr        `json:"src,omitzero"`
	From       netip.Prefix      `json:"from,omitzero"`
	Via        netip.Addr        `json:"via,omitzero"`
	Dev        string            `json:"dev,omitempty"`
	Table      uint32            `json:"table"`
	Metric     *uint32           `json:"metric,omitempty"`
	Scope      string            `json:"scope,omitempty"`
	Protocol   string            `json:"protocol,omitempty"`
	TOS        *uint8            `json:"tos,omitempty"`
	Onlink     bool              `json:"onlink,omitempty"`
	Realms     string            `json:"realms,omitempty"`
	Metrics    map[string]uint32 `json:"metrics,omitempty"`
	Locked     []string          `json:"locked,omitempty"`
	Features   []string          `json:"features,omitempty"`
	Congctl    string            `json:"congctl,omitempty"`
	Pref       string            `json:"pref,omitempty"`
	Expires    *uint32           `json:"expires,omitempty"`
	Nexthops   []Nexthop         `json:"nexthops,omitempty"`
	Mode       string            `json:"mode,omitempty"` // add, append, prepend
	NoTrack    bool              `json:"no_track,omitempty"`
	TrackGroup string            `json:"track_group,omitempty"`
}

// Rule is a line of static_rules or virtual_rules (ip rule syntax).
type Rule struct {
	Pos    Pos          `json:"-"`
	Family int          `json:"family"`
	Invert bool         `json:"not,omitempty"`
	From   netip.Prefix `json:"from,omitzero"`
	To     netip.Prefix `json:"to,omitzero"`
	// Action: table, goto, nop, blackhole, unreachable, prohibit.
	Action   string `json:"action"`
	Table    uint32 `json:"table,omitempty"`
	Goto     uint32 `json:"goto,omitempty"`
	L3mdev   bool   `json:"l3mdev,omitempty"`
	Priority uint32 `json:"priority"`
	// PriorityAuto is set when keepalived numbered the rule itself.
	PriorityAuto      bool    `json:"priority_auto,omitempty"`
	TOS               *uint8  `json:"tos,omitempty"`
	Fwmark            *uint32 `json:"fwmark,omitempty"`
	FwMask            *uint32 `json:"fwmask,omitempty"`
	Realms            string  `json:"realms,omitempty"`
	SuppressPrefixLen *int32  `json:"suppress_prefixlength,omitempty"`
	SuppressIfGroup   string  `json:"suppress_ifgroup,omitempty"`
	IIF               string  `json:"iif,omitempty"`
	OIF               string  `json:"oif,omitempty"`
	TunID             *uint64 `json:"tunnel_id,omitempty"`
	UIDRange          string  `json:"uidrange,omitempty"`
	Protocol          *uint8  `json:"protocol,omitempty"`
	IPProto           string  `json:"ipproto,omitempty"`
	SPort             string  `json:"sport,omitempty"`
	DPort             string  `json:"dport,omitempty"`
	NoTrack           bool    `json:"no_track,omitempty"`
	TrackGroup        string  `json:"track_group,omitempty"`
}

// ---- linkbeat_interfaces, interface_up_down_delays, track_group ----

func decodeLinkbeatInterfaces(d *decoder, s *syntax.Stmt) {
	for _, c := range d.valueStmts(s) {
		name := word(c, 0)
		if !d.ifKnown(name) {
			d.add(c.Pos(), syntax.Fatal, "unknown interface %s specified for linkbeat interface", name)
			continue
		}
		lb := LinkbeatInterface{Pos: c.Pos(), Interface: name}
		if len(c.Words) > 1 {
			switch t := word(c, 1); t {
			case "MII", "ETHTOOL", "IOCTL":
				lb.Type = t
			}
			if lb.Type == "" || len(c.Words) > 2 {
				d.errorf(c, 1, "extra characters %s in linkbeat interface", word(c, 1))
			}
		}
		d.cfg.LinkbeatInterfaces = append(d.cfg.LinkbeatInterfaces, lb)
	}
}

func decodeInterfaceUpDownDelays(d *decoder, s *syntax.Stmt) {
	for _, c := range d.valueStmts(s) {
		name := word(c, 0)
		if !d.ifKnown(name) {
			d.add(c.Pos(), syntax.Fatal, "unknown interface %s specified for up/down delay", name)
			continue
		}
		if len(c.Words) < 2 {
			d.vlogInfo(c.Pos(), "No timeouts specified for %s up/down delays", name)
			continue
		}
		if len(c.Words) > 3 {
			d.vlogInfo(c.Pos(), "Too many parameters for %s up/down delays", name)
		}
		down, ok := d.readTimer(c, 1, 0, 255*timerHz)
		if !ok {
			d.vlogInfo(c.WordPos(1), "Invalid down delay %s for %s", word(c, 1), name)
			continue
		}
		var up time.Duration
		if len(c.Words) > 2 {
			if up, ok = d.readTimer(c, 2, 0, 255*timerHz); !ok {
				d.vlogInfo(c.WordPos(2), "Invalid up delay %s for %s", word(c, 2), name)
				continue
			}
		}
		d.cfg.InterfaceUpDownDelays = append(d.cfg.InterfaceUpDownDelays, InterfaceDelay{Pos: c.Pos(), Interface: name, Down: down, Up: up})
	}
}

func findTrackGroup(d *decoder, name string) *TrackGroup {
	for _, tg := range d.cfg.TrackGroups {
		if tg.Name == name {
			return tg
		}
	}
	return nil
}

func decodeTrackGroup(d *decoder, s *syntax.Stmt) {
	if len(s.Words) != 2 {
		d.errorf(s, 0, "track_group must have a name - skipping")
		return
	}
	name := word(s, 1)
	if findTrackGroup(d, name) != nil {
		d.errorf(s, 1, "track_group %s already defined", name)
		return
	}
	tg := &TrackGroup{Pos: s.Pos(), Name: name}
	d.cfg.TrackGroups = append(d.cfg.TrackGroups, tg)
	d.walk("track_group", s.Block, boundKeywords{trackGroupTable, &trackGroupDecode{tg: tg}})
}

// trackGroupDecode is a track_group being decoded.
type trackGroupDecode struct {
	tg   *TrackGroup
	seen bool // its group block
}

// trackGroupTable decodes a track_group block:
//
//	group { INSTANCE... }
var trackGroupTable = table{
	"group": objBlockKw(func(d *decoder, x *trackGroupDecode, c *syntax.Stmt) {
		if x.seen {
			d.errorf(c, 0, "Group list already specified for sync group %s", x.tg.Name)
			return
		}
		x.seen = true
		for _, l := range d.valueStmts(c) {
			x.tg.Instances = append(x.tg.Instances, valueWords(l.Words)...)
		}
		if len(x.tg.Instances) == 0 {
			d.errorf(c, 0, "Warning - track group %s has empty group block", x.tg.Name)
		}
	}),
}

// ---- addresses ----

var scopeNames = map[string]uint8{"global": 0, "universe": 0, "site": 200, "link": 253, "host": 254, "nowhere": 255}

func scopeValue(str string) (string, bool) {
	if _, ok := scopeNames[str]; ok {
		return str, true
	}
	if v, err := strconv.ParseUint(str, 0, 8); err == nil {
		return strconv.FormatUint(v, 10), true
	}
	return "", false
}

// addrParams are the address options that take a parameter.
var addrParams = map[string]bool{"dev": true, "scope": true, "broadcast": true, "brd": true, "label": true, "peer": true, "preferred_lft": true}

// addrParse is keepalived's alloc_ipaddress at work on one value line:
// the address so far, and what the checks at its end need.
type addrParse struct {
	d       *decoder
	c       *syntax.Stmt
	static  bool
	n       int
	addrStr string
	ip      IPAddress
	is6     bool
	brd     int // -1 '+', -2 '-'
	haveBrd bool
	lftSet  bool
}

// decodeIPAddress is keepalived's alloc_ipaddress for one value line.
func (d *decoder) decodeIPAddress(c *syntax.Stmt, static bool) (IPAddress, bool) {
	addrStr := word(c, 0)
	pfx, ok := d.parseAddrPrefix(c.Pos(), addrStr, true)
	if !ok {
		return IPAddress{}, false
	}
	ap := &addrParse{d: d, c: c, static: static, n: len(c.Words), addrStr: addrStr,
		ip: IPAddress{Pos: c.Pos(), Prefix: pfx}, is6: pfx.Addr().Is6()}
	for i := 1; i < ap.n; i++ {
		var ok bool
		if i, ok = ap.option(i); !ok {
			return IPAddress{}, false
		}
	}
	return ap.finish()
}

// option reads the option at word i, the short ones itself; it returns
// the index of the last word used, and false when the address is dropped.
func (ap *addrParse) option(i int) (int, bool) {
	d, c, ip := ap.d, ap.c, &ap.ip
	str := word(c, i)
	if (addrParams[str] || (ap.static && str == "track_group")) && i+1 >= ap.n {
		d.errorf(c, i, "No %s parameter specified for %s", str, ap.addrStr)
		return i, false
	}
	switch {
	case str == "dev":
		return ap.optDev(str, i)
	case str == "scope":
		i++
		if v, ok := scopeValue(word(c, i)); ok {
			ip.Scope = v
		} else {
			d.errorf(c, i, "Invalid scope '%s' specified for %s - ignoring", word(c, i), ap.addrStr)
		}
	case str == "broadcast" || str == "brd":
		return ap.optBroadcast(str, i)
	case str == "label":
		i++
		if l := word(c, i); len(l) >= 16 {
			d.lose(c.WordPos(i), syntax.GeneralError, "Address label %s is longer than maximum length %d - removing address", l, 15)
			return i, false
		}
		ip.Label = word(c, i)
	case str == "peer":
		return ap.optPeer(str, i)
	case str == "home":
		ip.Home = true
	case str == "-nodad":
		ip.NoDAD = true
	case str == "mngtmpaddr":
		ip.MngTmpAddr = true
	case str == "noprefixroute":
		ip.NoPrefixRoute = true
	case str == "autojoin":
		ip.AutoJoin = true
	case str == "no_track":
		ip.NoTrack = true
	case str == "preferred_lft":
		return ap.optPreferredLft(str, i)
	case ap.static && str == "track_group":
		return ap.optTrackGroup(str, i)
	case !ap.static && str == "use_vmac":
		ip.UseVMAC = true
	default:
		d.errorf(c, i, "Unknown configuration entry '%s' for ip address - ignoring", str)
	}
	return i, true
}

// finish runs alloc_ipaddress's checks once the line is read.
func (ap *addrParse) finish() (IPAddress, bool) {
	d, c, ip := ap.d, ap.c, &ap.ip
	if ap.haveBrd && ip.Peer.IsValid() {
		d.errorf(c, 0, "Cannot specify broadcast and peer addresses - ignoring broadcast address")
		ip.Broadcast = netip.Addr{}
	} else if ap.brd < 0 && ip.Prefix.Bits() <= 30 {
		base := ip.Prefix.Addr()
		if ip.Peer.IsValid() {
			base = ip.Peer.Addr()
		}
		b := base.As4()
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		mask := uint32(0xffffffff) >> ip.Prefix.Bits()
		if ap.brd == -1 {
			v |= mask
		} else {
			v &^= mask
		}
		ip.Broadcast = netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	} else if ap.brd < 0 {
		d.errorf(c, 0, "Address prefix length %d too long for broadcast", ip.Prefix.Bits())
	}
	if ap.static && ip.Dev == "" {
		ip.Dev = d.cfg.Global.DefaultInterface
		// looked up as an instance's interface is: a missing one
		// also stops the VRRP side
		if !d.ifExists(ip.Dev, c.Pos()) {
			d.add(c.Pos(), syntax.Fatal, "Static address %s requires either an interface or default interface must exist", ap.addrStr)
			return IPAddress{}, false
		}
	}
	if ap.is6 {
		if ip.Scope != "" && ip.Scope != "0" && ip.Scope != "global" && ip.Scope != "universe" {
			d.errorf(c, 0, "Cannot specify scope for IPv6 addresses (%s) - ignoring scope", ap.addrStr)
			ip.Scope = ""
		}
		if ip.Label != "" {
			d.errorf(c, 0, "Cannot specify label for IPv6 addresses (%s) - ignoring label", ap.addrStr)
			ip.Label = ""
		}
		if !ap.lftSet {
			v := uint32(PreferredLftForever)
			if ip.Prefix.Bits() == 128 {
				v = 0
			}
			ip.PreferredLft = &v
		}
	}
	if ip.TrackGroup != "" && ip.Dev == "" {
		d.errorf(c, 0, "Static route cannot have track_group if interface not specified")
		ip.TrackGroup = ""
	}
	return *ip, true
}

// optDev reads "dev IFNAME".
func (ap *addrParse) optDev(str string, i int) (int, bool) {
	d, c, ip := ap.d, ap.c, &ap.ip
	if ip.Dev != "" {
		d.errorf(c, i, "Cannot specify ipaddress device more than once for %s", ap.addrStr)
		return i, false
	}
	i++
	if !d.ifExists(word(c, i), c.WordPos(i)) {
		d.errorf(c, i, "WARNING - interface %s for ip address %s doesn't exist", word(c, i), ap.addrStr)
		return i, false
	}
	ip.Dev = word(c, i)
	return i, true
}

// optBroadcast reads "broadcast|brd ADDRESS|+|-" (IPv4).
func (ap *addrParse) optBroadcast(str string, i int) (int, bool) {
	d, c, ip := ap.d, ap.c, &ap.ip
	if ap.is6 {
		d.errorf(c, i, "VRRP is trying to assign a broadcast %s to the IPv6 address %s !!?? WTF... skipping VIP...", str, ap.addrStr)
		return i, false
	}
	ap.haveBrd = true
	i++
	switch p := word(c, i); p {
	case "-":
		ap.brd = -2
	case "+":
		ap.brd = -1
	default:
		a, err := netip.ParseAddr(p)
		if err != nil || !a.Is4() {
			d.errorf(c, i, "VRRP is trying to assign invalid broadcast %s. skipping VIP...", p)
			return i, false
		}
		ip.Broadcast = a
	}
	return i, true
}

// optPeer reads "peer PREFIX".
func (ap *addrParse) optPeer(str string, i int) (int, bool) {
	d, c, ip := ap.d, ap.c, &ap.ip
	i++
	if ip.Peer.IsValid() {
		d.errorf(c, i, "Peer %s - another peer has already been specified", word(c, i))
		return i, true
	}
	peer, ok := d.parseAddrPrefix(c.WordPos(i), word(c, i), false)
	switch {
	case !ok:
		d.errorf(c, i, "Invalid peer address %s", word(c, i))
	case peer.Addr().Is6() != ap.is6:
		d.errorf(c, i, "Peer address %s does not match address family", word(c, i))
	default:
		if ip.Prefix.Bits() != ip.Prefix.Addr().BitLen() {
			d.errorf(c, i, "Cannot specify address prefix when specifying peer address - ignoring")
		}
		ip.Peer = peer
		ip.Prefix = netip.PrefixFrom(ip.Prefix.Addr(), peer.Bits())
	}
	return i, true
}

// optPreferredLft reads "preferred_lft SECONDS|forever".
func (ap *addrParse) optPreferredLft(str string, i int) (int, bool) {
	d, c, ip := ap.d, ap.c, &ap.ip
	i++
	if word(c, i) == "forever" {
		v := uint32(PreferredLftForever)
		ip.PreferredLft = &v
		ap.lftSet = true
	} else if v, ok := d.readUnsigned(c, i, 0, 0xffffffff); ok {
		u := uint32(v)
		ip.PreferredLft = &u
		ap.lftSet = true
	} else {
		d.errorf(c, i, "preferred_lft %s is invalid", word(c, i))
	}
	return i, true
}

// optTrackGroup reads "track_group NAME" (static addresses only).
func (ap *addrParse) optTrackGroup(str string, i int) (int, bool) {
	d, c, ip := ap.d, ap.c, &ap.ip
	i++
	if ip.TrackGroup != "" {
		d.errorf(c, i, "track_group %s is a duplicate", word(c, i))
		return ap.n, true
	}
	if findTrackGroup(d, word(c, i)) == nil {
		d.errorf(c, i, "track_group %s not found", word(c, i))
	} else {
		ip.TrackGroup = word(c, i)
	}
	return i, true
}

func decodeStaticIPAddress(d *decoder, s *syntax.Stmt) {
	for _, c := range d.valueStmts(s) {
		if ip, ok := d.decodeIPAddress(c, true); ok {
			d.cfg.StaticAddresses = append(d.cfg.StaticAddresses, ip)
		}
	}
}

// ---- routes ----

var rtTables = map[string]uint32{"unspec": 0, "default": 253, "main": 254, "local": 255}

func tableValue(str string) (uint32, bool) {
	// keepalived tries a number first, as strtoul (base 0) reads it,
	// kept as an unsigned int: "-1" is 4294967295
	if v, ok := cStrtoulAll(str); ok {
		return uint32(v), true
	}
	v, ok := rtTables[str]
	return v, ok
}

// cStrtoulAll is strtoul(str, &end, 0) that must consume all of str.
func cStrtoulAll(str string) (uint64, bool) {
	t := trimCSpace(str)
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg, t = t[0] == '-', t[1:]
	}
	base, digits := uint64(10), "0123456789"
	switch {
	case len(t) > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') && lvsHexDigit(t[2]) >= 0:
		base, digits, t = 16, "0123456789abcdefABCDEF", t[2:]
	case t != "" && t[0] == '0':
		base, digits = 8, "01234567"
	}
	if t == "" {
		return 0, false
	}
	var v uint64
	over := false
	for i := 0; i < len(t); i++ {
		if strings.IndexByte(digits, t[i]) < 0 {
			return 0, false
		}
		dv := uint64(lvsHexDigit(t[i]))
		if v > (math.MaxUint64-dv)/base {
			over = true
		}
		v = v*base + dv
	}
	switch {
	case over:
		v = math.MaxUint64
	case neg:
		v = -v
	}
	return v, true
}

var rtProtos = map[string]bool{"unspec": true, "redirect": true, "kernel": true, "boot": true, "static": true,
	"gated": true, "ra": true, "mrt": true, "zebra": true, "bird": true, "dnrouted": true, "xorp": true,
	"ntk": true, "dhcp": true, "keepalived": true, "babel": true, "bgp": true, "isis": true, "ospf": true, "rip": true, "eigrp": true}

func protoValue(str string) (string, bool) {
	if rtProtos[str] {
		return str, true
	}
	if v, err := strconv.ParseUint(str, 0, 8); err == nil {
		return strconv.FormatUint(v, 10), true
	}
	return "", false
}

var rtnTypes = map[string]bool{"unicast": true, "local": true, "broadcast": true, "anycast": true, "multicast": true,
	"blackhole": true, "unreachable": true, "prohibit": true, "throw": true, "nat": true}

// routeMetrics are the "NAME [lock] N" route options.
var routeMetrics = map[string]bool{"mtu": true, "advmss": true, "rtt": true, "rttvar": true, "reordering": true,
	"window": true, "cwnd": true, "ssthresh": true, "rto_min": true, "initcwnd": true, "initrwnd": true, "hoplimit": true}

func (d *decoder) routeAddr(c *syntax.Stmt, i int, fam *int, what string) (netip.Addr, bool) {
	str := word(c, i)
	a, err := netip.ParseAddr(str)
	if err != nil {
		d.gerr(c.WordPos(i), "VRRP parsed invalid IP %s. skipping IP...", str)
		d.errorf(c, i, "invalid route %s address %s", what, str)
		return netip.Addr{}, false
	}
	if *fam == 0 {
		*fam = family(a)
	} else if *fam != family(a) {
		d.errorf(c, i, "Cannot mix IPv4 and IPv6 addresses for route")
		return netip.Addr{}, false
	}
	return a, true
}

// routeParse is keepalived's alloc_route at work on one value line: the
// route so far, and what the checks at its end need.
type routeParse struct {
	d       *decoder
	c       *syntax.Stmt
	static  bool
	n       int
	r       Route
	dest    string
	haveDst bool
}

// decodeRoute is keepalived's alloc_route for one value line.
func (d *decoder) decodeRoute(c *syntax.Stmt, static bool) (Route, bool) {
	rp := &routeParse{d: d, c: c, static: static, n: len(c.Words), r: Route{Pos: c.Pos(), Type: "unicast", Table: 254}}
	for i := 0; i < rp.n; i++ {
		var ok bool
		if i, ok = rp.option(i); !ok {
			return Route{}, false
		}
	}
	return rp.finish()
}

// needArg reports whether option i has a parameter after it.
func (rp *routeParse) needArg(i int) bool {
	if i+1 >= rp.n {
		rp.d.add(rp.c.WordPos(i+1), syntax.MissingParameter, "%s: missing parameter", word(rp.c, i))
		return false
	}
	return true
}

// option reads the option at word i, the short ones itself; it returns
// the index of the last word used, and false when the route is dropped.
func (rp *routeParse) option(i int) (int, bool) {
	d, c, r := rp.d, rp.c, &rp.r
	str := word(c, i)
	switch {
	case str == "inet6" || str == "inet":
		if !d.setFamily(c, i, &r.Family, "route") {
			return i, false
		}
	case str == "src":
		return rp.optSrc(str, i)
	case str == "as":
		i++
		if word(c, i) == "to" {
			i++
		}
		d.errorf(c, i, "\"as to\" for MPLS only - ignoring")
	case str == "via" || str == "gw":
		return rp.optVia(str, i)
	case str == "from":
		return rp.optFrom(str, i)
	case str == "tos" || str == "dsfield":
		return rp.optTos(str, i)
	case str == "table":
		return rp.optTable(str, i)
	case str == "protocol" || str == "proto":
		return rp.optProtocol(str, i)
	case str == "scope":
		return rp.optScope(str, i)
	case str == "metric" || str == "priority" || str == "preference":
		return rp.optMetric(str, i)
	case str == "dev" || str == "oif":
		return rp.optDev(str, i)
	case str == "onlink":
		r.Onlink = true
	case str == "encap":
		// lwtunnel encapsulation: kept as given.
		d.errorf(c, i, "%s not supported by kernel", "encap")
		i = rp.n
	case str == "expires":
		return rp.optExpires(str, i)
	case routeMetrics[str]:
		return rp.optMetrics(str, i)
	case str == "realms":
		return rp.optRealms(str, i)
	case str == "features":
		return rp.optFeatures(str, i)
	case str == "quickack" || str == "fastopen_no_cookie":
		return rp.optQuickack(str, i)
	case str == "congctl":
		return rp.optCongctl(str, i)
	case str == "pref":
		return rp.optPref(str, i)
	case str == "ttl-propagate":
		i++
		if w := word(c, i); w != "enabled" && w != "disabled" {
			d.errorf(c, i, "%s value %s not recognised", "ttl-propagate", w)
		}
	case str == "add" || str == "append" || str == "prepend":
		r.Mode = str
	case str == "or":
		return rp.optOr(str, i)
	case str == "nexthop":
		return rp.optNexthop(str, i)
	case str == "no_track":
		r.NoTrack = true
	case rp.static && str == "track_group":
		return rp.optTrackGroup(str, i)
	case str == "vrf":
		return rp.optVrf(str, i)
	default:
		return rp.optDst(str, i)
	}
	return i, true
}

// finish runs alloc_route's checks once the line is read.
func (rp *routeParse) finish() (Route, bool) {
	d, c, r := rp.d, rp.c, &rp.r
	if !rp.haveDst {
		d.errorf(c, 0, "Route must have a destination")
		return Route{}, false
	}
	if !r.NoTrack {
		if r.Protocol != "" && r.Protocol != "keepalived" && r.Protocol != "18" {
			d.errorf(c, 0, "Route cannot be tracked if protocol is not RTPROT_KEEPALIVED(%d), resetting protocol", 18)
		}
		r.Protocol = "keepalived"
		if r.Dev == "" {
			// 2.3.2 stopped saying so (it still does not track it)
			if !d.opt.Compat.AtLeast(2, 3, 2) {
				d.errorf(c, 0, "Warning - cannot track route %s with no interface specified, not tracking", rp.dest)
			}
			r.NoTrack = true
		}
	}
	if r.TrackGroup != "" && r.Dev == "" {
		d.errorf(c, 0, "Static route cannot have track group if no oif specified")
		r.TrackGroup = ""
	}
	if r.Family == 0 {
		r.Family = 4
	}
	return *r, true
}

// optSrc reads "src ADDRESS", the preferred source address.
func (rp *routeParse) optSrc(str string, i int) (int, bool) {
	d, c, r := rp.d, rp.c, &rp.r
	if !rp.needArg(i) {
		return i, false
	}
	i++
	a, ok := d.routeAddr(c, i, &r.Family, "src")
	if !ok {
		return i, false
	}
	r.Src = a
	return i, true
}

// optVia reads "via [inet|inet6] ADDRESS" ("gw", deprecated, too).
func (rp *routeParse) optVia(str string, i int) (int, bool) {
	d, c, r := rp.d, rp.c, &rp.r
	if str == "gw" {
		d.errorf(c, i, "\"gw\" for routes is deprecated. Please use \"via\"")
	}
	if !rp.needArg(i) {
		return i, false
	}
	i++
	if w := word(c, i); w == "inet" || w == "inet6" {
		i++
	}
	a, ok := d.routeAddr(c, i, &r.Family, "via")
	if !ok {
		return i, false
	}
	r.Via = a
	return i, true
}

// optFrom reads "from PREFIX", an IPv6 source prefix.
func (rp *routeParse) optFrom(str string, i int) (int, bool) {
	d, c, r := rp.d, rp.c, &rp.r
	if !rp.needArg(i) {
		return i, false
	}
	i++
	p, ok := d.parseAddrPrefix(c.WordPos(i), word(c, i), true)
	if !ok {
		d.errorf(c, i, "invalid route from address %s", word(c, i))
		return i, false
	}
	if p.Addr().Is4() {
		d.errorf(c, i, "route from address only supported with IPv6 (%s)", word(c, i))
		return i, false
	}
	if r.Family == 4 {
		d.errorf(c, i, "Cannot mix IPv4 and IPv6 addresses for route")
		return i, false
	}
	r.Family = 6
	r.From = p
	return i, true
}

// optTos reads "tos|dsfield HEX".
func (rp *routeParse) optTos(str string, i int) (int, bool) {
	d, c, r := rp.d, rp.c, &rp.r
	if !rp.needArg(i) {
		return i, false
	}
	i++
	v, err := strconv.ParseUint(word(c, i), 16, 8)
	if err != nil {
		d.errorf(c, i, "TOS value %s is invalid", word(c, i))
		return i, false
	}
	t := uint8(v)
	r.TOS = &t
	return i, true
}

// optTable reads "table ID|NAME".
func (rp *routeParse) optTable(str string, i int) (int, bool) {
	d, c, r := rp.d, rp.c, &rp.r
	if !rp.needArg(i) {
		return i, false
	}
	i++
	v, ok := tableValue(word(c, i))
	if !ok {
		d.errorf(c, i, "Routing table %s not found for route", word(c, i))
		return i, false
	}
	r.Table = v
	return i, true
}

// optProtocol reads "protocol|proto NUMBER|NAME".
func (rp *routeParse) optProtocol(str string, i int) (int, bool) {
	d, c, r := rp.d, rp.c, &rp.r
	if !rp.needArg(i) {
		return i, false
	}
	i++
	v, ok := protoValue(word(c, i))
	if !ok {
		d.errorf(c, i, "Protocol %s not found or invalid for route", word(c, i))
		return i, false
	}
	r.Protocol = v
	return i, true
}

// optScope reads "scope NUMBER|NAME".
func (rp *routeParse) optScope(str string, i int) (int, bool) {
	d, c, r := rp.d, rp.c, &rp.r
	if !rp.needArg(i) {
		return i, false
	}
	i++
	v, ok := scopeValue(word(c, i))
	if !ok {
		d.errorf(c, i, "Scope %s not found or invalid for route", word(c, i))
		return i, false
	}
	r.Scope = v
	return i, true
}

// optMetric reads "metric|priority|preference N".
func (rp *routeParse) optMetric(str string, i int) (int, bool) {
	d, c, r := rp.d, rp.c, &rp.r
	if !rp.needArg(i) {
		return i, false
	}
	i++
	v, ok := d.readUnsigned(c, i, 0, 0xffffffff)
	if !ok {
		return i, false
	}
	m := uint32(v)
	r.Metric = &m
	return i, true
}

// optDev reads "dev|oif IFNAME".
func (rp *routeParse) optDev(str string, i int) (int, bool) {
	d, c, r := rp.d, rp.c, &rp.r
	if !rp.needArg(i) {
		return i, false
	}
	i++
	if !d.ifExists(word(c, i), c.WordPos(i)) {
		d.errorf(c, i, "WARNING - interface %s for VROUTE nexthop doesn't exist", word(c, i))
		return i, false
	}
	r.Dev = word(c, i)
	return i, true
}

// optExpires reads "expires SECONDS" (IPv6).
func (rp *routeParse) optExpires(str string, i int) (int, bool) {
	d, c, r := rp.d, rp.c, &rp.r
	if !rp.needArg(i) {
		return i, false
	}
	i++
	if r.Family == 4 {
		d.errorf(c, i, "expires is only valid for IPv6")
	}
	v, ok := d.readUnsigned(c, i, 0, 0xffffffff)
	if !ok {
		return i, false
	}
	e := uint32(v)
	r.Expires = &e
	return i, true
}

// optMetrics reads a routeMetrics option, "NAME [lock] N" (rtt, rttvar and
// rto_min take a time: N[s|ms]).
func (rp *routeParse) optMetrics(str string, i int) (int, bool) {
	d, c, r := rp.d, rp.c, &rp.r
	if !rp.needArg(i) {
		return i, false
	}
	i++
	if word(c, i) == "lock" && str != "hoplimit" && str != "initcwnd" && str != "initrwnd" {
		r.Locked = append(r.Locked, str)
		if !rp.needArg(i) {
			return i, false
		}
		i++
	}
	var v uint64
	var ok bool
	if str == "rtt" || str == "rttvar" || str == "rto_min" {
		v, ok = rp.timeRTT(c.WordPos(i), word(c, i), str)
		if !ok {
			if str == "rto_min" {
				d.errorf(c, i, "Invalid rto_min value %s specified for route", word(c, i))
			} else {
				d.errorf(c, i, "Invalid %s %s for route", str, word(c, i))
			}
			return i, false
		}
	} else if v, ok = d.readUnsigned(c, i, 0, 0xffffffff); !ok {
		return i, false
	}
	if r.Metrics == nil {
		r.Metrics = map[string]uint32{}
	}
	r.Metrics[str] = uint32(v)
	return i, true
}

// optRealms reads "realms [FROM/]TO" (IPv4).
func (rp *routeParse) optRealms(str string, i int) (int, bool) {
	d, c, r := rp.d, rp.c, &rp.r
	if !rp.needArg(i) {
		return i, false
	}
	i++
	if !validRealms(word(c, i)) {
		d.errorf(c, i, "Invalid realms %s for route", word(c, i))
		return i, false
	}
	if r.Family == 6 {
		d.errorf(c, i, "realms are only valid for IPv4")
		return i, false
	}
	r.Realms = word(c, i)
	return i, true
}

// optFeatures reads "features ecn".
func (rp *routeParse) optFeatures(str string, i int) (int, bool) {
	d, c, r := rp.d, rp.c, &rp.r
	if !rp.needArg(i) {
		return i, false
	}
	i++
	if word(c, i) != "ecn" {
		d.errorf(c, i, "feature %s not supported", word(c, i))
		return i, false
	}
	r.Features = append(r.Features, "ecn")
	return i, true
}

// optQuickack reads "quickack|fastopen_no_cookie 0|1".
func (rp *routeParse) optQuickack(str string, i int) (int, bool) {
	d, c, r := rp.d, rp.c, &rp.r
	if !rp.needArg(i) {
		return i, false
	}
	i++
	v, ok := d.readUnsigned(c, i, 0, 1)
	if !ok {
		return i, false
	}
	if r.Metrics == nil {
		r.Metrics = map[string]uint32{}
	}
	r.Metrics[str] = uint32(v)
	return i, true
}

// optCongctl reads "congctl [lock] ALGORITHM".
func (rp *routeParse) optCongctl(str string, i int) (int, bool) {
	c, r := rp.c, &rp.r
	if !rp.needArg(i) {
		return i, false
	}
	i++
	if word(c, i) == "lock" {
		r.Locked = append(r.Locked, str)
		i++
	}
	r.Congctl = word(c, i)
	return i, true
}

// optPref reads "pref low|medium|high|N" (IPv6).
func (rp *routeParse) optPref(str string, i int) (int, bool) {
	d, c, r := rp.d, rp.c, &rp.r
	if !rp.needArg(i) {
		return i, false
	}
	i++
	if r.Family == 4 {
		d.errorf(c, i, "pref is only valid for IPv6")
		return i, false
	}
	switch p := word(c, i); p {
	case "low", "medium", "high":
		r.Pref = p
	default:
		if _, err := strconv.ParseUint(p, 0, 8); err != nil {
			d.errorf(c, i, "Invalid pref %s", p)
			return i, false
		}
		r.Pref = p
	}
	return i, true
}

// optOr reads "or ADDRESS" (deprecated for nexthop): a second gateway.
func (rp *routeParse) optOr(str string, i int) (int, bool) {
	d, c, r := rp.d, rp.c, &rp.r
	d.errorf(c, i, "\"or\" for routes is deprecated. Please use \"nexthop\"")
	if len(r.Nexthops) > 0 {
		d.errorf(c, i, "\"or\" route already specified - ignoring subsequent")
		return i + 1, true
	}
	if !rp.needArg(i) {
		return i, false
	}
	i++
	a, err := netip.ParseAddr(word(c, i))
	if err != nil {
		d.gerr(c.WordPos(i), "VRRP parsed invalid IP %s. skipping IP...", word(c, i))
		d.errorf(c, i, "Invalid \"or\" address %s", word(c, i))
		return i, false
	}
	r.Nexthops = []Nexthop{{Via: r.Via}, {Via: a}}
	r.Via = netip.Addr{}
	return i, true
}

// optNexthop reads the "nexthop ..." groups (see decodeNexthops).
func (rp *routeParse) optNexthop(str string, i int) (int, bool) {
	d, c, r := rp.d, rp.c, &rp.r
	if len(r.Nexthops) > 0 {
		d.errorf(c, i, "Cannot specify nexthops with \"or\" route")
		return rp.n, true
	}
	return d.decodeNexthops(c, i, r)
}

// optTrackGroup reads "track_group NAME" (static routes only).
func (rp *routeParse) optTrackGroup(str string, i int) (int, bool) {
	d, c, r := rp.d, rp.c, &rp.r
	if !rp.needArg(i) {
		return i, false
	}
	i++
	if r.TrackGroup != "" {
		d.errorf(c, i, "track_group %s is a duplicate", word(c, i))
		return rp.n, true
	}
	if findTrackGroup(d, word(c, i)) == nil {
		d.errorf(c, i, "track_group %s not found", word(c, i))
	} else {
		r.TrackGroup = word(c, i)
	}
	return i, true
}

// optVrf reads "vrf IFNAME".
func (rp *routeParse) optVrf(str string, i int) (int, bool) {
	d, c := rp.d, rp.c
	i++
	// keepalived looks the VRF up among existing interfaces
	// without creating it.
	if d.opt.InterfaceExists != nil && !d.opt.InterfaceExists(word(c, i)) {
		d.errorf(c, i, "VRF %s not found for route", word(c, i))
		return i, false
	}
	return i, true
}

// optDst reads the destination: "[to] [TYPE] PREFIX|default|any|all|default6".
func (rp *routeParse) optDst(str string, i int) (int, bool) {
	d, c, r := rp.d, rp.c, &rp.r
	if str == "to" {
		i++
	}
	if rtnTypes[word(c, i)] {
		r.Type = word(c, i)
		i++
	}
	rp.dest = word(c, i)
	switch rp.dest {
	case "default", "any", "all":
		r.DstDefault = true
		r.Dst = netip.Prefix{}
	case "default6":
		d.vlogInfo(c.WordPos(i), "'default6' is deprecated - please replace with 'inet6 default'")
		r.DstDefault = true
		if r.Family == 4 {
			d.errorf(c, i, "Cannot mix IPv4 and IPv6 addresses for route (%s)", rp.dest)
			return i, false
		}
		r.Family = 6
	default:
		p, ok := d.parseAddrPrefix(c.WordPos(i), rp.dest, true)
		if !ok {
			d.errorf(c, i, "unknown route keyword %s", rp.dest)
			return i, false
		}
		r.DstDefault = false
		r.Dst = p.Masked()
		f := family(p.Addr())
		if r.Family == 0 {
			r.Family = f
		} else if r.Family != f {
			d.errorf(c, i, "Cannot mix IPv4 and IPv6 addresses for route (%s)", rp.dest)
			return i, false
		}
	}
	rp.haveDst = true
	return i, true
}

// decodeNexthops reads "nexthop via A dev D weight W onlink ..." groups
// from word i (which is "nexthop"); it returns the index of the last
// word used.
func (d *decoder) decodeNexthops(c *syntax.Stmt, i int, r *Route) (int, bool) {
	n := len(c.Words)
	for i < n && word(c, i) == "nexthop" {
		i++
		nh := Nexthop{}
		for i < n && word(c, i) != "nexthop" {
			str := word(c, i)
			if i+1 >= n && str != "onlink" {
				d.add(c.WordPos(i+1), syntax.MissingParameter, "%s: missing parameter", str)
				return i, false
			}
			switch str {
			case "via":
				i++
				if w := word(c, i); w == "inet" || w == "inet6" {
					i++
				}
				a, err := netip.ParseAddr(word(c, i))
				if err != nil {
					d.gerr(c.WordPos(i), "VRRP parsed invalid IP %s. skipping IP...", word(c, i))
					d.errorf(c, i, "invalid nexthop address %s", word(c, i))
					return i, false
				}
				if r.Family == 0 {
					r.Family = family(a)
				} else if r.Family != family(a) {
					d.errorf(c, i, "Address family mismatch for next hop")
					return i, false
				}
				nh.Via = a
			case "dev":
				i++
				if !d.ifExists(word(c, i), c.WordPos(i)) {
					d.errorf(c, i, "WARNING - interface %s for VROUTE nexthop doesn't exist", word(c, i))
					return i, false
				}
				nh.Dev = word(c, i)
			case "weight":
				i++
				v, ok := d.readUnsigned(c, i, 1, 256)
				if !ok {
					d.errorf(c, i, "Invalid weight 0 specified for route")
					return i, false
				}
				nh.Weight = int(v)
			case "onlink":
				nh.Onlink = true
			case "realms":
				i++
				if !validRealms(word(c, i)) {
					d.errorf(c, i, "Invalid realms %s for route", word(c, i))
					return i, false
				}
				nh.Realms = word(c, i)
			default:
				d.errorf(c, i, "Route has trailing nonsense after nexthops - %s", str)
				return i, false
			}
			i++
		}
		r.Nexthops = append(r.Nexthops, nh)
	}
	return i - 1, true
}

// keepalived's bounds for rtt, rttvar and rto_min (RTT_MIN_MS, RTT_MAX_MS).
const (
	rttMinMs = 200
	rttMaxMs = 120000
)

// timeRTT is keepalived's get_time_rtt: N in the kernel's units (1/8000 s
// for rtt, 1/4000 s for rttvar, ms for rto_min), or a decimal with s,
// sec, secs (case ignored) or ms, msec, msecs, converted to them. A value
// out of 0.2s..120s is reset to the bound: said from keepalived 2.2.8 on,
// only logged before.
func (rp *routeParse) timeRTT(pos Pos, str, opt string) (uint64, bool) {
	d := rp.d
	mult, typ := uint64(8), "rtt"
	switch opt {
	case "rttvar":
		mult = 4
	case "rto_min":
		mult, typ = 1, "rto"
	}
	kind := syntax.GeneralError
	if !d.opt.Compat.AtLeast(2, 2, 8) {
		kind, typ = syntax.Info, "rtt"
	}
	num, raw, shift := str, true, 0
	if i := strings.IndexAny(str, "sS"); i >= 0 {
		switch strings.ToLower(str[i:]) {
		case "s", "sec", "secs":
		default:
			return 0, false
		}
		raw, shift = false, 3
		if i > 0 && (str[i-1] == 'm' || str[i-1] == 'M') {
			shift = 0
			i--
		}
		if i == 0 {
			return 0, false
		}
		num = str[:i]
	}
	if strings.ContainsAny(num, "eE") {
		d.add(pos, kind, "%s value exponential form %s no longer supported", typ, str)
		return 0, false
	}
	v, ok := d.readDecimalStr(pos, num, 0, rttMaxMs*mult, shift, false)
	if !ok {
		return 0, false
	}
	if !raw {
		v *= mult
	}
	if v > rttMaxMs*mult {
		d.add(pos, kind, "%s value %s exceeds maximum %ds, resetting", typ, str, rttMaxMs/1000)
		v = rttMaxMs * mult
	} else if v < rttMinMs*mult {
		d.add(pos, kind, "%s value %s below minimum %dms, resetting", typ, str, rttMinMs)
		v = rttMinMs * mult
	}
	return v, true
}

func validRealms(str string) bool {
	for _, p := range strings.SplitN(str, "/", 2) {
		if _, err := strconv.ParseUint(p, 0, 16); err != nil {
			return false
		}
	}
	return true
}

func decodeStaticRoutes(d *decoder, s *syntax.Stmt) {
	for _, c := range d.valueStmts(s) {
		if r, ok := d.decodeRoute(c, true); ok {
			d.cfg.StaticRoutes = append(d.cfg.StaticRoutes, r)
		}
	}
}

// ---- rules ----

func (d *decoder) ruleAddr(c *syntax.Stmt, i int, fam *int, what string) (netip.Prefix, bool) {
	str := word(c, i)
	if str == "all" || str == "any" || str == "default" {
		return netip.Prefix{}, true
	}
	p, ok := d.parseAddrPrefix(c.WordPos(i), str, true)
	if !ok {
		d.errorf(c, i, "Invalid rule %s address %s", what, str)
		return netip.Prefix{}, false
	}
	f := family(p.Addr())
	if *fam == 0 {
		*fam = f
	} else if *fam != f {
		d.errorf(c, i, "rule specification has mixed IPv4 and IPv6")
		return netip.Prefix{}, false
	}
	return p, true
}

// ruleParse is keepalived's alloc_rule at work on one value line: the
// rule so far, and what the checks at its end need.
type ruleParse struct {
	d           *decoder
	c           *syntax.Stmt
	static      bool
	n           int
	r           Rule
	havePrio    bool
	tableOption bool
}

// decodeRule is keepalived's alloc_rule for one value line.
func (d *decoder) decodeRule(c *syntax.Stmt, static bool) (Rule, bool) {
	rl := &ruleParse{d: d, c: c, static: static, n: len(c.Words), r: Rule{Pos: c.Pos()}}
	for i := 0; i < rl.n; i++ {
		var ok bool
		if i, ok = rl.option(i); !ok {
			return Rule{}, false
		}
	}
	return rl.finish()
}

// needArg reports whether option i has a parameter after it.
func (rl *ruleParse) needArg(i int) bool {
	if i+1 >= rl.n {
		rl.d.add(rl.c.WordPos(i+1), syntax.MissingParameter, "%s: missing parameter", word(rl.c, i))
		return false
	}
	return true
}

// setAction sets the rule's one action, a (word i).
func (rl *ruleParse) setAction(i int, a string) bool {
	if rl.r.Action != "" {
		rl.d.errorf(rl.c, i, "Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable for rule")
		return false
	}
	rl.r.Action = a
	return true
}

// option reads the option at word i, the short ones itself; it returns
// the index of the last word used, and false when the rule is dropped.
func (rl *ruleParse) option(i int) (int, bool) {
	d, c, r := rl.d, rl.c, &rl.r
	str := word(c, i)
	switch str {
	case "inet6", "inet":
		if !d.setFamily(c, i, &r.Family, "rule") {
			return i, false
		}
	case "from", "to":
		return rl.optFrom(str, i)
	case "table", "lookup":
		return rl.optTable(str, i)
	case "not":
		r.Invert = true
	case "preference", "order", "priority":
		return rl.optPreference(str, i)
	case "tos", "dsfield":
		return rl.optTos(str, i)
	case "fwmark":
		return rl.optFwmark(str, i)
	case "realms":
		return rl.optRealms(str, i)
	case "suppress_prefixlength", "sup_pl":
		return rl.optSuppressPrefixlength(str, i)
	case "suppress_ifgroup", "sup_group":
		if !rl.needArg(i) {
			return i, false
		}
		i++
		r.SuppressIfGroup = word(c, i)
		rl.tableOption = true
	case "dev", "iif", "oif":
		return rl.optDev(str, i)
	case "tunnel-id":
		return rl.optTunnelId(str, i)
	case "uidrange":
		return rl.optUidrange(str, i)
	case "l3mdev":
		if r.Action != "" {
			d.errorf(c, i, "Cannot specify l3mdev with other action")
			return i, false
		}
		r.Action = "table"
		r.L3mdev = true
	case "protocol":
		return rl.optProtocol(str, i)
	case "ipproto":
		return rl.optIpproto(str, i)
	case "sport", "dport":
		return rl.optSport(str, i)
	case "no_track":
		r.NoTrack = true
	case "track_group":
		return rl.optTrackGroup(str, i)
	default:
		return rl.optAction(str, i)
	}
	return i, true
}

// finish runs alloc_rule's checks once the line is read.
func (rl *ruleParse) finish() (Rule, bool) {
	d, c, r := rl.d, rl.c, &rl.r
	if r.Action == "goto" {
		if !rl.havePrio {
			d.errorf(c, 0, "Invalid rule - goto target %d specified without preference", r.Goto)
			return Rule{}, false
		}
		if r.Priority >= r.Goto {
			d.errorf(c, 0, "Invalid rule - preference %d >= goto target %d", r.Priority, r.Goto)
			return Rule{}, false
		}
	}
	if r.Action == "" {
		d.errorf(c, 0, "No action specified for rule - ignoring")
		return Rule{}, false
	}
	if r.Action != "table" && rl.tableOption {
		d.errorf(c, 0, "suppressor/realm specified for non table action - skipping")
		return Rule{}, false
	}
	if r.Table != 0 && r.L3mdev {
		d.errorf(c, 0, "table cannot be specified for l3mdev rules")
		return Rule{}, false
	}
	if !r.NoTrack {
		if r.Protocol != nil && *r.Protocol != 18 {
			d.errorf(c, 0, "Rule cannot be tracked if protocol is not RTPROT_KEEPALIVED(%d), resetting protocol", 18)
		}
		p := uint8(18)
		r.Protocol = &p
	}
	if r.TrackGroup != "" && r.IIF == "" {
		d.errorf(c, 0, "Static rule cannot have track_group if dev/iif not specified")
		r.TrackGroup = ""
	}
	if r.Family == 0 {
		r.Family = 4
	}
	if !rl.havePrio {
		st := d.vst()
		if r.Family == 4 {
			r.Priority = st.rulePrio4
			st.rulePrio4--
		} else {
			r.Priority = st.rulePrio6
			st.rulePrio6--
		}
		r.PriorityAuto = true
		d.errorf(c, 0, "Rule has no preference specified - setting to %d. This is probably not what you want.", r.Priority)
	}
	return *r, true
}

// optFrom reads "from|to PREFIX|all|any|default".
func (rl *ruleParse) optFrom(str string, i int) (int, bool) {
	d, c, r := rl.d, rl.c, &rl.r
	if !rl.needArg(i) {
		return i, false
	}
	i++
	p, ok := d.ruleAddr(c, i, &r.Family, str)
	if !ok {
		return i, false
	}
	if str == "from" {
		r.From = p
	} else {
		r.To = p
	}
	return i, true
}

// optTable reads "table|lookup ID|NAME", the table action.
func (rl *ruleParse) optTable(str string, i int) (int, bool) {
	d, c, r := rl.d, rl.c, &rl.r
	if !rl.needArg(i) {
		return i, false
	}
	i++
	v, ok := tableValue(word(c, i))
	if !ok {
		d.errorf(c, i, "Routing table %s not found for rule", word(c, i))
		return i, false
	}
	if v == 0 {
		d.errorf(c, i, "Table 0 is not valid")
		return i, false
	}
	if !rl.setAction(i, "table") {
		return i, false
	}
	r.Table = v
	return i, true
}

// optPreference reads "preference|order|priority N".
func (rl *ruleParse) optPreference(str string, i int) (int, bool) {
	d, c, r := rl.d, rl.c, &rl.r
	if !rl.needArg(i) {
		return i, false
	}
	i++
	v, err := strconv.ParseUint(word(c, i), 0, 32)
	if err != nil {
		d.errorf(c, i, "Invalid rule preference %s specified", word(c, i))
		return i, false
	}
	r.Priority = uint32(v)
	rl.havePrio = true
	return i, true
}

// optTos reads "tos|dsfield HEX".
func (rl *ruleParse) optTos(str string, i int) (int, bool) {
	d, c, r := rl.d, rl.c, &rl.r
	if !rl.needArg(i) {
		return i, false
	}
	i++
	v, err := strconv.ParseUint(word(c, i), 16, 8)
	if err != nil {
		d.errorf(c, i, "TOS value %s is invalid", word(c, i))
		return i, false
	}
	t := uint8(v)
	r.TOS = &t
	return i, true
}

// optFwmark reads "fwmark MARK[/MASK]".
func (rl *ruleParse) optFwmark(str string, i int) (int, bool) {
	d, c, r := rl.d, rl.c, &rl.r
	if !rl.needArg(i) {
		return i, false
	}
	i++
	m, mask, hasMask := strings.Cut(word(c, i), "/")
	v, err := strconv.ParseUint(m, 0, 32)
	var mv uint64
	if err == nil && hasMask {
		mv, err = strconv.ParseUint(mask, 0, 32)
	}
	if err != nil {
		d.errorf(c, i, "Invalid rule fwmark %s specified", word(c, i))
		return i, false
	}
	fm := uint32(v)
	r.Fwmark = &fm
	if hasMask {
		mm := uint32(mv)
		r.FwMask = &mm
	}
	return i, true
}

// optRealms reads "realms [FROM/]TO" (IPv4).
func (rl *ruleParse) optRealms(str string, i int) (int, bool) {
	d, c, r := rl.d, rl.c, &rl.r
	if !rl.needArg(i) {
		return i, false
	}
	i++
	if !validRealms(word(c, i)) {
		d.errorf(c, i, "invalid realms %s for rule", word(c, i))
		return i, false
	}
	if r.Family == 6 {
		d.errorf(c, i, "realms is only valid for IPv4")
		return i, false
	}
	r.Realms = word(c, i)
	rl.tableOption = true
	return i, true
}

// optSuppressPrefixlength reads "suppress_prefixlength|sup_pl N".
func (rl *ruleParse) optSuppressPrefixlength(str string, i int) (int, bool) {
	d, c, r := rl.d, rl.c, &rl.r
	if !rl.needArg(i) {
		return i, false
	}
	i++
	v, err := strconv.ParseUint(word(c, i), 10, 31)
	if err != nil {
		d.errorf(c, i, "Invalid suppress_prefixlength %s specified", word(c, i))
		return i, false
	}
	sp := int32(v)
	r.SuppressPrefixLen = &sp
	rl.tableOption = true
	return i, true
}

// optDev reads "dev|iif|oif IFNAME".
func (rl *ruleParse) optDev(str string, i int) (int, bool) {
	d, c, r := rl.d, rl.c, &rl.r
	if !rl.needArg(i) {
		return i, false
	}
	i++
	if !d.ifExists(word(c, i), c.WordPos(i)) {
		d.errorf(c, i, "WARNING - interface %s for rule doesn't exist", word(c, i))
		return i, false
	}
	if str == "oif" {
		r.OIF = word(c, i)
	} else {
		r.IIF = word(c, i)
	}
	return i, true
}

// optTunnelId reads "tunnel-id N".
func (rl *ruleParse) optTunnelId(str string, i int) (int, bool) {
	d, c, r := rl.d, rl.c, &rl.r
	if !rl.needArg(i) {
		return i, false
	}
	i++
	v, err := strconv.ParseUint(word(c, i), 0, 64)
	if err != nil {
		d.errorf(c, i, "Invalid tunnel-id %s specified", word(c, i))
		return i, false
	}
	r.TunID = &v
	return i, true
}

// optUidrange reads "uidrange UID-UID".
func (rl *ruleParse) optUidrange(str string, i int) (int, bool) {
	d, c, r := rl.d, rl.c, &rl.r
	if !rl.needArg(i) {
		return i, false
	}
	i++
	a, b, ok := strings.Cut(word(c, i), "-")
	_, e1 := strconv.ParseUint(a, 10, 32)
	_, e2 := strconv.ParseUint(b, 10, 32)
	if !ok || e1 != nil || e2 != nil {
		d.errorf(c, i, "Invalid uidrange %s specified", word(c, i))
		return i, false
	}
	r.UIDRange = word(c, i)
	return i, true
}

// optProtocol reads "protocol N|NAME".
func (rl *ruleParse) optProtocol(str string, i int) (int, bool) {
	d, c, r := rl.d, rl.c, &rl.r
	if !rl.needArg(i) {
		return i, false
	}
	i++
	v, err := strconv.ParseUint(word(c, i), 0, 8)
	if err != nil {
		if _, ok := protoValue(word(c, i)); !ok {
			d.errorf(c, i, "Invalid protocol %s", word(c, i))
			return i, false
		}
	}
	p := uint8(v)
	r.Protocol = &p
	return i, true
}

// optIpproto reads "ipproto NAME|N".
func (rl *ruleParse) optIpproto(str string, i int) (int, bool) {
	d, c, r := rl.d, rl.c, &rl.r
	if !rl.needArg(i) {
		return i, false
	}
	i++
	switch p := strings.ToLower(word(c, i)); p {
	case "tcp", "udp", "sctp", "icmp", "ipv6-icmp", "icmpv6", "dccp", "udplite", "gre", "esp", "ah":
		r.IPProto = p
	default:
		if _, err := strconv.ParseUint(p, 0, 8); err != nil {
			d.errorf(c, i, "Invalid ipproto %s", word(c, i))
			return i, false
		}
		r.IPProto = p
	}
	return i, true
}

// optSport reads "sport|dport PORT[-PORT]".
func (rl *ruleParse) optSport(str string, i int) (int, bool) {
	d, c, r := rl.d, rl.c, &rl.r
	if !rl.needArg(i) {
		return i, false
	}
	i++
	if !validPortRange(word(c, i)) {
		d.errorf(c, i, "invalid %s range %s", str, word(c, i))
		return i, false
	}
	if str == "sport" {
		r.SPort = word(c, i)
	} else {
		r.DPort = word(c, i)
	}
	return i, true
}

// optTrackGroup reads "track_group NAME" (static rules only).
func (rl *ruleParse) optTrackGroup(str string, i int) (int, bool) {
	d, c, r := rl.d, rl.c, &rl.r
	if !rl.static {
		d.errorf(c, i, "Unknown rule option %s", str)
		return i, false
	}
	if !rl.needArg(i) {
		return i, false
	}
	i++
	if r.TrackGroup != "" {
		d.errorf(c, i, "track_group %s is a duplicate", word(c, i))
		return i, true
	}
	if findTrackGroup(d, word(c, i)) == nil {
		d.errorf(c, i, "track_group %s not found", word(c, i))
	} else {
		r.TrackGroup = word(c, i)
	}
	return i, true
}

// optAction reads the other actions: "[type] goto N|nop|blackhole|unreachable|prohibit".
func (rl *ruleParse) optAction(str string, i int) (int, bool) {
	d, c, r := rl.d, rl.c, &rl.r
	w := str
	j := i
	if w == "type" {
		j++
		w = word(c, j)
	}
	switch w {
	case "goto":
		if j+1 >= rl.n {
			d.add(c.WordPos(j+1), syntax.MissingParameter, "%s: missing parameter", w)
			return i, false
		}
		j++
		v, ok := d.readUnsigned(c, j, 0, 0xffffffff)
		if !ok {
			d.errorf(c, j, "Invalid target %s specified", word(c, j))
			return i, false
		}
		if !rl.setAction(j, "goto") {
			return i, false
		}
		r.Goto = uint32(v)
	case "nop", "blackhole", "unreachable", "prohibit":
		if !rl.setAction(j, w) {
			return i, false
		}
	default:
		if str == "type" {
			d.errorf(c, j, "Invalid rule action %s", w)
		} else {
			d.errorf(c, j, "Unknown rule option %s", w)
		}
		return i, false
	}
	return j, true
}

func validPortRange(str string) bool {
	a, b, hasB := strings.Cut(str, "-")
	if _, err := strconv.ParseUint(a, 10, 16); err != nil {
		return false
	}
	if hasB {
		if _, err := strconv.ParseUint(b, 10, 16); err != nil {
			return false
		}
	}
	return true
}

func decodeStaticRules(d *decoder, s *syntax.Stmt) {
	for _, c := range d.valueStmts(s) {
		if r, ok := d.decodeRule(c, true); ok {
			d.cfg.StaticRules = append(d.cfg.StaticRules, r)
		}
	}
}

// setFamily applies an "inet"/"inet6" word (word i of c) to a route or
// rule whose family an address may already have fixed.
func (d *decoder) setFamily(c *syntax.Stmt, i int, fam *int, what string) bool {
	f, other := 4, "IPv6"
	if word(c, i) == "inet6" {
		f, other = 6, "IPv4"
	}
	if *fam != 0 && *fam != f {
		d.errorf(c, i, "%s specified for %s %s", word(c, i), other, what)
		return false
	}
	*fam = f
	return true
}
