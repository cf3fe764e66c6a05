package check

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/ipvs"
)

// fmtTrio is keepalived's inet_sockaddrtotrio: "[IP]:proto:port".
func fmtTrio(a netip.Addr, p conf.LVSProtocol, port uint16) string {
	ps := "none"
	switch p {
	case conf.LVSTCP:
		ps = "tcp"
	case conf.LVSUDP:
		ps = "udp"
	case conf.LVSSCTP:
		ps = "sctp"
	}
	// appended, not Sprintf: built for every real server at each reload
	b := append(make([]byte, 0, 64), '[')
	if a.IsValid() {
		b = a.AppendTo(b)
	} else {
		b = append(b, a.String()...)
	}
	b = append(b, "]:"...)
	b = strconv.AppendUint(append(append(b, ps...), ':'), uint64(port), 10)
	return string(b)
}

// fmtVS is keepalived's FMT_VS.
func fmtVS(vs *conf.VirtualServer) string {
	switch {
	case vs.Group != "":
		return fmt.Sprintf("[%s]:%d", vs.Group, vs.GroupIndex)
	case vs.FWMark != 0:
		return fmt.Sprintf("FWM %d", vs.FWMark)
	}
	return fmtTrio(vs.Addr, vs.Protocol, vs.Port)
}

func family(f conf.LVSFamily) ipvs.Family {
	if f == conf.LVSInet6 {
		return ipvs.IPv6
	}
	return ipvs.IPv4
}

// services returns the IPVS services of a virtual server: one, or one
// per address and fwmark of its group.
func services(vs *conf.VirtualServer) []ipvs.Service {
	base := ipvs.Service{Scheduler: vs.Scheduler, Flags: ipvs.SvcFlags(vs.Flags.Bits()), PE: vs.PersistenceEngine}
	if vs.PersistenceTimeout > 0 {
		base.Flags |= ipvs.SvcPersistent
		base.Timeout = vs.PersistenceTimeout
	}
	if g := vs.PersistenceGranularity; g != nil && g.PrefixLen > 0 {
		base.Netmask = uint8(g.PrefixLen)
	}
	proto := ipvs.Protocol(vs.Protocol.Number())
	var out []ipvs.Service
	add := func(k ipvs.ServiceKey) {
		s := base
		s.ServiceKey = k
		out = append(out, s)
	}
	switch {
	case vs.Group != "" && vs.GroupRef == nil:
		// an unknown group has no services (conf reported it)
	case vs.Group != "":
		g := vs.GroupRef
		for _, r := range g.Ranges {
			for a := r.First; a.IsValid() && a.Compare(r.Last) <= 0; a = a.Next() {
				add(ipvs.NewServiceKey(proto, netip.AddrPortFrom(a, r.Port)))
			}
		}
		for _, m := range g.FWMarks {
			f := m.Family
			if f == "" {
				f = vs.Family
			}
			add(ipvs.FWMarkKey(family(f), m.Mark))
		}
	case vs.FWMark != 0:
		add(ipvs.FWMarkKey(family(vs.Family), vs.FWMark))
	default:
		add(ipvs.NewServiceKey(proto, netip.AddrPortFrom(vs.Addr, vs.Port)))
	}
	return out
}

// destination converts a real server's address and forwarding.
func destination(a netip.Addr, port uint16, f conf.Forwarding, weight uint32) ipvs.Destination {
	d := ipvs.NewDestination(netip.AddrPortFrom(a, port), ipvs.Masq, weight)
	switch f.Method {
	case "DR":
		d.Fwd = ipvs.Route
	case "TUN":
		d.Fwd = ipvs.Tunnel
		switch f.TunnelType {
		case "gue":
			d.TunnelType = ipvs.TunGUE
		case "gre":
			d.TunnelType = ipvs.TunGRE
		}
		d.TunnelPort = f.TunnelPort
		switch f.TunnelCsum {
		case "csum":
			d.TunnelFlags = ipvs.TunCsum
		case "remcsum":
			d.TunnelFlags = ipvs.TunRemCsum
		}
	}
	return d
}

// ServiceKeys are the IPVS services a virtual server makes.
func ServiceKeys(vs *conf.VirtualServer) []ipvs.ServiceKey {
	var out []ipvs.ServiceKey
	for _, s := range services(vs) {
		out = append(out, s.ServiceKey)
	}
	return out
}
