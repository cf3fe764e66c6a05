package vrrp_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp"
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

func byName(n *node, name string) (vrrp.Status, bool) {
	for _, st := range n.rt.States() {
		if st.Name == name {
			return st, true
		}
	}
	return vrrp.Status{}, false
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
	sent := a.ann.Addrs()[garps:]
	if len(sent) != 5 {
		t.Errorf("GARPs at reload %v, want 5 for the new VIP only", sent)
	}
	for _, s := range sent {
		if s != vip2.Addr() {
			t.Errorf("GARP for %v at reload: only the new VIP should be announced", s)
		}
	}
}
