package e2e

import (
	"bytes"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"github.com/vishvananda/netlink"

	vpkt "github.com/gokeepalived/gokeepalived/vrrp/packet"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

const fastV3 = "    version 3\n    advert_int 0.2"

var vmac51 = net.HardwareAddr{0, 0, 0x5e, 0, 1, 51}

// vwatch polls addr on a namespace's vrrp.51 every 5 ms.
type vwatch struct {
	t *testing.T
	h *netlink.Handle
	a netip.Addr
}

func (w vwatch) has() bool {
	mac := vmac51
	if w.a.Is6() {
		mac = net.HardwareAddr{0, 0, 0x5e, 0, 2, 51}
	}
	_, _, has := vmacState(w.t, w.h, "vrrp.51", mac, w.a)
	return has
}

func (w vwatch) until(want bool, limit time.Duration, what string) time.Duration {
	w.t.Helper()
	return pollUntil(w.t, w.has, want, limit, what)
}

func (w vwatch) stays(want bool, d time.Duration, what string) {
	w.t.Helper()
	pollStays(w.t, w.has, want, d, what)
}

// sysctl reads a sysctl inside ns.
func sysctl(t *testing.T, ns *nstest.NS, path string) string {
	t.Helper()
	out, err := ns.Command("cat", "/proc/sys/net/"+path).Output()
	if err != nil {
		return "ERR:" + err.Error()
	}
	return strings.TrimSpace(string(out))
}

// vmacState says whether name exists in ns as an up private-mode macvlan
// on eth0 with mac, and whether it holds addr.
func vmacState(t *testing.T, h *netlink.Handle, name string, mac net.HardwareAddr, addr netip.Addr) (exists, ok, hasAddr bool) {
	t.Helper()
	l, err := h.LinkByName(name)
	if err != nil {
		return false, false, false
	}
	mv, isMV := l.(*netlink.Macvlan)
	eth, _ := h.LinkByName("eth0")
	ok = isMV && mv.Mode == netlink.MACVLAN_MODE_PRIVATE && bytes.Equal(l.Attrs().HardwareAddr, mac) &&
		l.Attrs().Flags&net.FlagUp != 0 && eth != nil && l.Attrs().ParentIndex == eth.Attrs().Index
	as, _ := h.AddrList(l, netlink.FAMILY_ALL)
	for _, a := range as {
		if x, _ := netip.AddrFromSlice(a.IP); x.Unmap() == addr {
			hasAddr = true
		}
	}
	return true, ok, hasAddr
}

// use_vmac: the VIP lives on vrrp.51 (private macvlan, 00:00:5e:00:01:33,
// up); adverts and GARPs leave with the virtual MAC; keepalived's sysctls
// are set and restored; a graceful stop moves the VIP to the peer's VMAC
// and removes the interface.
func TestVMACOnWire(t *testing.T) {
	nstest.Require(t)
	a, b, _ := nstest.Bridged(t)
	ha, hb := a.Handle(t), b.Handle(t)
	cp := startCapture(t, b)
	wa, wb := vwatch{t, ha, vip4}, vwatch{t, hb, vip4}
	pa := startGo(t, a, "go-a", instance(51, 150, fastV3+"\n    use_vmac", "10.77.0.100/24"))
	startGo(t, b, "go-b", instance(51, 100, fastV3+"\n    use_vmac", "10.77.0.100/24"))
	wa.until(true, 6*time.Second, "a becomes master")
	wb.stays(false, 800*time.Millisecond, "b stays backup")

	for _, n := range []struct {
		name string
		h    *netlink.Handle
		vip  bool
	}{{"a", ha, true}, {"b", hb, false}} {
		exists, ok, has := vmacState(t, n.h, "vrrp.51", vmac51, vip4)
		if !exists || !ok || has != n.vip {
			t.Errorf("%s: vrrp.51 exists %v, private macvlan on eth0 with %v and up %v, has VIP %v (want %v)",
				n.name, exists, vmac51, ok, has, n.vip)
		}
	}
	for path, want := range map[string]string{
		"ipv4/conf/vrrp.51/arp_ignore": "1", "ipv4/conf/vrrp.51/accept_local": "1",
		"ipv4/conf/vrrp.51/rp_filter": "0", "ipv4/conf/vrrp.51/promote_secondaries": "1",
		"ipv4/conf/eth0/arp_ignore": "1", "ipv4/conf/eth0/arp_filter": "1",
		"ipv6/conf/vrrp.51/disable_ipv6": "1",
	} {
		if got := sysctl(t, a, path); got != want {
			t.Errorf("a: %s = %s, want %s", path, got, want)
		}
	}

	// On the wire (captured on b's eth0): a's adverts and GARPs carry the
	// virtual MAC as source.
	time.Sleep(300 * time.Millisecond)
	var adverts, garps, other, igmp int
	for _, fr := range cp.snapshot() {
		f := fr.f
		switch f.EtherType {
		case ethernet.EtherTypeIPv4:
			rx, err := vpkt.DecodeIPv4(f.Payload)
			if len(f.Payload) > 9 && f.Payload[9] == 2 && bytes.Equal(f.Source, vmac51) {
				igmp++
			}
			if err != nil || rx.IP.Protocol != vpkt.ProtoVRRP || rx.Advert.Priority != 150 {
				continue
			}
			if bytes.Equal(f.Source, vmac51) && rx.Src == netip.MustParseAddr("10.77.0.1") {
				adverts++
			} else {
				other++
				t.Errorf("a's advert from MAC %v IP %v", f.Source, rx.Src)
			}
		case ethernet.EtherTypeARP:
			var p arp.Packet
			if p.UnmarshalBinary(f.Payload) != nil || p.SenderIP != vip4 {
				continue
			}
			if bytes.Equal(f.Source, vmac51) && bytes.Equal(p.SenderHardwareAddr, vmac51) {
				garps++
			} else {
				t.Errorf("GARP from MAC %v sha %v", f.Source, p.SenderHardwareAddr)
			}
		}
	}
	t.Logf("captured from a: %d adverts and %d GARPs with source %v; IGMP frames from it: %d", adverts, garps, vmac51, igmp)
	if adverts < 3 || garps < 5 || other > 0 {
		t.Errorf("adverts %d (want ≥3), GARPs %d (want ≥5) from the virtual MAC", adverts, garps)
	}

	// Graceful stop: b's VMAC takes the VIP; a's VMAC and its settings go.
	pa.term()
	wb.until(true, 2*time.Second, "b takes over")
	pa.wait()
	if exists, ok, has := vmacState(t, hb, "vrrp.51", vmac51, vip4); !exists || !ok || !has {
		t.Errorf("b: vrrp.51 exists %v ok %v has VIP %v", exists, ok, has)
	}
	if exists, _, _ := vmacState(t, ha, "vrrp.51", vmac51, vip4); exists {
		t.Error("a's vrrp.51 left after stop")
	}
	if got := sysctl(t, a, "ipv4/conf/eth0/arp_ignore"); got != "0" {
		t.Errorf("a's eth0 arp_ignore %s after stop, want restored 0", got)
	}
}

// A name already taken by a non-macvlan (a bridge here) makes keepalived pick the next
// generated one; an existing matching VMAC is reused.
func TestVMACNameTaken(t *testing.T) {
	nstest.Require(t)
	a, _ := nstest.Pair(t)
	if err := nstest.IP("-n", a.Name, "link", "add", "vrrp.51", "type", "bridge"); err != nil {
		t.Fatal(err)
	}
	ha := a.Handle(t)
	pa := startGo(t, a, "go-a", instance(51, 150, fastV3+"\n    use_vmac", "10.77.0.100/24"))
	for start := time.Now(); ; time.Sleep(5 * time.Millisecond) {
		if _, _, has := vmacState(t, ha, "vrrp1.51", vmac51, vip4); has {
			break
		}
		if time.Since(start) > 6*time.Second {
			t.Fatal("no VIP on vrrp1.51 within 6s")
		}
	}
	if exists, ok, has := vmacState(t, ha, "vrrp1.51", vmac51, vip4); !exists || !ok || !has {
		t.Errorf("vrrp1.51: exists %v ok %v has VIP %v", exists, ok, has)
	}
	if l, err := ha.LinkByName("vrrp.51"); err != nil || l.Type() != "bridge" {
		t.Errorf("the bridge vrrp.51 was touched: %v %v", l, err)
	}
	pa.term()
	pa.wait()
	if _, err := ha.LinkByName("vrrp1.51"); err == nil {
		t.Error("vrrp1.51 left after stop")
	}
}

func hasRoute(t *testing.T, h *netlink.Handle, dst string, table int) bool {
	t.Helper()
	_, n, _ := net.ParseCIDR(dst)
	rs, err := h.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Dst: n, Table: table}, netlink.RT_FILTER_DST|netlink.RT_FILTER_TABLE)
	if err != nil {
		t.Fatal(err)
	}
	return len(rs) > 0
}

