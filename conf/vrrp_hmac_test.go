package conf

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const hmacHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

func hmacInstance(extra, block string) string {
	return fmt.Sprintf("vrrp_instance VI {\ninterface eth0\nvirtual_router_id 51\nadvert_int %s\nauth_hmac {\n%s\n}\nvirtual_ipaddress {\n10.9.0.100\n}\n}\n", extra, block)
}

// TestAuthHMACModel: keys in every form, the defaults (enforce, time,
// window max(3 × advert_int, 5)) and the keys kept out of both dumps.
func TestAuthHMACModel(t *testing.T) {
	dir := t.TempDir()
	kf := filepath.Join(dir, "k3")
	if err := os.WriteFile(kf, []byte("hex:"+strings.Repeat("ab", 40)+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		adv    string
		window int
	}{{"1", 5}, {"3", 9}, {"200", 300}} {
		cfg, ds := loadString(t, hmacInstance(c.adv, "key 1 hex:"+hmacHex+"\nkey 2 abcdefghijklmnopqrstuvwxyz0123456789\nkey 3 file:"+kf+"\nactive_key 2"))
		mustBeClean(t, ds)
		a := cfg.VRRPInstances[0].AuthHMAC
		if a == nil || len(a.Keys) != 3 || a.ActiveKey != 2 || a.Mode != "enforce" || !a.AntiReplayTime || a.TimeWindow != c.window {
			t.Fatalf("advert_int %s: %+v", c.adv, a)
		}
		want, _ := hex.DecodeString(hmacHex)
		if !bytes.Equal(a.Key(1), want) || string(a.Key(2)) != "abcdefghijklmnopqrstuvwxyz0123456789" || len(a.Key(3)) != 40 || a.Key(3)[0] != 0xab {
			t.Fatalf("keys %x %q %x", a.Key(1), a.Key(2), a.Key(3))
		}
		var j, d bytes.Buffer
		if err := WriteJSON(&j, cfg); err != nil {
			t.Fatal(err)
		}
		Dump(&d, cfg)
		for _, out := range []string{j.String(), d.String()} {
			if !strings.Contains(out, "active_key") || strings.Contains(out, "abcdefghijklmnopqrstuvwxyz") ||
				strings.Contains(out, "0001020304") || strings.Contains(out, "AAECAwQF") || strings.Contains(out, "abab") {
				t.Fatalf("a key in the dump, or no auth_hmac:\n%s", out)
			}
		}
	}
	cfg, ds := loadString(t, hmacInstance("1", "key 1 hex:"+hmacHex+"\nactive_key 1\nanti_replay monotonic\nmode receive-only"))
	mustBeClean(t, ds)
	if a := cfg.VRRPInstances[0].AuthHMAC; a.AntiReplayTime || a.TimeWindow != 0 || a.Mode != "receive-only" {
		t.Fatalf("%+v", a)
	}
}

// TestAuthHMACLossRefusesReload: a key that cannot be loaded, or an
// active key that is not there, loses part of the config, so a reload
// onto it keeps the running one.
func TestAuthHMACLossRefusesReload(t *testing.T) {
	for _, block := range []string{
		"key 1 hex:" + hmacHex + "\nkey 2 file:/nonexistent/key\nactive_key 1",
		"key 1 hex:" + hmacHex + "\nactive_key 2",
	} {
		_, ds := loadString(t, hmacInstance("1", block))
		if ds.Losses == 0 {
			t.Errorf("%q: no loss:\n%s", block, dump(ds))
		}
	}
	_, ds := loadString(t, hmacInstance("1", "key 1 hex:"+hmacHex+"\nactive_key 1"))
	if ds.Losses != 0 {
		t.Errorf("a good block loses: %s", dump(ds))
	}
}
