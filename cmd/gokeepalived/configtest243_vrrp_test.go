package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeepalived/gokeepalived/internal/netnstest"
	"github.com/gokeepalived/gokeepalived/internal/testenv"
)

// vrrp243Cases are configurations using the VRRP keywords keepalived
// added after 2.2.7, valid and not.
var vrrp243Cases = map[string]string{
	"no-vip-allowed":          "I\n no_virtual_ipaddress\n}\n",
	"no-vip-v3-allowed":       "I\n version 3\n no_virtual_ipaddress\n}\n",
	"no-vip-v2":               "I\n}\n",
	"no-vip-v3":               "I\n version 3\n}\n",
	"no-vip-strict":           "I\n no_virtual_ipaddress\n strict_mode\n}\n",
	"no-vip-with-vip":         "I\n no_virtual_ipaddress\n V\n}\n",
	"v3-checksum":             "I\n version 3\n v3_checksum_as_v2\n V\n}\n",
	"v3-checksum-false":       "I\n version 3\n v3_checksum_as_v2 false\n V\n}\n",
	"v3-checksum-bad":         "I\n version 3\n v3_checksum_as_v2 maybe\n V\n}\n",
	"v3-checksum-global":      "global_defs {\n v3_checksum_as_v2\n}\nI\n version 3\n V\n}\n",
	"v3-checksum-global-x":    "global_defs {\n v3_checksum_as_v2 maybe\n}\nI\n version 3\n V\n}\n",
	"owner-ignore":            "I\n priority 255\n owner_ignore_adverts\n V\n}\n",
	"owner-ignore-true":       "I\n priority 255\n owner_ignore_adverts yes\n V\n}\n",
	"owner-ignore-false":      "I\n priority 255\n owner_ignore_adverts false\n V\n}\n",
	"owner-ignore-strict":     "I\n priority 255\n strict_mode\n V\n}\n",
	"owner-ignore-prio":       "I\n priority 100\n owner_ignore_adverts\n V\n}\n",
	"owner-ignore-nonprio":    "I\n priority 100\n owner_ignore_adverts off\n V\n}\n",
	"owner-ignore-bad":        "I\n priority 255\n owner_ignore_adverts bad\n V\n}\n",
	"owner-ignore-global":     "global_defs {\n vrrp_owner_ignore_adverts\n}\nI\n priority 255\n V\n}\n",
	"owner-ignore-global-bad": "global_defs {\n vrrp_owner_ignore_adverts bad\n}\nI\n priority 255\n V\n}\n",
	"owner-ignore-global-off": "global_defs {\n vrrp_owner_ignore_adverts off\n}\nI\n priority 255\n V\n}\n",
	"dup-peer":                "I\n unicast_peer {\n  10.9.0.2\n  10.9.0.2 min_ttl 3\n  10.9.0.3\n }\n V\n}\n",
	"dup-vip": "I\n virtual_ipaddress {\n  10.9.0.50\n  10.9.0.50/32\n  10.9.0.50/24 dev eth0p\n  10.9.0.52 dev eth0\n }\n" +
		" virtual_ipaddress_excluded {\n  10.9.0.50\n  10.9.0.51\n  10.9.0.51 dev eth0\n  10.9.0.51 dev eth0p\n  10.9.0.51 dev eth0p\n  10.9.0.52\n  10.9.0.52 dev eth0\n }\n}\n",
	"dup-vip6":                "I\n virtual_ipaddress {\n  fe80::10 dev eth0\n  fe80::10\n  2001:db8::1 dev eth0\n  2001:db8::1 dev eth0p\n }\n}\n",
	"v3-advert-clamp":         "I\n version 3\n advert_int 40.955\n V\n}\n",
	"timer-expired":           "I\n timer_expired_backup\n V\n}\n",
	"timer-expired-nopreempt": "I\n nopreempt\n timer_expired_backup\n V\n}\n",
	"timer-expired-255":       "I\n nopreempt\n timer_expired_backup 255\n V\n}\n",
	"timer-expired-0":         "I\n nopreempt\n timer_expired_backup 0\n V\n}\n",
	"timer-expired-abc":       "I\n nopreempt\n timer_expired_backup abc\n V\n}\n",
	"timer-expired-extra":     "I\n nopreempt\n timer_expired_backup 100 x\n V\n}\n",
	"thread-timer-expired":    "I\n nopreempt\n thread_timer_expired 100\n V\n}\n",
	"script-ms":               "S 1.5\nI\n T\n V\n}\n",
	"script-ms-min":           "S 0.001\nI\n T\n V\n}\n",
	"script-ms-round-up":      "S 0.0005\nI\n T\n V\n}\n",
	"script-ms-round-zero":    "S 0.0004\nI\n T\n V\n}\n",
	"script-ms-zero":          "S 0\nI\n T\n V\n}\n",
	"script-ms-invalid":       "S abc\nI\n T\n V\n}\n",
	"script-ms-max":           "S 4294\nI\n T\n V\n}\n",
	"script-ms-over":          "S 4294.001\nI\n T\n V\n}\n",
	"script-ms-negative":      "S -1\nI\n T\n V\n}\n",
	"script-ms-dot":           "S 2.\nI\n T\n V\n}\n",
}

// TestConfigTest243VRRPKeywords runs keepalived 2.4.3 and gokeepalived
// with -t on vrrp243Cases: the verdicts and the message sets must agree.
func TestConfigTest243VRRPKeywords(t *testing.T) {
	netnstest.Require(t)
	bin := testenv.Keepalived243(t)
	ns := netnstest.New(t, "gk243v", "eth0", "eth0p")
	dir := t.TempDir()
	for name, text := range vrrp243Cases {
		t.Run(name, func(t *testing.T) {
			text = expandVRRP243(text)
			f := filepath.Join(dir, name+".conf")
			if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			if !configTestAgrees(t, ns, bin, f) {
				t.Logf("config:\n%s", text)
			}
		})
	}
}

// expandVRRP243 replaces the case shorthands: a line "I" opens an
// instance on eth0, "V" is a VIP block, "S N" a vrrp_script with
// interval and timeout N and "T" tracks it.
func expandVRRP243(text string) string {
	if v, rest, ok := strings.Cut(text, "\n"); ok && strings.HasPrefix(v, "S ") {
		n := strings.TrimPrefix(v, "S ")
		text = "global_defs {\n script_user root\n enable_script_security\n}\nvrrp_script S {\n script /usr/bin/true\n interval " + n +
			"\n timeout " + n + "\n}\n" + rest
	}
	r := strings.NewReplacer("I\n", "vrrp_instance X {\n interface eth0\n virtual_router_id 9\n", " V\n", " virtual_ipaddress {\n  10.9.0.50\n }\n",
		" T\n", " track_script {\n  S\n }\n")
	return r.Replace(text)
}
