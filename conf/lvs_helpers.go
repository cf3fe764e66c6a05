package conf

import (
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

// Number and address readers with the exact messages of keepalived's
// read_unsigned_func / read_int_func / read_decimal_unsigned_long_func /
// inet_stosockaddr (lib/parser.c, lib/utils.c), in --config-test mode:
// any error makes the value unusable.

const (
	kaUintMax  = math.MaxUint32
	kaIntMax   = math.MaxInt32
	kaULongMax = math.MaxUint64
	// keepalived's TIMER_MAXIMUM (ULONG_MAX - 1 µs), used when a timer
	// keyword has no upper bound.
	kaTimerMax = kaULongMax - 1
)

// cStrtoul mimics strtoul(s, &end, base) for base 10 or 16: leading white
// space, an optional sign, digits. It returns the value, the unparsed
// rest, and whether it overflowed 64 bits.
func cStrtoul(s string, base int) (uint64, string, bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if base == 16 && i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && i+2 < len(s) && lvsHexDigit(s[i+2]) >= 0 {
		i += 2
	}
	start := i
	var v uint64
	over := false
	if base == 10 {
		// up to 19 digits cannot overflow: no check per digit
		for i < len(s) && i-start < 19 && s[i] >= '0' && s[i] <= '9' {
			v = v*10 + uint64(s[i]-'0')
			i++
		}
	}
	for i < len(s) {
		var dv int
		if base == 16 {
			dv = lvsHexDigit(s[i])
		} else if s[i] >= '0' && s[i] <= '9' {
			dv = int(s[i] - '0')
		} else {
			dv = -1
		}
		if dv < 0 {
			break
		}
		if v > (math.MaxUint64-uint64(dv))/uint64(base) {
			over = true
		}
		v = v*uint64(base) + uint64(dv)
		i++
	}
	if i == start {
		// no digits: nothing is consumed
		return 0, s, false
	}
	if over {
		v = math.MaxUint64
	} else if neg {
		v = -v
	}
	return v, s[i:], over
}

func lvsHexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// trimCSpace is strings.TrimLeft(s, " \t\n\v\f\r") (C's isspace) without
// building a cutset on every number.
func trimCSpace(s string) string {
	for s != "" && (s[0] == ' ' || s[0] >= '\t' && s[0] <= '\r') {
		s = s[1:]
	}
	return s
}

// readUnsignedStr is read_unsigned_func(str, 10, lo, hi) reporting at pos.
func (d *decoder) readUnsignedStr(pos Pos, str string, lo, hi uint64) (uint64, bool) {
	t := trimCSpace(str)
	v, rest, over := cStrtoul(t, 10)
	switch {
	case strings.HasPrefix(t, "-"):
		d.add(pos, syntax.InvalidNumber, "negative number '%s'", str)
	case rest != "":
		d.add(pos, syntax.InvalidNumber, "invalid number '%s'", str)
	case over || v > kaUintMax:
		d.add(pos, syntax.InvalidNumber, "number '%s' outside unsigned integer range", str)
	case v < lo || v > hi:
		d.add(pos, syntax.InvalidNumber, "number '%s' outside range [%d, %d]", str, lo, hi)
	default:
		return v, true
	}
	return 0, false
}

// readIntStr is read_int_func(str, 10, lo, hi).
func (d *decoder) readIntStr(pos Pos, str string, lo, hi int64) (int64, bool) {
	t := trimCSpace(str)
	u, neg := t, false
	if u != "" && (u[0] == '+' || u[0] == '-') {
		neg, u = u[0] == '-', u[1:]
	}
	var iv int64
	bad, over := false, false
	if u == "" || u[0] < '0' || u[0] > '9' {
		bad = t != ""
	} else {
		v, rest, o := cStrtoul(u, 10)
		bad, over = rest != "", o || v > 1<<31
		iv = int64(v & 0xffffffff)
		if neg {
			iv = -iv
		}
	}
	switch {
	case bad:
		d.add(pos, syntax.InvalidNumber, "invalid number '%s'", str)
	case over || iv < math.MinInt32 || iv > math.MaxInt32:
		d.add(pos, syntax.InvalidNumber, "number '%s' outside integer range", str)
	case iv < lo || iv > hi:
		d.add(pos, syntax.InvalidNumber, "number '%s' outside range [%d, %d]", str, lo, hi)
	default:
		return iv, true
	}
	return 0, false
}

// usDuration converts µs to a duration, saturating.
func usDuration(us uint64) time.Duration {
	if us > math.MaxInt64/1000 {
		return math.MaxInt64
	}
	return time.Duration(us) * time.Microsecond
}

// kaParseIP is inet_pton as inet_stosockaddr uses it: the family comes
// from the presence of ':', anything from the first '-' or '/' is
// dropped, zones are not accepted.
func kaParseIP(str string) (netip.Addr, bool) {
	for i := 0; i < len(str); i++ {
		if str[i] == '-' || str[i] == '/' {
			str = str[:i]
			break
		}
	}
	if a, ok := plainIPv4(str); ok {
		return a, true
	}
	a, err := netip.ParseAddr(str)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	if strings.Contains(str, ":") != a.Is6() {
		return netip.Addr{}, false
	}
	return a, true
}

// plainIPv4 parses the dotted quads that netip.ParseAddr accepts as
// IPv4 (four fields of 1-3 digits, at most 255, no leading zero) faster;
// ok is false for anything else, which ParseAddr then decides on.
func plainIPv4(s string) (netip.Addr, bool) {
	var b [4]byte
	f, n, v := 0, 0, 0 // field, its digits, its value
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n == 1 && v == 0 { // leading zero
				return netip.Addr{}, false
			}
			v = v*10 + int(c-'0')
			if n++; n > 3 || v > 255 {
				return netip.Addr{}, false
			}
		case c == '.' && n > 0 && f < 3:
			b[f], f, n, v = byte(v), f+1, 0, 0
		default:
			return netip.Addr{}, false
		}
	}
	if f != 3 || n == 0 {
		return netip.Addr{}, false
	}
	b[3] = byte(v)
	return netip.AddrFrom4(b), true
}

