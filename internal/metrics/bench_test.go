package metrics

import (
	"fmt"
	"net/http/httptest"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/dumps"
	"github.com/gokeepalived/gokeepalived/ipvs"
)

// bigSnapshot is the size of BenchmarkReload37k's config: 2,284 virtual
// servers × 16 real servers (36,544) and four VRRP instances.
func bigSnapshot() Snapshot {
	var s Snapshot
	for i := 1; i <= 4; i++ {
		s.VRRP = append(s.VRRP, dumps.Instance{Name: fmt.Sprintf("VI_%d", i), Interface: "eth0", VRID: 50 + i,
			State: dumps.StateBackup, VIPs: []string{fmt.Sprintf("10.200.%d.1 dev eth0 scope global", i)}, GARPDelay: 5 * time.Second})
	}
	for v := 0; v < 2284; v++ {
		vs := fmt.Sprintf("TCP 10.%d.%d.%d:80", 1+v>>16, v>>8&255, v&255)
		for r := 0; r < 16; r++ {
			n := v*16 + r
			s.RealServers = append(s.RealServers, RealServer{VS: vs, RS: fmt.Sprintf("172.%d.%d.%d:8080", 16+n>>16, n>>8&255, n&255),
				Up: true, Weight: 1, Latency: 0.000123})
		}
	}
	s.IPVS, s.IPVSOperations = true, 38828
	return s
}

// withIPVSTable adds the kernel table of the same size with its counters.
func withIPVSTable(s Snapshot) Snapshot {
	for v := 0; v < 2284; v++ {
		sv := IPVSService{ServiceEntry: ipvs.ServiceEntry{Service: ipvs.Service{ServiceKey: ipvs.NewServiceKey(ipvs.TCP,
			netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(1 + v>>16), byte(v >> 8), byte(v)}), 80))},
			Stats: ipvs.Stats{Conns: 123456, InPkts: 1234567, OutPkts: 1234567, InBytes: 123456789, OutBytes: 1234567890}}}
		for r := 0; r < 16; r++ {
			n := v*16 + r
			sv.Dests = append(sv.Dests, ipvs.DestinationEntry{Destination: ipvs.NewDestination(
				netip.AddrPortFrom(netip.AddrFrom4([4]byte{172, byte(16 + n>>16), byte(n >> 8), byte(n)}), 8080), ipvs.Masq, 1),
				ActiveConns: 12, InactConns: 34, Stats: ipvs.Stats{Conns: 7716, InPkts: 77160, OutPkts: 77160, InBytes: 7716000, OutBytes: 77160000}})
		}
		s.IPVSTable = append(s.IPVSTable, sv)
	}
	return s
}

// BenchmarkScrape36k: one /metrics response (gather and encode) for the
// 36,544-real-server snapshot.
// /ipvs adds the IPVS traffic counters of the same table.
func BenchmarkScrape36k(b *testing.B) {
	b.Run("checker", func(b *testing.B) { benchScrape(b, bigSnapshot()) })
	b.Run("ipvs", func(b *testing.B) { benchScrape(b, withIPVSTable(bigSnapshot())) })
}

func benchScrape(b *testing.B, s Snapshot) {
	h := Handler(func() Snapshot { return s })
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		b.SetBytes(int64(w.Body.Len()))
	}
	// CPU time, GC included, is steadier than wall time on a loaded host.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
