package conf

import (
	"reflect"
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
