package configtestout

import (
	"reflect"
	"testing"
)

func TestParseKeepalived(t *testing.T) {
	out := "(Line 3) Unknown keyword 'x'\n" +
		"(k.conf: Line 3) Unknown keyword 'x'\n" +
		"(/etc/a b.conf: Line 12) (VI_1) bad (thing)\n" +
		"Non-existent interface specified in configuration \r\n" +
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
		"/x/a:b.conf:8:1: notice: colon in the file name\n" +
		"-: security: no file\n" +
		"k.conf:9:1: error: trailing blanks  \r\n" +
		"something else\n"
	want := []Message{
		{0, "no file"},
		{0, "no line"},
		{0, "something else"},
		{5, "WARNING - interface eth9 for ip address 10.0.0.1/24 doesn't exist"},
		{7, "a: b"},
		{8, "colon in the file name"},
		{9, "trailing blanks"},
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
	// one for one: a bare message covers one of ours, not every line with its text
	missing, extra = Diff([]Message{{0, "x"}}, []Message{{2, "x"}, {7, "x"}})
	if want := []Message{{7, "x"}}; missing != nil || !reflect.DeepEqual(extra, want) {
		t.Errorf("bare twice: missing %v extra %v", missing, extra)
	}
	missing, extra = Diff([]Message{{0, "x"}, {2, "x"}}, []Message{{2, "x"}})
	if want := []Message{{0, "x"}}; !reflect.DeepEqual(missing, want) || extra != nil {
		t.Errorf("bare after lined: missing %v extra %v", missing, extra)
	}
}

// Both outputs of one config, as the two suites see them.
func TestParseAndDiff(t *testing.T) {
	ka := ParseKeepalived("(Line 2) Unknown keyword 'foo'\n(/x/a.conf: Line 2) Unknown keyword 'foo'\n" +
		"Virtual server [1.2.3.4]:tcp:80: no real servers\n(a.conf: Line 9) number '300' outside range [1, 255]\n")
	want := []Message{{0, "Virtual server [1.2.3.4]:tcp:80: no real servers"}, {2, "Unknown keyword 'foo'"}, {9, "number '300' outside range [1, 255]"}}
	if !reflect.DeepEqual(ka, want) {
		t.Fatalf("keepalived parsed as %v", ka)
	}
	ours := ParseOurs("/x/a.conf:2:3: warning: Unknown keyword 'foo'\n/x/a.conf:15:1: error: Virtual server [1.2.3.4]:tcp:80: no real servers\n" +
		"/x/a.conf:9:12: error: number '300' outside range [1, 255]\n")
	if m, e := Diff(ka, ours); len(m)+len(e) != 0 {
		t.Errorf("equal sets compare as missing %v, extra %v", m, e)
	}
	ours = ParseOurs("/x/a.conf:3:3: warning: Unknown keyword 'foo'\n-: error: Virtual server [1.2.3.4]:tcp:80: no real servers\n")
	m, e := Diff(ka, ours)
	if !reflect.DeepEqual(m, []Message{{2, "Unknown keyword 'foo'"}, {9, "number '300' outside range [1, 255]"}}) ||
		!reflect.DeepEqual(e, []Message{{3, "Unknown keyword 'foo'"}}) {
		t.Errorf("missing %v, extra %v", m, e)
	}
}
