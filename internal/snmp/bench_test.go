package snmp

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/metrics"
)

// BenchmarkBuild36k builds the view of BenchmarkReload37k's size: 2,284
// virtual servers × 16 real servers (36,544), all up.
func BenchmarkBuild36k(b *testing.B) {
	cfg := &conf.Config{Global: conf.GlobalDefs{EnableSNMPChecker: true}}
	var snap metrics.Snapshot
	for v := 0; v < 2284; v++ {
		vs := &conf.VirtualServer{Addr: netip.AddrFrom4([4]byte{10, 10, byte(v >> 8), byte(v)}), Port: 80,
			Protocol: conf.LVSTCP, Scheduler: "rr", Quorum: 1, DelayLoop: time.Second, ConnectTimeout: 5 * time.Second}
		for r := 0; r < 16; r++ {
			rs := &conf.RealServer{Addr: netip.AddrFrom4([4]byte{192, 168, byte(v >> 8), byte(v)}), Port: uint16(8000 + r), Weight: 1}
			vs.RealServers = append(vs.RealServers, rs)
			snap.RealServers = append(snap.RealServers, metrics.RealServer{VS: vsKey(vs),
				RS: fmt.Sprintf("%s:%d", rs.Addr, rs.Port), Up: true, Weight: 1})
		}
		cfg.VirtualServers = append(cfg.VirtualServers, vs)
	}
	w := WhichOf(&cfg.Global)
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		n = len(Build(cfg, &snap, w, Env{Iface: noIfaces}))
	}
	b.ReportMetric(float64(n), "objects")
}
