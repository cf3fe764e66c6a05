package kerneltest

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/gokeepalived/gokeepalived/ipvs"
	lister "github.com/gokeepalived/gokeepalived/ipvs/ipvsadm"
	"github.com/gokeepalived/gokeepalived/ipvs/reconcile"
)

var (
	vip80 = tcp("10.10.31.100:80")
	rs101 = ipvs.NewDestination(ap("192.168.31.101:80"), ipvs.Masq, 1)
	rs102 = ipvs.NewDestination(ap("192.168.31.102:80"), ipvs.Masq, 1)
)

// The walkthrough of keepalived's documentation, driven by the reconciler:
// lc + NAT with two real servers, then one inhibited (weight 0).
func TestWalkthrough(t *testing.T) {
	c := open(t)
	desired := []reconcile.VirtualService{{
		Service: ipvs.Service{ServiceKey: vip80, Scheduler: "lc"},
		Dests:   []ipvs.Destination{rs101, rs102},
	}}
	ops, err := reconcile.Sync(c, desired, reconcile.Options{})
	must(t, err)
	if len(ops) != 3 {
		t.Errorf("initial sync: %d ops %v, want 3", len(ops), ops)
	}
	expectLn(t, c, []string{
		"IP Virtual Server version 1.2.1 (size=4096)",
		"Prot LocalAddress:Port Scheduler Flags",
		"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
		"TCP  10.10.31.100:80 lc",
		"  -> 192.168.31.101:80            Masq    1      0          0         ",
		"  -> 192.168.31.102:80            Masq    1      0          0         ",
	})

	desired[0].Dests[1].Weight = 0 // inhibit_on_failure
	ops, err = reconcile.Sync(c, desired, reconcile.Options{})
	must(t, err)
	if len(ops) != 1 || ops[0].Kind != reconcile.EditDest {
		t.Errorf("inhibit: ops %v, want one edit-dest (SET_DEST)", ops)
	}
	expectLn(t, c, []string{
		"IP Virtual Server version 1.2.1 (size=4096)",
		"Prot LocalAddress:Port Scheduler Flags",
		"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
		"TCP  10.10.31.100:80 lc",
		"  -> 192.168.31.101:80            Masq    1      0          0         ",
		"  -> 192.168.31.102:80            Masq    0      0          0         ",
	})
}

