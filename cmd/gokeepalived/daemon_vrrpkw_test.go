package main

import (
	"bufio"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/netnstest"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// The tests here run keepalived 2.2.7 and gokeepalived on the same
// configuration in namespaces and compare what each does at run time
// with a VRRP instance keyword.

// kwDaemons are the two daemons compared: keepalived first.
func kwDaemons(t *testing.T) []string {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return []string{keepalivedBin, self}
}

func daemonName(bin string) string {
	if bin == keepalivedBin {
		return "keepalived"
	}
	return "gokeepalived"
}

// startKW starts bin in the namespace run by cmdIn with the configuration
// text in a fresh directory, whose path replaces DIR in text; it is
// stopped with TERM when the test ends.
func startKW(t *testing.T, command func(string, ...string) *exec.Cmd, bin, text string, extra ...string) (*gkProc, string) {
	t.Helper()
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(cf, []byte(strings.ReplaceAll(text, "DIR", dir)), 0o644)
	os.WriteFile(filepath.Join(dir, "notify.sh"), []byte("#!/bin/sh\necho \"$@\" >> "+dir+"/notify.out\n"), 0o755)
	args := append([]string{"-n", "-l", "-D", "-P", "-f", cf, "-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid")}, extra...)
	if filepath.Base(bin) == "keepalived" { // 2.2.7 or the 2.4.3 oracle
		args = append(args, "-c", filepath.Join(dir, "c.pid"))
	} else {
		args = append(args, "--control-socket", filepath.Join(dir, "gk.sock"))
	}
	p := startCmd(t, command(bin, args...), []string{"TMPDIR=" + dir})
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.signal(syscall.SIGTERM)
			p.wait()
		}
	})
	return p, dir
}

