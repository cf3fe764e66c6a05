package check

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/gokeepalived/gokeepalived/ipvs"
)

// keepalived 2.2.7 ipvswrapper.c ipvs_group_cmd, seen in the VM
// differential: in a virtual_server_group, DR/TUN destinations take the
// member's port (0 under a fwmark); NAT keeps the real server's; a
// destination already added is not added twice.
func TestServiceDests(t *testing.T) {
	d := func(s string, f ipvs.FwdMethod) ipvs.Destination {
		return ipvs.NewDestination(netip.MustParseAddrPort(s), f, 1)
	}
	ds := []ipvs.Destination{d("192.168.31.101:80", ipvs.Route), d("192.168.31.102:8080", ipvs.Masq),
		d("192.168.31.103:81", ipvs.Tunnel)}
	fwm := ipvs.Service{ServiceKey: ipvs.FWMarkKey(ipvs.IPv4, 7)}
	addr := ipvs.Service{ServiceKey: ipvs.NewServiceKey(ipvs.TCP, netip.MustParseAddrPort("10.10.33.1:8080"))}
	tests := []struct {
		name  string
		svc   ipvs.Service
		group bool
		ds    []ipvs.Destination
		want  []ipvs.Destination
	}{
		{"group fwmark", fwm, true, ds, []ipvs.Destination{d("192.168.31.101:0", ipvs.Route),
			d("192.168.31.102:8080", ipvs.Masq), d("192.168.31.103:0", ipvs.Tunnel)}},
		{"group address", addr, true, ds, []ipvs.Destination{d("192.168.31.101:8080", ipvs.Route),
			d("192.168.31.102:8080", ipvs.Masq), d("192.168.31.103:8080", ipvs.Tunnel)}},
		{"plain (conf resolved the ports)", fwm, false, ds, ds},
		{"duplicate dropped", addr, false,
			[]ipvs.Destination{d("192.168.31.101:80", ipvs.Route), d("192.168.31.101:80", ipvs.Route)},
			[]ipvs.Destination{d("192.168.31.101:80", ipvs.Route)}},
	}
	for _, tc := range tests {
		if got := serviceDests(tc.svc, tc.group, tc.ds); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %v\nwant %v", tc.name, got, tc.want)
		}
	}
}
