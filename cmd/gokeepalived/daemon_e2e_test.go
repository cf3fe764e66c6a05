package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/testenv"
	"golang.org/x/sys/unix"
)

// gkProc is the test binary run as gokeepalived in the foreground.
type gkProc struct {
	t    *testing.T
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan error
}

func startGK(t *testing.T, env []string, args ...string) *gkProc {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return startCmd(t, exec.Command(self, args...), env)
}

// startCmd starts cmd (the test binary as gokeepalived, possibly under
// ip netns exec, which execs it in place so the PID is the daemon's).
func startCmd(t *testing.T, cmd *exec.Cmd, env []string) *gkProc {
	t.Helper()
	p := &gkProc{t: t, done: make(chan error, 1)}
	p.cmd = cmd
	p.cmd.Env = append(append(os.Environ(), "GOKEEPALIVED_AS_MAIN=1"), env...)
	r, w := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = w, w
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			p.mu.Lock()
			p.out.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
		}
	}()
	go func() { err := p.cmd.Wait(); w.Close(); p.done <- err }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill() // by PID, never by name
			<-p.done
		}
	})
	return p
}

func (p *gkProc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func (p *gkProc) waitFor(s string, n int) {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(p.log(), s) < n {
		if time.Now().After(deadline) {
			p.t.Fatalf("no %d× %q in output:\n%s", n, s, p.log())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (p *gkProc) signal(s syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(s); err != nil {
		p.t.Fatal(err)
	}
}

func (p *gkProc) wait() int {
	p.t.Helper()
	select {
	case err := <-p.done:
		return exitCode(err)
	case <-time.After(10 * time.Second):
		p.t.Fatalf("gokeepalived did not exit:\n%s", p.log())
		return -1
	}
}

// TestDaemonForegroundSignals runs the binary as an operator would under
// systemd or daemontools (-n -l -G) and drives it with real signals.
func TestDaemonForegroundSignals(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Unavailable(t, "needs root: the control socket answers root only")
	}
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(cf, []byte("global_defs {\n router_id LB1\n}\n"), 0o644)
	pid := filepath.Join(dir, "k.pid")
	sock := filepath.Join(dir, "gk.sock")
	p := startGK(t, []string{"TMPDIR=" + dir}, "-n", "-l", "-G", "-f", cf, "-p", pid,
		"-r", filepath.Join(dir, "v.pid"), "-c", filepath.Join(dir, "c.pid"), "-x", "--control-socket", sock)
	p.waitFor("Startup complete", 1)
	var sout, serr bytes.Buffer
	if rc := run([]string{"status", "--control-socket=" + sock}, &sout, &serr); rc != 0 ||
		!strings.Contains(sout.String(), fmt.Sprintf(`"pid": %d`, p.cmd.Process.Pid)) {
		t.Errorf("gokeepalived status: rc %d\n%s%s", rc, sout.String(), serr.String())
	}
	b, err := os.ReadFile(pid)
	if err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(p.cmd.Process.Pid) {
		t.Errorf("pidfile %q, %v; want %d", b, err, p.cmd.Process.Pid)
	}
	p.signal(syscall.SIGUSR1)
	if d := waitFile(t, filepath.Join(dir, "keepalived_parent.data")); !strings.Contains(string(d), "router_id = LB1") {
		t.Errorf("parent data: %q", d)
	}
	os.WriteFile(cf, []byte("global_defs {\n router_id LB2\n"), 0o644)
	p.signal(syscall.SIGHUP)
	p.waitFor("keeping the running configuration", 1)
	os.WriteFile(cf, []byte("global_defs {\n router_id LB2\n}\n"), 0o644)
	p.signal(syscall.SIGHUP)
	p.waitFor("Reload complete", 1)
	p.signal(syscall.SIGTERM)
	if rc := p.wait(); rc != 0 {
		t.Errorf("exit %d after TERM", rc)
	}
	log := p.log()
	for _, want := range []string{
		"option -x ignored: gokeepalived has no SNMP",
		"Starting Keepalived v2.2.7 (gokeepalived",
		"Opening file '" + cf + "'.",
		cf + ":1:1: error: block 'global_defs' opened here is never closed",
		"Stopped Keepalived v2.2.7",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("no %q in:\n%s", want, log)
		}
	}
	if _, err := os.Stat(pid); !os.IsNotExist(err) {
		t.Errorf("pidfile left after stop: %v", err)
	}
}

// TestDaemonDetaches: without -n the command returns at once with 0 and
// the daemon goes on in its own session, as keepalived after daemon().
func TestDaemonDetaches(t *testing.T) {
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(cf, []byte("global_defs {\n router_id LB1\n}\n"), 0o644)
	pid := filepath.Join(dir, "k.pid")
	p := startGK(t, nil, "-G", "-f", cf, "-p", pid, "-r", filepath.Join(dir, "v.pid"), "-c", filepath.Join(dir, "c.pid"),
		"--control-socket", filepath.Join(dir, "gk.sock"))
	if rc := p.wait(); rc != 0 {
		t.Fatalf("foreground part exited %d:\n%s", rc, p.log())
	}
	var d int
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(pid)
		if err == nil {
			if d, err = strconv.Atoi(strings.TrimSpace(string(b))); err == nil && d > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("detached daemon wrote no pidfile")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if sid, _ := unix.Getsid(d); sid != d {
		t.Errorf("daemon pid %d is in session %d, want its own", d, sid)
	}
	if err := syscall.Kill(d, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for syscall.Kill(d, 0) == nil {
		if time.Now().After(deadline) {
			syscall.Kill(d, syscall.SIGKILL)
			t.Fatal("detached daemon did not stop on TERM")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSignumMatchesKeepalived asks both binaries for every signal name.
func TestSignumMatchesKeepalived(t *testing.T) {
	for _, name := range []string{"STOP", "RELOAD", "DATA", "STATS", "STATS_CLEAR", "JSON", "TDUMP", "bogus"} {
		var ours, theirs string
		var ourRC int
		var out bytes.Buffer
		ourRC = run([]string{"--signum=" + name}, &out, io.Discard)
		ours = fmt.Sprintf("%d %s", ourRC, out.String())
		if _, err := exec.LookPath("keepalived"); err != nil {
			continue
		}
		kb, err := exec.Command("keepalived", "--signum="+name).Output()
		theirs = fmt.Sprintf("%d %s", exitCode(err), kb)
		if ours != theirs {
			t.Errorf("--signum=%s: ours %q, keepalived %q", name, ours, theirs)
		}
	}
}

func TestVersionFirstLine(t *testing.T) {
	var errb bytes.Buffer
	if rc := run([]string{"-v"}, io.Discard, &errb); rc != 0 {
		t.Fatalf("rc %d", rc)
	}
	first := strings.SplitN(errb.String(), "\n", 2)[0]
	if !strings.HasPrefix(first, "Keepalived v2.2.7 (gokeepalived ") {
		t.Errorf("first line %q", first)
	}
	if !strings.Contains(errb.String(), "--enable-json") {
		t.Error("no --enable-json among the build options")
	}
}

func TestUnknownOptionAndMissingParameter(t *testing.T) {
	for args, want := range map[string]string{
		"--bogus": "Unknown option --bogus",
		"-f":      "Missing parameter for option -f",
		"--pid=":  "Missing parameter for option --pid",
	} {
		var errb bytes.Buffer
		if rc := run(strings.Fields(args), io.Discard, &errb); rc != 1 || !strings.Contains(errb.String(), want) {
			t.Errorf("%s: rc %d, %q", args, rc, errb.String())
		}
	}
}

// TestDaemonSignalStorm: a storm of SIGHUPs while reloads take a while,
// then one SIGTERM. signal.Notify drops a signal when its channel is
// full; the daemon must still stop, and the HUPs must coalesce into far
// fewer reloads than were sent.
func TestDaemonSignalStorm(t *testing.T) {
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	var b strings.Builder
	b.WriteString("global_defs {\n router_id LB1\n}\n")
	for i := range 4000 { // a reload of this takes tens of ms
		fmt.Fprintf(&b, "vrrp_script s%d {\n script \"/bin/true %d\"\n interval 5\n}\n", i, i)
	}
	os.WriteFile(cf, []byte(b.String()), 0o644)
	p := startGK(t, []string{"TMPDIR=" + dir}, "-n", "-l", "-G", "-f", cf, "-p", filepath.Join(dir, "k.pid"),
		"-r", filepath.Join(dir, "v.pid"), "-c", filepath.Join(dir, "c.pid"), "--control-socket", filepath.Join(dir, "gk.sock"))
	p.waitFor("Startup complete", 1)
	const hups = 500
	for range hups {
		p.signal(syscall.SIGHUP)
		time.Sleep(50 * time.Microsecond)
	}
	p.signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
	case <-time.After(60 * time.Second):
		t.Fatalf("SIGTERM after %d SIGHUPs was lost: the daemon still runs after 60 s (%d reloads so far)",
			hups, strings.Count(p.log(), "Reloading ..."))
	}
	if rc := p.wait(); rc != 0 {
		t.Errorf("exit %d", rc)
	}
	n := strings.Count(p.log(), "Reloading ...")
	if n == 0 || n > hups/2 {
		t.Errorf("%d reloads for %d SIGHUPs: want them coalesced (1 to %d)", n, hups, hups/2)
	}
	t.Logf("%d SIGHUPs then SIGTERM: %d reloads, stopped", hups, n)
}
