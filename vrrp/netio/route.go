package netio

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/vrrp"
)

// Routes is the real vrrp.Routes over rtnetlink in the current namespace.
type Routes struct{}

var _ vrrp.Routes = Routes{}

var rtnType = map[string]int{"unicast": unix.RTN_UNICAST, "local": unix.RTN_LOCAL, "broadcast": unix.RTN_BROADCAST,
	"anycast": unix.RTN_ANYCAST, "multicast": unix.RTN_MULTICAST, "blackhole": unix.RTN_BLACKHOLE,
	"unreachable": unix.RTN_UNREACHABLE, "prohibit": unix.RTN_PROHIBIT, "throw": unix.RTN_THROW, "nat": unix.RTN_NAT}

// rtProto is iproute2's rt_protos.
var rtProto = map[string]int{"unspec": 0, "redirect": 1, "kernel": 2, "boot": 3, "static": 4, "gated": 8, "ra": 9,
	"mrt": 10, "zebra": 11, "bird": 12, "dnrouted": 13, "xorp": 14, "ntk": 15, "dhcp": 16, "keepalived": 18,
	"babel": 42, "bgp": 186, "isis": 187, "ospf": 188, "rip": 189, "eigrp": 192}

var rtScope = map[string]netlink.Scope{"global": netlink.SCOPE_UNIVERSE, "universe": netlink.SCOPE_UNIVERSE,
	"site": netlink.SCOPE_SITE, "link": netlink.SCOPE_LINK, "host": netlink.SCOPE_HOST, "nowhere": netlink.SCOPE_NOWHERE}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func ifIndex(name string) (int, error) {
	l, err := nl().LinkByName(name)
	if err != nil {
		return 0, fmt.Errorf("interface %s: %w", name, err)
	}
	return l.Attrs().Index, nil
}

// realms is "[FROM/]TO" with numbers (realm names need rt_realms).
func realms(s string) (int, error) {
	from, to, ok := strings.Cut(s, "/")
	if !ok {
		from, to = "0", s
	}
	f, err1 := strconv.ParseUint(from, 0, 16)
	t, err2 := strconv.ParseUint(to, 0, 16)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("realms %s: only numeric realms are supported", s)
	}
	return int(f<<16 | t), nil
}

