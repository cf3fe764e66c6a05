package conf

import (
	"net/netip"
	"strings"
	"time"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

// vrrpState is decoding state of the VRRP side that keepalived keeps in
// static variables (rule priority counters, the "non-existent interface"
// flag). It hangs off GlobalDefs so that it lives as long as one Load.
type vrrpState struct {
	missingIf    bool
	missingIfPos Pos
	createdIf    map[string]bool
	rulePrio4    uint32
	rulePrio6    uint32
}

func (d *decoder) vst() *vrrpState {
	if d.cfg.Global.st == nil {
		d.cfg.Global.st = &vrrpState{rulePrio4: ruleStartPriority, rulePrio6: ruleStartPriority, createdIf: map[string]bool{}}
	}
	return d.cfg.Global.st
}

// ruleStartPriority is keepalived's RULE_START_PRIORITY: rules without a
// preference are numbered downwards from it.
const ruleStartPriority = 16384

// timerHz is keepalived's TIMER_HZ (µs) and its number of digits.
const (
	timerHz       = 1000000
	timerHzDigits = 6
)

// ifExists is keepalived's if_get_by_ifname(name, IF_CREATE_IF_DYNAMIC):
// false when the interface does not exist and dynamic_interfaces is not
// set, which also makes the VRRP side refuse to run once parsed.
func (d *decoder) ifExists(name string, pos Pos) bool {
	if d.opt.InterfaceExists == nil || d.opt.InterfaceExists(name) {
		return true
	}
	st := d.vst()
	if d.cfg.Global.DynamicInterfaces {
		if !st.createdIf[name] {
			st.createdIf[name] = true
			d.add(pos, syntax.Info, "Configuration specifies interface %s which doesn't currently exist - will use if created", name)
		}
		return true
	}
	if !st.missingIf {
		st.missingIf = true
		st.missingIfPos = pos
	}
	return false
}

// ifKnown is if_get_by_ifname(name, global dynamic_interfaces): used by
// linkbeat_interfaces and interface_up_down_delays, which do not set the
// non-existent interface flag.
func (d *decoder) ifKnown(name string) bool {
	return d.opt.InterfaceExists == nil || d.opt.InterfaceExists(name) || d.cfg.Global.DynamicInterfaces
}

// gerr reports a CONFIG_GENERAL_ERROR at pos.
func (d *decoder) gerr(pos Pos, format string, args ...any) {
	d.add(pos, syntax.GeneralError, format, args...)
}

// info logs something keepalived only logs (LOG_INFO): it does not change
// the verdict.
func (d *decoder) vlogInfo(pos Pos, format string, args ...any) {
	d.add(pos, syntax.Info, format, args...)
}

// word returns word i of s or "" (keepalived's strvec_slot on a short
// vector is a crash we do not copy).
func word(s *syntax.Stmt, i int) string {
	if i < len(s.Words) {
		return s.Words[i].Text
	}
	return ""
}

// readUnsigned is read_unsigned_strvec: word i of s as an unsigned number
// in [lo, hi]. A missing word is a missing parameter.
func (d *decoder) readUnsigned(s *syntax.Stmt, i int, lo, hi uint64) (uint64, bool) {
	str, ok := d.arg(s, i)
	if !ok {
		return 0, false
	}
	return d.readUnsignedStr(s.WordPos(i), str, lo, hi)
}

// readInt is read_int_strvec.
func (d *decoder) readInt(s *syntax.Stmt, i int, lo, hi int64) (int64, bool) {
	str, ok := d.arg(s, i)
	if !ok {
		return 0, false
	}
	return d.readIntStr(s.WordPos(i), str, lo, hi)
}

// readDecimalStr is read_decimal_unsigned: a decimal with at most shift
// decimal places, returned as value×10^shift. Too many decimals is
// reported and rounded, as keepalived does.
//
// With ignoreErr (keepalived's ignore_error), a number with trailing
// junk is reported, and its leading digits are still taken if in range.
func (d *decoder) readDecimalStr(pos Pos, str string, lo, hi uint64, shift int, ignoreErr bool) (uint64, bool) {
	if strings.HasPrefix(str, "-") {
		d.add(pos, syntax.InvalidNumber, "negative number '%s'", str)
		return 0, false
	}
	whole, frac, _ := strings.Cut(str, ".")
	roundUp := false
	if len(frac) > shift {
		d.add(pos, syntax.InvalidNumber, "number '%s' has too many decimal places", str)
		roundUp = frac[shift] >= '5'
		frac = frac[:shift]
	}
	v, plain := plainDecimal(whole, frac, shift)
	rest, over := "", false
	if !plain {
		digits := whole + frac + strings.Repeat("0", shift-len(frac))
		// strtoull semantics, as keepalived: a leading '+' is fine.
		v, rest, over = cStrtoul(digits, 10)
	}
	if rest != "" {
		d.add(pos, syntax.InvalidNumber, "invalid number '%s'", str)
		if roundUp {
			v++
		}
		if ignoreErr && !over && v >= lo && v <= hi {
			return v, true
		}
		return 0, false
	}
	if over {
		d.add(pos, syntax.InvalidNumber, "number '%s' outside unsigned decimal range", str)
		return 0, false
	}
	if roundUp {
		v++
	}
	if v < lo || v > hi {
		p := uint64(1)
		for range shift {
			p *= 10
		}
		if shift == 0 { // C's "%.0lu" of 0 prints nothing
			d.add(pos, syntax.InvalidNumber, "number '%s' outside range [%d., %d.]", str, lo, hi)
		} else {
			d.add(pos, syntax.InvalidNumber, "number '%s' outside range [%d.%0*d, %d.%0*d]", str, lo/p, shift, lo%p, hi/p, shift, hi%p)
		}
		return 0, false
	}
	return v, true
}

// plainDecimal is whole.frac scaled by 10^shift when both are plain
// digits and cannot overflow (the usual case), sparing readDecimalStr
// the string it builds for cStrtoul.
func plainDecimal(whole, frac string, shift int) (uint64, bool) {
	if len(whole)+len(frac) == 0 || len(whole)+shift > 19 {
		return 0, false
	}
	var v uint64
	for _, part := range [2]string{whole, frac} {
		for i := 0; i < len(part); i++ {
			c := part[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + uint64(c-'0')
		}
	}
	for range shift - len(frac) {
		v *= 10
	}
	return v, true
}

// readDecimal is read_decimal_unsigned_strvec.
func (d *decoder) readDecimal(s *syntax.Stmt, i int, lo, hi uint64, shift int, ignoreErr bool) (uint64, bool) {
	str, ok := d.arg(s, i)
	if !ok {
		return 0, false
	}
	return d.readDecimalStr(s.WordPos(i), str, lo, hi, shift, ignoreErr)
}

// readTimerStr is read_timer(): decimal seconds with up to 6 decimals,
// bounds in µs (hi 0 = TIMER_MAXIMUM).
func (d *decoder) readTimerStr(pos Pos, str string, lo, hi uint64) (time.Duration, bool) {
	if hi == 0 {
		hi = kaTimerMax
	}
	v, ok := d.readDecimalStr(pos, str, lo, hi, timerHzDigits, true) // read_timer always ignores errors
	return usDuration(v), ok
}

// readTimer is read_timer on word i of s.
func (d *decoder) readTimer(s *syntax.Stmt, i int, lo, hi uint64) (time.Duration, bool) {
	str, ok := d.arg(s, i)
	if !ok {
		return 0, false
	}
	return d.readTimerStr(s.WordPos(i), str, lo, hi)
}

// boolArg is keepalived's "optional check_true_false": absent means
// true; an invalid value reports msg (formatted with the word) and
// returns ok=false.
func (d *decoder) boolArg(s *syntax.Stmt, i int, msg string) (bool, bool) {
	str, ok := optArg(s, i)
	if !ok {
		return true, true
	}
	v, ok := parseBool(str)
	if !ok {
		if strings.Contains(msg, "%s") {
			d.errorf(s, i, msg, str)
		} else {
			d.errorf(s, i, "%s", msg)
		}
		return false, false
	}
	return v, true
}

// parseAddrPrefix is keepalived's parse_ipaddress: IP[/LEN]; the family
// comes from the presence of ':'. It reports like keepalived and returns
// ok=false for an invalid address.
func (d *decoder) parseAddrPrefix(pos Pos, str string, allowMask bool) (netip.Prefix, bool) {
	bits := 32
	if strings.Contains(str, ":") {
		bits = 128
	}
	addrStr := str
	plen := bits
	if allowMask {
		if a, l, ok := strings.Cut(str, "/"); ok {
			addrStr = a
			if v, ok := d.readUnsignedStr(pos, l, 0, uint64(bits)); ok {
				plen = int(v)
			} else {
				d.gerr(pos, "Invalid address prefix len %s for address %s - using %d", l, str, bits)
			}
		}
	}
	a, err := netip.ParseAddr(addrStr)
	if err != nil || a.Zone() != "" || (bits == 32) != a.Is4() {
		d.gerr(pos, "VRRP parsed invalid IP %s. skipping IP...", str)
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, plen), true
}

// parseSockAddr is inet_stosockaddr without a port: a plain IP address.
func parseSockAddr(str string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(str)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// family returns 4 or 6.
func family(a netip.Addr) int {
	if a.Is4() {
		return 4
	}
	return 6
}

// valueWords returns the words of a value block line as strings.
func valueWords(ws []syntax.Word) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Text
	}
	return out
}

// valueStmts returns the lines of a value block (virtual_ipaddress,
// unicast_peer, track_*, ...) as keepalived reads them: a nested block
// is no block there, its '{' and contents are lines of values, and its
// '}' ends the value block. What followed it is left in d.carry for
// the enclosing block (see closeMark), the value block's own '}' then
// closing that one.
func (d *decoder) valueStmts(s *syntax.Stmt) []*syntax.Stmt {
	d.values = true
	lines, rest, closed := flattenValues(s.Block, make([]*syntax.Stmt, 0, len(s.Block)))
	if closed {
		d.carry = rest
	}
	return lines
}

// flattenValues appends the lines of list to out up to the first '}';
// closed says whether there was one, rest is what follows it.
func flattenValues(list, out []*syntax.Stmt) (lines, rest []*syntax.Stmt, closed bool) {
	for i, c := range list {
		if !c.HasBlock {
			out = append(out, c)
			continue
		}
		brace := c
		if c.Keyword() != "{" {
			head := *c
			head.Block, head.HasBlock = nil, false
			p := c.WordPos(len(c.Words))
			brace = &syntax.Stmt{File: p.File, Line: int32(p.Line), Words: []syntax.Word{{Text: "{", Col: int32(p.Col)}}}
			out = append(out, &head)
		} else {
			b := *c
			b.Block, b.HasBlock = nil, false
			brace = &b
		}
		out = append(out, brace)
		out, rest, closed = flattenValues(c.Block, out)
		if !closed { // c's own '}' ends the value block
			return out, list[i+1:], true
		}
		return out, then(rest, c, list[i+1:]), true
	}
	return out, nil, false
}

// flagKw is a keyword that just sets a flag.
func flagKw(set func(d *decoder)) kw {
	return kw{fn: func(d *decoder, s *syntax.Stmt) { set(d) }}
}
