package vrrpd_test

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrpd"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest"
)

// fullNode is a node with every fake wired in.
type fullNode struct {
	*node
	net    *vrrptest.Net
	vmacs  *vrrptest.VMACs
	routes *vrrptest.Routes
	procs  *vrrptest.Processes
	links  *vrrptest.Links
}

func startFull(t *testing.T, hub *vrrptest.Hub, name, addr4, cfgText string) *fullNode {
	t.Helper()
	f := &fullNode{routes: &vrrptest.Routes{}, procs: &vrrptest.Processes{}, links: vrrptest.NewLinks()}
	f.node = startNodeWith(t, hub, name, addr4, cfgText, func(d *vrrpd.Deps) {
		f.net = d.Net.(*vrrptest.Net)
		f.vmacs = &vrrptest.VMACs{Net: f.net}
		d.VMACs, d.Routes, d.Processes, d.Links = f.vmacs, f.routes, f.procs, f.links
		d.ProcessPoll = 10 * time.Millisecond
	})
	return f
}

func vipDev(n *node, p netip.Prefix) string {
	if !n.addrs.Has(p) {
		return ""
	}
	return n.addrs.Dev(p)
}

func TestRuntimeUseVMAC(t *testing.T) {
	for _, tc := range []struct {
		name, extra, sockIf string
	}{
		{"default name", "use_vmac", "vrrp.51"},
		{"named", "use_vmac vip51", "vip51"},
		{"xmit base", "use_vmac\n    vmac_xmit_base", "eth0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hub := vrrptest.NewHub()
			a := startFull(t, hub, "a", "10.0.0.1", instConf(200, tc.extra))
			b := startFull(t, hub, "b", "10.0.0.2", instConf(100, tc.extra))
			vm := strings.TrimPrefix(tc.sockIf, "eth0")
			if vm == "" {
				vm = "vrrp.51"
			}
			if got := a.vmacs.Ops(); !slices.Equal(got, []string{"create " + vm}) {
				t.Fatalf("a's VMAC operations %q, want one create of %s", got, vm)
			}
			m := a.vmacs.Created[vm]
			if want := (net.HardwareAddr{0, 0, 0x5e, 0, 1, 51}); m.Base != "eth0" || m.MAC.String() != want.String() || m.IPv6 {
				t.Errorf("VMAC asked for: %+v, want base eth0, MAC %v, IPv6 off", m, want)
			}
			// Adverts leave through the VMAC's socket (its MAC on the
			// wire) unless vmac_xmit_base.
			if s := hub.Sockets("a"); len(s) != 1 || s[0].Spec().Iface != tc.sockIf {
				t.Fatalf("a's sockets: %v, want one on %s", s, tc.sockIf)
			}
			waitFor(t, 2*time.Second, "a becomes MASTER", func() bool { return a.addrs.Has(vip) })
			if d := vipDev(a.node, vip); d != vm {
				t.Errorf("VIP on %q, want the VMAC %s", d, vm)
			}
			// Failover moves it to b's VMAC.
			a.rt.Stop()
			waitFor(t, 2*time.Second, "b takes over", func() bool { return b.addrs.Has(vip) })
			if d := vipDev(b.node, vip); d != vm {
				t.Errorf("b's VIP on %q, want %s", d, vm)
			}
			if got := a.vmacs.Ops(); !slices.Equal(got, []string{"create " + vm, "delete " + vm}) {
				t.Errorf("a's VMAC operations after stop %q: want it deleted", got)
			}
		})
	}
}

