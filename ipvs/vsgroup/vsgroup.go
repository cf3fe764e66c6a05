// Package vsgroup expands keepalived virtual_server_group entries into
// concrete IPVS service keys.
//
// Accepted address forms (keepalived.conf(5)):
//
//	10.0.0.1             one address
//	10.0.0.1-10          IPv4: last octet range, decimal, inclusive
//	2001:db8::1-5        IPv6: last 16-bit group range, hexadecimal
//	10.0.0.250-10.0.1.10 full range (either family)
//	10.0.0.8/29          every address of the prefix; host bits must be zero
//
// plus fwmark entries with a family.
package vsgroup

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/gokeepalived/gokeepalived/ipvs"
)

// MaxAddresses bounds one entry's expansion (a /8 would be 16M services).
const MaxAddresses = 1 << 16

// Entry is one line of a virtual_server_group block as the parser sees it.
type Entry struct {
	Addr   string // address form; empty for a fwmark entry
	Port   uint16 // 0 when absent (the service must then be persistent)
	FWMark uint32
	Family ipvs.Family // fwmark entries: inet (default) or inet6
}

// Expand returns the services of e for protocol proto, in address order.
func Expand(e Entry, proto ipvs.Protocol) ([]ipvs.ServiceKey, error) {
	if e.Addr == "" {
		if e.FWMark == 0 {
			return nil, fmt.Errorf("vsgroup: entry has neither address nor fwmark")
		}
		f := e.Family
		if f == 0 {
			f = ipvs.IPv4
		}
		if f != ipvs.IPv4 && f != ipvs.IPv6 {
			return nil, fmt.Errorf("vsgroup: fwmark %d: bad family %d", e.FWMark, f)
		}
		return []ipvs.ServiceKey{ipvs.FWMarkKey(f, e.FWMark)}, nil
	}
	if e.FWMark != 0 {
		return nil, fmt.Errorf("vsgroup: %q: both address and fwmark", e.Addr)
	}
	first, last, err := parseRange(e.Addr)
	if err != nil {
		return nil, err
	}
	var out []ipvs.ServiceKey
	for a := first; ; a = a.Next() {
		if len(out) == MaxAddresses {
			return nil, fmt.Errorf("vsgroup: %q expands to more than %d addresses", e.Addr, MaxAddresses)
		}
		out = append(out, ipvs.NewServiceKey(proto, netip.AddrPortFrom(a, e.Port)))
		if a == last {
			return out, nil
		}
	}
}

// ExpandAll expands every entry and rejects a service listed twice.
func ExpandAll(entries []Entry, proto ipvs.Protocol) ([]ipvs.ServiceKey, error) {
	var out []ipvs.ServiceKey
	seen := map[ipvs.ServiceKey]bool{}
	for _, e := range entries {
		ks, err := Expand(e, proto)
		if err != nil {
			return nil, err
		}
		for _, k := range ks {
			if seen[k] {
				return nil, fmt.Errorf("vsgroup: %v listed twice", k)
			}
			seen[k] = true
			out = append(out, k)
		}
	}
	return out, nil
}

func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("vsgroup: bad address %q", s)
	}
	if a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("vsgroup: zoned address %q", s)
	}
	return a.Unmap(), nil
}

// parseRange returns the inclusive first and last address of s.
func parseRange(s string) (netip.Addr, netip.Addr, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Addr{}, netip.Addr{}, fmt.Errorf("vsgroup: bad prefix %q", s)
		}
		if p.Masked() != p {
			return netip.Addr{}, netip.Addr{}, fmt.Errorf("vsgroup: %q: address mask bits not empty", s)
		}
		a := p.Addr().Unmap()
		host := a.BitLen() - p.Bits()
		if host >= 31 || 1<<host > MaxAddresses {
			return netip.Addr{}, netip.Addr{}, fmt.Errorf("vsgroup: %q expands to more than %d addresses", s, MaxAddresses)
		}
		last := a
		for range (1 << host) - 1 {
			last = last.Next()
		}
		return a, last, nil
	}
	lo, hi, isRange := strings.Cut(s, "-")
	first, err := parseAddr(lo)
	if err != nil || !isRange {
		return first, first, err
	}
	var last netip.Addr
	if strings.ContainsAny(hi, ".:") {
		if last, err = parseAddr(hi); err != nil {
			return first, last, err
		}
		if last.Is4() != first.Is4() {
			return first, last, fmt.Errorf("vsgroup: %q: range mixes address families", s)
		}
	} else {
		// keepalived: decimal last octet for IPv4, hex last group for IPv6.
		base, max := 10, uint64(255)
		if first.Is6() {
			base, max = 16, 0xffff
		}
		n, err := strconv.ParseUint(hi, base, 32)
		if err != nil || n > max {
			return first, last, fmt.Errorf("vsgroup: %q: bad range end %q", s, hi)
		}
		b := first.AsSlice()
		if first.Is4() {
			b[3] = byte(n)
		} else {
			b[14], b[15] = byte(n>>8), byte(n)
		}
		last, _ = netip.AddrFromSlice(b)
	}
	if last.Less(first) {
		return first, last, fmt.Errorf("vsgroup: %q: range end before start", s)
	}
	return first, last, nil
}
