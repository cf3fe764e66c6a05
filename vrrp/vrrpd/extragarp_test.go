package vrrpd

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/gokeepalived/gokeepalived/vrrp"
)

// garp_extra_if's choice (vrrp_send_vmac_update): the first VIP on each
// other interface, our VMACs only unless "all", the instance's own
// interface only with vmac_xmit_base, nothing if no other interface counts.
func TestExtraGARPVIPs(t *testing.T) {
	vip := func(a, dev string) vrrp.VIP { return vrrp.VIP{Prefix: netip.MustParsePrefix(a + "/32"), Dev: dev} }
	other := &rtInst{vmac: &vrrp.VMAC{Name: "vrrp.9"}}
	list := []vrrp.VIP{vip("10.0.0.1", "vrrp.51"), vip("10.0.1.1", "eth1"), vip("10.0.1.2", "eth1"), vip("10.0.2.1", "vrrp.9")}
	for _, c := range []struct {
		all, xmitBase bool
		vips          []vrrp.VIP
		want          []string
	}{
		{false, false, list, []string{"10.0.2.1"}},
		{true, false, list, []string{"10.0.1.1", "10.0.2.1"}},
		{true, true, list, []string{"10.0.0.1", "10.0.1.1", "10.0.2.1"}},
		{false, true, list[:3], nil}, // eth1 does not count without all
		{true, true, list[:1], nil},  // no other interface
	} {
		ri := &rtInst{iface: "eth0", vmac: &vrrp.VMAC{Name: "vrrp.51"}, vips: c.vips, garpExtraAll: c.all, xmitBase: c.xmitBase}
		r := &Runtime{insts: []*rtInst{ri, other}}
		var got []string
		for _, v := range r.extraGARPVIPs(ri) {
			got = append(got, v.Prefix.Addr().String())
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("all %v xmit_base %v %v: %v, want %v", c.all, c.xmitBase, c.vips, got, c.want)
		}
	}
}
