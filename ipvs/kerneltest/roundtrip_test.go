package kerneltest

import (
	"net"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/ipvs"
	lister "github.com/gokeepalived/gokeepalived/ipvs/ipvsadm"
	"github.com/gokeepalived/gokeepalived/ipvs/reconcile"
)

func tunDest(a string, w uint32, typ ipvs.TunnelType, port uint16, fl ipvs.TunnelFlags) ipvs.Destination {
	d := ipvs.NewDestination(ap(a), ipvs.Tunnel, w)
	d.TunnelType, d.TunnelPort, d.TunnelFlags = typ, port, fl
	return d
}

// variedTable uses every attribute the client encodes.
func variedTable() []reconcile.VirtualService {
	thr := ipvs.NewDestination(ap("192.168.31.103:80"), ipvs.Masq, 5)
	thr.UpperThreshold, thr.LowerThreshold = 1000, 900
	return []reconcile.VirtualService{
		{Service: ipvs.Service{ServiceKey: vip80, Scheduler: "lc"}, Dests: []ipvs.Destination{rs101, rs102, thr}},
		{Service: ipvs.Service{ServiceKey: tcp("10.10.31.100:443"), Scheduler: "sh", Flags: ipvs.SvcPersistent | ipvs.SvcSHFallback | ipvs.SvcSHPort, Timeout: 300, Netmask: 24},
			Dests: []ipvs.Destination{ipvs.NewDestination(ap("192.168.31.101:443"), ipvs.Route, ipvs.MaxWeight)}},
		{Service: ipvs.Service{ServiceKey: udp("10.10.31.100:5060"), Scheduler: "mh", Flags: ipvs.SvcPersistent | ipvs.SvcOnePacket | ipvs.SvcMHPort, Timeout: 60, PE: "sip"},
			Dests: []ipvs.Destination{ipvs.NewDestination(ap("192.168.31.101:5060"), ipvs.Masq, 0)}},
		{Service: ipvs.Service{ServiceKey: ipvs.NewServiceKey(ipvs.SCTP, ap("10.10.31.100:3868")), Scheduler: "rr", Flags: ipvs.SvcSched3},
			Dests: []ipvs.Destination{tunDest("10.1.0.1:3868", 2, ipvs.TunGUE, 6080, ipvs.TunRemCsum), tunDest("10.1.0.2:3868", 2, ipvs.TunGRE, 0, ipvs.TunCsum)}},
		{Service: ipvs.Service{ServiceKey: tcp("[2001:db8:31::100]:80"), Scheduler: "wrr", Flags: ipvs.SvcPersistent, Timeout: 30, Netmask: 56},
			Dests: []ipvs.Destination{ipvs.NewDestination(ap("[2001:db8:31::101]:80"), ipvs.Route, 3), tunDest("192.168.31.201:80", 1, ipvs.TunIPIP, 0, 0)}},
		{Service: ipvs.Service{ServiceKey: ipvs.FWMarkKey(ipvs.IPv4, 7), Scheduler: "wlc"},
			Dests: []ipvs.Destination{ipvs.NewDestination(ap("192.168.31.101:0"), ipvs.Route, 1)}},
		{Service: ipvs.Service{ServiceKey: ipvs.FWMarkKey(ipvs.IPv6, 7), Scheduler: "dh", Flags: ipvs.SvcPersistent, Timeout: 900},
			Dests: []ipvs.Destination{ipvs.NewDestination(ap("[2001:db8:31::102]:0"), ipvs.Route, 1)}},
	}
}

// equalTables compares by key and editable attributes, in any order.
func equalTables(t *testing.T, what string, got, want []reconcile.VirtualService) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d services, want %d", what, len(got), len(want))
	}
	idx := map[ipvs.ServiceKey]reconcile.VirtualService{}
	for _, vs := range got {
		idx[vs.Service.ServiceKey] = vs
	}
	for _, w := range want {
		g, ok := idx[w.Service.ServiceKey]
		if !ok {
			t.Errorf("%s: %v missing", what, w.Service.ServiceKey)
			continue
		}
		if !g.Service.SameAttrs(w.Service) {
			t.Errorf("%s: %v = %+v, want %+v", what, w.Service.ServiceKey, g.Service, w.Service)
		}
		if len(g.Dests) != len(w.Dests) {
			t.Errorf("%s: %v has %d dests, want %d", what, w.Service.ServiceKey, len(g.Dests), len(w.Dests))
		}
		for _, wd := range w.Dests {
			i := slices.IndexFunc(g.Dests, func(d ipvs.Destination) bool { return d.Key() == wd.Key() })
			if i < 0 || g.Dests[i] != wd {
				t.Errorf("%s: %v -> %v: got %v, want %+v", what, w.Service.ServiceKey, wd.Key(), g.Dests, wd)
			}
		}
	}
}

