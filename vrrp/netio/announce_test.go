package netio

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"github.com/mdlayher/packet"

	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// The Announcer keeps its socket per interface but follows a MAC change
// at once, and a deleted and re-created interface of the same name.
func TestAnnouncerFollowsInterface(t *testing.T) {
	nstest.Require(t)
	a, b := nstest.Pair(t)
	var rx *packet.Conn
	if err := b.Do(func() error {
		ifi, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		rx, err = packet.Listen(ifi, packet.Raw, 0x0806, nil) // ETH_P_ARP
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	ann := NewAnnouncer()
	defer ann.Close()
	vip := netip.MustParseAddr("10.77.0.100")
	garpFrom := func(want net.HardwareAddr) {
		t.Helper()
		if err := a.Do(func() error { return ann.Announce("eth0", vip) }); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1500)
		rx.SetReadDeadline(time.Now().Add(2 * time.Second))
		for {
			n, _, err := rx.ReadFrom(buf)
			if err != nil {
				t.Fatalf("no GARP from %v: %v", want, err)
			}
			var f ethernet.Frame
			var p arp.Packet
			if f.UnmarshalBinary(buf[:n]) != nil || p.UnmarshalBinary(f.Payload) != nil || p.SenderIP != vip {
				continue
			}
			if !bytes.Equal(f.Source, want) || !bytes.Equal(p.SenderHardwareAddr, want) {
				t.Fatalf("GARP from %v / sender %v, want %v", f.Source, p.SenderHardwareAddr, want)
			}
			return
		}
	}
	for i, mac := range []string{"02:00:00:00:00:01", "02:00:00:00:00:02"} {
		if err := nstest.IP("-n", a.Name, "link", "set", "eth0", "address", mac); err != nil {
			t.Fatal(err)
		}
		hw, _ := net.ParseMAC(mac)
		garpFrom(hw)
		if i == 0 {
			garpFrom(hw) // the cached socket
		}
	}
	// Same name, new index: the old socket's index is gone.
	for _, s := range [][]string{
		{"-n", a.Name, "link", "del", "eth0"},
		{"-n", a.Name, "link", "add", "eth0", "address", "02:00:00:00:00:03", "type", "veth", "peer", "name", "eth0", "netns", b.Name},
		{"-n", a.Name, "link", "set", "eth0", "up"},
		{"-n", b.Name, "link", "set", "eth0", "up"},
	} {
		if err := nstest.IP(s...); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Do(func() error {
		ifi, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		rx.Close()
		rx, err = packet.Listen(ifi, packet.Raw, 0x0806, nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	hw, _ := net.ParseMAC("02:00:00:00:00:03")
	garpFrom(hw)
}