// Every scheduler of the kernel's module set, with the flags ipvsadm
// names for it.
func TestSchedulers(t *testing.T) {
	c := open(t)
	type tc struct {
		sched string
		proto ipvs.Protocol
		flags ipvs.SvcFlags
		shown string // the service line after "PROT addr:port "
	}
	cases := []tc{
		{"rr", ipvs.TCP, ipvs.SvcSched1 | ipvs.SvcSched3, "rr (flag-1,flag-3)"},
		{"wrr", ipvs.TCP, ipvs.SvcOnePacket, "wrr ops"},
		{"lc", ipvs.TCP, 0, "lc"},
		{"wlc", ipvs.TCP, ipvs.SvcSched2, "wlc (flag-2)"},
		{"lblc", ipvs.TCP, 0, "lblc"},
		{"lblcr", ipvs.TCP, ipvs.SvcSched1 | ipvs.SvcSched2 | ipvs.SvcSched3, "lblcr (flag-1,flag-2,flag-3)"},
		{"dh", ipvs.TCP, 0, "dh"},
		{"sh", ipvs.TCP, ipvs.SvcSHFallback | ipvs.SvcSHPort, "sh (sh-fallback,sh-port)"},
		{"sed", ipvs.TCP, 0, "sed"},
		{"nq", ipvs.TCP, 0, "nq"},
		{"fo", ipvs.TCP, 0, "fo"},
		{"ovf", ipvs.TCP, 0, "ovf"},
		{"sh", ipvs.UDP, ipvs.SvcSHPort, "sh (sh-port)"},
		{"mh", ipvs.UDP, ipvs.SvcMHFallback | ipvs.SvcMHPort | ipvs.SvcOnePacket, "mh (mh-fallback,mh-port) ops"},
		{"mh", ipvs.UDP, ipvs.SvcMHFallback, "mh (mh-fallback)"},
	}
	// twos came after Debian 12's 6.1; test it where the kernel has it.
	if _, err := os.Stat("/sys/module/ip_vs_twos"); err == nil {
		cases = append(cases, tc{"twos", ipvs.TCP, 0, "twos"})
	} else {
		t.Log("ip_vs_twos not loaded (not in this kernel): not tested")
	}
	var tcpRows, udpRows []string
	for i, s := range cases {
		port := uint16(8001 + i)
		k := ipvs.NewServiceKey(s.proto, netip.AddrPortFrom(netip.MustParseAddr("10.10.32.1"), port))
		must(t, c.NewService(ipvs.Service{ServiceKey: k, Scheduler: s.sched, Flags: s.flags}))
		must(t, c.NewDestination(k, ipvs.NewDestination(ap("192.168.32.2:80"), ipvs.Masq, uint32(i))))
		rows := []string{fmt.Sprintf("%-4s 10.10.32.1:%d %s", s.proto, port, s.shown), dest("192.168.32.2:80", "Masq", i, 0, 0)}
		if s.proto == ipvs.TCP {
			tcpRows = append(tcpRows, rows...)
		} else {
			udpRows = append(udpRows, rows...)
		}
		got, err := c.Service(k)
		must(t, err)
		if got.Scheduler != s.sched || got.Flags != s.flags {
			t.Errorf("%s: dumped %q flags %#x, want %q %#x", k, got.Scheduler, got.Flags, s.sched, s.flags)
		}
	}
	// ipvsadm sorts TCP (6) before UDP (17), then by port.
	expectLn(t, c, ln(append(tcpRows, udpRows...)...))

	// Scheduler and flags are edited in place (SET_SERVICE).
	k := ipvs.NewServiceKey(ipvs.TCP, ap("10.10.32.1:8001"))
	must(t, c.SetService(ipvs.Service{ServiceKey: k, Scheduler: "sh", Flags: ipvs.SvcSHFallback}))
	got := ipvsadm(t, "-Ln", "-t", "10.10.32.1:8001")
	// Listing one service leaves out the version line.
	sameLines(t, "after SET_SERVICE", got, append(slices.Clone(hdrLn[1:]), "TCP  10.10.32.1:8001 sh (sh-fallback)", dest("192.168.32.2:80", "Masq", 0, 0, 0)))
}

// Direct routing, weights up to the kernel's maximum, and an in-place
// change of forwarding method.
func TestDirectRouting(t *testing.T) {
	c := open(t)
	must(t, c.NewService(ipvs.Service{ServiceKey: vip80, Scheduler: "wrr"}))
	must(t, c.NewDestination(vip80, ipvs.NewDestination(ap("192.168.31.101:80"), ipvs.Route, 3)))
	must(t, c.NewDestination(vip80, ipvs.NewDestination(ap("192.168.31.102:80"), ipvs.Route, ipvs.MaxWeight)))
	expectLn(t, c, ln(
		"TCP  10.10.31.100:80 wrr",
		dest("192.168.31.101:80", "Route", 3, 0, 0),
		"  -> 192.168.31.102:80            Route   2147483647 0          0         ",
	))
	must(t, c.SetDestination(vip80, ipvs.NewDestination(ap("192.168.31.101:80"), ipvs.Masq, 7)))
	expectLn(t, c, ln(
		"TCP  10.10.31.100:80 wrr",
		dest("192.168.31.101:80", "Masq", 7, 0, 0),
		dest("192.168.31.102:80", "Route", ipvs.MaxWeight, 0, 0),
	))
}

// tunInfo is a row of `ipvsadm -Ln --tun-info` (ipvsadm 1.31:
// "  -> %-28s %-7s %-13s %-6d %-10d %-10d").
func tunInfo(addr, info string, weight int) string {
	return fmt.Sprintf("  -> %-28s %-7s %-13s %-6d %-10d %-10d", addr, "Tunnel", info, weight, 0, 0)
}

