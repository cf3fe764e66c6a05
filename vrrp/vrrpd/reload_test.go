package vrrpd_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrpd"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest"
)

// vi is a v3 instance on eth0 with advert_int 0.1.
func vi(name string, vrid, prio int, vips ...string) string {
	return fmt.Sprintf(`vrrp_instance %s {
    interface eth0
    virtual_router_id %d
    priority %d
    version 3
    advert_int 0.1
    virtual_ipaddress {
        %s
    }
}
`, name, vrid, prio, strings.Join(vips, "\n        "))
}

func byName(n *node, name string) (vrrpd.Status, bool) {
	for _, st := range n.rt.States() {
		if st.Name == name {
			return st, true
		}
	}
	return vrrpd.Status{}, false
}

func reload(t *testing.T, n *node, text string) {
	t.Helper()
	if err := n.rt.Reload(loadConf(t, text)); err != nil {
		t.Fatal(err)
	}
}

var vip2 = netip.MustParsePrefix("10.0.0.101/32")

// A MASTER reloaded with a new priority and one more VIP stays MASTER:
// no transition, no GARP for the VIP it had, no missed advert (the
// backup never takes over).
func TestReloadMasterStaysMaster(t *testing.T) {
	hub := vrrptest.NewHub()
	a := startNode(t, hub, "a", "10.0.0.1", vi("VI_1", 51, 200, "10.0.0.100/32"))
	b := startNode(t, hub, "b", "10.0.0.2", vi("VI_1", 51, 100, "10.0.0.100/32"))
	waitFor(t, 2*time.Second, "a becomes MASTER", func() bool { return a.addrs.Has(vip) })
	time.Sleep(200 * time.Millisecond)
	garps := a.ann.Count()
	ops := len(a.addrs.Ops())

	reload(t, a, vi("VI_1", 51, 150, "10.0.0.100/32", "10.0.0.101/32"))
	if !a.addrs.Has(vip2) || !a.addrs.Has(vip) {
		t.Fatalf("a's addresses after reload: %q", a.addrs.Ops())
	}
	if got := a.addrs.Ops()[ops:]; len(got) != 1 || got[0] != "add 10.0.0.101/32" {
		t.Errorf("address operations at reload %q, want only the new VIP added", got)
	}
	time.Sleep(500 * time.Millisecond) // more than b's master-down interval
	st, _ := byName(a, "VI_1")
	if st.State != vrrp.StateMaster || st.BecameMaster != 1 || st.Priority != 150 || st.EffectivePriority != 150 {
		t.Errorf("a after reload: %+v", st)
	}
	if bs, _ := byName(b, "VI_1"); bs.State != vrrp.StateBackup || bs.BecameMaster != 0 {
		t.Errorf("b after reload: %+v (a missed adverts?)", bs)
	}
	// keepalived announces every VIP once one was added (garp_master_repeat
	// 5 each); the second block waits for garp_master_delay (5 s)
	sent := a.ann.Addrs()[garps:]
	if n, m := count(sent, vip.Addr()), count(sent, vip2.Addr()); len(sent) != 10 || n != 5 || m != 5 {
		t.Errorf("GARPs at reload %v, want 5 for each VIP", sent)
	}
}

func count(l []netip.Addr, a netip.Addr) int {
	n := 0
	for _, x := range l {
		if x == a {
			n++
		}
	}
	return n
}

