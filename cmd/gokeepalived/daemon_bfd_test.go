package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/netnstest"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// The BFD tests run the daemon with a bfd_instance in one namespace and a
// real BFD peer in another, joined by a veth pair: FRR's bfdd, and
// keepalived 2.2.7's own BFD. They use 20 ms × 5 (a detection time of
// 100 ms): 10 ms × 5 works too, but bfdd itself stalls past 50 ms now
// and then on a loaded 2-core machine, which flaps the session.

const (
	bfdIntervalMs = 20
	bfdMult       = 5
	bfdSlackMs    = 20 // the slack over multiplier × interval
)

// bfdLink is two namespaces joined by a veth pair: A at 10.<n>.0.1 on
// "bfa", B at 10.<n>.0.2 on "bfb".
type bfdLink struct {
	a, b   string
	aa, ba string
}

func newBFDLink(t *testing.T, prefix string, n int) *bfdLink {
	t.Helper()
	l := &bfdLink{a: fmt.Sprintf("%sa-%d", prefix, os.Getpid()), b: fmt.Sprintf("%sb-%d", prefix, os.Getpid()),
		aa: fmt.Sprintf("10.%d.0.1", n), ba: fmt.Sprintf("10.%d.0.2", n)}
	for _, ns := range []string{l.a, l.b} {
		_ = nstest.IP("netns", "del", ns) // a leftover of a killed run of ours
		if err := nstest.IP("netns", "add", ns); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := nstest.IP("netns", "del", ns); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		})
	}
	steps := [][]string{
		{"-n", l.a, "link", "add", "bfa", "type", "veth", "peer", "name", "bfb", "netns", l.b},
		{"-n", l.a, "addr", "add", l.aa + "/24", "dev", "bfa"},
		{"-n", l.b, "addr", "add", l.ba + "/24", "dev", "bfb"},
		{"-n", l.a, "link", "set", "bfa", "up"},
		{"-n", l.b, "link", "set", "bfb", "up"},
		{"-n", l.a, "link", "set", "lo", "up"},
		{"-n", l.b, "link", "set", "lo", "up"},
	}
	for _, s := range steps {
		if err := nstest.IP(s...); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

func nsCommand(ns string) func(string, ...string) *exec.Cmd {
	return func(name string, args ...string) *exec.Cmd {
		return exec.Command("ip", append([]string{"netns", "exec", ns, name}, args...)...)
	}
}

func nsHasAddr(t *testing.T, ns, dev, addr string) bool {
	out, err := exec.Command("ip", "-n", ns, "-o", "addr", "show", "dev", dev).CombinedOutput()
	if err != nil {
		t.Fatalf("ip addr: %v %s", err, out)
	}
	return strings.Contains(string(out), " "+addr+"/")
}

// waitAddr polls every 5 ms until addr is on (or off) dev, and returns
// when it saw it.
func waitAddr(t *testing.T, p *gkProc, ns, dev, addr string, on bool, within time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	for nsHasAddr(t, ns, dev, addr) != on {
		if time.Now().After(deadline) {
			t.Fatalf("%s never %s on %s within %v:\n%s", addr, map[bool]string{true: "set", false: "removed"}[on], dev, within, p.log())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Now()
}

// gkBFDConf is gokeepalived's side: a BFD instance to the peer and a
// VRRP instance (MASTER, alone on its link) tracking it unweighted.
func gkBFDConf(l *bfdLink) string {
	return fmt.Sprintf(`bfd_instance bfdpeer {
 neighbor_ip %s
 source_ip %s
 min_rx %d
 min_tx %d
 multiplier %d
}
vrrp_instance VI_1 {
 state MASTER
 interface bfa
 virtual_router_id 51
 priority 150
 advert_int 1
 virtual_ipaddress {
  %s/32
 }
 track_bfd {
  bfdpeer
 }
}
`, l.ba, l.aa, bfdIntervalMs, bfdIntervalMs, bfdMult, vipOf(l))
}

func vipOf(l *bfdLink) string { return strings.TrimSuffix(l.aa, ".1") + ".100" }

func startGKIn(t *testing.T, ns, text string) (*gkProc, string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(cf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startCmd(t, nsCommand(ns)(self, "-n", "-l", "-D", "-f", cf, "-p", filepath.Join(dir, "k.pid"),
		"-r", filepath.Join(dir, "v.pid"), "-c", filepath.Join(dir, "c.pid"), "--control-socket", filepath.Join(dir, "gk.sock")),
		[]string{"TMPDIR=" + dir})
	t.Cleanup(func() { stopIfRunning(t, p) })
	return p, dir
}

var expiredRE = regexp.MustCompile(`\((\w+)\) Expired after (\d+) ms`)

// expiredAfter returns the dead times of the n-th and later "Expired
// after" lines for name in log.
func expiredAfter(log, name string, from int) []int {
	var out []int
	for i, m := range expiredRE.FindAllStringSubmatch(log, -1) {
		if m[1] == name && i >= from {
			ms, _ := strconv.Atoi(m[2])
			out = append(out, ms)
		}
	}
	return out
}

// waitStableUp waits until name has been Up for a second without a flap
// (a loaded machine can stall a peer past the detection time).
func waitStableUp(t *testing.T, p *gkProc, name string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		log := p.log()
		up := strings.LastIndex(log, "("+name+") Entering Up state")
		down := strings.LastIndex(log, "("+name+") Entering Down state")
		if up > down {
			n := strings.Count(log, "Entering Down state")
			time.Sleep(time.Second)
			if strings.Count(p.log(), "Entering Down state") == n {
				return
			}
			continue
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("BFD instance %s never stayed up:\n%s", name, p.log())
}

const bfdBound = bfdIntervalMs*bfdMult + bfdSlackMs

// killProc kills p by PID and reaps it; its exit stays in p.done for
// stopIfRunning.
func killProc(p *gkProc) {
	p.cmd.Process.Kill()
	err := <-p.done
	p.done <- err
}

// termProc sends p TERM and waits for it to exit (10 s).
func termProc(t *testing.T, p *gkProc) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
	case <-time.After(10 * time.Second):
		t.Fatalf("did not exit on TERM:\n%s", p.log())
	}
}

// stopIfRunning stops p with TERM unless it has exited (without reading
// ProcessState, which its waiting goroutine writes).
func stopIfRunning(t *testing.T, p *gkProc) {
	select {
	case err := <-p.done:
		p.done <- err
		return
	default:
	}
	termProc(t, p)
}

// TestDaemonBFDWithFRR: the daemon's BFD session to FRR's bfdd comes up
// and the VRRP instance tracking it is MASTER with its VIP; the peer's
// address gone (the path lost, the link still up) and then bfdd killed
// are each detected within multiplier × interval + 20 ms of the last
// packet, the instance goes FAULT and its VIP leaves; with the peer back
// it is MASTER again. tshark dissects our packets without a malformed
// or expert mark.
func TestDaemonBFDWithFRR(t *testing.T) {
	t.Parallel()
	const bfdd = "/usr/lib/frr/bfdd"
	netnstest.Require(t, bfdd, "tshark")
	l := newBFDLink(t, "gkbf", 81)
	// bfdd runs as frr: its directory is not under t.TempDir's (0700)
	dir, err := os.MkdirTemp("", "gkbfdd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	frr := fmt.Sprintf("bfd\n peer %s local-address %s\n  receive-interval %d\n  transmit-interval %d\n  detect-multiplier %d\n !\n!\n",
		l.aa, l.ba, bfdIntervalMs, bfdIntervalMs, bfdMult)
	if err := os.WriteFile(filepath.Join(dir, "frr.conf"), []byte(frr), 0o644); err != nil {
		t.Fatal(err)
	}
	startBFDD := func() *gkProc {
		p := startCmd(t, nsCommand(l.b)(bfdd, "-f", filepath.Join(dir, "frr.conf"), "-i", filepath.Join(dir, "bfdd.pid"),
			"--vty_socket", dir, "-u", "frr", "-g", "frr", "-z", filepath.Join(dir, "zserv.api"), "-P", "0",
			"--bfdctl", filepath.Join(dir, "bfdd.sock"), "--log", "stdout"), nil)
		return p
	}
	peer := startBFDD()
	pcap, stopCapture := captureBFD(t, l.a, "udp port 3784")
	gk, gkDir := startGKIn(t, l.a, gkBFDConf(l))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("bfdd's output:\n%s", peer.log())
		}
	})
	gk.waitFor("(bfdpeer) Entering Up state", 1)
	gk.waitFor("VRRP_Instance(VI_1) Tracked BFD instance bfdpeer is UP", 1)
	waitStableUp(t, gk, "bfdpeer")
	vip := vipOf(l)
	waitAddr(t, gk, l.a, "bfa", vip, true, 10*time.Second)

	// a reload of the same file keeps the session up; SIGUSR1 writes
	// keepalived_bfd.data with it
	downs := strings.Count(gk.log(), "Tracked BFD instance bfdpeer is DOWN")
	expiries := strings.Count(gk.log(), "Expired after")
	gk.signal(syscall.SIGHUP)
	gk.waitFor("Reload complete", 1)
	gk.signal(syscall.SIGUSR1)
	data := filepath.Join(gkDir, "keepalived_bfd.data")
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(data)
		if strings.Contains(string(b), "local state = Up") {
			if !strings.Contains(string(b), " BFD Instance = bfdpeer\n   Neighbor IP = "+l.ba+"\n") {
				t.Errorf("keepalived_bfd.data:\n%s", b)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no keepalived_bfd.data with the session Up: %q", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// (a flap of a loaded machine's bfdd shows as an expiry)
	if log := gk.log(); strings.Count(log, "Tracked BFD instance bfdpeer is DOWN") != downs && strings.Count(log, "Expired after") == expiries {
		t.Errorf("the reload took the session down:\n%s", log)
	}

	// the path lost: the peer's address removed, the link stays up
	for _, cut := range []string{"address removed", "bfdd killed"} {
		waitStableUp(t, gk, "bfdpeer")
		waitAddr(t, gk, l.a, "bfa", vip, true, 10*time.Second)
		before := len(expiredRE.FindAllString(gk.log(), -1))
		t0 := time.Now()
		if cut == "address removed" {
			if err := nstest.IP("-n", l.b, "addr", "del", l.ba+"/24", "dev", "bfb"); err != nil {
				t.Fatal(err)
			}
		} else {
			killProc(peer)
		}
		gone := waitAddr(t, gk, l.a, "bfa", vip, false, 5*time.Second)
		log := gk.log()
		dead := expiredAfter(log, "bfdpeer", before)
		if len(dead) == 0 {
			t.Fatalf("%s: no expiry logged:\n%s", cut, log)
		}
		t.Logf("BFD with FRR, %s: expired %d ms after bfdd's last packet (bound %d ms = %d × %d ms + %d ms); VIP removed %v after the cut",
			cut, dead[0], bfdBound, bfdMult, bfdIntervalMs, bfdSlackMs, gone.Sub(t0).Round(time.Millisecond))
		if dead[0] > bfdBound {
			t.Errorf("%s: detection took %d ms, over %d ms", cut, dead[0], bfdBound)
		}
		for _, want := range []string{"VRRP_Instance(VI_1) Tracked BFD instance bfdpeer is DOWN", "(VI_1) Entering FAULT STATE",
			"(bfdpeer) Entering Down state (Local diagnostic - Control Detection Time Expired"} {
			if !strings.Contains(log, want) {
				t.Errorf("%s: log lacks %q:\n%s", cut, want, log)
			}
		}
		// the peer back
		if cut == "address removed" {
			if err := nstest.IP("-n", l.b, "addr", "add", l.ba+"/24", "dev", "bfb"); err != nil {
				t.Fatal(err)
			}
		} else {
			peer = startBFDD()
		}
		waitStableUp(t, gk, "bfdpeer")
		waitAddr(t, gk, l.a, "bfa", vip, true, 15*time.Second)
	}
	stopCapture()
	checkDissection(t, pcap, l.aa)
}

// checkDissection: tshark reads our BFD packets (from src) as BFD
// Control with no malformed or expert mark.
func checkDissection(t *testing.T, pcap, src string) {
	t.Helper()
	count := func(filter string) int {
		out, err := exec.Command("tshark", "-r", pcap, "-Y", filter, "-T", "fields", "-e", "frame.number").Output()
		if err != nil {
			t.Fatalf("tshark -Y %q: %v", filter, err)
		}
		return len(strings.Fields(string(out)))
	}
	ours := count("ip.src == " + src + " && bfd")
	bad := count("ip.src == " + src + " && (_ws.malformed || _ws.expert)")
	t.Logf("tshark: %d BFD packets of ours dissected, %d with a malformed or expert mark", ours, bad)
	if ours < 10 || bad != 0 {
		t.Errorf("tshark: %d of our packets dissected as BFD, %d malformed or marked", ours, bad)
	}
}

// TestDaemonBFDWithKeepalived: the daemon and keepalived 2.2.7 each run a
// bfd_instance to the other and a VRRP instance tracking it. Both
// sessions come up; keepalived killed (its BFD process included) is
// detected by the daemon, which takes its instance to FAULT; keepalived
// back, the daemon killed is detected by keepalived, which logs the
// expiry and takes its own instance to FAULT.
func TestDaemonBFDWithKeepalived(t *testing.T) {
	t.Parallel()
	netnstest.Require(t, keepalivedBin)
	l := newBFDLink(t, "gkbk", 82)
	kaConf := fmt.Sprintf(`bfd_instance gkpeer {
 neighbor_ip %s
 source_ip %s
 min_rx %d
 min_tx %d
 multiplier %d
}
vrrp_instance VI_2 {
 state MASTER
 interface bfb
 virtual_router_id 52
 priority 150
 advert_int 1
 virtual_ipaddress {
  %s/32
 }
 track_bfd {
  gkpeer
 }
}
`, l.aa, l.ba, bfdIntervalMs, bfdIntervalMs, bfdMult, strings.TrimSuffix(l.aa, ".1")+".200")
	startKA := func() (*gkProc, string) {
		dir := t.TempDir()
		cf := filepath.Join(dir, "keepalived.conf")
		os.WriteFile(cf, []byte(kaConf), 0o644)
		p := startCmd(t, nsCommand(l.b)(keepalivedBin, "-n", "-l", "-D", "-f", cf, "-p", filepath.Join(dir, "k.pid"),
			"-r", filepath.Join(dir, "v.pid"), "-c", filepath.Join(dir, "c.pid"), "-b", filepath.Join(dir, "b.pid")), []string{"TMPDIR=" + dir})
		t.Cleanup(func() { stopIfRunning(t, p) })
		return p, dir
	}
	ka, _ := startKA()
	gk, _ := startGKIn(t, l.a, gkBFDConf(l))
	gk.waitFor("(bfdpeer) Entering Up state", 1)
	ka.waitFor("(gkpeer) Entering Up state", 1)
	waitStableUp(t, gk, "bfdpeer")
	vip := vipOf(l)
	waitAddr(t, gk, l.a, "bfa", vip, true, 10*time.Second)

	// keepalived stops (TERM: it stops its children in order)
	before := len(expiredRE.FindAllString(gk.log(), -1))
	downs := strings.Count(gk.log(), "(bfdpeer) Entering Down state")
	t0 := time.Now()
	termProc(t, ka)
	gone := waitAddr(t, gk, l.a, "bfa", vip, false, 5*time.Second)
	log := gk.log()
	if strings.Count(log, "(bfdpeer) Entering Down state") <= downs {
		t.Fatalf("keepalived stopped, our session never went down:\n%s", log)
	}
	detail := "signalled"
	if dead := expiredAfter(log, "bfdpeer", before); len(dead) > 0 {
		detail = fmt.Sprintf("expired %d ms after its last packet (bound %d ms)", dead[0], bfdBound)
		if dead[0] > bfdBound {
			t.Errorf("detection took %d ms, over %d ms", dead[0], bfdBound)
		}
	}
	t.Logf("keepalived stopped: gokeepalived's session %s; VIP removed %v after the signal", detail, gone.Sub(t0).Round(time.Millisecond))

	// keepalived back, gokeepalived killed: keepalived detects it
	ka, _ = startKA()
	ka.waitFor("(gkpeer) Entering Up state", 1)
	waitStableUp(t, gk, "bfdpeer")
	ka.waitFor("VRRP_Instance(VI_2) Tracked BFD instance gkpeer is UP", 1)
	kaBefore := len(expiredRE.FindAllString(ka.log(), -1))
	killProc(gk) // no AdminDown: keepalived must time out
	ka.waitFor("(gkpeer) Entering Down state (Local diagnostic - Control Detection Time Expired", 1)
	ka.waitFor("VRRP_Instance(VI_2) Tracked BFD instance gkpeer is DOWN", 1)
	dead := expiredAfter(ka.log(), "gkpeer", kaBefore)
	if len(dead) == 0 {
		t.Fatalf("keepalived logged no expiry:\n%s", ka.log())
	}
	t.Logf("gokeepalived killed: keepalived 2.2.7's session expired %d ms after our last packet (bound %d ms)", dead[0], bfdBound)
	if dead[0] > bfdBound {
		t.Errorf("keepalived's detection took %d ms, over %d ms", dead[0], bfdBound)
	}
}

// TestDaemonBFDMultihopWithFRR: bfdd with a multihop peer (RFC 5883)
// sends to port 4784; the daemon's multihop session (keepalived 2.4's
// keyword) comes up and answers it there.
func TestDaemonBFDMultihopWithFRR(t *testing.T) {
	t.Parallel()
	const bfdd = "/usr/lib/frr/bfdd"
	netnstest.Require(t, bfdd, "tshark")
	l := newBFDLink(t, "gkbm", 83)
	dir, err := os.MkdirTemp("", "gkbfdd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777)
	frr := fmt.Sprintf("bfd\n peer %s multihop local-address %s\n  receive-interval %d\n  transmit-interval %d\n  detect-multiplier %d\n !\n!\n",
		l.aa, l.ba, bfdIntervalMs, bfdIntervalMs, bfdMult)
	os.WriteFile(filepath.Join(dir, "frr.conf"), []byte(frr), 0o644)
	peer := startCmd(t, nsCommand(l.b)(bfdd, "-f", filepath.Join(dir, "frr.conf"), "-i", filepath.Join(dir, "bfdd.pid"),
		"--vty_socket", dir, "-u", "frr", "-g", "frr", "-z", filepath.Join(dir, "zserv.api"), "-P", "0",
		"--bfdctl", filepath.Join(dir, "bfdd.sock"), "--log", "stdout"), nil)
	pcap, stopCapture := captureBFD(t, l.a, "udp port 4784")
	gk, _ := startGKIn(t, l.a, strings.Replace(gkBFDConf(l), " multiplier", " multihop\n multiplier", 1))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("bfdd's output:\n%s", peer.log())
		}
	})
	gk.waitFor("(bfdpeer) Entering Up state", 1)
	waitStableUp(t, gk, "bfdpeer")
	stopCapture()
	out, err := exec.Command("tshark", "-r", pcap, "-Y", "ip.src == "+l.aa+" && udp.dstport == 4784 && bfd.sta == 3", "-T", "fields", "-e", "frame.number").Output()
	if err != nil {
		ee, _ := err.(*exec.ExitError)
		t.Fatalf("tshark: %v %s", err, ee.Stderr)
	}
	n := len(strings.Fields(string(out)))
	t.Logf("multihop: %d Up packets of ours to port 4784", n)
	if n == 0 {
		t.Errorf("no Up packet of ours to the multihop port")
	}
}

