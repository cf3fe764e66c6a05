package e2e

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/netio"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// childEnv makes the test binary run a VRRP runtime from the named config
// instead of the tests: the nodes are subprocesses (inside ip netns exec)
// so that a test can SIGKILL one.
const childEnv = "GOKEEPALIVED_VRRP_E2E_CHILD"

func TestMain(m *testing.M) {
	if p := os.Getenv(childEnv); p != "" {
		os.Exit(runChild(p))
	}
	os.Exit(m.Run())
}

func runChild(path string) int {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg, diags := conf.Load(path, conf.Options{})
	for _, d := range diags.List {
		log.Info("config", "diag", d.String())
	}
	if diags.ExitCode() != conf.ExitOK && diags.ExitCode() != conf.ExitErrors {
		return 1
	}
	ann := netio.NewAnnouncer()
	defer ann.Close()
	rt, err := vrrp.NewRuntime(cfg, vrrp.Deps{Net: netio.Net{}, Addrs: netio.Addrs{}, Announcer: ann, Links: netio.Links{}, Log: log,
		VMACs: netio.NewVMACs(log), Routes: netio.Routes{}})
	if err != nil {
		log.Error("start", "err", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	// SIGHUP reloads the file, as the daemon does.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			if c, d := conf.Load(path, conf.Options{}); d.ExitCode() == conf.ExitOK || d.ExitCode() == conf.ExitErrors {
				if err := rt.Reload(c); err != nil {
					log.Error("reload", "err", err)
				}
			}
		}
	}()
	if err := rt.Run(ctx); err != nil {
		log.Error("run", "err", err)
		return 1
	}
	log.Info("stopped")
	return 0
}

// proc is a node process (gokeepalived child or keepalived).
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	log  string
	// killPID is the process that a hard kill targets (keepalived's
	// VRRP child); zero means cmd's own.
	vrrpPidFile string
	waited      chan struct{}
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

// startGo runs a gokeepalived runtime from cfgText inside ns.
func startGo(t *testing.T, ns *nstest.NS, name, cfgText string) *proc {
	t.Helper()
	dir := t.TempDir()
	path := writeFile(t, dir, "keepalived.conf", cfgText)
	p := &proc{t: t, name: name, log: filepath.Join(dir, "log")}
	cmd := ns.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	p.start(cmd)
	return p
}

// startKeepalived runs Debian's keepalived (VRRP only, foreground, no
// respawn, pidfiles in a temp dir) inside ns.
func startKeepalived(t *testing.T, ns *nstest.NS, name, cfgText string) *proc {
	t.Helper()
	dir := t.TempDir()
	path := writeFile(t, dir, "keepalived.conf", cfgText)
	p := &proc{t: t, name: name, log: filepath.Join(dir, "log"), vrrpPidFile: filepath.Join(dir, "vrrp.pid")}
	p.start(ns.Command("/usr/sbin/keepalived", "-n", "-l", "-G", "-D", "-R", "-P", "-f", path,
		"-p", filepath.Join(dir, "keepalived.pid"), "-r", p.vrrpPidFile, "-c", filepath.Join(dir, "checkers.pid")))
	return p
}

// vrrpPID is the process whose death stops the node's VRRP adverts.
func (p *proc) vrrpPID() int {
	if p.vrrpPidFile == "" {
		return p.cmd.Process.Pid
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(p.vrrpPidFile)
		if err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				return pid
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: no VRRP child pid in %s", p.name, p.vrrpPidFile)
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