// What we set is what we read back from the kernel.
func TestRoundTrip(t *testing.T) {
	c := open(t)
	want := variedTable()
	ops, err := reconcile.Sync(c, want, reconcile.Options{})
	must(t, err)
	if len(ops) != 7+11 {
		t.Errorf("%d ops, want 18", len(ops))
	}
	got, err := reconcile.Dump(c)
	must(t, err)
	equalTables(t, "dump", got, want)
	if ops, err := reconcile.Sync(c, want, reconcile.Options{}); err != nil || len(ops) != 0 {
		t.Errorf("second sync: %v %v, want no ops", ops, err)
	}
	// Our printer and ipvsadm agree on the whole varied table.
	sameLines(t, "our printer vs ipvsadm -Ln", ourList(t, c, lister.Options{}), ipvsadm(t, "-Ln"))
}

// The other direction: a table made by ipvsadm, read by our client.
func TestIpvsadmToClient(t *testing.T) {
	c := open(t)
	for _, cmd := range []string{
		"-A -t 10.10.31.100:80 -s lc",
		"-a -t 10.10.31.100:80 -r 192.168.31.101:80 -m -w 1",
		"-a -t 10.10.31.100:80 -r 192.168.31.102:80 -m -w 0 -x 50 -y 40",
		"-A -t 10.10.31.100:443 -s sh -b sh-fallback,sh-port -p 300 -M 255.255.255.0",
		"-a -t 10.10.31.100:443 -r 192.168.31.101:443 -g -w 2147483647",
		"-A -u 10.10.31.100:5060 -s mh -b mh-port -o -p 60 --pe sip",
		"-a -u 10.10.31.100:5060 -r 10.1.0.1:5060 -i --tun-type gue --tun-port 6080 --tun-csum -w 3",
		"-a -u 10.10.31.100:5060 -r 10.1.0.2:5060 -i --tun-type gre --tun-nocsum -w 3",
		"-A --sctp-service 10.10.31.100:3868 -s rr -b flag-3",
		"-A -t [2001:db8:31::100]:80 -s wrr -p 30 -M 56",
		"-a -t [2001:db8:31::100]:80 -r [2001:db8:31::101]:80 -g -w 3",
		"-a -t [2001:db8:31::100]:80 -r 192.168.31.201:80 -i -w 1",
		"-A -f 7 -s wlc",
		"-a -f 7 -r 192.168.31.101 -g",
		"-A -f 7 -6 -s dh -p 900",
		"-a -f 7 -6 -r [2001:db8:31::102]:0 -g",
	} {
		ipvsadm(t, strings.Fields(cmd)...)
	}
	thr := ipvs.NewDestination(ap("192.168.31.102:80"), ipvs.Masq, 0)
	thr.UpperThreshold, thr.LowerThreshold = 50, 40
	want := []reconcile.VirtualService{
		{Service: ipvs.Service{ServiceKey: vip80, Scheduler: "lc"}, Dests: []ipvs.Destination{rs101, thr}},
		{Service: ipvs.Service{ServiceKey: tcp("10.10.31.100:443"), Scheduler: "sh", Flags: ipvs.SvcPersistent | ipvs.SvcSHFallback | ipvs.SvcSHPort, Timeout: 300, Netmask: 24},
			Dests: []ipvs.Destination{ipvs.NewDestination(ap("192.168.31.101:443"), ipvs.Route, ipvs.MaxWeight)}},
		{Service: ipvs.Service{ServiceKey: udp("10.10.31.100:5060"), Scheduler: "mh", Flags: ipvs.SvcPersistent | ipvs.SvcOnePacket | ipvs.SvcMHPort, Timeout: 60, PE: "sip"},
			Dests: []ipvs.Destination{tunDest("10.1.0.1:5060", 3, ipvs.TunGUE, 6080, ipvs.TunCsum), tunDest("10.1.0.2:5060", 3, ipvs.TunGRE, 0, ipvs.TunNoCsum)}},
		{Service: ipvs.Service{ServiceKey: ipvs.NewServiceKey(ipvs.SCTP, ap("10.10.31.100:3868")), Scheduler: "rr", Flags: ipvs.SvcSched3}},
		{Service: ipvs.Service{ServiceKey: tcp("[2001:db8:31::100]:80"), Scheduler: "wrr", Flags: ipvs.SvcPersistent, Timeout: 30, Netmask: 56},
			Dests: []ipvs.Destination{ipvs.NewDestination(ap("[2001:db8:31::101]:80"), ipvs.Route, 3), tunDest("192.168.31.201:80", 1, ipvs.TunIPIP, 0, 0)}},
		{Service: ipvs.Service{ServiceKey: ipvs.FWMarkKey(ipvs.IPv4, 7), Scheduler: "wlc"},
			Dests: []ipvs.Destination{ipvs.NewDestination(ap("192.168.31.101:0"), ipvs.Route, 1)}},
		{Service: ipvs.Service{ServiceKey: ipvs.FWMarkKey(ipvs.IPv6, 7), Scheduler: "dh", Flags: ipvs.SvcPersistent, Timeout: 900},
			Dests: []ipvs.Destination{ipvs.NewDestination(ap("[2001:db8:31::102]:0"), ipvs.Route, 1)}},
	}
	got, err := reconcile.Dump(c)
	must(t, err)
	equalTables(t, "our dump of ipvsadm's table", got, want)
	// Adopting it issues nothing.
	if ops, err := reconcile.Sync(c, want, reconcile.Options{}); err != nil || len(ops) != 0 {
		t.Errorf("sync over ipvsadm's table: %v %v, want no ops", ops, err)
	}
	sameLines(t, "our printer vs ipvsadm -Ln", ourList(t, c, lister.Options{}), ipvsadm(t, "-Ln"))
}