// TUN with every encapsulation and checksum option. `-Ln` shows only
// "Tunnel"; `--tun-info` shows type, port and checksum mode.
func TestTunnels(t *testing.T) {
	c := open(t)
	k := tcp("10.10.33.1:80")
	must(t, c.NewService(ipvs.Service{ServiceKey: k, Scheduler: "rr"}))
	tun := func(a string, w uint32, typ ipvs.TunnelType, port uint16, fl ipvs.TunnelFlags) ipvs.Destination {
		d := ipvs.NewDestination(ap(a), ipvs.Tunnel, w)
		d.TunnelType, d.TunnelPort, d.TunnelFlags = typ, port, fl
		return d
	}
	want := []ipvs.Destination{
		tun("10.1.0.1:80", 1, ipvs.TunIPIP, 0, 0),
		tun("10.1.0.2:80", 2, ipvs.TunGUE, 6080, ipvs.TunCsum),
		tun("10.1.0.3:80", 3, ipvs.TunGUE, 6081, ipvs.TunNoCsum),
		tun("10.1.0.4:80", 4, ipvs.TunGUE, 6082, ipvs.TunRemCsum),
		tun("10.1.0.5:80", 5, ipvs.TunGRE, 0, ipvs.TunCsum),
		tun("10.1.0.6:80", 6, ipvs.TunGRE, 0, ipvs.TunNoCsum),
	}
	for _, d := range want {
		must(t, c.NewDestination(k, d))
	}
	rows := []string{"TCP  10.10.33.1:80 rr"}
	for _, d := range want {
		rows = append(rows, dest(d.Key().String(), "Tunnel", int(d.Weight), 0, 0))
	}
	expectLn(t, c, ln(rows...))
	expectList(t, c, lister.Options{Format: lister.TunInfo}, []string{"-Ln", "--tun-info"}, []string{
		"IP Virtual Server version 1.2.1 (size=4096)",
		"Prot LocalAddress:Port Scheduler Flags",
		"  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn",
		"TCP  10.10.33.1:80 rr",
		tunInfo("10.1.0.1:80", "ipip", 1),
		tunInfo("10.1.0.2:80", "gue:6080:+c", 2),
		tunInfo("10.1.0.3:80", "gue:6081:-c", 3),
		tunInfo("10.1.0.4:80", "gue:6082:r+c", 4),
		tunInfo("10.1.0.5:80", "gre:+c", 5),
		tunInfo("10.1.0.6:80", "gre:-c", 6),
	})
	got := dests(t, c, k)
	for _, d := range want {
		if g := got[d.Key()].Destination; g != d {
			t.Errorf("dump of %v: %+v, want %+v", d.Key(), g, d)
		}
	}

	// ipvsadm refuses --tun-remcsum with gre; the kernel takes it (and
	// its GRE encapsulation ignores it).
	gre := tun("10.1.0.7:80", 1, ipvs.TunGRE, 0, ipvs.TunRemCsum)
	must(t, c.NewDestination(k, gre))
	if g := dests(t, c, k)[gre.Key()].Destination; g != gre {
		t.Errorf("dump of %v: %+v, want %+v", gre.Key(), g, gre)
	}
	sameLines(t, "ipvsadm -Ln --tun-info -t", ipvsadm(t, "-Ln", "--tun-info", "-t", "10.10.33.1:80")[9:10],
		[]string{tunInfo("10.1.0.7:80", "gre:r+c", 1)})
	must(t, c.DelDestination(k, gre.Key()))

	// Tunnel type, port and flags are editable in place.
	d := tun("10.1.0.1:80", 9, ipvs.TunGUE, 5555, ipvs.TunRemCsum)
	must(t, c.SetDestination(k, d))
	if g := dests(t, c, k)[d.Key()].Destination; g != d {
		t.Errorf("after SET_DEST: %+v, want %+v", g, d)
	}
	sameLines(t, "ipvsadm -Ln --tun-info -t", ipvsadm(t, "-Ln", "--tun-info", "-t", "10.10.33.1:80")[3:4],
		[]string{tunInfo("10.1.0.1:80", "gue:5555:r+c", 9)})
}

