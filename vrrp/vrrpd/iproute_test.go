package vrrpd_test

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest"
)

const vroutes = `
    virtual_routes {
        192.168.10.0/24 via 10.0.0.254 dev eth0
        blackhole 192.168.99.0/24 table 100 no_track
    }
    virtual_rules {
        from 10.0.0.100 table 100 priority 100
    }`

var (
	vroute1 = "route 192.168.10.0/24 via 10.0.0.254 dev eth0"
	vroute2 = "route blackhole 192.168.99.0/24 table 100"
	vrule   = "rule 100: from 10.0.0.100/32 lookup 100"
)

func hasAll(r *vrrptest.Routes, want ...string) bool {
	for _, w := range want {
		if !r.Has(w) {
			return false
		}
	}
	return true
}

func hasNone(r *vrrptest.Routes, want ...string) bool {
	for _, w := range want {
		if r.Has(w) {
			return false
		}
	}
	return true
}

// virtual_routes and virtual_rules exist only on the MASTER, and follow
// the VIPs when it changes.
func TestRuntimeVirtualRoutes(t *testing.T) {
	hub := vrrptest.NewHub()
	a := startFull(t, hub, "a", "10.0.0.1", instConf(200, vroutes))
	b := startFull(t, hub, "b", "10.0.0.2", instConf(100, vroutes))
	waitFor(t, 2*time.Second, "a becomes MASTER", func() bool { return a.addrs.Has(vip) })
	waitFor(t, time.Second, "a's routes", func() bool { return hasAll(a.routes, vroute1, vroute2, vrule) })
	time.Sleep(400 * time.Millisecond)
	if !hasNone(b.routes, vroute1, vroute2, vrule) {
		t.Fatalf("the BACKUP has virtual routes/rules: %q", b.routes.Ops())
	}
	// Start-up removes stale ones first; becoming master adds routes
	// then rules, after the VIPs.
	want := []string{"del " + vroute1, "del " + vroute2, "del " + vrule, "add " + vroute1, "add " + vroute2, "add " + vrule}
	if got := a.routes.Ops(); !slices.Equal(got, want) {
		t.Errorf("a's operations:\n got %q\nwant %q", got, want)
	}
	a.rt.Stop()
	if !hasNone(a.routes, vroute1, vroute2, vrule) {
		t.Errorf("stopped master kept routes: %q", a.routes.Ops())
	}
	waitFor(t, 2*time.Second, "b takes the routes", func() bool { return hasAll(b.routes, vroute1, vroute2, vrule) })
}

const statics = `static_ipaddress {
    192.168.50.1/24 dev eth0
    192.168.51.1/24 dev eth0 no_track
}
static_routes {
    192.168.60.0/24 via 192.168.50.254 dev eth0
}
static_rules {
    from 192.168.50.0/24 table 200 priority 300
}
`

// static_* are installed at start, stay through state changes, come back
// when their interface comes up again, and go at stop.
func TestRuntimeStatics(t *testing.T) {
	hub := vrrptest.NewHub()
	sroute, srule := "route 192.168.60.0/24 via 192.168.50.254 dev eth0", "rule 300: from 192.168.50.0/24 lookup 200"
	a := startFull(t, hub, "a", "10.0.0.1", statics+instConf(200, ""))
	waitFor(t, 2*time.Second, "a becomes MASTER", func() bool { return a.addrs.Has(vip) })
	s1, s2 := netip.MustParsePrefix("192.168.50.1/24"), netip.MustParsePrefix("192.168.51.1/24")
	if !a.addrs.Has(s1) || !a.addrs.Has(s2) || !hasAll(a.routes, sroute, srule) {
		t.Fatalf("statics missing: addrs %q routes %q", a.addrs.Ops(), a.routes.Ops())
	}
	// A BACKUP keeps them too.
	b := startFull(t, hub, "b", "10.0.0.2", statics+instConf(100, ""))
	time.Sleep(500 * time.Millisecond)
	if state(b.node) != vrrp.StateBackup || !b.addrs.Has(s1) || !hasAll(b.routes, sroute, srule) {
		t.Fatalf("b (%v) lacks statics", state(b.node))
	}
	// Interface flap: the kernel dropped the route; the tracked address
	// and route are re-added, the no_track address is not.
	nAddr, nRoute := len(a.addrs.Ops()), len(a.routes.Ops())
	a.links.C <- vrrp.LinkEvent{Name: "eth0", Up: false}
	a.links.C <- vrrp.LinkEvent{Name: "eth0", Up: true}
	waitFor(t, time.Second, "statics re-added", func() bool { return len(a.routes.Ops()) > nRoute })
	waitFor(t, time.Second, "a is MASTER again", func() bool { return state(a.node) == vrrp.StateMaster })
	if got := a.routes.Ops()[nRoute:]; !slices.Contains(got, "add "+sroute) || slices.Contains(got, "add "+srule) {
		t.Errorf("after link up: routes ops %q, want the route only", got)
	}
	if got := a.addrs.Ops()[nAddr:]; !slices.Contains(got, "add 192.168.50.1/24") || slices.Contains(got, "add 192.168.51.1/24") {
		t.Errorf("after link up: addr ops %q, want 192.168.50.1 only", got)
	}
	a.rt.Stop()
	if a.addrs.Has(s1) || a.addrs.Has(s2) || !hasNone(a.routes, sroute, srule) {
		t.Errorf("statics left after stop: addrs %q routes %q", a.addrs.Ops(), a.routes.Ops())
	}
	ops := a.routes.Ops()
	if i, j := slices.Index(ops, "del "+srule), slices.Index(ops, "del "+sroute); i < 0 || j < i {
		t.Errorf("stop order %q: want the rule removed before the route", ops)
	}
	// A reload drops a removed static route and adds a new one, leaving
	// the unchanged rule alone.
	n := len(b.routes.Ops())
	if err := b.rt.Reload(loadConf(t, "static_routes {\n    192.168.70.0/24 dev eth0\n}\nstatic_rules {\n    from 192.168.50.0/24 table 200 priority 300\n}\n"+instConf(100, ""))); err != nil {
		t.Fatal(err)
	}
	if got, want := b.routes.Ops()[n:], []string{"del " + sroute, "add route 192.168.70.0/24 dev eth0"}; !slices.Equal(got, want) {
		t.Errorf("reload: %q, want %q", got, want)
	}
	if b.addrs.Has(s1) {
		t.Error("reload kept a static address the new config dropped")
	}
}
