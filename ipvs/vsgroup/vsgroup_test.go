package vsgroup

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/gokeepalived/gokeepalived/ipvs"
)

func keys(proto ipvs.Protocol, port uint16, addrs ...string) []ipvs.ServiceKey {
	var out []ipvs.ServiceKey
	for _, a := range addrs {
		out = append(out, ipvs.NewServiceKey(proto, netip.AddrPortFrom(netip.MustParseAddr(a), port)))
	}
	return out
}

func TestExpand(t *testing.T) {
	tests := []struct {
		name string
		e    Entry
		want []ipvs.ServiceKey
		err  bool
	}{
		{"single", Entry{Addr: "10.0.0.1", Port: 80}, keys(ipvs.TCP, 80, "10.0.0.1"), false},
		{"last octet", Entry{Addr: "10.0.0.1-4", Port: 80}, keys(ipvs.TCP, 80, "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"), false},
		{"last octet single", Entry{Addr: "10.0.0.7-7"}, keys(ipvs.TCP, 0, "10.0.0.7"), false},
		{"last octet 255", Entry{Addr: "10.0.0.254-255", Port: 1}, keys(ipvs.TCP, 1, "10.0.0.254", "10.0.0.255"), false},
		{"last octet too big", Entry{Addr: "10.0.0.1-256"}, nil, true},
		{"last octet backwards", Entry{Addr: "10.0.0.5-1"}, nil, true},
		{"last octet is decimal", Entry{Addr: "10.0.0.1-a"}, nil, true},
		{"full range crosses octet", Entry{Addr: "192.168.200.254-192.168.201.1", Port: 80},
			keys(ipvs.TCP, 80, "192.168.200.254", "192.168.200.255", "192.168.201.0", "192.168.201.1"), false},
		{"full range backwards", Entry{Addr: "10.0.1.1-10.0.0.1"}, nil, true},
		{"full range mixed families", Entry{Addr: "10.0.0.1-2001:db8::1"}, nil, true},
		{"prefix /30", Entry{Addr: "192.168.202.8/30", Port: 80},
			keys(ipvs.TCP, 80, "192.168.202.8", "192.168.202.9", "192.168.202.10", "192.168.202.11"), false},
		{"prefix /32", Entry{Addr: "192.168.202.8/32", Port: 80}, keys(ipvs.TCP, 80, "192.168.202.8"), false},
		{"prefix host bits set", Entry{Addr: "192.168.202.9/29"}, nil, true},
		{"prefix too big", Entry{Addr: "10.0.0.0/8"}, nil, true},
		{"v6 last group hex", Entry{Addr: "2001:db8::9-c", Port: 443},
			keys(ipvs.TCP, 443, "2001:db8::9", "2001:db8::a", "2001:db8::b", "2001:db8::c"), false},
		{"v6 last group only", Entry{Addr: "2001:db8::1:fffe-ffff", Port: 443},
			keys(ipvs.TCP, 443, "2001:db8::1:fffe", "2001:db8::1:ffff"), false},
		{"v6 group too big", Entry{Addr: "2001:db8::1-10000"}, nil, true},
		{"v6 full range", Entry{Addr: "2001:db8::ffff-2001:db8::1:1"},
			keys(ipvs.TCP, 0, "2001:db8::ffff", "2001:db8::1:0", "2001:db8::1:1"), false},
		{"v6 prefix", Entry{Addr: "2001:db8::/127", Port: 53}, keys(ipvs.TCP, 53, "2001:db8::", "2001:db8::1"), false},
		{"v4-mapped is v4", Entry{Addr: "::ffff:10.0.0.1", Port: 80}, keys(ipvs.TCP, 80, "10.0.0.1"), false},
		{"zone rejected", Entry{Addr: "fe80::1%eth0"}, nil, true},
		{"garbage", Entry{Addr: "nope"}, nil, true},
		{"fwmark default inet", Entry{FWMark: 5}, []ipvs.ServiceKey{ipvs.FWMarkKey(ipvs.IPv4, 5)}, false},
		{"fwmark inet6", Entry{FWMark: 5, Family: ipvs.IPv6}, []ipvs.ServiceKey{ipvs.FWMarkKey(ipvs.IPv6, 5)}, false},
		{"fwmark and addr", Entry{FWMark: 5, Addr: "10.0.0.1"}, nil, true},
		{"empty", Entry{}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Expand(tc.e, ipvs.TCP)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestExpandAll(t *testing.T) {
	got, err := ExpandAll([]Entry{{Addr: "10.0.0.1-2", Port: 80}, {FWMark: 1}}, ipvs.UDP)
	if err != nil || len(got) != 3 || got[0].Protocol != ipvs.UDP || got[2] != ipvs.FWMarkKey(ipvs.IPv4, 1) {
		t.Fatalf("got %v %v", got, err)
	}
	if _, err := ExpandAll([]Entry{{Addr: "10.0.0.1-2", Port: 80}, {Addr: "10.0.0.2", Port: 80}}, ipvs.TCP); err == nil {
		t.Error("overlap accepted")
	}
	if n, err := Expand(Entry{Addr: "10.0.0.0/16"}, ipvs.TCP); err != nil || len(n) != MaxAddresses {
		t.Errorf("/16: %d %v", len(n), err)
	}
	if _, err := Expand(Entry{Addr: "10.0.0.0-10.1.0.0"}, ipvs.TCP); err == nil {
		t.Error("over-large range accepted")
	}
}
