package vmtest

// End-to-end tests of the whole daemon (VRRP and checker in one
// gokeepalived process) against real IPVS: reload, broken reload,
// reload --dry-run, stop with and without -I/-V, restart adoption.
//
// Topology: the VM's namespace is the director (gkbr 192.168.31.1, the
// VRRP instance and its VIPs on gkbr, IPVS NAT); gkrs1..3 are real
// servers behind gkbr; gkcl is the client behind gkcl0, routed through
// the director; gkdir2 is an optional BACKUP director on gkbr.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/ipvs"
)

const (
	vip1 = "10.10.31.100"
	vip2 = "10.10.31.101"
	// masterBound: advert_int 1, VRRP v2: BACKUP at start, MASTER after
	// 3 × advert + skew (3.4 s), generous for TCG on a loaded host.
	masterBound = 15 * time.Second
)

type rsW struct {
	addr   string
	weight int
}

// fullConf is a director's config: one VRRP instance on gkbr and, when
// rs is not empty, the NAT virtual server on vip1 with HTTP_GET checks.
// The checks tolerate a starved VM (3 s timeout, 2 retries): these tests
// count IPVS operations, which a flapping check would add to.
func fullConf(global string, prio int, vips []string, rs ...rsW) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global_defs {\n    router_id LB1\n%s}\n", global)
	fmt.Fprintf(&b, `vrrp_instance VI_1 {
    state MASTER
    interface gkbr
    virtual_router_id 31
    priority %d
    advert_int 1
    virtual_ipaddress {
`, prio)
	for _, v := range vips {
		fmt.Fprintf(&b, "        %s/32\n", v)
	}
	b.WriteString("    }\n}\n")
	if len(rs) == 0 {
		return b.String()
	}
	fmt.Fprintf(&b, `virtual_server %s 80 {
    delay_loop 2
    lb_algo rr
    lb_kind NAT
    protocol TCP
`, vip1)
	for _, r := range rs {
		fmt.Fprintf(&b, `    real_server %s 80 {
        weight %d
        HTTP_GET {
            url {
                path /health.cgi
                status_code 200
            }
            connect_timeout 3
            retry 2
            delay_before_retry 1
        }
    }
`, r.addr, r.weight)
	}
	b.WriteString("}\n")
	return b.String()
}

var twoRS = []rsW{{"192.168.31.101", 1}, {"192.168.31.102", 1}}

// director is a full gokeepalived (both subsystems) with its files in dir.
type director struct {
	*daemon
	dir, conf, sock string
}

func (d *director) pidfiles() []string {
	return []string{filepath.Join(d.dir, "gk.pid"), filepath.Join(d.dir, "gk-vrrp.pid"), filepath.Join(d.dir, "gk-check.pid")}
}

// startDirector runs gokeepalived -n -l -G on conf, in the namespace ns
// when it is not empty.
func startDirector(t *testing.T, dir, conf, ns string, extra ...string) *director {
	t.Helper()
	d := &director{dir: dir, conf: conf, sock: filepath.Join(dir, "gk.sock")}
	argv := []string{"gokeepalived", "-n", "-l", "-G", "-f", conf, "-p", d.pidfiles()[0], "-r", d.pidfiles()[1],
		"-c", d.pidfiles()[2], "--control-socket", d.sock}
	if ns != "" {
		argv = append([]string{"ip", "netns", "exec", ns}, argv...)
	}
	d.daemon = spawn(t, "gokeepalived", d.pidfiles()[2], append(argv, extra...)...)
	return d
}

// waitLog waits for the n-th occurrence of s in the daemon's log.
func (d *daemon) waitLog(s string, n int, within time.Duration) time.Duration {
	d.t.Helper()
	start := time.Now()
	for strings.Count(d.log(), s) < n {
		select {
		case <-d.done:
			d.t.Fatalf("%s exited while waiting for %q:\n%s", d.name, s, d.log())
		default:
		}
		if time.Since(start) > within {
			d.t.Fatalf("no %q (#%d) in %s's log after %v:\n%s", s, n, d.name, within, d.log())
		}
		time.Sleep(25 * time.Millisecond) // the VM has one CPU, which the daemon needs
	}
	return time.Since(start)
}

