package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
)

// planConf is a NAT service of TCP_CHECKed real servers: addr -> weight.
func planConf(extra string, rs ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global_defs {\n%s}\nvirtual_server 10.0.0.1 80 {\n lb_algo rr\n lb_kind NAT\n protocol TCP\n", extra)
	for i := 0; i+1 < len(rs); i += 2 {
		host, port, _ := net.SplitHostPort(rs[i])
		fmt.Fprintf(&b, " real_server %s %s {\n  weight %s\n  TCP_CHECK {\n   connect_timeout 1\n  }\n }\n", host, port, rs[i+1])
	}
	b.WriteString("}\n")
	return b.String()
}

// The checker's reload plan is the operations the reload then applies,
// and planning applies nothing.
func TestCheckerPlanReload(t *testing.T) {
	a := newHealthServer(t, "127.0.0.1")
	b := newHealthServer(t, "127.0.0.1")
	c3 := newHealthServer(t, "127.0.0.1")
	load := func(s string) *conf.Config {
		cfg, diags := loadString(t, s)
		if diags.ExitCode() != 0 {
			t.Fatalf("config: %v", diags.List)
		}
		return cfg
	}
	fake := &fakeHandle{Fake: ipvsfake.New()}
	var logb syncWriter
	log := daemon.NewLogger(daemon.LogOptions{Console: &logb})
	c := newChecker(log, options{}, func() (ipvsHandle, error) { return fake, nil })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := c.Start(ctx, load(planConf("", a.addr, "1", b.addr, "1"))); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(ctx)
	waitListing(t, fake.Fake, fmt.Sprintf("  -> %-28s Masq    1", b.addr))
	startOps := c.IPVSOperations()
	if startOps != 3 {
		t.Errorf("start-up applied %d operations, want 3 (service + 2 destinations)", startOps)
	}

	fake.ResetCalls()
	before := listing(t, fake.Fake)
	next := load(planConf("", a.addr, "1", b.addr, "3", c3.addr, "2"))
	got, err := c.PlanReload(next, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ipvsadm -e -t 10.0.0.1:80 -r " + b.addr + " -m -w 3",
		"ipvsadm -a -t 10.0.0.1:80 -r " + c3.addr + " -m -w 2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("plan:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if calls := fake.Calls(); len(calls) != 0 || listing(t, fake.Fake) != before {
		t.Fatalf("planning changed IPVS: %v", calls)
	}
	daemon.FlushLog(log)
	if n := strings.Count(logb.String(), "Activating healthchecker"); n != 2 {
		t.Errorf("planning logged the new engine's lines:\n%s", logb.String())
	}

	if err := c.Reload(ctx, next); err != nil {
		t.Fatal(err)
	}
	calls := fake.Calls()
	if len(calls) != 2 || calls[0].Op != "set-dest" || calls[0].Dest.String() != b.addr ||
		calls[1].Op != "new-dest" || calls[1].Dest.String() != c3.addr {
		t.Errorf("reload issued %v, want the planned set-dest and new-dest", calls)
	}
	if n := c.IPVSOperations() - startOps; n != 2 {
		t.Errorf("IPVSOperations grew by %d, want 2", n)
	}
	daemon.FlushLog(log)
	for _, w := range append([]string{"IPVS: 2 operation(s) at reload"}, "IPVS: "+want[0], "IPVS: "+want[1]) {
		if !strings.Contains(logb.String(), w) {
			t.Errorf("log lacks %q:\n%s", w, logb.String())
		}
	}

	// A reload that stops the subsystem: ours deleted, unless -I; a
	// FULL lvs_flush_on_stop flushes.
	got, _ = c.PlanReload(next, true)
	if len(got) != 4 || got[3] != "ipvsadm -D -t 10.0.0.1:80" || !strings.HasPrefix(got[0], "ipvsadm -d -t 10.0.0.1:80 -r ") {
		t.Errorf("stop plan: %q", got)
	}
	c.keepIPVS = true
	if got, _ = c.PlanReload(next, true); len(got) != 0 {
		t.Errorf("stop plan with -I: %q", got)
	}
	c.keepIPVS = false
	c.cfg = load(planConf(" lvs_flush_on_stop\n", a.addr, "1"))
	if got, _ = c.PlanReload(next, true); strings.Join(got, ",") != "ipvsadm -C" {
		t.Errorf("stop plan with lvs_flush_on_stop (FULL): %q", got)
	}
	c.cfg = load(planConf(" lvs_flush_on_stop VS\n", a.addr, "1"))
	if got, _ = c.PlanReload(next, true); strings.Join(got, ",") != "ipvsadm -D -t 10.0.0.1:80" {
		t.Errorf("stop plan with lvs_flush_on_stop VS: %q", got)
	}
	c.cfg = next
	if calls := fake.Calls(); len(calls) != 2 {
		t.Errorf("stop planning changed IPVS: %v", calls)
	}
}

// Planning while checks run reads the live engine's state; run with
// -race this shows it does so under the engine's lock.
func TestCheckerPlanWhileChecking(t *testing.T) {
	a := newHealthServer(t, "127.0.0.1")
	text := strings.Replace(planConf("", a.addr, "1"), " lb_algo rr\n", " delay_loop 1\n lb_algo rr\n", 1)
	cfg, diags := loadString(t, text)
	if diags.ExitCode() != 0 {
		t.Fatal(diags.List)
	}
	fake := &fakeHandle{Fake: ipvsfake.New()}
	c := newChecker(daemon.NewLogger(daemon.LogOptions{Console: &syncWriter{}}), options{}, func() (ipvsHandle, error) { return fake, nil })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := c.Start(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(ctx)
	for end := time.Now().Add(2500 * time.Millisecond); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if got, err := c.PlanReload(cfg, false); err != nil || len(got) != 0 {
			t.Fatalf("plan of the running config: %q, %v", got, err)
		}
	}
	if c.eng.Checks() == 0 {
		t.Error("no check ran while planning")
	}
}