// kaPortStr is keepalived's "don't pass a port of 0": a port made only of
// zeros (or empty) counts as absent.
func kaPortStr(p string, have bool) (string, bool) {
	if !have || strings.Trim(p, "0") == "" {
		return "", false
	}
	return p, true
}

// kaSockaddr is inet_stosockaddr(ip, port): port (if any) must be in
// [1, 65535] and is reported through kaUnsigned at portPos.
func (d *decoder) kaSockaddr(ip, port string, havePort bool, portPos Pos) (netip.Addr, uint16, bool) {
	var p uint64
	if havePort {
		var ok bool
		if p, ok = d.readUnsignedStr(portPos, port, 1, 65535); !ok {
			return netip.Addr{}, 0, false
		}
	}
	a, ok := kaParseIP(ip)
	if !ok {
		return netip.Addr{}, 0, false
	}
	return a, uint16(p), true
}

// kaTrio formats an address the way inet_sockaddrtotrio does:
// "[IP]:proto:port".
func kaTrio(a netip.Addr, p LVSProtocol, port uint16) string {
	ps := "none"
	switch p {
	case LVSTCP:
		ps = "tcp"
	case LVSUDP:
		ps = "udp"
	case LVSSCTP:
		ps = "sctp"
	}
	return fmt.Sprintf("[%s]:%s:%d", a, ps, port)
}

// fmtVS is keepalived's FMT_VS.
func fmtVS(vs *VirtualServer) string {
	switch {
	case vs.Group != "":
		return fmt.Sprintf("[%s]:%d", vs.Group, vs.GroupIndex)
	case vs.FWMark != 0:
		return fmt.Sprintf("FWM %d", vs.FWMark)
	}
	return kaTrio(vs.Addr, vs.Protocol, vs.Port)
}

// fmtRS is keepalived's FMT_RS.
func fmtRS(rs *RealServer, vs *VirtualServer) string {
	return kaTrio(rs.Addr, vs.Protocol, rs.Port)
}

// kaNullStr is how glibc prints a NULL %s.
func kaNullStr(s string) string {
	if s == "" {
		return "(null)"
	}
	return s
}

func lvsPtr[T any](v T) *T { return &v }
