package vrrp

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/vrrp/packet"
	"github.com/gokeepalived/gokeepalived/vrrp/validate"
)

// InstanceConfig maps a parsed vrrp_instance (already defaulted by conf)
// to the state machine's Config; info supplies the default source.
func InstanceConfig(g *conf.GlobalDefs, scripts []*conf.VRRPScript, v *conf.VRRPInstance, info IfaceInfo) (Config, error) {
	c := Config{
		Name: v.Name, VRID: uint8(v.VRID), Family: packet.Family(v.Family), Version: uint8(v.Version),
		Priority: uint8(v.Priority), WantMaster: v.State == conf.StateMaster, AdverInt: v.AdvertInt,
		DownTimerAdverts: v.DownTimerAdverts, NoPreempt: v.Nopreempt, PreemptDelay: v.PreemptDelay,
		HigherPrioSendAdvert: v.HigherPrioSendAdvert, LowerPrioNoAdvert: v.LowerPrioNoAdvert,
		GARPMasterRepeat: int(v.GARPMasterRepeat), GARPMasterDelay: v.GARPMasterDelay,
		GARPMasterRefresh: v.GARPMasterRefresh, GARPMasterRefreshRepeat: int(v.GARPMasterRefreshRepeat),
		GARPLowerPrioRepeat: int(v.GARPLowerPrioRepeat), GARPLowerPrioDelay: v.GARPLowerPrioDelay,
		GARPExtraIf:  v.GARPExtraIf,
		StartupDelay: g.VRRPStartupDelay, SkipCheckAdvAddr: v.SkipCheckAdvAddr || g.VRRPSkipCheckAdvAddr,
		AuthPass: v.AuthPass, Unicast: v.Unicast,
		CheckUnicastSrc: v.CheckUnicastSrc || g.VRRPCheckUnicastSrc,
		StrictVIPCheck:  g.VRRPStrictVIPCheck, McastGroup4: g.VRRPMcastGroup4,
		V3ChecksumAsV2: v.V3ChecksumAsV2, OwnerIgnoreAdverts: v.OwnerIgnoreAdverts,
		TimerExpiredBackup: uint8(v.TimerExpiredBackup),
	}
	switch v.OldUnicastChecksum {
	case "config":
		c.OldChecksum = validate.ChecksumOld
	case "never":
		c.OldChecksum = validate.ChecksumNever
	}
	if v.VRID < 1 || v.VRID > 255 || v.Priority < 1 || v.Priority > 255 {
		return c, fmt.Errorf("(%s) virtual_router_id or priority out of range", v.Name)
	}
	switch v.AuthType {
	case "PASS":
		c.AuthType = packet.AuthPass
	case "AH":
		c.AuthType = packet.AuthAH
	}
	c.HMAC = hmacOf(v.AuthHMAC)
	c.SourceAddr = v.SrcIP
	if !c.SourceAddr.IsValid() {
		c.SourceAddr = info.Addr4
		if c.Family == packet.IPv6 {
			c.SourceAddr = info.LinkLocal6
		}
	}
	if !c.SourceAddr.IsValid() {
		return c, fmt.Errorf("(%s) interface %s has no %v address to send from", v.Name, v.Interface, c.Family)
	}
	for _, a := range v.VIPs {
		c.VIPs = append(c.VIPs, a.Prefix.Addr())
	}
	c.Trackers = trackersOf(scripts, v)
	if v.UnicastConfigured && !v.Unicast && v.UnicastFaultNoPeer {
		// keepalived counts this as a config fault: the instance stays in
		// FAULT rather than falling back to multicast.
		c.Trackers = append(c.Trackers, Tracker{Name: ConfigFaultTracker})
	}
	if v.UseIPVLAN && c.Family == packet.IPv4 && !v.IPVLANAddr.IsValid() {
		// "IPv4 ipvlan requires a source ip address": a config fault.
		c.Trackers = append(c.Trackers, Tracker{Name: ConfigFaultTracker})
	}
	for _, p := range v.UnicastPeers {
		c.Peers = append(c.Peers, validate.Peer{Addr: p.Address, MinTTL: p.MinTTL, MaxTTL: p.MaxTTL})
		if p.MinTTL > 0 || p.MaxTTL > 0 {
			c.CheckUnicastSrc = true
		}
	}
	return c, nil
}

// Tracker names are prefixed by kind: a script and an interface may share
// a name.
func ScriptTracker(name string) string    { return "script:" + name }
func InterfaceTracker(name string) string { return "interface:" + name }

// ConfigFaultTracker is a tracker that is never reported up: keepalived's
// num_config_faults, which holds an instance in FAULT.
const ConfigFaultTracker = "config:fault"

// trackersOf lists an instance's track_script (starting failed with
// init_fail) and track_interface entries; both are reported by the runtime.
func trackersOf(scripts []*conf.VRRPScript, v *conf.VRRPInstance) []Tracker {
	var out []Tracker
	for _, r := range v.TrackScripts {
		up := true
		for _, s := range scripts {
			if s.Name == r.Name && s.InitFail {
				up = false
			}
		}
		out = append(out, Tracker{Name: ScriptTracker(r.Name), Weight: r.Weight, Reverse: r.Reverse, Up: up})
	}
	for _, r := range v.TrackInterfaces {
		out = append(out, Tracker{Name: InterfaceTracker(r.Name), Weight: r.Weight, Reverse: r.Reverse, Up: true})
	}
	return out
}