// waitNotify waits until the notify script has written line.
func waitNotify(t *testing.T, p *gkProc, dir, line string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(dir, "notify.out"))
		if strings.Contains(string(b), line+"\n") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("notify never wrote %q (got %q):\n%s", line, b, p.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const kwGlobal = "global_defs {\n script_user root\n enable_script_security\n}\n"

// TestDaemonUnicastFaultNoPeer: an instance with unicast_src_ip and an
// empty unicast_peer block falls back to multicast and becomes MASTER;
// with unicast_fault_no_peer it stays in FAULT (notify FAULT, no adverts,
// no VIP), notified FAULT again at a reload, in keepalived and
// gokeepalived alike.
func TestDaemonUnicastFaultNoPeer(t *testing.T) {
	t.Parallel() // own namespaces and directories; mostly waiting on VRRP timers
	netnstest.Require(t, "keepalived")
	for _, bin := range kwDaemons(t) {
		for _, kw := range []bool{true, false} {
			name := daemonName(bin) + "/without"
			if kw {
				name = daemonName(bin) + "/with"
			}
			t.Run(name, func(t *testing.T) { testUnicastFaultNoPeer(t, bin, kw) })
		}
	}
}

func testUnicastFaultNoPeer(t *testing.T, bin string, kw bool) {
	ns := netnstest.New(t, "gkuf", "eth0")
	text := kwGlobal + "vrrp_instance VI_1 {\n state MASTER\n interface eth0\n virtual_router_id 61\n priority 150\n advert_int 1\n" +
		" unicast_src_ip 10.99.0.1\n unicast_peer {\n }\n notify DIR/notify.sh\n virtual_ipaddress {\n 10.99.0.231/32\n }\n"
	if kw {
		text += " unicast_fault_no_peer\n"
	}
	text += "}\n"
	adverts := captureVRRP(t, ns.Name, "gkpeer0")
	p, dir := startKW(t, ns.Command, bin, text)
	if !kw {
		p.waitFor("(VI_1) Entering MASTER STATE", 1)
		waitNotify(t, p, dir, "INSTANCE VI_1 MASTER 150")
		select {
		case <-adverts:
		case <-time.After(5 * time.Second):
			t.Fatalf("no multicast advert:\n%s", p.log())
		}
		if !hasAddr(t, ns.Name, "10.99.0.231") {
			t.Errorf("MASTER without its VIP:\n%s", p.log())
		}
		return
	}
	p.waitFor("(VI_1) Cannot use unicast without any peers - going to fault state", 1)
	waitNotify(t, p, dir, "INSTANCE VI_1 FAULT 150")
	// Longer than the master down interval (3 × 1 s + skew): a BACKUP
	// would have become MASTER and advertised by now.
	select {
	case src := <-adverts:
		t.Errorf("advert from %s while in FAULT:\n%s", src, p.log())
	case <-time.After(4500 * time.Millisecond):
	}
	if strings.Contains(p.log(), "Entering MASTER STATE") || hasAddr(t, ns.Name, "10.99.0.231") {
		t.Errorf("left FAULT:\n%s", p.log())
	}
	// keepalived finds the config fault anew at a reload and notifies it.
	p.signal(syscall.SIGHUP)
	p.waitFor("Reload complete", 1)
	waitNotify(t, p, dir, "INSTANCE VI_1 FAULT 150\nINSTANCE VI_1 FAULT 150")
	p.signal(syscall.SIGTERM)
	p.wait()
	b, _ := os.ReadFile(filepath.Join(dir, "notify.out"))
	if got := strings.Fields(string(b)); !strings.HasPrefix(string(b), "INSTANCE VI_1 FAULT 150\n") || strings.Contains(string(b), "MASTER") {
		t.Errorf("notifies %q", got)
	}
}

// kwUnicastV3 is a VRRPv3 unicast instance from src to peer.
func kwUnicastV3(prio, src, peer, extra string) string {
	return kwGlobal + "vrrp_instance VI_1 {\n state BACKUP\n version 3\n interface eth0\n virtual_router_id 62\n priority " + prio +
		"\n advert_int 1\n unicast_src_ip " + src + "\n unicast_peer {\n " + peer + "\n }\n" + extra +
		" virtual_ipaddress {\n 10.77.0.100/32\n }\n}\n"
}

// tsharkVRRP captures VRRP on eth0 of ns for d and returns, per line,
// "source,checksum status" (tshark: 0 bad, 1 good).
func tsharkVRRP(t *testing.T, ns *nstest.NS, d time.Duration) <-chan []string {
	return tshark(t, ns.Command, "eth0", "ip proto 112", d, "ip.src", "vrrp.checksum.status")
}

// tshark captures what passes filter on iface for d (started in the
// namespace by command) and returns one line of the fields per frame.
func tshark(t *testing.T, command func(string, ...string) *exec.Cmd, iface, filter string, d time.Duration, fields ...string) <-chan []string {
	t.Helper()
	args := []string{"-n", "-l", "-i", iface, "-f", filter, "-a", "duration:" + strconv.Itoa(int(d/time.Second)), "-T", "fields", "-E", "separator=,"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	cmd := command("tshark", args...)
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	res := make(chan []string, 1)
	go func() {
		cmd.Wait()
		res <- strings.Fields(out.String())
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})
	time.Sleep(time.Second) // tshark takes a while to open the capture
	return res
}

// TestDaemonOldUnicastChecksum: a VRRPv3 unicast MASTER with
// old_unicast_checksum sends checksums over the multicast group, which
// tshark calls bad; a BACKUP with the keyword takes them, one without it
// switches to them (logging so, and again after a reload, which forgets
// the switch) and one with "never" rejects them and
// becomes MASTER too. Each implementation is the receiver of the other's
// adverts, and the receiver's verdicts are keepalived 2.2.7's.
func TestDaemonOldUnicastChecksum(t *testing.T) {
	t.Parallel() // own namespaces and directories; mostly waiting on VRRP timers
	netnstest.Require(t, "keepalived", "tshark")
	bins := kwDaemons(t)
	for _, pair := range [][2]string{{bins[0], bins[1]}, {bins[1], bins[0]}} {
		for _, mode := range []string{"", "never", "config"} {
			name := daemonName(pair[0]) + "-to-" + daemonName(pair[1]) + "/" + mode
			t.Run(name, func(t *testing.T) { testOldUnicastChecksum(t, pair[0], pair[1], mode) })
		}
	}
}

func testOldUnicastChecksum(t *testing.T, sender, receiver, mode string) {
	a, b := nstest.Pair(t)
	kw := ""
	switch mode {
	case "never":
		kw = " old_unicast_checksum never\n"
	case "config":
		kw = " old_unicast_checksum\n"
	}
	capture := tsharkVRRP(t, b, 9*time.Second)
	s, _ := startKW(t, a.Command, sender, kwUnicastV3("150", "10.77.0.1", "10.77.0.2", " old_unicast_checksum\n"))
	s.waitFor("(VI_1) Entering MASTER STATE", 1)
	r, _ := startKW(t, b.Command, receiver, kwUnicastV3("100", "10.77.0.2", "10.77.0.1", kw))
	switch mode {
	case "never":
		r.waitFor("(VI_1) Invalid VRRPv3 checksum", 1)
		r.waitFor("(VI_1) Entering MASTER STATE", 1) // dual master
	case "":
		r.waitFor("(VI_1) Setting unicast VRRPv3 checksum to old version", 1)
	}
	if mode != "never" {
		r.waitFor("(VI_1) Entering BACKUP STATE", 1)
		time.Sleep(4500 * time.Millisecond) // > master down interval
		if l := r.log(); strings.Contains(l, "Entering MASTER STATE") || strings.Contains(l, "Invalid VRRPv3 checksum") {
			t.Errorf("%s receiver did not take the old checksum:\n%s", daemonName(receiver), l)
		}
	}
	if l := r.log(); (mode == "") != strings.Contains(l, "Setting unicast VRRPv3 checksum to old version") {
		t.Errorf("switch logged wrongly:\n%s", l)
	}
	if mode == "" {
		// A reload forgets the switch; the next advert makes it again.
		r.signal(syscall.SIGHUP)
		r.waitFor("Reload complete", 1)
		r.waitFor("(VI_1) Setting unicast VRRPv3 checksum to old version", 2)
	}
	// tshark computes the pseudo-header over the destination: the
	// sender's old checksums are bad, a "never" receiver's (as MASTER) good.
	pkts := <-capture
	verdicts := map[string]bool{}
	for _, p := range pkts {
		verdicts[p] = true
	}
	if !verdicts["10.77.0.1,0"] || verdicts["10.77.0.1,1"] {
		t.Errorf("tshark on %s's old checksums: %v", daemonName(sender), pkts)
	}
	if mode == "never" && (!verdicts["10.77.0.2,1"] || verdicts["10.77.0.2,0"]) {
		t.Errorf("tshark on %s's new checksums: %v", daemonName(receiver), pkts)
	}
	t.Logf("tshark source,checksum-status: %v", verdicts)
}

// TestDaemonGARPExtraIf: garp_extra_if 2 sends, while MASTER, one
// gratuitous ARP every 2 s (checked at each 1 s advert) for a VIP on an
// interface other than the instance's; without "all" only our VMACs
// count, so nothing is sent; with use_vmac and vmac_xmit_base the VMAC's
// own VIP gets one too. Which VIPs get periodic GARPs is compared with
// keepalived's, and our intervals are checked against the rule (counts
// over a window differ by the advert ticks a loaded machine delays).
func TestDaemonGARPExtraIf(t *testing.T) {
	t.Parallel() // own namespaces and directories; mostly waiting on VRRP timers
	netnstest.Require(t, "keepalived", "tshark")
	type seen struct{ eth1, eth0 []float64 }
	got := map[string][2]seen{}
	for _, c := range []struct{ name, extra string }{
		{"all", " garp_extra_if 2 all\n"},
		{"vmac-only", " garp_extra_if 2\n"},
		{"xmit-base", " garp_extra_if 2 all\n use_vmac\n vmac_xmit_base\n"},
	} {
		for _, bin := range kwDaemons(t) {
			t.Run(c.name+"/"+daemonName(bin), func(t *testing.T) {
				eth1, eth0 := testGARPExtraIf(t, bin, c.extra)
				g := got[c.name]
				i := 1
				if bin == keepalivedBin {
					i = 0
				}
				g[i] = seen{eth1, eth0}
				got[c.name] = g
			})
		}
	}
	for name, g := range got {
		for _, side := range []struct {
			iface string
			want  bool
			ts    [2][]float64
		}{
			{"eth1", name != "vmac-only", [2][]float64{g[0].eth1, g[1].eth1}},
			{"eth0", name == "xmit-base", [2][]float64{g[0].eth0, g[1].eth0}},
		} {
			k := name + "/" + side.iface
			t.Logf("%s: periodic GARPs in the window: keepalived %d, gokeepalived %d (intervals %v)", k, len(side.ts[0]), len(side.ts[1]), intervals(side.ts[1]))
			if ka, gk := len(side.ts[0]) >= 3, len(side.ts[1]) >= 3; ka != gk || gk != side.want {
				t.Errorf("%s: keepalived sent %d periodic GARPs, gokeepalived %d (want periodic: %v)", k, len(side.ts[0]), len(side.ts[1]), side.want)
			}
			// every 2 s, at the first advert (1 s) past it: 2 or 3 s, and
			// 0.5 s of slack for a loaded machine
			for _, d := range intervals(side.ts[1]) {
				if d < 1.9 || d > 3.5 {
					t.Errorf("%s: gokeepalived's GARP interval %.2f s, want 2-3 s", k, d)
				}
			}
		}
	}
}

func intervals(ts []float64) []float64 {
	var out []float64
	for i := 1; i < len(ts); i++ {
		out = append(out, math.Round((ts[i]-ts[i-1])*100)/100)
	}
	return out
}

// testGARPExtraIf returns the capture times of the GARPs for the eth1
// VIP and the eth0 VIP seen in the window.
func testGARPExtraIf(t *testing.T, bin, extra string) (eth1, eth0 []float64) {
	ns := netnstest.New(t, "gkgx", "eth0", "eth1")
	text := kwGlobal + "vrrp_instance VI_1 {\n state MASTER\n interface eth0\n virtual_router_id 63\n priority 150\n advert_int 1\n" +
		" garp_master_repeat 1\n garp_master_delay 0\n" + extra +
		" virtual_ipaddress {\n 10.99.0.233/32\n 10.99.1.233/32 dev eth1\n }\n}\n"
	p, _ := startKW(t, ns.Command, bin, text)
	p.waitFor("(VI_1) Entering MASTER STATE", 1)
	time.Sleep(500 * time.Millisecond) // past the burst at the transition
	c1 := tshark(t, ns.Command, "gkpeer1", "arp", 10*time.Second, "frame.time_epoch", "arp.src.proto_ipv4")
	c0 := tshark(t, ns.Command, "gkpeer0", "arp", 9*time.Second, "frame.time_epoch", "arp.src.proto_ipv4")
	pick := func(lines []string, addr string) []float64 {
		var ts []float64
		for _, l := range lines {
			if f := strings.Split(l, ","); len(f) == 2 && f[1] == addr {
				if v, err := strconv.ParseFloat(f[0], 64); err == nil {
					ts = append(ts, v)
				}
			}
		}
		return ts
	}
	return pick(<-c1, "10.99.1.233"), pick(<-c0, "10.99.0.233")
}

// TestDaemonReleaseVIPs: with -X keepalived 2.2.7 runs its VIP removal
// for an instance it initialises other than as MASTER, at start and at
// each reload, though it has set none of them: the only trace is one more
// "(VI_1) removing VIPs." each time; a VIP that someone else put on the
// interface stays. gokeepalived does the same.
func TestDaemonReleaseVIPs(t *testing.T) {
	t.Parallel() // own namespaces and directories; mostly waiting on VRRP timers
	netnstest.Require(t, "keepalived")
	type counts struct{ start, reload int }
	got := map[string]counts{}
	for _, bin := range kwDaemons(t) {
		for _, x := range []bool{false, true} {
			name := daemonName(bin) + "/without"
			if x {
				name = daemonName(bin) + "/X"
			}
			t.Run(name, func(t *testing.T) {
				ns := netnstest.New(t, "gkrx", "eth0")
				text := kwGlobal + "vrrp_instance VI_1 {\n state BACKUP\n interface eth0\n virtual_router_id 64\n priority 100\n advert_int 1\n" +
					" unicast_src_ip 10.99.0.1\n unicast_peer {\n }\n unicast_fault_no_peer\n notify DIR/notify.sh\n" +
					" virtual_ipaddress {\n 10.99.0.234/32\n }\n}\n"
				var extra []string
				if x {
					extra = []string{"-X"}
				}
				p, dir := startKW(t, ns.Command, bin, text, extra...)
				waitNotify(t, p, dir, "INSTANCE VI_1 FAULT 100")
				time.Sleep(500 * time.Millisecond)
				start := strings.Count(p.log(), "(VI_1) removing VIPs.")
				if err := nstest.IP("-n", ns.Name, "addr", "add", "10.99.0.234/32", "dev", "eth0"); err != nil {
					t.Fatal(err)
				}
				p.signal(syscall.SIGHUP)
				p.waitFor("Reload complete", 1)
				time.Sleep(time.Second)
				l := p.log()
				reload := strings.Count(l, "(VI_1) removing VIPs.") - start
				if !hasAddr(t, ns.Name, "10.99.0.234") {
					t.Errorf("the VIP added by hand was removed:\n%s", l)
				}
				got[name] = counts{start, reload}
			})
		}
	}
	t.Logf("\"removing VIPs.\" lines (start, reload): %v", got)
	for _, d := range []string{"keepalived", "gokeepalived"} {
		w, x := got[d+"/without"], got[d+"/X"]
		if x.start-w.start != 1 || x.reload-w.reload != 1 || w.reload != 0 {
			t.Errorf("%s: without -X %v, with %v; want one more line with -X at start and at reload", d, w, x)
		}
	}
}

// fifoLines reads lines from the FIFO at path (made here), until the test
// ends.
func fifoLines(t *testing.T, path string) func() []string {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	// Read-write, so that the open does not wait for a writer and the
	// reader sees no end of file between writers.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var lines []string
	go func() {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			mu.Lock()
			lines = append(lines, sc.Text())
			mu.Unlock()
		}
	}()
	t.Cleanup(func() { f.Close() })
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), lines...)
	}
}

