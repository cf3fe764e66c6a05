package packet

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hmacKey1 is key 1 of the captures' configuration.
var hmacKey1, _ = hex.DecodeString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")

// TestHMACCaptures checks the trailer of every advert keepalived 2.4.3 sent
// (v2/v3, IPv4/IPv6, multicast/unicast): its MAC verifies with key 1, a
// wrong key or one changed bit fails, and re-encoding the advert with the
// same sequence number gives the packet byte for byte.
func TestHMACCaptures(t *testing.T) {
	files, _ := filepath.Glob("testdata/hmac243/*.txt")
	if len(files) != 6 {
		t.Fatalf("captures: %v", files)
	}
	n := 0
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "#") {
				continue
			}
			pkt := unhex(t, sc.Text())
			checkHMACPacket(t, f, pkt)
			n++
		}
		fh.Close()
	}
	if n < 12 {
		t.Fatalf("only %d packets", n)
	}
}

func checkHMACPacket(t *testing.T, f string, pkt []byte) {
	t.Helper()
	var fam Family
	var msg []byte
	var src, dst netip.Addr
	switch pkt[0] >> 4 {
	case 4:
		fam, msg = IPv4, pkt[IPv4HeaderLen:]
		src, dst = netip.AddrFrom4([4]byte(pkt[12:16])), netip.AddrFrom4([4]byte(pkt[16:20]))
	case 6:
		fam, msg = IPv6, pkt[40:]
		src, dst = netip.AddrFrom16([16]byte(pkt[8:24])), netip.AddrFrom16([16]byte(pkt[24:40]))
	}
	a, err := ParseAdvert(msg, fam)
	if err != nil {
		t.Fatal(err)
	}
	body := a.Len(fam)
	if len(msg) != body+TrailerLen {
		t.Fatalf("%s: %d bytes, want %d+%d", f, len(msg), body, TrailerLen)
	}
	tr, err := ParseTrailer(msg[body:])
	if err != nil || tr.Type != HMACTypeSHA256 || tr.KeyID != 1 || tr.Reserved != 0 {
		t.Fatalf("%s: trailer %+v %v", f, tr, err)
	}
	if sec := time.Unix(int64(tr.Sec()), 0); sec.Year() < 2025 {
		t.Fatalf("%s: timestamp %v", f, sec)
	}
	if got := TrailerMAC(hmacKey1, fam, src, msg); got != tr.MAC {
		t.Fatalf("%s: MAC %x, want %x", f, got, tr.MAC)
	}
	bad := bytes.Clone(hmacKey1)
	bad[0] ^= 1
	if TrailerMAC(bad, fam, src, msg) == tr.MAC {
		t.Fatalf("%s: a wrong key verifies", f)
	}
	flip := bytes.Clone(msg)
	flip[2] ^= 1 // the priority
	if TrailerMAC(hmacKey1, fam, src, flip) == tr.MAC {
		t.Fatalf("%s: a changed priority verifies", f)
	}
	if TrailerMAC(hmacKey1, fam, dst, msg) == tr.MAC && src != dst {
		t.Fatalf("%s: another source verifies", f)
	}
	s := &HMACSign{KeyID: 1, Key: hmacKey1, Seq: tr.Seq}
	if fam == IPv4 {
		r, err := DecodeIPv4(pkt)
		if err != nil {
			t.Fatal(err)
		}
		b, err := BuildIPv4(&a, IPv4Options{ID: r.IP.ID, TTL: r.IP.TTL, Src: src, Dst: dst, HMAC: s})
		if err != nil || !bytes.Equal(b, pkt) {
			t.Fatalf("%s: re-encode %x (%v)\nwant %x", f, b, err, pkt)
		}
		return
	}
	b, err := a.MarshalSigned(IPv6, ChecksumOptions{Src: src, Dst: dst}, s)
	if err != nil || !bytes.Equal(b, msg) {
		t.Fatalf("%s: re-encode %x (%v)\nwant %x", f, b, err, msg)
	}
}

func TestSeqFromTime(t *testing.T) {
	at := time.Unix(0x6b144111, 500_000_000)
	if s := SeqFromTime(at); s != 0x6b144111_8000_0000 {
		t.Fatalf("%x", s)
	}
	if !SeqAfter(1, 0) || SeqAfter(0, 1) || !SeqAfter(0, ^uint64(0)) {
		t.Fatal("serial order")
	}
	if _, err := ParseTrailer(make([]byte, TrailerLen-1)); err == nil {
		t.Fatal("short trailer parsed")
	}
}