// An IPv6 service with IPv6 destinations and an IPv4 tunnel destination
// (mixed family), with persistence on a /64.
func TestIPv6(t *testing.T) {
	c := open(t)
	k := tcp("[2001:db8:31::100]:80")
	must(t, c.NewService(ipvs.Service{ServiceKey: k, Scheduler: "wlc", Flags: ipvs.SvcPersistent, Timeout: 30, Netmask: 64}))
	must(t, c.NewDestination(k, ipvs.NewDestination(ap("[2001:db8:31::101]:80"), ipvs.Route, 2)))
	must(t, c.NewDestination(k, ipvs.NewDestination(ap("[2001:db8:31::102]:8080"), ipvs.Masq, 1)))
	v4 := ipvs.NewDestination(ap("192.168.31.201:80"), ipvs.Tunnel, 3)
	must(t, c.NewDestination(k, v4))
	// ipvsadm compares the first address word with a wrapping
	// subtraction: the IPv4 destination sorts first.
	expectLn(t, c, ln(
		"TCP  [2001:db8:31::100]:80 wlc persistent 30 mask 64",
		dest("192.168.31.201:80", "Tunnel", 3, 0, 0),
		dest("[2001:db8:31::101]:80", "Route", 2, 0, 0),
		dest("[2001:db8:31::102]:8080", "Masq", 1, 0, 0),
	))
	if g := dests(t, c, k)[v4.Key()]; g.Destination != v4 || g.Family() != ipvs.IPv4 {
		t.Errorf("mixed-family dest dumped as %+v, want %+v", g.Destination, v4)
	}
	// Only tunnels may mix families.
	err := c.NewDestination(k, ipvs.NewDestination(ap("192.168.31.202:80"), ipvs.Masq, 1))
	if !errors.Is(err, syscall.EINVAL) {
		t.Errorf("IPv4 NAT dest on an IPv6 service: %v, want EINVAL", err)
	}
}

// Firewall-mark services: the same mark in both families is two services.
func TestFWMark(t *testing.T) {
	c := open(t)
	m4, m6 := ipvs.FWMarkKey(ipvs.IPv4, 1), ipvs.FWMarkKey(ipvs.IPv6, 1)
	m6b := ipvs.FWMarkKey(ipvs.IPv6, 300)
	must(t, c.NewService(ipvs.Service{ServiceKey: m4, Scheduler: "rr"}))
	must(t, c.NewService(ipvs.Service{ServiceKey: m6, Scheduler: "sh", Flags: ipvs.SvcSHPort}))
	must(t, c.NewService(ipvs.Service{ServiceKey: m6b, Scheduler: "wlc", Flags: ipvs.SvcPersistent, Timeout: 600, Netmask: 48}))
	must(t, c.NewDestination(m4, ipvs.NewDestination(ap("192.168.31.101:0"), ipvs.Route, 1)))
	must(t, c.NewDestination(m4, ipvs.NewDestination(ap("192.168.31.102:0"), ipvs.Route, 2)))
	must(t, c.NewDestination(m6, ipvs.NewDestination(ap("[2001:db8:31::101]:0"), ipvs.Route, 1)))
	must(t, c.NewDestination(m6b, ipvs.NewDestination(ap("[2001:db8:31::102]:443"), ipvs.Masq, 4)))
	expectLn(t, c, ln(
		"FWM  1 rr",
		dest("192.168.31.101:0", "Route", 1, 0, 0),
		dest("192.168.31.102:0", "Route", 2, 0, 0),
		"FWM  1 IPv6 sh (sh-port)",
		dest("[2001:db8:31::101]:0", "Route", 1, 0, 0),
		"FWM  300 IPv6 wlc persistent 600 mask 48",
		dest("[2001:db8:31::102]:443", "Masq", 4, 0, 0),
	))
	must(t, c.DelService(m6))
	if _, err := c.Service(m6); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("deleted IPv6 fwmark service: %v, want ESRCH", err)
	}
	if _, err := c.Service(m4); err != nil {
		t.Errorf("IPv4 fwmark 1 went with the IPv6 one: %v", err)
	}
}