// TestDaemonFIFOStatesOnReload: with fifo_write_vrrp_states_on_reload a
// reload writes to the notify FIFO the state of each sync group and
// instance it leaves as they were (but a MASTER instance), whether the
// file changed or not;
// without it a reload writes nothing. The lines are keepalived's.
func TestDaemonFIFOStatesOnReload(t *testing.T) {
	t.Parallel() // own namespaces and directories; mostly waiting on VRRP timers
	netnstest.Require(t, "keepalived")
	got := map[string][]string{}
	for _, kw := range []bool{false, true} {
		for _, bin := range kwDaemons(t) {
			name := daemonName(bin) + "/without"
			if kw {
				name = daemonName(bin) + "/with"
			}
			t.Run(name, func(t *testing.T) { got[name] = testFIFOStatesOnReload(t, bin, kw) })
		}
	}
	for _, m := range []string{"without", "with"} {
		k, g := got["keepalived/"+m], got["gokeepalived/"+m]
		t.Logf("%s: keepalived %q, gokeepalived %q", m, k, g)
		if strings.Join(k, "|") != strings.Join(g, "|") {
			t.Errorf("%s: FIFO lines at the reloads differ:\nkeepalived   %q\ngokeepalived %q", m, k, g)
		}
	}
	if len(got["keepalived/with"]) == 0 {
		t.Error("keepalived wrote nothing at the reloads with the keyword")
	}
}

