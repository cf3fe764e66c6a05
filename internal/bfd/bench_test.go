package bfd

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSessions1000x10ms runs 1,000 sessions at 10 ms (min_tx =
// min_rx = 10 ms, multiplier 5) between two engines on the fake network
// and reports the CPU the pair uses per second of wall time, per side
// (cpu-ms/s/side), and the packets per second each side receives.
var benchN = 1000

func init() {
	if v := os.Getenv("BFD_BENCH_N"); v != "" {
		benchN, _ = strconv.Atoi(v)
	}
}

func BenchmarkSessions1000x10ms(b *testing.B) {
	n := benchN
	net := NewFakeNet()
	a := netip.MustParseAddr("10.0.0.1")
	var peers []netip.Addr
	var ca, cb []Config
	for i := range n {
		p := netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
		peers = append(peers, p)
		mod := func(c *Config) { c.IdleTx = time.Second }
		ca = append(ca, cfgTo("a"+p.String(), p, mod))
		cb = append(cb, cfgTo("b"+p.String(), a, func(c *Config) { mod(c); c.Source = p }))
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ha := NewHub()
	ea := New(net.Host(a), quiet, ha)
	eb := New(net.Hosts(peers), quiet, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ea.Run(ctx, ca)
	go eb.Run(ctx, cb)
	up := 0
	deadline := time.Now().Add(30 * time.Second)
	for up < n && time.Now().Before(deadline) {
		select {
		case <-ha.VRRP.C():
		case <-time.After(100 * time.Millisecond):
		}
		up = 0
		for _, c := range ca {
			if u, _ := ha.VRRP.State(c.Name); u {
				up++
			}
		}
	}
	if up < n {
		b.Fatalf("only %d of %d sessions up", up, n)
	}
	time.Sleep(500 * time.Millisecond) // poll sequences done: 10 ms rate
	b.ResetTimer()
	c0, w0 := cpuTime(), time.Now()
	rx0 := ea.sessionsRx()
	for range b.N {
		time.Sleep(time.Second)
	}
	cpu, wall := cpuTime()-c0, time.Since(w0)
	b.StopTimer()
	rx := ea.sessionsRx() - rx0
	downs := 0
	for _, c := range ca {
		if u, _ := ha.VRRP.State(c.Name); !u {
			downs++
		}
	}
	b.ReportMetric(float64(cpu.Milliseconds())/wall.Seconds()/2, "cpu-ms/s/side")
	b.ReportMetric(float64(rx)/wall.Seconds(), "rx-pkts/s/side")
	b.ReportMetric(float64(downs), "sessions-down")
}
