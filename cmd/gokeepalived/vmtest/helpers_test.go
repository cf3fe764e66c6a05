package vmtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func inVM() bool { return os.Getenv("GOKEEPALIVED_VM") == "1" }

// ran counts tests that got past the guard, so a VM run in which every
// test skipped (or none matched) fails instead of passing.
var ran atomic.Int32

func TestMain(m *testing.M) {
	// The test binary doubles as the real servers' HTTP daemon, run with
	// `ip netns exec` inside their namespaces.
	if addr := os.Getenv("GKVM_HTTPD"); addr != "" {
		httpd(addr, os.Getenv("GKVM_STATE"))
		return
	}
	if addr := os.Getenv("GKVM_BGPECHOD"); addr != "" {
		lineEchod(addr, os.Getenv("GKVM_BGPECHOD_NAME"))
		return
	}
	if iface := os.Getenv("GKVM_SNIFF"); iface != "" {
		sniff(iface)
		return
	}
	if addr := os.Getenv("GKVM_COUNTD"); addr != "" {
		countd(addr)
		return
	}
	if url := os.Getenv("GKVM_CLIENT"); url != "" {
		client(url)
		return
	}
	if url := os.Getenv("GKVM_KACLIENT"); url != "" {
		kaClient(url)
		return
	}
	if addr := os.Getenv("GKVM_SYNCECHOD"); addr != "" {
		lineEchod(addr, "")
		return
	}
	if addr := os.Getenv("GKVM_SYNCCLIENT"); addr != "" {
		syncClientMain(addr)
		return
	}
	if addr := os.Getenv("GKVM_HOSTILE"); addr != "" {
		n, _ := strconv.Atoi(os.Getenv("GKVM_HOSTILE_N"))
		hostile(addr, n)
		return
	}
	code := m.Run()
	faults.Print(os.Stdout, "fault table (VM):")
	if code == 0 && inVM() && ran.Load() == 0 {
		fmt.Println("FAIL: GOKEEPALIVED_VM=1 but no VM test ran")
		code = 1
	}
	os.Exit(code)
}

// httpd serves /health.cgi with the status written in the state file
// (200 when it is absent), /ok with 200 and everything else with 404.
func httpd(addr, state string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Println("listen:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health.cgi":
			code := 200
			if b, err := os.ReadFile(state); err == nil {
				fmt.Sscan(string(b), &code)
			}
			w.WriteHeader(code)
			fmt.Fprintln(w, "health", code)
		case "/ok":
			fmt.Fprintln(w, "ok")
		default:
			http.NotFound(w, r)
		}
	})
	fmt.Println(http.Serve(ln, h))
	os.Exit(1)
}

// countd accepts TCP connections on addr and prints a line for each, so
// a test counts a checker's probes.
func countd(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Println("listen:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	for {
		c, err := ln.Accept()
		if err != nil {
			os.Exit(1)
		}
		fmt.Println("conn")
		c.Close()
	}
}

// guard skips outside the VM (the suites program IPVS and create
// namespaces) and fails inside it when a tool is missing.
func guard(t *testing.T) {
	t.Helper()
	if !inVM() {
		t.Skip("VM test: run `make vmtest` (qemu VM with IPVS, keepalived and gokeepalived)")
	}
	for _, tool := range []string{"ip", "ipvsadm", "keepalived", "gokeepalived"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s missing in the VM: %v", tool, err)
		}
	}
	ran.Add(1)
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func ipvsadm(t *testing.T, args ...string) string {
	t.Helper()
	return run(t, "ipvsadm", args...)
}

// table is `ipvsadm -Ln --sort`; the kernel lists destinations newest
// first, so unsorted output depends on the history of adds.
func table(t *testing.T) string { return ipvsadm(t, "-Ln", "--sort") }

const header = "IP Virtual Server version 1.2.1 (size=4096)\n" +
	"Prot LocalAddress:Port Scheduler Flags\n" +
	"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"

// dest formats a destination line as ipvsadm prints it (no connections).
func dest(addr, fwd string, w int) string {
	return fmt.Sprintf("  -> %-28s %-7s %-6d %-10d %-10d\n", addr, fwd, w, 0, 0)
}

