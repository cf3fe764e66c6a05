package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/check/probe"
	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
)

// switchProbe is a checker whose result the test sets; it records when
// it first returned a failure.
type switchProbe struct {
	down   atomic.Bool
	failed atomic.Int64 // unix ns of the first failing result
}

func (p *switchProbe) Check(context.Context, int) probe.Result {
	if p.down.Load() {
		p.failed.CompareAndSwap(0, time.Now().UnixNano())
		return probe.Result{Reason: "test"}
	}
	return probe.Result{OK: true}
}

// timedHandle timestamps every destination removal.
type timedHandle struct {
	fakeHandle
	mu      sync.Mutex
	removed map[netip.AddrPort]time.Time
	applies atomic.Int32
}

func (h *timedHandle) DelDestination(k ipvs.ServiceKey, d ipvs.DestKey) error {
	h.mu.Lock()
	h.removed[netip.AddrPortFrom(d.Addr, d.Port)] = time.Now()
	h.mu.Unlock()
	h.applies.Add(1)
	return h.fakeHandle.DelDestination(k, d)
}

// TestCheckerChangeReachesIPVS: on 40,000 real servers (40 virtual
// servers of 1,000, TCP_CHECK, delay_loop 1 s; 4,000 under -race) every failing result, lone
// or in a burst of 1,000, ends in its IPVS removal. How fast is
// BenchmarkCheckerChangeLatency's business, not a test's.
func TestCheckerChangeReachesIPVS(t *testing.T) {
	if testing.Short() {
		t.Skip("40,000 real servers")
	}
	nVS := 40
	if raceEnabled { // the race detector slows 40,000 checks a second past their schedule
		nVS = 4
	}
	lat, burst := checkerChangeLatency(t, nVS)
	t.Logf("lone change → DEL_DEST issued: p50 %v  max %v; burst of 1,000: last DEL_DEST %v after the last failure",
		lat[len(lat)/2], lat[len(lat)-1], burst)
}

// BenchmarkCheckerChangeLatency reports the time from a checker's failing
// result to the DEL_DEST the subsystem issues (target: p50 ≤ 10 ms).
func BenchmarkCheckerChangeLatency(b *testing.B) {
	for range b.N {
		lat, burst := checkerChangeLatency(b, 40)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
		b.ReportMetric(float64(burst.Microseconds())/1000, "burst-ms")
	}
}

// checkerChangeLatency runs the 40,000-server checker on fake probes and
// IPVS, fails 20 servers one by one then 1,000 at once, and returns the
// lone latencies (sorted) and the burst's tail.
func checkerChangeLatency(t testing.TB, nVS int) ([]time.Duration, time.Duration) {
	const nRS = 1000
	var b strings.Builder
	for v := range nVS {
		fmt.Fprintf(&b, "virtual_server 10.0.0.%d 80 {\n delay_loop 1\n lvs_sched rr\n lvs_method NAT\n protocol TCP\n", v+1)
		for r := range nRS {
			fmt.Fprintf(&b, " real_server 10.%d.%d.%d 80 {\n  TCP_CHECK {\n   retry 0\n  }\n }\n", 1+v, r/250, 1+r%250)
		}
		b.WriteString("}\n")
	}
	cfg, diags := loadString(t, b.String())
	if diags.ExitCode() != 0 {
		t.Fatalf("config: %v", diags.List)
	}
	probes := map[netip.AddrPort]*switchProbe{}
	var pmu sync.Mutex
	newProbe := func(c *conf.Checker, rs *conf.RealServer, vs *conf.VirtualServer) (probe.Checker, error) {
		p := &switchProbe{}
		pmu.Lock()
		probes[netip.AddrPortFrom(rs.Addr, rs.Port)] = p
		pmu.Unlock()
		return p, nil
	}
	h := &timedHandle{fakeHandle: fakeHandle{Fake: ipvsfake.New()}, removed: map[netip.AddrPort]time.Time{}}
	c := newChecker(daemon.NewLogger(daemon.LogOptions{Console: io.Discard}), options{}, func() (ipvsHandle, error) { return h, nil })
	c.newProbe = newProbe
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := c.Start(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	rs := func(v, r int) netip.AddrPort {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(1 + v), byte(r / 250), byte(1 + r%250)}), 80)
	}
	time.Sleep(2500 * time.Millisecond) // every checker has run once
	wait := func(keys []netip.AddrPort) time.Time {
		t.Helper()
		for end := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			h.mu.Lock()
			var last time.Time
			n := 0
			for _, k := range keys {
				if at, ok := h.removed[k]; ok {
					n++
					if at.After(last) {
						last = at
					}
				}
			}
			h.mu.Unlock()
			if n == len(keys) {
				return last
			}
			if time.Now().After(end) {
				t.Fatalf("%d of %d removals issued", n, len(keys))
			}
		}
	}
	var lat []time.Duration
	for i := range 20 {
		k := rs(i%nVS, 7*i)
		pmu.Lock()
		p := probes[k]
		pmu.Unlock()
		p.down.Store(true)
		at := wait([]netip.AddrPort{k})
		lat = append(lat, at.Sub(time.Unix(0, p.failed.Load())))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	// a burst: 1,000 servers of one virtual server go down together
	var keys []netip.AddrPort
	a0 := h.applies.Load()
	for r := range nRS {
		k := rs(nVS-1, r)
		keys = append(keys, k)
		probes[k].down.Store(true)
	}
	last := wait(keys)
	var lastFail int64
	for _, k := range keys {
		lastFail = max(lastFail, probes[k].failed.Load())
	}
	if n := h.applies.Load() - a0; n == 0 {
		t.Errorf("burst of %d: no IPVS apply", nRS)
	}
	return lat, last.Sub(time.Unix(0, lastFail))
}
