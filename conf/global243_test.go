package conf

import (
	"errors"
	"testing"
	"time"
)

func TestGlobal243Keywords(t *testing.T) {
	cfg, ds := loadString(t, `global_defs {
 state_dump_file /run/ka/state.txt
 stats_dump_file /run/ka/
 json_dump_file ka.json
 json_version 2
 dbus_no_interface_name noif
 snmp_vs_stats_update_interval 2
 snmp_rs_stats_update_interval 0.5
}
`)
	mustBeClean(t, ds)
	g := cfg.Global.V243
	if g.StateDumpFile != "/run/ka/state.txt" || g.StatsDumpFile != "/run/ka/" || g.JSONDumpFile != "ka.json" || g.JSONVersion != 2 {
		t.Errorf("dump settings: %+v", g)
	}
	if g.DBusNoInterfaceName != "noif" || g.SNMPVSStatsUpdateInterval != 2*time.Second || g.SNMPRSStatsUpdateInterval != 500*time.Millisecond {
		t.Errorf("dbus/snmp settings: %+v", g)
	}
}

// The messages are keepalived 2.4.3's (global_parser.c).
func TestGlobal243Messages(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"state_dump_file", "state_dump_file requires a non-empty path"},
		{"json_dump_file a b", "json_dump_file requires a non-empty path"},
		{"json_version", "json_version requires version"},
		{"json_version 3", "Invalid JSON version"},
		{"iproute_etc_dir", "iproute_etc_dir requires path"},
		{"use_symlink_paths maybe", "Invalid value 'maybe' for global use_symlink_path specified"},
		{"dbus_no_interface_name", "dbus_no_interface_name missing - ignoring"},
		{"snmp_rs_stats_update_interval 31", "snmp stats vs update interval '31' invalid - ignoring"},
		{"vrrp_delay_after_boot x", "vrrp_delay_after_boot 'x' is invalid"},
	} {
		_, ds := loadString(t, "global_defs {\n "+tc.line+"\n}\n")
		mustHave(t, ds, tc.want)
	}
}

// vrrp_delay_after_boot counts from boot: only what is left of it
// delays VRRP, and the longer of it and vrrp_startup_delay wins.
func TestVRRPDelayAfterBoot(t *testing.T) {
	old := ProcUptime
	t.Cleanup(func() { ProcUptime = old })
	for _, tc := range []struct {
		uptime float64
		extra  string
		want   time.Duration
	}{
		{10, "", 50 * time.Second},
		{100, "", 0},
		{10, " vrrp_startup_delay 55\n", 55 * time.Second},
		{55.5, " vrrp_startup_delay 1\n", 4500 * time.Millisecond},
	} {
		ProcUptime = func() (float64, error) { return tc.uptime, nil }
		cfg, ds := loadString(t, "global_defs {\n"+tc.extra+" vrrp_delay_after_boot 60\n}\n")
		mustBeClean(t, ds)
		if got := cfg.Global.VRRPStartupDelay; got != tc.want {
			t.Errorf("uptime %v, %q: startup delay %v, want %v", tc.uptime, tc.extra, got, tc.want)
		}
	}
	ProcUptime = func() (float64, error) { return 0, errors.New("no /proc") }
	_, ds := loadString(t, "global_defs {\n vrrp_delay_after_boot 60\n}\n")
	mustHave(t, ds, "Unable to read /proc/uptime for vrrp_delay_after_boot - ignoring")
}
