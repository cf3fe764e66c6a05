package netio

import (
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/packet"
)

// ipvlanFlag is use_ipvlan's mode word as the kernel's IFLA_IPVLAN_FLAGS.
// The kernel keeps mode and flags per parent, so the last ipvlan created
// on a link sets them for all of its ipvlans (keepalived's too).
func ipvlanFlag(mode string) netlink.IPVlanFlag {
	switch mode {
	case "private":
		return netlink.IPVLAN_FLAG_PRIVATE
	case "vepa":
		return netlink.IPVLAN_FLAG_VEPA
	}
	return netlink.IPVLAN_FLAG_BRIDGE
}

// createIPVLAN makes the interface as keepalived's netlink_link_add_ipvlan
// does: an l2 ipvlan on the base, up, IPv6 disabled unless needed, with
// the configured address. Unlike a VMAC it sets no IPv4 sysctls.
func (m *VMACs) createIPVLAN(v vrrp.VMAC) (string, error) {
	base, err := nl().LinkByName(v.Base)
	if err != nil {
		return "", fmt.Errorf("base interface %s: %w", v.Base, err)
	}
	name, existing := m.pickIPVLANName(v, base)
	if existing == nil {
		iv := &netlink.IPVlan{Mode: netlink.IPVLAN_MODE_L2, Flag: ipvlanFlag(v.IPVLANMode)}
		// TxQLen -1: no IFLA_TXQLEN, so the kernel's default (1000) as
		// keepalived gets, not 0.
		iv.Name, iv.ParentIndex, iv.TxQLen = name, base.Attrs().Index, -1
		if err := nl().LinkAdd(iv); err != nil {
			return "", fmt.Errorf("create %s: %w", name, err)
		}
		// keepalived logs it with -D only, which shows debug lines.
		m.Log.Debug(fmt.Sprintf("(%s): Success creating ipvlan interface %s", v.Inst, name))
	}
	link, err := nl().LinkByName(name)
	if err != nil {
		return "", err
	}
	st := m.ours[name]
	if st == nil {
		st = &vmacState{base: v.Base, insts: map[string]bool{}}
		m.ours[name] = st
	}
	st.insts[v.Inst] = true
	disable := "1"
	if v.IPv6 {
		disable = "0"
	}
	if err := sysctlSet("ipv6/conf/"+name+"/disable_ipv6", disable); err != nil && !errors.Is(err, os.ErrNotExist) {
		m.Log.Warn("set disable_ipv6", "iface", name, "err", err)
	}
	if err := nl().LinkSetUp(link); err != nil {
		return name, fmt.Errorf("set %s up: %w", name, err)
	}
	if v.Addr.IsValid() {
		a := &netlink.Addr{IPNet: &net.IPNet{IP: v.Addr.Addr().AsSlice(), Mask: net.CIDRMask(v.Addr.Bits(), v.Addr.Addr().BitLen())},
			Broadcast: net.IPv4zero} // keepalived sets no broadcast
		if v.Addr.Addr().Is6() {
			// As keepalived adds its IPv6 addresses: no DAD, preferred
			// lifetime 0, so that the kernel never picks it as a source.
			a.Broadcast, a.Flags = nil, unix.IFA_F_NODAD
			a.PreferedLft, a.ValidLft = 0, int(^uint32(0))
		}
		if err := nl().AddrAdd(link, a); err != nil && !errors.Is(err, unix.EEXIST) {
			m.Log.Info(fmt.Sprintf("%s: Failed to add interface address to %s", v.Inst, name), "err", err)
		}
	}
	return name, nil
}

// pickIPVLANName is keepalived's choice: an l2 ipvlan on the base with
// our flags, our name (if configured) and our address (if configured),
// except for an IPv6 instance with neither; else the configured name
// (an incompatible ipvlan of that name is replaced; any other interface
// makes it fall back); else the first free generated VMAC name.
func (m *VMACs) pickIPVLANName(v vrrp.VMAC, base netlink.Link) (string, netlink.Link) {
	// Called again for the instance (its link came back up): the same
	// interface, even though the kernel flushed its IPv6 address.
	if st := m.ours[v.Name]; v.Name != "" && st != nil && st.insts[v.Inst] {
		if l, err := nl().LinkByName(v.Name); err == nil {
			return v.Name, l
		}
	}
	if !(v.Family == packet.IPv6 && v.Name == "" && !v.Addr.IsValid()) {
		if links, err := nl().LinkList(); err == nil {
			for _, l := range links {
				if m.ipvlanMatches(v, base, l) {
					// Not again when re-run for the same instance.
					if st := m.ours[l.Attrs().Name]; st == nil || !st.insts[v.Inst] {
						m.Log.Info(fmt.Sprintf("(%s) Found matching interface %s", v.Inst, l.Attrs().Name))
					}
					return l.Attrs().Name, l
				}
			}
		}
	}
	if v.Name != "" {
		l, err := nl().LinkByName(v.Name)
		if err != nil {
			return v.Name, nil
		}
		if _, ok := l.(*netlink.IPVlan); ok {
			m.Log.Info(fmt.Sprintf("(%s) IPVLAN %s already exists but is incompatible. It will be deleted/updated", v.Inst, v.Name))
			if err := nl().LinkDel(l); err != nil {
				m.Log.Warn("remove old ipvlan", "iface", v.Name, "err", err)
			}
			return v.Name, nil
		}
		m.Log.Error(fmt.Sprintf("(%s) IPVLAN interface name %s already exists as a non IPVLAN interface. ignoring configured name", v.Inst, v.Name))
	}
	return m.freeName(v), nil
}

func (m *VMACs) ipvlanMatches(v vrrp.VMAC, base, l netlink.Link) bool {
	iv, ok := l.(*netlink.IPVlan)
	if !ok || iv.ParentIndex != base.Attrs().Index || iv.Mode != netlink.IPVLAN_MODE_L2 || iv.Flag != ipvlanFlag(v.IPVLANMode) {
		return false
	}
	if v.Name != "" && v.Name != iv.Name {
		return false
	}
	if !v.Addr.IsValid() {
		return true
	}
	fam := netlink.FAMILY_V4
	if v.Addr.Addr().Is6() {
		fam = netlink.FAMILY_V6
	}
	addrs, _ := nl().AddrList(l, fam)
	for _, a := range addrs {
		if a.IP.Equal(v.Addr.Addr().AsSlice()) {
			return true
		}
	}
	return false
}
