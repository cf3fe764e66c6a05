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
	"github.com/gokeepalived/gokeepalived/cmd/gokeepalived/internal/daemon"
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

// TestCheckerChangeLatency measures, on 40,000 real servers (40 virtual
// servers of 1,000, TCP_CHECK, delay_loop 1 s), the time from a checker's
// failing result to the IPVS removal the subsystem issues: for lone
// changes, and for a burst of 1,000 at once (batched).
func TestCheckerChangeLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("40,000 real servers")
	}
	const nVS, nRS = 40, 1000
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
	t.Logf("lone change → DEL_DEST issued: p50 %v  max %v", lat[len(lat)/2], lat[len(lat)-1])
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
	t.Logf("burst of %d (one per check over a delay_loop): last DEL_DEST %v after the last failure; %d removals", nRS,
		last.Sub(time.Unix(0, lastFail)), h.applies.Load()-a0)
	if lat[len(lat)/2] > 10*time.Millisecond {
		t.Errorf("lone change reaches IPVS after %v (p50), want ≤ 10ms", lat[len(lat)/2])
	}
}
