// Package ipvsadm renders an IPVS table exactly as `ipvsadm -Ln` does
// (ipvsadm 1.31 list_all / print_service_entry, numeric mode), including
// its default sort order and its trailing column padding.
package ipvsadm

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/gokeepalived/gokeepalived/ipvs"
)

// Service is a service with its destinations.
type Service struct {
	ipvs.ServiceEntry
	Dests []ipvs.DestinationEntry
}

// Format selects the column set, as ipvsadm's listing options do.
type Format int

// Listing formats.
const (
	Default        Format = iota // -Ln
	Stats                        // -Ln --stats
	Rate                         // -Ln --rate
	Thresholds                   // -Ln --thresholds
	PersistentConn               // -Ln --persistent-conn
	TunInfo                      // -Ln --tun-info
)

// Options select listing variants.
type Options struct {
	Format Format
	// Exact prints full counters in Stats / Rate (--exact).
	Exact bool
	// NoSort keeps dump order (ipvsadm --nosort); by default services and
	// destinations are sorted as ipvsadm does (--sort is that default).
	NoSort bool
}

// Snapshot reads what List needs from c.
func Snapshot(c ipvs.Client) (ipvs.Info, []Service, error) {
	info, err := c.Info()
	if err != nil {
		return info, nil, err
	}
	svcs, err := c.Services()
	if err != nil {
		return info, nil, err
	}
	out := make([]Service, 0, len(svcs))
	for _, s := range svcs {
		ds, err := c.Destinations(s.ServiceKey)
		if err != nil {
			return info, nil, err
		}
		out = append(out, Service{ServiceEntry: s, Dests: ds})
	}
	return info, out, nil
}

// List writes the table in `ipvsadm -Ln` format.
func List(w io.Writer, info ipvs.Info, svcs []Service, opt Options) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "IP Virtual Server version %d.%d.%d (size=%d)\n",
		info.Version>>16&0xff, info.Version>>8&0xff, info.Version&0xff, int32(info.ConnTabSize))
	writeTitle(bw, opt.Format)
	if !opt.NoSort {
		svcs = slices.Clone(svcs)
		slices.SortStableFunc(svcs, func(a, b Service) int { return cmpServices(&a.ServiceEntry, &b.ServiceEntry) })
	}
	for i := range svcs {
		writeService(bw, &svcs[i], opt)
	}
	return bw.Flush()
}

func writeTitle(w *bufio.Writer, f Format) {
	const prot = "Prot LocalAddress:Port"
	switch f {
	case Stats:
		fmt.Fprintf(w, "%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n", prot, "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes")
	case Rate:
		fmt.Fprintf(w, "%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n", prot, "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS")
	case Thresholds:
		fmt.Fprintf(w, "%-33s %-10s %-10s %-10s %-10s\n  -> RemoteAddress:Port\n", prot, "Uthreshold", "Lthreshold", "ActiveConn", "InActConn")
	case PersistentConn:
		fmt.Fprintf(w, "%-33s %-9s %-11s %-10s %-10s\n  -> RemoteAddress:Port\n", prot, "Weight", "PersistConn", "ActiveConn", "InActConn")
	case TunInfo:
		w.WriteString("Prot LocalAddress:Port Scheduler Flags\n")
		w.WriteString("  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n")
	default:
		w.WriteString("Prot LocalAddress:Port Scheduler Flags\n")
		w.WriteString("  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n")
	}
}

// largeNum is ipvsadm's print_largenum: 9 columns, scaled K/M/G/T
// unless exact.
func largeNum(w *bufio.Writer, i uint64, exact bool) {
	switch {
	case exact:
		n := len(strconv.FormatUint(i, 10))
		width := n + 1
		if n <= 8 {
			width = 9
		}
		fmt.Fprintf(w, "%*d", width, i)
	case i < 100000000:
		fmt.Fprintf(w, "%9d", i)
	case i < 1000000000:
		fmt.Fprintf(w, "%8dK", i/1000)
	case i < 100000000000:
		fmt.Fprintf(w, "%8dM", i/1000000)
	case i < 100000000000000:
		fmt.Fprintf(w, "%8dG", i/1000000000)
	default:
		fmt.Fprintf(w, "%8dT", i/1000000000000)
	}
}

