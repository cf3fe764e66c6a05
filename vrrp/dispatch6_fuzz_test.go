package vrrp_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/packet"
)

// FuzzDispatchIPv6 is FuzzDispatch for the IPv6 receive path: the
// kernel hands over the VRRP payload with the hop limit and addresses
// as control data, all of which the fuzzer picks. Nothing panics and a
// dropped packet never causes an action.
func FuzzDispatchIPv6(f *testing.F) {
	src := netip.MustParseAddr("fe80::9")
	for _, a := range []packet.Advert{
		{Version: 3, Type: 1, VRID: 61, Priority: 200, CountAddrs: 1, AdverInt: 100,
			Addrs: []netip.Addr{netip.MustParseAddr("2001:db8::100")}},
		{Version: 3, Type: 1, VRID: 62, Priority: 0, CountAddrs: 1, AdverInt: 100,
			Addrs: []netip.Addr{netip.MustParseAddr("2001:db8::101")}},
	} {
		b, err := a.Marshal(packet.IPv6, packet.ChecksumOptions{Src: src, Dst: packet.IPv6Group})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, 255, src.AsSlice())
	}
	f.Add([]byte{0x31, 61, 100, 1}, 255, src.AsSlice())
	f.Fuzz(func(t *testing.T, b []byte, hop int, from []byte) {
		a, _ := netip.AddrFromSlice(from)
		var rx *packet.Received
		if r, err := packet.DecodeIPv6(b, packet.Control{HopLimit: hop, Src: a, Dst: packet.IPv6Group}); err == nil {
			rx = r
		}
		self := netip.MustParseAddr("fe80::1")
		dispatchToPair(t, rx,
			vrrp.Config{Name: "b", VRID: 61, Family: packet.IPv6, Version: 3, Priority: 100, AdverInt: time.Second,
				SourceAddr: self, VIPs: []netip.Addr{netip.MustParseAddr("2001:db8::100")}},
			vrrp.Config{Name: "m", VRID: 62, Family: packet.IPv6, Version: 3, Priority: 255, WantMaster: true,
				AdverInt: time.Second, SourceAddr: self, VIPs: []netip.Addr{netip.MustParseAddr("2001:db8::101")}})
	})
}
