package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeepalived/gokeepalived/internal/netnstest"
	"github.com/gokeepalived/gokeepalived/internal/testenv"
)

// TestConfigTestIPVSSysctlExtension: a keepalived.conf that includes the
// ipvs_sysctl extension with `@gokeepalived include` passes keepalived
// 2.2.7's and 2.4.3's -t whatever the extension says, while gokeepalived
// reads the extension and reports its errors where they are.
func TestConfigTestIPVSSysctlExtension(t *testing.T) {
	netnstest.Require(t, "keepalived")
	ka243 := testenv.Keepalived243(t)
	ns := netnstest.New(t, "gkextsc")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.conf", "ipvs_sysctl {\n sloppy_tcp\n sloppy_sctp off\n}\n")
	bad := write("bad.conf", "ipvs_sysctl {\n sloppy_tcp\n sloppy_sctp maybe\n sloppy_tcp on off\n}\n")
	main := func(ext string) string {
		return write("keepalived-"+filepath.Base(ext), "@gokeepalived include "+ext+"\n"+
			"virtual_server 10.9.0.1 80 {\n lb_algo mh\n mh-port\n lb_kind DR\n protocol TCP\n"+
			" real_server 10.9.0.2 80 {\n  TCP_CHECK {\n  }\n }\n}\n")
	}
	for _, c := range []struct {
		ext  string
		code int
		msgs []string
	}{
		{good, 0, nil},
		{bad, 1, []string{
			bad + ":3:14: error: ipvs_sysctl: invalid value 'maybe' for sloppy_sctp",
			bad + ":4:16: error: ipvs_sysctl: extra parameter 'off' after sloppy_tcp"}},
	} {
		conf := main(c.ext)
		for _, oracle := range []string{"keepalived", ka243} {
			if out, err := ns.Command(oracle, "-t", "-f", conf).CombinedOutput(); exitCode(err) != 0 {
				t.Errorf("%s -t on %s = %d, want 0 (it skips @gokeepalived lines):\n%s", oracle, filepath.Base(c.ext), exitCode(err), out)
			}
		}
		ours := ns.Command(self, "-t", "-f", conf)
		ours.Env = append(os.Environ(), "GOKEEPALIVED_AS_MAIN=1")
		out, err := ours.CombinedOutput()
		if got := exitCode(err); (got == 0) != (c.code == 0) {
			t.Errorf("gokeepalived -t on %s = %d:\n%s", filepath.Base(c.ext), got, out)
		}
		for _, m := range c.msgs {
			if !strings.Contains(string(out), m) {
				t.Errorf("gokeepalived -t: no %q in:\n%s", m, out)
			}
		}
	}
	// gokeepalived read the extension: it is in the resolved model.
	ours := ns.Command(self, "--dump-json", "-f", main(good))
	ours.Env = append(os.Environ(), "GOKEEPALIVED_AS_MAIN=1")
	out, _ := ours.CombinedOutput()
	if !strings.Contains(string(out), `"ipvs_sysctl": {`) || !strings.Contains(string(out), `"sloppy_tcp": true`) {
		t.Errorf("--dump-json has no ipvs_sysctl:\n%s", out)
	}
}
