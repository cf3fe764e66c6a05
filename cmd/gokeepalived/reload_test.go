package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
	"github.com/gokeepalived/gokeepalived/vrrp"
	"net/netip"
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

func TestVRRPPlanLines(t *testing.T) {
	v := func(p string) vrrp.VIP { return vrrp.VIP{Prefix: netip.MustParsePrefix(p), Dev: "eth0"} }
	got := vrrpPlanLines([]vrrp.InstancePlan{
		{Change: vrrp.Removed, Name: "VI_2", VRID: 52, Iface: "eth0", State: "MASTER", OldPriority: 200},
		{Change: vrrp.Kept, Name: "VI_1", OldName: "VI_old", VRID: 51, Iface: "eth0", State: "MASTER", OldPriority: 150, Priority: 200,
			VIPsAdded: []vrrp.VIP{v("10.0.0.2/32")}, VIPsRemoved: []vrrp.VIP{v("10.0.0.3/32")}},
		{Change: vrrp.Kept, Name: "VI_5", VRID: 55, Iface: "eth0", State: "BACKUP", OldPriority: 100, Priority: 100,
			VIPsAdded: []vrrp.VIP{v("10.0.0.5/32")}},
		{Change: vrrp.Added, Name: "VI_3", VRID: 53, Iface: "eth1", Priority: 100},
	})
	want := []string{
		"remove VI_2 (MASTER, VRID 52 on eth0, priority 200): priority 0 sent, VIPs removed",
		"keep VI_1 (MASTER, VRID 51 on eth0, priority 150 -> 200, renamed from VI_old)",
		"  - VIP 10.0.0.3/32 dev eth0",
		"  + VIP 10.0.0.2/32 dev eth0",
		"keep VI_5 (BACKUP, VRID 55 on eth0, priority 100)",
		"  + VIP 10.0.0.5/32 dev eth0 (on the interface only while MASTER)",
		"add VI_3 (VRID 53 on eth1, priority 100)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// printDryRun: a refused file prints its positioned problems and fails.
func TestPrintDryRun(t *testing.T) {
	var out, errb bytes.Buffer
	rc := printDryRun(daemon.DryRun{ConfigFile: "/x.conf", Diagnostics: []string{"/x.conf:3:5: error: There are 1 missing '}'s or extra '{'s"},
		Refusals: []string{"/x.conf:3:5: error: There are 1 missing '}'s or extra '{'s"}}, &out, &errb)
	if rc != 1 || out.Len() != 0 || !strings.Contains(errb.String(), "/x.conf:3:5: error: There are 1 missing") ||
		!strings.Contains(errb.String(), "1 problem(s) lose part of the configuration: a reload would keep the running configuration") {
		t.Errorf("rc %d stdout %q stderr %q", rc, out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	rc = printDryRun(daemon.DryRun{ConfigFile: "/x.conf", Valid: true, Units: []daemon.UnitPlan{
		{Name: "VRRP", Action: "reload", Changes: []string{}},
		{Name: "checker", Action: "reload", Changes: []string{"ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1"}}}}, &out, &errb)
	want := "Reload of /x.conf would make these changes (nothing applied):\nVRRP subsystem: reload\n  (no change)\n" +
		"checker subsystem: reload\n  ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1\n"
	if rc != 0 || out.String() != want || errb.Len() != 0 {
		t.Errorf("rc %d stdout\n%s\nwant\n%s\nstderr %q", rc, out.String(), want, errb.String())
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
