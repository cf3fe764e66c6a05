package ipvsadm

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/internal/nlemu"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func load(t *testing.T) *ipvsfake.Fake {
	f := ipvsfake.New()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	web := ipvs.NewServiceKey(ipvs.TCP, ap("10.10.31.100:80"))
	v6 := ipvs.NewServiceKey(ipvs.TCP, ap("[2001:db8::1]:443"))
	fwm := ipvs.FWMarkKey(ipvs.IPv4, 7)
	// Added in an order unrelated to ipvsadm's sort.
	must(f.NewService(ipvs.Service{ServiceKey: ipvs.FWMarkKey(ipvs.IPv6, 258), Scheduler: "rr", Flags: ipvs.SvcSched1 | ipvs.SvcSched3}))
	must(f.NewService(ipvs.Service{ServiceKey: v6, Scheduler: "sh", Flags: ipvs.SvcPersistent | ipvs.SvcSHFallback | ipvs.SvcSHPort, Timeout: 60, Netmask: 64, PE: "sip"}))
	must(f.NewService(ipvs.Service{ServiceKey: web, Scheduler: "lc"}))
	must(f.NewService(ipvs.Service{ServiceKey: fwm, Scheduler: "wrr", Flags: ipvs.SvcOnePacket}))
	must(f.NewService(ipvs.Service{ServiceKey: ipvs.NewServiceKey(ipvs.UDP, ap("10.10.31.100:53")), Scheduler: "rr", Flags: ipvs.SvcPersistent, Timeout: 360, Netmask: 24}))
	must(f.NewService(ipvs.Service{ServiceKey: ipvs.NewServiceKey(ipvs.SCTP, ap("10.0.0.5:9000")), Scheduler: "mh", Flags: ipvs.SvcMHPort}))
	must(f.NewService(ipvs.Service{ServiceKey: ipvs.NewServiceKey(ipvs.TCP, ap("192.168.1.1:80")), Scheduler: "wlc"}))

	must(f.NewDestination(web, ipvs.NewDestination(ap("192.168.31.101:80"), ipvs.Masq, 1)))
	must(f.NewDestination(web, ipvs.NewDestination(ap("192.168.31.102:80"), ipvs.Masq, 1)))
	must(f.SetDestCounters(web, ipvs.DestKey{Addr: netip.MustParseAddr("192.168.31.101"), Port: 80}, 3, 12, ipvs.Stats{}))
	must(f.NewDestination(v6, ipvs.NewDestination(ap("[2001:db8::10]:443"), ipvs.Route, 5)))
	must(f.NewDestination(v6, ipvs.Destination{Addr: netip.MustParseAddr("192.0.2.1"), Port: 443, Fwd: ipvs.Tunnel, Weight: ipvs.MaxWeight}))
	must(f.NewDestination(fwm, ipvs.NewDestination(ap("10.0.0.2:0"), ipvs.Route, 0)))
	return f
}

// Expected text written by hand from ipvsadm's printf formats; note the
// trailing padding of the InActConn column.
var wantLn = []string{
	"IP Virtual Server version 1.2.1 (size=4096)",
	"Prot LocalAddress:Port Scheduler Flags",
	"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
	// ipvsadm compares addresses with a wrapping int subtraction, so
	// 192.168.1.1 sorts before 10.10.31.100.
	"TCP  192.168.1.1:80 wlc",
	"TCP  10.10.31.100:80 lc",
	"  -> 192.168.31.101:80            Masq    1      3          12        ",
	"  -> 192.168.31.102:80            Masq    1      0          0         ",
	"UDP  10.10.31.100:53 rr persistent 360 mask 255.255.255.0",
	"SCTP 10.0.0.5:9000 mh (mh-port)",
	"TCP  [2001:db8::1]:443 sh (sh-fallback,sh-port) persistent 60 mask 64 pe sip",
	"  -> 192.0.2.1:443                Tunnel  2147483647 0          0         ",
	"  -> [2001:db8::10]:443           Route   5      0          0         ",
	"FWM  7 wrr ops",
	"  -> 10.0.0.2:0                   Route   0      0          0         ",
	"FWM  258 IPv6 rr (flag-1,flag-3)",
	"",
}

