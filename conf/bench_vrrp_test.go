package conf

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkParseVRRP parses and validates 1,000 VRRP instances, each with
// addresses, routes, rules and the usual timers: the instance decoders'
// keyword tables and per-instance state are what it measures.
func BenchmarkParseVRRP(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("global_defs {\n router_id bench\n vrrp_garp_master_delay 2\n}\n")
	for i := range 1000 {
		fmt.Fprintf(&sb, `vrrp_instance VI_%d {
 state BACKUP
 interface eth%d
 virtual_router_id %d
 priority %d
 advert_int 1
 nopreempt
 garp_master_delay 1
 authentication {
  auth_type PASS
  auth_pass secret
 }
 virtual_ipaddress {
  10.%d.%d.1/24 dev eth0 label eth0:%d
  10.%d.%d.2/24 dev eth0
 }
 virtual_ipaddress_excluded {
  fd00::%x/64 dev eth0
 }
 virtual_routes {
  10.200.%d.0/24 via 10.%d.%d.254 dev eth0 metric 10 table 100
  src 10.%d.%d.1 to 10.201.%d.0/24 dev eth0 scope link
 }
 virtual_rules {
  from 10.%d.%d.0/24 table 100 priority 100
  to 10.202.%d.0/24 lookup 101 preference 101
 }
}
`, i, i/255, i%255+1, 100+i%100, i/250, i%250, i%10, i/250, i%250, i+1,
			i%250, i/250, i%250, i/250, i%250, i%250, i/250, i%250, i%250)
	}
	path := filepath.Join(b.TempDir(), "keepalived.conf")
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	var cfg *Config
	for b.Loop() {
		var ds *Diagnostics
		cfg, ds = Load(path, Options{ConfigID: "bench", Seed: 1})
		if ds.ExitCode() != ExitOK || len(ds.List) != 0 {
			b.Fatalf("generated config has diagnostics: %v", ds.List)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
	if len(cfg.VRRPInstances) != 1000 {
		b.Fatalf("%d instances", len(cfg.VRRPInstances))
	}
}
