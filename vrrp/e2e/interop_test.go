package e2e

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

const keepalived = "/usr/sbin/keepalived"

type starter = func(*testing.T, *nstest.NS, string, string) *proc

type interopCase struct {
	name  string
	vrid  int
	extra string
	adv   time.Duration
	vip   netip.Addr
	vips  string
	// per-node extras (unicast source and peer)
	extraA, extraB string
}

func interopCases() []interopCase {
	uni := func(src, peer string) string {
		return fmt.Sprintf("    unicast_src_ip %s\n    unicast_peer {\n        %s\n    }\n", src, peer)
	}
	return []interopCase{
		{name: "v2-pass", vrid: 61, extra: v2pass, adv: time.Second, vip: vip4, vips: "10.77.0.100/24"},
		{name: "v3-ipv4", vrid: 62, extra: v3(adv05, ""), adv: adv05, vip: vip4, vips: "10.77.0.100/24"},
		{name: "v3-ipv6", vrid: 63, extra: v3(adv05, ""), adv: adv05,
			vip: netip.MustParseAddr("2001:db8::100"), vips: "2001:db8::100/64"},
		{name: "v3-unicast", vrid: 64, extra: v3(adv05, ""), adv: adv05, vip: vip4, vips: "10.77.0.100/24",
			extraA: uni("10.77.0.1", "10.77.0.2"), extraB: uni("10.77.0.2", "10.77.0.1")},
	}
}

// keepalived 2.2.7 and gokeepalived in both roles: the master is
// SIGKILLed and the other takes over within 3×advert + skew + 50 ms.
func TestInteropHardKill(t *testing.T) {
	nstest.Require(t, keepalived)
	for _, tc := range interopCases() {
		for _, dir := range []struct {
			name           string
			master, backup starter
		}{{"keepalived-master", startKeepalived, startGo}, {"gokeepalived-master", startGo, startKeepalived}} {
			t.Run(tc.name+"/"+dir.name, func(t *testing.T) {
				a, b := nstest.Pair(t)
				cfgA := instance(tc.vrid, 150, tc.extra+"\n"+tc.extraA, tc.vips)
				cfgB := instance(tc.vrid, 100, tc.extra+"\n"+tc.extraB, tc.vips)
				hardKill(t, a, b, tc.vip, cfgA, cfgB, tc.adv, dir.master, dir.backup)
			})
		}
	}
}

// Graceful stop across implementations: the stopping master's priority-0
// advert makes the other take over after its skew time only.
func TestInteropGracefulStop(t *testing.T) {
	nstest.Require(t, keepalived)
	for _, dir := range []struct {
		name           string
		master, backup starter
	}{{"keepalived-master", startKeepalived, startGo}, {"gokeepalived-master", startGo, startKeepalived}} {
		t.Run(dir.name, func(t *testing.T) {
			a, b := nstest.Pair(t)
			wa := watch{t, a.Handle(t), vip4}
			wb := watch{t, b.Handle(t), vip4}
			pa := dir.master(t, a, "a", instance(65, 150, v2pass, "10.77.0.100/24"))
			dir.backup(t, b, "b", instance(65, 100, v2pass, "10.77.0.100/24"))
			wa.until(true, 6*time.Second, "a becomes master")
			wb.stays(false, 1500*time.Millisecond, "b stays backup")
			bound := skew(100, time.Second) + 50*time.Millisecond
			// SIGTERM to the main process (keepalived relays it to its
			// VRRP child); poll while it shuts down.
			pa.term()
			took := wb.until(true, 3*time.Second, "b takes over")
			pa.wait()
			t.Logf("graceful stop: b held the VIP %v after SIGTERM (bound %v)", took, bound)
			if took > bound {
				t.Errorf("graceful takeover %v > bound %v", took, bound)
			}
			if wa.has() {
				t.Error("a kept the VIP after stopping")
			}
		})
	}
}

// A restarted keepalived master preempts the gokeepalived node that took
// over, and a restarted gokeepalived master preempts keepalived.
func TestInteropRestartPreempts(t *testing.T) {
	nstest.Require(t, keepalived)
	for _, dir := range []struct {
		name           string
		master, backup starter
	}{{"keepalived-master", startKeepalived, startGo}, {"gokeepalived-master", startGo, startKeepalived}} {
		t.Run(dir.name, func(t *testing.T) {
			a, b := nstest.Pair(t)
			wa := watch{t, a.Handle(t), vip4}
			wb := watch{t, b.Handle(t), vip4}
			cfgA := instance(66, 150, v3(adv05, ""), "10.77.0.100/24")
			pa := dir.master(t, a, "a", cfgA)
			dir.backup(t, b, "b", instance(66, 100, v3(adv05, ""), "10.77.0.100/24"))
			wa.until(true, 4*time.Second, "a becomes master")
			pa.term()
			wb.until(true, 2*time.Second, "b takes over")
			pa.wait()
			dir.master(t, a, "a2", cfgA)
			down := 3*adv05 + skew(150, adv05)
			took := wa.until(true, down+2*time.Second, "restarted a preempts")
			wb.until(false, time.Second, "b yields")
			t.Logf("restarted a preempted after %v (its master-down interval %v)", took, down)
		})
	}
}
