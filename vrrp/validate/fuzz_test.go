package validate

import (
	"encoding/hex"
	"net/netip"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp/packet"
)

func FuzzValidate(f *testing.F) {
	for _, s := range []*spec{baseV2(), v3spec(), ahSpec()} {
		b, err := packet.BuildIPv4(&s.adv, s.ip)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(0))
	}
	v6, _ := hex.DecodeString("313564020064da5ffe80000000000000000000000000005320010db8000000000000000000000053")
	f.Add(v6, uint8(4))
	hk := []HMACKey{{ID: 1, Key: make([]byte, 32)}}
	signed := v3spec()
	signed.ip.HMAC = &packet.HMACSign{KeyID: 1, Key: hk[0].Key, Seq: 1 << 40}
	if b, err := packet.BuildIPv4(&signed.adv, signed.ip); err == nil {
		f.Add(b, uint8(5))
	}
	vips := []netip.Addr{mustAddr("10.9.9.9"), mustAddr("10.9.9.10")}
	cfgs := []Config{
		{Name: "v2", Family: packet.IPv4, Version: 2, AuthType: packet.AuthPass, AuthKey: packet.PassKey("secret123"), AdverInt: time.Second, VIPs: vips},
		{Name: "v3", Family: packet.IPv4, Version: 3, AdverInt: time.Second, VIPs: vips[:1], StrictVIPCheck: true},
		{Name: "ah", Family: packet.IPv4, Version: 2, AuthType: packet.AuthAH, AuthKey: packet.PassKey("secret123"), AdverInt: time.Second, VIPs: vips},
		{Name: "uc", Family: packet.IPv4, Version: 3, AdverInt: time.Second, Unicast: true, CheckUnicastSrc: true,
			Peers: []Peer{{Addr: mustAddr("192.168.200.2"), MinTTL: 1, MaxTTL: 254}}},
		{Name: "v6", Family: packet.IPv6, Version: 3, AdverInt: time.Second, VIPs: []netip.Addr{mustAddr("fe80::53")}},
		{Name: "hmac", Family: packet.IPv4, Version: 3, AdverInt: time.Second, VIPs: vips[:1],
			HMAC: &HMAC{Keys: hk, ActiveKey: 1, Mode: HMACPermissive}},
	}
	f.Fuzz(func(t *testing.T, b []byte, sel uint8) {
		if len(b) > 1<<16 {
			return
		}
		cfg := cfgs[int(sel)%len(cfgs)]
		var r *packet.Received
		var err error
		if cfg.Family == packet.IPv6 {
			r, err = packet.DecodeIPv6(b, packet.Control{HopLimit: int(sel) - 1, Src: mustAddr("fe80::1"), Dst: packet.IPv6Group})
		} else {
			r, err = packet.DecodeIPv4(b)
		}
		if err != nil {
			r = nil
		}
		c := NewChecker(cfg, nil)
		res := c.Check(r, sel&0x80 != 0)
		if res.Reason >= NumReasons {
			t.Fatalf("bad reason %d", res.Reason)
		}
		if res.Reason == OK {
			// Accepted packets are complete and carry all the VIPs they claim.
			if len(r.Advert.Addrs) != int(r.Advert.CountAddrs) || r.Advert.Type != packet.TypeAdvert || r.Advert.Version != cfg.Version {
				t.Fatalf("accepted a broken packet: %+v", r.Advert)
			}
		}
		if c.Counters.Drops(res.Reason) != map[bool]uint64{true: 0, false: 1}[res.Reason == OK] {
			t.Fatal("drop not counted once")
		}
	})
}
