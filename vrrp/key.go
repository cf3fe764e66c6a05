package vrrp

import (
	"fmt"
	"net/netip"

	"github.com/gokeepalived/gokeepalived/vrrp/packet"
)

// Key identifies an instance across a reload (vrrp_exist):
// two configs with equal keys are the same instance, which keeps its state
// and statistics. The instance name is deliberately not part of it.
type Key struct {
	VRID      uint8
	Family    packet.Family
	Interface string // the configured interface (not the VMAC)
	Unicast   bool
	// UnicastSrc is compared for unicast instances only.
	UnicastSrc netip.Addr
	// VMAC flags and the multicast group are compared for multicast only.
	VMAC       bool // use_vmac
	VMACXmit   bool // vmac_xmit_base / use_vmac_addr flag (VRRP_VMAC_ADDR_BIT)
	McastGroup netip.Addr
	// IPVLAN describes use_ipvlan (name, address, mode; empty without):
	// keepalived's vrrp_exist ignores it and patches the interface up on
	// a reload; changing it here rebuilds the instance instead.
	IPVLAN string
}

// KeyParams are the config values the key is built from.
type KeyParams struct {
	VRID       uint8
	Family     packet.Family
	Interface  string
	Unicast    bool
	UnicastSrc netip.Addr // unicast_src_ip or the interface address
	VMAC       bool
	VMACXmit   bool
	McastGroup netip.Addr // mcast_dst_ip; invalid means the default group
	IPVLAN     string
}

// NewKey normalises p so that fields keepalived ignores for the instance's
// mode compare equal.
func NewKey(p KeyParams) Key {
	k := Key{VRID: p.VRID, Family: p.Family, Interface: p.Interface, Unicast: p.Unicast, IPVLAN: p.IPVLAN}
	if p.Unicast {
		k.UnicastSrc = p.UnicastSrc.WithZone("")
		return k
	}
	k.VMAC, k.VMACXmit = p.VMAC, p.VMACXmit
	g := p.McastGroup.WithZone("") // keepalived skips sin6_scope_id
	if !g.IsValid() {
		g = packet.IPv4Group
		if p.Family == packet.IPv6 {
			g = packet.IPv6Group
		}
	}
	k.McastGroup = g
	return k
}

func (k Key) String() string {
	if k.Unicast {
		return fmt.Sprintf("vrid %d %v %s unicast src %v", k.VRID, k.Family, k.Interface, k.UnicastSrc)
	}
	return fmt.Sprintf("vrid %d %v %s mcast %v vmac=%t/%t", k.VRID, k.Family, k.Interface, k.McastGroup, k.VMAC, k.VMACXmit)
}