// Persistence: IPv4 netmask, default granularity, and the SIP engine.
func TestPersistence(t *testing.T) {
	c := open(t)
	must(t, c.NewService(ipvs.Service{ServiceKey: tcp("10.10.31.100:443"), Scheduler: "rr", Flags: ipvs.SvcPersistent, Timeout: 300, Netmask: 24}))
	must(t, c.NewService(ipvs.Service{ServiceKey: vip80, Scheduler: "wlc", Flags: ipvs.SvcPersistent, Timeout: 360}))
	sip := udp("10.10.31.100:5060")
	must(t, c.NewService(ipvs.Service{ServiceKey: sip, Scheduler: "rr", Flags: ipvs.SvcPersistent, Timeout: 60, PE: "sip"}))
	must(t, c.NewDestination(sip, ipvs.NewDestination(ap("192.168.31.101:5060"), ipvs.Masq, 1)))
	expectLn(t, c, ln(
		"TCP  10.10.31.100:80 wlc persistent 360",
		"TCP  10.10.31.100:443 rr persistent 300 mask 255.255.255.0",
		"UDP  10.10.31.100:5060 rr persistent 60 pe sip",
		dest("192.168.31.101:5060", "Masq", 1, 0, 0),
	))
	// Dropping the engine and persistence in place.
	must(t, c.SetService(ipvs.Service{ServiceKey: sip, Scheduler: "rr"}))
	sameLines(t, "after SET_SERVICE", ipvsadm(t, "-Ln", "-u", "10.10.31.100:5060")[2:3], []string{"UDP  10.10.31.100:5060 rr"})
	if s, err := c.Service(sip); err != nil || s.PE != "" || s.Flags != 0 {
		t.Errorf("after SET_SERVICE: %+v %v, want no PE, no flags", s, err)
	}
}

// thr is a row of `ipvsadm -Ln --thresholds`.
func thr(addr string, upper, lower int) string {
	return fmt.Sprintf("  -> %-28s %-10d %-10d %-10d %-10d", addr, upper, lower, 0, 0)
}

func TestThresholds(t *testing.T) {
	c := open(t)
	must(t, c.NewService(ipvs.Service{ServiceKey: vip80, Scheduler: "wlc"}))
	d := rs101
	d.UpperThreshold, d.LowerThreshold = 100, 10
	must(t, c.NewDestination(vip80, d))
	must(t, c.NewDestination(vip80, rs102))
	hdr := []string{
		"IP Virtual Server version 1.2.1 (size=4096)",
		"Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn ",
		"  -> RemoteAddress:Port",
		"TCP  10.10.31.100:80 wlc",
	}
	opt := lister.Options{Format: lister.Thresholds}
	expectList(t, c, opt, []string{"-Ln", "--thresholds"},
		append(hdr, thr("192.168.31.101:80", 100, 10), thr("192.168.31.102:80", 0, 0)))
	d.UpperThreshold, d.LowerThreshold = 2000, 1500
	must(t, c.SetDestination(vip80, d))
	expectList(t, c, opt, []string{"-Ln", "--thresholds"},
		append(hdr, thr("192.168.31.101:80", 2000, 1500), thr("192.168.31.102:80", 0, 0)))
}

func TestTimeouts(t *testing.T) {
	c := open(t)
	orig, err := c.Timeouts()
	must(t, err)
	t.Cleanup(func() { must(t, c.SetTimeouts(orig)) })
	line := func(tm ipvs.Timeouts) []string {
		return []string{fmt.Sprintf("Timeout (tcp tcpfin udp): %d %d %d", tm.TCP, tm.TCPFin, tm.UDP)}
	}
	// A fresh netns has the kernel defaults (15 min, 2 min, 5 min).
	if orig != (ipvs.Timeouts{TCP: 900, TCPFin: 120, UDP: 300}) {
		t.Errorf("initial timeouts %+v, want the kernel defaults 900 120 300", orig)
	}
	sameLines(t, "ipvsadm -Ln --timeout", ipvsadm(t, "-Ln", "--timeout"), line(orig))

	must(t, c.SetTimeouts(ipvs.Timeouts{TCP: 100, TCPFin: 20, UDP: 50}))
	sameLines(t, "ipvsadm -Ln --timeout", ipvsadm(t, "-Ln", "--timeout"), []string{"Timeout (tcp tcpfin udp): 100 20 50"})
	// Zero fields are not sent and stay as they are.
	must(t, c.SetTimeouts(ipvs.Timeouts{TCPFin: 30}))
	sameLines(t, "ipvsadm -Ln --timeout", ipvsadm(t, "-Ln", "--timeout"), []string{"Timeout (tcp tcpfin udp): 100 30 50"})
	if got, err := c.Timeouts(); err != nil || got != (ipvs.Timeouts{TCP: 100, TCPFin: 30, UDP: 50}) {
		t.Errorf("Timeouts() = %+v, %v", got, err)
	}
	// ipvsadm's --set goes through the same attributes.
	ipvsadm(t, "--set", "61", "62", "63")
	if got, err := c.Timeouts(); err != nil || got != (ipvs.Timeouts{TCP: 61, TCPFin: 62, UDP: 63}) {
		t.Errorf("after ipvsadm --set 61 62 63: %+v, %v", got, err)
	}
}