func testFIFOStatesOnReload(t *testing.T, bin string, kw bool) []string {
	ns := netnstest.New(t, "gkff", "eth0")
	dir := t.TempDir()
	lines := fifoLines(t, filepath.Join(dir, "fifo"))
	conf := func(prio string) string {
		g := "global_defs {\n script_user root\n enable_script_security\n notify_fifo " + dir + "/fifo\n"
		if kw {
			g += " fifo_write_vrrp_states_on_reload\n"
		}
		return g + "}\nvrrp_sync_group G1 {\n group {\n VI_1\n }\n}\nvrrp_instance VI_1 {\n state MASTER\n interface eth0\n virtual_router_id 65\n priority " + prio +
			"\n advert_int 1\n virtual_ipaddress {\n 10.99.0.235/32\n }\n}\n" +
			// BACKUP for the whole test (master down interval 3 min)
			"vrrp_instance VI_2 {\n interface eth0\n virtual_router_id 66\n priority 100\n advert_int 60\n" +
			" virtual_ipaddress {\n 10.99.0.236/32\n }\n}\n"
	}
	p, kdir := startKW(t, ns.Command, bin, conf("150"))
	cf := filepath.Join(kdir, "keepalived.conf")
	p.waitFor("(VI_1) Entering MASTER STATE", 1)
	time.Sleep(500 * time.Millisecond)
	before := len(lines())
	// A reload of the same file, then one that changes the priority.
	p.signal(syscall.SIGHUP)
	p.waitFor("Reload complete", 1)
	time.Sleep(500 * time.Millisecond)
	os.WriteFile(cf, []byte(conf("160")), 0o644)
	p.signal(syscall.SIGHUP)
	p.waitFor("Reload complete", 2)
	time.Sleep(500 * time.Millisecond)
	return lines()[before:]
}

