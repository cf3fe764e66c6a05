package vrrp

import (
	"net/netip"
	"testing"

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
