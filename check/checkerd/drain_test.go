package checkerd

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/internal/metrics"
	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
)

// drainConf is a NAT service of TCP_CHECKed real servers (addr, weight
// pairs) checked every second, with extra text after it (a drain block).
func drainConf(extra string, rs ...string) string {
	var b strings.Builder
	b.WriteString("virtual_server 10.0.0.1 80 {\n delay_loop 1\n lb_algo rr\n lb_kind NAT\n protocol TCP\n")
	for i := 0; i+1 < len(rs); i += 2 {
		host, port, _ := net.SplitHostPort(rs[i])
		fmt.Fprintf(&b, " real_server %s %s {\n  weight %s\n  TCP_CHECK {\n   connect_timeout 1\n   retry 0\n  }\n }\n", host, port, rs[i+1])
	}
	b.WriteString("}\n" + extra)
	return b.String()
}

var drainSvc = ipvs.NewServiceKey(ipvs.TCP, netip.MustParseAddrPort("10.0.0.1:80"))

func destKey(t *testing.T, addr string) ipvs.DestKey {
	t.Helper()
	k, err := ParseRS(addr)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// drainRig is a started checker on the fake IPVS.
type drainRig struct {
	t    *testing.T
	fake *fakeHandle
	c    *Checker
	ctx  context.Context
}

func newDrainRig(t *testing.T, text string) *drainRig {
	old := drainPoll
	drainPoll = time.Hour // the tests read connections with pollDrains
	t.Cleanup(func() { drainPoll = old })
	r := &drainRig{t: t, fake: &fakeHandle{Fake: ipvsfake.New()}}
	var logb syncWriter
	r.c = New(daemon.NewLogger(daemon.LogOptions{Console: &logb}), Options{}, func() (Handle, error) { return r.fake, nil })
	ctx, cancel := context.WithCancel(context.Background())
	r.ctx = ctx
	if err := r.c.Start(ctx, r.load(text)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.c.Stop(ctx); cancel() })
	return r
}

func (r *drainRig) load(text string) *conf.Config {
	r.t.Helper()
	cfg, diags := loadString(r.t, text)
	if diags.ExitCode() != 0 {
		r.t.Fatalf("config: %v", diags.List)
	}
	return cfg
}

// weight is the kernel's weight of addr, -1 when it is not there.
func (r *drainRig) weight(addr string) int {
	r.t.Helper()
	ds, err := r.fake.Destinations(drainSvc)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, d := range ds {
		if d.Key() == destKey(r.t, addr) {
			return int(d.Weight)
		}
	}
	return -1
}

