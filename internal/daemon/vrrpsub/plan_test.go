package vrrpsub

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/gokeepalived/gokeepalived/vrrp"
)

func TestVRRPPlanLines(t *testing.T) {
	v := func(p string) vrrp.VIP { return vrrp.VIP{Prefix: netip.MustParsePrefix(p), Dev: "eth0"} }
	got := vrrpPlanLines([]vrrp.InstancePlan{
		{Change: vrrp.Removed, Name: "VI_2", VRID: 52, Iface: "eth0", State: "MASTER", OldPriority: 200},
		{Change: vrrp.Kept, Name: "VI_1", OldName: "VI_old", VRID: 51, Iface: "eth0", State: "MASTER", OldPriority: 150, Priority: 200,
			VIPsAdded: []vrrp.VIP{v("10.0.0.2/32")}, VIPsRemoved: []vrrp.VIP{v("10.0.0.3/32")}},
		{Change: vrrp.Kept, Name: "VI_5", VRID: 55, Iface: "eth0", State: "BACKUP", OldPriority: 100, Priority: 100,
			VIPsAdded: []vrrp.VIP{v("10.0.0.5/32")}},
		{Change: vrrp.Added, Name: "VI_3", VRID: 53, Iface: "eth1", Priority: 100},
	})
	want := []string{
		"remove VI_2 (MASTER, VRID 52 on eth0, priority 200): priority 0 sent, VIPs removed",
		"keep VI_1 (MASTER, VRID 51 on eth0, priority 150 -> 200, renamed from VI_old)",
		"  - VIP 10.0.0.3/32 dev eth0",
		"  + VIP 10.0.0.2/32 dev eth0",
		"keep VI_5 (BACKUP, VRID 55 on eth0, priority 100)",
		"  + VIP 10.0.0.5/32 dev eth0 (on the interface only while MASTER)",
		"add VI_3 (VRID 53 on eth1, priority 100)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