// nlRoute maps a static/virtual route to netlink, with iproute2's
// defaults for scope.
func nlRoute(r *conf.Route) (*netlink.Route, error) {
	nr := &netlink.Route{Family: unix.AF_INET, Table: int(r.Table), Type: unix.RTN_UNICAST}
	if r.Family == 6 {
		nr.Family = unix.AF_INET6
	}
	if t, ok := rtnType[r.Type]; ok {
		nr.Type = t
	}
	if r.Dst.IsValid() && !r.DstDefault {
		nr.Dst = ipNet(r.Dst)
	} else if nr.Family == unix.AF_INET {
		nr.Dst = &net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)}
	} else {
		nr.Dst = &net.IPNet{IP: net.IPv6zero, Mask: net.CIDRMask(0, 128)}
	}
	if r.From.IsValid() {
		return nil, errors.New("route \"from\" (IPv6 source routing) is not supported")
	}
	if r.Src.IsValid() {
		nr.Src = r.Src.AsSlice()
	}
	if r.Via.IsValid() {
		nr.Gw = r.Via.AsSlice()
	}
	if r.Dev != "" {
		i, err := ifIndex(r.Dev)
		if err != nil {
			return nil, err
		}
		nr.LinkIndex = i
	}
	if r.Metric != nil {
		nr.Priority = int(*r.Metric)
	}
	if r.TOS != nil {
		nr.Tos = int(*r.TOS)
	}
	if r.Protocol != "" {
		if p, ok := rtProto[r.Protocol]; ok {
			nr.Protocol = netlink.RouteProtocol(p)
		} else if n, err := strconv.Atoi(r.Protocol); err == nil {
			nr.Protocol = netlink.RouteProtocol(n)
		}
	} else {
		nr.Protocol = unix.RTPROT_BOOT // as ip route add
	}
	if r.Onlink {
		nr.Flags |= unix.RTNH_F_ONLINK
	}
	if r.Realms != "" {
		v, err := realms(r.Realms)
		if err != nil {
			return nil, err
		}
		nr.Realm = v
	}
	for k, v := range r.Metrics {
		n := int(v)
		switch k {
		case "mtu":
			nr.MTU = n
		case "advmss":
			nr.AdvMSS = n
		case "rtt":
			nr.Rtt = n
		case "rttvar":
			nr.RttVar = n
		case "reordering":
			nr.Reordering = n
		case "window":
			nr.Window = n
		case "cwnd":
			nr.Cwnd = n
		case "ssthresh":
			nr.Ssthresh = n
		case "rto_min":
			nr.RtoMin = n
		case "initcwnd":
			nr.InitCwnd = n
		case "initrwnd":
			nr.InitRwnd = n
		case "hoplimit":
			nr.Hoplimit = n
		case "quickack":
			nr.QuickACK = n
		case "fastopen_no_cookie":
			nr.FastOpenNoCookie = n
		}
	}
	for _, l := range r.Locked {
		switch l {
		case "mtu":
			nr.MTULock = true
		case "rto_min":
			nr.RtoMinLock = true
		}
	}
	for _, f := range r.Features {
		if f == "ecn" {
			nr.Features |= 1 // RTAX_FEATURE_ECN
		}
	}
	nr.Congctl = r.Congctl
	for _, nh := range r.Nexthops {
		ni := &netlink.NexthopInfo{}
		if nh.Via.IsValid() {
			ni.Gw = nh.Via.AsSlice()
		}
		if nh.Dev != "" {
			i, err := ifIndex(nh.Dev)
			if err != nil {
				return nil, err
			}
			ni.LinkIndex = i
		}
		if nh.Weight > 0 {
			ni.Hops = nh.Weight - 1
		}
		if nh.Onlink {
			ni.Flags |= unix.RTNH_F_ONLINK
		}
		nr.MultiPath = append(nr.MultiPath, ni)
	}
	// iproute2: local/nat routes are host scope, broadcast/multicast/
	// anycast link scope, a unicast route with no gateway link scope.
	switch {
	case r.Scope != "":
		if s, ok := rtScope[r.Scope]; ok {
			nr.Scope = s
		} else if n, err := strconv.ParseUint(r.Scope, 0, 8); err == nil {
			nr.Scope = netlink.Scope(n)
		}
	case nr.Type == unix.RTN_LOCAL || nr.Type == unix.RTN_NAT:
		nr.Scope = netlink.SCOPE_HOST
	case nr.Type == unix.RTN_BROADCAST || nr.Type == unix.RTN_MULTICAST || nr.Type == unix.RTN_ANYCAST:
		nr.Scope = netlink.SCOPE_LINK
	case nr.Type == unix.RTN_UNICAST && nr.Gw == nil && len(nr.MultiPath) == 0 && nr.Family == unix.AF_INET:
		nr.Scope = netlink.SCOPE_LINK
	}
	return nr, nil
}

// AddRoute adds the route; one already there is success.
func (Routes) AddRoute(r *conf.Route) error {
	nr, err := nlRoute(r)
	if err != nil {
		return err
	}
	if r.Mode == "append" {
		err = nl().RouteAppend(nr)
	} else {
		err = nl().RouteAdd(nr)
	}
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("add route %s: %w", vrrp.FormatRoute(r), err)
	}
	return nil
}

// DelRoute removes the route; one not there is success.
func (Routes) DelRoute(r *conf.Route) error {
	nr, err := nlRoute(r)
	if err != nil {
		return err
	}
	if err := nl().RouteDel(nr); err != nil && !errors.Is(err, unix.ESRCH) && !errors.Is(err, unix.ENOENT) &&
		!errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("delete route %s: %w", vrrp.FormatRoute(r), err)
	}
	return nil
}

var ipProto = map[string]int{"icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51,
	"ipv6-icmp": 58, "icmpv6": 58, "sctp": 132, "udplite": 136, "vrrp": 112}

