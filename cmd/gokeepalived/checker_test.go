package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsadm"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
)

// fakeHandle is the in-memory IPVS with the extra calls the subsystem
// makes, and a count of kernel dumps.
type fakeHandle struct {
	*ipvsfake.Fake
	dumps atomic.Int32
}

func (f *fakeHandle) Services() ([]ipvs.ServiceEntry, error) {
	f.dumps.Add(1)
	return f.Fake.Services()
}
func (f *fakeHandle) Close() error { return nil }

// healthServer answers /health.cgi with a status the test sets.
type healthServer struct {
	addr   string
	status atomic.Int32
	srv    *http.Server
}

func newHealthServer(t *testing.T, ip string) *healthServer {
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	h := &healthServer{addr: ln.Addr().String()}
	h.status.Store(200)
	h.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(h.status.Load()))
		io.WriteString(w, "ok\n")
	})}
	go h.srv.Serve(ln)
	t.Cleanup(func() { h.srv.Close() })
	return h
}

func listing(t *testing.T, f *ipvsfake.Fake) string {
	t.Helper()
	var b strings.Builder
	info, svcs, err := ipvsadm.Snapshot(f)
	if err == nil {
		err = ipvsadm.List(&b, info, svcs, ipvsadm.Options{})
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func waitListing(t *testing.T, f *ipvsfake.Fake, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(listing(t, f), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in:\n%s", want, listing(t, f))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCheckerSubsystem runs the walkthrough (lc, NAT, HTTP_GET,
// inhibit_on_failure) against real HTTP servers and the fake IPVS: the
// start-up table, a failing server at weight 0, recovery, a reload that
// changes one weight, and the table removed at stop.
func TestCheckerSubsystem(t *testing.T) {
	a := newHealthServer(t, "127.0.0.1")
	b := newHealthServer(t, "127.0.0.1")
	_, pa, _ := net.SplitHostPort(a.addr)
	_, pb, _ := net.SplitHostPort(b.addr)
	text := func(weightB int) string {
		return fmt.Sprintf(`virtual_server 10.10.31.100 80 {
  delay_loop 1
  lb_algo lc
  lb_kind NAT
  protocol TCP
  real_server 127.0.0.1 %s {
    weight 1
    inhibit_on_failure
    HTTP_GET {
      url { path /health.cgi
        status_code 200 }
      connect_timeout 1
      retry 0
    }
  }
  real_server 127.0.0.2 %s {
    weight %d
    inhibit_on_failure
    HTTP_GET {
      url { path /health.cgi
        status_code 200 }
      connect_port %s
      connect_ip 127.0.0.1
      connect_timeout 1
      retry 0
    }
  }
}
`, pa, pb, weightB, pb)
	}
	load := func(s string) *conf.Config {
		cfg, diags := loadString(t, s)
		if diags.ExitCode() != 0 {
			t.Fatalf("config: %v", diags.List)
		}
		return cfg
	}
	fake := &fakeHandle{Fake: ipvsfake.New()}
	var logb syncWriter
	c := newChecker(daemon.NewLogger(daemon.LogOptions{Console: &logb}), options{}, func() (ipvsHandle, error) { return fake, nil })
	c.resyncEvery = time.Hour // this test counts kernel dumps
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := c.Start(ctx, load(text(1))); err != nil {
		t.Fatal(err)
	}
	rsA := "127.0.0.1:" + pa
	rsB := "127.0.0.2:" + pb
	want := "TCP  10.10.31.100:80 lc\n  -> " + rsA
	waitListing(t, fake.Fake, want)
	waitListing(t, fake.Fake, fmt.Sprintf("  -> %-28s Masq    1", rsB))

	b.status.Store(500)
	waitListing(t, fake.Fake, fmt.Sprintf("  -> %-28s Masq    0", rsB))
	// keepalived 2.2.7's wording (check_http.c, ipwrapper.c).
	for _, w := range []string{"HTTP_CHECK on service [127.0.0.2]:tcp:" + pb + " failed.",
		"Disabling service [127.0.0.2]:tcp:" + pb + " of VS [10.10.31.100]:tcp:80"} {
		if !strings.Contains(logb.String(), w) {
			t.Errorf("no %q in log:\n%s", w, logb.String())
		}
	}
	b.status.Store(200)
	waitListing(t, fake.Fake, fmt.Sprintf("  -> %-28s Masq    1", rsB))

	// Reload with B's weight 3: one SET_DEST, no re-add, no kernel dump.
	fake.ResetCalls()
	dumps := fake.dumps.Load()
	if err := c.Reload(ctx, load(text(3))); err != nil {
		t.Fatal(err)
	}
	waitListing(t, fake.Fake, fmt.Sprintf("  -> %-28s Masq    3", rsB))
	if calls := fake.Calls(); len(calls) != 1 || calls[0].Op != "set-dest" {
		t.Errorf("reload issued %v, want one set-dest", calls)
	}
	if fake.dumps.Load() != dumps {
		t.Errorf("reload dumped the kernel table")
	}
	if rs := c.RealServers(); len(rs) != 2 {
		t.Errorf("RealServers = %v", rs)
	}

	if err := c.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := listing(t, fake.Fake); strings.Contains(got, "10.10.31.100") {
		t.Errorf("service left after stop:\n%s", got)
	}
}

// TestCheckerAdoptsAndKeepsWithI: a restart adopts the kernel's entries
// (no operation when they match), and -I leaves them at stop.
func TestCheckerAdoptsAndKeepsWithI(t *testing.T) {
	a := newHealthServer(t, "127.0.0.1")
	host, port, _ := net.SplitHostPort(a.addr)
	text := fmt.Sprintf("virtual_server 10.0.0.1 80 {\n lb_algo rr\n lb_kind NAT\n protocol TCP\n real_server %s %s {\n weight 2\n TCP_CHECK {\n connect_timeout 1\n }\n }\n}\n", host, port)
	cfg, diags := loadString(t, text)
	if diags.ExitCode() != 0 {
		t.Fatal(diags.List)
	}
	fake := &fakeHandle{Fake: ipvsfake.New()}
	// A service of someone else's, which must survive.
	other := ipvs.Service{ServiceKey: ipvs.ServiceKey{Family: ipvs.IPv4, Protocol: ipvs.TCP, Addr: mustAddr("10.9.9.9"), Port: 443}, Scheduler: "wlc"}
	fake.NewService(other)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logb syncWriter
	log := daemon.NewLogger(daemon.LogOptions{Console: &logb})
	first := newChecker(log, options{keepIPVS: true}, func() (ipvsHandle, error) { return fake, nil })
	if err := first.Start(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	waitListing(t, fake.Fake, fmt.Sprintf("  -> %-28s Masq    2", a.addr))
	first.Stop(ctx)
	before := listing(t, fake.Fake)
	if !strings.Contains(before, "10.0.0.1:80") {
		t.Fatalf("-I removed the service:\n%s", before)
	}
	fake.ResetCalls()
	second := newChecker(log, options{}, func() (ipvsHandle, error) { return fake, nil })
	if err := second.Start(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if calls := fake.Calls(); len(calls) != 0 {
		t.Errorf("adoption issued %v, want nothing", calls)
	}
	second.Stop(ctx)
	after := listing(t, fake.Fake)
	if strings.Contains(after, "10.0.0.1:80") || !strings.Contains(after, "10.9.9.9:443") {
		t.Errorf("stop without -I must remove ours and only ours:\n%s", after)
	}
}

func loadString(t testing.TB, text string) (*conf.Config, *conf.Diagnostics) {
	t.Helper()
	p := t.TempDir() + "/keepalived.conf"
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return conf.Load(p, conf.Options{ConfigID: "test"})
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

func mustPort(s string) uint16 {
	p, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return uint16(p)
}

// syncWriter is a log sink shared by the subsystem's goroutines.
type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestCheckerRepairsDrift: a real server deleted and a weight changed
// behind our back (ipvsadm) are put back within one delay_loop, with a
// log line saying so; someone else's service is left alone.
func TestCheckerRepairsDrift(t *testing.T) {
	a := newHealthServer(t, "127.0.0.1")
	b := newHealthServer(t, "127.0.0.1")
	ha, pa, _ := net.SplitHostPort(a.addr)
	hb, pb, _ := net.SplitHostPort(b.addr)
	text := fmt.Sprintf("virtual_server 10.0.0.1 80 {\n delay_loop 1\n lb_algo rr\n lb_kind NAT\n protocol TCP\n"+
		" real_server %s %s {\n weight 2\n TCP_CHECK {\n connect_timeout 1\n }\n }\n"+
		" real_server %s %s {\n weight 3\n TCP_CHECK {\n connect_timeout 1\n }\n }\n}\n", ha, pa, hb, pb)
	cfg, diags := loadString(t, text)
	if diags.ExitCode() != 0 {
		t.Fatal(diags.List)
	}
	fake := &fakeHandle{Fake: ipvsfake.New()}
	other := ipvs.Service{ServiceKey: ipvs.ServiceKey{Family: ipvs.IPv4, Protocol: ipvs.TCP, Addr: mustAddr("10.9.9.9"), Port: 443}, Scheduler: "wlc"}
	fake.NewService(other)
	var logb syncWriter
	log := daemon.NewLogger(daemon.LogOptions{Console: &logb})
	c := newChecker(log, options{}, func() (ipvsHandle, error) { return fake, nil })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := c.Start(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	rsA, rsB := fmt.Sprintf("  -> %-28s Masq    2", a.addr), fmt.Sprintf("  -> %-28s Masq    3", b.addr)
	waitListing(t, fake.Fake, rsA)
	waitListing(t, fake.Fake, rsB)

	svc := ipvs.ServiceKey{Family: ipvs.IPv4, Protocol: ipvs.TCP, Addr: mustAddr("10.0.0.1"), Port: 80}
	if err := fake.DelDestination(svc, ipvs.DestKey{Addr: mustAddr(ha), Port: mustPort(pa)}); err != nil {
		t.Fatal(err)
	}
	if err := fake.SetDestination(svc, ipvs.Destination{Addr: mustAddr(hb), Port: mustPort(pb), Weight: 9, Fwd: ipvs.Masq}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	waitListing(t, fake.Fake, rsA)
	waitListing(t, fake.Fake, rsB)
	t.Logf("drift repaired %v after it was made (delay_loop 1 s)", time.Since(start).Round(time.Millisecond))
	daemon.FlushLog(log)
	if !strings.Contains(logb.String(), "IPVS: the kernel table had drifted from ours: 2 operation(s) to repair it") {
		t.Errorf("no drift line in:\n%s", logb.String())
	}
	if !strings.Contains(listing(t, fake.Fake), "10.9.9.9:443") {
		t.Error("someone else's service was removed")
	}
}

// TestCheckerStopFlushOnStop stops the subsystem under each
// lvs_flush_on_stop with a foreign service in the table: default and VS
// delete only ours (VS with one DEL_SERVICE per service, no DEL_DEST),
// FULL flushes the foreign one too.
func TestCheckerStopFlushOnStop(t *testing.T) {
	a := newHealthServer(t, "127.0.0.1")
	b := newHealthServer(t, "127.0.0.1")
	for _, tc := range []struct {
		kw, ops string
		foreign bool
	}{
		{"", "del-dest del-dest del-service", true},
		{" lvs_flush_on_stop VS\n", "del-service", true},
		{" lvs_flush_on_stop\n", "flush", false},
	} {
		cfg, diags := loadString(t, planConf(tc.kw, a.addr, "1", b.addr, "1"))
		if diags.ExitCode() != 0 {
			t.Fatalf("config: %v", diags.List)
		}
		fake := &fakeHandle{Fake: ipvsfake.New()}
		foreign := ipvs.Service{ServiceKey: ipvs.ServiceKey{Family: ipvs.IPv4, Protocol: ipvs.TCP, Addr: netip.MustParseAddr("10.0.0.9"), Port: 81}, Scheduler: "rr"}
		if err := fake.NewService(foreign); err != nil {
			t.Fatal(err)
		}
		var logb syncWriter
		log := daemon.NewLogger(daemon.LogOptions{Console: &logb})
		c := newChecker(log, options{}, func() (ipvsHandle, error) { return fake, nil })
		ctx, cancel := context.WithCancel(context.Background())
		if err := c.Start(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		waitListing(t, fake.Fake, fmt.Sprintf("  -> %-28s Masq    1", b.addr))
		fake.ResetCalls()
		c.Stop(ctx)
		cancel()
		var ops []string
		for _, call := range fake.Calls() {
			ops = append(ops, call.Op)
		}
		if strings.Join(ops, " ") != tc.ops {
			t.Errorf("%q: stop issued %q, want %q", tc.kw, ops, tc.ops)
		}
		l := listing(t, fake.Fake)
		if strings.Contains(l, "10.0.0.1:80") || strings.Contains(l, "10.0.0.9:81") != tc.foreign {
			t.Errorf("%q: after stop:\n%s", tc.kw, l)
		}
		daemon.FlushLog(log)
		if got := strings.Contains(logb.String(), "Shutting down service"); got != (tc.kw == "") {
			t.Errorf("%q: 'Shutting down service' lines logged: %v\n%s", tc.kw, got, logb.String())
		}
	}
}

// TestCheckerResyncIsNotDrift: a change the engine has made but not yet
// handed to IPVS when the resync tick comes (its OnChange waits, as on a
// busy CPU) is applied as a change, not logged as drift: the resync used
// to diff the engine's table against the kernel directly and called a
// burst of real server failures "the kernel table had drifted".
func TestCheckerResyncIsNotDrift(t *testing.T) {
	a := newHealthServer(t, "127.0.0.1")
	ha, pa, _ := net.SplitHostPort(a.addr)
	text := fmt.Sprintf("virtual_server 10.0.0.1 80 {\n delay_loop 1\n lb_algo rr\n lb_kind NAT\n protocol TCP\n"+
		" real_server %s %s {\n weight 2\n HTTP_GET {\n url {\n path /\n status_code 200\n }\n connect_timeout 1\n retry 0\n }\n }\n}\n", ha, pa)
	cfg, diags := loadString(t, text)
	if diags.ExitCode() != 0 {
		t.Fatal(diags.List)
	}
	fake := &fakeHandle{Fake: ipvsfake.New()}
	var logb syncWriter
	log := daemon.NewLogger(daemon.LogOptions{Console: &logb})
	c := newChecker(log, options{}, func() (ipvsHandle, error) { return fake, nil })
	c.resyncEvery = time.Hour // the test ticks
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := c.Start(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	rsA := fmt.Sprintf("  -> %-28s Masq    2", a.addr)
	waitListing(t, fake.Fake, rsA)

	c.syncMu.Lock() // OnChange's sync waits
	a.status.Store(500)
	deadline := time.Now().Add(10 * time.Second)
	for len(c.eng.Table()[0].Dests) != 0 {
		if time.Now().After(deadline) {
			c.syncMu.Unlock()
			t.Fatal("the failure was not seen")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ops := c.resyncLocked()
	c.syncMu.Unlock()
	if len(ops) != 0 {
		t.Errorf("the resync repaired %d operation(s) of drift, want 0 (the failure is a change): %v", len(ops), ops)
	}
	if strings.Contains(listing(t, fake.Fake), a.addr) {
		t.Errorf("the failed real server is still in the table:\n%s", listing(t, fake.Fake))
	}
}
