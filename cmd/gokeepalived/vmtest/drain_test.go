package vmtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The drain test's helpers run as modes of the test binary, chosen by
// the environment before TestMain: an echo server in a real server's
// namespace and a client of long-lived connections in the client's.
func init() {
	if addr := os.Getenv("GKVM_ECHOD"); addr != "" {
		echod(addr, os.Getenv("GKVM_ECHOD_ID"))
		os.Exit(1)
	}
	if addr := os.Getenv("GKVM_DRAINCL"); addr != "" {
		drainClient(addr)
		os.Exit(0)
	}
}

// echod greets each connection with its id, answers each line with the
// id and the line, and "bye" with "bye" and a clean close.
func echod(addr, id string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Println("listen:", err)
		return
	}
	fmt.Println("ready")
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			if _, err := fmt.Fprintf(c, "%s\n", id); err != nil {
				return
			}
			br := bufio.NewReader(c)
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if line == "bye\n" {
					io.WriteString(c, "bye\n")
					return
				}
				fmt.Fprintf(c, "%s %s", id, line)
			}
		}()
	}
}

// drainClient holds connections to addr and obeys commands on stdin,
// answering each with one line:
//
//	open1 N    open connections until N are on rs1 (the others are kept)
//	ping RS    each connection to RS (rs1, rs2) exchanges a line
//	close RS   each says bye and expects bye then the end of the stream
//	drop RS    closes them without a word
//	new N      N short connections: which real servers took them
func drainClient(addr string) {
	type conn struct {
		c  net.Conn
		br *bufio.Reader
		rs string
	}
	var conns []*conn
	dial := func() (*conn, error) {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return nil, err
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(c)
		id, err := br.ReadString('\n')
		if err != nil {
			c.Close()
			return nil, err
		}
		return &conn{c: c, br: br, rs: strings.TrimSpace(id)}, nil
	}
	// each runs f on every connection to rs at once: ok and failed, with
	// the first error.
	each := func(rs string, f func(*conn) error) string {
		var mu sync.Mutex
		var wg sync.WaitGroup
		ok, fail, first := 0, 0, ""
		for _, cn := range conns {
			if cn.rs != rs {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := f(cn)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					fail++
					if first == "" {
						first = err.Error()
					}
					return
				}
				ok++
			}()
		}
		wg.Wait()
		return fmt.Sprintf("ok=%d fail=%d err=%q", ok, fail, first)
	}
	remove := func(rs string) {
		keep := conns[:0]
		for _, cn := range conns {
			if cn.rs != rs {
				keep = append(keep, cn)
			}
		}
		conns = keep
	}
	fmt.Println("ready")
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			fmt.Println("bad command")
			continue
		}
		n, _ := strconv.Atoi(f[1])
		switch f[0] {
		case "open1":
			on1, fail := 0, 0
			for tries := 0; on1 < n && tries < 4*n; tries++ {
				cn, err := dial()
				if err != nil {
					fail++
					continue
				}
				conns = append(conns, cn)
				if cn.rs == "rs1" {
					on1++
				}
			}
			fmt.Printf("rs1=%d total=%d fail=%d\n", on1, len(conns), fail)
		case "ping":
			fmt.Println(each(f[1], func(cn *conn) error {
				cn.c.SetDeadline(time.Now().Add(5 * time.Second))
				if _, err := io.WriteString(cn.c, "ping\n"); err != nil {
					return err
				}
				line, err := cn.br.ReadString('\n')
				if err == nil && line != cn.rs+" ping\n" {
					err = fmt.Errorf("answer %q", line)
				}
				return err
			}))
		case "close":
			fmt.Println(each(f[1], func(cn *conn) error {
				defer cn.c.Close()
				cn.c.SetDeadline(time.Now().Add(5 * time.Second))
				if _, err := io.WriteString(cn.c, "bye\n"); err != nil {
					return err
				}
				line, err := cn.br.ReadString('\n')
				if err == nil && line != "bye\n" {
					return fmt.Errorf("answer %q", line)
				}
				if err != nil {
					return err
				}
				if rest, err := cn.br.ReadString('\n'); err != io.EOF {
					return fmt.Errorf("after bye: %q, %v (want the end of the stream)", rest, err)
				}
				return nil
			}))
			remove(f[1])
		case "drop":
			for _, cn := range conns {
				if cn.rs == f[1] {
					cn.c.Close()
				}
			}
			remove(f[1])
			fmt.Println("dropped")
		case "new":
			count := map[string]int{}
			for i := 0; i < n; i++ {
				cn, err := dial()
				if err != nil {
					count["fail"]++
					continue
				}
				count[cn.rs]++
				io.WriteString(cn.c, "bye\n")
				cn.br.ReadString('\n')
				cn.c.Close()
			}
			fmt.Printf("rs1=%d rs2=%d fail=%d\n", count["rs1"], count["rs2"], count["fail"])
		default:
			fmt.Println("bad command")
		}
	}
}

