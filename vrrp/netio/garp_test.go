package netio

import (
	"bytes"
	"net"
	"net/netip"
	"testing"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"github.com/mdlayher/ndp"
)

var mac = net.HardwareAddr{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}

func TestGARPFrame(t *testing.T) {
	vip := netip.MustParseAddr("192.0.2.100")
	b, err := GARPFrame(mac, vip)
	if err != nil {
		t.Fatal(err)
	}
	var f ethernet.Frame
	if err := f.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	var p arp.Packet
	if err := p.UnmarshalBinary(f.Payload); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.Destination, broadcastMAC) || !bytes.Equal(f.Source, mac) || f.EtherType != ethernet.EtherTypeARP ||
		p.Operation != arp.OperationRequest || !bytes.Equal(p.SenderHardwareAddr, mac) || p.SenderIP != vip ||
		!bytes.Equal(p.TargetHardwareAddr, broadcastMAC) || p.TargetIP != vip {
		t.Errorf("GARP: eth %v→%v %v, arp %+v", f.Source, f.Destination, f.EtherType, p)
	}
}

func TestNAFrame(t *testing.T) {
	vip := netip.MustParseAddr("2001:db8::100")
	b, err := NAFrame(mac, vip)
	if err != nil {
		t.Fatal(err)
	}
	var f ethernet.Frame
	if err := f.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	ip := f.Payload
	if f.EtherType != ethernet.EtherTypeIPv6 || !bytes.Equal(f.Destination, allNodesMAC) || len(ip) < 40 {
		t.Fatalf("frame: %v %v len %d", f.EtherType, f.Destination, len(ip))
	}
	src, _ := netip.AddrFromSlice(ip[8:24])
	dst, _ := netip.AddrFromSlice(ip[24:40])
	if ip[6] != 58 || ip[7] != 255 || src != vip || dst != allNodes {
		t.Errorf("IPv6 header: next %d hop %d %v → %v", ip[6], ip[7], src, dst)
	}
	// The checksum must verify over the pseudo-header: recompute it.
	if c := icmpChecksum(ip[40:], src, dst); c != 0 {
		t.Errorf("ICMPv6 checksum does not verify (residue %#x)", c)
	}
	m, err := ndp.ParseMessage(ip[40:])
	if err != nil {
		t.Fatal(err)
	}
	na, ok := m.(*ndp.NeighborAdvertisement)
	if !ok || !na.Override || na.Solicited || na.Router || na.TargetAddress != vip || len(na.Options) != 1 {
		t.Fatalf("NA: %#v", m)
	}
	if lla, ok := na.Options[0].(*ndp.LinkLayerAddress); !ok || lla.Direction != ndp.Target || !bytes.Equal(lla.Addr, mac) {
		t.Errorf("NA option: %#v", na.Options[0])
	}
}

// icmpChecksum folds the ICMPv6 message with its pseudo-header; a correct
// message gives 0.
func icmpChecksum(b []byte, src, dst netip.Addr) uint16 {
	var s uint32
	add := func(p []byte) {
		for i := 0; i+1 < len(p); i += 2 {
			s += uint32(p[i])<<8 | uint32(p[i+1])
		}
		if len(p)%2 == 1 {
			s += uint32(p[len(p)-1]) << 8
		}
	}
	a, d := src.As16(), dst.As16()
	add(a[:])
	add(d[:])
	s += uint32(len(b)) + 58
	add(b)
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}
