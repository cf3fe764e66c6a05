package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeepalived/gokeepalived/internal/netnstest"
	"github.com/gokeepalived/gokeepalived/internal/testenv"
)

// TestConfigTestDrainExtension: keepalived 2.2.7 and 2.4.3 pass -t on a
// keepalived.conf that includes the drain extension file with an
// @gokeepalived line, whatever the file holds; gokeepalived reads it:
// exit 0 when it is valid, its errors positioned in the file otherwise.
func TestConfigTestDrainExtension(t *testing.T) {
	netnstest.Require(t)
	ns := netnstest.New(t, "gkdrx")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ext := filepath.Join(dir, "gokeepalived.conf")
	main := filepath.Join(dir, "keepalived.conf")
	text := "virtual_server 10.9.0.1 80 {\n lb_algo rr\n lb_kind NAT\n protocol TCP\n real_server 10.9.0.2 80 {\n  TCP_CHECK {\n  }\n }\n}\n" +
		"@gokeepalived include " + ext + "\n"
	if err := os.WriteFile(main, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	oracles := map[string]string{"2.2.7": "/usr/sbin/keepalived", "2.4.3": testenv.Keepalived243(t)}
	for _, tc := range []struct {
		name, ext string
		errs      []string // our messages, positioned in the extension file
	}{
		{"valid", "drain {\n    timeout 300\n    virtual_server 10.9.0.1 80 TCP timeout 60\n}\n", nil},
		{"invalid", "drain {\n    timeout 5m\n    virtual_server 10.9.0.7 80 timeout 60\n    virtual_server fwmark 1\n    wait 3\n}\n", []string{
			ext + ":2:13: error: drain: timeout '5m' must be whole seconds in [0, 86400]",
			ext + ":4:27: error: drain: expected 'timeout SECONDS' after the virtual server",
			ext + ":5:5: error: drain: unknown keyword 'wait' (timeout, virtual_server)",
			ext + ":3:5: error: drain: no virtual server 10.9.0.7 80 TCP in the configuration",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(ext, []byte(tc.ext), 0o644); err != nil {
				t.Fatal(err)
			}
			for v, bin := range oracles {
				if out, err := ns.Command(bin, "-t", "-f", main).CombinedOutput(); exitCode(err) != 0 {
					t.Errorf("keepalived %s -t = %d, want 0:\n%s", v, exitCode(err), out)
				}
			}
			cmd := ns.Command(self, "-t", "-f", main)
			cmd.Env = append(os.Environ(), "GOKEEPALIVED_AS_MAIN=1")
			out, err := cmd.CombinedOutput()
			if len(tc.errs) == 0 {
				if exitCode(err) != 0 {
					t.Errorf("gokeepalived -t = %d, want 0:\n%s", exitCode(err), out)
				}
				return
			}
			if exitCode(err) == 0 {
				t.Errorf("gokeepalived -t = 0 on an invalid extension:\n%s", out)
			}
			for _, e := range tc.errs {
				if !strings.Contains(string(out), e) {
					t.Errorf("gokeepalived -t lacks %q:\n%s", e, out)
				}
			}
		})
	}
}