// statusOf is `gokeepalived status` of a director.
type statusOf struct {
	IPVSOperations uint64 `json:"ipvs_operations"`
	Config         struct {
		MatchesDisk bool `json:"matches_disk"`
		LastReload  *struct {
			Applied  bool     `json:"applied"`
			Problems []string `json:"problems"`
		} `json:"last_reload"`
	} `json:"config"`
	Instances []struct {
		Name     string   `json:"name"`
		State    string   `json:"state"`
		Priority int      `json:"priority"`
		VIPs     []string `json:"vips"`
	} `json:"vrrp_instances"`
	SyncDaemons []struct {
		State     string `json:"state"`
		Interface string `json:"interface"`
		SyncID    int    `json:"syncid"`
	} `json:"lvs_sync_daemons"`
}

func (d *director) status() statusOf {
	d.t.Helper()
	var st statusOf
	out := run(d.t, "gokeepalived", "status", "--control-socket", d.sock)
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		d.t.Fatalf("status: %v\n%s", err, out)
	}
	return st
}

// masterAt waits for MASTER with vips on gkbr.
func (d *director) masterAt(vips ...string) {
	d.t.Helper()
	d.waitLog("(VI_1) Entering MASTER STATE", 1, masterBound)
	if _, ok := poll(5*time.Second, func() bool { return hasAddrs("gkbr", vips...) }); !ok {
		d.t.Fatalf("VIPs %v not on gkbr: %v\n%s", vips, addrs("gkbr"), d.log())
	}
}

// addrs lists the IPv4 addresses of an interface (netlink, in process).
func addrs(ifname string) []string {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil
	}
	as, _ := ifi.Addrs()
	var out []string
	for _, a := range as {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
			out = append(out, n.IP.String())
		}
	}
	return out
}

func hasAddrs(ifname string, want ...string) bool {
	have := addrs(ifname)
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// shape is `ipvsadm -Ln --sort` without the connection counters, which
// client traffic moves.
func shape(tbl string) string {
	var out []string
	for _, ln := range strings.Split(strings.TrimRight(tbl, "\n"), "\n") {
		if f := strings.Fields(ln); strings.HasPrefix(ln, "  -> ") && len(f) >= 4 {
			ln = "  " + strings.Join(f[:4], " ")
		}
		out = append(out, ln)
	}
	return strings.Join(out, "\n") + "\n"
}

// waitShape waits for the table's shape to be want; on a timeout it
// shows the daemon's log.
func (d *director) waitShape(within time.Duration, want string) {
	d.t.Helper()
	var got string
	if el, ok := poll(within, func() bool { got = shape(table(d.t)); return got == want }); !ok {
		d.t.Fatalf("after %v the table is\n%s\nwant\n%s\nlog:\n%s", el.Round(time.Millisecond), got, want, d.log())
	}
}

// wantShape is the shape of vip1's service with these destinations.
func wantShape(rs ...rsW) string {
	s := header + "TCP  " + vip1 + ":80 rr\n"
	for _, r := range rs {
		s += dest(r.addr+":80", "Masq", r.weight)
	}
	return shape(s)
}

// linesOnly returns the lines only in a and only in b.
func linesOnly(a, b string) (onlyA, onlyB []string) {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for _, l := range la {
		if !slices.Contains(lb, l) {
			onlyA = append(onlyA, l)
		}
	}
	for _, l := range lb {
		if !slices.Contains(la, l) {
			onlyB = append(onlyB, l)
		}
	}
	return
}

// addDirector2 puts the namespace gkdir2 (192.168.31.2) on gkbr.
func addDirector2(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		exec.Command("ip", "link", "del", "gkd2").Run()
		exec.Command("ip", "netns", "del", "gkdir2").Run()
	})
	for _, s := range [][]string{
		{"ip", "netns", "add", "gkdir2"},
		{"ip", "link", "add", "gkd2", "type", "veth", "peer", "name", "eth0", "netns", "gkdir2"},
		{"ip", "link", "set", "gkd2", "master", "gkbr", "up"},
		{"ip", "-n", "gkdir2", "link", "set", "lo", "up"},
		{"ip", "-n", "gkdir2", "addr", "add", "192.168.31.2/24", "dev", "eth0"},
		{"ip", "-n", "gkdir2", "link", "set", "eth0", "up"},
	} {
		run(t, s[0], s[1:]...)
	}
}

