package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/control"
	"github.com/gokeepalived/gokeepalived/internal/dumps"
	"github.com/gokeepalived/gokeepalived/internal/metrics"
	"github.com/gokeepalived/gokeepalived/ipvs"
	"golang.org/x/sys/unix"
)

// fakeSub is a VRRP subsystem that records what the daemon asked of it.
// It reports one MASTER instance, VI_1, whose sent adverts count from
// zero again once its stats are cleared.
type fakeSub struct {
	mu       sync.Mutex
	calls    []string
	startErr error
	cleared  bool
}

func (f *fakeSub) record(s string) {
	f.mu.Lock()
	f.calls = append(f.calls, s)
	f.mu.Unlock()
}

func (f *fakeSub) Calls() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.calls, ",")
}

func (f *fakeSub) Start(_ context.Context, c *conf.Config) error {
	f.record(fmt.Sprintf("start:%s", c.Global.RouterID))
	return f.startErr
}

func (f *fakeSub) Reload(_ context.Context, c *conf.Config) error {
	f.record(fmt.Sprintf("reload:%s", c.Global.RouterID))
	return nil
}

func (f *fakeSub) Stop(context.Context) error { f.record("stop"); return nil }

func (f *fakeSub) PlanReload(*conf.Config, bool) ([]string, error) { return nil, nil }

func (f *fakeSub) Instances() []dumps.Instance {
	f.mu.Lock()
	defer f.mu.Unlock()
	sent := uint64(9)
	if f.cleared {
		sent = 0
	}
	return []dumps.Instance{{Name: "VI_1", Interface: "eth0", VRID: 51, Version: 2, State: dumps.StateMaster,
		BasePriority: 100, EffectivePriority: 90, VIPs: []string{"10.9.9.9 dev eth0 scope global set"},
		Stats: dumps.Stats{AdvertSent: sent}}}
}

func (f *fakeSub) Scripts() []dumps.Script            { return nil }
func (f *fakeSub) SocketDrops() []metrics.SocketDrops { return nil }
func (f *fakeSub) ClearStats()                        { f.mu.Lock(); f.cleared = true; f.mu.Unlock() }
func (f *fakeSub) Ping(context.Context) error         { return nil }

// fakeChecker is a checker subsystem with one real server.
type fakeChecker struct{}

func (fakeChecker) Start(context.Context, *conf.Config) error       { return nil }
func (fakeChecker) Reload(context.Context, *conf.Config) error      { return nil }
func (fakeChecker) Stop(context.Context) error                      { return nil }
func (fakeChecker) PlanReload(*conf.Config, bool) ([]string, error) { return nil, nil }
func (fakeChecker) IPVSOperations() uint64                          { return 7 }
func (fakeChecker) IPVSTable() ([]metrics.IPVSService, error)       { return nil, errors.New("no IPVS") }
func (fakeChecker) WriteData(w io.Writer)                           { fmt.Fprintln(w, "data of checker") }

// IPVSSyncDaemons: the kernel runs a master sync daemon.
func (fakeChecker) IPVSSyncDaemons() ([]ipvs.SyncDaemon, bool) {
	return []ipvs.SyncDaemon{{State: ipvs.SyncMaster, Interface: "eth2", SyncID: 77, MaxLen: 1472, Port: 8848, TTL: 1,
		Group: netip.MustParseAddr("224.0.0.81")}}, true
}
func (fakeChecker) RealServers() []metrics.RealServer {
	return []metrics.RealServer{{VS: "10.10.31.100:80/tcp", RS: "192.168.31.101:80", Up: true, Weight: 1}}
}

// vrrpOnly runs sub as the VRRP subsystem, with pidfile pid.
func vrrpOnly(sub VRRP, pid string) Units {
	return Units{VRRP: VRRPUnit{PidFile: pid, New: func(*slog.Logger) (VRRP, error) { return sub, nil }}}
}

// syncBuf is a log sink safe for the daemon goroutine and the test.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type harness struct {
	t      *testing.T
	dir    string
	conf   string
	sigs   chan os.Signal
	done   chan int
	log    *syncBuf
	sub    *fakeSub
	states chan string
}

const goodConf = "global_defs {\n router_id %s\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n priority 100\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n"

func start(t *testing.T, sub *fakeSub) *harness {
	t.Helper()
	return startConf(t, sub, fmt.Sprintf(goodConf, "R1"))
}