// dummyLink creates a dummy interface for the test and removes it after.
func dummyLink(t *testing.T, name string, addrs ...string) {
	t.Helper()
	run(t, "ip", "link", "add", name, "type", "dummy")
	t.Cleanup(func() { run(t, "ip", "link", "del", name) })
	run(t, "ip", "link", "set", name, "up")
	for _, a := range addrs {
		run(t, "ip", "addr", "add", a, "dev", name)
	}
}

func TestSyncDaemon(t *testing.T) {
	c := open(t)
	dummyLink(t, "gkvsync0")
	master := ipvs.SyncDaemon{State: ipvs.SyncMaster, Interface: "gkvsync0", SyncID: 5}
	backup := ipvs.SyncDaemon{State: ipvs.SyncBackup, Interface: "gkvsync0", SyncID: 6,
		MaxLen: 1400, Group: netip.MustParseAddr("224.0.0.82"), Port: 8849, TTL: 2}
	must(t, c.NewSyncDaemon(master))
	t.Cleanup(func() {
		// Stop whatever is still running so the next test starts clean.
		for _, s := range []ipvs.SyncState{ipvs.SyncMaster, ipvs.SyncBackup} {
			c.DelSyncDaemon(s)
		}
	})
	must(t, c.NewSyncDaemon(backup))
	// The kernel fills in the defaults: maxlen from the MTU (1500 - IP
	// and UDP headers), 224.0.0.81, port 8848, ttl 1.
	masterLine := "master sync daemon (mcast=gkvsync0, syncid=5, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)"
	backupLine := "backup sync daemon (mcast=gkvsync0, syncid=6, maxlen=1400, group=224.0.0.82, port=8849, ttl=2)"
	sameLines(t, "ipvsadm -Ln --daemon", ipvsadm(t, "-Ln", "--daemon"), []string{masterLine, backupLine})
	ds, err := c.SyncDaemons()
	must(t, err)
	var b strings.Builder
	must(t, lister.Daemons(&b, ds))
	sameLines(t, "our --daemon", splitLines(b.String()), []string{masterLine, backupLine})
	wantM := master
	wantM.MaxLen, wantM.Group, wantM.Port, wantM.TTL = 1472, netip.MustParseAddr("224.0.0.81"), 8848, 1
	for _, d := range ds {
		if d != wantM && d != backup {
			t.Errorf("dumped daemon %+v, want %+v or %+v", d, wantM, backup)
		}
	}
	if err := c.NewSyncDaemon(master); !errors.Is(err, syscall.EEXIST) {
		t.Errorf("second master: %v, want EEXIST", err)
	}

	// The sync protocol cannot carry mixed-family destinations: the kernel
	// refuses them while a daemon runs.
	k := tcp("[2001:db8:31::100]:80")
	must(t, c.NewService(ipvs.Service{ServiceKey: k, Scheduler: "rr"}))
	if err := c.NewDestination(k, ipvs.NewDestination(ap("192.168.31.201:80"), ipvs.Tunnel, 1)); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("mixed-family dest with a sync daemon running: %v, want EINVAL", err)
	}

	must(t, c.DelSyncDaemon(ipvs.SyncMaster))
	sameLines(t, "ipvsadm -Ln --daemon", ipvsadm(t, "-Ln", "--daemon"), []string{backupLine})
	must(t, c.DelSyncDaemon(ipvs.SyncBackup))
	sameLines(t, "ipvsadm -Ln --daemon", ipvsadm(t, "-Ln", "--daemon"), nil)
	if ds, err := c.SyncDaemons(); err != nil || len(ds) != 0 {
		t.Errorf("after del: %+v %v", ds, err)
	}

	// ... and refuses to start one while such a destination exists.
	must(t, c.NewDestination(k, ipvs.NewDestination(ap("192.168.31.201:80"), ipvs.Tunnel, 1)))
	if err := c.NewSyncDaemon(master); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("sync daemon with a mixed-family dest: %v, want EINVAL", err)
	}
}

