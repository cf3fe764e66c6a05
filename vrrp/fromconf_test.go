package vrrp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
)

func TestInstanceConfigStrictVIPCheck(t *testing.T) {
	v := &conf.VRRPInstance{Name: "VI_1", VRID: 1, Priority: 100, Family: 4, Version: 2}
	for _, strict := range []bool{false, true} {
		g := &conf.GlobalDefs{VRRPStrictVIPCheck: strict}
		c, err := InstanceConfig(g, nil, v, IfaceInfo{Up: true, Addr4: netip.MustParseAddr("10.0.0.1")})
		if err != nil {
			t.Fatal(err)
		}
		if c.StrictVIPCheck != strict {
			t.Errorf("global %v gave StrictVIPCheck %v", strict, c.StrictVIPCheck)
		}
	}
}

// A unicast instance without peers starts in FAULT with
// unicast_fault_no_peer, and in BACKUP (multicast) without it.
func TestInstanceConfigUnicastFaultNoPeer(t *testing.T) {
	for _, kw := range []bool{false, true} {
		v := &conf.VRRPInstance{Name: "VI_1", VRID: 1, Priority: 100, Family: 4, Version: 2, AdvertInt: time.Second,
			UnicastConfigured: true, UnicastFaultNoPeer: kw}
		c, err := InstanceConfig(&conf.GlobalDefs{}, nil, v, IfaceInfo{Up: true, Addr4: netip.MustParseAddr("10.0.0.1")})
		if err != nil {
			t.Fatal(err)
		}
		i, err := New(c, nil)
		if err != nil {
			t.Fatal(err)
		}
		i.Start(time.Now(), true)
		if want := map[bool]State{false: StateBackup, true: StateFault}[kw]; i.State() != want {
			t.Errorf("unicast_fault_no_peer %v: state %v, want %v", kw, i.State(), want)
		}
	}
}
