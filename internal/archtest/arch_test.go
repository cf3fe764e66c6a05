// Package archtest holds the tests of the repository's layout rules.
package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

// deps lists the module's packages that pkgs depend on.
func deps(t *testing.T, pkgs string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkgs).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkgs, err)
	}
	var mine []string
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/gokeepalived/gokeepalived/") {
			mine = append(mine, strings.TrimPrefix(p, "github.com/gokeepalived/gokeepalived/"))
		}
	}
	return mine
}

// The two subsystems share plumbing through internal/, never each other.
func TestSubsystemsDoNotImportEachOther(t *testing.T) {
	for _, tc := range []struct{ from, forbidden string }{
		{"../../check/...", "vrrp"},
		{"../../vrrp/...", "check"},
		{"../../ipvs/...", "vrrp"},
	} {
		for _, p := range deps(t, tc.from) {
			if p == tc.forbidden || strings.HasPrefix(p, tc.forbidden+"/") {
				t.Errorf("%s depends on %s", strings.TrimPrefix(tc.from, "../../"), p)
			}
		}
	}
}

// The daemon's loop knows its subsystems by interface only (daemon.VRRP,
// daemon.Checker), so it is tested with fakes.
func TestDaemonDoesNotImportSubsystems(t *testing.T) {
	for _, p := range deps(t, "../../internal/daemon") {
		for _, sub := range []string{"vrrp", "check"} {
			if p == sub || strings.HasPrefix(p, sub+"/") {
				t.Errorf("internal/daemon depends on %s", p)
			}
		}
	}
}

// The vrrp core (the state machine, its model and decisions) does no I/O:
// processes, files, sockets, timers and the kernel are vrrp/vrrpd's.
func TestVRRPCoreIsPure(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, "../../vrrp").Output()
	if err != nil {
		t.Fatalf("go list ../../vrrp: %v", err)
	}
	const mod = "github.com/gokeepalived/gokeepalived/"
	forbidden := map[string]bool{"os": true, "os/exec": true, "syscall": true, "golang.org/x/sys/unix": true}
	for _, p := range []string{"vrrp/vrrpd", "vrrp/netio", "vrrp/nft", "vrrp/internal/hrtimer", "internal/script",
		"internal/smtpalert", "internal/notifyfifo", "internal/trackfile"} {
		forbidden[mod+p] = true
	}
	for _, p := range strings.Fields(string(out)) {
		if forbidden[p] {
			t.Errorf("vrrp imports %s", p)
		}
	}
	for _, p := range deps(t, "../../vrrp") {
		if forbidden[mod+p] {
			t.Errorf("vrrp depends on %s", p)
		}
	}
}