// -V keeps the VMAC (the VIPs on it stay); a runtime never run still
// removes what NewRuntime created.
func TestRuntimeVMACKeptWithKeepVIPs(t *testing.T) {
	hub := vrrptest.NewHub()
	var vm *vrrptest.VMACs
	a := startNodeWith(t, hub, "a", "10.0.0.1", instConf(200, "use_vmac"), func(d *vrrpd.Deps) {
		vm = &vrrptest.VMACs{Net: d.Net.(*vrrptest.Net)}
		d.VMACs, d.KeepVIPs = vm, true
	})
	waitFor(t, 2*time.Second, "a becomes MASTER", func() bool { return a.addrs.Has(vip) })
	a.rt.Stop()
	if got := vm.Ops(); !slices.Equal(got, []string{"create vrrp.51"}) || !a.addrs.Has(vip) {
		t.Errorf("with -V: VMAC ops %q, VIP kept %v; want the VMAC and VIP left", got, a.addrs.Has(vip))
	}

	fn := &vrrptest.Net{Hub: hub, Node: "c", Ifaces: map[string]vrrp.IfaceInfo{"eth0": {Up: true, Addr4: netip.MustParseAddr("10.0.0.3")}}}
	vm2 := &vrrptest.VMACs{Net: fn}
	rt, err := vrrpd.NewRuntime(loadConf(t, instConf(100, "use_vmac")), vrrpd.Deps{Net: fn, Addrs: &vrrptest.Addrs{}, Announcer: &vrrptest.Announcer{}, VMACs: vm2})
	if err != nil {
		t.Fatal(err)
	}
	rt.Stop()
	if got := vm2.Ops(); !slices.Equal(got, []string{"create vrrp.51", "delete vrrp.51"}) {
		t.Errorf("never-run runtime: VMAC ops %q", got)
	}

	// Without a VMAC implementation use_vmac is refused, not ignored.
	if _, err := vrrpd.NewRuntime(loadConf(t, instConf(100, "use_vmac")), vrrpd.Deps{Net: fn, Addrs: &vrrptest.Addrs{}, Announcer: &vrrptest.Announcer{}}); err == nil {
		t.Error("use_vmac without Deps.VMACs: no error")
	}
}

// A reload keeps a matched instance's VMAC, creates one for an added
// instance and deletes the one of a removed instance.
func TestRuntimeVMACReload(t *testing.T) {
	hub := vrrptest.NewHub()
	a := startFull(t, hub, "a", "10.0.0.1", instConf(200, "use_vmac"))
	waitFor(t, 2*time.Second, "a becomes MASTER", func() bool { return a.addrs.Has(vip) })
	two := instConf(200, "use_vmac") + instConfN("VI_2", 52, "10.0.0.101/32", 200, "use_vmac")
	if err := a.rt.Reload(loadConf(t, two)); err != nil {
		t.Fatal(err)
	}
	if got := a.vmacs.Ops(); !slices.Equal(got, []string{"create vrrp.51", "create vrrp.52"}) {
		t.Fatalf("after adding VI_2: %q", got)
	}
	if st := a.rt.States(); st[0].State != vrrp.StateMaster || !a.addrs.Has(vip) {
		t.Errorf("VI_1 lost MASTER or its VIP across the reload: %v", st[0].State)
	}
	vip2 := netip.MustParsePrefix("10.0.0.101/32")
	waitFor(t, 2*time.Second, "VI_2 becomes MASTER", func() bool { return a.addrs.Has(vip2) })
	if d := vipDev(a.node, vip2); d != "vrrp.52" {
		t.Errorf("VI_2's VIP on %q", d)
	}
	if err := a.rt.Reload(loadConf(t, instConf(200, "use_vmac"))); err != nil {
		t.Fatal(err)
	}
	if got := a.vmacs.Ops(); !slices.Equal(got, []string{"create vrrp.51", "create vrrp.52", "delete vrrp.52"}) {
		t.Errorf("after removing VI_2: %q", got)
	}
	if a.addrs.Has(vip2) || !a.addrs.Has(vip) {
		t.Error("VI_2's VIP left behind or VI_1's removed")
	}
}

func instConfN(name string, vrid int, addr string, prio int, extra string) string {
	return fmt.Sprintf(`vrrp_instance %s {
    interface eth0
    virtual_router_id %d
    priority %d
    version 3
    advert_int 0.1
    %s
    virtual_ipaddress {
        %s
    }
}
`, name, vrid, prio, extra, addr)
}
