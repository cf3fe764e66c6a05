package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/netnstest"
	"github.com/gokeepalived/gokeepalived/internal/testenv"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// routedBFD is A (ours, 10.<n>.1.1 on "bfa") and B (10.<n>.2.1 on
// "bfb") with a router namespace between them: their packets cross one
// hop, arriving with TTL 254.
func routedBFD(t *testing.T, prefix string, n int) (a, b, aa, ba string) {
	t.Helper()
	pid := os.Getpid()
	a, r, b := fmt.Sprintf("%sa-%d", prefix, pid), fmt.Sprintf("%sr-%d", prefix, pid), fmt.Sprintf("%sb-%d", prefix, pid)
	aa, ba = fmt.Sprintf("10.%d.1.1", n), fmt.Sprintf("10.%d.2.1", n)
	for _, ns := range []string{a, r, b} {
		_ = nstest.IP("netns", "del", ns)
		if err := nstest.IP("netns", "add", ns); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := nstest.IP("netns", "del", ns); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		})
	}
	for _, s := range [][]string{
		{"-n", a, "link", "add", "bfa", "type", "veth", "peer", "name", "ra", "netns", r},
		{"-n", b, "link", "add", "bfb", "type", "veth", "peer", "name", "rb", "netns", r},
		{"-n", a, "addr", "add", aa + "/24", "dev", "bfa"},
		{"-n", r, "addr", "add", fmt.Sprintf("10.%d.1.2/24", n), "dev", "ra"},
		{"-n", r, "addr", "add", fmt.Sprintf("10.%d.2.2/24", n), "dev", "rb"},
		{"-n", b, "addr", "add", ba + "/24", "dev", "bfb"},
		{"-n", a, "link", "set", "bfa", "up"},
		{"-n", b, "link", "set", "bfb", "up"},
		{"-n", r, "link", "set", "ra", "up"},
		{"-n", r, "link", "set", "rb", "up"},
		{"-n", a, "link", "set", "lo", "up"},
		{"-n", b, "link", "set", "lo", "up"},
		{"-n", a, "route", "add", fmt.Sprintf("10.%d.2.0/24", n), "via", fmt.Sprintf("10.%d.1.2", n)},
		{"-n", b, "route", "add", fmt.Sprintf("10.%d.1.0/24", n), "via", fmt.Sprintf("10.%d.2.2", n)},
	} {
		if err := nstest.IP(s...); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("ip", "netns", "exec", r, "sysctl", "-qw", "net.ipv4.ip_forward=1").CombinedOutput(); err != nil {
		t.Fatalf("ip_forward: %v %s", err, out)
	}
	return a, b, aa, ba
}

// TestDaemonBFDMultihopWithKeepalived243: keepalived 2.4.3 and the
// daemon, one router apart, each with a multihop bfd_instance (2.4's
// keyword) allowing one hop (max_hops 1). Both sessions come up, on
// port 4784 only; the daemon killed is detected by keepalived; without
// max_hops our session refuses the routed packets (GTSM), as
// keepalived's does.
func TestDaemonBFDMultihopWithKeepalived243(t *testing.T) {
	t.Parallel()
	netnstest.Require(t, "tshark")
	bin := testenv.Keepalived243(t)
	a, b, aa, ba := routedBFD(t, "gkbh", 84)
	inst := func(name, nbr, src, extra string) string {
		return fmt.Sprintf("bfd_instance %s {\n neighbor_ip %s\n source_ip %s\n min_rx %d\n min_tx %d\n multiplier %d\n multihop\n%s}\n",
			name, nbr, src, bfdIntervalMs, bfdIntervalMs, bfdMult, extra)
	}
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(cf, []byte(inst("gkpeer", aa, ba, " max_hops 1\n")), 0o644)
	ka := startCmd(t, nsCommand(b)(bin, "-n", "-l", "-D", "-f", cf, "-p", filepath.Join(dir, "k.pid"),
		"-r", filepath.Join(dir, "v.pid"), "-c", filepath.Join(dir, "c.pid"), "-b", filepath.Join(dir, "b.pid")), []string{"TMPDIR=" + dir})
	t.Cleanup(func() { stopIfRunning(t, ka) })

	pcap, stopCapture := captureBFD(t, a, "udp port 3784 or udp port 4784")
	gk, _ := startGKIn(t, a, inst("bfdpeer", ba, aa, " max_hops 1\n"))
	gk.waitFor("(bfdpeer) Entering Up state", 1)
	ka.waitFor("(gkpeer) Entering Up state", 1)
	waitStableUp(t, gk, "bfdpeer")
	stopCapture()
	count := func(filter string) int {
		out, err := exec.Command("tshark", "-r", pcap, "-Y", filter, "-T", "fields", "-e", "frame.number").Output()
		if err != nil {
			t.Fatalf("tshark -Y %q: %v", filter, err)
		}
		return len(strings.Fields(string(out)))
	}
	oursUp := count("ip.src == " + aa + " && udp.dstport == 4784 && ip.ttl == 255 && bfd.sta == 3")
	theirsUp := count("ip.src == " + ba + " && udp.dstport == 4784 && ip.ttl == 254 && bfd.sta == 3")
	single := count("udp.port == 3784")
	t.Logf("multihop with keepalived 2.4.3 one hop away: %d Up packets of ours to 4784 (TTL 255), %d of theirs (TTL 254 here), %d on 3784",
		oursUp, theirsUp, single)
	if oursUp == 0 || theirsUp == 0 || single != 0 {
		t.Errorf("want Up packets both ways on 4784 and none on 3784")
	}

	before := len(expiredRE.FindAllString(ka.log(), -1))
	killProc(gk)
	ka.waitFor("(gkpeer) Entering Down state (Local diagnostic - Control Detection Time Expired", 1)
	if dead := expiredAfter(ka.log(), "gkpeer", before); len(dead) > 0 {
		t.Logf("daemon killed: keepalived 2.4.3's session expired %d ms after our last packet (bound %d ms)", dead[0], bfdBound)
		if dead[0] > bfdBound {
			t.Errorf("keepalived's detection took %d ms, over %d ms", dead[0], bfdBound)
		}
	}

	// no max_hops: TTL 254 is one hop too many (RFC 5881's GTSM)
	gk, _ = startGKIn(t, a, inst("bfdpeer", ba, aa, ""))
	time.Sleep(3 * time.Second) // keepalived's idle_tx is 1 s
	if strings.Contains(gk.log(), "(bfdpeer) Entering Up state") {
		t.Errorf("came up without max_hops across a router:\n%s", gk.log())
	}
}