// TestDaemonBFDv6WithKeepalived: an IPv6 session between the daemon and
// keepalived 2.2.7 comes up both ways (hop limit 64, checked on receipt
// from the IPv6 control message of the dual-stack socket) and the
// daemon stopped is detected by keepalived.
func TestDaemonBFDv6WithKeepalived(t *testing.T) {
	t.Parallel()
	netnstest.Require(t, keepalivedBin)
	l := newBFDLink(t, "gkb6", 84)
	const a6, b6 = "fd00:84::1", "fd00:84::2"
	for _, s := range [][]string{{"-n", l.a, "addr", "add", a6 + "/64", "dev", "bfa", "nodad"}, {"-n", l.b, "addr", "add", b6 + "/64", "dev", "bfb", "nodad"}} {
		if err := nstest.IP(s...); err != nil {
			t.Fatal(err)
		}
	}
	conf := func(name, nbr, src, dev string) string {
		return fmt.Sprintf("bfd_instance %s {\n neighbor_ip %s\n source_ip %s\n min_rx %d\n min_tx %d\n multiplier %d\n}\n", name, nbr, src, bfdIntervalMs, bfdIntervalMs, bfdMult) +
			"vrrp_instance VI_6 {\n interface " + dev + "\n virtual_router_id 56\n priority 100\n virtual_ipaddress {\n 10.84.9.9/32\n }\n track_bfd {\n " + name + "\n }\n}\n"
	}
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(cf, []byte(conf("gkpeer", a6, b6, "bfb")), 0o644)
	ka := startCmd(t, nsCommand(l.b)(keepalivedBin, "-n", "-l", "-D", "-f", cf, "-p", filepath.Join(dir, "k.pid"),
		"-r", filepath.Join(dir, "v.pid"), "-c", filepath.Join(dir, "c.pid"), "-b", filepath.Join(dir, "b.pid")), []string{"TMPDIR=" + dir})
	t.Cleanup(func() { stopIfRunning(t, ka) })
	gk, _ := startGKIn(t, l.a, conf("bfdpeer", b6, a6, "bfa"))
	gk.waitFor("(bfdpeer) Entering Up state", 1)
	ka.waitFor("(gkpeer) Entering Up state", 1)
	waitStableUp(t, gk, "bfdpeer")
	before := len(expiredRE.FindAllString(ka.log(), -1))
	killProc(gk)
	ka.waitFor("(gkpeer) Entering Down state (Local diagnostic - Control Detection Time Expired", 1)
	if dead := expiredAfter(ka.log(), "gkpeer", before); len(dead) > 0 {
		t.Logf("IPv6: keepalived 2.2.7's session expired %d ms after our last packet (bound %d ms)", dead[0], bfdBound)
		if dead[0] > bfdBound {
			t.Errorf("detection took %d ms", dead[0])
		}
	}
}

// captureBFD starts tshark on ns's "bfa" with filter, writing to a pcap it
// returns with the function that ends the capture (SIGINT, so the file is
// complete); the capture is killed at cleanup if still running.
func captureBFD(t *testing.T, ns, filter string) (string, func()) {
	t.Helper()
	pcap := filepath.Join(t.TempDir(), "bfd.pcap")
	capture := exec.Command("ip", "netns", "exec", ns, "tshark", "-q", "-i", "bfa", "-f", filter, "-w", pcap)
	if err := capture.Start(); err != nil {
		t.Fatal(err)
	}
	// tshark writes the file once it captures: wait, or a session that
	// comes up at once ends the capture before it began
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(pcap); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("tshark never started capturing")
		}
	}
	t.Cleanup(func() {
		if capture.ProcessState == nil {
			capture.Process.Kill()
			capture.Wait()
		}
	})
	return pcap, func() {
		capture.Process.Signal(syscall.SIGINT)
		capture.Wait()
	}
}
