package checkerd

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
	"github.com/gokeepalived/gokeepalived/ipvs/reconcile"
)

// TestCheckerRepairsFailedNetlink is fault scenario 8's injected netlink
// failure: the kernel refuses an IPVS command (ENOMEM on the start-up add
// of a real server, EIO on the weight change that follows a failed
// health check), the failure is logged as keepalived 2.2.7's ipvs_talk()
// logs it, and once the kernel accepts commands again the table is
// repaired by the periodic resync, within one delay_loop.
//
// Bound: one delay_loop (1 s, the resync period) from the failed command,
// plus 2 s of slack for a loaded 2-core machine (scheduling of the
// ticker and of the 10 ms poll).
func TestCheckerRepairsFailedNetlink(t *testing.T) {
	const delayLoop, slack = time.Second, 2 * time.Second
	a := newHealthServer(t, "127.0.0.1")
	b := newHealthServer(t, "127.0.0.1")
	ha, pa, _ := net.SplitHostPort(a.addr)
	hb, pb, _ := net.SplitHostPort(b.addr)
	text := fmt.Sprintf("virtual_server 10.0.0.1 80 {\n delay_loop 1\n lb_algo rr\n lb_kind NAT\n protocol TCP\n"+
		" real_server %s %s {\n weight 2\n TCP_CHECK {\n connect_timeout 1\n }\n }\n"+
		" real_server %s %s {\n weight 3\n inhibit_on_failure\n HTTP_GET {\n url {\n path /\n status_code 200\n }\n connect_timeout 1\n retry 0\n }\n }\n}\n",
		ha, pa, hb, pb)
	cfg, diags := loadString(t, text)
	if diags.ExitCode() != 0 {
		t.Fatal(diags.List)
	}

	// The hook fails the next call of one kind, once, and notes when.
	var mu sync.Mutex
	failOp, failErr, failedAt := "new-dest", error(syscall.ENOMEM), time.Time{}
	fake := &fakeHandle{Fake: ipvsfake.New()}
	fake.Fail = func(c ipvsfake.Call) error { // called with the fake's lock held
		mu.Lock()
		defer mu.Unlock()
		if c.Op != failOp || failErr == nil || !failedAt.IsZero() {
			return nil
		}
		failedAt = time.Now()
		return failErr
	}
	armed := func(op string, err error) {
		mu.Lock()
		failOp, failErr, failedAt = op, err, time.Time{}
		mu.Unlock()
	}
	failed := func() time.Time {
		t.Helper()
		for end := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			mu.Lock()
			at := failedAt
			mu.Unlock()
			if !at.IsZero() {
				return at
			}
			if time.Now().After(end) {
				t.Fatal("the failing call was never made")
			}
		}
	}

	var logb syncWriter
	log := daemon.NewLogger(daemon.LogOptions{Console: &logb})
	c := New(log, Options{}, func() (Handle, error) { return fake, nil })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := c.Start(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	rsA, rsB := fmt.Sprintf("  -> %-28s Masq    2", a.addr), fmt.Sprintf("  -> %-28s Masq    3", b.addr)

	// destCalls are the calls of one kind made for a real server, the
	// failed ones with them.
	destCalls := func(op, rs string) int {
		n := 0
		for _, cl := range fake.Calls() {
			if cl.Op == op && cl.Dest.String() == rs {
				n++
			}
		}
		return n
	}

	// 1. The add of A at start-up failed (B's went in); the first sync
	// after it reads the kernel back and adds A: here the engine's first
	// hand-over when it starts running, at the latest the resync.
	at := failed()
	waitListing(t, fake.Fake, rsA)
	repairA := time.Since(at)
	waitListing(t, fake.Fake, rsB)
	if n := c.IPVSOperations(); n != 3 {
		t.Errorf("%d operation(s) counted, want 3 (the service, B, A's repair; not the failed add)", n)
	}
	if n := destCalls("new-dest", a.addr); n != 2 {
		t.Errorf("A was added %d time(s), want 2 (the failed add and the repair)", n)
	}

	// 2. B fails its check: the EDITDEST to weight 0 (inhibit_on_failure)
	// fails; nothing else changes, so the periodic resync is what finds
	// B still at weight 3 in the kernel and sets it.
	armed("set-dest", syscall.EIO)
	before := c.IPVSOperations()
	b.status.Store(500)
	at = failed()
	waitListing(t, fake.Fake, fmt.Sprintf("  -> %-28s Masq    0", b.addr))
	repairB := time.Since(at)
	if n := c.IPVSOperations() - before; n != 1 {
		t.Errorf("repairing the weight: %d operation(s) counted, want 1 (the failed one is not counted)", n)
	}
	if n := destCalls("set-dest", b.addr); n != 2 {
		t.Errorf("B's weight was set %d time(s), want 2 (the failed change and the repair)", n)
	}
	waitListing(t, fake.Fake, rsA)
	t.Logf("repaired %v (add) and %v (weight) after the failed command; bound delay_loop %v + slack %v",
		repairA.Round(time.Millisecond), repairB.Round(time.Millisecond), delayLoop, slack)
	for what, took := range map[string]time.Duration{"add": repairA, "weight change": repairB} {
		if took > delayLoop+slack {
			t.Errorf("the failed %s was repaired %v after it failed, past one delay_loop (%v) + %v", what, took, delayLoop, slack)
		}
	}

	// keepalived 2.2.7 (ipvswrapper.c ipvs_talk, libipvs.c ipvs_strerror).
	daemon.FlushLog(log)
	for _, w := range []string{
		fmt.Sprintf("IPVS cmd IP_VS_SO_SET_ADDDEST(1159) error: Memory allocation problem(12) (10.0.0.1:tcp:80 -> %s:%s)", ha, pa),
		fmt.Sprintf("IPVS cmd IP_VS_SO_SET_EDITDEST(1161) error: Input/output error(5) (10.0.0.1:tcp:80 -> %s:%s)", hb, pb),
		"IPVS: the kernel table had drifted from ours: 1 operation(s) to repair it",
	} {
		if !strings.Contains(logb.String(), w) {
			t.Errorf("log lacks %q:\n%s", w, logb.String())
		}
	}
}