// poll calls f every 100 ms until it returns true or d passes, and
// returns the time it took.
func poll(d time.Duration, f func() bool) (time.Duration, bool) {
	start := time.Now()
	for {
		if f() {
			return time.Since(start), true
		}
		if time.Since(start) > d {
			return time.Since(start), false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitTable waits for `ipvsadm -Ln --sort` to equal want and returns how
// long it took.
func waitTable(t *testing.T, d time.Duration, want string) time.Duration {
	t.Helper()
	var got string
	el, ok := poll(d, func() bool { got = table(t); return got == want })
	if !ok {
		t.Fatalf("after %v ipvsadm -Ln --sort is\n%s\nwant\n%s", el.Round(time.Millisecond), got, want)
	}
	return el
}

// settle waits until `ipvsadm -Ln --sort` has not changed for quiet,
// after at least min, and returns it.
func settle(t *testing.T, min, quiet, max time.Duration) string {
	t.Helper()
	start := time.Now()
	last, since := table(t), time.Now()
	for {
		time.Sleep(250 * time.Millisecond)
		cur := table(t)
		if cur != last {
			last, since = cur, time.Now()
		}
		if time.Since(start) >= min && time.Since(since) >= quiet {
			return last
		}
		if time.Since(start) > max {
			t.Fatalf("IPVS table still changing after %v:\n%s", max, last)
		}
	}
}

// lab is the network: a bridge in the VM's namespace (the director,
// 192.168.31.1, fd00:31::1) with one namespace per real server, and a
// client namespace behind 10.10.31.1 for traffic through the VIPs.
type lab struct {
	t   *testing.T
	dir string
	mu  sync.Mutex
	srv map[string]*exec.Cmd // namespace -> its httpd
}

var rsAddrs = map[string][2]string{ // namespace -> IPv4, IPv6
	"gkrs1": {"192.168.31.101", "fd00:31::101"},
	"gkrs2": {"192.168.31.102", "fd00:31::102"},
	"gkrs3": {"192.168.31.103", "fd00:31::103"}, // never listens: refused
}

func newLab(t *testing.T) *lab {
	t.Helper()
	l := &lab{t: t, dir: t.TempDir(), srv: map[string]*exec.Cmd{}}
	ipvsadm(t, "-C")
	t.Cleanup(func() {
		for ns := range l.srv {
			l.stop(ns)
		}
		for ns := range rsAddrs {
			// The host end first: a namespace is freed asynchronously,
			// and on a loaded VM its veth outlived the next test's start.
			exec.Command("ip", "link", "del", "gkh"+ns[len(ns)-1:]).Run()
			exec.Command("ip", "netns", "del", ns).Run()
		}
		exec.Command("ip", "netns", "del", "gkcl").Run()
		exec.Command("ip", "link", "del", "gkbr").Run()
		exec.Command("ip", "link", "del", "gkcl0").Run()
		exec.Command("ip", "addr", "del", "10.10.31.100/32", "dev", "lo").Run()
		exec.Command("ipvsadm", "-C").Run()
	})
	steps := [][]string{
		{"sysctl", "-q", "-w", "net.ipv4.ip_forward=1"},
		{"sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1"},
		{"ip", "link", "add", "gkbr", "type", "bridge"},
		{"ip", "addr", "add", "192.168.31.1/24", "dev", "gkbr"},
		{"ip", "addr", "add", "fd00:31::1/64", "dev", "gkbr", "nodad"},
		{"ip", "link", "set", "gkbr", "up"},
		{"ip", "netns", "add", "gkcl"},
		{"ip", "link", "add", "gkcl0", "type", "veth", "peer", "name", "eth0", "netns", "gkcl"},
		{"ip", "addr", "add", "10.10.31.1/24", "dev", "gkcl0"},
		{"ip", "link", "set", "gkcl0", "up"},
		{"ip", "-n", "gkcl", "addr", "add", "10.10.31.2/24", "dev", "eth0"},
		{"ip", "-n", "gkcl", "link", "set", "eth0", "up"},
		{"ip", "-n", "gkcl", "link", "set", "lo", "up"},
		{"ip", "-n", "gkcl", "route", "add", "default", "via", "10.10.31.1"},
		{"ip", "addr", "add", "10.10.31.100/32", "dev", "lo"},
	}
	for ns, a := range rsAddrs {
		host := "gkh" + ns[len(ns)-1:]
		steps = append(steps,
			[]string{"ip", "netns", "add", ns},
			[]string{"ip", "link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", ns},
			[]string{"ip", "link", "set", host, "master", "gkbr", "up"},
			[]string{"ip", "-n", ns, "link", "set", "lo", "up"},
			[]string{"ip", "-n", ns, "addr", "add", a[0] + "/24", "dev", "eth0"},
			[]string{"ip", "-n", ns, "addr", "add", a[1] + "/64", "dev", "eth0", "nodad"},
			[]string{"ip", "-n", ns, "link", "set", "eth0", "up"},
			[]string{"ip", "-n", ns, "route", "add", "default", "via", "192.168.31.1"},
		)
	}
	for _, s := range steps {
		run(t, s[0], s[1:]...)
	}
	return l
}

// start runs the httpd in the namespace on port 80 (IPv4 and IPv6) and
// waits until it listens.
func (l *lab) start(ns string) {
	t := l.t
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", ns, self)
	cmd.Env = append(os.Environ(), "GKVM_HTTPD=:80", "GKVM_STATE="+l.stateFile(ns))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("httpd in %s: %q", ns, line)
	}
	go io.Copy(io.Discard, out)
	l.mu.Lock()
	l.srv[ns] = cmd
	l.mu.Unlock()
}

// stop kills the namespace's httpd by PID (`ip netns exec` execs it).
func (l *lab) stop(ns string) {
	l.mu.Lock()
	cmd := l.srv[ns]
	delete(l.srv, ns)
	l.mu.Unlock()
	if cmd != nil {
		cmd.Process.Kill()
		cmd.Wait()
	}
}

func (l *lab) stateFile(ns string) string { return filepath.Join(l.dir, ns+".status") }

// status sets the code the namespace's /health.cgi answers.
func (l *lab) status(ns string, code int) {
	l.t.Helper()
	if err := os.WriteFile(l.stateFile(ns), []byte(fmt.Sprint(code)), 0o644); err != nil {
		l.t.Fatal(err)
	}
}

// daemon is a keepalived or gokeepalived --check process.
type daemon struct {
	t        *testing.T
	name     string
	checkPid string // the -c pidfile
	cmd      *exec.Cmd
	mu       sync.Mutex
	out      bytes.Buffer
	done     chan struct{}
}

func (d *daemon) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.out.Write(p)
}

func (d *daemon) log() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.out.String()
}

