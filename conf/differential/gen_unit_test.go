package differential

import (
	"reflect"
	"testing"
)

// The same seed must give the same configs, another seed other ones.
func TestDifferentialGeneratorDeterministic(t *testing.T) {
	_, samples, rows := inputs(t)
	same, differ := 0, 0
	for i := 0; i < 400; i++ {
		a, b := generate(7, i, samples, rows), generate(7, i, samples, rows)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("case %d differs between two runs with seed 7:\n%v\n%v", i, a.mutations, b.mutations)
		}
		if i >= len(samples) {
			if reflect.DeepEqual(a.main, generate(8, i, samples, rows).main) {
				same++
			} else {
				differ++
			}
		}
	}
	if differ < same {
		t.Errorf("seeds 7 and 8 gave %d equal and %d different configs", same, differ)
	}
}

func TestDifferentialParseAndCompare(t *testing.T) {
	ka := parseKeepalived("(Line 2) Unknown keyword 'foo'\n(/x/a.conf: Line 2) Unknown keyword 'foo'\n" +
		"Virtual server [1.2.3.4]:tcp:80: no real servers\n(a.conf: Line 9) number '300' outside range [1, 255]\n")
	want := []msg{{0, "Virtual server [1.2.3.4]:tcp:80: no real servers"}, {2, "Unknown keyword 'foo'"}, {9, "number '300' outside range [1, 255]"}}
	if !reflect.DeepEqual(ka, want) {
		t.Fatalf("keepalived parsed as %v", ka)
	}
	ours := parseOurs("/x/a.conf:2:3: warning: Unknown keyword 'foo'\n/x/a.conf:15:1: error: Virtual server [1.2.3.4]:tcp:80: no real servers\n" +
		"/x/a.conf:9:12: error: number '300' outside range [1, 255]\n")
	if m, e := compareMsgs(ka, ours); len(m)+len(e) != 0 {
		t.Errorf("equal sets compare as missing %v, extra %v", m, e)
	}
	ours = parseOurs("/x/a.conf:3:3: warning: Unknown keyword 'foo'\n-: error: Virtual server [1.2.3.4]:tcp:80: no real servers\n")
	m, e := compareMsgs(ka, ours)
	if !reflect.DeepEqual(m, []msg{{2, "Unknown keyword 'foo'"}, {9, "number '300' outside range [1, 255]"}}) ||
		!reflect.DeepEqual(e, []msg{{3, "Unknown keyword 'foo'"}}) {
		t.Errorf("missing %v, extra %v", m, e)
	}
}