// newDirectorLab is newLab with the VIP left to VRRP and every VIP gone
// from gkbr at the end (-V tests leave them).
func newDirectorLab(t *testing.T) *lab {
	t.Helper()
	l := newLab(t)
	run(t, "ip", "addr", "del", vip1+"/32", "dev", "lo")
	t.Cleanup(func() {
		for _, v := range []string{vip1, vip2} {
			exec.Command("ip", "addr", "del", v+"/32", "dev", "gkbr").Run()
		}
	})
	return l
}

// clientLoop is the test binary in gkcl fetching /ok through the VIP,
// one new connection per request, until stopped.
type clientLoop struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func (l *lab) startClient(url string) *clientLoop {
	t := l.t
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c := &clientLoop{cmd: exec.Command("ip", "netns", "exec", "gkcl", self)}
	c.cmd.Env = append(os.Environ(), "GKVM_CLIENT="+url)
	c.cmd.Stderr = os.Stderr
	if c.in, err = c.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.cmd.Process.Kill(); c.cmd.Wait() })
	c.out = bufio.NewReader(out)
	if line, _ := c.out.ReadString('\n'); line != "ready\n" {
		t.Fatalf("client: %q", line)
	}
	return c
}

// stop ends the loop and returns its counts and first errors.
func (c *clientLoop) stop() (ok, fail int, errs string) {
	c.in.Close()
	line, _ := c.out.ReadString('\n')
	fmt.Sscanf(line, "ok %d fail %d", &ok, &fail)
	rest, _ := io.ReadAll(c.out)
	c.cmd.Wait()
	return ok, fail, string(rest)
}

// client is the loop run by the test binary in the client namespace:
// one GET per 50 ms (the VM has one CPU the daemon needs too).
func client(url string) {
	hc := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var stopped atomic.Bool
	go func() { io.Copy(io.Discard, os.Stdin); stopped.Store(true) }()
	fmt.Println("ready")
	ok, fail := 0, 0
	var errs []string
	for !stopped.Load() {
		t0 := time.Now()
		resp, err := hc.Get(url)
		if err == nil {
			body, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr != nil || resp.StatusCode != 200 || string(body) != "ok\n" {
				err = fmt.Errorf("status %d body %q err %v", resp.StatusCode, body, rerr)
			}
		}
		if err != nil {
			fail++
			if len(errs) < 5 {
				errs = append(errs, t0.Format("15:04:05.000")+" "+err.Error())
			}
		} else {
			ok++
		}
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Printf("ok %d fail %d\n", ok, fail)
	for _, e := range errs {
		fmt.Println(e)
	}
}

// watcher samples, every 50 ms while a reload runs, whether the VIPs
// are on gkbr and vip1's service holds the given destinations in IPVS.
type watcher struct {
	stopc   chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	samples int
	misses  []string
}

func watch(t *testing.T, vips []string, dests ...string) *watcher {
	t.Helper()
	c, err := ipvs.Open(ipvs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := &watcher{stopc: make(chan struct{})}
	key := ipvs.ServiceKey{Family: ipvs.IPv4, Protocol: ipvs.TCP, Addr: netip.MustParseAddr(vip1), Port: 80}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer c.Close()
		for {
			select {
			case <-w.stopc:
				return
			case <-time.After(50 * time.Millisecond):
			}
			var miss []string
			if !hasAddrs("gkbr", vips...) {
				miss = append(miss, fmt.Sprintf("VIPs %v", addrs("gkbr")))
			}
			ds, err := c.Destinations(key)
			have := map[string]bool{}
			for _, d := range ds {
				have[d.Key().String()] = d.Weight > 0
			}
			for _, d := range dests {
				if !have[d] {
					miss = append(miss, fmt.Sprintf("destination %s (err %v, have %v)", d, err, have))
				}
			}
			w.mu.Lock()
			w.samples++
			if len(miss) > 0 && len(w.misses) < 5 {
				w.misses = append(w.misses, time.Now().Format("15:04:05.000")+" "+strings.Join(miss, "; "))
			}
			w.mu.Unlock()
		}
	}()
	return w
}

func (w *watcher) stop() (samples int, misses []string) {
	close(w.stopc)
	w.wg.Wait()
	return w.samples, w.misses
}

// addrMonitor records address events (`ip -o monitor address`): unlike
// polling it sees a VIP removed and re-added between two samples.
type addrMonitor struct {
	cmd *exec.Cmd
	out strings.Builder
}

func monitorAddrs(t *testing.T) *addrMonitor {
	t.Helper()
	m := &addrMonitor{cmd: exec.Command("ip", "-o", "monitor", "address")}
	m.cmd.Stdout = &m.out
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.cmd.Process.Kill(); m.cmd.Wait() })
	time.Sleep(200 * time.Millisecond) // subscribed before anything happens
	return m
}