// startDaemon runs prog (keepalived or gokeepalived) with --check in the
// foreground, logging to the console, with its pidfiles in dir.
func startDaemon(t *testing.T, prog, dir, conf string, extra ...string) *daemon {
	t.Helper()
	args := []string{"--check", "-n", "-l", "-G", "-f", conf,
		"-p", filepath.Join(dir, prog+".pid"), "-c", filepath.Join(dir, prog+"-check.pid")}
	if prog == "gokeepalived" {
		args = append(args, "--control-socket", filepath.Join(dir, "gk.sock"))
	}
	return spawn(t, prog, args[9], append([]string{prog}, append(args, extra...)...)...)
}

// spawn starts argv as a daemon whose output is kept; checkPid is its
// checker pidfile (for keepalived's child).
func spawn(t *testing.T, name, checkPid string, argv ...string) *daemon {
	t.Helper()
	d := &daemon{t: t, name: name, checkPid: checkPid, done: make(chan struct{})}
	d.cmd = exec.Command(argv[0], argv[1:]...)
	d.cmd.Stdout, d.cmd.Stderr = d, d
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.cmd.Wait(); close(d.done) }()
	t.Cleanup(func() { d.kill() })
	return d
}

// kill sends SIGKILL to the daemon's PID, and to its check child's: a
// keepalived parent killed this way leaves the child running.
func (d *daemon) kill() {
	select {
	case <-d.done:
		return
	default:
	}
	if d.name == "keepalived" {
		if pid, err := d.checkerPID(); err == nil && pid > 1 && pid != d.cmd.Process.Pid {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.done
}

// checkerPID is the PID in the daemon's checker pidfile.
func (d *daemon) checkerPID() (int, error) {
	b, err := os.ReadFile(d.checkPid)
	if err != nil {
		return 0, err
	}
	var pid int
	_, err = fmt.Sscan(string(b), &pid)
	return pid, err
}

// term sends SIGTERM and waits for the exit.
func (d *daemon) term() {
	d.t.Helper()
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
		d.t.Fatalf("%s did not exit on SIGTERM:\n%s", d.name, d.log())
	}
}

// exitOf is a command's exit code from its Run/Output error.
func exitOf(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}
