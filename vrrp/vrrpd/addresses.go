package vrrpd

import (
	"fmt"
	"log/slog"
	"slices"

	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/nft"
)

// addresses puts addresses, routes and rules on the kernel: the
// instances' VIPs, virtual routes and rules with the firewall's drop set
// (firewall.go), and the static ones (iproute.go). Owned by the loop (or
// used before Run), as the Runtime it is part of.
type addresses struct {
	net    vrrp.Net
	addrs  vrrp.Addrs
	routes vrrp.Routes  // nil: routes and rules are skipped with a warning
	fw     nft.Firewall // nil: no nftables table in use
	log    *slog.Logger

	statics statics
	noTrack []bool // per static address: no_track (not restored when deleted)
}

// addVIPs sets an instance's VIPs, then its virtual routes and rules.
func (ad *addresses) addVIPs(ri *rtInst) {
	name := ri.inst.Name()
	// Before the addresses, as keepalived: no_accept VIPs never answer.
	ad.fwVIPs(ri, true)
	if len(ri.vips) > 0 {
		ad.log.Info(fmt.Sprintf("(%s) setting VIPs.", name))
	}
	for _, v := range ri.vips {
		if err := ad.addrs.Add(v); err != nil {
			ad.log.Warn("add VIP", "instance", name, "err", err)
		}
	}
	ad.addVRoutes(ri, ri.vroutes, ri.vrules)
}

// removeVIPs undoes addVIPs, in reverse order.
func (ad *addresses) removeVIPs(ri *rtInst) {
	name := ri.inst.Name()
	ad.delVRoutes(ri, ri.vroutes, ri.vrules)
	if len(ri.vips) > 0 {
		ad.log.Info(fmt.Sprintf("(%s) removing VIPs.", name))
	}
	for _, v := range ri.vips {
		if err := ad.addrs.Del(v); err != nil {
			ad.log.Warn("remove VIP", "instance", name, "err", err)
		}
	}
	ad.fwVIPs(ri, false)
}

// removeStale removes, as keepalived at startup, the VIPs and virtual
// routes a killed run left behind: they must not linger on a node that is
// not (yet) master.
func (ad *addresses) removeStale(ri *rtInst) {
	for _, v := range ri.vips {
		if err := ad.addrs.Del(v); err != nil {
			ad.log.Warn("remove stale VIP", "instance", ri.inst.Name(), "err", err)
		}
	}
	ad.delVRoutes(ri, ri.vroutes, ri.vrules)
}

// changeVIPs makes a MASTER's addresses follow its new VIP list, old
// being the one it had: the dropped ones are removed, the new ones added
// and returned.
func (ad *addresses) changeVIPs(ri *rtInst, old []vrrp.VIP) (added []vrrp.VIP) {
	name := ri.inst.Name()
	for _, v := range old {
		if !slices.ContainsFunc(ri.vips, func(n vrrp.VIP) bool { return vrrp.SameVIP(n, v) }) {
			if err := ad.addrs.Del(v); err != nil {
				ad.log.Warn("remove VIP", "instance", name, "err", err)
			}
		}
	}
	for _, v := range ri.vips {
		if !slices.ContainsFunc(old, func(o vrrp.VIP) bool { return vrrp.SameVIP(o, v) }) {
			if err := ad.addrs.Add(v); err != nil {
				ad.log.Warn("add VIP", "instance", name, "err", err)
			}
			added = append(added, v)
		}
	}
	return added
}
