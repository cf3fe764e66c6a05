package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeepalived/gokeepalived/internal/netnstest"
	"github.com/gokeepalived/gokeepalived/internal/testenv"
)

// TestConfigTestBGPExtension: keepalived 2.2.7 and 2.4.3 pass -t on a
// keepalived.conf that includes the BGP extension file with
// "@gokeepalived include" (they skip the line), good or broken, while
// gokeepalived reads the file: it passes the good one and reports the
// broken one's mistakes where they are.
func TestConfigTestBGPExtension(t *testing.T) {
	t.Parallel()
	netnstest.Require(t)
	oracles := map[string]string{"2.2.7": "/usr/sbin/keepalived", "2.4.3": testenv.Keepalived243(t)}
	ns := netnstest.New(t, "gkbgt", "eth0")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ext := filepath.Join(dir, "gokeepalived.conf")
	main := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(main, []byte(`vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 priority 100
 advert_int 1
 virtual_ipaddress {
  10.0.0.100/32
 }
}
@gokeepalived include `+ext+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := `bgp_speaker {
 router_id 192.0.2.11
 local_as 65011
 neighbor 10.1.0.1 {
  remote_as 65000
  bfd
 }
}
bgp_announce 10.0.0.100/32 {
 vrrp_instance VI_1
 community 65000:100
}
`
	broken := `bgp_speaker {
 router_id 192.0.2.11
 neighbor 10.1.0.1 {
  remote_as 65000
 }
}
bgp_announce 10.0.0.100/32 {
 vrrp_instance VI_2
 community 65000:x
}
`
	for _, c := range []struct {
		name, text string
		want       []string // in our output
	}{
		{"good", good, nil},
		{"broken", broken, []string{ext + ":6:1: error: bgp_speaker: local_as is required",
			ext + ":8:16: error: bgp_announce: unknown vrrp_instance VI_2", ext + ":9:12: error: community 65000:x"}},
	} {
		if err := os.WriteFile(ext, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		for v, bin := range oracles {
			out, err := ns.Command(bin, "-t", "-f", main).CombinedOutput()
			if code := exitCode(err); code != 0 {
				t.Errorf("%s: keepalived %s -t = %d:\n%s", c.name, v, code, out)
			}
		}
		ours := ns.Command(self, "-t", "-f", main)
		ours.Env = append(os.Environ(), "GOKEEPALIVED_AS_MAIN=1")
		out, err := ours.CombinedOutput()
		code := exitCode(err)
		if (code == 0) != (c.want == nil) {
			t.Errorf("%s: gokeepalived -t = %d:\n%s", c.name, code, out)
		}
		for _, w := range c.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s: gokeepalived -t lacks %q:\n%s", c.name, w, out)
			}
		}
	}
}
