package vrrp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/vrrp/packet"
)

// VMAC is a use_vmac interface: a private-mode macvlan on Base carrying
// the instance's virtual MAC.
type VMAC struct {
	// Name is the configured name, or empty for keepalived's generated
	// one (Prefix.VRID); Create returns the name actually used.
	Name   string
	Prefix string
	VRID   uint8
	Base   string
	MAC    net.HardwareAddr
	Family packet.Family
	// IPv6 stays enabled (IPv6 instance or eVIPs of the other family);
	// otherwise it is disabled, so an IPv4 VMAC sends no MLD/ND from the
	// shared virtual MAC.
	IPv6 bool
	// LinkLocal is put on the VMAC as the IPv6 advert source (IPv6,
	// adverts sent from the VMAC); invalid otherwise.
	LinkLocal netip.Addr
	// IPVLAN makes it a use_ipvlan interface instead: an l2 ipvlan on
	// Base (it shares Base's MAC; MAC is unused) with IPVLANMode's flag
	// (bridge, private or vepa) and Addr, when valid, put on it.
	IPVLAN     bool
	IPVLANMode string
	Addr       netip.Prefix
	// Inst names the instance in the log lines.
	Inst string
}

// VMACs creates and removes VMAC interfaces (vrrp/netio over rtnetlink).
type VMACs interface {
	// Create makes the interface exist as v asks, as keepalived does: a
	// matching macvlan is reused, one with the wrong MAC or mode is
	// updated, one on another base is replaced; a non-macvlan of the
	// configured name makes it pick a generated name. It brings it up,
	// sets keepalived's sysctls and returns the name used.
	Create(v VMAC) (string, error)
	// Delete removes it and restores what Create changed on the base.
	Delete(name string) error
}

// ErrVMACGone is Delete's answer for an interface another instance
// shared and whose removal was reported already: keepalived's second
// instance finds it gone and says nothing.
var ErrVMACGone = errors.New("interface already removed")

// VirtualMAC is the RFC 5798 virtual router MAC, 00:00:5e:00:01:VRID for
// IPv4 and 00:00:5e:00:02:VRID for IPv6.
func VirtualMAC(f packet.Family, vrid uint8) net.HardwareAddr {
	m := net.HardwareAddr{0, 0, 0x5e, 0, 1, vrid}
	if f == packet.IPv6 {
		m[4] = 2
	}
	return m
}

// VMACOf is the VMAC an instance asks for; info is its base interface.
func VMACOf(g *conf.GlobalDefs, v *conf.VRRPInstance, c *Config) (VMAC, error) {
	m := VMAC{Name: v.VMACName, Prefix: g.VMACPrefix, VRID: c.VRID, Base: v.Interface,
		MAC: VirtualMAC(c.Family, c.VRID), Family: c.Family, IPv6: c.Family == packet.IPv6}
	if m.Prefix == "" {
		m.Prefix = "vrrp"
	}
	if v.VMACMAC != "" {
		hw, err := net.ParseMAC(padMAC(v.VMACMAC))
		if err != nil {
			return m, fmt.Errorf("(%s) use_vmac address %s: %w", v.Name, v.VMACMAC, err)
		}
		m.MAC = hw
	}
	for _, a := range v.EVIPs {
		if a.Prefix.Addr().Is6() != (c.Family == packet.IPv6) {
			m.IPv6 = true
		}
	}
	if c.Family == packet.IPv6 && !v.VMACXmitBase {
		m.LinkLocal = c.SourceAddr
	}
	return m, nil
}

// IPVLANOf is the ipvlan interface a use_ipvlan instance asks for.
// keepalived keeps IPv6 on it only for an IPv6 instance or eVIPs of the
// other family, as for a VMAC.
func IPVLANOf(g *conf.GlobalDefs, v *conf.VRRPInstance, c *Config) VMAC {
	m := VMAC{Name: v.IPVLANName, Prefix: g.VMACPrefix, VRID: c.VRID, Base: v.Interface, Family: c.Family,
		IPv6: c.Family == packet.IPv6, IPVLAN: true, IPVLANMode: v.IPVLANType, Addr: v.IPVLANAddr, Inst: v.Name}
	if m.Prefix == "" {
		m.Prefix = "vrrp"
	}
	if m.IPVLANMode == "" {
		m.IPVLANMode = "bridge"
	}
	for _, a := range v.EVIPs {
		if a.Prefix.Addr().Is6() != (c.Family == packet.IPv6) {
			m.IPv6 = true
		}
	}
	return m
}

// padMAC turns keepalived's short forms (5 bytes, one-digit bytes) into
// what net.ParseMAC takes; a 5-byte MAC gets the VRID added by keepalived
// only in HEAD, so it is left to fail here.
func padMAC(s string) string {
	out := []byte{}
	part := ""
	flush := func() {
		if len(part) == 1 {
			part = "0" + part
		}
		out = append(out, part...)
		part = ""
	}
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			flush()
			out = append(out, ':')
			continue
		}
		part += string(s[i])
	}
	flush()
	return string(out)
}

// VMACVIPs moves the addresses keepalived puts on the VMAC there: those
// of the instance's family with no dev or the instance's own interface.
// Only use_vmac does: with use_ipvlan alone they stay on the interface.
func VMACVIPs(vips []VIP, v *conf.VRRPInstance, c *Config, name string) []VIP {
	if !v.UseVMAC {
		return vips
	}
	for i := range vips {
		if vips[i].Dev == v.Interface && vips[i].Prefix.Addr().Is6() == (c.Family == packet.IPv6) {
			vips[i].Dev = name
		}
	}
	return vips
}