func writeService(w *bufio.Writer, s *Service, opt Options) {
	var name string
	if s.FWMark != 0 {
		name = "FWM  " + strconv.FormatUint(uint64(s.FWMark), 10)
		if s.Family == ipvs.IPv6 {
			name += " IPv6"
		}
	} else {
		name = fmt.Sprintf("%-4s %s", protoName(s.Protocol), addrPort(s.Addr, s.Port))
		if s.Family != ipvs.IPv6 && len(name) > 33 {
			name = name[:33] // ipvsadm truncates at svc_name[33]
		}
	}
	switch opt.Format {
	case Stats:
		fmt.Fprintf(w, "%-33s", name)
		for _, v := range []uint64{s.Stats.Conns, s.Stats.InPkts, s.Stats.OutPkts, s.Stats.InBytes, s.Stats.OutBytes} {
			largeNum(w, v, opt.Exact)
		}
	case Rate:
		fmt.Fprintf(w, "%-33s", name)
		for _, v := range []uint64{s.Stats.CPS, s.Stats.InPPS, s.Stats.OutPPS, s.Stats.InBPS, s.Stats.OutBPS} {
			largeNum(w, v, opt.Exact)
		}
	default:
		writeServiceFlags(w, name, s)
	}
	w.WriteByte('\n')

	ds := s.Dests
	if !opt.NoSort {
		ds = slices.Clone(ds)
		slices.SortStableFunc(ds, func(a, b ipvs.DestinationEntry) int { return cmpDests(&a, &b) })
	}
	for i := range ds {
		d := &ds[i]
		dn := addrPort(d.Addr, d.Port)
		if !d.Addr.Is6() && len(dn) > 28 {
			dn = dn[:28]
		}
		switch opt.Format {
		case Stats:
			fmt.Fprintf(w, "  -> %-28s", dn)
			for _, v := range []uint64{d.Stats.Conns, d.Stats.InPkts, d.Stats.OutPkts, d.Stats.InBytes, d.Stats.OutBytes} {
				largeNum(w, v, opt.Exact)
			}
			w.WriteByte('\n')
		case Rate:
			fmt.Fprintf(w, "  -> %-28s %8d %8d %8d", dn, d.Stats.CPS, d.Stats.InPPS, d.Stats.OutPPS)
			largeNum(w, d.Stats.InBPS, opt.Exact)
			largeNum(w, d.Stats.OutBPS, opt.Exact)
			w.WriteByte('\n')
		case Thresholds:
			fmt.Fprintf(w, "  -> %-28s %-10d %-10d %-10d %-10d\n", dn, d.UpperThreshold, d.LowerThreshold, d.ActiveConns, d.InactConns)
		case PersistentConn:
			fmt.Fprintf(w, "  -> %-28s %-9d %-11d %-10d %-10d\n", dn, d.Weight, d.PersistConns, d.ActiveConns, d.InactConns)
		case TunInfo:
			fmt.Fprintf(w, "  -> %-28s %-7s %-13s %-6d %-10d %-10d\n", dn, fwdName(d.Fwd), tunInfo(&d.Destination), int32(d.Weight), d.ActiveConns, d.InactConns)
		default:
			fmt.Fprintf(w, "  -> %-28s %-7s %-6d %-10d %-10d\n", dn, fwdName(d.Fwd), int32(d.Weight), d.ActiveConns, d.InactConns)
		}
	}
}