// stop returns the events seen.
func (m *addrMonitor) stop() string {
	m.cmd.Process.Kill()
	m.cmd.Wait()
	return m.out.String()
}

// reloadAndWait sends SIGHUP and returns the time until want is logged.
func (d *director) reloadAndWait(want string) time.Duration {
	d.t.Helper()
	n := strings.Count(d.log(), want)
	t0 := time.Now()
	d.cmd.Process.Signal(syscall.SIGHUP)
	d.waitLog(want, n+1, 30*time.Second)
	return time.Since(t0)
}

// TestDaemonReload is issue #6's reload case: one real server added, one
// VIP added, one weight changed; exactly those changes are applied, the
// MASTER stays MASTER (the BACKUP peer never takes over), and client
// requests through the VIP during the reload all succeed.
func TestDaemonReload(t *testing.T) {
	guard(t)
	l := newDirectorLab(t)
	for _, ns := range []string{"gkrs1", "gkrs2", "gkrs3"} {
		l.start(ns)
	}
	addDirector2(t)
	conf := writeConf(t, l.dir, fullConf("", 150, []string{vip1}, twoRS...))
	gk := startDirector(t, l.dir, conf, "")
	gk.masterAt(vip1)
	gk.waitShape(15*time.Second, wantShape(twoRS...))

	dir2 := filepath.Join(l.dir, "lb2")
	os.Mkdir(dir2, 0o755)
	conf2 := filepath.Join(dir2, "keepalived.conf")
	os.WriteFile(conf2, []byte(strings.Replace(strings.Replace(fullConf("", 100, []string{vip1}), "state MASTER", "state BACKUP", 1),
		"interface gkbr", "interface eth0", 1)), 0o644)
	gk2 := startDirector(t, dir2, conf2, "gkdir2", "-P")
	gk2.waitLog("(VI_1) Entering BACKUP STATE", 1, 10*time.Second)
	time.Sleep(3 * time.Second) // several adverts heard: lb2 settled as BACKUP

	before := shape(table(t))
	st0 := gk.status()
	mark := len(gk.log())
	cl := l.startClient("http://" + vip1 + "/ok")
	w := watch(t, []string{vip1}, "192.168.31.101:80", "192.168.31.102:80")
	mon := monitorAddrs(t)
	time.Sleep(2 * time.Second)

	rs := []rsW{{"192.168.31.101", 1}, {"192.168.31.102", 3}, {"192.168.31.103", 1}}
	writeConf(t, l.dir, fullConf("", 150, []string{vip1, vip2}, rs...))
	took := gk.reloadAndWait("Reload complete")
	if _, ok := poll(5*time.Second, func() bool { return hasAddrs("gkbr", vip1, vip2) }); !ok {
		t.Errorf("new VIP %s not added: %v", vip2, addrs("gkbr"))
	}
	time.Sleep(3 * time.Second) // traffic after the reload, over rs3 too
	samples, misses := w.stop()
	ok, fail, errs := cl.stop()
	events := mon.stop()
	for _, ev := range strings.Split(events, "\n") {
		if strings.HasPrefix(ev, "Deleted") && strings.Contains(ev, " gkbr ") {
			t.Errorf("an address left gkbr during the reload: %s", ev)
		}
	}
	if !strings.Contains(events, "inet "+vip2+"/32") {
		t.Errorf("no event for the new VIP: %q", events)
	}

	after := shape(table(t))
	gone, added := linesOnly(before, after)
	if strings.Join(gone, "|") != "  -> 192.168.31.102:80 Masq 1" ||
		strings.Join(added, "|") != "  -> 192.168.31.102:80 Masq 3|  -> 192.168.31.103:80 Masq 1" {
		t.Errorf("IPVS changed by\n-%q\n+%q\nwant only rs2's weight 1 -> 3 and rs3 added\nbefore:\n%safter:\n%s", gone, added, before, after)
	}
	if after != wantShape(rs...) {
		t.Errorf("table after reload:\n%s", after)
	}
	st1 := gk.status()
	if n := st1.IPVSOperations - st0.IPVSOperations; n != 2 {
		t.Errorf("the daemon counted %d IPVS operations at reload, want 2 (one add-dest, one edit-dest)", n)
	}
	logAfter := gk.log()[mark:]
	for _, want := range []string{"IPVS: 2 operation(s) at reload",
		"IPVS: ipvsadm -e -t 10.10.31.100:80 -r 192.168.31.102:80 -m -w 3",
		"IPVS: ipvsadm -a -t 10.10.31.100:80 -r 192.168.31.103:80 -m -w 1"} {
		if !strings.Contains(logAfter, want) {
			t.Errorf("log after reload lacks %q", want)
		}
	}
	if strings.Contains(logAfter, "Entering") {
		t.Errorf("a state transition at reload:\n%s", logAfter)
	}
	if len(st1.Instances) != 1 || st1.Instances[0].State != "MASTER" || st1.Instances[0].Priority != 150 {
		t.Errorf("VRRP after reload: %+v", st1.Instances)
	}
	if strings.Contains(gk2.log(), "Entering MASTER STATE") {
		t.Errorf("the BACKUP peer became MASTER:\n%s", gk2.log())
	}
	if len(misses) > 0 {
		t.Errorf("during the reload (%d samples) something was missing: %v", samples, misses)
	}
	if fail != 0 || ok < 20 {
		t.Errorf("client through the VIP across the reload: %d ok, %d failed\n%s", ok, fail, errs)
	}
	if conns := destConns(ipvsadm(t, "-Ln", "--stats"), "192.168.31.103:80"); conns == 0 {
		t.Errorf("the added real server got no connection")
	}
	t.Logf("reload (SIGHUP to \"Reload complete\"): %v; client: %d requests, %d failed; watcher: %d samples, 0 gaps; address events:\n%s",
		took.Round(time.Millisecond), ok, fail, samples, events)
	if t.Failed() {
		t.Logf("lb1 log:\n%s", gk.log())
	}
}

