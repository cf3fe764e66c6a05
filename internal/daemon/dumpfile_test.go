package daemon

import "testing"

// The names keepalived 2.4.3's open_dump_file gives (checked against its
// files in cmd/gokeepalived TestDumpFiles243).
func TestDumpPath(t *testing.T) {
	for _, tc := range []struct{ setting, def, suffix, want string }{
		{"", "keepalived.data", "", "/tmp/keepalived.data"},
		{"", "keepalived.data", "_check", "/tmp/keepalived_check.data"},
		{"/run/ka/", "keepalived.data", "_parent", "/run/ka/keepalived_parent.data"},
		{"/run/ka/state.txt", "keepalived.data", "_bfd", "/run/ka/state_bfd.txt"},
		{"/run/ka/state", "keepalived.data", "_check", "/run/ka/state_check"},
		{"sub/state.txt", "keepalived.data", "", "/tmp/state.txt"},
		{"vrrp.json", "keepalived.json", "", "/tmp/vrrp.json"},
		{"/stats/", "keepalived.stats", "", "/stats/keepalived.stats"},
	} {
		if got := DumpPath("/tmp", tc.setting, tc.def, tc.suffix); got != tc.want {
			t.Errorf("DumpPath(%q, %q, %q) = %q, want %q", tc.setting, tc.def, tc.suffix, got, tc.want)
		}
	}
}