// From keepalived 2.3.2, a reload that adds a VIP to a MASTER sends a
// second GARP block garp_master_delay after the first; 2.2.7 sends one.
func TestReloadAddedVIPSecondGARPBlock(t *testing.T) {
	for _, c := range []struct {
		compat string
		blocks int
	}{{"2.4.3", 2}, {"2.2.7", 1}} {
		t.Run(c.compat, func(t *testing.T) {
			v, err := conf.ParseVersion(c.compat)
			if err != nil {
				t.Fatal(err)
			}
			withDelay := func(vips ...string) string {
				return strings.Replace(vi("VI_1", 51, 200, vips...), "    version 3\n", "    version 3\n    garp_master_delay 1\n    garp_master_repeat 2\n", 1)
			}
			hub := vrrptest.NewHub()
			a := startNode(t, hub, "a", "10.0.0.1", withDelay("10.0.0.100/32"))
			waitFor(t, 2*time.Second, "a becomes MASTER", func() bool { return a.addrs.Has(vip) })
			time.Sleep(1500 * time.Millisecond) // past the start's second block
			garps := a.ann.Count()
			cfg := loadConf(t, withDelay("10.0.0.100/32", "10.0.0.101/32"))
			cfg.Compat = v
			if err := a.rt.Reload(cfg); err != nil {
				t.Fatal(err)
			}
			// past the delay; then, for a loaded machine, until the
			// blocks wanted have come
			time.Sleep(1800 * time.Millisecond)
			want := 4 * c.blocks
			waitFor(t, 5*time.Second, "the GARP blocks", func() bool { return a.ann.Count()-garps >= want })
			sent := a.ann.Addrs()[garps:]
			// each block: garp_master_repeat (2) for each of the 2 VIPs
			if len(sent) != want || count(sent, vip2.Addr()) != want/2 {
				t.Errorf("GARPs after the reload %v, want %d blocks of 4", sent, c.blocks)
			}
		})
	}
}

// The name is not the identity: a renamed instance keeps its state.
func TestReloadRenamedKeepsState(t *testing.T) {
	hub := vrrptest.NewHub()
	a := startNode(t, hub, "a", "10.0.0.1", vi("VI_1", 51, 200, "10.0.0.100/32"))
	waitFor(t, 2*time.Second, "a becomes MASTER", func() bool { return a.addrs.Has(vip) })
	ops := len(a.addrs.Ops())
	reload(t, a, vi("VI_renamed", 51, 200, "10.0.0.100/32"))
	time.Sleep(300 * time.Millisecond)
	sts := a.rt.States()
	if len(sts) != 1 || sts[0].Name != "VI_renamed" || sts[0].State != vrrp.StateMaster || sts[0].BecameMaster != 1 {
		t.Errorf("after rename: %+v", sts)
	}
	if got := a.addrs.Ops()[ops:]; len(got) != 0 {
		t.Errorf("address operations at rename %q, want none", got)
	}
}

// A removed MASTER sends priority 0 (the peer takes over after skew only)
// and removes its VIPs; an added instance comes up.
func TestReloadRemoveAndAdd(t *testing.T) {
	hub := vrrptest.NewHub()
	two := vi("VI_1", 51, 200, "10.0.0.100/32") + vi("VI_2", 52, 200, "10.0.0.101/32")
	a := startNode(t, hub, "a", "10.0.0.1", two)
	b := startNode(t, hub, "b", "10.0.0.2", vi("VI_1", 51, 100, "10.0.0.100/32")+vi("VI_2", 52, 100, "10.0.0.101/32"))
	waitFor(t, 2*time.Second, "a holds both VIPs", func() bool { return a.addrs.Has(vip) && a.addrs.Has(vip2) })
	time.Sleep(200 * time.Millisecond)

	reload(t, a, vi("VI_1", 51, 200, "10.0.0.100/32")+vi("VI_3", 53, 200, "10.0.0.102/32"))
	if a.addrs.Has(vip2) {
		t.Error("a kept the removed instance's VIP")
	}
	took := waitFor(t, 2*time.Second, "b takes VI_2 over", func() bool { return b.addrs.Has(vip2) })
	if bound := 156*100*time.Millisecond/256 + 50*time.Millisecond; took > bound && !raceEnabled {
		t.Errorf("takeover took %v: no priority-0 advert? (bound %v)", took, bound)
	}
	if st, _ := byName(b, "VI_2"); st.PriZeroRcvd == 0 {
		t.Errorf("b received no priority 0: %+v", st)
	}
	if _, ok := byName(a, "VI_2"); ok {
		t.Error("VI_2 still reported")
	}
	vip3 := netip.MustParsePrefix("10.0.0.102/32")
	waitFor(t, 2*time.Second, "VI_3 comes up", func() bool { return a.addrs.Has(vip3) })
	if st, _ := byName(a, "VI_3"); st.State != vrrp.StateMaster {
		t.Errorf("VI_3: %+v", st)
	}
	if st, _ := byName(a, "VI_1"); st.State != vrrp.StateMaster || st.BecameMaster != 1 {
		t.Errorf("VI_1 disturbed: %+v", st)
	}
}