// helperProc is a helper mode of the test binary run in a namespace.
type helperProc struct {
	t     *testing.T
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan string
}

func startHelper(t *testing.T, ns string, env ...string) *helperProc {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	h := &helperProc{t: t, lines: make(chan string, 16)}
	h.cmd = exec.Command("ip", "netns", "exec", ns, self)
	h.cmd.Env = append(os.Environ(), env...)
	h.cmd.Stderr = os.Stderr
	if h.in, err = h.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := h.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// `ip netns exec` execs the binary: this PID is the helper's.
	t.Cleanup(func() { h.cmd.Process.Signal(syscall.SIGKILL); h.cmd.Wait() })
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
		close(h.lines)
	}()
	if l := h.read(30 * time.Second); l != "ready" {
		t.Fatalf("helper in %s: %q", ns, l)
	}
	return h
}

func (h *helperProc) read(d time.Duration) string {
	h.t.Helper()
	select {
	case l, ok := <-h.lines:
		if !ok {
			h.t.Fatal("helper exited")
		}
		return l
	case <-time.After(d):
		h.t.Fatalf("helper: no answer within %v", d)
	}
	return ""
}

// do sends a command and returns the answer.
func (h *helperProc) do(cmd string) string {
	h.t.Helper()
	if _, err := fmt.Fprintln(h.in, cmd); err != nil {
		h.t.Fatal(err)
	}
	return h.read(3 * time.Minute)
}

// counts reads "ok=N fail=M ..." or "rs1=N rs2=M ..." answers.
func counts(ans string) map[string]int {
	m := map[string]int{}
	for _, f := range strings.Fields(ans) {
		if k, v, ok := strings.Cut(f, "="); ok {
			n, err := strconv.Atoi(v)
			if err == nil {
				m[k] = n
			}
		}
	}
	return m
}

// rsState is a real server's line of `ipvsadm -Ln`: weight and active
// connections, or present false.
func rsState(t *testing.T, addr string) (weight, active int, present bool) {
	for _, ln := range strings.Split(ipvsadm(t, "-Ln"), "\n") {
		f := strings.Fields(ln)
		if len(f) >= 6 && f[0] == "->" && f[1] == addr {
			weight, _ = strconv.Atoi(f[3])
			active, _ = strconv.Atoi(f[4])
			return weight, active, true
		}
	}
	return 0, 0, false
}

const (
	drainVIP = "10.10.31.100:7"
	drainRS1 = "192.168.31.101:7"
	drainRS2 = "192.168.31.102:7"
	drainN   = 50
)

// drainConfText: the echo service with rs1 or not; with a drain timeout
// (seconds, > 0), the extension file included with @gokeepalived.
func drainConfText(dir string, rs1 bool, drain int) string {
	var b strings.Builder
	b.WriteString("global_defs {\n    router_id LVS_DRAIN\n}\nvirtual_server 10.10.31.100 7 {\n    delay_loop 2\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n")
	for _, a := range []string{"192.168.31.101", "192.168.31.102"} {
		if a == "192.168.31.101" && !rs1 {
			continue
		}
		fmt.Fprintf(&b, "    real_server %s 7 {\n        weight 1\n        TCP_CHECK {\n            connect_timeout 2\n            retry 0\n        }\n    }\n", a)
	}
	b.WriteString("}\n")
	if drain > 0 {
		ext := filepath.Join(dir, "gokeepalived.conf")
		os.WriteFile(ext, []byte(fmt.Sprintf("drain {\n    timeout %d\n}\n", drain)), 0o644)
		b.WriteString("@gokeepalived include " + ext + "\n")
	}
	return b.String()
}

