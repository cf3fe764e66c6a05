package conf

import (
	"strings"
	"testing"
)

// TestBadInput: every broken config gives a positioned message naming the
// right file and line, and the --config-test exit code keepalived would
// give; none panics.
func TestBadInput(t *testing.T) {
	const main = "/etc/keepalived/keepalived.conf"
	deep := strings.Repeat("vrrp_instance X {\n", 10000) + strings.Repeat("}\n", 10000)
	cases := []struct {
		name  string
		files map[string]string
		code  int
		where string // file:line[:col] prefix of the expected message
		msg   string
	}{
		{"missing close brace", map[string]string{main: "global_defs {\n router_id A\n\nvrrp_instance VI_1 {\n interface eth0\n"},
			5, main + ":4:1", "block 'vrrp_instance VI_1' opened here is never closed"},
		{"extra close brace", map[string]string{main: "global_defs {\n}\n}\n"}, 5, main + ":3:1", "Extra '}' found"},
		{"unterminated quote", map[string]string{main: "global_defs {\n  router_id \"LB\n}\n"}, 5, main + ":2:3", "Unterminated quote"},
		{"include cycle", map[string]string{main: "include a.conf\n", "/etc/keepalived/a.conf": "include keepalived.conf\n"},
			4, "/etc/keepalived/a.conf:1:1", "include cycle"},
		{"missing include", map[string]string{main: "global_defs {\n}\ninclude /etc/keepalived/nope.conf\n"},
			5, main + ":3:1", "Config files missing"},
		{"binary garbage", map[string]string{main: "\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe{{\x01\n\x00\x00}\n"},
			5, main + ":1", ""},
		{"1 MB line", map[string]string{main: "global_defs {\n router_id " + strings.Repeat("x", 1<<20) + "\n}\n"},
			5, main + ":2", "line too long"},
		{"10k-deep nesting", map[string]string{main: deep}, 5, main + ":2:1", "Unknown keyword 'vrrp_instance'"},
		{"unknown keyword", map[string]string{main: "global_defs {\n  bogus_keyword 1\n}\n"}, 5, main + ":2:3", "Unknown keyword 'bogus_keyword'"},
		// A multi-line parameter that expands ~LST over itself: nesting
		// without end once exhausted memory (found by mutating configs).
		{"self-expanding ~LST", map[string]string{main: "$INST=\\\n~LST({n},{A},{B}) $INST\nvrrp_instance ${n} { \\\n  \"unterminated \\\n}\n~LST({n},{A},{B}) $INST\n"},
			5, main + ":6", "nested 32 deep"},
		{"a million repeated mistakes", map[string]string{main: "~SEQ(i,1,1000000) bogus_$i\n"},
			5, main + ":1", "further ones are counted but not shown"},
		// keepalived ignores the '{' of an unknown keyword: its '}' ends
		// global_defs, and global_defs' own '}' is left at the top level
		{"unknown keyword's block", map[string]string{main: "global_defs {\n  bogus {\n    router_id x\n  }\n  vrrp_strict\n}\n"},
			5, main + ":6:1", "Unknown keyword '}'"},
		{"3000 unknown keywords' blocks", map[string]string{main: "global_defs {\n" + strings.Repeat("x {\n}\n", 3000) + "}\n"},
			5, main + ":6002:1", "Unknown keyword '}'"},
		{"main file missing", map[string]string{"/etc/other": ""}, 4, main, "Unable to read configuration file"},
	}
	// keepalived 2.4.0 and later do not expand a line's substituted text
	// again, so the ~LST nests only as 2.2.7 reads it
	as227 := map[string]bool{"self-expanding ~LST": true}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var opt Options
			if as227[c.name] {
				opt.Compat = Oldest
			}
			_, ds := loadFiles(t, c.files, opt)
			if got := ds.ExitCode(); got != c.code {
				t.Errorf("exit code %d, want %d:\n%s", got, c.code, dump(ds))
			}
			for _, d := range ds.List {
				if strings.HasPrefix(d.Pos.String(), c.where) && strings.Contains(d.Msg, c.msg) {
					return
				}
			}
			t.Errorf("no diagnostic at %s containing %q:\n%s", c.where, c.msg, dump(ds))
		})
	}
}