func portRange(s string) (*netlink.RulePortRange, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		b = a
	}
	x, err1 := strconv.ParseUint(a, 10, 16)
	y, err2 := strconv.ParseUint(b, 10, 16)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("port range %s", s)
	}
	return &netlink.RulePortRange{Start: uint16(x), End: uint16(y)}, nil
}

// nlRule maps a static/virtual rule to netlink.
func nlRule(r *conf.Rule) (*netlink.Rule, error) {
	nr := netlink.NewRule()
	nr.Family = unix.AF_INET
	if r.Family == 6 {
		nr.Family = unix.AF_INET6
	}
	nr.Priority = int(r.Priority)
	nr.Invert = r.Invert
	if r.From.IsValid() {
		nr.Src = ipNet(r.From)
	}
	if r.To.IsValid() {
		nr.Dst = ipNet(r.To)
	}
	switch r.Action {
	case "table":
		nr.Table = int(r.Table)
	case "goto":
		nr.Goto = int(r.Goto)
	case "nop":
		nr.Type = unix.FR_ACT_NOP
	case "blackhole":
		nr.Type = unix.FR_ACT_BLACKHOLE
	case "unreachable":
		nr.Type = unix.FR_ACT_UNREACHABLE
	case "prohibit":
		nr.Type = unix.FR_ACT_PROHIBIT
	}
	if r.L3mdev {
		return nil, errors.New("l3mdev rules are not supported")
	}
	if r.TOS != nil {
		nr.Tos = uint(*r.TOS)
	}
	if r.Fwmark != nil {
		nr.Mark = *r.Fwmark
	}
	if r.FwMask != nil {
		m := *r.FwMask
		nr.Mask = &m
	}
	if r.Realms != "" {
		v, err := realms(r.Realms)
		if err != nil {
			return nil, err
		}
		nr.Flow = v
	}
	if r.SuppressPrefixLen != nil {
		nr.SuppressPrefixlen = int(*r.SuppressPrefixLen)
	}
	if r.SuppressIfGroup != "" {
		n, err := strconv.ParseInt(r.SuppressIfGroup, 0, 32)
		if err != nil {
			return nil, fmt.Errorf("suppress_ifgroup %s: only numeric groups are supported", r.SuppressIfGroup)
		}
		nr.SuppressIfgroup = int(n)
	}
	nr.IifName, nr.OifName = r.IIF, r.OIF
	if r.TunID != nil {
		nr.TunID = uint(*r.TunID)
	}
	if r.UIDRange != "" {
		a, b, _ := strings.Cut(r.UIDRange, "-")
		x, err1 := strconv.ParseUint(a, 10, 32)
		y, err2 := strconv.ParseUint(b, 10, 32)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("uidrange %s", r.UIDRange)
		}
		nr.UIDRange = &netlink.RuleUIDRange{Start: uint32(x), End: uint32(y)}
	}
	if r.Protocol != nil {
		nr.Protocol = *r.Protocol
	}
	if r.IPProto != "" {
		if p, ok := ipProto[r.IPProto]; ok {
			nr.IPProto = p
		} else if n, err := strconv.ParseUint(r.IPProto, 0, 8); err == nil {
			nr.IPProto = int(n)
		} else {
			return nil, fmt.Errorf("ipproto %s", r.IPProto)
		}
	}
	var err error
	if r.SPort != "" {
		if nr.Sport, err = portRange(r.SPort); err != nil {
			return nil, err
		}
	}
	if r.DPort != "" {
		if nr.Dport, err = portRange(r.DPort); err != nil {
			return nil, err
		}
	}
	return nr, nil
}

// AddRule adds the rule; one already there is success.
func (Routes) AddRule(r *conf.Rule) error {
	nr, err := nlRule(r)
	if err != nil {
		return err
	}
	if err := nl().RuleAdd(nr); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("add rule %s: %w", vrrp.FormatRule(r), err)
	}
	return nil
}

// DelRule removes the rule; one not there is success.
func (Routes) DelRule(r *conf.Rule) error {
	nr, err := nlRule(r)
	if err != nil {
		return err
	}
	if err := nl().RuleDel(nr); err != nil && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("delete rule %s: %w", vrrp.FormatRule(r), err)
	}
	return nil
}