// destConns is the Conns column of a destination in `ipvsadm -Ln --stats`.
func destConns(stats, addr string) int {
	for _, ln := range strings.Split(stats, "\n") {
		if f := strings.Fields(ln); len(f) > 2 && f[0] == "->" && f[1] == addr {
			var n int
			fmt.Sscan(f[2], &n)
			return n
		}
	}
	return -1
}

// TestDaemonReloadWarningsAndBroken: a daemon started on a file that -t
// rates 5 (keepalived 2.2.7 too: an unknown keyword) applies a reload of
// such a file, adding a VIP and changing a weight, as keepalived does; a
// file that loses part of itself (a missing '}') is refused, the running
// configuration kept whole (IPVS, VIPs, state) and file:line logged;
// reload --dry-run says the same and exits 1; status says the running
// configuration is not the file on disk.
func TestDaemonReloadWarningsAndBroken(t *testing.T) {
	guard(t)
	l := newDirectorLab(t)
	l.start("gkrs1")
	l.start("gkrs2")
	warn := "    foo_bar 1\n"
	conf := writeConf(t, l.dir, fullConf(warn, 150, []string{vip1}, twoRS...))
	for _, bin := range []string{"keepalived", "gokeepalived"} {
		out, err := exec.Command(bin, "-t", "-f", conf).CombinedOutput()
		if rc := exitOf(err); rc != 5 || !strings.Contains(string(out), "Unknown keyword 'foo_bar'") {
			t.Fatalf("%s -t on the start-up file: exit %d, want 5 with the unknown keyword:\n%s", bin, rc, out)
		}
	}
	gk := startDirector(t, l.dir, conf, "")
	gk.masterAt(vip1)
	gk.waitShape(15*time.Second, wantShape(twoRS...))

	// Warnings are applied.
	st0 := gk.status()
	rs := []rsW{{"192.168.31.101", 1}, {"192.168.31.102", 3}}
	writeConf(t, l.dir, fullConf(warn, 150, []string{vip1, vip2}, rs...))
	took := gk.reloadAndWait("Reload complete")
	if _, ok := poll(5*time.Second, func() bool { return hasAddrs("gkbr", vip1, vip2) }); !ok {
		t.Errorf("reload with a warning: new VIP %s not added: %v", vip2, addrs("gkbr"))
	}
	if got := shape(table(t)); got != wantShape(rs...) {
		t.Errorf("reload with a warning: table\n%swant\n%s", got, wantShape(rs...))
	}
	st1 := gk.status()
	if n := st1.IPVSOperations - st0.IPVSOperations; n != 1 {
		t.Errorf("reload with a warning: %d IPVS operations, want 1 (the weight)", n)
	}
	if !st1.Config.MatchesDisk || st1.Config.LastReload == nil || !st1.Config.LastReload.Applied {
		t.Errorf("status after an applied reload: %+v", st1.Config)
	}
	t.Logf("reload of a file with a warning applied in %v", took.Round(time.Millisecond))

	// A missing '}' is refused.
	before := shape(table(t))
	mark := len(gk.log())
	text := fullConf(warn, 200, []string{vip1, vip2, "10.10.31.102"}, rsW{"192.168.31.101", 5}, rsW{"192.168.31.102", 5})
	text = strings.Replace(text, "        10.10.31.102/32\n    }\n}\n", "        10.10.31.102/32\n    }\n", 1)
	writeConf(t, l.dir, text)

	cmd := exec.Command("gokeepalived", "reload", "--dry-run", "--control-socket", gk.sock)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); cmd.ProcessState.ExitCode() != 1 || !strings.Contains(errb.String(), conf+":") ||
		!strings.Contains(errb.String(), "missing '}'") || out.Len() != 0 {
		t.Errorf("dry run on the broken file: %v\nstdout %q\nstderr %q", err, out.String(), errb.String())
	}

	took = gk.reloadAndWait("keeping the running configuration")
	t.Logf("reload of a file missing a '}' refused after %v", took.Round(time.Millisecond))
	time.Sleep(2 * time.Second) // a check round: nothing may follow the broken file
	logAfter := gk.log()[mark:]
	if !strings.Contains(logAfter, "Reload refused") || !strings.Contains(logAfter, conf+":") {
		t.Errorf("the refusal was not logged with its position:\n%s", logAfter)
	}
	if got := shape(table(t)); got != before {
		t.Errorf("IPVS changed by a broken reload:\n%s\nwas\n%s", got, before)
	}
	if !hasAddrs("gkbr", vip1, vip2) || hasAddrs("gkbr", "10.10.31.102") {
		t.Errorf("VIPs after a broken reload: %v", addrs("gkbr"))
	}
	st2 := gk.status()
	if st2.IPVSOperations != st1.IPVSOperations || st2.Instances[0].State != "MASTER" || st2.Instances[0].Priority != 150 {
		t.Errorf("status after a broken reload: %+v (was %+v)", st2, st1)
	}
	if st2.Config.MatchesDisk || st2.Config.LastReload == nil || st2.Config.LastReload.Applied || len(st2.Config.LastReload.Problems) == 0 {
		t.Errorf("status config after a refused reload: %+v", st2.Config)
	}
	if strings.Contains(logAfter, "Entering") || strings.Contains(logAfter, "Reload complete") {
		t.Errorf("the broken file was applied:\n%s", logAfter)
	}
}