// TestDaemonLogUnknownVRIDs: adverts of a VRID no instance has are
// logged with log_unknown_vrids, in keepalived's words, and silently
// dropped without it. The sender is keepalived in the other namespace.
func TestDaemonLogUnknownVRIDs(t *testing.T) {
	t.Parallel() // own namespaces and directories; mostly waiting on VRRP timers
	netnstest.Require(t, "keepalived")
	for _, bin := range kwDaemons(t) {
		for _, kw := range []bool{false, true} {
			name := daemonName(bin) + "/without"
			if kw {
				name = daemonName(bin) + "/with"
			}
			t.Run(name, func(t *testing.T) {
				a, b := nstest.Pair(t)
				g := kwGlobal
				if kw {
					g = strings.Replace(g, "}", " log_unknown_vrids\n}", 1)
				}
				inst := func(vrid, prio, vip string) string {
					return "vrrp_instance VI_1 {\n state BACKUP\n interface eth0\n virtual_router_id " + vrid + "\n priority " + prio +
						"\n advert_int 1\n virtual_ipaddress {\n " + vip + "/32\n }\n}\n"
				}
				p, _ := startKW(t, a.Command, bin, g+inst("67", "100", "10.77.0.101"))
				s, _ := startKW(t, b.Command, keepalivedBin, kwGlobal+inst("68", "100", "10.77.0.102"))
				s.waitFor("(VI_1) Entering MASTER STATE", 1)
				const line = "Unknown VRID(68) received on interface(eth0). ignoring..."
				if kw {
					p.waitFor(line, 2)
					return
				}
				time.Sleep(3 * time.Second)
				if strings.Contains(p.log(), "Unknown VRID") {
					t.Errorf("logged without log_unknown_vrids:\n%s", p.log())
				}
			})
		}
	}
}