// VIPsOf returns the addresses an instance adds as master: its VIPs, then
// its eVIPs, each defaulting to the instance interface.
func VIPsOf(v *conf.VRRPInstance) []VIP {
	var out []VIP
	for _, l := range [][]conf.IPAddress{v.VIPs, v.EVIPs} {
		for _, a := range l {
			x := VIP{Prefix: a.Prefix, Dev: a.Dev, Broadcast: a.Broadcast, Scope: ScopeOf(a.Scope),
				Label: a.Label, NoDAD: a.NoDAD, PreferredLft: a.PreferredLft}
			if x.Dev == "" {
				x.Dev = v.Interface
			}
			out = append(out, x)
		}
	}
	return out
}

// ScopeOf maps a scope name as iproute2's rt_scopes does.
func ScopeOf(s string) uint8 {
	switch s {
	case "", "global", "universe":
		return 0
	case "site":
		return 200
	case "link":
		return 253
	case "host":
		return 254
	case "nowhere":
		return 255
	}
	if n, err := strconv.ParseUint(s, 0, 8); err == nil {
		return uint8(n)
	}
	return 0
}

// KeyOf is the reload identity of a configured instance.
func KeyOf(g *conf.GlobalDefs, v *conf.VRRPInstance) Key {
	grp := v.McastDstIP
	if !grp.IsValid() {
		grp = g.VRRPMcastGroup4
		if v.Family == 6 {
			grp = g.VRRPMcastGroup6
		}
	}
	return NewKey(KeyParams{
		VRID: uint8(v.VRID), Family: packet.Family(v.Family), Interface: v.Interface, Unicast: v.Unicast,
		UnicastSrc: v.SrcIP, VMAC: v.UseVMAC, VMACXmit: v.VMACXmitBase || v.UseVMACAddr, McastGroup: grp,
		IPVLAN: ipvlanKey(v),
	})
}

func ipvlanKey(v *conf.VRRPInstance) string {
	if !v.UseIPVLAN {
		return ""
	}
	return fmt.Sprintf("%s %v %s", v.IPVLANName, v.IPVLANAddr, v.IPVLANType)
}

// GroupOf is the multicast destination of an instance.
func GroupOf(g *conf.GlobalDefs, v *conf.VRRPInstance) netip.Addr {
	return KeyOf(g, v).McastGroup
}

// BFDTracker names a track_bfd entry's tracker.
func BFDTracker(name string) string { return "bfd:" + name }

// bfdTracker is a track_bfd entry as keepalived 2.2.7 applies it
// (vrrp_handle_bfd_event): it starts with no effect; weighted, Up adds
// |weight| (negated with reverse) and Down takes it away again, whatever
// the weight's sign; unweighted, Down (Up with reverse) is a fault.
func bfdTracker(name string, weight int, reverse bool) Tracker {
	if weight == 0 {
		return Tracker{Name: BFDTracker(name), Reverse: reverse, Up: !reverse}
	}
	return Tracker{Name: BFDTracker(name), Weight: max(weight, -weight), Reverse: reverse}
}

// ExtraTrackers are an instance's trackers beyond InstanceConfig's: its
// track_file and track_bfd entries, then its sync group's track_interface, track_script
// and track_file, which apply to every member (keepalived's
// sync_group_tracking_init; the group's entry wins over the instance's),
// and its track_bfd.
// A group with an address owner among its members tracks unweighted.
func ExtraTrackers(cfg *conf.Config, v *conf.VRRPInstance) []Tracker {
	var out []Tracker
	for _, r := range v.TrackFiles {
		out = append(out, Tracker{Name: FileTracker(r.Name), Weight: r.Weight, Reverse: r.Reverse, File: true})
	}
	for _, r := range v.TrackBFDs {
		out = append(out, bfdTracker(r.Name, r.Weight, r.Reverse))
	}
	var sg *conf.SyncGroup
	for _, g := range cfg.SyncGroups {
		if g.Name == v.SyncGroup {
			sg = g
		}
	}
	if sg == nil {
		return out
	}
	owner := false
	for _, m := range cfg.VRRPInstances {
		if m.SyncGroup == sg.Name && m.Priority == PriorityOwner {
			owner = true
		}
	}
	weight := func(w int) int {
		if owner {
			return 0
		}
		return w
	}
	var group []Tracker
	for _, r := range sg.TrackInterfaces {
		group = append(group, Tracker{Name: InterfaceTracker(r.Name), Weight: weight(r.Weight), Reverse: r.Reverse, Up: true})
	}
	for _, r := range sg.TrackScripts {
		up := true
		for _, s := range cfg.VRRPScripts {
			if s.Name == r.Name && s.InitFail {
				up = false
			}
		}
		group = append(group, Tracker{Name: ScriptTracker(r.Name), Weight: weight(r.Weight), Reverse: r.Reverse, Up: up})
	}
	for _, r := range sg.TrackFiles {
		group = append(group, Tracker{Name: FileTracker(r.Name), Weight: weight(r.Weight), Reverse: r.Reverse, File: true})
	}
	for _, r := range sg.TrackBFDs {
		group = append(group, bfdTracker(r.Name, weight(r.Weight), r.Reverse))
	}
	return append(slices.DeleteFunc(out, func(t Tracker) bool {
		return slices.ContainsFunc(group, func(g Tracker) bool { return g.Name == t.Name })
	}), group...)
}

// hmacOf maps an auth_hmac block (conf has checked it) for the checker.
func hmacOf(a *conf.AuthHMAC) *validate.HMAC {
	if a == nil {
		return nil
	}
	h := &validate.HMAC{ActiveKey: a.ActiveKey, AntiReplayTime: a.AntiReplayTime, Window: a.TimeWindow}
	switch a.Mode {
	case "permissive":
		h.Mode = validate.HMACPermissive
	case "receive-only":
		h.Mode = validate.HMACReceiveOnly
	}
	for _, k := range a.Keys {
		h.Keys = append(h.Keys, validate.HMACKey{ID: k.ID, Key: k.Key})
	}
	return h
}
