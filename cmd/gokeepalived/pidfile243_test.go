package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/netnstest"
	"github.com/gokeepalived/gokeepalived/internal/testenv"
)

// TestPidfileLockWithKeepalived243 starts keepalived 2.4.3 and
// gokeepalived on the same pidfiles, each order: the second sees the
// first's lock (keepalived locks with F_OFD_SETLK since 2.3.2; a flock
// would pass unseen) and stops with keepalived's lines, leaving the
// first running and its pidfiles in place.
func TestPidfileLockWithKeepalived243(t *testing.T) {
	netnstest.Require(t)
	ka := testenv.Keepalived243(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ns := netnstest.New(t, "gkpid", "eth0")
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(cf, []byte("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 9\n priority 100\n virtual_ipaddress {\n  10.77.0.1/24\n }\n}\n"), 0o644)
	pids := []string{"-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid"), "-c", filepath.Join(dir, "c.pid")}
	ours := func() []string {
		return append([]string{"-n", "-l", "-f", cf, "--control-socket", filepath.Join(dir, "gk.sock")}, pids...)
	}
	theirs := func() []string { return append([]string{"-n", "-l", "-f", cf}, pids...) }
	env := []string{"TMPDIR=" + dir}
	mainPid := filepath.Join(dir, "k.pid")
	// holds waits until p has written its pid into the main pidfile.
	holds := func(p *gkProc) {
		t.Helper()
		want := strconv.Itoa(p.cmd.Process.Pid)
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if b, _ := os.ReadFile(mainPid); strings.TrimSpace(string(b)) == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("pidfile never held pid %s:\n%s", want, p.log())
			}
		}
	}
	refused := func(who string, p *gkProc) {
		t.Helper()
		if rc := p.wait(); rc != 0 {
			t.Errorf("%s: exit %d, want 0 as keepalived", who, rc)
		}
		for _, l := range []string{"Another process has pid file " + mainPid + " locked", "daemon is already running"} {
			if !strings.Contains(p.log(), l) {
				t.Errorf("%s: no %q in:\n%s", who, l, p.log())
			}
		}
	}
	stop := func(p *gkProc) {
		t.Helper()
		p.signal(syscall.SIGTERM)
		p.wait()
	}

	t.Run("keepalived first", func(t *testing.T) {
		first := startCmd(t, ns.Command(ka, theirs()...), env)
		holds(first)
		refused("gokeepalived", startCmd(t, ns.Command(self, ours()...), env))
		holds(first)
		stop(first)
	})
	t.Run("gokeepalived first", func(t *testing.T) {
		first := startCmd(t, ns.Command(self, ours()...), env)
		holds(first)
		refused("keepalived 2.4.3", startCmd(t, ns.Command(ka, theirs()...), env))
		holds(first)
		stop(first)
	})
}
