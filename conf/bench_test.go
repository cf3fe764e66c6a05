package conf

import (
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf/internal/confgen"
)

// BenchmarkParse10kVS parses and validates 10,000 virtual servers × 4 real
// servers (TCP_CHECK and HTTP_GET). Target: ≤ 100 ms per op. It also
// reports the heap the resolved model keeps live, in MB.
func BenchmarkParse10kVS(b *testing.B) {
	path := filepath.Join(b.TempDir(), "keepalived.conf")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := confgen.Write(f, 10000, 4); err != nil {
		b.Fatal(err)
	}
	f.Close()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	var cfg *Config
	for b.Loop() {
		var ds *Diagnostics
		cfg, ds = Load(path, Options{ConfigID: "bench", Seed: 1})
		if ds.ExitCode() != ExitOK {
			b.Fatalf("generated config has errors: %v", ds.List[0])
		}
	}
	b.StopTimer()
	// CPU time of all threads (GC workers included): steadier than the
	// wall time on a shared machine
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "live-MB")
	if len(cfg.VirtualServers) != 10000 {
		b.Fatalf("%d virtual servers", len(cfg.VirtualServers))
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