// ipvsCmdError words the other commands as keepalived does: a fwmark
// service as "Fwm N", an IPv6 address without brackets, libipvs's own
// text for the errnos it knows, else strerror's.
func TestIPVSCmdError(t *testing.T) {
	fwm := ipvs.Service{ServiceKey: ipvs.ServiceKey{Family: ipvs.IPv6, FWMark: 5}}
	v6 := ipvs.Service{ServiceKey: ipvs.NewServiceKey(ipvs.UDP, netip.MustParseAddrPort("[fd00::1]:53"))}
	d6 := ipvs.Destination{Addr: netip.MustParseAddr("fd00::2"), Port: 53}
	for _, tc := range []struct {
		op    reconcile.Op
		errno syscall.Errno
		want  string
	}{
		{reconcile.Op{Kind: reconcile.DelService, Service: fwm}, syscall.ESRCH,
			"IPVS cmd IP_VS_SO_SET_DEL(1156) error: No such service(3) (Fwm 5 inet6)"},
		{reconcile.Op{Kind: reconcile.AddService, Service: v6}, syscall.ENOENT,
			"IPVS cmd IP_VS_SO_SET_ADD(1154) error: Scheduler or persistence engine not found(2) (fd00::1:udp:53)"},
		{reconcile.Op{Kind: reconcile.DelDest, Service: v6, Dest: d6}, syscall.ENOENT,
			"IPVS cmd IP_VS_SO_SET_DELDEST(1160) error: No such destination(2) (fd00::1:udp:53 -> fd00::2:53)"},
		{reconcile.Op{Kind: reconcile.EditService, Service: v6}, syscall.EBUSY,
			"IPVS cmd IP_VS_SO_SET_EDIT(1155) error: Device or resource busy(16) (fd00::1:udp:53)"},
	} {
		if got := ipvsCmdError(tc.op, tc.errno); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}