// writeServiceFlags is the default service line: scheduler, flags,
// persistence, ops.
func writeServiceFlags(w *bufio.Writer, name string, s *Service) {
	w.WriteString(name + " " + s.Scheduler)
	if s.Flags&(ipvs.SvcSched1|ipvs.SvcSched2|ipvs.SvcSched3) != 0 {
		w.WriteString(" (" + schedFlags(s.Scheduler, s.Flags) + ")")
	}
	if s.Flags&ipvs.SvcPersistent != 0 {
		fmt.Fprintf(w, " persistent %d", s.Timeout)
		n := s.NetmaskBits()
		if s.Family == ipvs.IPv4 && n != 32 {
			m := ^uint32(0) << (32 - n)
			if n == 0 {
				m = 0
			}
			w.WriteString(" mask " + netip.AddrFrom4([4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)}).String())
		}
		if s.Family == ipvs.IPv6 && n != 128 {
			fmt.Fprintf(w, " mask %d", n)
		}
		if s.PE != "" {
			w.WriteString(" pe " + s.PE)
		}
	}
	if s.Flags&ipvs.SvcOnePacket != 0 {
		w.WriteString(" ops")
	}
}

// Timeouts writes `ipvsadm -L --timeout`.
func Timeouts(w io.Writer, t ipvs.Timeouts) error {
	_, err := fmt.Fprintf(w, "Timeout (tcp tcpfin udp): %d %d %d\n", int32(t.TCP), int32(t.TCPFin), int32(t.UDP))
	return err
}

// Daemons writes `ipvsadm -L --daemon` (master first, then backup).
func Daemons(w io.Writer, ds []ipvs.SyncDaemon) error {
	bw := bufio.NewWriter(w)
	for _, st := range []ipvs.SyncState{ipvs.SyncMaster, ipvs.SyncBackup} {
		for _, d := range ds {
			if d.State != st {
				continue
			}
			fmt.Fprintf(bw, "%s sync daemon (mcast=%s, syncid=%d", st, d.Interface, int32(d.SyncID))
			if d.MaxLen != 0 {
				fmt.Fprintf(bw, ", maxlen=%d", d.MaxLen)
			}
			if g := d.Group; g.Is4() {
				bw.WriteString(", group=" + g.String())
			} else if g.Is6() {
				bw.WriteString(", group=" + ntop6(g.As16()))
			}
			if d.Port != 0 {
				fmt.Fprintf(bw, ", port=%d", d.Port)
			}
			if d.TTL != 0 {
				fmt.Fprintf(bw, ", ttl=%d", d.TTL)
			}
			bw.WriteString(")\n")
		}
	}
	return bw.Flush()
}

// tunInfo is ipvsadm's TunnelInfo column: "n/a" unless tunnelling, then
// the type, the GUE port and the checksum mode (-c, +c, r+c).
func tunInfo(d *ipvs.Destination) string {
	if d.Fwd != ipvs.Tunnel {
		return "n/a"
	}
	csum := "-c"
	switch {
	case d.TunnelFlags&ipvs.TunRemCsum != 0:
		csum = "r+c"
	case d.TunnelFlags&ipvs.TunCsum != 0:
		csum = "+c"
	}
	switch d.TunnelType {
	case ipvs.TunIPIP:
		return "ipip"
	case ipvs.TunGUE:
		return "gue:" + strconv.Itoa(int(d.TunnelPort)) + ":" + csum
	case ipvs.TunGRE:
		return "gre:" + csum
	}
	return "unknown"
}

func protoName(p ipvs.Protocol) string {
	switch p {
	case ipvs.TCP, ipvs.UDP, ipvs.SCTP:
		return p.String()
	}
	return "?"
}

// fwdName matches ipvsadm's fwd_name; unknown methods print as glibc
// prints a NULL %s.
func fwdName(m ipvs.FwdMethod) string {
	switch m {
	case ipvs.Masq, ipvs.Local, ipvs.Tunnel, ipvs.Route:
		return m.String()
	}
	return "(null)"
}

