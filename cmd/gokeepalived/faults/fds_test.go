package faults

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// TestOutOfDescriptorsFailover: the BACKUP's descriptor limit is cut to
// what it has open (prlimit on the running daemon), then the MASTER is
// killed. Taking over needs no new descriptor: the VIP must still be
// added, within the protocol's bound (3 × advert_int + skew, + 0.5 s).
func TestOutOfDescriptorsFailover(t *testing.T) {
	nstest.Require(t, "prlimit")
	a, b := nstest.Pair(t)
	md := startDaemon(t, a, "master", vrrpConf(150, "MASTER"), "", "-P")
	md.waitFor("(VI_1) Entering MASTER STATE", 15*time.Second)
	bd := startDaemon(t, b, "backup", vrrpConf(100, "BACKUP"), "", "-P")
	bd.waitFor("(VI_1) Entering BACKUP STATE", 15*time.Second)
	time.Sleep(1500 * time.Millisecond)
	pid := bd.cmd.Process.Pid
	// The limit bounds descriptor numbers: at the lowest free number no
	// new descriptor can be had.
	n := lowestFreeFD(pid)
	if out, err := exec.Command("prlimit", "--pid", fmt.Sprint(pid), fmt.Sprintf("--nofile=%d:%d", n, n)).CombinedOutput(); err != nil {
		t.Fatalf("prlimit: %v: %s", err, out)
	}
	killed := time.Now()
	if err := md.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	h := b.Handle(t)
	vip := netip.MustParseAddr("10.77.0.100")
	var took time.Duration
	for time.Since(killed) < 10*time.Second {
		if has, _ := nstest.HasAddr(h, vip); has {
			took = time.Since(killed)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	bound := 3*time.Second + time.Duration(float64(time.Second)*(256-100)/256) + 500*time.Millisecond
	measured := fmt.Sprintf("VIP on the BACKUP %.2f s after the kill, with its limit at %d, its lowest free descriptor", took.Seconds(), n)
	if took == 0 {
		measured = fmt.Sprintf("no VIP on the BACKUP 10 s after the kill (limit %d, its lowest free descriptor)", n)
	}
	record(t, "fd. descriptors exhausted, MASTER killed", measured,
		fmt.Sprintf("≤ %.2f s (3 × advert_int + skew + 0.5 s)", bound.Seconds()), took > 0 && took <= bound)
}

func lowestFreeFD(pid int) int {
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	used := map[int]bool{}
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err == nil {
			used[n] = true
		}
	}
	n := 0
	for used[n] {
		n++
	}
	return n
}