// TestScaleOutDrain (issue 18, part 3): gokeepalived, a NAT service of
// two echo servers, 50 long-lived connections on rs1.
//   - `gokeepalived drain`: rs1 at weight 0 at once, new connections go
//     to rs2, every long-lived one exchanges data after the drain and
//     closes cleanly, rs1 leaves IPVS when the last one closes;
//   - with --timeout, rs1 leaves IPVS at the timeout, connections open;
//   - a reload that removes rs1 with the drain extension: as the drain;
//   - the same reload without it (keepalived's behaviour): rs1 is deleted
//     at once and its connections are cut (the baseline figure).
func TestScaleOutDrain(t *testing.T) {
	guard(t)
	t0 := time.Now()
	l := newLab(t)
	startHelper(t, "gkrs1", "GKVM_ECHOD=:7", "GKVM_ECHOD_ID=rs1")
	startHelper(t, "gkrs2", "GKVM_ECHOD=:7", "GKVM_ECHOD_ID=rs2")
	conf := writeConf(t, l.dir, drainConfText(l.dir, true, 0))
	gk := startDaemon(t, "gokeepalived", l.dir, conf)
	sock := filepath.Join(l.dir, "gk.sock")
	defer func() {
		if t.Failed() {
			t.Logf("gokeepalived log:\n%s", gk.log())
		}
	}()
	waitBoth := func() {
		t.Helper()
		if _, ok := poll(30*time.Second, func() bool {
			w1, _, ok1 := rsState(t, drainRS1)
			w2, _, ok2 := rsState(t, drainRS2)
			return ok1 && ok2 && w1 == 1 && w2 == 1
		}); !ok {
			t.Fatalf("both real servers not at weight 1:\n%s", ipvsadm(t, "-Ln"))
		}
	}
	waitBoth()
	cl := startHelper(t, "gkcl", "GKVM_DRAINCL="+drainVIP)
	cli := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("gokeepalived", append([]string{args[0], "--control-socket", sock}, args[1:]...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("gokeepalived %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	// open holds drainN connections on rs1, all of them active in IPVS.
	open := func(n int) {
		t.Helper()
		if c := counts(cl.do(fmt.Sprintf("open1 %d", n))); c["rs1"] != n {
			t.Fatalf("open1 %d: %v", n, c)
		}
		if _, ok := poll(30*time.Second, func() bool { _, a, _ := rsState(t, drainRS1); return a >= n }); !ok {
			t.Fatalf("%d connections not active on rs1:\n%s", n, ipvsadm(t, "-Ln"))
		}
	}
	// newGoToRS2: new connections all go to rs2.
	newGoToRS2 := func(what string) {
		t.Helper()
		if c := counts(cl.do("new 20")); c["rs1"] != 0 || c["rs2"] != 20 {
			t.Errorf("%s: 20 new connections went rs1=%d rs2=%d fail=%d, want all to rs2", what, c["rs1"], c["rs2"], c["fail"])
		}
	}
	// drained exchanges data on, then closes, every rs1 connection, and
	// waits for rs1 to leave IPVS: the connections that failed.
	drained := func(what string) int {
		t.Helper()
		time.Sleep(3 * time.Second) // a repair round (delay_loop 2) passes
		if w, a, ok := rsState(t, drainRS1); !ok || w != 0 || a < drainN {
			t.Errorf("%s: rs1 weight %d, %d active, present %v; want weight 0 with its connections", what, w, a, ok)
		}
		p := counts(cl.do("ping rs1"))
		c := counts(cl.do("close rs1"))
		t.Logf("%s: ping ok=%d fail=%d, close ok=%d fail=%d", what, p["ok"], p["fail"], c["ok"], c["fail"])
		el, ok := poll(30*time.Second, func() bool { _, _, ok := rsState(t, drainRS1); return !ok })
		if !ok {
			t.Errorf("%s: rs1 still in IPVS 30 s after its last connection closed:\n%s", what, ipvsadm(t, "-Ln"))
		} else {
			t.Logf("%s: rs1 left IPVS %v after its last connection closed", what, el.Round(100*time.Millisecond))
		}
		return max(p["fail"], c["fail"])
	}

	// 1. gokeepalived drain
	open(drainN)
	t1 := time.Now()
	cli("drain", "10.10.31.100:7/tcp", drainRS1)
	if w, _, ok := rsState(t, drainRS1); !ok || w != 0 {
		t.Fatalf("drain answered, rs1 weight %d present %v: want 0 at once\n%s", w, ok, ipvsadm(t, "-Ln"))
	}
	t.Logf("drain: weight 0 %v after the command started", time.Since(t1).Round(time.Millisecond))
	newGoToRS2("drain")
	var st struct {
		RealServers []struct {
			RS               string
			Draining         bool
			DrainConnections int
		} `json:"real_servers"`
	}
	if _, ok := poll(10*time.Second, func() bool {
		json.Unmarshal([]byte(cli("status")), &st)
		for _, r := range st.RealServers {
			if r.RS == drainRS1 && r.Draining && r.DrainConnections >= drainN {
				return true
			}
		}
		return false
	}); !ok {
		t.Errorf("status does not show rs1 draining with %d connections: %+v", drainN, st)
	}
	resetCLI := drained("drain")
	cli("undrain", "10.10.31.100:7", drainRS1)
	waitBoth()

	// 2. drain --timeout: rs1 leaves IPVS at the timeout, connections open.
	open(5)
	cli("drain", "--timeout", "4s", "10.10.31.100:7", drainRS1)
	t2 := time.Now()
	el, ok := poll(30*time.Second, func() bool { _, _, ok := rsState(t, drainRS1); return !ok })
	if !ok || el < 3*time.Second {
		t.Errorf("drain --timeout 4s: rs1 left IPVS after %v (left: %v), want at the timeout", el, ok)
	}
	t.Logf("drain --timeout 4s: rs1 left IPVS %v after the drain with 5 connections open", time.Since(t2).Round(100*time.Millisecond))
	cl.do("drop rs1")
	cli("undrain", "10.10.31.100:7", drainRS1)
	waitBoth()

	reload := func(text string) {
		t.Helper()
		writeConf(t, l.dir, text)
		gk.cmd.Process.Signal(syscall.SIGHUP)
	}
	// 3. a reload removes rs1, with the drain extension
	reload(drainConfText(l.dir, true, 300))
	time.Sleep(2 * time.Second)
	waitBoth()
	open(drainN)
	reload(drainConfText(l.dir, false, 300))
	if _, ok := poll(30*time.Second, func() bool { w, _, _ := rsState(t, drainRS1); return w == 0 }); !ok {
		t.Fatalf("reload with drain: rs1 not at weight 0:\n%s", ipvsadm(t, "-Ln"))
	}
	newGoToRS2("reload with drain")
	resetReload := drained("reload with drain")

	// 4. the baseline: the same reload without the extension
	reload(drainConfText(l.dir, true, 0))
	waitBoth()
	open(drainN)
	reload(drainConfText(l.dir, false, 0))
	if _, ok := poll(30*time.Second, func() bool { _, _, ok := rsState(t, drainRS1); return !ok }); !ok {
		t.Fatalf("reload without drain: rs1 still in IPVS:\n%s", ipvsadm(t, "-Ln"))
	}
	p := counts(cl.do("ping rs1"))
	cut := p["fail"]
	t.Logf("reload without drain (keepalived's behaviour): %d of %d connections cut (ping %v)", cut, drainN, p)
	cl.do("drop rs1")
	cl.do("close rs2")

	if resetCLI != 0 || resetReload != 0 {
		t.Errorf("connections reset: %d by the drain, %d by the reload with drain; want 0", resetCLI, resetReload)
	}
	gk.term()
	fmt.Printf("FIGURE drain: reset=%d/%d (cli) reset=%d/%d (reload) baseline-reload-cut=%d/%d\n",
		resetCLI, drainN, resetReload, drainN, cut, drainN)
	t.Logf("TestScaleOutDrain took %v", time.Since(t0).Round(time.Second))
}