func schedFlags(sched string, f ipvs.SvcFlags) string {
	var names []string
	switch sched {
	case "sh", "mh":
		if f&ipvs.SvcSched1 != 0 {
			names = append(names, sched+"-fallback")
		}
		if f&ipvs.SvcSched2 != 0 {
			names = append(names, sched+"-port")
		}
	default:
		for i, n := range []string{"flag-1", "flag-2", "flag-3"} {
			if f&(ipvs.SvcSched1<<i) != 0 {
				names = append(names, n)
			}
		}
	}
	return strings.Join(names, ",")
}

func addrPort(a netip.Addr, port uint16) string {
	if a.Is4() {
		return a.String() + ":" + strconv.Itoa(int(port))
	}
	return "[" + ntop6(a.As16()) + "]:" + strconv.Itoa(int(port))
}

// ntop6 formats like glibc inet_ntop(AF_INET6): longest zero run (>= 2
// groups, first on ties) becomes "::", and ::a.b.c.d / ::ffff:a.b.c.d
// are printed with a dotted quad.
func ntop6(b [16]byte) string {
	var w [8]uint16
	for i := range w {
		w[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	best, bestLen := -1, 0
	for i := 0; i < 8; {
		if w[i] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && w[j] == 0 {
			j++
		}
		if j-i > bestLen {
			best, bestLen = i, j-i
		}
		i = j
	}
	if bestLen < 2 {
		best = -1
	}
	var sb strings.Builder
	for i := 0; i < 8; i++ {
		if best >= 0 && i >= best && i < best+bestLen {
			if i == best {
				sb.WriteByte(':')
			}
			continue
		}
		if i != 0 {
			sb.WriteByte(':')
		}
		if i == 6 && best == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff)) {
			sb.WriteString(netip.AddrFrom4([4]byte(b[12:16])).String())
			break
		}
		sb.WriteString(strconv.FormatUint(uint64(w[i]), 16))
	}
	if best >= 0 && best+bestLen == 8 {
		sb.WriteByte(':')
	}
	return sb.String()
}

// word returns 32-bit word i of the kernel's nf_inet_addr union in host
// order (an IPv4 address is word 0, the rest zero).
func word(a netip.Addr, i int) uint32 {
	var b []byte
	switch {
	case !a.IsValid(): // fwmark services have no address
		return 0
	case a.Is4():
		if i != 0 {
			return 0
		}
		x := a.As4()
		b = x[:]
	default:
		x := a.As16()
		b = x[4*i : 4*i+4]
	}
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// diff is C's `int r = (u32)a - (u32)b`, wraparound included, so the
// order matches ipvsadm even where that comparison is not monotonic
// (addresses more than 2^31 apart).
func diff(a, b uint32) int { return int(int32(a - b)) }

// cmpAddr follows ipvs_cmp_services/ipvs_cmp_dests: IPv6 compares four
// words while equal, IPv4 only word 0; the family of the left side decides.
func cmpAddr(a, b netip.Addr) int {
	if a.Is6() {
		for i := range 4 {
			if r := diff(word(a, i), word(b, i)); r != 0 {
				return r
			}
		}
		return 0
	}
	return diff(word(a, 0), word(b, 0))
}

func cmpServices(a, b *ipvs.ServiceEntry) int {
	if r := diff(a.FWMark, b.FWMark); r != 0 {
		return r
	}
	if r := int(a.Family) - int(b.Family); r != 0 {
		return r
	}
	if r := int(a.Protocol) - int(b.Protocol); r != 0 {
		return r
	}
	if r := cmpAddr(a.Addr, b.Addr); r != 0 {
		return r
	}
	return int(a.Port) - int(b.Port)
}

func cmpDests(a, b *ipvs.DestinationEntry) int {
	if r := cmpAddr(a.Addr, b.Addr); r != 0 {
		return r
	}
	return int(a.Port) - int(b.Port)
}
