package vrrp_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/packet"
	"github.com/gokeepalived/gokeepalived/vrrp/validate"
)

// FuzzDispatch feeds arbitrary datagrams through the runtime's receive
// path (decode, demux by VRID, validate, step) to a MASTER and a BACKUP:
// nothing panics, and a dropped packet never causes an action.
func FuzzDispatch(f *testing.F) {
	src := netip.MustParseAddr("10.0.0.9")
	for _, a := range []packet.Advert{
		{Version: 2, Type: 1, VRID: 51, Priority: 200, CountAddrs: 1, AuthType: packet.AuthPass, AdverInt: 1,
			Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.100")}, AuthData: packet.PassKey("secret")},
		{Version: 3, Type: 1, VRID: 52, Priority: 0, CountAddrs: 1, AdverInt: 100,
			Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.101")}},
	} {
		b, err := packet.BuildIPv4(&a, packet.IPv4Options{Src: src, Dst: packet.IPv4Group})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x45, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var rx *packet.Received
		if r, err := packet.DecodeIPv4(b); err == nil {
			rx = r
		}
		self := netip.MustParseAddr("10.0.0.1")
		dispatchToPair(t, rx,
			vrrp.Config{Name: "b", VRID: 51, Family: packet.IPv4, Version: 2, Priority: 100, AdverInt: time.Second,
				AuthType: packet.AuthPass, AuthPass: "secret", SourceAddr: self,
				VIPs: []netip.Addr{netip.MustParseAddr("10.0.0.100")}},
			vrrp.Config{Name: "m", VRID: 52, Family: packet.IPv4, Version: 3, Priority: 255, WantMaster: true,
				AdverInt: time.Second, SourceAddr: self, VIPs: []netip.Addr{netip.MustParseAddr("10.0.0.101")}})
	})
}

// dispatchToPair brings up a BACKUP and a MASTER on one demux, hands rx
// (nil: undecodable) to it, and fails if a dropped packet made either act.
func dispatchToPair(t *testing.T, rx *packet.Received, backupCfg, masterCfg vrrp.Config) {
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
	backup, master := mk(backupCfg), mk(masterCfg)
	master.Step(t0.Add(time.Millisecond), vrrp.EventTimer{})
	if master.State() != vrrp.StateMaster || backup.State() != vrrp.StateBackup {
		t.Fatalf("setup: %v %v", master.State(), backup.State())
	}
	_, acts, reason := d.Dispatch(t0.Add(2*time.Millisecond), rx)
	if reason != validate.OK && len(acts) != 0 {
		t.Fatalf("dropped (%v) yet acted: %v", reason, acts)
	}
}
