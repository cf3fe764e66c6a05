// Package hostprobe answers what a configuration check asks of this host
// (interfaces, link kinds, name resolution), for conf.Options.
package hostprobe

import (
	"context"
	"net"
	"net/netip"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/vishvananda/netlink"
)

// Options is o with this host's probes.
func Options(o conf.Options) conf.Options {
	o.InterfaceExists, o.InterfaceAddr, o.LinkKind, o.HostResolves = InterfaceExists, InterfaceAddr, LinkKind, HostResolves
	return o
}

// InterfaceExists says whether this host has the interface.
func InterfaceExists(name string) bool {
	_, err := net.InterfaceByName(name)
	return err == nil
}

// InterfaceAddr is the interface's first IPv4 address (family 4) or
// IPv6 link-local one (family 6), as keepalived takes an instance's
// source address.
func InterfaceAddr(name string, family int) (netip.Addr, bool) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return netip.Addr{}, false
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, false
	}
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(n.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		if family == 4 && ip.Is4() || family == 6 && ip.Is6() && ip.IsLinkLocalUnicast() {
			return ip, true
		}
	}
	return netip.Addr{}, false
}

// LinkKind is the interface's link kind as keepalived names it (""
// for a plain device).
func LinkKind(name string) (string, bool) {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return "", false
	}
	switch l := l.(type) {
	case *netlink.Device:
		return "", true // no link kind
	case *netlink.Macvlan:
		if l.Mode == netlink.MACVLAN_MODE_PRIVATE {
			return "macvlan private", true
		}
	case *netlink.IPVlan:
		if l.Mode == netlink.IPVLAN_MODE_L2 {
			return "ipvlan l2", true
		}
	}
	return l.Type(), true
}

// HostResolves looks a name up as keepalived does for smtp_server,
// bounded so an unreachable resolver cannot stall a config check.
func HostResolves(name string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := net.DefaultResolver.LookupHost(ctx, name)
	return err == nil
}
