package vrrpd_test

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/nft"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrpd"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest"
)

func withFake(f func(nft.Config) (nft.Firewall, error)) func(*vrrpd.Deps) {
	return func(d *vrrpd.Deps) { d.Firewall = f }
}

func dropped(f *nft.Fake) []string {
	var s []string
	for _, a := range f.Dropped() {
		s = append(s, a.IP.String())
	}
	return s
}

// no_accept: the VIPs are in the drop set exactly while MASTER (as
// keepalived's vrrp_state_become_master / leave_master); the table is
// deleted at stop.
func TestRuntimeFirewallNoAccept(t *testing.T) {
	hub := vrrptest.NewHub()
	fa, oa := nft.NewFake()
	fb, ob := nft.NewFake()
	a := startNodeWith(t, hub, "a", "10.0.0.1", instConf(200, "no_accept"), withFake(oa))
	b := startNodeWith(t, hub, "b", "10.0.0.2", instConf(100, "no_accept"), withFake(ob))
	if fa.Config.Table != "keepalived" || fa.Config.Priority != -1 {
		t.Errorf("firewall opened with %+v, want keepalived's default table and priority -1", fa.Config)
	}
	waitFor(t, 2*time.Second, "a MASTER", func() bool { return a.addrs.Has(vip) })
	if got := dropped(fa); !slices.Equal(got, []string{"10.0.0.100"}) {
		t.Errorf("MASTER a drops %q, want the VIP", got)
	}
	time.Sleep(400 * time.Millisecond)
	if len(fb.Ops()) != 0 || state(b) != vrrp.StateBackup {
		t.Errorf("BACKUP b (%v) touched its firewall: %q", state(b), fb.Ops())
	}
	hub.Cut("a", true)
	waitFor(t, 2*time.Second, "b takes over", func() bool { return b.addrs.Has(vip) })
	if got := dropped(fb); !slices.Equal(got, []string{"10.0.0.100"}) {
		t.Errorf("new MASTER b drops %q", got)
	}
	hub.Cut("a", false)
	waitFor(t, 2*time.Second, "a preempts", func() bool { return !b.addrs.Has(vip) && state(b) == vrrp.StateBackup })
	if got := dropped(fb); len(got) != 0 {
		t.Errorf("b back to BACKUP still drops %q", got)
	}
	if got := fb.Ops(); !slices.Equal(got, []string{"add [10.0.0.100]", "del [10.0.0.100]"}) {
		t.Errorf("b's firewall operations %q", got)
	}
	a.rt.Stop()
	if !fa.Closed() || len(fa.Dropped()) != 0 {
		t.Errorf("after Stop: closed %v, drops %v", fa.Closed(), fa.Dropped())
	}
}

// accept (the default without vrrp_strict) never drops; without an
// nftables keyword no table is opened at all.
func TestRuntimeFirewallAccept(t *testing.T) {
	hub := vrrptest.NewHub()
	opened := false
	a := startNodeWith(t, hub, "a", "10.0.0.1", instConf(200, ""), withFake(func(nft.Config) (nft.Firewall, error) {
		opened = true
		return nil, nil
	}))
	waitFor(t, 2*time.Second, "a MASTER", func() bool { return a.addrs.Has(vip) })
	a.rt.Stop()
	if opened {
		t.Error("a firewall was opened for an accept instance with no nftables keyword")
	}

	f, o := nft.NewFake()
	cfg := "global_defs {\n nftables kt\n nftables_priority -5\n nftables_counters\n}\n" + instConf(200, "accept")
	b := startNodeWith(t, vrrptest.NewHub(), "b", "10.0.0.2", cfg, withFake(o))
	waitFor(t, 2*time.Second, "b MASTER", func() bool { return b.addrs.Has(vip) })
	if f.Config.Table != "kt" || f.Config.Priority != -5 || !f.Config.Counters {
		t.Errorf("opened with %+v", f.Config)
	}
	b.rt.Stop()
	if got := f.Ops(); !slices.Equal(got, []string{"close"}) {
		t.Errorf("accept MASTER's firewall operations %q, want only the table's deletion", got)
	}
}

// vrrp_strict implies no_accept; the address owner (priority 255) and
// an explicit accept with VRRPv3 are exempt.
func TestRuntimeFirewallStrict(t *testing.T) {
	for _, c := range []struct {
		name  string
		prio  int
		extra string
		drops bool
	}{
		{"strict", 200, "", true},
		{"strict accept v3", 200, "accept", false},
		{"owner", 255, "", false},
		{"owner no_accept", 255, "no_accept", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, o := nft.NewFake()
			n := startNodeWith(t, vrrptest.NewHub(), "a", "10.0.0.1", "global_defs {\n vrrp_strict\n}\n"+instConf(c.prio, c.extra), withFake(o))
			waitFor(t, 2*time.Second, "MASTER", func() bool { return n.addrs.Has(vip) })
			got := f.Dropped()
			if want := []nft.Addr{{IP: netip.MustParseAddr("10.0.0.100"), Ifname: "eth0"}}; c.drops != slices.Equal(got, want) || (!c.drops && len(got) > 0) {
				t.Errorf("drops %v, want drop=%v", got, c.drops)
			}
		})
	}
}

// A reload of a MASTER between no_accept and accept (and of its VIPs)
// updates the drop set in place.
func TestRuntimeFirewallReload(t *testing.T) {
	f, o := nft.NewFake()
	n := startNodeWith(t, vrrptest.NewHub(), "a", "10.0.0.1", instConf(200, "no_accept"), withFake(o))
	waitFor(t, 2*time.Second, "MASTER", func() bool { return n.addrs.Has(vip) })
	steps := []struct {
		extra string
		want  []string
	}{
		{"accept", nil},
		{"no_accept", []string{"10.0.0.100"}},
		{"no_accept\n virtual_ipaddress_excluded {\n 10.0.0.101/32\n }", []string{"10.0.0.100", "10.0.0.101"}},
	}
	for _, s := range steps {
		if err := n.rt.Reload(loadConf(t, instConf(200, s.extra))); err != nil {
			t.Fatal(err)
		}
		if got := dropped(f); !slices.Equal(got, s.want) || state(n) != vrrp.StateMaster {
			t.Errorf("after reload with %q: %v drops %q, want %q", s.extra, state(n), got, s.want)
		}
	}
}