// connKeys is `ipvsadm -Lnc` without the ticking expire column.
func connKeys(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, l := range ipvsadm(t, "-Lnc")[2:] {
		f := strings.Fields(l)
		out = append(out, strings.Join(slices.Delete(f, 1, 2), " "))
	}
	slices.Sort(out)
	return out
}

// A restart adopts the kernel's table: connections and counters made
// through the first handle survive a second handle's sync, which issues
// no operation.
func TestAdoptionAfterRestart(t *testing.T) {
	open(t) // flushes before and after
	// Real servers behind a dummy link: local UDP clients go through
	// IPVS (LOCAL_OUT) and their NAT'd packets are dropped by the link.
	dummyLink(t, "gkvadopt0", "192.168.31.1/24")
	run(t, "ip", "route", "add", "10.10.31.100/32", "dev", "gkvadopt0")
	dns := udp("10.10.31.100:53")
	desired := []reconcile.VirtualService{
		{Service: ipvs.Service{ServiceKey: vip80, Scheduler: "lc"}, Dests: []ipvs.Destination{rs101, rs102}},
		{Service: ipvs.Service{ServiceKey: dns, Scheduler: "rr", Flags: ipvs.SvcSched1},
			Dests: []ipvs.Destination{ipvs.NewDestination(ap("192.168.31.101:53"), ipvs.Masq, 1), ipvs.NewDestination(ap("192.168.31.102:53"), ipvs.Masq, 1)}},
	}
	c1, err := ipvs.Open(ipvs.Options{})
	must(t, err)
	_, err = reconcile.Sync(c1, desired, reconcile.Options{})
	must(t, err)

	// 3 clients sending 1, 2 and 3 datagrams of 5 bytes.
	for i := range 3 {
		u, err := net.Dial("udp", "10.10.31.100:53")
		must(t, err)
		for range i + 1 {
			_, err = u.Write([]byte("query"))
			must(t, err)
		}
		u.Close()
	}
	// Linux 6.1 publishes the per-CPU counters from its 2 s estimator
	// timer, so the dump lags the traffic.
	want := ipvs.Stats{Conns: 3, InPkts: 6, InBytes: 6 * (20 + 8 + 5)}
	var s ipvs.ServiceEntry
	for deadline := time.Now().Add(6 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		s, err = c1.Service(dns)
		must(t, err)
		st := s.Stats
		st.CPS, st.InPPS, st.OutPPS, st.InBPS, st.OutBPS = 0, 0, 0, 0, 0
		if st == want || time.Now().After(deadline) {
			if st != want {
				t.Fatalf("UDP service stats %+v, want %+v", st, want)
			}
			break
		}
	}
	before := ipvsadm(t, "-Ln", "--stats", "--exact")
	beforeLn := ipvsadm(t, "-Ln")
	beforeConns := connKeys(t)
	if len(beforeConns) != 3 {
		t.Errorf("ipvsadm -Lnc has %d connections, want the 3 UDP ones:\n%s", len(beforeConns), strings.Join(beforeConns, "\n"))
	}
	c1.Close() // the "daemon" stops without flushing

	c2, err := ipvs.Open(ipvs.Options{})
	must(t, err)
	defer c2.Close()
	ops, err := reconcile.Sync(c2, desired, reconcile.Options{})
	must(t, err)
	if len(ops) != 0 {
		t.Errorf("restart sync issued %v, want nothing", ops)
	}
	time.Sleep(2500 * time.Millisecond) // one estimator period
	sameLines(t, "ipvsadm -Ln --stats --exact after restart", ipvsadm(t, "-Ln", "--stats", "--exact"), before)
	sameLines(t, "ipvsadm -Ln after restart", ipvsadm(t, "-Ln"), beforeLn)
	sameLines(t, "ipvsadm -Lnc after restart", connKeys(t), beforeConns)
}

