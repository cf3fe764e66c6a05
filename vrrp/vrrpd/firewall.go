package vrrpd

import (
	"fmt"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/nft"
)

// fwState is an instance's part of keepalived's nftables firewall.
type fwState struct {
	drop  bool       // not address owner and no_accept: VIPs dropped while held
	set   bool       // its VIPs are in the drop set now
	addrs []nft.Addr // what goes into the set
	vmac  [2]int     // VMAC and base ifindex while its IGMP rule is set
	v6    bool
}

// fwTable is the table keepalived 2.2.7 uses: the configured one, or,
// when some instance needs a firewall (no_accept, vrrp_strict, use_vmac)
// and none is configured, "keepalived" (its vrrp_complete_instance).
func (ad *addresses) fwTable(g *conf.GlobalDefs, vs []*conf.VRRPInstance) string {
	if g.NFTables != "" {
		return g.NFTables
	}
	for _, v := range vs {
		if fwDrops(v) || v.UseVMAC {
			ad.log.Info("use_vmac or no_accept/strict specified, but no firewall configured - using nftables")
			return "keepalived"
		}
	}
	return ""
}

func fwDrops(v *conf.VRRPInstance) bool { return v.Priority != 255 && !v.Accept }

// openFirewall opens the nftables client when a table is in use.
func (ad *addresses) openFirewall(open func(nft.Config) (nft.Firewall, error), g *conf.GlobalDefs, vs []*conf.VRRPInstance) {
	table := ad.fwTable(g, vs)
	if table == "" || open == nil {
		return
	}
	fw, err := open(nft.Config{Table: table, Priority: g.NFTablesPriority,
		Counters: g.NFTablesCounters, Ifindex: g.NFTablesIfindex, Log: ad.log})
	if err != nil {
		ad.log.Error("nftables unavailable: no_accept and VMAC rules are not set", "err", err)
		return
	}
	ad.fw = fw
}

// fwOf is the firewall part of instance v whose VIPs are vips.
func (ad *addresses) fwOf(v *conf.VRRPInstance, vips []vrrp.VIP) fwState {
	st := fwState{drop: fwDrops(v)}
	if !st.drop {
		return st
	}
	track := map[string]bool{}
	for _, l := range [][]conf.IPAddress{v.VIPs, v.EVIPs} {
		for _, a := range l {
			track[a.Prefix.Addr().String()] = a.NoTrack
		}
	}
	for _, x := range vips {
		a := nft.Addr{IP: x.Prefix.Addr(), Ifname: x.Dev}
		if a.IP.Is6() && a.IP.IsLinkLocalUnicast() {
			if info, err := ad.net.Interface(x.Dev); err == nil {
				a.Ifindex = info.Index
			}
			// keepalived: by name for dont_track_primary instances when
			// the address is on the instance's interface or not tracked.
			a.ByName = v.DontTrackPrimary && (x.Dev == v.Interface || track[a.IP.String()])
		}
		st.addrs = append(st.addrs, a)
	}
	return st
}

// fwVIPs puts (add) or takes an instance's VIPs into/out of the drop set.
func (ad *addresses) fwVIPs(ri *rtInst, add bool) {
	if ad.fw == nil || !ri.fw.drop || ri.fw.set == add || len(ri.fw.addrs) == 0 {
		return
	}
	verb, op := "sett", ad.fw.AddVIPs
	if !add {
		verb, op = "remov", ad.fw.DelVIPs
	}
	ad.log.Debug(fmt.Sprintf("(%s) %sing firewall drop rule", ri.inst.Name(), verb))
	if err := op(ri.fw.addrs); err != nil {
		ad.log.Error(fmt.Sprintf("(%s) nftables: %sing firewall drop rule failed", ri.inst.Name(), verb), "err", err)
		return
	}
	ri.fw.set = add
}

// fwVMAC sets the IGMP/MLD rule for a new VMAC, before its socket joins
// the VRRP group (keepalived: right after creating the link).
func (ad *addresses) fwVMAC(inst string, m *vrrp.VMAC, base string, v6 bool, g *conf.GlobalDefs) [2]int {
	if ad.fw == nil || m == nil || (!v6 && g.DisableLocalIGMP) {
		return [2]int{}
	}
	mi, err := ad.net.Interface(m.Name)
	bi, err2 := ad.net.Interface(base)
	if err != nil || err2 != nil {
		ad.log.Warn("nftables: VMAC interface", "instance", inst, "err", fmt.Sprint(err, err2))
		return [2]int{}
	}
	if err := ad.fw.AddVMAC(mi.Index, bi.Index, !v6, v6); err != nil {
		ad.log.Error("nftables: VMAC IGMP rule", "instance", inst, "err", err)
		return [2]int{}
	}
	return [2]int{mi.Index, bi.Index}
}

// fwVMACGone removes the rule before the VMAC goes.
func (ad *addresses) fwVMACGone(ri *rtInst) {
	if ad.fw == nil || ri.fw.vmac[0] == 0 {
		return
	}
	if err := ad.fw.DelVMAC(ri.fw.vmac[0], ri.fw.vmac[1], !ri.fw.v6, ri.fw.v6); err != nil {
		ad.log.Warn("nftables: VMAC IGMP rule", "instance", ri.inst.Name(), "err", err)
	}
	ri.fw.vmac = [2]int{}
}

// closeFirewall deletes the tables (keepalived's firewall_fini), also
// with -V: only the addresses stay.
func (ad *addresses) closeFirewall() {
	if ad.fw == nil {
		return
	}
	if err := ad.fw.Close(); err != nil {
		ad.log.Warn("nftables: delete table", "err", err)
	}
	ad.fw = nil
}
