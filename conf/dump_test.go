package conf

import (
	"strings"
	"testing"
)

// Every header line in the -d dump must be followed by at least one more
// deeply indented line: empty sub-structures print nothing.
func TestDumpHasNoEmptySections(t *testing.T) {
	cfg, _ := loadString(t, "global_defs {\n  router_id R1\n}\nvrrp_instance V {\n  interface eth0\n  virtual_router_id 5\n}\n")
	var b strings.Builder
	Dump(&b, cfg)
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	indent := func(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }
	for i, l := range lines {
		if !strings.HasSuffix(l, ":") {
			continue
		}
		if i+1 >= len(lines) || indent(lines[i+1]) <= indent(l) {
			t.Errorf("empty section %q", l)
		}
	}
	if !strings.Contains(b.String(), " router_id = R1\n") {
		t.Errorf("router_id missing from dump:\n%s", b.String())
	}
}