// `gokeepalived ipvs` prints what ipvsadm prints.
func TestSubcommand(t *testing.T) {
	c := open(t)
	bin, err := exec.LookPath("gokeepalived")
	if err != nil {
		t.Fatalf("gokeepalived is not in PATH (make vmtest puts it in /usr/local/sbin): %v", err)
	}
	_, err = reconcile.Sync(c, variedTable(), reconcile.Options{})
	must(t, err)
	for _, args := range [][]string{
		nil, {"--stats"}, {"--stats", "--exact"}, {"--rate"}, {"--thresholds"}, {"--persistent-conn"}, {"--timeout"},
		{"--tun-info"}, {"--tun-info", "--thresholds"}, {"--stats", "--tun-info"},
	} {
		out, err := exec.Command(bin, append([]string{"ipvs"}, args...)...).CombinedOutput()
		if err != nil {
			t.Errorf("gokeepalived ipvs %v: %v\n%s", args, err, out)
			continue
		}
		sameLines(t, "gokeepalived ipvs "+strings.Join(args, " "), splitLines(string(out)), ipvsadm(t, append([]string{"-Ln"}, args...)...))
	}
	if out, err := exec.Command(bin, "ipvs", "--bogus").CombinedOutput(); err == nil {
		t.Errorf("gokeepalived ipvs --bogus succeeded: %s", out)
	}
}

// table is n services x 4 NAT destinations.
func table(n int) []reconcile.VirtualService {
	desired := make([]reconcile.VirtualService, n)
	for i := range desired {
		a := netip.AddrFrom4([4]byte{10, 100, byte(i >> 8), byte(i)})
		vs := reconcile.VirtualService{Service: ipvs.Service{ServiceKey: ipvs.NewServiceKey(ipvs.TCP, netip.AddrPortFrom(a, 80)), Scheduler: "wlc"}}
		for j := range 4 {
			vs.Dests = append(vs.Dests, ipvs.NewDestination(netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 168, byte(j), byte(i%250 + 1)}), 8080), ipvs.Masq, 1))
		}
		desired[i] = vs
	}
	return desired
}

// sequential hides Conn's Edits, so Apply waits for each ACK.
type sequential struct{ ipvs.Table }

// timedSync applies desired to an empty table and checks the result.
func timedSync(t *testing.T, tb ipvs.Table, desired []reconcile.VirtualService) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	ops, err := reconcile.Sync(tb, desired, reconcile.Options{})
	d := time.Since(start)
	must(t, err)
	if len(ops) != len(desired)*5 {
		t.Errorf("%d ops, want %d", len(ops), len(desired)*5)
	}
	if n := len(ipvsadm(t, "-Ln")); n != 3+len(desired)*5 {
		t.Errorf("ipvsadm -Ln: %d lines, want %d", n, 3+len(desired)*5)
	}
	return len(ops), d
}

// The initial apply of 10,000 services x 4 destinations: operation count
// and wall time, logged for the README's figures; pipelined (as Sync
// does on a Conn) and, on a smaller table, one round trip per op.
func TestInitialApply10k(t *testing.T) {
	c := open(t)
	const nseq = 1000
	nops, seq := timedSync(t, sequential{c}, table(nseq))
	perSeq := float64(seq.Microseconds()) / float64(nops)
	must(t, c.Flush())

	desired := table(10000)
	nops, apply := timedSync(t, c, desired)
	start := time.Now()
	ops2, err := reconcile.Sync(c, desired, reconcile.Options{})
	resync := time.Since(start)
	must(t, err)
	if len(ops2) != 0 {
		t.Errorf("re-sync: %d ops, want 0", len(ops2))
	}
	// The floor of one request: a GET_INFO round trip.
	start = time.Now()
	const ninfo = 2000
	for range ninfo {
		_, err := c.Info()
		must(t, err)
	}
	rtt := time.Since(start) / ninfo
	t.Logf("initial apply 10000 services x 4 dests: %d ops in %v pipelined (%.0f µs/op); sequential %.0f µs/op (%d services); "+
		"re-sync (dump + diff, 0 ops) %v; GET_INFO round trip %v",
		nops, apply.Round(time.Millisecond), float64(apply.Microseconds())/float64(nops), perSeq, nseq, resync.Round(time.Millisecond), rtt)
}
