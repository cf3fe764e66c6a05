package conf

import (
	"strings"
	"testing"
)

// TestIPVSSysctl: the ipvs_sysctl extension's values, its positioned
// errors, and its place in the dumps (-d, --dump-json).
func TestIPVSSysctl(t *testing.T) {
	cfg, diags := loadString(t, "ipvs_sysctl {\n sloppy_tcp\n sloppy_sctp maybe\n sloppy_udp\n}\nipvs_sysctl {\n sloppy_sctp off\n sloppy_tcp on x\n}\n")
	var msgs []string
	for _, d := range diags.List {
		msgs = append(msgs, d.String())
	}
	got := strings.Join(msgs, "\n")
	for _, want := range []string{
		":3:14: error: ipvs_sysctl: invalid value 'maybe' for sloppy_sctp",
		":4:2: warning: Unknown keyword 'sloppy_udp'",
		":8:16: error: ipvs_sysctl: extra parameter 'x' after sloppy_tcp",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in:\n%s", want, got)
		}
	}
	if v := cfg.IPVSSysctl.Values(); len(v) != 2 || v["sloppy_tcp"] != 1 || v["sloppy_sctp"] != 0 {
		t.Errorf("values %v, want sloppy_tcp 1 (the bad line is ignored) and sloppy_sctp 0", v)
	}
	var b strings.Builder
	Dump(&b, cfg)
	if !strings.Contains(b.String(), "ipvs_sysctl") || !strings.Contains(b.String(), "sloppy_tcp = true") {
		t.Errorf("dump has no ipvs_sysctl:\n%s", b.String())
	}
	if cfg, _ := loadString(t, "global_defs {\n}\n"); cfg.IPVSSysctl != nil || len(cfg.IPVSSysctl.Values()) != 0 {
		t.Errorf("without the block: %+v", cfg.IPVSSysctl)
	}
}
