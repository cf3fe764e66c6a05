package e2e

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// goBin is the gokeepalived binary every gokeepalived node runs: the
// daemon as shipped (TestMain builds ./cmd/gokeepalived as make build
// does), or GOKEEPALIVED_BIN.
var goBin = os.Getenv("GOKEEPALIVED_BIN")

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	// Only root runs nodes (nstest.Require fails or skips every test
	// otherwise): spare others the build.
	if goBin == "" && os.Geteuid() == 0 {
		dir, err := os.MkdirTemp("", "gke2e-bin")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		goBin = filepath.Join(dir, "gokeepalived")
		cmd := exec.Command("go", "build", "-trimpath", "-o", goBin, "github.com/gokeepalived/gokeepalived/cmd/gokeepalived")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building gokeepalived: %v\n%s", err, out)
			return 1
		}
	}
	return m.Run()
}

// proc is a node process (gokeepalived or keepalived).
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	log  string
	// vrrpPidFile names the process that a hard kill targets
	// (keepalived's VRRP child; gokeepalived's one process).
	vrrpPidFile string
	waited      chan struct{}
	// dir holds the node's config (keepalived.conf) and dump files.
	dir string
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *proc) start(cmd *exec.Cmd) {
	t := p.t
	f, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.cmd = cmd
	p.waited = make(chan struct{})
	go func() {
		cmd.Wait()
		f.Close()
		close(p.waited)
	}()
	t.Cleanup(func() {
		// Whatever the outcome, nothing of ours outlives the test.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-p.waited
		if t.Failed() {
			b, _ := os.ReadFile(p.log)
			t.Logf("--- %s log:\n%s", p.name, b)
		}
	})
}

// nodeArgv is the command line both daemons run with: VRRP only,
// foreground, no respawn, log to the console in detail, not to syslog,
// and pidfiles in dir so that several nodes share the host; ours also has
// a status socket, by default one per host.
func nodeArgv(bin, dir, cfg string) []string {
	argv := []string{bin, "-n", "-l", "-G", "-D", "-R", "-P", "-f", cfg,
		"-p", filepath.Join(dir, "keepalived.pid"), "-r", filepath.Join(dir, "vrrp.pid"), "-c", filepath.Join(dir, "checkers.pid")}
	if filepath.Base(bin) != "keepalived" { // either oracle
		argv = append(argv, "--control-socket", filepath.Join(dir, "ctl.sock"))
	}
	return argv
}

// startNode runs bin from cfgText inside ns. Dump files (TMPDIR) go to
// the node's temp dir as well.
func startNode(t *testing.T, ns *nstest.NS, name, bin, cfgText string, args ...string) *proc {
	t.Helper()
	dir := t.TempDir()
	path := writeFile(t, dir, "keepalived.conf", cfgText)
	p := &proc{t: t, name: name, log: filepath.Join(dir, "log"), vrrpPidFile: filepath.Join(dir, "vrrp.pid"), dir: dir}
	argv := append(nodeArgv(bin, dir, path), args...)
	cmd := ns.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "TMPDIR="+dir)
	p.start(cmd)
	return p
}

// startGo runs the gokeepalived binary inside ns, as keepalived is run.
func startGo(t *testing.T, ns *nstest.NS, name, cfgText string) *proc {
	t.Helper()
	return startGoArgs(t, ns, name, cfgText)
}

// startGoArgs is startGo with more arguments (--compat).
func startGoArgs(t *testing.T, ns *nstest.NS, name, cfgText string, args ...string) *proc {
	t.Helper()
	if goBin == "" {
		t.Fatal("no gokeepalived binary (TestMain builds it when run as root)")
	}
	return startNode(t, ns, name, goBin, cfgText, args...)
}

// startKeepalived runs Debian's keepalived inside ns.
func startKeepalived(t *testing.T, ns *nstest.NS, name, cfgText string) *proc {
	t.Helper()
	return startNode(t, ns, name, keepalived, cfgText)
}

// vrrpPID is the process whose death stops the node's VRRP adverts.
func (p *proc) vrrpPID() int {
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(p.vrrpPidFile)
		if err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				return pid
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: no VRRP pid in %s", p.name, p.vrrpPidFile)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends sig to the node's VRRP process, by PID.
func (p *proc) kill(sig syscall.Signal) {
	if err := syscall.Kill(p.vrrpPID(), sig); err != nil {
		p.t.Fatal(err)
	}
}

// term sends SIGTERM to the node's main process, by PID.
func (p *proc) term() {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.t.Fatal(err)
	}
}

// wait waits for the node to exit.
func (p *proc) wait() {
	select {
	case <-p.waited:
	case <-time.After(10 * time.Second):
		p.t.Fatalf("%s did not exit", p.name)
	}
}

// watch polls addr in a namespace every 5 ms.
type watch struct {
	t *testing.T
	h *netlink.Handle
	a netip.Addr
}

func (w watch) has() bool {
	ok, err := nstest.HasAddr(w.h, w.a)
	if err != nil {
		w.t.Fatal(err)
	}
	return ok
}

// until waits for has()==want and returns the time it took.
func (w watch) until(want bool, limit time.Duration, what string) time.Duration {
	w.t.Helper()
	return pollUntil(w.t, w.has, want, limit, what)
}

// stays checks has()==want for the whole of d.
func (w watch) stays(want bool, d time.Duration, what string) {
	w.t.Helper()
	pollStays(w.t, w.has, want, d, what)
}

// pollUntil polls has every 5 ms until it returns want; the time it took.
func pollUntil(t *testing.T, has func() bool, want bool, limit time.Duration, what string) time.Duration {
	t.Helper()
	start := time.Now()
	for has() != want {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// pollStays fails if has stops returning want within d.
func pollStays(t *testing.T, has func() bool, want bool, d time.Duration, what string) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if has() != want {
			t.Fatalf("%s: changed to %v", what, !want)
		}
	}
}

// skew is Skew_Time for a priority and interval (v2 uses 1 s).
func skew(prio int, adv time.Duration) time.Duration {
	return time.Duration(256-prio) * adv / 256
}

func instance(vrid, prio int, extra string, vips ...string) string {
	return fmt.Sprintf(`vrrp_instance VI_%d {
    interface eth0
    virtual_router_id %d
    priority %d
%s
    virtual_ipaddress {
        %s
    }
}
`, vrid, vrid, prio, extra, strings.Join(vips, "\n        "))
}
