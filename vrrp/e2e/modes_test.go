package e2e

import (
	"fmt"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

const adv05 = 500 * time.Millisecond

// hardKill starts a (priority 150) and b (priority 100), waits for a to
// win, SIGKILLs a and checks b takes over within 3×advert + skew + 50 ms.
func hardKill(t *testing.T, a, b *nstest.NS, vip netip.Addr, cfgA, cfgB string, adv time.Duration, startA, startB func(*testing.T, *nstest.NS, string, string) *proc) {
	t.Helper()
	wa := watch{t, a.Handle(t), vip}
	wb := watch{t, b.Handle(t), vip}
	pa := startA(t, a, "a", cfgA)
	startB(t, b, "b", cfgB)
	took := wa.until(true, 4*adv+2*time.Second, "a (priority 150) becomes master")
	t.Logf("election: a held %v %v after start", vip, took)
	wb.stays(false, 3*adv, "b (priority 100) stays backup")
	bound := 3*adv + skew(100, adv) + 50*time.Millisecond
	pa.kill(syscall.SIGKILL)
	took = wb.until(true, 2*bound+time.Second, "b takes over after SIGKILL of a")
	t.Logf("hard kill: b held %v %v after SIGKILL (bound %v)", vip, took, bound)
	if took > bound {
		t.Errorf("hard-kill takeover %v > bound %v", took, bound)
	}
}

func v3(adv time.Duration, more string) string {
	return fmt.Sprintf("    version 3\n    advert_int %g\n%s", adv.Seconds(), more)
}

func TestFailoverV3IPv6(t *testing.T) {
	nstest.Require(t)
	a, b := nstest.Pair(t)
	vip := netip.MustParseAddr("2001:db8::100")
	hardKill(t, a, b, vip, instance(53, 150, v3(adv05, ""), "2001:db8::100/64"),
		instance(53, 100, v3(adv05, ""), "2001:db8::100/64"), adv05, startGo, startGo)
}

func TestFailoverV3Unicast(t *testing.T) {
	nstest.Require(t)
	a, b := nstest.Pair(t)
	uni := func(src, peer string) string {
		return v3(adv05, fmt.Sprintf("    unicast_src_ip %s\n    unicast_peer {\n        %s\n    }", src, peer))
	}
	hardKill(t, a, b, vip4, instance(54, 150, uni("10.77.0.1", "10.77.0.2"), "10.77.0.100/24"),
		instance(54, 100, uni("10.77.0.2", "10.77.0.1"), "10.77.0.100/24"), adv05, startGo, startGo)
}

// nopreempt: a higher-priority node that joins later stays BACKUP; with
// preemption (the default) it takes over after its master-down interval.
func TestPreemptAndNopreempt(t *testing.T) {
	nstest.Require(t)
	for _, tc := range []struct {
		name    string
		extra   string
		preempt bool
	}{{"preempt", "", true}, {"nopreempt", "    nopreempt\n", false}} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := nstest.Pair(t)
			wa := watch{t, a.Handle(t), vip4}
			wb := watch{t, b.Handle(t), vip4}
			startGo(t, b, "b", instance(55, 100, v3(adv05, ""), "10.77.0.100/24"))
			wb.until(true, 5*time.Second, "b alone becomes master")
			startGo(t, a, "a", instance(55, 150, v3(adv05, "    state BACKUP\n"+tc.extra), "10.77.0.100/24"))
			down := 3*adv05 + skew(150, adv05)
			if tc.preempt {
				took := wa.until(true, down+time.Second, "a preempts")
				wb.until(false, time.Second, "b yields")
				t.Logf("a preempted %v after start (master-down interval %v)", took, down)
			} else {
				wa.stays(false, 3*down, "a with nopreempt stays backup")
				if !wb.has() {
					t.Error("b lost the VIP")
				}
			}
		})
	}
}

