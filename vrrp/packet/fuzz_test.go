package packet

import (
	"bytes"
	"testing"
)

func FuzzDecode(f *testing.F) {
	for _, v := range []string{vecV2Pass, vecV2Prio0, vecV3IPv4} {
		f.Add(unhex(f, v), false)
	}
	f.Add(unhex(f, vecV3IPv6)[40:], true)
	f.Add([]byte{0x45, 0, 0, 20}, false)
	f.Fuzz(func(t *testing.T, b []byte, v6 bool) {
		if len(b) > 1<<16 {
			return
		}
		var r *Received
		var err error
		fam := IPv4
		if v6 {
			fam = IPv6
			r, err = DecodeIPv6(b, Control{HopLimit: 255, Src: IPv6Group, Dst: IPv6Group})
		} else {
			r, err = DecodeIPv4(b)
		}
		if err != nil {
			return
		}
		if len(r.VRRP) < HeaderLen || r.HeadersLen() < 0 {
			t.Fatalf("decoded without a header: %d", len(r.VRRP))
		}
		a := r.Advert
		exp := ExpectedLen(a.Version, a.CountAddrs, fam)
		if len(r.VRRP) < exp || (a.Version != 2 && a.Version != 3) {
			return
		}
		// Lossless: a complete message re-encodes to the same bytes.
		out, err := a.MarshalRaw(fam)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if !bytes.Equal(out, r.VRRP[:exp]) {
			t.Fatalf("re-encode\n got %x\nwant %x", out, r.VRRP[:exp])
		}
		p, err := ParseAdvert(r.VRRP, fam)
		if err != nil || p.Checksum != a.Checksum || len(p.Addrs) != int(a.CountAddrs) {
			t.Fatalf("ParseAdvert disagrees: %v", err)
		}
		_ = VerifyChecksum(r.VRRP[:exp], fam, ChecksumOptions{Src: r.Src, Dst: r.Dst})
	})
}