func hasRule(t *testing.T, h *netlink.Handle, prio int) bool {
	t.Helper()
	rs, err := h.RuleList(netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Priority == prio {
			return true
		}
	}
	return false
}

const routesConf = `static_routes {
    10.90.0.0/24 via 10.77.0.254 dev eth0
}
static_rules {
    from 10.90.0.0/24 table 90 priority 900
}
`

const vroutesConf = `
    virtual_routes {
        10.88.0.0/24 via 10.77.0.254 dev eth0
        blackhole 10.89.0.0/24 table 89 no_track
    }
    virtual_rules {
        from 10.77.0.100 table 89 priority 890
    }`

// virtual_routes/rules are on the MASTER only and follow it; static ones
// are on both, come back after a link flap drops them, and go at stop.
func TestRoutesAndRules(t *testing.T) {
	nstest.Require(t)
	a, b := nstest.Pair(t)
	ha, hb := a.Handle(t), b.Handle(t)
	wa, wb := watch{t, ha, vip4}, watch{t, hb, vip4}
	pa := startGo(t, a, "go-a", routesConf+instance(51, 150, fastV3+vroutesConf, "10.77.0.100/24"))
	pb := startGo(t, b, "go-b", routesConf+instance(51, 100, fastV3+vroutesConf, "10.77.0.100/24"))
	wa.until(true, 6*time.Second, "a becomes master")
	wb.stays(false, 600*time.Millisecond, "b stays backup")
	check := func(what string, h *netlink.Handle, virtual, static bool) {
		t.Helper()
		if got := [3]bool{hasRoute(t, h, "10.88.0.0/24", 254), hasRoute(t, h, "10.89.0.0/24", 89), hasRule(t, h, 890)}; got != [3]bool{virtual, virtual, virtual} {
			t.Errorf("%s: virtual route, blackhole, rule = %v, want all %v", what, got, virtual)
		}
		if got := [2]bool{hasRoute(t, h, "10.90.0.0/24", 254), hasRule(t, h, 900)}; got != [2]bool{static, static} {
			t.Errorf("%s: static route, rule = %v, want %v", what, got, static)
		}
	}
	check("master a", ha, true, true)
	check("backup b", hb, false, true)

	// Link flap on b: the kernel drops the static route via eth0.
	if err := nstest.IP("-n", b.Name, "link", "set", "eth0", "down"); err != nil {
		t.Fatal(err)
	}
	if hasRoute(t, hb, "10.90.0.0/24", 254) {
		t.Fatal("the kernel kept the route on a down link: nothing to test")
	}
	if err := nstest.IP("-n", b.Name, "link", "set", "eth0", "up"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for !hasRoute(t, hb, "10.90.0.0/24", 254) {
		if time.Since(start) > 3*time.Second {
			t.Fatal("static route not restored after the link came back")
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("static route restored %v after link up", time.Since(start))
	// An administrator deleting it: restored at once, as keepalived does.
	if err := nstest.IP("-n", b.Name, "route", "del", "10.90.0.0/24"); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	for !hasRoute(t, hb, "10.90.0.0/24", 254) {
		if time.Since(start) > 3*time.Second {
			t.Fatal("deleted static route not restored")
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("deleted static route restored within %v", time.Since(start))

	pa.term()
	wb.until(true, 3*time.Second, "b takes over")
	pa.wait()
	check("stopped a", ha, false, false)
	deadline := time.Now().Add(time.Second)
	for !hasRule(t, hb, 890) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	check("new master b", hb, true, true)
	pb.term()
	pb.wait()
	check("stopped b", hb, false, false)
}

// track_process on a real process the test owns: killing it (by PID) puts
// the unweighted tracker's instance in FAULT and the peer takes over;
// starting it again brings it back.
func TestTrackProcessE2E(t *testing.T) {
	nstest.Require(t)
	a, b := nstest.Pair(t)
	wa, wb := watch{t, a.Handle(t), vip4}, watch{t, b.Handle(t), vip4}
	// A name no other process has: a symlink to sleep (comm is its base name).
	name := "gkvtp" + strings.TrimPrefix(filepath.Base(t.TempDir()), "00")
	name = name[:min(len(name), 15)]
	bin := filepath.Join(t.TempDir(), name)
	if err := os.Symlink("/bin/sleep", bin); err != nil {
		t.Fatal(err)
	}
	startProc := func() *exec.Cmd {
		c := exec.Command(bin, "600")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Process.Kill(); c.Wait() })
		return c
	}
	proc := startProc()
	tp := "vrrp_track_process svc {\n    process " + name + "\n}\n"
	startGo(t, a, "go-a", tp+instance(51, 150, fastV3+"\n    track_process {\n        svc\n    }", "10.77.0.100/24"))
	startGo(t, b, "go-b", instance(51, 100, fastV3, "10.77.0.100/24"))
	wa.until(true, 6*time.Second, "a becomes master")
	wb.stays(false, 600*time.Millisecond, "b stays backup")

	killed := time.Now()
	if err := syscall.Kill(proc.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	proc.Wait()
	wb.until(true, 3*time.Second, "b takes over when the process dies")
	took := time.Since(killed)
	// Poll interval 100 ms + FAULT's priority 0 advert + b's skew.
	bound := 100*time.Millisecond + skew(100, 200*time.Millisecond) + 150*time.Millisecond
	t.Logf("process killed → b master after %v (bound %v)", took, bound)
	if took > bound {
		t.Errorf("takeover %v > %v", took, bound)
	}
	wa.until(false, time.Second, "a (FAULT) releases the VIP")
	startProc()
	wa.until(true, 3*time.Second, "a preempts when the process is back")
}

// macAddrs lists the source MACs of a's VRRP adverts (priority 150) and
// of its GARPs/NAs for vip in a capture.
func macAddrs(cp *capture, vip netip.Addr) (adverts, announces map[string]int) {
	adverts, announces = map[string]int{}, map[string]int{}
	for _, fr := range cp.snapshot() {
		f := fr.f
		switch f.EtherType {
		case ethernet.EtherTypeIPv4:
			if rx, err := vpkt.DecodeIPv4(f.Payload); err == nil && rx.IP.Protocol == vpkt.ProtoVRRP && rx.Advert.Priority == 150 {
				adverts[f.Source.String()]++
			}
		case ethernet.EtherTypeARP:
			var p arp.Packet
			if p.UnmarshalBinary(f.Payload) == nil && p.SenderIP == vip {
				announces[f.Source.String()+" sha "+p.SenderHardwareAddr.String()]++
			}
		case ethernet.EtherTypeIPv6:
			ip := f.Payload
			if len(ip) < 41 {
				continue
			}
			src, _ := netip.AddrFromSlice(ip[8:24])
			switch {
			case ip[6] == vpkt.ProtoVRRP && len(ip) > 42 && ip[42] == 150:
				adverts[f.Source.String()+" from "+src.String()]++
			case ip[6] == 58 && ip[40] == 136 && src == vip:
				announces[f.Source.String()]++
			}
		}
	}
	return adverts, announces
}

// vmac_xmit_base: adverts leave from eth0's own MAC and address, GARPs
// still carry the virtual MAC; IPv6: the VMAC (00:00:5e:00:02:VRID)
// sends adverts from the base's link-local address and the NAs.
func TestVMACModes(t *testing.T) {
	nstest.Require(t)
	for _, tc := range []struct {
		name, extra string
		vip         netip.Addr
		vips        string
		mac         net.HardwareAddr
		xmitBase    bool
	}{
		{"xmit base", fastV3 + "\n    use_vmac\n    vmac_xmit_base", vip4, "10.77.0.100/24", vmac51, true},
		{"ipv6", fastV3 + "\n    use_vmac", netip.MustParseAddr("2001:db8::100"), "2001:db8::100/64",
			net.HardwareAddr{0, 0, 0x5e, 0, 2, 51}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := nstest.Pair(t)
			ha := a.Handle(t)
			cp := startCapture(t, b)
			var ethMAC net.HardwareAddr
			var ll netip.Addr
			if l, err := ha.LinkByName("eth0"); err == nil {
				ethMAC = l.Attrs().HardwareAddr
				as, _ := ha.AddrList(l, netlink.FAMILY_V6)
				for _, x := range as {
					if y, _ := netip.AddrFromSlice(x.IP); y.IsLinkLocalUnicast() {
						ll = y
					}
				}
			}
			startGo(t, a, "go-a", instance(51, 150, tc.extra, tc.vips))
			startGo(t, b, "go-b", instance(51, 100, tc.extra, tc.vips))
			for start := time.Now(); ; time.Sleep(5 * time.Millisecond) {
				if _, _, has := vmacState(t, ha, "vrrp.51", tc.mac, tc.vip); has {
					break
				}
				if time.Since(start) > 6*time.Second {
					t.Fatal("no VIP on vrrp.51 within 6s")
				}
			}
			if exists, ok, _ := vmacState(t, ha, "vrrp.51", tc.mac, tc.vip); !exists || !ok {
				t.Errorf("vrrp.51 exists %v, private macvlan with %v and up %v", exists, tc.mac, ok)
			}
			// b hears a through its own VMAC and stays backup.
			vwatch{t, b.Handle(t), tc.vip}.stays(false, time.Second, "b stays backup")
			adverts, announces := macAddrs(cp, tc.vip)
			t.Logf("adverts by source %v; GARP/NA by source %v", adverts, announces)
			wantAdv := tc.mac.String()
			if tc.xmitBase {
				wantAdv = ethMAC.String()
			}
			wantAnn := tc.mac.String()
			if tc.vip.Is4() {
				wantAnn += " sha " + tc.mac.String()
			} else {
				wantAdv += " from " + ll.String()
				if sysctl(t, a, "ipv6/conf/vrrp.51/disable_ipv6") != "0" {
					t.Error("IPv6 disabled on an IPv6 VMAC")
				}
			}
			if len(adverts) != 1 || adverts[wantAdv] < 3 {
				t.Errorf("adverts by source %v, want ≥3 all from %s", adverts, wantAdv)
			}
			if len(announces) != 1 || announces[wantAnn] < 5 {
				t.Errorf("GARP/NA by source %v, want ≥5 all from %s", announces, wantAnn)
			}
			if tc.vip.Is4() {
				return
			}
			// A link flap flushes the VMAC's IPv6 addresses; its link-local
			// source comes back and a is master on it again.
			for _, st := range []string{"down", "up"} {
				if err := nstest.IP("-n", a.Name, "link", "set", "eth0", st); err != nil {
					t.Fatal(err)
				}
			}
			vwatch{t, ha, tc.vip}.until(true, 5*time.Second, "a master on vrrp.51 again after the flap")
			// Setting the VMAC itself down flushes its link-local source;
			// it is put back when the VMAC comes up.
			for _, st := range []string{"down", "up"} {
				if err := nstest.IP("-n", a.Name, "link", "set", "vrrp.51", st); err != nil {
					t.Fatal(err)
				}
			}
			vwatch{t, ha, ll}.until(true, 2*time.Second, "link-local back on vrrp.51")
		})
	}
}

// keepalived 2.2.7 with use_vmac as MASTER, gokeepalived as BACKUP: the
// VMAC each builds has the same kind, MAC and sysctls; ours hears
// keepalived's adverts through it and takes over at its stop.
func TestVMACInteropKeepalived(t *testing.T) {
	nstest.Require(t, "/usr/sbin/keepalived")
	a, b := nstest.Pair(t)
	ha, hb := a.Handle(t), b.Handle(t)
	ka := startKeepalived(t, a, "keepalived-a", instance(51, 150, fastV3+"\n    use_vmac", "10.77.0.100/24"))
	vwatch{t, ha, vip4}.until(true, 8*time.Second, "keepalived becomes master on vrrp.51")
	startGo(t, b, "go-b", instance(51, 100, fastV3+"\n    use_vmac", "10.77.0.100/24"))
	wb := vwatch{t, hb, vip4}
	wb.stays(false, time.Second, "gokeepalived stays backup")
	for _, p := range []string{"ipv4/conf/vrrp.51/arp_ignore", "ipv4/conf/vrrp.51/accept_local", "ipv4/conf/vrrp.51/rp_filter",
		"ipv4/conf/vrrp.51/promote_secondaries", "ipv4/conf/eth0/arp_ignore", "ipv4/conf/eth0/arp_filter",
		"ipv4/conf/all/rp_filter", "ipv6/conf/vrrp.51/disable_ipv6"} {
		if ka, go_ := sysctl(t, a, p), sysctl(t, b, p); ka != go_ {
			t.Errorf("%s: keepalived %s, gokeepalived %s", p, ka, go_)
		}
	}
	_, okA, _ := vmacState(t, ha, "vrrp.51", vmac51, vip4)
	_, okB, _ := vmacState(t, hb, "vrrp.51", vmac51, vip4)
	if !okA || !okB {
		t.Errorf("private up macvlan with %v: keepalived %v, gokeepalived %v", vmac51, okA, okB)
	}
	ka.term()
	wb.until(true, 3*time.Second, "gokeepalived takes over")
	ka.wait()
	if exists, _, _ := vmacState(t, ha, "vrrp.51", vmac51, vip4); exists {
		t.Error("keepalived left its vrrp.51 (so would we be expected to?)")
	}
}