func (r *drainRig) waitWeight(addr string, want int) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for r.weight(addr) != want {
		if time.Now().After(deadline) {
			r.t.Fatalf("%s: weight %d, want %d\n%s", addr, r.weight(addr), want, listing(r.t, r.fake.Fake))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *drainRig) conns(addr string, n uint32) {
	r.t.Helper()
	if err := r.fake.SetDestCounters(drainSvc, destKey(r.t, addr), n, 0, ipvs.Stats{}); err != nil {
		r.t.Fatal(err)
	}
}

func (r *drainRig) status(addr string) (metrics.RealServer, bool) {
	for _, rs := range r.c.RealServers() {
		if rs.RS == addr {
			return rs, true
		}
	}
	return metrics.RealServer{}, false
}

// gokeepalived drain: weight 0 at once; the server stays while it has
// connections, through the periodic repair and a reload; it is deleted
// when none is left and not added back by the repair; undrain restores
// its configured weight.
func TestDrainCommand(t *testing.T) {
	a := newHealthServer(t, "127.0.0.1")
	b := newHealthServer(t, "127.0.0.1")
	text := drainConf("", a.addr, "2", b.addr, "3")
	r := newDrainRig(t, text)
	r.waitWeight(a.addr, 2)
	r.waitWeight(b.addr, 3)

	r.conns(a.addr, 5)
	if _, err := r.c.Drain("10.0.0.1:80", a.addr, 0); err != nil {
		t.Fatal(err)
	}
	if w := r.weight(a.addr); w != 0 {
		t.Fatalf("drained: weight %d, want 0 at once", w)
	}
	r.c.pollDrains(time.Now())
	if ops := r.c.resyncOnce(); len(ops) != 0 {
		t.Errorf("the repair changed a drained server: %v", ops)
	}
	if err := r.c.Reload(r.ctx, r.load(text)); err != nil {
		t.Fatal(err)
	}
	r.c.pollDrains(time.Now())
	st, _ := r.status(a.addr)
	if !st.Draining || st.DrainConnections != 5 || st.DrainRemoved || st.Weight != 0 || r.weight(a.addr) != 0 {
		t.Fatalf("after a repair and a reload: status %+v, kernel weight %d; want draining at 0 with 5 connections", st, r.weight(a.addr))
	}

	r.conns(a.addr, 0)
	r.c.pollDrains(time.Now())
	if w := r.weight(a.addr); w != -1 {
		t.Fatalf("no connection left: weight %d, want deleted", w)
	}
	if ops := r.c.resyncOnce(); len(ops) != 0 {
		t.Errorf("the repair re-added a drained server: %v", ops)
	}
	if st, _ := r.status(a.addr); !st.Draining || !st.DrainRemoved {
		t.Errorf("status %+v, want draining and removed", st)
	}
	if r.weight(b.addr) != 3 {
		t.Errorf("the other server: weight %d, want 3", r.weight(b.addr))
	}

	if _, err := r.c.Undrain("10.0.0.1:80/tcp", a.addr); err != nil {
		t.Fatal(err)
	}
	if w := r.weight(a.addr); w != 2 {
		t.Fatalf("undrained: weight %d, want 2", w)
	}
	if st, _ := r.status(a.addr); st.Draining {
		t.Errorf("undrained, status %+v", st)
	}
}

// A drain's timeout deletes the server with its connections.
func TestDrainTimeout(t *testing.T) {
	a := newHealthServer(t, "127.0.0.1")
	b := newHealthServer(t, "127.0.0.1")
	r := newDrainRig(t, drainConf("", a.addr, "1", b.addr, "1"))
	r.waitWeight(a.addr, 1)
	r.conns(a.addr, 7)
	if _, err := r.c.Drain("10.0.0.1:80", a.addr, time.Minute); err != nil {
		t.Fatal(err)
	}
	r.c.pollDrains(time.Now().Add(59 * time.Second))
	if w := r.weight(a.addr); w != 0 {
		t.Fatalf("before the timeout: weight %d, want 0", w)
	}
	r.c.pollDrains(time.Now().Add(61 * time.Second))
	if w := r.weight(a.addr); w != -1 {
		t.Fatalf("at the timeout: weight %d, want deleted", w)
	}
}

// A drained server its checker finds down stays out at undrain; back up,
// it returns with its configured weight.
func TestUndrainFollowsChecker(t *testing.T) {
	a := newHealthServer(t, "127.0.0.1")
	b := newHealthServer(t, "127.0.0.1")
	r := newDrainRig(t, drainConf("", a.addr, "4", b.addr, "1"))
	r.waitWeight(a.addr, 4)
	r.conns(a.addr, 1)
	if _, err := r.c.Drain("10.0.0.1:80", a.addr, 0); err != nil {
		t.Fatal(err)
	}
	a.srv.Close() // its TCP_CHECK fails
	r.waitWeight(a.addr, -1)
	if _, err := r.c.Undrain("10.0.0.1:80", a.addr); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if w := r.weight(a.addr); w != -1 {
		t.Fatalf("undrained while down: weight %d, want out", w)
	}
}

// The drain extension: a reload that removes a real server sets it to
// weight 0 and deletes it when no connection is left (or at the
// timeout); without the block it is deleted at once, as keepalived does.
func TestReloadDrain(t *testing.T) {
	a := newHealthServer(t, "127.0.0.1")
	b := newHealthServer(t, "127.0.0.1")
	for _, tc := range []struct {
		name, block string
		drained     bool
	}{
		{"without", "", false},
		{"global", "drain {\n timeout 300\n}\n", true},
		{"per-vs", "drain {\n virtual_server 10.0.0.1 80 TCP timeout 60\n}\n", true},
		{"per-vs-zero", "drain {\n timeout 300\n virtual_server 10.0.0.1 80 timeout 0\n}\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newDrainRig(t, drainConf(tc.block, a.addr, "1", b.addr, "1"))
			r.waitWeight(a.addr, 1)
			r.conns(a.addr, 3)
			next := r.load(drainConf(tc.block, b.addr, "1"))
			plan, err := r.c.PlanReload(next, false)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.c.Reload(r.ctx, next); err != nil {
				t.Fatal(err)
			}
			r.c.pollDrains(time.Now())
			if !tc.drained {
				if w := r.weight(a.addr); w != -1 {
					t.Fatalf("weight %d, want deleted at once", w)
				}
				if want := "ipvsadm -d -t 10.0.0.1:80 -r " + a.addr; len(plan) != 1 || plan[0] != want {
					t.Errorf("plan %q, want %q", plan, want)
				}
				return
			}
			if want := "ipvsadm -e -t 10.0.0.1:80 -r " + a.addr + " -m -w 0"; len(plan) != 1 || plan[0] != want {
				t.Errorf("plan %q, want %q", plan, want)
			}
			if w := r.weight(a.addr); w != 0 {
				t.Fatalf("removed by the reload: weight %d, want 0 while it has connections", w)
			}
			if ops := r.c.resyncOnce(); len(ops) != 0 {
				t.Errorf("the repair changed a drained server: %v", ops)
			}
			st, ok := r.status(a.addr)
			if !ok || !st.Draining || st.DrainReason != "reload" || st.DrainConnections != 3 {
				t.Errorf("status %+v (listed %v), want a reload drain with 3 connections", st, ok)
			}
			if _, err := r.c.Undrain("10.0.0.1:80", a.addr); err == nil {
				t.Error("undrain of a server no longer configured succeeded")
			}
			r.conns(a.addr, 0)
			r.c.pollDrains(time.Now())
			if w := r.weight(a.addr); w != -1 {
				t.Fatalf("no connection left: weight %d, want deleted", w)
			}
			if _, ok := r.status(a.addr); ok {
				t.Error("a deleted server no longer configured is still in status")
			}
			if ops := r.c.resyncOnce(); len(ops) != 0 {
				t.Errorf("the repair re-added it: %v", ops)
			}
		})
	}
}

