package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gokeepalived/gokeepalived/internal/netnstest"
	"github.com/gokeepalived/gokeepalived/internal/testenv"
)

// global243Cases are global_defs lines of keepalived 2.2.8 to 2.4.3,
// valid and not, each in an otherwise valid config.
var global243Cases = map[string]string{
	"dump-files":           "state_dump_file /run/ka/state.txt\n stats_dump_file /run/ka/\n json_dump_file ka.json",
	"dump-file-empty":      "state_dump_file",
	"dump-file-two":        "json_dump_file a b",
	"file-location":        "state_file_location /run/ka/", // the man page's name; the parser's is state_dump_file
	"json-version":         "json_version 2",
	"json-version-bad":     "json_version 3",
	"json-version-none":    "json_version",
	"symlink":              "use_symlink_paths",
	"symlink-bad":          "use_symlink_paths maybe",
	"iproute-dirs":         "iproute_etc_dir /etc/iproute2\n iproute_usr_dir /usr/share/iproute2",
	"iproute-none":         "iproute_etc_dir",
	"dbus-noif":            "dbus_no_interface_name noif",
	"dbus-noif-none":       "dbus_no_interface_name",
	"snmp-intervals":       "snmp_vs_stats_update_interval 2\n snmp_rs_stats_update_interval 0.5",
	"snmp-interval-bad":    "snmp_rs_stats_update_interval 31",
	"delay-after-boot":     "vrrp_delay_after_boot 10",
	"delay-after-boot-bad": "vrrp_delay_after_boot x",
	// ${_ENV NAME} (2.4.3): GK243_ENV is 5, an invalid VRRP version
	"env":       "vrrp_version ${_ENV GK243_ENV}",
	"env-unset": "router_id x${_ENV GK243_UNSET}y\n vrrp_version 7${_ENV GK243_UNSET}",
}

// TestConfigTestGlobal243 runs keepalived 2.4.3 and gokeepalived with
// --config-test on each of global243Cases: the verdicts and the message
// sets must agree.
func TestConfigTestGlobal243(t *testing.T) {
	netnstest.Require(t)
	bin := testenv.Keepalived243(t)
	t.Setenv("GK243_ENV", "5")
	os.Unsetenv("GK243_UNSET")
	ns := netnstest.New(t, "gkg24", "eth0")
	dir := t.TempDir()
	for name, lines := range global243Cases {
		t.Run(name, func(t *testing.T) {
			f := filepath.Join(dir, name+".conf")
			os.WriteFile(f, []byte("global_defs {\n "+lines+"\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority 100\n virtual_ipaddress {\n  10.9.9.9\n }\n}\n"), 0o644)
			configTestAgrees(t, ns, bin, f)
		})
	}
}
