package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMakeInstall installs into a scratch root and checks that the unit
// systemd would load is valid and points at the installed binary.
func TestMakeInstall(t *testing.T) {
	for _, tool := range []string{"make", "systemd-analyze"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("GOKEEPALIVED_REQUIRE_ORACLE") != "" {
				t.Fatalf("needs %s", tool)
			}
			t.Skipf("needs %s", tool)
		}
	}
	dest := t.TempDir()
	bin := filepath.Join(t.TempDir(), "gokeepalived")
	out, err := exec.Command("make", "-C", "../..", "install", "DESTDIR="+dest, "PREFIX=/opt/gk", "BIN="+bin).CombinedOutput()
	if err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
	installed := filepath.Join(dest, "opt/gk/sbin/gokeepalived")
	for _, f := range []string{installed, "lib/systemd/system/gokeepalived.service",
		"opt/gk/share/gokeepalived/keepalived.service.d/gokeepalived.conf",
		"opt/gk/share/gokeepalived/daemontools/run", "opt/gk/share/gokeepalived/keepalived.conf.example"} {
		if !filepath.IsAbs(f) {
			f = filepath.Join(dest, f)
		}
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
	unit, err := os.ReadFile(filepath.Join(dest, "lib/systemd/system/gokeepalived.service"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(unit), "ExecStart=/opt/gk/sbin/gokeepalived --dont-fork") || !strings.Contains(string(unit), "Type=notify") {
		t.Errorf("unit:\n%s", unit)
	}
	// systemd checks the ExecStart binary exists, so point it at the
	// scratch install for the check.
	check := filepath.Join(t.TempDir(), "gokeepalived.service")
	os.WriteFile(check, []byte(strings.ReplaceAll(string(unit), "/opt/gk/sbin/gokeepalived", installed)), 0o644)
	if out, err := exec.Command("systemd-analyze", "verify", check).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// The installed binary is the static one that runs.
	if out, err := exec.Command(installed, "-v").CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "Keepalived v2.2.7 (gokeepalived ") {
		t.Errorf("installed binary -v: %v %s", err, out)
	}
	run, _ := os.ReadFile(filepath.Join(dest, "opt/gk/share/gokeepalived/daemontools/run"))
	if !strings.Contains(string(run), "exec /opt/gk/sbin/gokeepalived -n -S 1") {
		t.Errorf("daemontools run:\n%s", run)
	}
}