// Partition, then heal: during the partition both nodes are MASTER;
// after it one is left within one advert interval. With equal priorities
// the higher address (b, 10.77.0.2) wins, as keepalived compares the
// advert source with its own in MASTER.
func TestPartitionHeal(t *testing.T) {
	nstest.Require(t)
	for _, tc := range []struct {
		name   string
		prioA  int
		winner string
	}{{"higher-priority", 150, "a"}, {"equal-priority", 100, "b"}} {
		t.Run(tc.name, func(t *testing.T) {
			a, b, partition := nstest.Bridged(t)
			wa := watch{t, a.Handle(t), vip4}
			wb := watch{t, b.Handle(t), vip4}
			startGo(t, a, "a", instance(57, tc.prioA, v3(adv05, ""), "10.77.0.100/24"))
			startGo(t, b, "b", instance(57, 100, v3(adv05, ""), "10.77.0.100/24"))
			down := 3*adv05 + skew(100, adv05)
			waitOne := func(what string) time.Duration {
				start := time.Now()
				for wa.has() == wb.has() {
					if time.Since(start) > 2*down+2*time.Second {
						t.Fatalf("%s: a has VIP %v, b has VIP %v", what, wa.has(), wb.has())
					}
					time.Sleep(5 * time.Millisecond)
				}
				return time.Since(start)
			}
			waitOne("initial election")
			time.Sleep(down) // let both settle

			partition(true)
			loser := wb
			if wb.has() {
				loser = wa
			}
			took := loser.until(true, down+time.Second, "the backup becomes master in the partition")
			t.Logf("partitioned: both MASTER after %v", took)

			partition(false)
			bound := adv05 + 50*time.Millisecond
			took = waitOne("heal")
			t.Logf("healed: one MASTER after %v (bound %v)", took, bound)
			if took > bound {
				t.Errorf("one master after %v > bound %v", took, bound)
			}
			win, lose := wa, wb
			if tc.winner == "b" {
				win, lose = wb, wa
			}
			if !win.has() {
				t.Fatalf("%s should have won", tc.winner)
			}
			lose.stays(false, 3*adv05, "the loser stays backup")
		})
	}
}

// The master's interface goes down: it drops to FAULT and releases its
// VIP, the backup takes over (no priority 0 gets out of a down link), and
// when the link returns the master goes BACKUP and then preempts.
func TestInterfaceDownFault(t *testing.T) {
	nstest.Require(t)
	a, b, _ := nstest.Bridged(t)
	wa := watch{t, a.Handle(t), vip4}
	wb := watch{t, b.Handle(t), vip4}
	startGo(t, a, "a", instance(58, 150, v3(adv05, ""), "10.77.0.100/24"))
	startGo(t, b, "b", instance(58, 100, v3(adv05, ""), "10.77.0.100/24"))
	wa.until(true, 4*time.Second, "a becomes master")
	wb.stays(false, 3*adv05, "b stays backup")

	if err := nstest.IP("-n", a.Name, "link", "set", "eth0", "down"); err != nil {
		t.Fatal(err)
	}
	took := wa.until(false, time.Second, "a releases the VIP in FAULT")
	t.Logf("link down: a released the VIP after %v", took)
	bound := 3*adv05 + skew(100, adv05) + 50*time.Millisecond
	took = wb.until(true, 2*bound, "b takes over")
	t.Logf("link down: b held the VIP %v later (bound %v)", took, bound)
	if took > bound {
		t.Errorf("takeover %v > bound %v", took, bound)
	}
	wa.stays(false, 3*adv05, "a stays in FAULT while the link is down")

	if err := nstest.IP("-n", a.Name, "link", "set", "eth0", "up"); err != nil {
		t.Fatal(err)
	}
	down := 3*adv05 + skew(150, adv05)
	took = wa.until(true, down+time.Second, "a preempts after the link returns")
	wb.until(false, time.Second, "b yields")
	t.Logf("link up: a master again after %v (master-down interval %v)", took, down)
}

// preempt_delay: a higher-priority node that joins does not preempt
// before the delay has passed, and does after it.
func TestPreemptDelay(t *testing.T) {
	nstest.Require(t)
	a, b := nstest.Pair(t)
	wa := watch{t, a.Handle(t), vip4}
	wb := watch{t, b.Handle(t), vip4}
	startGo(t, b, "b", instance(59, 100, v3(adv05, ""), "10.77.0.100/24"))
	wb.until(true, 4*time.Second, "b alone becomes master")
	const delay = 3 * time.Second
	start := time.Now()
	startGo(t, a, "a", instance(59, 150, v3(adv05, "    state BACKUP\n    preempt_delay 3\n"), "10.77.0.100/24"))
	down := 3*adv05 + skew(150, adv05)
	// Without the delay a would preempt after its master-down interval.
	wa.stays(false, delay-200*time.Millisecond, "a waits for preempt_delay")
	wa.until(true, down+2*time.Second, "a preempts after the delay")
	took := time.Since(start)
	wb.until(false, time.Second, "b yields")
	t.Logf("a preempted %v after start (preempt_delay %v, master-down %v)", took, delay, down)
	// The delay starts at the first lower-priority advert (up to one
	// advert after a is up); the last advert accepted before it expires
	// restarts the master-down timer. 0.5 s covers a's process start.
	if bound := delay + adv05 + down + 500*time.Millisecond; took > bound {
		t.Errorf("preemption after %v, want ≤ delay + advert + master-down + 0.5 s = %v", took, bound)
	}
}
