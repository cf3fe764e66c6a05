package vmtest

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrapeMetrics reads /metrics into "name{labels}" → value.
func scrapeMetrics(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := map[string]float64{}
	for _, l := range strings.Split(string(body), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", l, err)
		}
		m[l[:i]] = v
	}
	return m
}

// statsRows parses `ipvsadm -Ln --stats --exact` (or `-Ln`) into the
// numbers of each row, keyed "TCP 10.10.31.100:80" for a service and
// "TCP 10.10.31.100:80 -> 192.168.31.101:80" for a real server.
func statsRows(out string, from int) map[string][]uint64 {
	rows := map[string][]uint64{}
	svc := ""
	for _, ln := range strings.Split(out, "\n") {
		f := strings.Fields(ln)
		var key string
		switch {
		case len(f) > 2 && (f[0] == "TCP" || f[0] == "UDP"):
			svc = f[0] + " " + f[1]
			key = svc
		case len(f) > 2 && f[0] == "->" && f[1] != "RemoteAddress:Port":
			key = svc + " -> " + f[1]
		default:
			continue
		}
		var ns []uint64
		for _, x := range f[from:] {
			n, err := strconv.ParseUint(x, 10, 64)
			if err != nil {
				break
			}
			ns = append(ns, n)
		}
		rows[key] = ns
	}
	return rows
}

// TestMetricsIPVSCounters: real HTTP traffic through a NAT virtual
// server; the daemon's /metrics reports the kernel's counters per
// service and real server exactly as `ipvsadm -Ln --stats --exact` does,
// and node_exporter's backend gauges as `ipvsadm -Ln` does.
func TestMetricsIPVSCounters(t *testing.T) {
	guard(t)
	l := newLab(t)
	l.start("gkrs1")
	l.start("gkrs2")
	const addr = "127.0.0.1:9652"
	gk := startDaemon(t, "gokeepalived", l.dir, writeConf(t, l.dir, walkthrough(false)), "--metrics-address", addr)
	// The shape: an earlier test's connections to the same destinations
	// come back with them from the kernel's trash, counted as InActConn.
	gk.waitShapeOf(10*time.Second, shape(header+vs+dest("192.168.31.101:80", "Masq", 1)+dest("192.168.31.102:80", "Masq", 1)))
	const gets = 12
	for i := 0; i < gets; i++ {
		if out := run(t, "ip", "netns", "exec", "gkcl", "timeout", "10", "wget", "-q", "-O", "-", "http://10.10.31.100/ok"); out != "ok\n" {
			t.Fatalf("GET through the VIP: %q", out)
		}
	}
	// The kernel folds per-CPU counters into what it reports every 2 s:
	// wait until they show all the GETs, then until they stop moving, so
	// ipvsadm and the scrape (a dump up to 1 s old) see the same values.
	var stats string
	if _, ok := poll(15*time.Second, func() bool {
		stats = ipvsadm(t, "-Ln", "--stats", "--exact")
		return vsConns(stats) >= gets
	}); !ok {
		t.Fatalf("%d GETs not counted:\n%s", gets, stats)
	}
	time.Sleep(2500 * time.Millisecond)
	var before, after, conns string
	var m map[string]float64
	for try := 0; try < 5; try++ {
		before = ipvsadm(t, "-Ln", "--stats", "--exact")
		conns = ipvsadm(t, "-Ln")
		m = scrapeMetrics(t, addr)
		after = ipvsadm(t, "-Ln", "--stats", "--exact")
		if before == after {
			break
		}
		time.Sleep(2500 * time.Millisecond) // an estimator run between the reads
	}
	if before != after {
		t.Fatalf("counters still moving:\n%s\n%s", before, after)
	}
	t.Logf("ipvsadm -Ln --stats --exact:\n%s", before)
	rows := statsRows(before, 2)
	names := []string{"connections", "incoming_packets", "outgoing_packets", "incoming_bytes", "outgoing_bytes"}
	svc := "TCP 10.10.31.100:80"
	check := func(series string, want uint64) {
		t.Helper()
		got, ok := m[series]
		if !ok || got != float64(want) {
			t.Errorf("%s = %v (present %v), ipvsadm says %d", series, got, ok, want)
		}
	}
	if r := rows[svc]; len(r) != 5 || r[0] < gets || r[3] == 0 || r[4] == 0 {
		t.Fatalf("service row %v:\n%s", r, before)
	}
	for i, n := range names {
		check(fmt.Sprintf(`gokeepalived_ipvs_service_%s_total{vs=%q}`, n, svc), rows[svc][i])
	}
	cn := statsRows(conns, 3) // Weight ActiveConn InActConn after "-> addr Forward"
	served := 0
	for _, rs := range []string{"192.168.31.101:80", "192.168.31.102:80"} {
		r := rows[svc+" -> "+rs]
		if len(r) != 5 {
			t.Fatalf("no stats row for %s:\n%s", rs, before)
		}
		if r[0] > 0 {
			served++
		}
		for i, n := range names {
			check(fmt.Sprintf(`gokeepalived_ipvs_real_server_%s_total{rs=%q,vs=%q}`, n, rs, svc), r[i])
		}
		c := cn[svc+" -> "+rs]
		if len(c) != 3 {
			t.Fatalf("no row for %s in:\n%s", rs, conns)
		}
		host, port, _ := strings.Cut(rs, ":")
		be := fmt.Sprintf(`{local_address="10.10.31.100",local_mark="",local_port="80",proto="TCP",remote_address=%q,remote_port=%q}`, host, port)
		check("node_ipvs_backend_weight"+be, c[0])
		check("node_ipvs_backend_connections_active"+be, c[1])
		check("node_ipvs_backend_connections_inactive"+be, c[2])
	}
	if served != 2 {
		t.Errorf("lc spread %d GETs over %d real servers, want 2:\n%s", gets, served, before)
	}
	if t.Failed() {
		t.Logf("gokeepalived log:\n%s", gk.log())
	}
}
