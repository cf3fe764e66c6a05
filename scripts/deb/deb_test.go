// Package deb tests the Debian package `make deb` builds (docs/install.md):
// lintian, then install, run and purge in an overlay of this host's root
// filesystem, so that the host and its keepalived package stay untouched.
package deb

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/testenv"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// buildDeb runs make deb into a temporary directory and returns the
// package's path.
func buildDeb(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("make", "-C", testenv.Root(), "--no-print-directory", "deb",
		"BIN="+filepath.Join(dir, "gokeepalived"), "DEBDIR="+dir).CombinedOutput()
	if err != nil {
		t.Fatalf("make deb: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	deb := lines[len(lines)-1]
	if !strings.HasSuffix(deb, "_amd64.deb") {
		t.Fatalf("make deb printed no package:\n%s", out)
	}
	return deb
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// overlay is a writable view of the host's root filesystem: an overlayfs
// whose upper layer is a tmpfs, in a mount namespace held by one shell
// process. Commands enter it with nsenter and chroot. When the holder
// exits (its stdin closes, also when the test binary dies) the namespace,
// the mounts and everything written go with it.
type overlay struct {
	dir    string // in the namespace: dir/root is the merged tree, dir/upper the writes
	holder *exec.Cmd
	stdin  io.WriteCloser
}

func newOverlay(t *testing.T) *overlay {
	t.Helper()
	o := &overlay{dir: t.TempDir()}
	const script = `set -e
d=$1
mount -t tmpfs -o mode=0755 gkdeb "$d"
mkdir "$d/upper" "$d/work" "$d/root"
mount -t overlay gkdeb -o "lowerdir=/,upperdir=$d/upper,workdir=$d/work" "$d/root"
mount --rbind /dev "$d/root/dev"
mount -t proc proc "$d/root/proc"
# Empty /run and /tmp: no /run/systemd/system, so the maintainer scripts
# never reach the host's systemd.
mount -t tmpfs tmpfs "$d/root/run"
mount -t tmpfs tmpfs "$d/root/tmp"
echo ready
read -r _ || true`
	o.holder = exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", o.dir)
	var err error
	if o.stdin, err = o.holder.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := o.holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	o.holder.Stderr = &stderr
	if err := o.holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		o.stdin.Close()
		o.holder.Wait()
	})
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if line != "ready\n" {
		o.stdin.Close()
		o.holder.Wait()
		t.Fatalf("overlay root: %s", stderr.String())
	}
	return o
}

// command runs name inside the overlay's mount namespace (not chrooted).
func (o *overlay) command(name string, args ...string) *exec.Cmd {
	return exec.Command("nsenter", append([]string{fmt.Sprintf("--mount=/proc/%d/ns/mnt", o.holder.Process.Pid), "--", name}, args...)...)
}

// chroot runs name chrooted into the overlay root.
func (o *overlay) chroot(name string, args ...string) *exec.Cmd {
	return o.command("chroot", append([]string{filepath.Join(o.dir, "root"), name}, args...)...)
}

func (o *overlay) sh(t *testing.T, script string) string {
	t.Helper()
	out, err := o.chroot("sh", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("in the overlay root: %s: %v\n%s", script, err, out)
	}
	return string(out)
}

// TestDebianPackage builds the package, lints it, installs it, runs the
// installed daemon as its unit would until it is MASTER, and purges it.
func TestDebianPackage(t *testing.T) {
	nstest.Require(t, "make", "dpkg-deb", "lintian", "unshare", "nsenter", "chroot", "systemd-analyze")
	start := time.Now()
	hostBefore := hostPackages(t)

	deb := buildDeb(t)
	t.Logf("make deb: %s (%.1f s)", filepath.Base(deb), time.Since(start).Seconds())

	// Lintian clean: no error or warning, overrides justified in
	// scripts/deb/lintian-overrides. It runs while the package is
	// installed and run (half the test's time, alone).
	lint := time.Now()
	lintian := exec.Command("lintian", "--fail-on", "error,warning", deb)
	var lintOut bytes.Buffer
	lintian.Stdout, lintian.Stderr = &lintOut, &lintOut
	if err := lintian.Start(); err != nil {
		t.Fatal(err)
	}
	lintDone := make(chan error, 1)
	go func() { lintDone <- lintian.Wait() }()
	defer func() {
		err := <-lintDone
		if err != nil || regexp.MustCompile(`(?m)^[EW]: `).Match(lintOut.Bytes()) {
			t.Errorf("lintian: %v\n%s", err, lintOut.String())
		}
		t.Logf("lintian: %.1f s (alongside); package test: %.1f s", time.Since(lint).Seconds(), time.Since(start).Seconds())
	}()

	// The decisions docs/install.md explains: no dependency (static
	// binary), and no Conflicts/Provides/Replaces on keepalived.
	for _, field := range []string{"Depends", "Pre-Depends", "Conflicts", "Breaks", "Provides", "Replaces"} {
		if v := strings.TrimSpace(run(t, "dpkg-deb", "-f", deb, field)); v != "" {
			t.Errorf("%s: %s", field, v)
		}
	}
	version := strings.TrimSpace(run(t, "dpkg-deb", "-f", deb, "Version"))
	run(t, "dpkg", "--validate-version", version)
	if !strings.HasSuffix(version, "-1") {
		t.Errorf("version %q has no Debian revision", version)
	}
	var files []string // what the package installs, not its directories
	for _, l := range strings.Split(strings.TrimSpace(run(t, "sh", "-c", "dpkg-deb --fsys-tarfile \"$1\" | tar -t", "sh", deb)), "\n") {
		if !strings.HasSuffix(l, "/") {
			files = append(files, strings.TrimPrefix(l, "."))
		}
	}

	o := newOverlay(t)
	root := filepath.Join(o.dir, "root")
	if out, err := o.command("cp", deb, filepath.Join(root, "tmp", "gokeepalived.deb")).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	inst := time.Now()
	o.sh(t, "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/gokeepalived.deb")
	t.Logf("apt install: %.1f s", time.Since(inst).Seconds())
	if st := o.sh(t, "dpkg-query -W -f '${Status} ${Version}' gokeepalived"); st != "install ok installed "+version {
		t.Fatalf("installed: %q", st)
	}
	if st := o.sh(t, "dpkg-query -W -f '${Status}' keepalived"); st != "install ok installed" {
		t.Errorf("keepalived next to gokeepalived: %q", st)
	}
	for _, f := range files {
		if _, err := o.chroot("test", "-e", f).CombinedOutput(); err != nil {
			t.Errorf("installed package lacks %s", f)
		}
	}
	if got := o.sh(t, "/usr/sbin/gokeepalived -v 2>&1 | head -1"); !strings.HasPrefix(got, "Keepalived v2.2.7 (gokeepalived ") {
		t.Errorf("gokeepalived -v: %q", got)
	}
	// Installing neither enables nor starts the unit (it would stop a
	// running keepalived): systemctl, offline in the chroot, says disabled.
	if out, _ := o.chroot("systemctl", "is-enabled", "gokeepalived.service").CombinedOutput(); string(out) != "disabled\n" {
		t.Errorf("gokeepalived.service on installation: %s", out)
	}
	// verify also runs man for the unit's Documentation=man:gokeepalived(8).
	if out, err := o.chroot("systemd-analyze", "verify", "/lib/systemd/system/gokeepalived.service").CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	if unit := o.sh(t, "cat /lib/systemd/system/gokeepalived.service"); !strings.Contains(unit, "Documentation=man:gokeepalived(8)\n") {
		t.Errorf("installed unit names no man page:\n%s", unit)
	}
	if got, err := o.chroot("bash", "-c", `. /usr/share/bash-completion/completions/gokeepalived; COMP_WORDS=(gokeepalived --dont-f); COMP_CWORD=1; _gokeepalived; echo "${COMPREPLY[*]}"`).CombinedOutput(); err != nil || string(got) != "--dont-fork\n" {
		t.Errorf("bash completion of --dont-f: %v %q", err, got)
	}
	// Found by man (lintian has checked it renders without warnings);
	// -w, as a page displayed would leave a cat page in /var/cache/man.
	if out, err := o.chroot("man", "-w", "8", "gokeepalived").CombinedOutput(); err != nil || string(out) != "/usr/share/man/man8/gokeepalived.8.gz\n" {
		t.Errorf("man -w gokeepalived: %v %q", err, out)
	}

	runAsUnit(t, o)

	purge := time.Now()
	o.sh(t, "DEBIAN_FRONTEND=noninteractive apt-get purge -y -q gokeepalived")
	t.Logf("apt purge: %.1f s", time.Since(purge).Seconds())
	if out, err := o.chroot("dpkg-query", "-W", "-f", "${Status}", "gokeepalived").CombinedOutput(); err == nil && !strings.HasPrefix(string(out), "unknown") && !strings.Contains(string(out), "not-installed") {
		t.Errorf("after purge: %s", out)
	}
	for _, f := range append(files, "/etc/default/gokeepalived") {
		if _, err := o.chroot("test", "-e", f).CombinedOutput(); err == nil {
			t.Errorf("%s left after purge", f)
		}
	}
	// Nothing the package or its scripts wrote stays: the overlay's upper
	// layer holds every write since it was made. What is left is apt's and
	// dpkg's bookkeeping and the config the test wrote.
	left, err := o.command("find", filepath.Join(o.dir, "upper"), "!", "-type", "d", "!", "-type", "c").CombinedOutput()
	if err != nil {
		t.Fatalf("find: %v %s", err, left)
	}
	for _, p := range strings.Fields(string(left)) {
		p = strings.TrimPrefix(p, filepath.Join(o.dir, "upper"))
		if !expectedWrite(p) {
			t.Errorf("left after purge: %s", p)
		}
	}
	if after := hostPackages(t); after != hostBefore {
		t.Errorf("host packages changed:\nbefore %s\nafter  %s", hostBefore, after)
	}
}

// expectedWrite reports whether a file in the overlay's upper layer is
// one an install and purge leaves on any Debian system: dpkg's and apt's
// state, logs and caches (man-db's index), and the test's own config.
func expectedWrite(p string) bool {
	for _, prefix := range []string{"/var/lib/dpkg/", "/var/lib/apt/", "/var/cache/", "/var/log/",
		"/etc/keepalived/keepalived.conf", "/etc/ld.so.cache"} {
		// /var/cache/man/cat8/gokeepalived.8.gz is one: systemd-analyze
		// verify displays the unit's Documentation= man page.
		if strings.HasPrefix(p, prefix) {
			return !strings.Contains(p, "gokeepalived") || strings.HasPrefix(p, "/var/log/") || strings.HasPrefix(p, "/var/cache/man/")
		}
	}
	return false
}

// hostPackages is the host's dpkg status of both packages, which the test
// must not change.
func hostPackages(t *testing.T) string {
	out, _ := exec.Command("dpkg-query", "-W", "-f", "${Package} ${Status} ${Version};", "keepalived", "gokeepalived").CombinedOutput()
	return string(out)
}

// runAsUnit starts the installed daemon as gokeepalived.service would,
// in a network namespace with the example config's eth0, and waits for
// its VRRP instance to become MASTER and hold the VIP.
func runAsUnit(t *testing.T, o *overlay) {
	t.Helper()
	unit := o.sh(t, "cat /lib/systemd/system/gokeepalived.service")
	var env []string
	execStart := ""
	for _, l := range strings.Split(unit, "\n") {
		if f, ok := strings.CutPrefix(l, "EnvironmentFile=-"); ok {
			env = append(env, fmt.Sprintf("[ ! -r %s ] || . %s;", f, f))
		}
		if v, ok := strings.CutPrefix(l, "ExecStart="); ok {
			execStart = v
		}
	}
	if len(env) != 1 || !strings.Contains(env[0], "/etc/default/gokeepalived") || !strings.Contains(execStart, "$DAEMON_ARGS") {
		t.Fatalf("unit: EnvironmentFile %q, ExecStart %q", env, execStart)
	}
	// As an operator would: the example config in place, and flags in
	// DAEMON_ARGS. --vrrp because this kernel has no IPVS (the checker
	// would stop the daemon); --log-console to read the transition.
	o.sh(t, `cp /usr/share/gokeepalived/keepalived.conf.example /etc/keepalived/keepalived.conf &&
		sed -i 's/^DAEMON_ARGS=.*/DAEMON_ARGS="--vrrp --log-console --log-detail"/' /etc/default/gokeepalived`)

	ns := fmt.Sprintf("gkdeb-%d", os.Getpid())
	_ = nstest.IP("netns", "del", ns)
	if err := nstest.IP("netns", "add", ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nstest.IP("netns", "del", ns) })
	for _, args := range [][]string{
		{"-n", ns, "link", "set", "lo", "up"},
		{"-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "gkpeer0"},
		{"-n", ns, "addr", "add", "10.99.0.1/24", "dev", "eth0"},
		{"-n", ns, "link", "set", "eth0", "up"},
		{"-n", ns, "link", "set", "gkpeer0", "up"},
	} {
		if err := nstest.IP(args...); err != nil {
			t.Fatal(err)
		}
	}
	script := "set -a; " + strings.Join(env, " ") + " set +a; exec " + execStart
	cmd := exec.Command("ip", "netns", "exec", ns, "nsenter", fmt.Sprintf("--mount=/proc/%d/ns/mnt", o.holder.Process.Pid), "--",
		"chroot", filepath.Join(o.dir, "root"), "sh", "-c", script)
	var log syncBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	defer func() {
		if !stopped {
			cmd.Process.Kill()
			<-exited
		}
	}()

	// Up to 30 s: MASTER comes after about 3 advert intervals; the
	// deadline only bounds a broken run on a loaded machine.
	started := time.Now()
	deadline := started.Add(30 * time.Second)
	for {
		addrs, _ := exec.Command("ip", "-n", ns, "-br", "addr", "show", "eth0").CombinedOutput()
		if strings.Contains(log.String(), "(VI_1) Entering MASTER STATE") && strings.Contains(string(addrs), "10.10.31.100/24") {
			break
		}
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("the installed daemon exited: %v\n%s", err, log.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("not MASTER with the VIP after 30 s:\n%s\n%s", addrs, log.String())
		}
	}
	t.Logf("installed daemon MASTER with the VIP %.1f s after start", time.Since(started).Seconds())
	if !strings.Contains(log.String(), "Command line: 'gokeepalived' '--dont-fork' '--vrrp' '--log-console' '--log-detail'") {
		t.Errorf("not started as the unit starts it:\n%s", log.String())
	}
	// The status command of the installed binary, through the daemon's
	// socket in the overlay's /run.
	st, err := exec.Command("ip", "netns", "exec", ns, "nsenter", fmt.Sprintf("--mount=/proc/%d/ns/mnt", o.holder.Process.Pid), "--",
		"chroot", filepath.Join(o.dir, "root"), "/usr/sbin/gokeepalived", "status").CombinedOutput()
	if err != nil || !strings.Contains(string(st), "MASTER") {
		t.Errorf("gokeepalived status: %v\n%s", err, st)
	}
	// systemctl stop sends SIGTERM to the main process (KillMode=process).
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("SIGTERM: %v\n%s", err, log.String())
		}
	case <-time.After(20 * time.Second):
		t.Errorf("still running 20 s after SIGTERM:\n%s", log.String())
	}
	if addrs, _ := exec.Command("ip", "-n", ns, "-br", "addr", "show", "eth0").CombinedOutput(); strings.Contains(string(addrs), "10.10.31.100") {
		t.Errorf("VIP left after stop: %s", addrs)
	}
}

// syncBuffer is a bytes.Buffer the daemon's output goroutine and the test
// share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
