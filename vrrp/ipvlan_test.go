package vrrp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/vrrp/packet"
)

// IPVLANOf: keepalived's defaults (VMAC name prefix, bridge), IPv6 kept
// for eVIPs of the other family; VMACVIPs leaves the VIPs alone.
func TestIPVLANOf(t *testing.T) {
	v := &conf.VRRPInstance{Name: "VI_1", Interface: "eth0", UseIPVLAN: true, IPVLANAddr: netip.MustParsePrefix("10.0.0.11/24"),
		EVIPs: []conf.IPAddress{{Prefix: netip.MustParsePrefix("fd00::1/64")}}}
	c := &Config{VRID: 51, Family: packet.IPv4}
	m := IPVLANOf(&conf.GlobalDefs{}, v, c)
	if !m.IPVLAN || m.Prefix != "vrrp" || m.IPVLANMode != "bridge" || m.Base != "eth0" || m.Addr != v.IPVLANAddr || !m.IPv6 || m.Inst != "VI_1" {
		t.Errorf("IPVLANOf = %+v", m)
	}
	vips := []VIP{{Prefix: netip.MustParsePrefix("10.0.0.100/32"), Dev: "eth0"}}
	if got := VMACVIPs(vips, v, c, "vrrp.51"); got[0].Dev != "eth0" {
		t.Errorf("VIP moved to %s", got[0].Dev)
	}
}

// An IPv4 use_ipvlan without an address is a config fault (FAULT at
// start); with one it starts in BACKUP, sending from it.
func TestInstanceConfigIPVLANFault(t *testing.T) {
	for _, addr := range []string{"", "10.0.0.11/24"} {
		v := &conf.VRRPInstance{Name: "VI_1", VRID: 1, Priority: 100, Family: 4, Version: 2, AdvertInt: time.Second,
			Interface: "eth0", UseIPVLAN: true}
		if addr != "" {
			v.IPVLANAddr = netip.MustParsePrefix(addr)
			v.SrcIP = v.IPVLANAddr.Addr() // as the parser does
		}
		c, err := InstanceConfig(&conf.GlobalDefs{}, nil, v, IfaceInfo{Up: true, Addr4: netip.MustParseAddr("10.0.0.1")})
		if err != nil {
			t.Fatal(err)
		}
		i, err := New(c, nil)
		if err != nil {
			t.Fatal(err)
		}
		i.Start(time.Now(), true)
		if want := map[bool]State{true: StateFault, false: StateBackup}[addr == ""]; i.State() != want {
			t.Errorf("address %q: state %v, want %v", addr, i.State(), want)
		}
	}
}

// A changed use_ipvlan changes the reload key (the instance is rebuilt).
func TestKeyOfIPVLAN(t *testing.T) {
	g := &conf.GlobalDefs{}
	a := &conf.VRRPInstance{VRID: 1, Family: 4, Interface: "eth0"}
	b := *a
	b.UseIPVLAN, b.IPVLANAddr = true, netip.MustParsePrefix("10.0.0.11/24")
	c := b
	c.IPVLANType = "private"
	if KeyOf(g, a) == KeyOf(g, &b) || KeyOf(g, &b) == KeyOf(g, &c) {
		t.Error("use_ipvlan does not change the key")
	}
}