// A reload onto a second interface opens its socket; dropping it closes
// the socket again.
func TestReloadSockets(t *testing.T) {
	hub := vrrptest.NewHub()
	a := startNode(t, hub, "a", "10.0.0.1", vi("VI_1", 51, 200, "10.0.0.100/32"))
	waitFor(t, 2*time.Second, "a becomes MASTER", func() bool { return a.addrs.Has(vip) })
	unicast := `vrrp_instance VI_U {
    interface eth0
    virtual_router_id 60
    priority 200
    version 3
    advert_int 0.1
    unicast_peer {
        10.0.0.9
    }
    virtual_ipaddress {
        10.0.0.110/32
    }
}
`
	reload(t, a, vi("VI_1", 51, 200, "10.0.0.100/32")+unicast)
	if n := len(a.rt.Sockets()); n != 2 {
		t.Fatalf("%d sockets after adding a unicast instance, want 2", n)
	}
	waitFor(t, 2*time.Second, "VI_U comes up", func() bool { return a.addrs.Has(netip.MustParsePrefix("10.0.0.110/32")) })
	reload(t, a, vi("VI_1", 51, 200, "10.0.0.100/32"))
	if n := len(a.rt.Sockets()); n != 1 {
		t.Fatalf("%d sockets after removing it, want 1", n)
	}
	if st, _ := byName(a, "VI_1"); st.State != vrrp.StateMaster || st.BecameMaster != 1 {
		t.Errorf("VI_1 disturbed: %+v", st)
	}
}

// A bad config changes nothing.
func TestReloadErrorChangesNothing(t *testing.T) {
	hub := vrrptest.NewHub()
	a := startNode(t, hub, "a", "10.0.0.1", vi("VI_1", 51, 200, "10.0.0.100/32"))
	waitFor(t, 2*time.Second, "a becomes MASTER", func() bool { return a.addrs.Has(vip) })
	bad := loadConf(t, vi("VI_1", 51, 150, "10.0.0.100/32"))
	bad.VRRPInstances[0].Interface = "eth9"
	if err := a.rt.Reload(bad); err == nil {
		t.Fatal("reload onto a missing interface succeeded")
	}
	if st, _ := byName(a, "VI_1"); st.State != vrrp.StateMaster || st.Priority != 200 {
		t.Errorf("after a failed reload: %+v", st)
	}
}

// -V: at stop the MASTER still sends priority 0 but keeps its VIPs.
func TestStopKeepVIPs(t *testing.T) {
	hub := vrrptest.NewHub()
	a := startNodeWith(t, hub, "a", "10.0.0.1", vi("VI_1", 51, 200, "10.0.0.100/32"), func(d *vrrpd.Deps) { d.KeepVIPs = true })
	b := startNode(t, hub, "b", "10.0.0.2", vi("VI_1", 51, 100, "10.0.0.100/32"))
	waitFor(t, 2*time.Second, "a becomes MASTER", func() bool { return a.addrs.Has(vip) })
	a.rt.Stop()
	if !a.addrs.Has(vip) {
		t.Error("a removed its VIP at stop with KeepVIPs")
	}
	waitFor(t, 2*time.Second, "b takes over", func() bool { return b.addrs.Has(vip) })
	if st, _ := byName(b, "VI_1"); st.PriZeroRcvd == 0 {
		t.Errorf("b received no priority 0: %+v", st)
	}
}
