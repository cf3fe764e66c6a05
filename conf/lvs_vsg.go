package conf

import (
	"net/netip"
	"strings"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

// decodeVSGroup decodes "virtual_server_group NAME { entries }"
// (keepalived's vsg_handler + alloc_vsg_entry).
func decodeVSGroup(d *decoder, s *syntax.Stmt) {
	name, ok := d.arg(s, 1)
	if !ok {
		return
	}
	g := &VSGroup{Pos: s.Pos(), Name: name}
	for _, c := range d.valueStmts(s) {
		d.vsgEntry(g, c)
	}
	switch {
	case len(g.Ranges) == 0 && len(g.FWMarks) == 0:
		d.errorf(s, 1, "virtual server group %s has no entries - removing", name)
		return
	case g.HasIPv4 && g.HasIPv6 && g.FWMarkNoFamily:
		d.errorf(s, 1, "virtual server group %s cannot have IPv4, IPv6 and fwmark without family - removing", name)
		return
	}
	d.cfg.VSGroups = append(d.cfg.VSGroups, g)
}

// vsgEntry decodes one line of a virtual_server_group.
func (d *decoder) vsgEntry(g *VSGroup, s *syntax.Stmt) {
	w := s.Words
	addrStr := w[0].Text
	if addrStr == "fwmark" {
		mark, ok := d.readUnsigned(s, 1, 0, kaUintMax)
		if !ok {
			if len(w) > 1 {
				d.errorf(s, 1, "(%s): fwmark '%s' must be in [0, %d] - ignoring", g.Name, w[1].Text, uint64(kaUintMax))
			}
			return
		}
		e := VSGFWMark{Pos: s.Pos(), Mark: uint32(mark)}
		if len(w) > 2 {
			switch w[2].Text {
			case "inet":
				e.Family = LVSInet
				g.HasIPv4 = true
			case "inet6":
				e.Family = LVSInet6
				g.HasIPv6 = true
			default:
				d.errorf(s, 2, "(%s): fwmark '%d' family %s unknown - ignoring", g.Name, mark, w[2].Text)
				return
			}
		} else {
			g.FWMarkNoFamily = true
		}
		g.FWMarks = append(g.FWMarks, e)
		return
	}

	var portStr string
	havePort := false
	if len(w) >= 2 {
		portStr, havePort = kaPortStr(w[1].Text, true)
	}
	first, port, ok := d.kaSockaddr(addrStr, portStr, havePort, s.WordPos(1))
	if !ok {
		sep1, sep2 := "", ""
		if havePort {
			sep1, sep2 = "/port", "/"
		}
		d.errorf(s, 0, "Invalid virtual server group IP address %s %s%s%s - skipping", addrStr, sep1, sep2, portStr)
		return
	}
	e := VSGRange{Pos: s.Pos(), First: first, Last: first, Port: port}

	if i := strings.IndexByte(addrStr, '/'); i >= 0 {
		mask, rest, over := cStrtoul(addrStr[i+1:], 10)
		bits := first.BitLen()
		if rest != "" || over || mask == 0 || mask > uint64(bits) {
			d.errorf(s, 0, "Invalid netmask - %s - skipping", addrStr)
			return
		}
		pfx := netip.PrefixFrom(first, int(mask))
		if pfx.Masked().Addr() != first {
			d.errorf(s, 0, "Address mask bits not empty - %s - skipping", addrStr)
			return
		}
		e.Last = lastOfPrefix(pfx)
	} else if i := strings.IndexByte(addrStr, '-'); i >= 0 &&
		((first.Is4() && strings.Contains(addrStr[i+1:], ".")) || (first.Is6() && strings.Contains(addrStr[i+1:], ":"))) {
		last, _, ok := d.kaSockaddr(addrStr[i+1:], portStr, havePort, s.WordPos(1))
		if !ok {
			d.errorf(s, 0, "Invalid range end %s - skipping", addrStr)
			return
		}
		if last.Is4() != first.Is4() {
			d.errorf(s, 0, "Range address families do not match %s - skipping", addrStr)
			return
		}
		if last.Less(first) {
			d.errorf(s, 0, "Address range end is less than address range start - %s - skipping", addrStr)
			return
		}
		e.Last = last
	} else if i >= 0 {
		// IP-LAST: the last octet (IPv4, decimal) or the last 16-bit
		// group (IPv6, hex) of the range end.
		base := 10
		limit := uint64(255)
		if strings.Contains(addrStr, ":") {
			base, limit = 16, 0xffff
		}
		end, rest, over := cStrtoul(addrStr[i+1:], base)
		switch {
		case rest != "":
			d.add(s.Pos(), syntax.InvalidNumber, "Virtual server group range '%s' has extra characters at end '%s'", addrStr, rest)
			return
		case over || end > limit:
			d.add(s.Pos(), syntax.InvalidNumber, "Virtual server group range '%s' end '%s' too large", addrStr, addrStr[i+1:])
			return
		}
		b := first.AsSlice()
		var start uint64
		if first.Is4() {
			start = uint64(b[3])
			b[3] = byte(end)
		} else {
			start = uint64(b[14])<<8 | uint64(b[15])
			b[14], b[15] = byte(end>>8), byte(end)
		}
		if start >= end {
			d.errorf(s, 0, "Address range end is not greater than address range start - %s - skipping", addrStr)
			return
		}
		e.Last, _ = netip.AddrFromSlice(b)
	}

	g.Ranges = append(g.Ranges, e)
	if first.Is4() {
		g.HasIPv4 = true
	} else {
		g.HasIPv6 = true
	}
}

// lastOfPrefix is the highest address of a prefix.
func lastOfPrefix(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	bits := p.Bits()
	for i := range b {
		for j := 0; j < 8; j++ {
			if i*8+j >= bits {
				b[i] |= 0x80 >> j
			}
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// Size is the number of addresses of the range (saturating at 2^64-1).
func (r VSGRange) Size() uint64 {
	a, b := r.First.As16(), r.Last.As16()
	var hiA, loA, hiB, loB uint64
	for i := 0; i < 8; i++ {
		hiA, hiB = hiA<<8|uint64(a[i]), hiB<<8|uint64(b[i])
		loA, loB = loA<<8|uint64(a[i+8]), loB<<8|uint64(b[i+8])
	}
	if hiA != hiB {
		return ^uint64(0)
	}
	if loB-loA == ^uint64(0) {
		return ^uint64(0)
	}
	return loB - loA + 1
}
