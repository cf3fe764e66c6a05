package conf

import (
	"fmt"
	"net/netip"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

// validateVRRP applies keepalived's vrrp_complete_init: defaults, fix-ups
// and the cross-block checks, with keepalived's messages.
func (d *decoder) validateVRRP() {
	g := &d.cfg.Global
	if !g.ScriptUserSet {
		if _, _, _, ok := d.env().LookupScriptUser("keepalived_script", ""); ok {
			g.ScriptUser = "keepalived_script"
		}
	}
	if g.VRRPGARPLowerPrioDelay == nil {
		v := g.VRRPGARPMasterDelay
		g.VRRPGARPLowerPrioDelay = &v
	}
	if g.VRRPGARPLowerPrioRepeat == nil {
		v := g.VRRPGARPMasterRepeat
		g.VRRPGARPLowerPrioRepeat = &v
	}

	// Where keepalived's VRRP process stops checking, the model is
	// still completed, quietly, so that it is usable.
	defer func() {
		if d.loud != nil {
			d.diags, d.loud = d.loud, nil
		}
	}()
	st := d.vst()
	if st.missingIf {
		d.add(st.missingIfPos, syntax.BadInterface, "Non-existent interface specified in configuration")
		d.quiet()
	}

	// chk_min_cfg: keepalived reports the first instance that fails and
	// goes no further
	for _, v := range d.cfg.VRRPInstances {
		bad := true
		switch {
		case v.VRID == 0:
			d.lose(v.Pos, syntax.GeneralError, "(%s) the virtual router id must be set", v.Name)
		case v.Interface == "": // even unicast: keepalived sets that flag later
			d.lose(v.Pos, syntax.GeneralError, "(%s) Unknown interface!", v.Name)
		default:
			bad = false
		}
		if bad {
			d.quiet()
			break
		}
	}

	// sync groups
	var groups []*SyncGroup
	for _, sg := range d.cfg.SyncGroups {
		if !sg.hasGroup {
			d.lose(sg.Pos, syntax.GeneralError, "Sync group %s has no virtual router(s). removing", sg.Name)
			// 2.2.7 checks its scripts' security before removing it
			d.droppedSyncGroups = append(d.droppedSyncGroups, sg)
			continue
		}
		if d.syncSetGroup(sg) {
			groups = append(groups, sg)
		}
	}
	d.cfg.SyncGroups = groups

	for _, v := range d.cfg.VRRPInstances {
		d.completeInstance(v)
	}
	d.checkVRIDConflicts()

	// lvs_sync_daemon: the instance is looked up after the config-test
	// exit in keepalived, so nothing is reported here.
	if sd := g.LVSSyncDaemon; sd != nil && sd.Instance != "" && sd.SyncID == -1 {
		if v := findInstance(d, sd.Instance); v != nil {
			sd.SyncID = v.VRID
		}
	}
}

// quiet stands for keepalived's VRRP config check giving up: what
// follows is still completed, so that the model is usable, but not
// reported.
func (d *decoder) quiet() {
	if d.loud == nil {
		d.loud, d.diags = d.diags, &syntax.Diags{}
	}
}

// syncSetGroup is vrrp_sync_set_group.
func (d *decoder) syncSetGroup(sg *SyncGroup) bool {
	var members []string
	for _, name := range sg.Instances {
		v := findInstance(d, name)
		if v == nil {
			d.gerr(sg.Pos, "Virtual router %s specified in sync group %s doesn't exist - ignoring", name, sg.Name)
			continue
		}
		if v.SyncGroup != "" {
			d.gerr(sg.Pos, "Virtual router %s cannot exist in more than one sync group; ignoring %s", name, sg.Name)
			continue
		}
		v.SyncGroup = sg.Name
		members = append(members, name)
	}
	if len(members) <= 1 {
		d.gerr(sg.Pos, "Sync group %s has only %d virtual router(s) - this probably isn't what you want", sg.Name, len(members))
	}
	if len(members) == 0 {
		return false
	}
	sg.Instances = members
	return true
}

func (d *decoder) findSyncGroup(name string) *SyncGroup {
	for _, sg := range d.cfg.SyncGroups {
		if sg.Name == name {
			return sg
		}
	}
	return nil
}

// completeInstance is vrrp_complete_instance: the checks and defaults of
// one instance once the whole configuration is read, in keepalived's order.
func (d *decoder) completeInstance(v *VRRPInstance) {
	strict := d.cfg.Global.VRRPStrict
	if v.strictRaw != nil {
		strict = *v.strictRaw
	}
	v.StrictMode = strict
	d.instanceVersion(v, strict)
	d.instanceState(v, strict)
	d.instanceAuthHMAC(v, strict)
	d.instanceUnicast(v, strict)
	d.instanceVIPLimit(v)
	d.instancePreempt(v, strict)
	sg := d.findSyncGroup(v.SyncGroup)
	d.instanceAdvertDefaults(v, strict, sg)
	d.advertInt(v)
	d.instanceInterfaces(v)
	d.instanceTrackWeights(v, sg)
}

// instanceVersion is vrrp_complete_instance's family and version checks:
// IPv6 takes version 3, the global vrrp_version is the default, and an
// instance needs a VIP.
func (d *decoder) instanceVersion(v *VRRPInstance, strict bool) {
	g := &d.cfg.Global
	if v.Family == 6 {
		if v.Version == 2 && strict {
			d.gerr(v.Pos, "(%s) cannot use IPv6 with VRRP version 2; setting version 3", v.Name)
			v.Version = 3
		} else if v.Version == 0 {
			v.Version = 3
		}
	}
	if v.Family == 0 {
		v.Family = 4
	}
	if v.Version == 0 {
		v.Version = g.VRRPVersion
	}
	if v.Family == 4 && v.UnicastTTL == -1 {
		v.UnicastTTL = 255
	}
	if v.NoVirtualIPAddress && strict {
		d.gerr(v.Pos, "(%s) no_virtual_ipaddress and strict mode incompatible, clearing no_virtual_ipaddress", v.Name)
		v.NoVirtualIPAddress = false
	}
	if len(v.VIPs) == 0 && !v.NoVirtualIPAddress {
		if v.Version == 3 || strict {
			d.gerr(v.Pos, "(%s) No VIP specified; at least one is required", v.Name)
			d.quiet()
		} else {
			d.gerr(v.Pos, "(%s) No VIP specified; at least one is sensible", v.Name)
		}
	}
}

// instanceState is vrrp_complete_instance's initial state and authentication
// checks: priority 255 is the address owner and starts MASTER.
func (d *decoder) instanceState(v *VRRPInstance, strict bool) {
	if v.Priority == 0 {
		if v.stateSet == StateMaster {
			v.Priority = 255
		} else {
			v.Priority = 100
		}
	}
	if v.stateSet == "" {
		v.State = StateBackup
		if v.Priority == 255 {
			v.State = StateMaster
		}
	} else {
		v.State = v.stateSet
		if strict && (v.State == StateMaster) != (v.Priority == 255) {
			d.gerr(v.Pos, "(%s) State MASTER must match being address owner", v.Name)
			v.State = StateBackup
			if v.Priority == 255 {
				v.State = StateMaster
			}
		}
	}
	switch {
	case v.AuthType == "":
	case strict:
		d.gerr(v.Pos, "(%s) Strict mode does not support authentication. Ignoring.", v.Name)
		v.AuthType = ""
	case v.Version == 3:
		d.gerr(v.Pos, "(%s) VRRP version 3 does not support authentication. Ignoring.", v.Name)
		v.AuthType = ""
	case v.AuthPass == "":
		d.gerr(v.Pos, "(%s) Authentication specified but no password given. Ignoring", v.Name)
		v.AuthType = ""
	case v.Family == 6 && v.AuthType == "AH":
		d.gerr(v.Pos, "(%s) Cannot use AH authentication with IPv6. ignoring", v.Name)
		v.AuthType = ""
	case v.AuthType == "AH" && v.State == StateMaster && v.Priority != 255:
		d.gerr(v.Pos, "(%s) Initial state master is incompatible with AH authentication - clearing", v.Name)
		v.State = StateBackup
	}
	if v.AuthType == "" {
		v.AuthPass = ""
	}
}

// instanceUnicast is vrrp_complete_instance's unicast and multicast checks,
// with the VMAC address, the first IPv6 VIP and vrf.
func (d *decoder) instanceUnicast(v *VRRPInstance, strict bool) {
	if v.UnicastConfigured && len(v.UnicastPeers) > 0 {
		v.Unicast = true
	}
	if strict && v.Unicast && v.Interface != "" {
		d.gerr(v.Pos, "(%s) Unicast peers are not supported in strict mode", v.Name)
		d.quiet()
	}
	if v.Interface == "" && v.Unicast {
		if !v.saddrFromCfg {
			d.gerr(v.Pos, "(%s): Unicast instances must have unicast_src_ip or interface", v.Name)
			d.quiet()
		} else if v.Family == 6 && v.SrcIP.IsLinkLocalUnicast() {
			d.gerr(v.Pos, "(%s) Non link-local address required if interface omitted", v.Name)
			d.quiet()
		}
	}
	if v.UnicastConfigured && !v.Unicast {
		if v.UnicastFaultNoPeer {
			d.vlogInfo(v.Pos, "(%s) Cannot use unicast without any peers - going to fault state", v.Name)
		} else {
			d.add(v.Pos, syntax.Deprecated, "(%s) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.", v.Name)
		}
	}
	if strict && v.VMACMAC != "" {
		d.gerr(v.Pos, "(%s): cannot specify MAC address with strict mode - clearing", v.Name)
		v.VMACMAC = ""
	}
	if v.Family == 6 && !v.Unicast && len(v.VIPs) > 0 && !v.VIPs[0].Prefix.Addr().IsLinkLocalUnicast() {
		if strict {
			d.gerr(v.Pos, "(%s) the first IPv6 VIP address must be link local", v.Name)
		} else {
			d.vlogInfo(v.Pos, "(%s) the first IPv6 VIP address should be link local", v.Name)
		}
	}
	if v.VRF != "" && (v.Interface != "" || !v.Unicast) {
		what := " unicast"
		if v.Interface != "" {
			what = "out interface"
		}
		d.gerr(v.Pos, "(%s) vrf can only be specified with%s - clearing", v.Name, what)
		v.VRF = ""
	}
}

// instanceVIPLimit is vrrp_complete_instance's limit on the VIPs an advert
// carries: the excess become eVIPs.
func (d *decoder) instanceVIPLimit(v *VRRPInstance) {
	// VIPs that fit in an advert (1500 byte MTU assumed)
	hdr, al := 14+40+8, 16
	if v.Family == 4 {
		hdr, al = 14+20+8, 4
		if v.Version == 2 {
			hdr += 8
			if v.AuthType == "AH" {
				hdr += 24
			}
		}
	}
	if h := v.AuthHMAC; h != nil && h.Mode != "receive-only" {
		hdr += 28 // the auth_hmac trailer
	}
	maxAddr := min(255, (1500-hdr)/al)
	if len(v.VIPs) > maxAddr {
		d.gerr(v.Pos, "(%s) Number of VIPs (%d) exceeds maximum/space available in packet (max %d addresses) - excess moved to eVIPs", v.Name, len(v.VIPs), maxAddr)
		v.EVIPs = append(v.EVIPs, v.VIPs[maxAddr:]...)
		v.VIPs = v.VIPs[:maxAddr]
	}
}

// instancePreempt is vrrp_complete_instance's preempt, accept and
// destination address checks.
func (d *decoder) instancePreempt(v *VRRPInstance, strict bool) {
	g := &d.cfg.Global
	if v.Priority == 255 && v.Nopreempt {
		d.gerr(v.Pos, "(%s) nopreempt is incompatible with priority %d. resetting nopreempt", v.Name, 255)
		v.Nopreempt = false
	}
	if v.State == StateMaster {
		if v.Nopreempt {
			d.gerr(v.Pos, "(%s) Warning - nopreempt will not work with initial state MASTER - clearing", v.Name)
			v.Nopreempt = false
		}
		if v.PreemptDelay != 0 {
			d.gerr(v.Pos, "(%s) Warning - preempt delay will not work with initial state MASTER - clearing", v.Name)
			v.PreemptDelay = 0
		}
	}
	if v.PreemptDelay != 0 {
		if strict {
			d.gerr(v.Pos, "(%s) preempt_delay is incompatible with strict mode - resetting", v.Name)
			v.PreemptDelay = 0
		}
		if v.Nopreempt {
			d.gerr(v.Pos, "(%s) preempt_delay is incompatible with nopreempt mode - resetting", v.Name)
			v.PreemptDelay = 0
		}
	}
	if v.DownTimerAdverts != 3 && strict {
		d.gerr(v.Pos, "(%s) down_timer_adverts is incompatible with strict mode - resetting", v.Name)
		v.DownTimerAdverts = 3
	}
	if !v.Nopreempt && v.TimerExpiredBackup != 0 {
		d.gerr(v.Pos, "(%s) expired_timer_backup requires nopreempt - resetting", v.Name)
		v.TimerExpiredBackup = 0
	}
	if v.acceptRaw == nil {
		v.Accept = v.Priority == 255 || !strict
	} else {
		v.Accept = *v.acceptRaw
	}
	if v.Accept && v.Priority != 255 && strict && v.Version == 2 {
		d.gerr(v.Pos, "(%s) warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting", v.Name)
		v.Accept = false
	}
	if (!v.Accept || v.UseVMAC) && g.NFTables == "" {
		// keepalived only logs "use_vmac or no_accept/strict specified,
		// but no firewall configured - using nftables"
		g.NFTables = "keepalived"
	}
	if !v.Unicast && !v.McastDstIP.IsValid() {
		if v.Family == 4 {
			v.McastDstIP = g.VRRPMcastGroup4
		} else {
			v.McastDstIP = g.VRRPMcastGroup6
		}
	} else if v.Unicast && v.McastDstIP.IsValid() {
		d.gerr(v.Pos, "(%s) multicast destination specified with unicast - ignoring", v.Name)
		v.McastDstIP = netip.Addr{}
	}
}

// instanceAdvertDefaults is vrrp_complete_instance's GARP, advert, mail and
// notify defaults, each from the instance, its sync group sg (may be nil)
// or global_defs.
func (d *decoder) instanceAdvertDefaults(v *VRRPInstance, strict bool, sg *SyncGroup) {
	g := &d.cfg.Global
	// garp lower priority settings
	switch {
	case v.garpLPRepRaw == nil && strict:
		v.GARPLowerPrioRepeat = 0
	case v.garpLPRepRaw == nil:
		v.GARPLowerPrioRepeat = *g.VRRPGARPLowerPrioRepeat
	case strict && *v.garpLPRepRaw != 0:
		d.gerr(v.Pos, "(%s) Strict mode requires no repeat garps. resetting", v.Name)
		v.GARPLowerPrioRepeat = 0
	default:
		v.GARPLowerPrioRepeat = *v.garpLPRepRaw
	}
	switch {
	case v.garpLPDelayRaw == nil && strict:
		v.GARPLowerPrioDelay = 0
	case v.garpLPDelayRaw == nil:
		v.GARPLowerPrioDelay = *g.VRRPGARPLowerPrioDelay
	case strict && *v.garpLPDelayRaw != 0:
		d.gerr(v.Pos, "(%s) Strict mode requires no repeat garp delay. resetting", v.Name)
		v.GARPLowerPrioDelay = 0
	default:
		v.GARPLowerPrioDelay = *v.garpLPDelayRaw
	}
	switch {
	case v.lowerPrioRaw == nil:
		v.LowerPrioNoAdvert = strict || g.VRRPLowerPrioNoAdvert
	case strict && !*v.lowerPrioRaw:
		d.gerr(v.Pos, "(%s) Strict mode requires no lower priority advert. resetting", v.Name)
		v.LowerPrioNoAdvert = true
	default:
		v.LowerPrioNoAdvert = *v.lowerPrioRaw
	}
	switch {
	case v.higherPrioRaw == nil:
		v.HigherPrioSendAdvert = !strict && g.VRRPHigherPrioSendAdvert
	case strict && *v.higherPrioRaw:
		d.gerr(v.Pos, "(%s) strict mode requires higher_prio_send_advert to be clear. resetting", v.Name)
		v.HigherPrioSendAdvert = false
	default:
		v.HigherPrioSendAdvert = *v.higherPrioRaw
	}
	d.instanceOwnerAdverts(v, strict)
	v.V3ChecksumAsV2 = g.V3ChecksumAsV2
	if v.v3ChecksumRaw != nil {
		v.V3ChecksumAsV2 = *v.v3ChecksumRaw
	}
	switch {
	case v.smtpRaw != nil:
		v.SMTPAlert = *v.smtpRaw
	case g.SMTPAlertVRRP != nil:
		v.SMTPAlert = *g.SMTPAlertVRRP
	case g.SMTPAlert != nil:
		v.SMTPAlert = *g.SMTPAlert
	}
	switch {
	case v.notifyPrioRaw != nil:
		v.NotifyPriorityChanges = *v.notifyPrioRaw
	case sg != nil && sg.NotifyPriorityChanges != nil:
		v.NotifyPriorityChanges = *sg.NotifyPriorityChanges
	default:
		v.NotifyPriorityChanges = g.VRRPNotifyPriorityChanges
	}
}

// instanceInterfaces is vrrp_complete_instance's interface checks: ipvlan,
// VMAC options, tracking its own interface, and the VIPs without a dev.
func (d *decoder) instanceInterfaces(v *VRRPInstance) {
	g := &d.cfg.Global
	if !v.saddrFromCfg {
		v.TrackSrcIP = false
	}
	if v.PromoteSecondaries && (v.UseVMAC || v.UseIPVLAN) {
		d.gerr(v.Pos, "(%s) promote_secondaries is automatically set for vmacs - ignoring", v.Name)
		v.PromoteSecondaries = false
	}
	if v.UseIPVLAN {
		if v.Family == 4 && !v.IPVLANAddr.IsValid() {
			d.gerr(v.Pos, "(%s) IPv4 ipvlan requires a source ip address to be configured. setting instance to fault state", v.Name)
		} else if v.IPVLANAddr.IsValid() && family(v.IPVLANAddr.Addr()) != v.Family {
			d.gerr(v.Pos, "(%s) IPv4 ipvlan address family does not match instance. setting instance to fault state", v.Name)
		}
	}
	if v.Interface != "" {
		var kept []TrackedRef
		for _, t := range v.TrackInterfaces {
			if t.Name == v.Interface {
				d.gerr(t.Pos, "(%s) Ignoring track_interface %s since own interface", v.Name, t.Name)
				continue
			}
			kept = append(kept, t)
		}
		v.TrackInterfaces = kept
	}
	if v.VMACXmitBase && !v.UseVMAC {
		d.gerr(v.Pos, "(%s) vmac_xmit_base is only valid with a vmac", v.Name)
		v.VMACXmitBase = false
	}
	// VIPs without dev go on the instance interface
	for _, list := range []*[]IPAddress{&v.VIPs, &v.EVIPs} {
		var kept []IPAddress
		for _, ip := range *list {
			if ip.UseVMAC && (ip.Dev == "" || ip.Dev == v.Interface) && v.UseVMAC && family(ip.Prefix.Addr()) == v.Family {
				d.gerr(ip.Pos, "(%s) use_vmac specified for VIP/eVIP %s and vrrp instance", v.Name, ip.Prefix.Addr())
				ip.UseVMAC = false
			}
			if ip.Dev == "" {
				ip.Dev = v.Interface
			}
			if ip.Dev == "" {
				e := ""
				if list == &v.EVIPs {
					e = "e"
				}
				d.lose(ip.Pos, syntax.GeneralError, "(%s): no interface for %svip %s - removing", v.Name, e, ip.Prefix.Addr())
				continue
			}
			kept = append(kept, ip)
		}
		*list = kept
	}
	if !v.garpExtraSet {
		v.GARPExtraIf = g.VRRPGARPExtraIf
		v.GARPExtraIfAll = g.VRRPGARPExtraIfAll
	}
}

// instanceTrackWeights is vrrp_complete_instance's tracker weights: an
// address owner, or a member of a sync group without track weights,
// ignores weighted trackers.
func (d *decoder) instanceTrackWeights(v *VRRPInstance, sg *SyncGroup) {
	// trackers of sync group members and address owners
	syncNoWeight := sg != nil && !sg.TrackingWeight
	if syncNoWeight || v.Priority == 255 {
		why := "address owner"
		why2 := "address_owner"
		if syncNoWeight {
			why, why2 = "SYNC group", "SYNC group"
		}
		var kept []TrackedRef
		for _, t := range v.TrackInterfaces {
			if t.Weight != 0 {
				w := ""
				if syncNoWeight {
					w = "weight "
				}
				d.gerr(t.Pos, "(%s) ignoring %s tracked interface %sdue to %s", v.Name, t.Name, w, why)
				if !syncNoWeight {
					continue
				}
				t.Weight = 0
			}
			kept = append(kept, t)
		}
		v.TrackInterfaces = kept
		kept = nil
		for _, t := range v.TrackScripts {
			if t.Weight != 0 {
				d.gerr(t.Pos, "(%s) ignoring tracked script %s with weights due to %s", v.Name, t.Name, why2)
				continue
			}
			kept = append(kept, t)
		}
		v.TrackScripts = kept
		kept = nil
		for _, t := range v.TrackFiles {
			if t.Weight == 1 {
				d.gerr(t.Pos, "(%s) ignoring weight from tracked file %s due to %s. specify weight 0", v.Name, t.Name, why2)
				t.Weight = 0
			} else if t.Weight != 0 {
				d.gerr(t.Pos, "(%s) ignoring tracked file %s with weight %d due to %s", v.Name, t.Name, t.Weight, why2)
				continue
			}
			kept = append(kept, t)
		}
		v.TrackFiles = kept
		kept = nil
		for _, t := range v.TrackBFDs {
			if t.Weight != 0 {
				d.gerr(t.Pos, "(%s) ignoring tracked bfd %s with weight %d due to %s", v.Name, t.Name, t.Weight, why2)
				continue
			}
			kept = append(kept, t)
		}
		v.TrackBFDs = kept
	}
}

// advertInt applies the advert_int default and the v2/v3 rounding.
func (d *decoder) advertInt(v *VRRPInstance) {
	us := v.advertRaw
	if us == 0 {
		us = timerHz
	}
	secs := func(u uint64) float64 { return float64(u) / timerHz }
	if v.Version == 2 {
		if us >= 256*timerHz {
			d.gerr(v.Pos, "(%s) VRRPv2 advertisement interval %.2fs is out of range. Must be less than %ds. Setting to %ds", v.Name, secs(us), 256, 255)
			us = 255 * timerHz
		} else if us%timerHz != 0 {
			d.gerr(v.Pos, "(%s) VRRPv2 advertisement interval %fs must be an integer. rounding", v.Name, secs(us))
			us += timerHz / 2
			us -= us % timerHz
			if us == 0 {
				us = timerHz
			}
		}
	} else {
		const centi = timerHz / 100
		if us >= 4096*centi {
			d.gerr(v.Pos, "(%s) VRRPv3 advertisement interval %.2fs is out of range. Must be less than %.2fs. Setting to %.2fs", v.Name, secs(us), 40.96, 40.95)
			us = 4095 * centi
		} else if us%centi != 0 {
			d.gerr(v.Pos, "(%s) VRRPv3 advertisement interval %fs must be in units of 10ms - rounding", v.Name, secs(us))
			us += centi / 2
			us -= us % centi
			// 2.2.8 and later keep the rounding within [0.01, 40.95].
			if us == 0 {
				us = centi
			} else if us == 4096*centi {
				us = 4095 * centi
			}
		}
	}
	v.AdvertInt = usDuration(us)
}

// checkVRIDConflicts is check_vrid_conflicts for what can be known from
// the configuration.
func (d *decoder) checkVRIDConflicts() {
	vs := d.cfg.VRRPInstances
	for i, a := range vs {
		for _, b := range vs[i+1:] {
			if a.Family != b.Family || a.VRID != b.VRID || a.VRID == 0 || a.Unicast != b.Unicast {
				continue
			}
			if a.Unicast {
				if a.Interface != "" && b.Interface != "" && a.Interface != b.Interface {
					continue
				}
				sa, okA := d.unicastSrc(a)
				sb, okB := d.unicastSrc(b)
				if !okA || !okB || sa != sb {
					continue
				}
				matched := false
				for _, p := range a.UnicastPeers {
					for _, q := range b.UnicastPeers {
						if p.Address == q.Address {
							matched = true
						}
					}
				}
				if matched {
					d.gerr(a.Pos, "(%s) duplicate VRID conflict with %s VRID %d", a.Name, b.Name, a.VRID)
				}
				continue
			}
			if a.Interface == "" || a.Interface != b.Interface || a.McastDstIP != b.McastDstIP {
				continue
			}
			if d.opt.InterfaceExists != nil && !d.opt.InterfaceExists(a.Interface) {
				continue // a dynamic interface not there yet: no clash known
			}
			// an interface with a link kind (veth, vlan, macvlan...)
			// may change under allow_if_changes: only a warning
			if kind, ok := d.linkKind(a.Interface); ok && kind != "" && d.cfg.Global.AllowIfChanges {
				d.vlogInfo(a.Pos, "(%s) - warning, VRID %d for IPv%d is currently duplicated on %s", a.Name, a.VRID, a.Family, b.Name)
				continue
			}
			d.gerr(b.Pos, "%s and %s both use VRID %d with IPv%d on interface %s", a.Name, b.Name, a.VRID, a.Family, a.Interface)
		}
	}
}

// unicastSrc is the source address a unicast instance sends from, as far
// as it is known before it runs: unicast_src_ip, or else its interface's
// own address.
func (d *decoder) unicastSrc(v *VRRPInstance) (netip.Addr, bool) {
	if v.saddrFromCfg {
		return v.SrcIP, true
	}
	if v.Interface == "" || d.opt.InterfaceAddr == nil {
		return netip.Addr{}, false
	}
	return d.opt.InterfaceAddr(v.Interface, v.Family)
}

// String gives "VI_1 (vrid 51)" for messages and debugging.
func (v *VRRPInstance) String() string { return fmt.Sprintf("%s (vrid %d)", v.Name, v.VRID) }

// instanceOwnerAdverts is 2.4.3's owner_ignore_adverts check: only an
// address owner ignores adverts; strict mode makes it, and the global
// keyword is the default. 2.4.3 also rejects an explicit "false" at
// priority 255, strict or not, with the strict-mode wording.
func (d *decoder) instanceOwnerAdverts(v *VRRPInstance, strict bool) {
	owner := v.Priority == 255
	switch {
	case v.ownerIgnRaw != nil && *v.ownerIgnRaw && !owner:
		d.gerr(v.Pos, "(%s) ignoring owner_ignore_adverts since priority is not %d", v.Name, 255)
		v.OwnerIgnoreAdverts = false
	case v.ownerIgnRaw == nil:
		v.OwnerIgnoreAdverts = owner && (strict || d.cfg.Global.VRRPOwnerIgnoreAdverts)
	case owner && !*v.ownerIgnRaw:
		d.gerr(v.Pos, "(%s) strict_mode with priority %d requires owner_ignore_adverts", v.Name, 255)
		v.OwnerIgnoreAdverts = true
	default:
		v.OwnerIgnoreAdverts = *v.ownerIgnRaw
	}
}
