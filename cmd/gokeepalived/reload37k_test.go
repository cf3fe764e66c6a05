package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/check/checkerd"
	"github.com/gokeepalived/gokeepalived/check/probe"
	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/internal/daemon/vrrpsub"
	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsadm"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrpd"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest"
)

// Issue #6: a SIGHUP must complete within one advert interval (1 s) even
// for ~37k real servers. bigConf is that size: vss virtual servers of
// rss real servers each (every fourth VS HTTP_GET, the rest TCP_CHECK)
// and four VRRP instances. toggle flips one real server's weight and
// VI_1's priority, so a reload is one SET_DEST and a VRRP reconfigure.
func bigConf(vss, rss int, toggle bool) []byte {
	var b bytes.Buffer
	b.WriteString("global_defs {\n router_id LB1\n}\n")
	prio := 150
	if toggle {
		prio = 151
	}
	for i := 1; i <= 4; i++ {
		p := 100
		if i == 1 {
			p = prio
		}
		fmt.Fprintf(&b, "vrrp_instance VI_%d {\n state BACKUP\n interface eth0\n virtual_router_id %d\n priority %d\n advert_int 1\n"+
			" virtual_ipaddress {\n  10.200.%d.1/32\n  10.200.%d.2/32\n }\n}\n", i, 50+i, p, i, i)
	}
	for v := 0; v < vss; v++ {
		fmt.Fprintf(&b, "virtual_server 10.%d.%d.%d 80 {\n delay_loop 60\n lb_algo wrr\n lb_kind NAT\n protocol TCP\n",
			1+v>>16, v>>8&255, v&255)
		for r := 0; r < rss; r++ {
			n := v*rss + r
			w := 1
			if toggle && v == vss/2 && r == rss/2 {
				w = 2
			}
			fmt.Fprintf(&b, " real_server 172.%d.%d.%d 8080 {\n  weight %d\n", 16+n>>16, n>>8&255, n&255, w)
			if v%4 == 3 {
				b.WriteString("  HTTP_GET {\n   url {\n    path /health\n    status_code 200\n   }\n   connect_timeout 3\n  }\n }\n")
			} else {
				b.WriteString("  TCP_CHECK {\n   connect_timeout 3\n  }\n }\n")
			}
		}
		b.WriteString("}\n")
	}
	return b.Bytes()
}

// okProbe stands in for the network checkers: the first checks come 1 s
// after a (re)start, and a benchmark must not depend on 37k connects.
type okProbe struct{ n *atomic.Int64 }

func (p okProbe) Check(context.Context, int) probe.Result { p.n.Add(1); return probe.Result{OK: true} }

// lineWatch is the daemon's log as syslog receives it: it keeps the last lines and
// reports each "Reload complete" / "Startup complete" on a channel,
// without allocating per line (37k lines per reload).
type lineWatch struct {
	mu   sync.Mutex
	tail [20][]byte // ring of the last lines, for failures
	n    int
	done chan string
}

func (w *lineWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	k := w.n % len(w.tail)
	w.tail[k] = append(w.tail[k][:0], p...)
	w.n++
	w.mu.Unlock()
	for _, m := range []string{"Reload complete", "Startup complete", "New config failed validation"} {
		if bytes.Contains(p, []byte(m)) {
			w.done <- m
		}
	}
	return len(p), nil
}

func (w *lineWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	for i := max(0, w.n-len(w.tail)); i < w.n; i++ {
		b.Write(w.tail[i%len(w.tail)])
	}
	return b.String()
}

// timedVRRP and timedChecker time each subsystem's Reload.
type timedVRRP struct {
	*vrrpsub.Subsystem
	took time.Duration
}

func (t *timedVRRP) Reload(ctx context.Context, cfg *conf.Config) error {
	t0 := time.Now()
	err := t.Subsystem.Reload(ctx, cfg)
	t.took = time.Since(t0)
	return err
}

type timedChecker struct {
	*checkerd.Checker
	took time.Duration
}

func (t *timedChecker) Reload(ctx context.Context, cfg *conf.Config) error {
	t0 := time.Now()
	err := t.Checker.Reload(ctx, cfg)
	t.took = time.Since(t0)
	return err
}

// bigDaemon is the whole daemon (internal/daemon's signal loop, both
// subsystems, syslog) on a big config, with VRRP on vrrptest fakes, the
// in-memory IPVS and okProbe checkers.
type bigDaemon struct {
	t       testing.TB
	cf      string
	confs   [2][]byte // weight 1 / weight 2 of the toggled real server
	sigs    chan os.Signal
	log     *lineWatch
	fake    *fakeHandle
	vrrp    *timedVRRP
	chk     *timedChecker
	probes  atomic.Int64
	parse   time.Duration
	metrics string // the metrics listener's address
	// scrapeDumps counts the table dumps /metrics made.
	scrapeDumps int32
	exit        chan int
	cancel      context.CancelFunc
}

