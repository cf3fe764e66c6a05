package nft

import (
	"encoding/binary"
	"encoding/hex"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/mdlayher/packet"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// needKernel skips outside the VM rig (this host's kernel has no
// nf_tables) and fails inside it when nf_tables is missing.
func needKernel(t *testing.T) {
	t.Helper()
	if os.Getenv("GOKEEPALIVED_VM") != "1" {
		t.Skip("needs nf_tables: run with make vmtest VMTEST_PKGS=./vrrp/nft")
	}
	if _, err := os.Stat("/sys/module/nf_tables"); err != nil {
		t.Fatalf("GOKEEPALIVED_VM=1 but nf_tables is not loaded: %v", err)
	}
}

func sh(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func try(args ...string) bool { return exec.Command(args[0], args[1:]...).Run() == nil }

// pair makes namespaces a (veth a0) and b (veth b0) with the given
// addresses on each side, removed at the end of the test.
func pair(t *testing.T, a, b string, aAddrs, bAddrs []string) netns.NsHandle {
	t.Helper()
	sh(t, "ip", "netns", "add", a)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", a).Run() })
	sh(t, "ip", "netns", "add", b)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", b).Run() })
	sh(t, "ip", "link", "add", "a0", "netns", a, "type", "veth", "peer", "name", "b0", "netns", b)
	for _, s := range []struct {
		ns, dev string
		addrs   []string
	}{{a, "a0", aAddrs}, {b, "b0", bAddrs}} {
		for _, ad := range s.addrs {
			sh(t, "ip", "-n", s.ns, "addr", "add", ad, "dev", s.dev, "nodad")
		}
		sh(t, "ip", "-n", s.ns, "link", "set", s.dev, "up")
		sh(t, "ip", "-n", s.ns, "link", "set", "lo", "up")
	}
	h, err := netns.GetFromName(a)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func ping(ns, addr string) bool {
	return try("ip", "netns", "exec", ns, "ping", "-c", "1", "-W", "1", addr)
}

func nsConn(t *testing.T, h netns.NsHandle) *nftables.Conn {
	c, err := nftables.New(nftables.AsLasting(), nftables.WithNetNSFd(int(h)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseLasting() })
	return c
}

// TestKernelDropsVIPTraffic: VIPs in the drop set stop answering
// (ping, v4 and v6), taken out they answer again; Close removes both
// tables.
func TestKernelDropsVIPTraffic(t *testing.T) {
	needKernel(t)
	h := pair(t, "nfa", "nfb", []string{"10.99.1.1/24", "10.99.1.100/24", "2001:db8:1::1/64", "2001:db8:1::100/64"},
		[]string{"10.99.1.2/24", "2001:db8:1::2/64"})
	vips := []Addr{{IP: netip.MustParseAddr("10.99.1.100")}, {IP: netip.MustParseAddr("2001:db8:1::100")}}
	for _, v := range []string{"10.99.1.1", "10.99.1.100", "2001:db8:1::100"} {
		if !ping("nfb", v) {
			t.Fatalf("%s does not answer before any rule", v)
		}
	}
	c, err := Open(Config{Table: "keepalived", Priority: -1, Counters: true, NetNS: int(h)})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddVIPs(vips); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"10.99.1.100", "2001:db8:1::100"} {
		if ping("nfb", v) {
			t.Errorf("%s answers with it in the drop set", v)
		}
	}
	if !ping("nfb", "10.99.1.1") {
		t.Error("the node's own address is dropped too")
	}
	if err := c.DelVIPs(vips[:1]); err != nil {
		t.Fatal(err)
	}
	if !ping("nfb", "10.99.1.100") || ping("nfb", "2001:db8:1::100") {
		t.Error("after removing only the IPv4 VIP: want it answering and the IPv6 one still dropped")
	}
	conn := nsConn(t, h)
	before, err := dump(conn, "keepalived")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("table:\n%s", strings.Join(before, "\n"))
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if !ping("nfb", "2001:db8:1::100") {
		t.Error("IPv6 VIP still dropped after Close")
	}
	after, err := dump(conn, "keepalived")
	if err != nil || len(after) != 0 {
		t.Errorf("after Close: %q %v, want no table", after, err)
	}
}

// TestKernelLayoutMatchesKeepalived runs keepalived 2.2.7 with
// no_accept MASTERs (IPv4, IPv6 global and link-local VIPs) and a
// use_vmac instance, dumps its table, then programs ours for the same
// addresses and interfaces and compares.
func TestKernelLayoutMatchesKeepalived(t *testing.T) {
	needKernel(t)
	if _, err := exec.LookPath("keepalived"); err != nil {
		t.Fatal("keepalived is not in the VM image")
	}
	h := pair(t, "nfk", "nfp", []string{"10.99.2.1/24", "2001:db8:2::1/64"}, []string{"10.99.2.2/24"})
	dir := t.TempDir()
	conf := `global_defs {
	nftables keepalived
	nftables_counters
}
vrrp_instance V4 {
	state BACKUP
	interface a0
	virtual_router_id 51
	priority 100
	advert_int 1
	no_accept
	virtual_ipaddress {
		10.99.2.100/24
		10.99.2.101/24
	}
}
vrrp_instance V6 {
	state BACKUP
	interface a0
	virtual_router_id 52
	priority 100
	advert_int 1
	no_accept
	virtual_ipaddress {
		fe80::52/64
		2001:db8:2::100/64
	}
}
vrrp_instance VM {
	state BACKUP
	interface a0
	use_vmac vrrp.53
	virtual_router_id 53
	priority 100
	advert_int 1
	virtual_ipaddress {
		10.99.2.103/24
	}
}
`
	cf := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(cf, []byte(conf), 0o644)
	ka := exec.Command("ip", "netns", "exec", "nfk", "keepalived", "-n", "-l", "-P", "-f", cf,
		"-p", dir+"/k.pid", "-r", dir+"/r.pid", "-c", dir+"/c.pid")
	logf, _ := os.Create(filepath.Join(dir, "log"))
	ka.Stdout, ka.Stderr = logf, logf
	if err := ka.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			ka.Process.Signal(os.Interrupt)
			ka.Wait()
		}
	}
	defer stop()
	conn := nsConn(t, h)
	var theirs []string
	deadline := time.Now().Add(40 * time.Second)
	for {
		theirs, _ = dump(conn, "keepalived")
		s := strings.Join(theirs, "\n")
		// All three MASTER: 2 v4 VIPs, 1 global v6, 1 link-local, 1 VMAC.
		if strings.Contains(s, "0a630265") && strings.Contains(s, "20010db8000200000000000000000100") &&
			strings.Contains(s, "fe800000000000000000000000000052") && strings.Contains(s, "vmac_map") {
			break
		}
		if time.Now().After(deadline) {
			lg, _ := os.ReadFile(filepath.Join(dir, "log"))
			t.Fatalf("keepalived's table never got all VIPs:\n%s\nlog:\n%s", s, lg)
		}
		time.Sleep(300 * time.Millisecond)
	}
	nh, err := netlink.NewHandleAt(h, unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	defer nh.Close()
	ifindex := func(name string) int {
		l, err := nh.LinkByName(name)
		if err != nil {
			t.Fatal(err)
		}
		return l.Attrs().Index
	}
	a0, vm := ifindex("a0"), ifindex("vrrp.53")
	norm := func(lines []string, vmac int) string {
		b := make([]byte, 4)
		binary.NativeEndian.PutUint32(b, uint32(vmac))
		return strings.ReplaceAll(strings.Join(lines, "\n"), hex.EncodeToString(b), "<vmac>")
	}
	theirsN := norm(theirs, vm)
	stop()
	if left, _ := dump(conn, "keepalived"); len(left) != 0 {
		t.Errorf("keepalived left its table at stop: %q", left)
	}

	sh(t, "ip", "-n", "nfk", "link", "add", "link", "a0", "name", "ours.53", "type", "macvlan", "mode", "private")
	ours53 := ifindex("ours.53")
	c, err := Open(Config{Table: "keepalived", Priority: -1, Counters: true, NetNS: int(h)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// keepalived's order: the VMAC at start-up, then VIPs per instance.
	if err := c.AddVMAC(ours53, a0, true, false); err != nil {
		t.Fatal(err)
	}
	if err := c.AddVIPs([]Addr{{IP: netip.MustParseAddr("10.99.2.100")}, {IP: netip.MustParseAddr("10.99.2.101")}}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddVIPs([]Addr{{IP: netip.MustParseAddr("fe80::52"), Ifindex: a0, Ifname: "a0"},
		{IP: netip.MustParseAddr("2001:db8:2::100")}}); err != nil {
		t.Fatal(err)
	}
	mine, err := dump(conn, "keepalived")
	if err != nil {
		t.Fatal(err)
	}
	oursN := norm(mine, ours53)
	if oursN != theirsN {
		t.Errorf("tables differ\nkeepalived 2.2.7:\n%s\n\nours:\n%s", theirsN, oursN)
	} else {
		t.Logf("identical (%d lines):\n%s", len(mine), oursN)
	}
}

// inNS runs fn on a thread switched to namespace h: sockets it opens
// stay there.
func inNS(t *testing.T, h netns.NsHandle, fn func()) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	if err := netns.Set(h); err != nil {
		t.Fatal(err)
	}
	defer netns.Set(orig)
	fn()
}

func tcpOK(t *testing.T, client netns.NsHandle, addr string) (ok bool) {
	inNS(t, client, func() {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			ok = true
		}
	})
	return ok
}

// TestKernelDaemonNoAccept runs gokeepalived with a no_accept instance:
// as MASTER it holds the VIP but neither ping nor a TCP connect to it
// gets through; reloaded with accept, both do; at stop the table goes.
func TestKernelDaemonNoAccept(t *testing.T) {
	needKernel(t)
	bin, err := exec.LookPath("gokeepalived")
	if err != nil {
		t.Fatal("gokeepalived is not in the VM: run make vmtest")
	}
	h := pair(t, "nfd", "nfc", []string{"10.99.3.1/24"}, []string{"10.99.3.2/24"})
	client, err := netns.GetFromName("nfc")
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var ln net.Listener
	inNS(t, h, func() { ln, err = net.Listen("tcp", ":8080") })
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	conf := func(mode string) {
		os.WriteFile(cf, []byte(`vrrp_instance V {
	state BACKUP
	interface a0
	virtual_router_id 61
	priority 100
	advert_int 1
	`+mode+`
	virtual_ipaddress {
		10.99.3.100/24
	}
}
`), 0o644)
	}
	conf("no_accept")
	d := exec.Command("ip", "netns", "exec", "nfd", bin, "-n", "-l", "-P", "-D", "-f", cf, "-p", dir+"/k.pid",
		"-r", dir+"/r.pid", "-c", dir+"/c.pid", "--control-socket", dir+"/sock")
	logf, _ := os.Create(filepath.Join(dir, "log"))
	d.Stdout, d.Stderr = logf, logf
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	done := false
	defer func() {
		if !done {
			d.Process.Kill()
			d.Wait()
		}
		if t.Failed() {
			lg, _ := os.ReadFile(filepath.Join(dir, "log"))
			t.Logf("gokeepalived log:\n%s", lg)
		}
	}()
	conn := nsConn(t, h)
	waitUntil := func(what string, within time.Duration, cond func() bool) time.Duration {
		t.Helper()
		start := time.Now()
		for !cond() {
			if time.Since(start) > within {
				t.Fatalf("%s: not within %v", what, within)
			}
			time.Sleep(200 * time.Millisecond)
		}
		return time.Since(start)
	}
	vipHeld := func() bool {
		out, _ := exec.Command("ip", "-n", "nfd", "-o", "addr", "show", "dev", "a0").Output()
		return strings.Contains(string(out), "10.99.3.100/24")
	}
	inSet := func() bool {
		l, _ := dump(conn, "keepalived")
		return slices.Contains(l, "set ip vips key ipv4_addr/4 {0a630364}")
	}
	took := waitUntil("MASTER with the VIP", 40*time.Second, vipHeld)
	t.Logf("MASTER after %v", took)
	if !inSet() {
		l, _ := dump(conn, "keepalived")
		t.Fatalf("VIP held but not in the drop set:\n%s", strings.Join(l, "\n"))
	}
	if !ping("nfc", "10.99.3.1") || !tcpOK(t, client, "10.99.3.1:8080") {
		t.Fatal("the director's own address does not answer")
	}
	if ping("nfc", "10.99.3.100") {
		t.Error("no_accept MASTER answers ping on its VIP")
	}
	if tcpOK(t, client, "10.99.3.100:8080") {
		t.Error("no_accept MASTER accepts TCP on its VIP")
	}

	conf("accept")
	d.Process.Signal(syscall.SIGHUP)
	took = waitUntil("drop set emptied by the reload", 15*time.Second, func() bool {
		l, _ := dump(conn, "keepalived")
		return slices.Contains(l, "set ip vips key ipv4_addr/4 {}")
	})
	t.Logf("reload to accept: set emptied after %v", took)
	if !vipHeld() {
		t.Error("the reload dropped the VIP")
	}
	if !ping("nfc", "10.99.3.100") || !tcpOK(t, client, "10.99.3.100:8080") {
		t.Error("accept MASTER does not answer on its VIP")
	}

	d.Process.Signal(syscall.SIGTERM)
	d.Wait()
	done = true
	if l, _ := dump(conn, "keepalived"); len(l) != 0 {
		t.Errorf("table left after stop:\n%s", strings.Join(l, "\n"))
	}
}

// TestKernelDaemonVMACIGMP: gokeepalived with use_vmac; the peer side
// captures every IGMP frame. Without the firewall the VMAC's joins carry
// the virtual MAC (TestVMACOnWire on the host sees them); with it they
// leave through the base interface with its own MAC, none with the VMAC's.
func TestKernelDaemonVMACIGMP(t *testing.T) {
	needKernel(t)
	bin, err := exec.LookPath("gokeepalived")
	if err != nil {
		t.Fatal("gokeepalived is not in the VM: run make vmtest")
	}
	h := pair(t, "nfm", "nfn", []string{"10.99.4.1/24"}, []string{"10.99.4.2/24"})
	peer, err := netns.GetFromName("nfn")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	var cap *packet.Conn
	inNS(t, peer, func() {
		ifi, e := net.InterfaceByName("b0")
		if e != nil {
			err = e
			return
		}
		cap, err = packet.Listen(ifi, packet.Raw, 0x0003, nil) // ETH_P_ALL
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cap.Close()
	igmpFrom := map[string]int{}
	var mu sync.Mutex
	capDone := make(chan struct{})
	go func() {
		defer close(capDone)
		b := make([]byte, 2048)
		for {
			n, _, err := cap.ReadFrom(b)
			if err != nil {
				return
			}
			// Ethernet + IPv4 with protocol 2 (IGMP).
			if n >= 34 && b[12] == 0x08 && b[13] == 0x00 && b[23] == 2 {
				mu.Lock()
				igmpFrom[net.HardwareAddr(b[6:12]).String()]++
				mu.Unlock()
			}
		}
	}()
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(cf, []byte(`vrrp_instance V {
	state BACKUP
	interface a0
	use_vmac
	virtual_router_id 71
	priority 100
	advert_int 1
	virtual_ipaddress {
		10.99.4.100/24
	}
}
`), 0o644)
	d := exec.Command("ip", "netns", "exec", "nfm", bin, "-n", "-l", "-P", "-f", cf, "-p", dir+"/k.pid",
		"-r", dir+"/r.pid", "-c", dir+"/c.pid", "--control-socket", dir+"/sock")
	logf, _ := os.Create(filepath.Join(dir, "log"))
	d.Stdout, d.Stderr = logf, logf
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	// Joins go out at once and are repeated; MASTER comes after ~3.6 s.
	time.Sleep(8 * time.Second)
	conn := nsConn(t, h)
	table, _ := dump(conn, "keepalived")
	d.Process.Signal(syscall.SIGTERM)
	d.Wait()
	cap.SetDeadline(time.Now())
	<-capDone
	lg, _ := os.ReadFile(filepath.Join(dir, "log"))
	out, _ := exec.Command("ip", "-n", "nfm", "link", "show", "a0").Output()
	a0MAC := strings.Fields(string(out)[strings.Index(string(out), "link/ether"):])[1]
	mu.Lock()
	defer mu.Unlock()
	t.Logf("IGMP frames by source MAC: %v (a0 is %s)", igmpFrom, a0MAC)
	vmacMAC := "00:00:5e:00:01:47" // VRID 71
	if igmpFrom[vmacMAC] != 0 {
		t.Errorf("%d IGMP frames left with the virtual MAC", igmpFrom[vmacMAC])
	}
	if igmpFrom[a0MAC] == 0 {
		t.Errorf("no IGMP frame through the base interface: the duplicate is missing\ntable:\n%s\nlog:\n%s", strings.Join(table, "\n"), lg)
	}
	if !slices.ContainsFunc(table, func(l string) bool { return strings.HasPrefix(l, "set ip vmac_map") && strings.Contains(l, ":") }) {
		t.Errorf("no vmac_map element while running:\n%s", strings.Join(table, "\n"))
	}
}
