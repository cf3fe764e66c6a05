package configdiff

import (
	"reflect"
	"testing"
)

func TestParseKeepalived(t *testing.T) {
	out := "(Line 3) Unknown keyword 'x'\n" +
		"(k.conf: Line 3) Unknown keyword 'x'\n" +
		"(/etc/a b.conf: Line 12) (VI_1) bad (thing)\n" +
		"Non-existent interface specified in configuration\n" +
		"(k.conf: Line 3) Unknown keyword 'x'\n"
	want := []Message{
		{0, "Non-existent interface specified in configuration"},
		{3, "Unknown keyword 'x'"},
		{12, "(VI_1) bad (thing)"},
	}
	if got := ParseKeepalived(out); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

func TestParseOurs(t *testing.T) {
	out := "k.conf:5:25: error: WARNING - interface eth9 for ip address 10.0.0.1/24 doesn't exist\n" +
		"k.conf:6:19: info: logged only\n" +
		"k.conf:7: fatal: a: b\n" +
		"k.conf: warning: no line\n" +
		"something else\n"
	want := []Message{
		{0, "no line"},
		{0, "something else"},
		{5, "WARNING - interface eth9 for ip address 10.0.0.1/24 doesn't exist"},
		{7, "a: b"},
	}
	if got := ParseOurs(out); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

func TestDiff(t *testing.T) {
	ka := []Message{{0, "bare"}, {2, "two"}, {3, "three"}}
	ours := []Message{{2, "two"}, {4, "three"}, {9, "bare"}, {5, "five"}}
	missing, extra := Diff(ka, ours)
	if want := []Message{{3, "three"}}; !reflect.DeepEqual(missing, want) {
		t.Errorf("missing = %v, want %v", missing, want)
	}
	if want := []Message{{4, "three"}, {5, "five"}}; !reflect.DeepEqual(extra, want) {
		t.Errorf("extra = %v, want %v", extra, want)
	}
	// a bare message does not take a lined one's match
	missing, extra = Diff([]Message{{0, "x"}, {2, "x"}}, []Message{{2, "x"}, {7, "x"}})
	if missing != nil || extra != nil {
		t.Errorf("bare+lined: missing %v extra %v", missing, extra)
	}
}

func TestTrimWhere(t *testing.T) {
	got := TrimWhere([]Message{{2, "Unknown keyword '\\' in global_defs"}, {3, "Unknown keyword 'a b' in top level"}, {4, "Unknown keyword 'x'"}, {5, "number 'in x' bad"}})
	want := []Message{{2, "Unknown keyword '\\'"}, {3, "Unknown keyword 'a b'"}, {4, "Unknown keyword 'x'"}, {5, "number 'in x' bad"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}
