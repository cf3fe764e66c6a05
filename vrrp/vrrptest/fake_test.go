package vrrptest

import (
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
