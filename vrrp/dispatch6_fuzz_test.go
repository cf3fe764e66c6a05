package vrrp_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/packet"
	"github.com/gokeepalived/gokeepalived/vrrp/validate"
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
		t0 := time.Unix(1000, 0)
		d := vrrp.NewDemux("eth0", nil)
		mk := func(c vrrp.Config) *vrrp.Instance {
			i, err := vrrp.New(c, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Add(i); err != nil {
				t.Fatal(err)
			}
			i.Start(t0, true)
			return i
		}
		self := netip.MustParseAddr("fe80::1")
		backup := mk(vrrp.Config{Name: "b", VRID: 61, Family: packet.IPv6, Version: 3, Priority: 100, AdverInt: time.Second,
			SourceAddr: self, VIPs: []netip.Addr{netip.MustParseAddr("2001:db8::100")}})
		master := mk(vrrp.Config{Name: "m", VRID: 62, Family: packet.IPv6, Version: 3, Priority: 255, WantMaster: true,
			AdverInt: time.Second, SourceAddr: self, VIPs: []netip.Addr{netip.MustParseAddr("2001:db8::101")}})
		master.Step(t0.Add(time.Millisecond), vrrp.EventTimer{})
		if master.State() != vrrp.StateMaster || backup.State() != vrrp.StateBackup {
			t.Fatalf("setup: %v %v", master.State(), backup.State())
		}
		a, _ := netip.AddrFromSlice(from)
		var rx *packet.Received
		if r, err := packet.DecodeIPv6(b, packet.Control{HopLimit: hop, Src: a, Dst: packet.IPv6Group}); err == nil {
			rx = r
		}
		_, acts, reason := d.Dispatch(t0.Add(2*time.Millisecond), rx)
		if reason != validate.OK && len(acts) != 0 {
			t.Fatalf("dropped (%v) yet acted: %v", reason, acts)
		}
	})
}
