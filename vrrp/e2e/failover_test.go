package e2e

import (
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

var vip4 = netip.MustParseAddr("10.77.0.100")

const v2pass = `    advert_int 1
    authentication {
        auth_type PASS
        auth_pass secret12
    }`

// Election by priority, hard kill, preemption on restart, graceful stop:
// VRRPv2 with PASS between two gokeepalived nodes.
func TestFailoverV2(t *testing.T) {
	nstest.Require(t)
	a, b := nstest.Pair(t)
	wa := watch{t, a.Handle(t), vip4}
	wb := watch{t, b.Handle(t), vip4}
	cfgA := instance(51, 150, v2pass, "10.77.0.100/24")
	cfgB := instance(51, 100, v2pass, "10.77.0.100/24")

	pa := startGo(t, a, "go-a", cfgA)
	startGo(t, b, "go-b", cfgB)
	// Both start in BACKUP; a's down timer (3 + 106/256 s) expires first.
	took := wa.until(true, 6*time.Second, "a (priority 150) becomes master")
	t.Logf("election: a held the VIP %v after start", took)
	wb.stays(false, 1500*time.Millisecond, "b (priority 100) stays backup")

	bound := 3*time.Second + skew(100, time.Second) + 50*time.Millisecond
	pa.kill(syscall.SIGKILL)
	took = wb.until(true, 2*bound, "b takes over after SIGKILL of a")
	t.Logf("hard kill: b held the VIP %v after SIGKILL (bound %v)", took, bound)
	if took > bound {
		t.Errorf("hard-kill takeover %v > bound %v", took, bound)
	}

	// A SIGKILLed node keeps its VIP: the restarted a removes it at start
	// (it is BACKUP then), and later preempts b.
	if !wa.has() {
		t.Fatal("the killed a lost its VIP: nothing left to test")
	}
	pa = startGo(t, a, "go-a2", cfgA)
	wa.until(false, 2*time.Second, "restarted a removes its stale VIP")
	wa.until(true, 6*time.Second, "a preempts after restart")
	wb.until(false, time.Second, "b releases the VIP")

	bound = skew(100, time.Second) + 50*time.Millisecond
	pa.kill(syscall.SIGTERM)
	took = wb.until(true, 3*time.Second, "b takes over after SIGTERM of a")
	t.Logf("graceful stop: b held the VIP %v after SIGTERM (bound %v)", took, bound)
	if took > bound {
		t.Errorf("graceful takeover %v > bound %v", took, bound)
	}
	wa.until(false, time.Second, "a removed its VIP at stop")
}
