package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeepalived/gokeepalived/internal/testenv"
)

// TestConfigTestUnsupportedKeyword: -t names, with its position, a
// keyword gokeepalived accepts but does nothing with; the verdict stays
// keepalived's (0), --strict fails on it (issue 13).
func TestConfigTestUnsupportedKeyword(t *testing.T) {
	f := filepath.Join(t.TempDir(), "keepalived.conf")
	if err := os.WriteFile(f, []byte("global_defs {\n router_id A\n  vrrp_no_swap\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const notice = "'vrrp_no_swap' is accepted but not supported by gokeepalived"
	for _, c := range []struct {
		args []string
		rc   int
		line string
	}{
		{[]string{"-t", "-f", f}, 0, f + ":3:3: info: " + notice},
		{[]string{"-t", "--strict", "-f", f}, 5, f + ":3:3: error: " + notice},
	} {
		var errb bytes.Buffer
		rc := run(c.args, &bytes.Buffer{}, &errb)
		if rc != c.rc {
			t.Errorf("%v: exit %d, want %d\n%s", c.args, rc, c.rc, errb.String())
		}
		if !strings.Contains(errb.String(), c.line+"\n") {
			t.Errorf("%v: no %q in\n%s", c.args, c.line, errb.String())
		}
	}
	if _, err := exec.LookPath("keepalived"); err != nil {
		testenv.Unavailable(t, "keepalived 2.2.7 not installed: %v", err)
	}
	if rc := exitCode(exec.Command("keepalived", "-t", "-f", f).Run()); rc != 0 {
		t.Errorf("keepalived 2.2.7 -t = %d, want 0 (the notice must not change the verdict)", rc)
	}
}