// A server removed by a reload with a drain, then put back by the next,
// gets its weight back at once.
func TestReloadDrainBack(t *testing.T) {
	a := newHealthServer(t, "127.0.0.1")
	b := newHealthServer(t, "127.0.0.1")
	block := "drain {\n timeout 300\n}\n"
	full := drainConf(block, a.addr, "2", b.addr, "1")
	r := newDrainRig(t, full)
	r.waitWeight(a.addr, 2)
	r.conns(a.addr, 3)
	if err := r.c.Reload(r.ctx, r.load(drainConf(block, b.addr, "1"))); err != nil {
		t.Fatal(err)
	}
	r.waitWeight(a.addr, 0)
	if err := r.c.Reload(r.ctx, r.load(full)); err != nil {
		t.Fatal(err)
	}
	r.waitWeight(a.addr, 2)
	if st, _ := r.status(a.addr); st.Draining {
		t.Errorf("back in the configuration, status %+v", st)
	}
}

func TestParseVS(t *testing.T) {
	tcp := ipvs.NewServiceKey(ipvs.TCP, netip.MustParseAddrPort("10.0.0.100:80"))
	udp := ipvs.NewServiceKey(ipvs.UDP, netip.MustParseAddrPort("10.0.0.100:80"))
	v6 := ipvs.NewServiceKey(ipvs.TCP, netip.MustParseAddrPort("[2001:db8::1]:80"))
	fwm := ipvs.FWMarkKey(ipvs.IPv4, 7)
	for _, tc := range []struct {
		spec string
		want []ipvs.ServiceKey
	}{
		{"10.0.0.100:80", []ipvs.ServiceKey{tcp, udp}},
		{"10.0.0.100:80/udp", []ipvs.ServiceKey{udp}},
		{"10.0.0.100:80/TCP", []ipvs.ServiceKey{tcp}},
		{"[2001:db8::1]:80", []ipvs.ServiceKey{v6}},
		{"fwmark:7", []ipvs.ServiceKey{fwm}},
	} {
		m, err := ParseVS(tc.spec)
		if err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		var got []ipvs.ServiceKey
		for _, k := range []ipvs.ServiceKey{tcp, udp, v6, fwm} {
			if m.Match(k) {
				got = append(got, k)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s matches %v, want %v", tc.spec, got, tc.want)
		}
	}
	for _, bad := range []string{"10.0.0.100", "10.0.0.100:80/icmp", "fwmark:0", "fwmark:x", "host:80"} {
		if _, err := ParseVS(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

// A server drained by the command and then removed from the
// configuration keeps draining (with or without the drain block) until
// no connection is left; then it is gone for good.
func TestDrainThenRemoved(t *testing.T) {
	a := newHealthServer(t, "127.0.0.1")
	b := newHealthServer(t, "127.0.0.1")
	r := newDrainRig(t, drainConf("", a.addr, "1", b.addr, "1"))
	r.waitWeight(a.addr, 1)
	r.conns(a.addr, 2)
	if _, err := r.c.Drain("10.0.0.1:80", a.addr, 0); err != nil {
		t.Fatal(err)
	}
	if err := r.c.Reload(r.ctx, r.load(drainConf("", b.addr, "1"))); err != nil {
		t.Fatal(err)
	}
	r.c.pollDrains(time.Now())
	if w := r.weight(a.addr); w != 0 {
		t.Fatalf("drained then removed from the configuration: weight %d, want 0 while it has connections", w)
	}
	r.conns(a.addr, 0)
	r.c.pollDrains(time.Now())
	if w := r.weight(a.addr); w != -1 {
		t.Fatalf("no connection left: weight %d, want deleted", w)
	}
	if _, ok := r.status(a.addr); ok {
		t.Error("still in status")
	}
}