// startConf is start with the configuration text.
func startConf(t *testing.T, sub *fakeSub, text string) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), sigs: make(chan os.Signal, 1), done: make(chan int, 1),
		log: &syncBuf{}, sub: sub, states: make(chan string, 16)}
	h.conf = filepath.Join(h.dir, "keepalived.conf")
	h.write(text)
	o := Options{
		ConfigFile: h.conf,
		Load: func(p string) (*conf.Config, *conf.Diagnostics) {
			return conf.Load(p, conf.Options{ConfigID: "t", InterfaceExists: func(string) bool { return true }})
		},
		PidFile: filepath.Join(h.dir, "keepalived.pid"),
		Units:   vrrpOnly(sub, filepath.Join(h.dir, "keepalived_vrrp.pid")),
		TmpDir:  h.dir,
		Version: "test",
		Args:    []string{"gokeepalived", "-n"},
		Log:     NewLogger(LogOptions{Console: h.log}),
		Notify:  func(s string) { h.states <- s },
	}
	go func() { h.done <- Run(context.Background(), o, h.sigs) }()
	h.waitLog("Startup complete")
	return h
}

func (h *harness) write(text string) {
	if err := os.WriteFile(h.conf, []byte(text), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) waitLog(s string) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(h.log.String(), s) {
		if time.Now().After(deadline) {
			h.t.Fatalf("no %q in log:\n%s", s, h.log.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// signal sends sig and waits until the daemon has handled it: the next
// log line it writes for sig is want.
func (h *harness) signal(sig os.Signal, want string) {
	h.t.Helper()
	n := strings.Count(h.log.String(), want)
	h.sigs <- sig
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(h.log.String(), want) == n {
		if time.Now().After(deadline) {
			h.t.Fatalf("after %v no new %q in log:\n%s", sig, want, h.log.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (h *harness) stop() int {
	h.t.Helper()
	h.sigs <- syscall.SIGTERM
	select {
	case rc := <-h.done:
		return rc
	case <-time.After(5 * time.Second):
		h.t.Fatal("daemon did not stop")
		return -1
	}
}

func TestStartStopLinesPidfilesAndNotify(t *testing.T) {
	sub := &fakeSub{}
	h := start(t, sub)
	for _, f := range []string{"keepalived.pid", "keepalived_vrrp.pid"} {
		b, err := os.ReadFile(filepath.Join(h.dir, f))
		if err != nil || string(b) != fmt.Sprintf("%d\n", os.Getpid()) {
			t.Errorf("%s = %q, %v; want our pid", f, b, err)
		}
	}
	if got := <-h.states; got != "READY=1" {
		t.Errorf("first notify = %q", got)
	}
	if rc := h.stop(); rc != 0 {
		t.Errorf("rc = %d", rc)
	}
	if got := sub.Calls(); got != "start:R1,stop" {
		t.Errorf("calls = %s", got)
	}
	if got := <-h.states; got != "STOPPING=1" {
		t.Errorf("notify at stop = %q", got)
	}
	for _, f := range []string{"keepalived.pid", "keepalived_vrrp.pid"} {
		if _, err := os.Stat(filepath.Join(h.dir, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind: %v", f, err)
		}
	}
	log := h.log.String()
	// keepalived's wording, in its order, each line "Day Mon dd hh:mm:ss yyyy: ".
	want := []string{"Starting Keepalived v2.2.7 (gokeepalived test)", "Command line: 'gokeepalived' '-n'",
		"Opening file '" + h.conf + "'.", "Startup complete", "Stopping", "Stopped", "Stopped Keepalived v2.2.7"}
	at := 0
	for _, w := range want {
		i := strings.Index(log[at:], w)
		if i < 0 {
			t.Fatalf("missing or out of order %q in:\n%s", w, log)
		}
		at += i + len(w)
	}
	first := strings.SplitN(log, "\n", 2)[0]
	if _, err := time.Parse("Mon Jan _2 15:04:05 2006", strings.SplitN(first, ": ", 2)[0]); err != nil {
		t.Errorf("console line has no keepalived time stamp: %q", first)
	}
}

func TestReloadAppliesGoodConfigAndKeepsOldOnBroken(t *testing.T) {
	sub := &fakeSub{}
	h := start(t, sub)
	h.write(fmt.Sprintf(goodConf, "R2"))
	h.signal(syscall.SIGHUP, "Reload complete")
	// A missing brace and an out-of-range VRID: errors, so nothing moves.
	h.write("global_defs {\n router_id R3\n\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 300\n}\n")
	h.signal(syscall.SIGHUP, "keeping the running configuration")
	log := h.log.String()
	if !strings.Contains(log, h.conf+":") {
		t.Errorf("broken reload logged no file:line position:\n%s", log)
	}
	h.stop()
	if got := sub.Calls(); got != "start:R1,reload:R2,stop" {
		t.Errorf("calls = %s (the broken config must not reach the subsystem)", got)
	}
}

func TestReloadStartsAndStopsUnitsByConfig(t *testing.T) {
	sub := &fakeSub{}
	h := start(t, sub)
	h.write("global_defs {\n router_id R2\n}\n")
	h.signal(syscall.SIGHUP, "Reload complete")
	h.write(fmt.Sprintf(goodConf, "R3"))
	h.signal(syscall.SIGHUP, "Reload complete")
	h.stop()
	if got := sub.Calls(); got != "start:R1,stop,start:R3,stop" {
		t.Errorf("calls = %s", got)
	}
}

func TestDumpFiles(t *testing.T) {
	sub := &fakeSub{}
	h := start(t, sub)
	h.signal(syscall.SIGUSR1, "Printing VRRP data for process")
	h.signal(syscall.SIGUSR2, "Printing VRRP stats")
	h.signal(SigStatsClear, "Printing VRRP stats")
	h.signal(syscall.SIGUSR2, "Printing VRRP stats")
	h.signal(SigJSON, "Printing VRRP as json")
	h.stop()
	read := func(name string) string {
		p := filepath.Join(h.dir, name)
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600 as keepalived", name, st.Mode().Perm())
		}
		b, _ := os.ReadFile(p)
		return string(b)
	}
	if s := read("keepalived_parent.data"); !strings.Contains(s, "------< Global definitions >------") || !strings.Contains(s, "router_id = R1") {
		t.Errorf("parent data:\n%s", s)
	}
	if s := read("keepalived.data"); !strings.Contains(s, " VRRP Instance = VI_1\n") {
		t.Errorf("vrrp data = %q", s)
	}
	// USR2, clear, USR2: the third dump counts from zero again.
	if s := read("keepalived.stats"); !strings.Contains(s, "VRRP Instance: VI_1\n  Advertisements:\n    Received: 0\n    Sent: 0\n") {
		t.Errorf("stats after clear = %q", s)
	}
	var j []map[string]map[string]any
	if err := json.Unmarshal([]byte(read("keepalived.json")), &j); err != nil || j[0]["data"]["iname"] != "VI_1" {
		t.Errorf("json dump: %v %v", j, err)
	}
	left, _ := filepath.Glob(filepath.Join(h.dir, ".keepalived*"))
	if len(left) > 0 {
		t.Errorf("temporary dump files left: %v", left)
	}
}

func TestStartFailureIsFatal(t *testing.T) {
	sub := &fakeSub{startErr: errors.New("IPVS: Can't initialize ipvs")}
	dir := t.TempDir()
	cf := filepath.Join(dir, "k.conf")
	os.WriteFile(cf, []byte(fmt.Sprintf(goodConf, "R1")), 0o644)
	var log syncBuf
	rc := Run(context.Background(), Options{
		ConfigFile: cf,
		Load:       func(p string) (*conf.Config, *conf.Diagnostics) { return conf.Load(p, conf.Options{ConfigID: "t"}) },
		Units:      vrrpOnly(sub, ""),
		TmpDir:     dir,
		Log:        NewLogger(LogOptions{Console: &log}),
	}, nil)
	if rc != ExitFatal || !strings.Contains(log.String(), "Can't initialize ipvs. Terminating") {
		t.Errorf("rc %d, log:\n%s", rc, log.String())
	}
}

// TestPidfiles: a pidfile locked by another process means a daemon runs
// (exit 0, as keepalived); one naming a live process that is not a
// keepalived (a reused pid) or a dead one is stale and replaced; a
// symlink at the pidfile's path is not followed and stops the start.
func TestPidfiles(t *testing.T) {
	dir := t.TempDir()
	pf := filepath.Join(dir, "keepalived.pid")
	var log syncBuf
	o := Options{
		ConfigFile: filepath.Join(dir, "missing.conf"),
		Load:       func(p string) (*conf.Config, *conf.Diagnostics) { return conf.Load(p, conf.Options{ConfigID: "t"}) },
		PidFile:    pf, TmpDir: dir,
		Log: NewLogger(LogOptions{Console: &log}),
	}
	startStop := func() {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int)
		n := strings.Count(log.String(), "Startup complete")
		go func() { done <- Run(ctx, o, nil) }()
		deadline := time.Now().Add(5 * time.Second)
		for strings.Count(log.String(), "Startup complete") == n {
			if time.Now().After(deadline) {
				t.Fatalf("did not start:\n%s", log.String())
			}
			time.Sleep(2 * time.Millisecond)
		}
		if b, _ := os.ReadFile(pf); strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
			t.Errorf("pidfile holds %q while running", b)
		}
		cancel()
		<-done
	}

	// Locked by another holder: a daemon runs.
	holder, err := os.OpenFile(pf, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	// keepalived's lock (2.3.2 and later): F_OFD_SETLK on the whole file
	lk := unix.Flock_t{Type: unix.F_WRLCK}
	if err := unix.FcntlFlock(holder.Fd(), unix.F_OFD_SETLK, &lk); err != nil {
		t.Fatal(err)
	}
	holder.WriteString("4194304\n")
	if rc := Run(context.Background(), o, nil); rc != 0 || !strings.Contains(log.String(), "Another process has pid file "+pf+" locked") ||
		!strings.Contains(log.String(), "daemon is already running") {
		t.Fatalf("locked pidfile: rc %d log:\n%s", rc, log.String())
	}
	holder.Close()

	// A live process that is not a keepalived (our parent, the go tool or
	// a shell): its pid was reused, the file is stale.
	os.WriteFile(pf, fmt.Appendf(nil, "%d\n", os.Getppid()), 0o644)
	startStop()
	if !strings.Contains(log.String(), "Remove a zombie pid file "+pf) {
		t.Errorf("reused pid not taken as stale:\n%s", log.String())
	}
	if _, err := os.Stat(pf); !os.IsNotExist(err) {
		t.Errorf("pidfile left after stop: %v", err)
	}

	// A pid that cannot be alive.
	os.WriteFile(pf, []byte("4194304\n"), 0o644)
	startStop()

	// A symlink planted at the path is not followed.
	target := filepath.Join(dir, "target")
	os.WriteFile(target, []byte("precious\n"), 0o644)
	os.Symlink(target, pf)
	if rc := Run(context.Background(), o, nil); rc != ExitFatal || !strings.Contains(log.String(), "Cannot open "+pf+" pidfile") {
		t.Errorf("symlinked pidfile: rc %d log:\n%s", rc, log.String())
	}
	if b, _ := os.ReadFile(target); string(b) != "precious\n" {
		t.Errorf("the symlink's target was written: %q", b)
	}
}

func TestParseFacility(t *testing.T) {
	for in, want := range map[string]int{"0": 16 << 3, "7": 23 << 3, "local3": 19 << 3, "daemon": 3 << 3, "user": 1 << 3} {
		got, err := ParseFacility(in)
		if err != nil || int(got) != want {
			t.Errorf("ParseFacility(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"8", "local8", "kern", ""} {
		if _, err := ParseFacility(bad); err == nil {
			t.Errorf("ParseFacility(%q) accepted", bad)
		}
	}
}

func TestSystemdNotifier(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	SystemdNotifier()("READY=1")
	buf := make([]byte, 64)
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "READY=1" {
		t.Errorf("got %q, %v", buf[:n], err)
	}
	t.Setenv("NOTIFY_SOCKET", "")
	if SystemdNotifier() != nil {
		t.Error("notifier without NOTIFY_SOCKET")
	}
}

func TestStatusSocketMetricsAndDumpsFromStatus(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the control socket answers root only")
	}
	dir := t.TempDir()
	cf := filepath.Join(dir, "k.conf")
	os.WriteFile(cf, []byte(fmt.Sprintf(goodConf, "R1")), 0o644)
	sub := &fakeSub{}
	var log syncBuf
	sock := filepath.Join(dir, "gk.sock")
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal)
	done := make(chan int)
	go func() {
		done <- Run(ctx, Options{
			ConfigFile: cf,
			Load:       func(p string) (*conf.Config, *conf.Diagnostics) { return conf.Load(p, conf.Options{ConfigID: "t"}) },
			Units: Units{VRRP: VRRPUnit{New: func(*slog.Logger) (VRRP, error) { return sub, nil }},
				Checker: CheckerUnit{New: func(*slog.Logger) (Checker, error) { return fakeChecker{}, nil }}},
			RunAll: true, // the checker with no virtual server
			TmpDir: dir, Log: NewLogger(LogOptions{Console: &log}),
			ControlPath: sock, MetricsAddress: "127.0.0.1:0",
		}, sigs)
	}()
	defer func() { cancel(); <-done }()
	h := &harness{t: t, log: &log, sigs: sigs}
	h.waitLog("Startup complete")

	raw, err := control.Request(sock, "status")
	if err != nil {
		t.Fatal(err)
	}
	var st Status
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Instances) != 1 || st.Instances[0].State != "MASTER" || st.Instances[0].EffectivePriority != 90 ||
		len(st.RealServers) != 1 || st.RealServers[0].Weight != 1 || st.Pid != os.Getpid() ||
		len(st.SyncDaemons) != 1 || st.SyncDaemons[0] != (SyncDaemonStatus{State: "master", Interface: "eth2", SyncID: 77,
		MaxLen: 1472, Group: "224.0.0.81", Port: 8848, TTL: 1}) {
		t.Errorf("status = %s", raw)
	}

	i := strings.Index(log.String(), "Serving metrics on http://")
	addr := strings.Fields(log.String()[i:])[3]
	resp, err := http.Get(addr)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `keepalived_advertisements_sent_total{iname="VI_1",intf="eth0",vrid="51"} 9`) ||
		!strings.Contains(string(body), `gokeepalived_real_server_up{rs="192.168.31.101:80",vs="10.10.31.100:80/tcp"} 1`) ||
		!strings.Contains(string(body), "\ngokeepalived_ipvs_operations_total 7\n") || st.IPVSOperations != 7 ||
		!strings.Contains(string(body), `gokeepalived_lvs_sync_daemon{interface="eth2",state="master",syncid="77"} 1`) {
		t.Errorf("metrics:\n%s", body)
	}

	h.signal(SigStatsClear, "Printing VRRP stats")
	h.signal(syscall.SIGUSR2, "Printing VRRP stats")
	h.signal(SigJSON, "Printing VRRP as json")
	h.signal(syscall.SIGUSR1, "Printing checker data")
	// Signals are handled one at a time: once the next one is logged, the
	// data file of the last is complete.
	h.signal(SigJSON, "Printing VRRP as json")
	stats, _ := os.ReadFile(filepath.Join(dir, "keepalived.stats"))
	if !strings.Contains(string(stats), "VRRP Instance: VI_1\n  Advertisements:\n    Received: 0\n    Sent: 0\n") {
		t.Errorf("stats after clear:\n%s", stats)
	}
	js, _ := os.ReadFile(filepath.Join(dir, "keepalived.json"))
	if !strings.Contains(string(js), `"iname":"VI_1"`) {
		t.Errorf("json: %s", js)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "keepalived.data"))
	if !strings.Contains(string(data), " VRRP Instance = VI_1\n") {
		t.Errorf("data: %s", data)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "keepalived_check.data")); string(data) != "data of checker\n" {
		t.Errorf("checker data: %q", data)
	}
}

// startup_script runs to its end before the units start; shutdown_script
// after they stopped, before "Stopped"; a failing one gets keepalived's
// line (its doubled "script" included).
func TestStartupShutdownScripts(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	sh := filepath.Join(dir, "s.sh")
	// "startup" sleeps first: were it not waited for, the unit would
	// start before it writes
	os.WriteFile(sh, []byte("#!/bin/sh\n[ \"$1\" = startup ] && sleep 0.3\necho \"$1\" >> "+out+"\n[ \"$1\" = shutdown ] && exit 3\nexit 0\n"), 0o755)
	sub := &fakeSub{}
	text := fmt.Sprintf("global_defs {\n router_id R1\n startup_script \"%s startup\"\n shutdown_script \"%s shutdown\"\n}\n", sh, sh) +
		strings.SplitN(fmt.Sprintf(goodConf, "R1"), "}\n", 2)[1]
	h := startConf(t, sub, text)
	if b, _ := os.ReadFile(out); string(b) != "startup\n" {
		t.Fatalf("at start-up the script wrote %q (units: %s)", b, sub.Calls())
	}
	if rc := h.stop(); rc != 0 {
		t.Errorf("rc = %d", rc)
	}
	if b, _ := os.ReadFile(out); string(b) != "startup\nshutdown\n" {
		t.Errorf("scripts wrote %q", b)
	}
	log := h.log.String()
	at := 0
	for _, w := range []string{"Stopping", "shutdown script script failed, status 3", "Stopped Keepalived v2.2.7"} {
		i := strings.Index(log[at:], w)
		if i < 0 {
			t.Fatalf("missing or out of order %q in:\n%s", w, log)
		}
		at += i + len(w)
	}
}