func TestListLn(t *testing.T) {
	info, svcs, err := Snapshot(load(t))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := List(&b, info, svcs, Options{}); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(b.String(), "\n")
	for i := range max(len(got), len(wantLn)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(wantLn) {
			w = wantLn[i]
		}
		if g != w {
			t.Errorf("line %d\n got %q\nwant %q", i+1, g, w)
		}
	}
}

func TestListNoSortKeepsDumpOrder(t *testing.T) {
	info, svcs, err := Snapshot(load(t))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	List(&b, info, svcs, Options{NoSort: true})
	lines := strings.Split(b.String(), "\n")
	if lines[3] != "FWM  258 IPv6 rr (flag-1,flag-3)" || lines[4] != "TCP  [2001:db8::1]:443 sh (sh-fallback,sh-port) persistent 60 mask 64 pe sip" {
		t.Errorf("not in dump order: %q", lines[3:5])
	}
	// The fake, like the kernel, lists the newest destination first.
	if !strings.HasPrefix(lines[5], "  -> 192.0.2.1:443 ") {
		t.Errorf("dest order: %q", lines[5])
	}
}

func TestNtop6MatchesGlibc(t *testing.T) {
	for in, want := range map[string]string{
		"::":                   "::",
		"::1":                  "::1",
		"1::":                  "1::",
		"2001:db8::1":          "2001:db8::1",
		"2001:db8:0:1:1:1:1:1": "2001:db8:0:1:1:1:1:1", // one zero group is not compressed
		"2001:0:0:1::1":        "2001:0:0:1::1",        // longest run wins
		"1:0:0:1:0:0:1:1":      "1::1:0:0:1:1",         // first run on a tie
		"::ffff:10.0.0.1":      "::ffff:10.0.0.1",
		"::a00:1":              "::10.0.0.1", // IPv4-compatible form
		"::1:0:0:0":            "::1:0:0:0",
		"fe80::abcd:ef01":      "fe80::abcd:ef01",
		"ff02::81":             "ff02::81",
	} {
		if got := ntop6(netip.MustParseAddr(in).As16()); got != want {
			t.Errorf("ntop6(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestSortQuirks(t *testing.T) {
	a := &ipvs.ServiceEntry{Service: ipvs.Service{ServiceKey: ipvs.NewServiceKey(ipvs.TCP, ap("10.0.0.1:80"))}}
	b := &ipvs.ServiceEntry{Service: ipvs.Service{ServiceKey: ipvs.NewServiceKey(ipvs.TCP, ap("10.0.0.1:443"))}}
	c := &ipvs.ServiceEntry{Service: ipvs.Service{ServiceKey: ipvs.NewServiceKey(ipvs.TCP, ap("192.168.0.1:80"))}}
	m := &ipvs.ServiceEntry{Service: ipvs.Service{ServiceKey: ipvs.FWMarkKey(ipvs.IPv4, 1)}}
	if cmpServices(a, b) >= 0 || cmpServices(a, m) >= 0 || cmpServices(c, a) >= 0 {
		t.Error("service order")
	}
	if cmpServices(a, c) <= 0 { // 0x0a000001 - 0xc0a80001 wraps positive
		t.Error("wraparound quirk not reproduced")
	}
}

// The same table read through the netlink client from an emulated kernel
// prints identically.
func TestListOverNetlink(t *testing.T) {
	c, err := ipvs.NewConn(nlemu.Dial(load(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	info, svcs, err := Snapshot(c)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	List(&b, info, svcs, Options{})
	if got := b.String(); got != strings.Join(wantLn, "\n") {
		t.Errorf("got\n%s\nwant\n%s", got, strings.Join(wantLn, "\n"))
	}
}

func sp(n int) string { return strings.Repeat(" ", n) }

func TestListFormats(t *testing.T) {
	svc := Service{
		ServiceEntry: ipvs.ServiceEntry{
			Service: ipvs.Service{ServiceKey: ipvs.NewServiceKey(ipvs.TCP, ap("10.0.0.1:80")), Scheduler: "rr"},
			Stats:   ipvs.Stats{Conns: 5, InPkts: 123456789, InBytes: 1500000000, OutBytes: 123456789012345, CPS: 7, InBPS: 100000000},
		},
		Dests: []ipvs.DestinationEntry{{
			Destination: ipvs.Destination{Addr: netip.MustParseAddr("10.1.0.1"), Port: 80, Weight: 3, UpperThreshold: 100, LowerThreshold: 10},
			ActiveConns: 4, InactConns: 6, PersistConns: 2,
			Stats: ipvs.Stats{Conns: 1, InPkts: 2, OutPkts: 3, InBytes: 4, OutBytes: 5, CPS: 6, InPPS: 7, OutPPS: 8, InBPS: 9, OutBPS: 10},
		}},
	}
	head := "IP Virtual Server version 1.2.1 (size=4096)\n"
	dn := "  -> 10.1.0.1:80" + sp(17)
	for _, tc := range []struct {
		name string
		opt  Options
		want string
	}{
		{"stats", Options{Format: Stats}, head +
			"Prot LocalAddress:Port" + sp(15) + "Conns" + sp(3) + "InPkts" + sp(2) + "OutPkts" + sp(2) + "InBytes OutBytes\n" +
			"  -> RemoteAddress:Port\n" +
			"TCP  10.0.0.1:80" + sp(17) + sp(8) + "5" + sp(2) + "123456K" + sp(8) + "0" + sp(4) + "1500M" + sp(5) + "123T\n" +
			dn + sp(8) + "1" + sp(8) + "2" + sp(8) + "3" + sp(8) + "4" + sp(8) + "5\n"},
		{"stats exact", Options{Format: Stats, Exact: true}, head +
			"Prot LocalAddress:Port" + sp(15) + "Conns" + sp(3) + "InPkts" + sp(2) + "OutPkts" + sp(2) + "InBytes OutBytes\n" +
			"  -> RemoteAddress:Port\n" +
			"TCP  10.0.0.1:80" + sp(17) + sp(8) + "5 123456789" + sp(8) + "0 1500000000 123456789012345\n" +
			dn + sp(8) + "1" + sp(8) + "2" + sp(8) + "3" + sp(8) + "4" + sp(8) + "5\n"},
		{"rate", Options{Format: Rate}, head +
			"Prot LocalAddress:Port" + sp(17) + "CPS" + sp(4) + "InPPS" + sp(3) + "OutPPS" + sp(4) + "InBPS" + sp(3) + "OutBPS\n" +
			"  -> RemoteAddress:Port\n" +
			"TCP  10.0.0.1:80" + sp(17) + sp(8) + "7" + sp(8) + "0" + sp(8) + "0" + sp(2) + "100000K" + sp(8) + "0\n" +
			dn + sp(8) + "6" + sp(8) + "7" + sp(8) + "8" + sp(8) + "9" + sp(7) + "10\n"},
		{"thresholds", Options{Format: Thresholds}, head +
			"Prot LocalAddress:Port" + sp(12) + "Uthreshold Lthreshold ActiveConn InActConn \n" +
			"  -> RemoteAddress:Port\n" +
			"TCP  10.0.0.1:80 rr\n" +
			dn + " 100" + sp(8) + "10" + sp(9) + "4" + sp(10) + "6" + sp(9) + "\n"},
		{"persistent-conn", Options{Format: PersistentConn}, head +
			"Prot LocalAddress:Port" + sp(12) + "Weight" + sp(4) + "PersistConn ActiveConn InActConn \n" +
			"  -> RemoteAddress:Port\n" +
			"TCP  10.0.0.1:80 rr\n" +
			dn + " 3" + sp(9) + "2" + sp(11) + "4" + sp(10) + "6" + sp(9) + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			List(&b, ipvs.Info{Version: 0x010201, ConnTabSize: 4096}, []Service{svc}, tc.opt)
			if b.String() != tc.want {
				t.Errorf("got\n%q\nwant\n%q", b.String(), tc.want)
			}
		})
	}
}

func TestTimeoutsAndDaemons(t *testing.T) {
	var b strings.Builder
	Timeouts(&b, ipvs.Timeouts{TCP: 900, TCPFin: 120, UDP: 300})
	if b.String() != "Timeout (tcp tcpfin udp): 900 120 300\n" {
		t.Errorf("%q", b.String())
	}
	b.Reset()
	Daemons(&b, []ipvs.SyncDaemon{
		{State: ipvs.SyncBackup, Interface: "eth1", SyncID: 5, Group: netip.MustParseAddr("ff02::81"), Port: 8848, TTL: 1},
		{State: ipvs.SyncMaster, Interface: "eth0", SyncID: 51, MaxLen: 1472, Group: netip.MustParseAddr("224.0.0.81"), Port: 8848, TTL: 1},
	})
	want := "master sync daemon (mcast=eth0, syncid=51, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n" +
		"backup sync daemon (mcast=eth1, syncid=5, group=ff02::81, port=8848, ttl=1)\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// Rows copied from ipvsadm 1.31's `-Ln --tun-info` on Linux 6.1.
func TestTunInfo(t *testing.T) {
	d := func(a string, fwd ipvs.FwdMethod, w uint32, typ ipvs.TunnelType, port uint16, fl ipvs.TunnelFlags) ipvs.DestinationEntry {
		x := ipvs.NewDestination(ap(a), fwd, w)
		x.TunnelType, x.TunnelPort, x.TunnelFlags = typ, port, fl
		return ipvs.DestinationEntry{Destination: x}
	}
	svc := Service{
		ServiceEntry: ipvs.ServiceEntry{Service: ipvs.Service{ServiceKey: ipvs.NewServiceKey(ipvs.TCP, ap("10.0.0.1:80")), Scheduler: "rr"}},
		Dests: []ipvs.DestinationEntry{
			d("10.1.0.1:80", ipvs.Masq, 1, 0, 0, 0),
			d("10.1.0.2:80", ipvs.Route, 0, 0, 0, 0),
			d("10.1.0.3:80", ipvs.Tunnel, 1, ipvs.TunGUE, 65535, ipvs.TunNoCsum),
			d("10.1.0.4:80", ipvs.Tunnel, 2, ipvs.TunGUE, 6080, ipvs.TunRemCsum),
			d("10.1.0.5:80", ipvs.Tunnel, 3, ipvs.TunGRE, 0, ipvs.TunCsum),
			d("10.1.0.6:80", ipvs.Tunnel, 1, ipvs.TunIPIP, 0, 0),
		},
	}
	want := "IP Virtual Server version 1.2.1 (size=4096)\n" +
		"Prot LocalAddress:Port Scheduler Flags\n" +
		"  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n" +
		"TCP  10.0.0.1:80 rr\n" +
		"  -> 10.1.0.1:80                  Masq    n/a           1      0          0         \n" +
		"  -> 10.1.0.2:80                  Route   n/a           0      0          0         \n" +
		"  -> 10.1.0.3:80                  Tunnel  gue:65535:-c  1      0          0         \n" +
		"  -> 10.1.0.4:80                  Tunnel  gue:6080:r+c  2      0          0         \n" +
		"  -> 10.1.0.5:80                  Tunnel  gre:+c        3      0          0         \n" +
		"  -> 10.1.0.6:80                  Tunnel  ipip          1      0          0         \n"
	var b strings.Builder
	List(&b, ipvs.Info{Version: 0x010201, ConnTabSize: 4096}, []Service{svc}, Options{Format: TunInfo})
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
