package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeepalived/gokeepalived/internal/netnstest"
	"github.com/gokeepalived/gokeepalived/internal/testenv"
)

const hmacKeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// hmacConfigCases are auth_hmac blocks, good and bad: each goes into one
// instance (with extra at instance level), FILE standing for a directory
// of key files.
var hmacConfigCases = []struct{ name, block, extra, vips string }{
	{"good", "key 1 hex:" + hmacKeyHex + "\nkey 2 abcdefghijklmnopqrstuvwxyz0123456789\nactive_key 2\nanti_replay time\ntime_window 10\nmode permissive", "", ""},
	{"monotonic", "key 1 hex:" + hmacKeyHex + "\nactive_key 1\nanti_replay monotonic\nmode receive-only", "", ""},
	{"no-active-key", "key 1 hex:" + hmacKeyHex, "", ""},
	{"undefined-active-key", "key 1 hex:" + hmacKeyHex + "\nactive_key 3", "", ""},
	{"short-hex", "key 1 hex:0001\nactive_key 1", "", ""},
	{"short-ascii", "key 1 short\nactive_key 1", "", ""},
	{"long-ascii", "key 1 " + strings.Repeat("b", 65) + "\nactive_key 1", "", ""},
	{"bad-hex", "key 1 hex:zz" + hmacKeyHex[2:] + "\nactive_key 1", "", ""},
	{"odd-hex", "key 1 hex:" + hmacKeyHex + "0\nactive_key 1", "", ""},
	{"ascii-prefix", "key 1 ascii:abcdefghijklmnopqrstuvwxyz0123456789\nactive_key 1", "", ""},
	{"bad-ids", "key 0 hex:" + hmacKeyHex + "\nkey 256 hex:" + hmacKeyHex + "\nkey x hex:" + hmacKeyHex + "\nkey 1 hex:" + hmacKeyHex + "\nactive_key 1", "", ""},
	{"no-value", "key 1\nkey\nkey 1 hex:" + hmacKeyHex + "\nactive_key 1", "", ""},
	{"duplicate-id", "key 1 hex:" + hmacKeyHex + "\nkey 1 abcdefghijklmnopqrstuvwxyz0123456789\nactive_key 1", "", ""},
	{"bad-active-key", "key 1 hex:" + hmacKeyHex + "\nactive_key 0\nactive_key x\nactive_key 1", "", ""},
	{"bad-window", "key 1 hex:" + hmacKeyHex + "\nactive_key 1\ntime_window 0\ntime_window 301\ntime_window abc", "", ""},
	{"bad-mode", "key 1 hex:" + hmacKeyHex + "\nactive_key 1\nmode strict\nanti_replay foo", "", ""},
	{"missing-args", "key 1 hex:" + hmacKeyHex + "\nactive_key\nactive_key 1", "", ""},
	{"unknown-keyword", "key 1 hex:" + hmacKeyHex + "\nactive_key 1\nfoo bar", "", ""},
	{"file", "key 1 file:FILE/key600\nactive_key 1", "", ""},
	{"file-group-readable", "key 1 file:FILE/key644\nactive_key 1", "", ""},
	{"file-env", "key 1 file:${_ENV GKHMAC_KEYDIR}/key600\nactive_key 1", "", ""}, // systemd's $CREDENTIALS_DIRECTORY
	{"file-missing", "key 1 file:FILE/nokey\nactive_key 1", "", ""},
	{"file-too-large", "key 1 file:FILE/keybig\nactive_key 1", "", ""},
	{"file-largest", "key 1 file:FILE/key138\nactive_key 1", "", ""},
	{"with-authentication", "key 1 hex:" + hmacKeyHex + "\nactive_key 1", "authentication {\nauth_type PASS\nauth_pass foo\n}", ""},
	{"strict-mode", "key 1 hex:" + hmacKeyHex + "\nactive_key 1\nmode receive-only", "strict_mode", ""},
	{"v3-unicast", "key 1 hex:" + hmacKeyHex + "\nactive_key 1", "version 3\nunicast_peer {\n10.9.0.2\n}", ""},
	// 89 IPv6 VIPs fit in an advert, 88 with the trailer.
	{"ipv6-vip-limit", "key 1 hex:" + hmacKeyHex + "\nactive_key 1", "", ipv6VIPs(89)},
	{"ipv6-vip-limit-receive-only", "key 1 hex:" + hmacKeyHex + "\nactive_key 1\nmode receive-only", "", ipv6VIPs(89)},
}

// TestConfigTestAuthHMACMatchesKeepalived243: keepalived 2.4.3 and
// gokeepalived -t give the same verdict and messages on auth_hmac blocks.
func TestConfigTestAuthHMACMatchesKeepalived243(t *testing.T) {
	netnstest.Require(t)
	bin := testenv.Keepalived243(t)
	dir := t.TempDir()
	keys := map[string]struct {
		text string
		mode os.FileMode
	}{
		"key600": {"hex:" + hmacKeyHex + "\n", 0o600},
		"key644": {"hex:" + hmacKeyHex + "\n", 0o644},
		"keybig": {strings.Repeat("a", 139), 0o600},
		"key138": {strings.Repeat("a", 138), 0o600},
	}
	for name, k := range keys {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(k.text), k.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, k.mode); err != nil { // umask
			t.Fatal(err)
		}
	}
	t.Setenv("GKHMAC_KEYDIR", dir)
	ns := netnstest.New(t, "gkhmac", "eth0")
	for _, tc := range hmacConfigCases {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(dir, tc.name+".conf")
			vips := tc.vips
			if vips == "" {
				vips = "10.9.0.100"
			}
			cfg := fmt.Sprintf("vrrp_instance VI {\ninterface eth0\nvirtual_router_id 51\npriority 100\nadvert_int 1\n%s\nauth_hmac {\n%s\n}\nvirtual_ipaddress {\n%s\n}\n}\n",
				tc.extra, strings.ReplaceAll(tc.block, "FILE", dir), vips)
			if err := os.WriteFile(f, []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			configTestAgrees(t, ns, bin, f)
		})
	}
}

func ipv6VIPs(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "fd00:9::%x\n", i+1)
	}
	return b.String()
}