// startBigDaemon: with syslog the daemon logs as by default (syslog
// only), else as with -G -l (console only).
func startBigDaemon(t testing.TB, vss, rss int, syslog bool) *bigDaemon {
	dir := t.TempDir()
	g := &bigDaemon{t: t, cf: filepath.Join(dir, "keepalived.conf"), sigs: make(chan os.Signal),
		log: &lineWatch{done: make(chan string, 4)}, fake: &fakeHandle{Fake: ipvsfake.New()}, exit: make(chan int, 1)}
	g.confs[0], g.confs[1] = bigConf(vss, rss, false), bigConf(vss, rss, true)
	if err := os.WriteFile(g.cf, g.confs[0], 0o644); err != nil {
		t.Fatal(err)
	}
	o := options{}
	us := units(o)
	us.VRRP.New = func(log *slog.Logger) (daemon.VRRP, error) {
		v := vrrpsub.New(log, vrrpsub.Options{Deps: func(l *slog.Logger) vrrpd.Deps {
			return vrrpd.Deps{Net: &vrrptest.Net{Hub: vrrptest.NewHub(), Node: "lb1", Ifaces: map[string]vrrp.IfaceInfo{
				"eth0": {Index: 2, Up: true, Addr4: netip.MustParseAddr("10.0.0.1")}}},
				Addrs: &vrrptest.Addrs{}, Announcer: &vrrptest.Announcer{}, Scripts: &vrrptest.Scripts{}, Log: l}
		}})
		g.vrrp = &timedVRRP{Subsystem: v}
		return g.vrrp, nil
	}
	us.Checker.New = func(log *slog.Logger) (daemon.Checker, error) {
		c := checkerd.New(log, checkerd.Options{
			ResyncEvery: time.Hour, // reloads are asserted not to read the kernel
			NewProbe: func(*conf.Checker, *conf.RealServer, *conf.VirtualServer) (probe.Checker, error) {
				return okProbe{&g.probes}, nil
			}}, func() (checkerd.Handle, error) { return g.fake, nil })
		g.chk = &timedChecker{Checker: c}
		return g.chk, nil
	}
	// syslog is a socket of our own, read as a syslog daemon would (37k
	// lines per reload).
	lo := daemon.LogOptions{Console: g.log}
	sysl := filepath.Join(dir, "log")
	if syslog {
		lo = daemon.LogOptions{Syslog: true, SyslogAddr: sysl}
	}
	sc, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sysl, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	go func() {
		b := make([]byte, 64<<10)
		for {
			n, err := sc.Read(b)
			if err != nil {
				return
			}
			g.log.Write(b[:n])
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	g.cancel = cancel
	go func() {
		g.exit <- daemon.Run(ctx, daemon.Options{
			ConfigFile: g.cf,
			Load: func(p string) (*conf.Config, *conf.Diagnostics) {
				t0 := time.Now()
				cfg, diags := conf.Load(p, conf.Options{ConfigID: "lb1"})
				g.parse = time.Since(t0)
				return cfg, diags
			},
			Units:          us,
			TmpDir:         dir,
			Log:            daemon.NewLogger(lo),
			MetricsAddress: "127.0.0.1:0",
		}, g.sigs)
	}()
	g.wait("Startup complete")
	s := g.log.String()
	if i := strings.Index(s, "Serving metrics on http://"); i >= 0 {
		g.metrics = strings.Fields(s[i:])[3]
	}
	return g
}

func (g *bigDaemon) wait(what string) {
	select {
	case m := <-g.log.done:
		if m != what {
			g.t.Fatalf("%s, want %s:\n%s", m, what, g.log)
		}
	case <-time.After(5 * time.Minute):
		g.t.Fatalf("no %q:\n%s", what, g.log)
	}
}

// reload writes config i%2 and sends SIGHUP; it returns once the daemon
// logged "Reload complete".
func (g *bigDaemon) reload(i int) {
	if err := os.WriteFile(g.cf, g.confs[i%2], 0o644); err != nil {
		g.t.Fatal(err)
	}
	g.sigs <- syscall.SIGHUP
	g.wait("Reload complete")
}

func (g *bigDaemon) stop() {
	g.cancel()
	<-g.exit
}

// scrapeOps reads gokeepalived_ipvs_operations_total from /metrics. The
// scrape's own dump of the table (its traffic counters) is counted in
// scrapeDumps, apart from the reloads'.
func (g *bigDaemon) scrapeOps() string {
	d0 := g.fake.dumps.Load()
	resp, err := http.Get(g.metrics)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	g.scrapeDumps += g.fake.dumps.Load() - d0
	for _, l := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(l, "gokeepalived_ipvs_operations_total "); ok {
			return v
		}
	}
	g.t.Fatalf("no gokeepalived_ipvs_operations_total in:\n%.2000s", body)
	return ""
}

// A reload of the 37k-real-server config that changes one weight is
// exactly one IPVS operation (a SET_DEST, no kernel dump), seen in the
// status count and in /metrics; VRRP is reconfigured in place.
func TestReload37kIsOneOperation(t *testing.T) {
	vss, rss := 2284, 16
	if testing.Short() || raceEnabled {
		vss = 300 // same paths, 4.8k real servers
	}
	g := startBigDaemon(t, vss, rss, true)
	defer g.stop()
	start := g.chk.IPVSOperations()
	if want := uint64(vss + vss*rss); start != want {
		t.Fatalf("start-up applied %d operations, want %d", start, want)
	}
	if got := g.scrapeOps(); got != fmt.Sprint(start) {
		t.Fatalf("metrics say %s operations, status %d", got, start)
	}
	dumps := g.fake.dumps.Load() - g.scrapeDumps
	for i := 1; i <= 3; i++ {
		g.fake.ResetCalls()
		before := g.chk.IPVSOperations()
		g.reload(i)
		if n := g.chk.IPVSOperations() - before; n != 1 {
			t.Errorf("reload %d: %d IPVS operations, want 1", i, n)
		}
		calls := g.fake.Calls()
		v, r := vss/2, rss/2
		n := v*rss + r
		rs := fmt.Sprintf("172.%d.%d.%d:8080", 16+n>>16, n>>8&255, n&255)
		if len(calls) != 1 || calls[0].Op != "set-dest" || calls[0].Dest.String() != rs {
			t.Errorf("reload %d: IPVS calls %v, want one set-dest of %s", i, calls, rs)
		}
		want := fmt.Sprintf("  -> %-28s Masq    %d", rs, 1+i%2)
		if l := listing(t, g.fake.Fake); !strings.Contains(l, want) {
			t.Errorf("reload %d: no %q in the table", i, want)
		}
		for _, in := range g.vrrp.Instances() {
			if in.Name == "VI_1" && in.BasePriority != 150+i%2 {
				t.Errorf("reload %d: VI_1 priority %d, want %d", i, in.BasePriority, 150+i%2)
			}
		}
		if got, want := g.scrapeOps(), fmt.Sprint(before+1); got != want {
			t.Errorf("reload %d: gokeepalived_ipvs_operations_total %s, want %s", i, got, want)
		}
	}
	if d := g.fake.dumps.Load() - g.scrapeDumps; d != dumps {
		t.Errorf("reloads read the kernel table %d times", d-dumps)
	}
}

// BenchmarkReload37k: SIGHUP to "Reload complete" for 2,284 virtual
// servers × 16 real servers (36,544) and four VRRP instances, each
// reload changing one weight (1 IPVS operation, asserted) and VI_1's
// priority. Reported per reload: parse+validate, the VRRP subsystem's
// Reload, the checker's engine part (build, carry state, log, schedule)
// and its IPVS part (table, diff against the last applied, apply), and
// the process's peak RSS. /syslog logs as the daemon does by default,
// /console as with -G -l.
func BenchmarkReload37k(b *testing.B) {
	b.Run("syslog", func(b *testing.B) { benchReload(b, true) })
	b.Run("console", func(b *testing.B) { benchReload(b, false) })
}

func benchReload(b *testing.B, syslog bool) {
	g := startBigDaemon(b, 2284, 16, syslog)
	defer g.stop()
	runtime.GC()
	var parse, vr, eng, ipv time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := os.WriteFile(g.cf, g.confs[(i+1)%2], 0o644); err != nil {
			b.Fatal(err)
		}
		before := g.chk.IPVSOperations()
		b.StartTimer()
		g.sigs <- syscall.SIGHUP
		g.wait("Reload complete")
		b.StopTimer()
		if n := g.chk.IPVSOperations() - before; n != 1 {
			b.Fatalf("reload %d: %d IPVS operations, want 1", i, n)
		}
		parse += g.parse
		vr += g.vrrp.took
		e, p := g.chk.LastReload()
		eng += e
		ipv += p
		b.StartTimer()
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d) / float64(b.N) / 1e6 }
	b.ReportMetric(ms(parse), "parse-ms/op")
	b.ReportMetric(ms(vr), "vrrp-ms/op")
	b.ReportMetric(ms(eng), "engine-ms/op")
	b.ReportMetric(ms(ipv), "ipvs-ms/op")
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB")
	b.ReportMetric(float64(g.probes.Load())/float64(b.N), "probes/op")
}

// fakeHandle is the in-memory IPVS with a count of kernel dumps.
type fakeHandle struct {
	*ipvsfake.Fake
	dumps atomic.Int32
}

func (f *fakeHandle) Services() ([]ipvs.ServiceEntry, error) {
	f.dumps.Add(1)
	return f.Fake.Services()
}
func (f *fakeHandle) Close() error { return nil }

// listing is the fake's table as ipvsadm -Ln prints it.
func listing(t *testing.T, f *ipvsfake.Fake) string {
	t.Helper()
	var b strings.Builder
	info, svcs, err := ipvsadm.Snapshot(f)
	if err == nil {
		err = ipvsadm.List(&b, info, svcs, ipvsadm.Options{})
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