// The kernel's errnos surface as *ipvs.OpError wrapping the errno.
func TestKernelErrors(t *testing.T) {
	c := open(t)
	must(t, c.NewService(ipvs.Service{ServiceKey: vip80, Scheduler: "rr"}))
	must(t, c.NewDestination(vip80, rs101))
	missing := tcp("10.10.31.199:80")
	bad := rs102
	bad.UpperThreshold, bad.LowerThreshold = 10, 20
	gue := ipvs.NewDestination(ap("10.1.0.9:80"), ipvs.Tunnel, 1)
	gue.TunnelType = ipvs.TunGUE // no port
	heavy := rs102
	heavy.Weight = ipvs.MaxWeight + 1
	cases := []struct {
		what string
		err  error
		want syscall.Errno
	}{
		{"duplicate service", c.NewService(ipvs.Service{ServiceKey: vip80, Scheduler: "rr"}), syscall.EEXIST},
		{"duplicate destination", c.NewDestination(vip80, rs101), syscall.EEXIST},
		{"delete missing destination", c.DelDestination(vip80, rs102.Key()), syscall.ENOENT},
		{"edit missing destination", c.SetDestination(vip80, rs102), syscall.ENOENT},
		{"delete missing service", c.DelService(missing), syscall.ESRCH},
		{"edit missing service", c.SetService(ipvs.Service{ServiceKey: missing, Scheduler: "rr"}), syscall.ESRCH},
		{"destination of missing service", c.NewDestination(missing, rs101), syscall.ESRCH},
		{"unknown scheduler", c.NewService(ipvs.Service{ServiceKey: missing, Scheduler: "nosuch"}), syscall.ENOENT},
		{"unknown persistence engine", c.NewService(ipvs.Service{ServiceKey: missing, Scheduler: "rr", Flags: ipvs.SvcPersistent, Timeout: 60, PE: "nosuch"}), syscall.ENOENT},
		{"lower threshold above upper", c.NewDestination(vip80, bad), syscall.ERANGE},
		{"weight above 2^31-1", c.NewDestination(vip80, heavy), syscall.ERANGE},
		{"GUE without port", c.NewDestination(vip80, gue), syscall.EINVAL},
	}
	for _, tc := range cases {
		var oe *ipvs.OpError
		switch {
		case !errors.As(tc.err, &oe):
			t.Errorf("%s: %v (%T), want *ipvs.OpError", tc.what, tc.err, tc.err)
		case !errors.Is(tc.err, tc.want):
			t.Errorf("%s: %v, want %v (%d)", tc.what, tc.err, tc.want, int(tc.want))
		}
	}
	if !ipvs.IsExist(cases[0].err) || !ipvs.IsNotExist(cases[2].err) || !ipvs.IsNotExist(cases[4].err) {
		t.Errorf("IsExist/IsNotExist do not classify the kernel's errnos")
	}
	// Nothing of the failed calls reached the table.
	expectLn(t, c, ln("TCP  10.10.31.100:80 rr", dest("192.168.31.101:80", "Masq", 1, 0, 0)))
}

func TestFlush(t *testing.T) {
	c := open(t)
	must(t, c.NewService(ipvs.Service{ServiceKey: vip80, Scheduler: "rr"}))
	must(t, c.NewDestination(vip80, rs101))
	must(t, c.NewService(ipvs.Service{ServiceKey: ipvs.FWMarkKey(ipvs.IPv6, 9), Scheduler: "rr"}))
	if n := len(ipvsadm(t, "-Ln")); n != 3+3 {
		t.Fatalf("ipvsadm -Ln: %d lines before flush, want 6", n)
	}
	must(t, c.Flush())
	expectLn(t, c, ln())
	if s, err := c.Services(); err != nil || len(s) != 0 {
		t.Errorf("Services() after flush = %v, %v", s, err)
	}
	// Flushing an empty table is fine.
	must(t, c.Flush())
}

