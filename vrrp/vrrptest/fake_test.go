package vrrptest

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/packet"
)

// TestDriveWithFakes runs a minimal driver loop: the instance's SetTimer
// arms a fake timer, which fires on Advance and steps the instance.
func TestDriveWithFakes(t *testing.T) {
	clk := NewClock(time.Unix(0, 0))
	eff := &Effector{}
	inst, err := vrrp.New(vrrp.Config{Name: "VI_1", VRID: 1, Family: packet.IPv4, Version: 3, Priority: 100,
		AdverInt: time.Second, VIPs: []netip.Addr{netip.MustParseAddr("192.0.2.1")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var tm vrrp.Timer
	apply := func(acts []vrrp.Action) {
		for _, a := range acts {
			if s, ok := a.(vrrp.SetTimer); ok {
				if tm != nil {
					tm.Stop()
				}
				if !s.At.IsZero() {
					tm = clk.NewTimer(s.At.Sub(clk.Now()))
				}
				continue
			}
			if err := eff.Do(inst, a); err != nil {
				t.Fatal(err)
			}
		}
	}
	apply(inst.Start(clk.Now(), true))
	if got := eff.Take("VI_1"); len(got) != 1 || got[0] != (vrrp.Notify{State: vrrp.StateBackup}) {
		t.Fatalf("%#v", got)
	}
	clk.Advance(3 * time.Second)
	select {
	case <-tm.C():
		t.Fatal("fired before Master_Down_Interval")
	default:
	}
	clk.Advance(inst.Skew())
	select {
	case <-tm.C():
		apply(inst.Step(clk.Now(), vrrp.EventTimer{}))
	default:
		t.Fatal("did not fire")
	}
	if inst.State() != vrrp.StateMaster {
		t.Fatal(inst.State())
	}
	if got := eff.Take("VI_1"); len(got) != 3 || got[0] != (vrrp.SendAdvert{Priority: 100}) {
		t.Fatalf("%#v", got)
	}
}

// The hub delivers an IPv4 packet only to sockets opened for its IP
// protocol, as raw sockets do: AH adverts (51) never reach a VRRP (112)
// socket, and the other way round.
func TestHubDeliversByProtocol(t *testing.T) {
	hub := NewHub()
	ifaces := func(a string) map[string]vrrp.IfaceInfo {
		return map[string]vrrp.IfaceInfo{"eth0": {Up: true, Addr4: netip.MustParseAddr(a)}}
	}
	src := &Net{Hub: hub, Node: "a", Ifaces: ifaces("10.0.0.1")}
	dst := &Net{Hub: hub, Node: "b", Ifaces: ifaces("10.0.0.2")}
	spec := vrrp.SocketSpec{Iface: "eth0", Family: packet.IPv4, Group: packet.IPv4Group}
	tx, err := src.Open(spec)
	if err != nil {
		t.Fatal(err)
	}
	socks := map[uint8]vrrp.Socket{}
	for _, p := range []uint8{0, packet.ProtoVRRP, packet.ProtoAH} {
		s := spec
		s.Proto = p
		if socks[p], err = dst.Open(s); err != nil {
			t.Fatal(err)
		}
	}
	adv := packet.Advert{Version: 2, Type: 1, VRID: 1, Priority: 100, AdverInt: 1, AuthType: packet.AuthAH,
		Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.100")}}
	for _, ah := range []bool{false, true} {
		b, err := packet.BuildIPv4(&adv, packet.IPv4Options{ID: 1, Src: netip.MustParseAddr("10.0.0.1"), Dst: packet.IPv4Group,
			AH: ah, Seq: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Send(vrrp.Outgoing{Dst: packet.IPv4Group, Data: b}); err != nil {
			t.Fatal(err)
		}
		want := map[uint8]bool{0: !ah, packet.ProtoVRRP: !ah, packet.ProtoAH: ah}
		for p, s := range socks {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			rx, err := s.Recv(ctx)
			cancel()
			if got := err == nil && rx != nil; got != want[p] {
				t.Errorf("AH %v: socket for protocol %d received %v, want %v", ah, p, got, want[p])
			}
			if err == nil && rx != nil && (rx.AH != nil) != ah {
				t.Errorf("AH %v: decoded AH header %v", ah, rx.AH != nil)
			}
		}
	}
}
