package faults

import (
	"bufio"
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

	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// line is one line the daemon wrote, with when the test read it.
type line struct {
	at   time.Time
	text string
}

// daemon is a gokeepalived process in a namespace.
type daemon struct {
	t     *testing.T
	name  string
	cmd   *exec.Cmd
	dir   string
	mu    sync.Mutex
	lines []line
	done  chan struct{}
	pid   int // the daemon's, when cmd is a wrapper (0: cmd's own)
}

// syslogOnly, as the first extra argument, leaves out -l: the daemon
// logs to syslog only.
const syslogOnly = "\x00syslog-only"

// startDaemon writes conf into a fresh directory and runs the binary in
// ns with it: no fork, console log with detail, own pidfiles, control
// socket and, when metrics is set, /metrics on that address.
func startDaemon(t *testing.T, ns *nstest.NS, name, conf, metrics string, extra ...string) *daemon {
	t.Helper()
	return startWrapped(t, ns, nil, name, conf, metrics, extra...)
}

// startWrapped is startDaemon with the binary run by wrap (e.g. unshare).
func startWrapped(t *testing.T, ns *nstest.NS, wrap []string, name, conf, metrics string, extra ...string) *daemon {
	t.Helper()
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-n", "-l", "-D", "-f", cf, "-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid"),
		"-c", filepath.Join(dir, "c.pid"), "--control-socket", filepath.Join(dir, "gk.sock")}
	if metrics != "" {
		args = append(args, "--metrics-address", metrics)
	}
	if len(extra) > 0 && extra[0] == syslogOnly {
		args, extra = args[:1], extra[1:]
		args = append(args, "-D", "-f", cf, "-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid"),
			"-c", filepath.Join(dir, "c.pid"), "--control-socket", filepath.Join(dir, "gk.sock"))
	}
	argv := append(append(append([]string{}, wrap...), bin), append(args, extra...)...)
	return run(t, ns, name, dir, argv)
}

// run starts argv in ns with TMPDIR=dir and collects its output lines.
func run(t *testing.T, ns *nstest.NS, name, dir string, argv []string) *daemon {
	t.Helper()
	d := &daemon{t: t, name: name, dir: dir, done: make(chan struct{})}
	d.cmd = ns.Command(argv[0], argv[1:]...)
	d.cmd.Env = append(os.Environ(), "TMPDIR="+dir)
	r, w := io.Pipe()
	d.cmd.Stdout, d.cmd.Stderr = w, w
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			d.mu.Lock()
			d.lines = append(d.lines, line{time.Now(), sc.Text()})
			d.mu.Unlock()
		}
		io.Copy(io.Discard, r)
	}()
	go func() { d.cmd.Wait(); w.Close(); close(d.done) }()
	t.Cleanup(func() {
		select {
		case <-d.done:
		default:
			pid := d.cmd.Process.Pid
			if d.pid != 0 {
				pid = d.pid
			}
			syscall.Kill(pid, syscall.SIGTERM) // by PID
			select {
			case <-d.done:
			case <-time.After(10 * time.Second):
				syscall.Kill(pid, syscall.SIGKILL)
				d.cmd.Process.Kill()
				<-d.done
			}
		}
		if t.Failed() {
			t.Logf("%s's log (last 60 lines):\n%s", d.name, d.tail(60))
		}
	})
	return d
}

func (d *daemon) tail(n int) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var b strings.Builder
	for _, l := range d.lines[max(0, len(d.lines)-n):] {
		b.WriteString(l.text + "\n")
	}
	return b.String()
}

// count is the number of lines containing s read in [from, to).
func (d *daemon) count(s string, from, to time.Time) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, l := range d.lines {
		if !l.at.Before(from) && l.at.Before(to) && strings.Contains(l.text, s) {
			n++
		}
	}
	return n
}

// waitFor waits until a line containing s has been read, up to within.
func (d *daemon) waitFor(s string, within time.Duration) {
	d.t.Helper()
	end := time.Now().Add(within)
	for d.count(s, time.Time{}, time.Now().Add(time.Hour)) == 0 {
		if time.Now().After(end) {
			d.t.Fatalf("%s: no %q within %v:\n%s", d.name, s, within, d.tail(40))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// scrape reads /metrics from inside ns: series (with labels) → value.
func scrape(t *testing.T, ns *nstest.NS, addr string) map[string]float64 {
	t.Helper()
	out, err := ns.Command("curl", "-sf", "--max-time", "5", "http://"+addr+"/metrics").Output()
	if err != nil {
		t.Fatalf("scrape %s: %v", addr, err)
	}
	m := map[string]float64{}
	for _, l := range strings.Split(string(out), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		if v, err := strconv.ParseFloat(l[i+1:], 64); err == nil {
			m[l[:i]] = v
		}
	}
	return m
}

// sum adds the series whose name and labels contain every part.
func sum(m map[string]float64, parts ...string) float64 {
	var s float64
next:
	for k, v := range m {
		for _, p := range parts {
			if !strings.Contains(k, p) {
				continue next
			}
		}
		s += v
	}
	return s
}

func vrrpConf(prio int, state string) string {
	return fmt.Sprintf(`global_defs {
 script_user root
}
vrrp_instance VI_1 {
 state %s
 interface eth0
 virtual_router_id 51
 priority %d
 advert_int 1
 authentication {
  auth_type PASS
  auth_pass secret
 }
 virtual_ipaddress {
  10.77.0.100/24
 }
}
`, state, prio)
}

// first is when the first line containing s was read (zero if none).
func (d *daemon) first(s string) time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, l := range d.lines {
		if strings.Contains(l.text, s) {
			return l.at
		}
	}
	return time.Time{}
}

// startKeepalived is startDaemon for Debian's keepalived 2.2.7: same
// flags but ours alone (no control socket, no /metrics).
func startKeepalived(t *testing.T, ns *nstest.NS, name, conf, _ string, extra ...string) *daemon {
	t.Helper()
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-n", "-l", "-D", "-f", cf, "-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid"),
		"-c", filepath.Join(dir, "c.pid")}, extra...)
	return run(t, ns, name, dir, append([]string{"keepalived"}, args...))
}