// TestDaemonReloadDryRun: reload --dry-run against the live daemon prints
// the VRRP changes and exactly the IPVS operations the real reload then
// makes, and changes nothing itself.
func TestDaemonReloadDryRun(t *testing.T) {
	guard(t)
	l := newDirectorLab(t)
	for _, ns := range []string{"gkrs1", "gkrs2", "gkrs3"} {
		l.start(ns)
	}
	conf := writeConf(t, l.dir, fullConf("", 150, []string{vip1}, twoRS...))
	gk := startDirector(t, l.dir, conf, "")
	gk.masterAt(vip1)
	gk.waitShape(15*time.Second, wantShape(twoRS...))
	time.Sleep(delayLoop + time.Second)
	before := shape(table(t))
	st0 := gk.status()

	next := filepath.Join(l.dir, "next.conf")
	// rs1 removed, rs2 weight 3, rs3 added; one VIP more, priority 120.
	os.WriteFile(next, []byte(fullConf("", 120, []string{vip1, vip2}, rsW{"192.168.31.102", 3}, rsW{"192.168.31.103", 1})), 0o644)
	t0 := time.Now()
	out := run(t, "gokeepalived", "reload", "--dry-run", "-f", next, "--control-socket", gk.sock)
	t.Logf("dry run took %v:\n%s", time.Since(t0).Round(time.Millisecond), out)
	var planned []string
	for _, ln := range strings.Split(out, "\n") {
		if s, ok := strings.CutPrefix(ln, "  ipvsadm "); ok {
			planned = append(planned, s)
		}
	}
	wantOps := []string{
		"-d -t 10.10.31.100:80 -r 192.168.31.101:80",
		"-e -t 10.10.31.100:80 -r 192.168.31.102:80 -m -w 3",
		"-a -t 10.10.31.100:80 -r 192.168.31.103:80 -m -w 1",
	}
	if !slices.Equal(sortedCopy(planned), sortedCopy(wantOps)) {
		t.Errorf("planned IPVS operations %q, want %q", planned, wantOps)
	}
	for _, w := range []string{
		"Reload of " + next + " would make these changes (nothing applied):",
		"VRRP subsystem: reload\n  keep VI_1 (MASTER, VRID 31 on gkbr, priority 150 -> 120)\n    + VIP 10.10.31.101/32 dev gkbr\n",
		"checker subsystem: reload\n",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("dry run output lacks %q", w)
		}
	}
	// Nothing changed.
	if got := shape(table(t)); got != before {
		t.Errorf("IPVS changed by the dry run:\n%s\nwas\n%s", got, before)
	}
	if hasAddrs("gkbr", vip2) {
		t.Errorf("the dry run added %s", vip2)
	}
	if st := gk.status(); st.IPVSOperations != st0.IPVSOperations || st.Instances[0].Priority != 150 {
		t.Errorf("status after the dry run: %+v", st)
	}
	if strings.Contains(gk.log(), "Reloading") {
		t.Errorf("the dry run reloaded:\n%s", gk.log())
	}

	// The real reload, through `gokeepalived reload`, does what was planned.
	mark := len(gk.log())
	run(t, "cp", next, conf)
	t0 = time.Now()
	run(t, "gokeepalived", "reload", "--control-socket", gk.sock)
	gk.waitLog("Reload complete", 1, 30*time.Second)
	t.Logf("reload (gokeepalived reload to \"Reload complete\", no client traffic): %v", time.Since(t0).Round(time.Millisecond))
	var applied []string
	for _, ln := range strings.Split(gk.log()[mark:], "\n") {
		if _, s, ok := strings.Cut(ln, "IPVS: ipvsadm "); ok {
			applied = append(applied, s)
		}
	}
	if !slices.Equal(applied, planned) {
		t.Errorf("the reload applied %q, the dry run planned %q", applied, planned)
	}
	if st := gk.status(); st.IPVSOperations-st0.IPVSOperations != uint64(len(planned)) || st.Instances[0].Priority != 120 ||
		st.Instances[0].State != "MASTER" {
		t.Errorf("status after the reload: %+v", st)
	}
	if got := shape(table(t)); got != wantShape(rsW{"192.168.31.102", 3}, rsW{"192.168.31.103", 1}) {
		t.Errorf("table after the reload:\n%s", got)
	}
	if !hasAddrs("gkbr", vip1, vip2) {
		t.Errorf("VIPs after the reload: %v", addrs("gkbr"))
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// TestDaemonStop: SIGTERM removes the VIPs and our IPVS services (not a
// foreign one), exits 0 and removes the pidfiles; -I keeps the IPVS
// entries, -V the VIPs; lvs_flush_on_stop flushes everything.
func TestDaemonStop(t *testing.T) {
	guard(t)
	l := newDirectorLab(t)
	l.start("gkrs1")
	l.start("gkrs2")
	ipvsadm(t, "-A", "-t", "10.9.9.9:80", "-s", "wlc") // someone else's
	foreign := "TCP  10.9.9.9:80 wlc\n"
	ours := "TCP  " + vip1 + ":80 rr\n" + dest("192.168.31.101:80", "Masq", 1) + dest("192.168.31.102:80", "Masq", 1)
	conf := writeConf(t, l.dir, fullConf("", 150, []string{vip1}, twoRS...))

	stop := func(name, global string, flags ...string) *director {
		t.Helper()
		writeConf(t, l.dir, fullConf(global, 150, []string{vip1}, twoRS...))
		gk := startDirector(t, l.dir, conf, "", flags...)
		gk.masterAt(vip1)
		gk.waitShape(15*time.Second, shape(header+foreign+ours))
		gk.term()
		if rc := gk.cmd.ProcessState.ExitCode(); rc != 0 {
			t.Errorf("%s: exit code %d", name, rc)
		}
		for _, f := range append(gk.pidfiles(), gk.sock) {
			if _, err := os.Stat(f); err == nil {
				t.Errorf("%s: %s left behind", name, f)
			}
		}
		if !strings.Contains(gk.log(), "Stopped Keepalived v2.2.7") {
			t.Errorf("%s: no stop line:\n%s", name, gk.log())
		}
		return gk
	}

	stop("no flags", "")
	if got := shape(table(t)); got != shape(header+foreign) {
		t.Errorf("after SIGTERM ours should be gone, the foreign service kept:\n%s", got)
	}
	if hasAddrs("gkbr", vip1) {
		t.Errorf("after SIGTERM the VIP is still there")
	}

	stop("-I", "", "-I")
	if got := shape(table(t)); got != shape(header+foreign+ours) {
		t.Errorf("after SIGTERM with -I:\n%s", got)
	}
	if hasAddrs("gkbr", vip1) {
		t.Errorf("after SIGTERM with -I the VIP is still there")
	}

	stop("-V", "", "-V")
	if got := shape(table(t)); got != shape(header+foreign) {
		t.Errorf("after SIGTERM with -V:\n%s", got)
	}
	if !hasAddrs("gkbr", vip1) {
		t.Errorf("after SIGTERM with -V the VIP is gone: %v", addrs("gkbr"))
	}
	run(t, "ip", "addr", "del", vip1+"/32", "dev", "gkbr")

	stop("lvs_flush_on_stop", "    lvs_flush_on_stop\n")
	if got := shape(table(t)); got != shape(header) {
		t.Errorf("after SIGTERM with lvs_flush_on_stop (FULL):\n%s", got)
	}
}

// TestDaemonRestartAdoption: kill -9, start again with the same config:
// the IPVS entries are adopted (counters kept, no operation), VRRP comes
// back and serves the VIP.
func TestDaemonRestartAdoption(t *testing.T) {
	guard(t)
	l := newDirectorLab(t)
	l.start("gkrs1")
	l.start("gkrs2")
	conf := writeConf(t, l.dir, fullConf("", 150, []string{vip1}, twoRS...))
	gk := startDirector(t, l.dir, conf, "")
	gk.masterAt(vip1)
	gk.waitShape(15*time.Second, wantShape(twoRS...))
	for i := 0; i < 4; i++ {
		if out := run(t, "ip", "netns", "exec", "gkcl", "timeout", "10", "wget", "-q", "-O", "-", "http://"+vip1+"/ok"); out != "ok\n" {
			t.Fatalf("GET through the VIP: %q", out)
		}
	}
	var stats string
	if _, ok := poll(10*time.Second, func() bool { stats = ipvsadm(t, "-Ln", "--stats"); return vsConns(stats) >= 4 }); !ok {
		t.Fatalf("4 GETs not counted:\n%s", stats)
	}
	time.Sleep(2500 * time.Millisecond) // the estimator folds per-CPU counters every 2 s
	stats = ipvsadm(t, "-Ln", "--stats")

	gk.cmd.Process.Signal(syscall.SIGKILL)
	<-gk.done
	if got := ipvsadm(t, "-Ln", "--stats"); got != stats {
		t.Fatalf("kill -9 changed the table:\n%s\nwas\n%s", got, stats)
	}
	gk = startDirector(t, l.dir, conf, "")
	gk.masterAt(vip1)
	time.Sleep(2*delayLoop + time.Second) // check rounds: a flush or re-add would show
	if got := ipvsadm(t, "-Ln", "--stats"); got != stats {
		t.Errorf("restart changed the table (flushed or recreated?):\n%s\nwas\n%s", got, stats)
	}
	if !strings.Contains(gk.log(), "IPVS: adopted 1 service(s) already in the kernel; 0 operation(s) at start-up") {
		t.Errorf("no adoption line:\n%s", gk.log())
	}
	if !strings.Contains(gk.log(), "Remove a zombie pid file") {
		t.Errorf("the stale pidfile was not reported:\n%s", gk.log())
	}
	if st := gk.status(); st.IPVSOperations != 0 || st.Instances[0].State != "MASTER" {
		t.Errorf("status after the restart: %+v (want 0 IPVS operations, MASTER)", st)
	}
	if out := run(t, "ip", "netns", "exec", "gkcl", "timeout", "10", "wget", "-q", "-O", "-", "http://"+vip1+"/ok"); out != "ok\n" {
		t.Errorf("GET through the VIP after the restart: %q", out)
	}
}
