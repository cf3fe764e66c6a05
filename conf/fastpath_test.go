package conf

import (
	"math"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestKeywordIndexes checks that each compiled index finds exactly its
// table's keywords, and that the hot ones got a perfect hash.
func TestKeywordIndexes(t *testing.T) {
	indexes := map[string]*index{
		"top level": topLevelIndex, "virtual_server": vsIndex, "real_server": rsIndex,
		"simple": simpleCheckIndex, "udp": udpCheckIndex, "dns": dnsCheckIndex,
		"http": httpCheckIndex, "url": urlIndex,
	}
	// every keyword of every table, to probe each index with the others'
	all := map[string]bool{}
	for _, x := range indexes {
		for k := range *x.src {
			all[k] = true
		}
	}
	for name, x := range indexes {
		src := *x.src
		if len(src) == 0 {
			t.Fatalf("%s: empty table", name)
		}
		for k, want := range src {
			got, ok := x.lookup(k)
			if !ok || got.block != want.block || reflect.ValueOf(got.fn).Pointer() != reflect.ValueOf(want.fn).Pointer() {
				t.Errorf("%s: lookup(%q) = %v, %v", name, k, got.block, ok)
			}
			for _, probe := range []string{k + "x", k[:len(k)-1], "x" + k[1:], k[:len(k)-1] + "#"} {
				if _, in := src[probe]; in {
					continue
				}
				if _, ok := x.lookup(probe); ok {
					t.Errorf("%s: lookup(%q) found a keyword the table does not have", name, probe)
				}
			}
		}
		for k := range all {
			if _, in := src[k]; !in {
				if _, ok := x.lookup(k); ok {
					t.Errorf("%s: lookup(%q) found a keyword the table does not have", name, k)
				}
			}
		}
		if x.slow != nil {
			t.Errorf("%s: no perfect hash found for %d keywords", name, len(src))
		}
	}
}

// TestKeywordIndexFallback checks the map fallback when the hashed
// characters cannot tell keywords apart.
func TestKeywordIndexFallback(t *testing.T) {
	tb := table{}
	// differing only at a character the hash does not read
	for _, k := range []string{"ab1_cde", "ab2_cde", "ab3_cde"} {
		tb[k] = kw{block: k == "ab2_cde"}
	}
	x := indexOf(&tb)
	for k, want := range tb {
		if got, ok := x.lookup(k); !ok || got.block != want.block {
			t.Errorf("lookup(%q) = %v, %v", k, got.block, ok)
		}
	}
	if _, ok := x.lookup("ab4_cde"); ok {
		t.Error("lookup found a keyword the table does not have")
	}
	if x.slow == nil {
		t.Error("colliding keywords got a perfect hash")
	}
}

// TestPlainIPv4 checks the IPv4 fast path against netip.ParseAddr: every
// address it accepts must be ParseAddr's, and it must accept the plain
// dotted quads.
func TestPlainIPv4(t *testing.T) {
	for _, s := range []string{"1.2.3.4", "0.0.0.0", "255.255.255.255", "10.0.0.1", "172.16.0.255", "192.168.100.10"} {
		a, ok := plainIPv4(s)
		if !ok || a != netip.MustParseAddr(s) {
			t.Errorf("plainIPv4(%q) = %v, %v", s, a, ok)
		}
	}
	for _, s := range []string{"", ".", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.04", "256.1.1.1", "1.2.3.1000",
		"1..2.3", "1.2.3.", ".1.2.3", "1.2.3.4 ", "::1", "::ffff:1.2.3.4", "1.2.3.4%eth0", "a.b.c.d", "1.2.3.-4", "00.1.2.3"} {
		if a, ok := plainIPv4(s); ok {
			t.Errorf("plainIPv4(%q) accepted %v", s, a)
		}
	}
}

func FuzzPlainIPv4(f *testing.F) {
	f.Add("1.2.3.4")
	f.Add("01.2.3.4")
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := plainIPv4(s)
		if !ok {
			return
		}
		b, err := netip.ParseAddr(s)
		if err != nil || a != b {
			t.Fatalf("plainIPv4(%q) = %v, ParseAddr gives %v, %v", s, a, b, err)
		}
	})
}

// refStrtoul is strtoul's contract written with strconv, independently of
// cStrtoul's loops: the reference its fast paths must agree with.
func refStrtoul(s string, base int) (uint64, string, bool) {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg, t = t[0] == '-', t[1:]
	}
	digits := "0123456789"
	if base == 16 {
		digits = "0123456789abcdefABCDEF"
		if len(t) > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') && strings.IndexByte(digits, t[2]) >= 0 {
			t = t[2:]
		}
	}
	n := 0
	for n < len(t) && strings.IndexByte(digits, t[n]) >= 0 {
		n++
	}
	if n == 0 {
		return 0, s, false
	}
	v, err := strconv.ParseUint(t[:n], base, 64)
	if err != nil { // only a range error is possible here
		return math.MaxUint64, t[n:], true
	}
	if neg {
		v = -v
	}
	return v, t[n:], false
}

func FuzzCStrtoul(f *testing.F) {
	for _, s := range []string{"0", "42", " \t+17x", "-5", "18446744073709551615", "18446744073709551616",
		"9999999999999999999", "99999999999999999999", "0x1f", "ffffffffffffffff1", "", "x", "1.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, base := range []int{10, 16} {
			v, rest, over := cStrtoul(s, base)
			rv, rrest, rover := refStrtoul(s, base)
			if v != rv || rest != rrest || over != rover {
				t.Fatalf("cStrtoul(%q, %d) = %d %q %v, want %d %q %v", s, base, v, rest, over, rv, rrest, rover)
			}
		}
	})
}
