package e2e

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"

	vpkt "github.com/gokeepalived/gokeepalived/vrrp/packet"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

var bcast = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// The new master's first advert, then garp_master_repeat GARPs per VIP,
// then the same burst garp_master_delay later; every field as keepalived
// sends them, seen from the peer namespace.
func TestGARPOnWire(t *testing.T) {
	nstest.Require(t)
	a, b := nstest.Pair(t)
	cp := startCapture(t, b)
	wa := watch{t, a.Handle(t), vip4}
	extra := "    advert_int 1\n    garp_master_delay 1\n    garp_master_repeat 3"
	startGo(t, a, "go-a", instance(51, 150, extra, "10.77.0.100/24", "10.77.0.101/24"))
	wa.until(true, 6*time.Second, "a becomes master")
	time.Sleep(1600 * time.Millisecond) // past the second burst

	var mac net.HardwareAddr
	if err := a.Do(func() error {
		ifi, err := net.InterfaceByName("eth0")
		if err == nil {
			mac = ifi.HardwareAddr
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	vips := map[netip.Addr]bool{vip4: true, netip.MustParseAddr("10.77.0.101"): true}
	var arps []time.Time
	firstAdvert := -1
	for i, fr := range cp.snapshot() {
		f := fr.f
		if !bytes.Equal(f.Source, mac) {
			continue
		}
		switch f.EtherType {
		case ethernet.EtherTypeIPv4:
			rx, err := vpkt.DecodeIPv4(f.Payload)
			if err != nil || rx.IP.Protocol != vpkt.ProtoVRRP {
				continue
			}
			if firstAdvert < 0 {
				firstAdvert = i
				if len(arps) > 0 {
					t.Errorf("%d GARPs before the first advert", len(arps))
				}
			}
			if rx.IP.TOS != 0xc0 || rx.TTL != 255 || rx.Dst != vpkt.IPv4Group ||
				!bytes.Equal(f.Destination, net.HardwareAddr{1, 0, 0x5e, 0, 0, 0x12}) ||
				rx.Advert.Priority != 150 || rx.Advert.VRID != 51 || len(rx.Advert.Addrs) != 2 {
				t.Errorf("advert fields: tos %#x ttl %d dst %v mac %v prio %d vrid %d addrs %v",
					rx.IP.TOS, rx.TTL, rx.Dst, f.Destination, rx.Advert.Priority, rx.Advert.VRID, rx.Advert.Addrs)
			}
			if !vpkt.VerifyChecksum(rx.VRRP, vpkt.IPv4, vpkt.ChecksumOptions{Src: rx.Src, Dst: rx.Dst}) {
				t.Error("advert checksum does not verify")
			}
		case ethernet.EtherTypeARP:
			var p arp.Packet
			if err := p.UnmarshalBinary(f.Payload); err != nil {
				t.Errorf("ARP: %v", err)
				continue
			}
			if p.Operation != arp.OperationRequest || p.SenderIP != p.TargetIP || !vips[p.SenderIP] ||
				!bytes.Equal(p.SenderHardwareAddr, mac) || !bytes.Equal(p.TargetHardwareAddr, bcast) ||
				!bytes.Equal(f.Destination, bcast) {
				t.Errorf("GARP fields: op %v sha %v spa %v tha %v tpa %v eth dst %v",
					p.Operation, p.SenderHardwareAddr, p.SenderIP, p.TargetHardwareAddr, p.TargetIP, f.Destination)
			}
			arps = append(arps, fr.at)
		}
	}
	if firstAdvert < 0 {
		t.Fatal("no advert captured")
	}
	if len(arps) != 12 {
		t.Fatalf("captured %d GARPs, want 2 bursts of 3 × 2 VIPs", len(arps))
	}
	burst1, gap := arps[5].Sub(arps[0]), arps[6].Sub(arps[0])
	t.Logf("first burst spread %v; second burst %v after the first", burst1, gap)
	if burst1 > 100*time.Millisecond || gap < 950*time.Millisecond || gap > 1200*time.Millisecond {
		t.Errorf("GARP timing: first burst spread %v (want < 100ms), second burst after %v (want ~1s)", burst1, gap)
	}
}
