package snmp

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/metrics"
)

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
	type rsState struct {
		up     bool
		weight int
	}
	health := map[string]rsState{}
	for _, r := range snap.RealServers {
		health[r.VS+"|"+r.RS] = rsState{r.Up, r.Weight}
	}
	for vi, vs := range cfg.VirtualServers {
		row := uint32(vi + 1)
		key := vsKey(vs)
		e := checkOID.Append(3, 1)
		switch {
		case vs.Group != "":
			b.int(e.Append(2, row), 3)
			b.str(e.Append(3, row), vs.Group)
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
		up := 0
		for ri, rs := range vs.RealServers {
			rrow := uint32(ri + 1)
			re := checkOID.Append(4, 1)
			st, known := health[key+"|"+netip.AddrPortFrom(rs.Addr, rs.Port).String()]
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
			if known && st.up {
				up++
			}
		}
		b.gauge(e.Append(20, row), len(vs.RealServers))
		b.gauge(e.Append(21, row), up)
		if vs.SNMPName != "" {
			b.str(e.Append(71, row), vs.SNMPName)
		}
	}
}
