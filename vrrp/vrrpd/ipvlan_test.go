package vrrpd_test

import (
	"slices"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest"
)

// use_ipvlan: the ipvlan is created with the configured address and
// mode, adverts leave through it (from its address), the VIPs stay on
// the instance's interface (keepalived moves them only for use_vmac), and
// stop deletes it.
func TestRuntimeUseIPVLAN(t *testing.T) {
	hub := vrrptest.NewHub()
	a := startFull(t, hub, "a", "10.0.0.1", instConf(200, "use_ipvlan 10.0.0.11/24 private"))
	b := startFull(t, hub, "b", "10.0.0.2", instConf(100, "use_ipvlan ipvb 10.0.0.12/24"))
	if got := a.vmacs.Ops(); !slices.Equal(got, []string{"create vrrp.51"}) {
		t.Fatalf("a's operations %q, want one create of vrrp.51", got)
	}
	m := a.vmacs.Created["vrrp.51"]
	if !m.IPVLAN || m.IPVLANMode != "private" || m.Addr.String() != "10.0.0.11/24" || m.Base != "eth0" || m.IPv6 {
		t.Errorf("ipvlan asked for: %+v", m)
	}
	if m := b.vmacs.Created["ipvb"]; !m.IPVLAN || m.IPVLANMode != "bridge" || m.Addr.String() != "10.0.0.12/24" {
		t.Errorf("b's ipvlan asked for: %+v", m)
	}
	if s := hub.Sockets("a"); len(s) != 1 || s[0].Spec().Iface != "vrrp.51" {
		t.Fatalf("a's sockets: %v, want one on vrrp.51", s)
	}
	waitFor(t, 2*time.Second, "a becomes MASTER", func() bool { return a.addrs.Has(vip) })
	if d := vipDev(a.node, vip); d != "eth0" {
		t.Errorf("VIP on %q, want eth0", d)
	}
	if st := a.rt.States(); len(st) != 1 || st[0].SourceAddr.String() != "10.0.0.11" {
		t.Errorf("a's source address: %+v, want the ipvlan's 10.0.0.11", st)
	}
	a.rt.Stop()
	waitFor(t, 2*time.Second, "b takes over", func() bool { return b.addrs.Has(vip) })
	if got := a.vmacs.Ops(); !slices.Equal(got, []string{"create vrrp.51", "delete vrrp.51"}) {
		t.Errorf("a's operations after stop %q: want it deleted", got)
	}
}

// A reload adding use_ipvlan to a running instance rebuilds it with the
// ipvlan; removing it again deletes the ipvlan.
func TestRuntimeIPVLANReload(t *testing.T) {
	hub := vrrptest.NewHub()
	a := startFull(t, hub, "a", "10.0.0.1", instConf(200, ""))
	waitFor(t, 2*time.Second, "a becomes MASTER", func() bool { return a.addrs.Has(vip) })
	if err := a.rt.Reload(loadConf(t, instConf(200, "use_ipvlan 10.0.0.11/24"))); err != nil {
		t.Fatal(err)
	}
	if got := a.vmacs.Ops(); !slices.Equal(got, []string{"create vrrp.51"}) {
		t.Fatalf("after adding use_ipvlan: %q", got)
	}
	waitFor(t, 2*time.Second, "a MASTER again", func() bool { return a.addrs.Has(vip) })
	if err := a.rt.Reload(loadConf(t, instConf(200, ""))); err != nil {
		t.Fatal(err)
	}
	if got := a.vmacs.Ops(); !slices.Equal(got, []string{"create vrrp.51", "delete vrrp.51"}) {
		t.Errorf("after removing use_ipvlan: %q", got)
	}
}

// The ipvlan set down puts its instance in FAULT (keepalived: "Netlink
// reports vrrp.51 down"); set up, it becomes MASTER again.
func TestRuntimeIPVLANLinkDown(t *testing.T) {
	hub := vrrptest.NewHub()
	a := startFull(t, hub, "a", "10.0.0.1", instConf(200, "use_ipvlan 10.0.0.11/24"))
	waitFor(t, 2*time.Second, "a becomes MASTER", func() bool { return a.addrs.Has(vip) })
	a.links.C <- vrrp.LinkEvent{Name: "vrrp.51", Up: false}
	waitFor(t, 2*time.Second, "a leaves MASTER", func() bool { return !a.addrs.Has(vip) })
	if st := a.rt.States(); st[0].State != vrrp.StateFault {
		t.Errorf("state %v, want FAULT", st[0].State)
	}
	a.links.C <- vrrp.LinkEvent{Name: "vrrp.51", Up: true}
	waitFor(t, 2*time.Second, "a MASTER again", func() bool { return a.addrs.Has(vip) })
}
