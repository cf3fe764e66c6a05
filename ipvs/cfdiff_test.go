package ipvs

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"testing"
	_ "unsafe" // go:linkname

	cf "github.com/cloudflare/ipvs"
	"github.com/cloudflare/ipvs/netmask"
	"github.com/mdlayher/netlink"
)

// cloudflare/ipvs does not export its encoders and cannot be given a fake
// connection, so the differential test links to them directly (test-only).
//
//go:linkname cfPackService github.com/cloudflare/ipvs.packService
func cfPackService(svc cf.Service) func() ([]byte, error)

//go:linkname cfPackDest github.com/cloudflare/ipvs.packDest
func cfPackDest(dest cf.Destination) func() ([]byte, error)

//go:linkname cfUnpackDest github.com/cloudflare/ipvs.unpackDestination
func cfUnpackDest(dest *cf.DestinationExtended) func(b []byte) error

// attrMap flattens attributes to type -> payload (order is irrelevant to
// the kernel).
func attrMap(t *testing.T, b []byte) map[uint16][]byte {
	t.Helper()
	as, err := netlink.UnmarshalAttributes(b)
	if err != nil {
		t.Fatal(err)
	}
	m := make(map[uint16][]byte, len(as))
	for _, a := range as {
		if _, dup := m[a.Type]; dup {
			t.Fatalf("duplicate attribute %d", a.Type)
		}
		m[a.Type] = a.Data
	}
	return m
}

func sameAttrs(t *testing.T, what string, ours, theirs []byte) {
	t.Helper()
	a, b := attrMap(t, ours), attrMap(t, theirs)
	for k, v := range b {
		if w, ok := a[k]; !ok || !bytes.Equal(v, w) {
			t.Errorf("%s: attribute %d: ours %x, cloudflare %x", what, k, w, v)
		}
	}
	for k, v := range a {
		if _, ok := b[k]; !ok {
			t.Errorf("%s: attribute %d=%x only in ours", what, k, v)
		}
	}
}

func randAddr(r *rand.Rand, v6 bool) netip.Addr {
	if v6 {
		var b [16]byte
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		b[0] = 0x20
		return netip.AddrFrom16(b)
	}
	return netip.AddrFrom4([4]byte{byte(1 + r.IntN(223)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
}

func TestDifferentialCloudflare(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	scheds := []string{"rr", "wrr", "lc", "wlc", "sh", "mh", "twos"}
	protos := []Protocol{TCP, UDP, SCTP}
	for i := 0; i < 2000; i++ {
		v6 := r.IntN(2) == 0
		fam := IPv4
		full := 32
		if v6 {
			fam, full = IPv6, 128
		}
		var k ServiceKey
		if r.IntN(4) == 0 {
			k = FWMarkKey(fam, 1+r.Uint32N(1<<31))
		} else {
			k = NewServiceKey(protos[r.IntN(3)], netip.AddrPortFrom(randAddr(r, v6), uint16(r.IntN(65536))))
		}
		s := Service{ServiceKey: k, Scheduler: scheds[r.IntN(len(scheds))],
			Flags: SvcFlags(r.IntN(64)) &^ SvcHashed, Timeout: r.Uint32N(2678401)}
		if r.IntN(2) == 0 {
			s.Netmask = uint8(1 + r.IntN(full))
		}
		ours, err := serviceRequest(cmdNewService, s)
		if err != nil {
			t.Fatal(err)
		}
		inner, err := findNested(ours.Data, cmdAttrService)
		if err != nil {
			t.Fatal(err)
		}
		cs := cf.Service{Address: k.Addr, Scheduler: s.Scheduler, Timeout: s.Timeout, Flags: cf.Flags(s.Flags),
			Port: k.Port, FWMark: k.FWMark, Family: cf.AddressFamily(k.Family), Protocol: cf.Protocol(k.Protocol),
			Netmask: netmask.MaskFrom(s.NetmaskBits(), full)}
		theirs, err := cfPackService(cs)()
		if err != nil {
			t.Fatal(err)
		}
		sameAttrs(t, "service "+k.String(), inner, theirs)

		// Destinations, including mixed-family tunnels.
		dv6 := v6
		fwd := []FwdMethod{Masq, Route, Tunnel}[r.IntN(3)]
		if fwd == Tunnel && r.IntN(2) == 0 {
			dv6 = !v6
		}
		d := Destination{Addr: randAddr(r, dv6), Port: uint16(r.IntN(65536)), Fwd: fwd, Weight: r.Uint32N(MaxWeight + 1),
			UpperThreshold: r.Uint32N(1 << 20), LowerThreshold: r.Uint32N(1 << 10)}
		if fwd == Tunnel {
			d.TunnelType = TunnelType(r.IntN(3))
			d.TunnelPort = uint16(r.IntN(65536))
			d.TunnelFlags = TunnelFlags(r.IntN(3))
		}
		od, err := destRequest(cmdNewDest, k, d)
		if err != nil {
			t.Fatal(err)
		}
		dinner, err := findNested(od.Data, cmdAttrDest)
		if err != nil {
			t.Fatal(err)
		}
		cd := cf.Destination{Address: d.Addr, FwdMethod: cf.ForwardType(d.Fwd), Weight: d.Weight,
			UpperThreshold: d.UpperThreshold, LowerThreshold: d.LowerThreshold, Port: d.Port,
			Family: cf.AddressFamily(FamilyOf(d.Addr)), TunnelType: cf.TunnelType(d.TunnelType),
			TunnelPort: d.TunnelPort, TunnelFlags: cf.TunnelFlags(d.TunnelFlags)}
		theirsD, err := cfPackDest(cd)()
		if err != nil {
			t.Fatal(err)
		}
		sameAttrs(t, "dest "+d.Key().String(), dinner, theirsD)

		// And the reverse: what cloudflare encodes, we decode identically.
		back, err := decodeDest(theirsD, k.Family)
		if err != nil {
			t.Fatal(err)
		}
		if back.Destination != d {
			t.Errorf("decode of cloudflare dest: got %+v want %+v", back.Destination, d)
		}
		var cback cf.DestinationExtended
		if err := cfUnpackDest(&cback)(dinner); err != nil {
			t.Fatal(err)
		}
		if cback.Destination != cd {
			t.Errorf("cloudflare decode of our dest: got %+v want %+v", cback.Destination, cd)
		}
	}
}
