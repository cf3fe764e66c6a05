package differential

import (
	"reflect"
	"testing"

	"github.com/gokeepalived/gokeepalived/internal/configtestout"
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

// Parsing and comparing are configtestout's (tested there); a deliberate
// message of ours is left out of the extras, and only it.
func TestDifferentialCompareDeliberate(t *testing.T) {
	ka := configtestout.ParseKeepalived("There are 1 missing '}'s\n")
	ours := configtestout.ParseOurs("a.conf:9:1: error: There are 1 missing '}'s\na.conf:3:14: error: block 'vrrp_instance' opened here is never closed\na.conf:4:1: error: other\n")
	m, e := compareMsgs(ka, ours)
	if len(m) != 0 || !reflect.DeepEqual(e, []msg{{Line: 4, Text: "other"}}) {
		t.Errorf("missing %v, extra %v", m, e)
	}
}