func TestInfo(t *testing.T) {
	c := open(t)
	i, err := c.Info()
	must(t, err)
	if i.Version != 0x010201 || i.ConnTabSize != 4096 || i.VersionString() != "1.2.1" {
		t.Errorf("Info() = %+v (%s), want 1.2.1 size 4096", i, i.VersionString())
	}
}

// Pipelined edits (many requests per sendmsg) get their own answers, in
// order, across the pipeline's chunks.
func TestPipelinedEdits(t *testing.T) {
	c := open(t)
	var es []ipvs.Edit
	var want []syscall.Errno
	for i := range 50 {
		s := ipvs.Service{ServiceKey: tcp(fmt.Sprintf("10.10.40.%d:80", i+1)), Scheduler: "rr"}
		d := ipvs.NewDestination(ap("192.168.40.1:80"), ipvs.Masq, uint32(i))
		es = append(es,
			ipvs.Edit{Kind: ipvs.EditNewService, Service: s},
			ipvs.Edit{Kind: ipvs.EditNewDest, Service: s, Dest: d})
		want = append(want, 0, 0)
		switch i % 3 {
		case 0: // duplicate
			es = append(es, ipvs.Edit{Kind: ipvs.EditNewDest, Service: s, Dest: d})
			want = append(want, syscall.EEXIST)
		case 1: // missing
			es = append(es, ipvs.Edit{Kind: ipvs.EditDelDest, Service: s, Dest: ipvs.NewDestination(ap("192.168.40.9:80"), ipvs.Masq, 0)})
			want = append(want, syscall.ENOENT)
		}
	}
	// Requests from another goroutine must not take the pipeline's ACKs.
	done, started := make(chan struct{}), make(chan struct{})
	infoErr := make(chan error, 1)
	go func() {
		_, err := c.Info()
		close(started)
		for err == nil {
			select {
			case <-done:
				infoErr <- nil
				return
			default:
			}
			_, err = c.Info()
		}
		infoErr <- err
	}()
	<-started
	res := c.Edits(es)
	close(done)
	if err := <-infoErr; err != nil {
		t.Errorf("concurrent Info: %v", err)
	}
	if len(res) != len(es) {
		t.Fatalf("%d results for %d edits", len(res), len(es))
	}
	for i, err := range res {
		if want[i] == 0 && err != nil || want[i] != 0 && !errors.Is(err, want[i]) {
			t.Errorf("edit %d (%v %v): %v, want errno %d", i, es[i].Kind, es[i].Service.ServiceKey, err, int(want[i]))
		}
	}
	for i := range 50 {
		ds, err := c.Destinations(tcp(fmt.Sprintf("10.10.40.%d:80", i+1)))
		if err != nil || len(ds) != 1 || ds[0].Weight != uint32(i) {
			t.Errorf("service %d: %+v %v", i, ds, err)
		}
	}
}

// A handle opened in another network namespace edits that namespace's
// table only (net_namespace_ipvs).
func TestNetNS(t *testing.T) {
	open(t)
	run(t, "ip", "netns", "add", "gkvns")
	t.Cleanup(func() { run(t, "ip", "netns", "del", "gkvns") })
	c, err := ipvs.Open(ipvs.Options{NetNS: "gkvns"})
	must(t, err)
	defer c.Close()
	must(t, c.NewService(ipvs.Service{ServiceKey: vip80, Scheduler: "rr"}))
	// With lo down the namespace has no local routing table, and the
	// kernel rejects every IPv4 NAT destination (inet_addr_type is not
	// unicast).
	if err := c.NewDestination(vip80, rs101); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("NAT dest in a namespace with lo down: %v, want EINVAL", err)
	}
	run(t, "ip", "-n", "gkvns", "link", "set", "lo", "up")
	must(t, c.NewDestination(vip80, rs101))
	sameLines(t, "ipvsadm -Ln in gkvns", run(t, "ip", "netns", "exec", "gkvns", "ipvsadm", "-Ln"),
		ln("TCP  10.10.31.100:80 rr", dest("192.168.31.101:80", "Masq", 1, 0, 0)))
	sameLines(t, "ipvsadm -Ln in the root namespace", ipvsadm(t, "-Ln"), ln())
	must(t, c.Flush())
}
