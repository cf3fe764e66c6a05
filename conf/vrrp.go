package conf

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

// SyncGroup is a vrrp_sync_group.
type SyncGroup struct {
	Pos       Pos      `json:"-"`
	Name      string   `json:"name"`
	Instances []string `json:"group"`
	trackBlocks
	NotifyMaster          *Script `json:"notify_master,omitempty"`
	NotifyBackup          *Script `json:"notify_backup,omitempty"`
	NotifyFault           *Script `json:"notify_fault,omitempty"`
	NotifyStop            *Script `json:"notify_stop,omitempty"`
	Notify                *Script `json:"notify,omitempty"`
	SMTPAlert             *bool   `json:"smtp_alert,omitempty"`
	NotifyPriorityChanges *bool   `json:"notify_priority_changes,omitempty"`
	TrackingWeight        bool    `json:"sync_group_tracking_weight,omitempty"`

	hasGroup bool
}

// GARPGroup is a garp_group.
type GARPGroup struct {
	Pos          Pos           `json:"-"`
	GARPInterval time.Duration `json:"garp_interval"`
	GNAInterval  time.Duration `json:"gna_interval"`
	Interfaces   []string      `json:"interfaces"`
	hasGARP      bool
	hasGNA       bool
	aggregation  int // keepalived's aggregation_group: 0 without an interfaces block
}

// UnicastPeer is a line of unicast_peer.
type UnicastPeer struct {
	Pos     Pos        `json:"-"`
	Address netip.Addr `json:"address"`
	MinTTL  int        `json:"min_ttl"`
	MaxTTL  int        `json:"max_ttl"`
}

// VRRP states of an instance.
const (
	StateBackup = "BACKUP"
	StateMaster = "MASTER"
)

// VRRPInstance is a vrrp_instance with keepalived's fix-ups applied.
type VRRPInstance struct {
	Pos  Pos    `json:"-"`
	Name string `json:"name"`
	// State is the initial state, MASTER or BACKUP.
	State     string `json:"state"`
	Interface string `json:"interface,omitempty"`
	VRF       string `json:"vrf,omitempty"`
	Family    int    `json:"family"`
	Version   int    `json:"version"`
	VRID      int    `json:"virtual_router_id"`
	Priority  int    `json:"priority"`
	// AdvertInt is rounded to whole seconds (v2) or centiseconds (v3).
	AdvertInt time.Duration `json:"advert_int"`

	UseVMAC          bool         `json:"use_vmac,omitempty"`
	VMACName         string       `json:"vmac_name,omitempty"`
	VMACMAC          string       `json:"vmac_mac,omitempty"`
	UseVMACAddr      bool         `json:"use_vmac_addr,omitempty"`
	VMACXmitBase     bool         `json:"vmac_xmit_base,omitempty"`
	UseIPVLAN        bool         `json:"use_ipvlan,omitempty"`
	IPVLANName       string       `json:"ipvlan_name,omitempty"`
	IPVLANAddr       netip.Prefix `json:"ipvlan_addr,omitzero"`
	IPVLANType       string       `json:"ipvlan_type,omitempty"`
	DontTrackPrimary bool         `json:"dont_track_primary,omitempty"`
	trackBlocks
	TrackSrcIP bool `json:"track_src_ip,omitempty"`

	SrcIP              netip.Addr    `json:"src_ip,omitzero"`
	McastDstIP         netip.Addr    `json:"mcast_dst_ip,omitzero"`
	UnicastPeers       []UnicastPeer `json:"unicast_peer,omitempty"`
	Unicast            bool          `json:"unicast,omitempty"`
	UnicastConfigured  bool          `json:"-"`
	UnicastFaultNoPeer bool          `json:"unicast_fault_no_peer,omitempty"`
	CheckUnicastSrc    bool          `json:"check_unicast_src,omitempty"`
	// UnicastTTL is -1 when not set.
	UnicastTTL         int    `json:"unicast_ttl"`
	OldUnicastChecksum string `json:"old_unicast_checksum,omitempty"` // "", "config", "never"

	AuthType string `json:"auth_type,omitempty"` // "", PASS, AH
	AuthPass string `json:"auth_pass,omitempty"`
	// AuthHMAC is the auth_hmac block; nil without one.
	AuthHMAC *AuthHMAC `json:"auth_hmac,omitempty"`

	VIPs               []IPAddress `json:"virtual_ipaddress,omitempty"`
	EVIPs              []IPAddress `json:"virtual_ipaddress_excluded,omitempty"`
	VRoutes            []Route     `json:"virtual_routes,omitempty"`
	VRules             []Rule      `json:"virtual_rules,omitempty"`
	PromoteSecondaries bool        `json:"promote_secondaries,omitempty"`
	LinkbeatUsePolling bool        `json:"linkbeat_use_polling,omitempty"`

	Accept           bool          `json:"accept"`
	Nopreempt        bool          `json:"nopreempt,omitempty"`
	PreemptDelay     time.Duration `json:"preempt_delay,omitempty"`
	SkipCheckAdvAddr bool          `json:"skip_check_adv_addr,omitempty"`
	StrictMode       bool          `json:"strict_mode,omitempty"`
	Debug            int           `json:"debug,omitempty"`
	KernelRxBufSize  uint32        `json:"kernel_rx_buf_size,omitempty"`

	NotifyMaster           *Script `json:"notify_master,omitempty"`
	NotifyBackup           *Script `json:"notify_backup,omitempty"`
	NotifyFault            *Script `json:"notify_fault,omitempty"`
	NotifyStop             *Script `json:"notify_stop,omitempty"`
	NotifyDeleted          bool    `json:"notify_deleted,omitempty"`
	NotifyDeletedScript    *Script `json:"notify_deleted_script,omitempty"`
	Notify                 *Script `json:"notify,omitempty"`
	NotifyMasterRxLowerPri *Script `json:"notify_master_rx_lower_pri,omitempty"`
	SMTPAlert              bool    `json:"smtp_alert,omitempty"`
	NotifyPriorityChanges  bool    `json:"notify_priority_changes,omitempty"`

	GARPMasterDelay         time.Duration `json:"garp_master_delay"`
	GARPMasterRepeat        uint32        `json:"garp_master_repeat"`
	GARPMasterRefresh       time.Duration `json:"garp_master_refresh"`
	GARPMasterRefreshRepeat uint32        `json:"garp_master_refresh_repeat"`
	GARPLowerPrioDelay      time.Duration `json:"garp_lower_prio_delay"`
	GARPLowerPrioRepeat     uint32        `json:"garp_lower_prio_repeat"`
	GARPExtraIf             time.Duration `json:"garp_extra_if,omitempty"`
	GARPExtraIfAll          bool          `json:"garp_extra_if_all,omitempty"`
	DownTimerAdverts        int           `json:"down_timer_adverts"`
	LowerPrioNoAdvert       bool          `json:"lower_prio_no_advert,omitempty"`
	HigherPrioSendAdvert    bool          `json:"higher_prio_send_advert,omitempty"`
	// NoVirtualIPAddress allows an instance without VIPs (2.2.8).
	NoVirtualIPAddress bool `json:"no_virtual_ipaddress,omitempty"`
	// V3ChecksumAsV2 leaves the pseudo-header out of VRRPv3 IPv4
	// checksums (2.2.8; the global keyword is the default).
	V3ChecksumAsV2 bool `json:"v3_checksum_as_v2,omitempty"`
	// TimerExpiredBackup is timer_expired_backup's highest priority of
	// the other routers (2.2.8; 0 = off): a MASTER whose daemon ran late
	// enough for one of them to take over goes to BACKUP.
	TimerExpiredBackup int `json:"timer_expired_backup,omitempty"`
	// OwnerIgnoreAdverts: an address owner (priority 255) drops every
	// advert it receives (2.3.3, RFC 9568).
	OwnerIgnoreAdverts bool `json:"owner_ignore_adverts,omitempty"`

	// SyncGroup is the name of the sync group the instance belongs to.
	SyncGroup string `json:"sync_group,omitempty"`

	// raw values before the fix-ups of validateVRRP
	stateSet       string
	stateUnknown   bool
	advertRaw      uint64 // µs, 0 = unset
	strictRaw      *bool
	acceptRaw      *bool
	lowerPrioRaw   *bool
	higherPrioRaw  *bool
	v3ChecksumRaw  *bool
	ownerIgnRaw    *bool
	garpLPDelayRaw *time.Duration
	garpLPRepRaw   *uint32
	garpExtraSet   bool
	smtpRaw        *bool
	notifyPrioRaw  *bool
	saddrFromCfg   bool
	ifPos          Pos
}

func (v *VRRPInstance) familyOf(a netip.Addr) bool {
	f := family(a)
	if v.Family == 0 {
		v.Family = f
		return true
	}
	return v.Family == f
}

func findInstance(d *decoder, name string) *VRRPInstance {
	for _, v := range d.cfg.VRRPInstances {
		if v.Name == name {
			return v
		}
	}
	return nil
}

// notifyOnce decodes a notify script keyword that may be given once, of
// the VRRP instance or sync group named owner.
func notifyOnce(d *decoder, s *syntax.Stmt, owner string, dst **Script, kw, dupFmt string) {
	if *dst != nil {
		d.errorf(s, 1, dupFmt, owner, kw, word(s, 1))
		return
	}
	*dst = d.notifyScript(s, "notify", phaseVRRP)
}

// ---- vrrp_sync_group ----

// decodeSyncGroup decodes "vrrp_sync_group NAME { ... }" with
// syncGroupTable.
func decodeSyncGroup(d *decoder, s *syntax.Stmt) {
	if len(s.Words) != 2 {
		d.errorf(s, 0, "vrrp_sync_group must have a name - skipping")
		return
	}
	name := word(s, 1)
	for _, g := range d.cfg.SyncGroups {
		if g.Name == name {
			d.errorf(s, 1, "vrrp sync group %s already defined", name)
			return
		}
	}
	sg := &SyncGroup{Pos: s.Pos(), Name: name}
	d.cfg.SyncGroups = append(d.cfg.SyncGroups, sg)
	d.walk("vrrp_sync_group", s.Block, boundKeywords{syncGroupTable, sg})
	// From 2.2.8 a group joins the list only when its block ends with
	// members; 2.2.7 removes it later, at its opening line (validate).
	if d.opt.Compat.AtLeast(2, 2, 8) && len(sg.Instances) == 0 {
		d.lose(d.endPos(s), syntax.GeneralError, "Sync group %s has no members - removing", name)
		d.cfg.SyncGroups = d.cfg.SyncGroups[:len(d.cfg.SyncGroups)-1]
	}
}

var syncGroupTable table

func init() {
	syncGroupTable = mergeTables(syncGroupKeywords(), trackKeywords(func(d *decoder) (string, *trackBlocks) {
		sg := d.obj.(*SyncGroup)
		return sg.Name, &sg.trackBlocks
	}))
}

// syncGroupNotifyKw is a sync group's notify script keyword, given once.
func syncGroupNotifyKw(kwname string, dst func(sg *SyncGroup) **Script) kw {
	return objKw(func(d *decoder, sg *SyncGroup, c *syntax.Stmt) {
		notifyOnce(d, c, sg.Name, dst(sg), kwname, "vrrp group %s: %s script already specified - ignoring %s")
	})
}

// syncGroupKeywords decodes a vrrp_sync_group's own keywords (the track_*
// ones are trackKeywords):
//
//	group { INSTANCE... }
//	notify|notify_master|notify_backup|notify_fault|notify_stop SCRIPT [USER [GROUP]]
//	smtp_alert [BOOL]
//	notify_priority_changes [BOOL]
//	sync_group_tracking_weight  (global_tracking deprecated)
func syncGroupKeywords() table {
	return table{
		"group": objBlockKw(func(d *decoder, sg *SyncGroup, c *syntax.Stmt) {
			if sg.hasGroup {
				d.errorf(c, 0, "Group list already specified for sync group %s", sg.Name)
				return
			}
			for _, l := range d.valueStmts(c) {
				sg.Instances = append(sg.Instances, valueWords(l.Words)...)
			}
			// an empty block leaves the group without one, as keepalived's
			// NULL value block does
			sg.hasGroup = len(sg.Instances) > 0
			if !sg.hasGroup {
				pos := c.Close()
				if pos.Line == 0 {
					pos = c.Pos()
				}
				d.gerr(pos, "Warning - sync group %s has empty group block", sg.Name)
			}
		}),
		"notify_backup": syncGroupNotifyKw("notify_backup", func(sg *SyncGroup) **Script { return &sg.NotifyBackup }),
		"notify_master": syncGroupNotifyKw("notify_master", func(sg *SyncGroup) **Script { return &sg.NotifyMaster }),
		"notify_fault":  syncGroupNotifyKw("notify_fault", func(sg *SyncGroup) **Script { return &sg.NotifyFault }),
		"notify_stop":   syncGroupNotifyKw("notify_stop", func(sg *SyncGroup) **Script { return &sg.NotifyStop }),
		"notify":        syncGroupNotifyKw("notify", func(sg *SyncGroup) **Script { return &sg.Notify }),
		"smtp_alert": objKw(func(d *decoder, sg *SyncGroup, c *syntax.Stmt) {
			if v, ok := d.boolArg(c, 1, "Invalid vrrp_group smtp_alert parameter %s"); ok {
				sg.SMTPAlert = &v
			}
		}),
		"global_tracking": objKw(func(d *decoder, sg *SyncGroup, c *syntax.Stmt) {
			d.errorf(c, 0, "(%s) global_tracking is deprecated. Use track_interface/script/file on the sync group", sg.Name)
			sg.TrackingWeight = true
		}),
		"sync_group_tracking_weight": objKw(func(d *decoder, sg *SyncGroup, c *syntax.Stmt) { sg.TrackingWeight = true }),
		"notify_priority_changes": objKw(func(d *decoder, sg *SyncGroup, c *syntax.Stmt) {
			if v, ok := d.boolArg(c, 1, "("+sg.Name+") Invalid value '%s' for sync group notify_priority_changes specified"); ok {
				sg.NotifyPriorityChanges = &v
			}
		}),
	}
}

// ---- garp_group ----

// decodeGARPGroup decodes "garp_group { ... }" with garpGroupTable.
func decodeGARPGroup(d *decoder, s *syntax.Stmt) {
	gg := &GARPGroup{Pos: s.Pos()}
	d.walk("garp_group", s.Block, boundKeywords{garpGroupTable, gg})
	if !gg.hasGARP && !gg.hasGNA {
		n := gg.aggregation
		if d.opt.Compat.AtLeast(2, 3, 2) { // the count of interfaces blocks read so far
			n = d.garpIfBlocks
		}
		d.gerr(s.Close(), "garp group %d does not have any delay set - removing", n)
		return
	}
	d.cfg.GARPGroups = append(d.cfg.GARPGroups, gg)
}

// garpGroupTable decodes a garp_group block:
//
//	garp_interval|gna_interval SECONDS
//	interface IFNAME
//	interfaces { IFNAME... }
var garpGroupTable = table{
	"garp_interval": objKw(func(d *decoder, gg *GARPGroup, c *syntax.Stmt) {
		garpGroupInterval(d, c, "garp_interval", &gg.GARPInterval, &gg.hasGARP)
	}),
	"gna_interval": objKw(func(d *decoder, gg *GARPGroup, c *syntax.Stmt) {
		garpGroupInterval(d, c, "gna_interval", &gg.GNAInterval, &gg.hasGNA)
	}),
	"interface": objKw(func(d *decoder, gg *GARPGroup, c *syntax.Stmt) {
		if v, ok := d.arg(c, 1); ok {
			garpGroupAddIf(d, gg, v, c.WordPos(1))
		}
	}),
	"interfaces": objBlockKw(func(d *decoder, gg *GARPGroup, c *syntax.Stmt) {
		lines := d.valueStmts(c)
		if len(lines) == 0 {
			d.errorf(c, 0, "Warning - empty garp_group interfaces block")
			return
		}
		d.garpIfBlocks++
		// numbered only with an interfaces block, after the
		// groups kept so far that have one
		gg.aggregation = 1
		for _, g := range d.cfg.GARPGroups {
			if g.aggregation != 0 {
				gg.aggregation++
			}
		}
		// keepalived checks the names once the block is read
		for _, l := range lines {
			for i := range l.Words {
				garpGroupAddIf(d, gg, word(l, i), c.Close())
			}
		}
	}),
}

// garpGroupInterval reads garp_interval or gna_interval.
func garpGroupInterval(d *decoder, c *syntax.Stmt, name string, dst *time.Duration, has *bool) {
	v, ok := d.readDecimal(c, 1, 0, 1<<31-1, timerHzDigits, true)
	if !ok {
		d.errorf(c, 1, "garp_group %s '%s' invalid", name, word(c, 1))
		return
	}
	*dst = usDuration(v)
	*has = true
	if *dst >= time.Second {
		d.vlogInfo(c.WordPos(1), "The %s is very large - %s seconds", name, word(c, 1))
	}
}

// garpGroupAddIf adds interface name to gg, once among all garp groups.
func garpGroupAddIf(d *decoder, gg *GARPGroup, name string, pos Pos) {
	if !d.ifExists(name, pos) {
		if d.cfg.Global.DynamicInterfaces {
			d.vlogInfo(pos, "WARNING - interface %s specified for garp_group doesn't exist", name)
		} else {
			d.gerr(pos, "WARNING - interface %s specified for garp_group doesn't exist", name)
		}
		return
	}
	for _, g := range d.cfg.GARPGroups {
		for _, i := range g.Interfaces {
			if i == name {
				d.gerr(pos, "garp_group already specified for %s - ignoring", name)
				return
			}
		}
	}
	for _, i := range gg.Interfaces {
		if i == name {
			d.gerr(pos, "garp_group already specified for %s - ignoring", name)
			return
		}
	}
	gg.Interfaces = append(gg.Interfaces, name)
}

// ---- vrrp_instance ----

// decodeVRRPInstance decodes "vrrp_instance NAME { ... }": its keywords
// are vrrpInstanceTable's families (instance*Keywords, trackKeywords).
func decodeVRRPInstance(d *decoder, s *syntax.Stmt) {
	if len(s.Words) != 2 {
		d.errorf(s, 0, "vrrp_instance must have a name")
		return
	}
	name := word(s, 1)
	if findInstance(d, name) != nil {
		d.errorf(s, 1, "vrrp instance %s already defined", name)
		return
	}
	g := &d.cfg.Global
	v := &VRRPInstance{
		Pos: s.Pos(), Name: name, UnicastTTL: -1,
		GARPMasterDelay: g.VRRPGARPMasterDelay, GARPMasterRepeat: g.VRRPGARPMasterRepeat,
		GARPMasterRefresh: g.VRRPGARPMasterRefresh, GARPMasterRefreshRepeat: g.VRRPGARPMasterRefreshRepeat,
		DownTimerAdverts: g.VRRPDownTimerAdverts, SkipCheckAdvAddr: g.VRRPSkipCheckAdvAddr,
	}
	d.cfg.VRRPInstances = append(d.cfg.VRRPInstances, v)
	d.walk("vrrp_instance", s.Block, boundKeywords{vrrpInstanceIndex, v})

	// vrrp_end_handler: its messages are at the closing '}', where
	// keepalived runs it
	if v.UnicastConfigured && (v.UseVMAC || v.UseIPVLAN) {
		if v.Interface == "" {
			d.gerr(s.Close(), "(%s): Cannot use VMAC/ipvlan with unicast and no interface - clearing use_vmac", name)
			v.UseVMAC, v.UseIPVLAN, v.VMACName, v.IPVLANName = false, false, "", ""
		} else if !v.VMACXmitBase {
			d.gerr(s.Close(), "(%s) unicast with use_vmac requires vmac_xmit_base - setting", name)
			v.VMACXmitBase = true
		}
	}
	if len(v.UnicastPeers) == 0 && v.UnicastTTL != -1 {
		d.gerr(s.Close(), "(%s): Cannot use unicast_ttl without unicast peers - resetting", name)
		v.UnicastTTL = 0
	}
	if v.Interface == "" {
		v.LinkbeatUsePolling = false
	}
}

func instRepeat(d *decoder, c *syntax.Stmt, name, kwname string) (uint32, bool) {
	n, ok := d.readUnsigned(c, 1, 0, 0xffffffff)
	if !ok {
		d.errorf(c, 1, "(%s): %s '%s' invalid - ignoring", name, kwname, word(c, 1))
		return 0, false
	}
	if n == 0 {
		d.errorf(c, 1, "(%s): %s must be greater than 0, setting to 1", name, kwname)
		n = 1
	}
	return uint32(n), true
}

func decodeGARPExtraIf(d *decoder, c *syntax.Stmt, v *VRRPInstance) {
	cmd := c.Keyword()
	if cmd == "vmac_garp_intvl" {
		d.deprecated(c, "Keyword \"vmac_garp_intvl\" is deprecated - please use \"garp_extra_if\"")
	}
	delay := int64(-1)
	all := false
	for i := 1; i < len(c.Words); i++ {
		if word(c, i) == "all" {
			all = true
			continue
		}
		n, ok := d.readUnsigned(c, i, 0, 86400)
		if !ok {
			d.errorf(c, i, "(%s): %s '%s' invalid - ignoring", v.Name, cmd, word(c, i))
			return
		}
		delay = int64(n)
	}
	if all {
		v.GARPExtraIfAll = true
	}
	if delay < 0 {
		d.errorf(c, 0, "(%s): %s specified without time - ignoring", v.Name, cmd)
		return
	}
	v.GARPExtraIf = secondsDur(uint64(delay))
	v.garpExtraSet = true
}

func decodeSrcIP(d *decoder, c *syntax.Stmt, v *VRRPInstance) {
	str, ok := d.arg(c, 1)
	if !ok {
		return
	}
	a, ok := parseSockAddr(str)
	if !ok {
		d.errorf(c, 1, "Configuration error: VRRP instance[%s] malformed src address[%s]. Skipping...", v.Name, str)
		return
	}
	if !v.familyOf(a) {
		d.errorf(c, 1, "Configuration error: VRRP instance[%s] and src address[%s] MUST be of the same family !!! Skipping...", v.Name, str)
		v.SrcIP = netip.Addr{}
		v.saddrFromCfg = false
		return
	}
	v.SrcIP = a
	v.saddrFromCfg = true
}

func decodeUnicastPeer(d *decoder, l *syntax.Stmt, v *VRRPInstance) {
	str := word(l, 0)
	a, ok := parseSockAddr(str)
	if !ok {
		d.errorf(l, 0, "Configuration error: VRRP instance[%s] malformed unicast peer address[%s]. Skipping...", v.Name, str)
		return
	}
	if !v.familyOf(a) {
		d.errorf(l, 0, "Configuration error: VRRP instance[%s] and unicast peer address[%s] MUST be of the same family !!! Skipping...", v.Name, str)
		return
	}
	p := UnicastPeer{Pos: l.Pos(), Address: a, MinTTL: 0, MaxTTL: 255}
	for i := 1; i < len(l.Words); i += 2 {
		if i+1 >= len(l.Words) {
			d.errorf(l, i, "(%s) %s is missing a value", v.Name, word(l, i))
			break
		}
		n, ok := d.readUnsignedStr(l.WordPos(i+1), word(l, i+1), 0, 255)
		if !ok {
			continue
		}
		switch word(l, i) {
		case "min_ttl":
			p.MinTTL = int(n)
		case "max_ttl":
			p.MaxTTL = int(n)
		default:
			d.errorf(l, i, "(%s) unknown unicast_peer option %s", v.Name, word(l, i))
			i = len(l.Words)
			continue
		}
		v.CheckUnicastSrc = true
	}
	// keepalived 2.3.3 and later drop a peer given twice, as a config
	// error; 2.2.7 keeps both, silently.
	if d.opt.Compat.AtLeast(2, 3, 3) && slices.ContainsFunc(v.UnicastPeers, func(o UnicastPeer) bool { return o.Address == a }) {
		d.errorf(l, 0, "(%s) %s - duplicate unicast_peer", v.Name, str)
		return
	}
	if p.MinTTL > p.MaxTTL {
		d.errorf(l, 0, "(%s) min_ttl %d > max_ttl %d - all packets will be discarded", v.Name, p.MinTTL, p.MaxTTL)
	}
	v.UnicastPeers = append(v.UnicastPeers, p)
}

// validIfName is the kernel's dev_valid_name.
func validIfName(name string) bool {
	if name == "" || len(name) >= 16 || name == "." || name == ".." {
		return false
	}
	return !strings.ContainsAny(name, "/: \t\n\v\f\r")
}

func decodeUseVMAC(d *decoder, c *syntax.Stmt, v *VRRPInstance) {
	v.UseVMAC = true
	for i := 1; i < len(c.Words) && i <= 2; i++ {
		w := word(c, i)
		if strings.Contains(w, ":") {
			if v.VMACMAC != "" {
				d.errorf(c, i, "VMAC interface address already specified")
				continue
			}
			if strings.Trim(w, "0123456789ABCDEFabcdef:") != "" {
				d.errorf(c, i, "VMAC invalid MAC address %s", w)
				continue
			}
			parts := strings.Split(strings.TrimSuffix(w, ":"), ":")
			bad := len(parts) != 5 && len(parts) != 6
			var b0 uint64
			for j, p := range parts {
				if len(p) == 0 || len(p) > 2 {
					bad = true
					break
				}
				if j == 0 {
					b0, _ = parseHex(p)
				}
			}
			switch {
			case bad:
				d.errorf(c, i, "VMAC invalid MAC address %s - ignored", w)
			case b0&1 != 0:
				d.errorf(c, i, "VMAC MAC address is multicast %s - ignoring", w)
			case len(parts) >= 5 && strings.EqualFold(strings.Join(parts[:4], ":"), "00:00:5e:00") && (parts[4] == "01" || parts[4] == "1" || parts[4] == "02" || parts[4] == "2"):
				d.errorf(c, i, "VMAC MAC address not allowed to be RFC5798 address (%s) - ignoring", w)
			default:
				v.VMACMAC = w
			}
			continue
		}
		if v.VMACName != "" {
			d.errorf(c, i, "VMAC interface name already specified")
			continue
		}
		if !validIfName(w) {
			d.errorf(c, i, "VMAC interface name '%s' too long or invalid characters - ignoring", w)
			continue
		}
		if o := vmacUser(d, w, v); o != nil {
			d.errorf(c, i, "(%s) VRRP instance %s is already using %s - ignoring name", v.Name, o.Name, w)
			continue
		}
		if kind, ok := d.linkKind(w); ok && kind != "macvlan private" {
			d.errorf(c, i, "(%s) interface %s already exists and is not a private macvlan; ignoring vmac if_name", v.Name, w)
			continue
		}
		v.VMACName = w
	}
}

// linkKind is Options.LinkKind, false when it is not set.
func (d *decoder) linkKind(name string) (string, bool) {
	if d.opt.LinkKind == nil {
		return "", false
	}
	return d.opt.LinkKind(name)
}

func vmacUser(d *decoder, name string, self *VRRPInstance) *VRRPInstance {
	for _, o := range d.cfg.VRRPInstances {
		if o != self && (o.VMACName == name || o.IPVLANName == name) {
			return o
		}
	}
	return nil
}

func parseHex(s string) (uint64, bool) {
	var v uint64
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= '0' && c <= '9':
			v = v*16 + uint64(c-'0')
		case c >= 'a' && c <= 'f':
			v = v*16 + uint64(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

func decodeUseIPVLAN(d *decoder, c *syntax.Stmt, v *VRRPInstance) {
	if v.UseIPVLAN {
		d.errorf(c, 0, "(%s) use_ipvlan already specified", v.Name)
		return
	}
	v.UseIPVLAN = true
	for i := 1; i < len(c.Words); i++ {
		w := word(c, i)
		switch w {
		case "bridge", "private", "vepa":
			if v.IPVLANType != "" {
				d.errorf(c, i, "(%s) ipvlan type already specified - ignoring '%s'", v.Name, w)
			} else {
				v.IPVLANType = w
			}
			continue
		}
		a, _, _ := strings.Cut(w, "/")
		if _, err := netip.ParseAddr(a); err == nil {
			p, ok := d.parseAddrPrefix(c.WordPos(i), w, true)
			if !ok {
				continue
			}
			if v.IPVLANAddr.IsValid() {
				d.errorf(c, i, "(%s) ipvlan address already specified - ignoring '%s'", v.Name, w)
				continue
			}
			if !v.familyOf(p.Addr()) {
				d.errorf(c, i, "(%s) ipvlan address[%s] MUST match vrrp instance family !!! Skipping...", v.Name, w)
				continue
			}
			v.IPVLANAddr = p
			if !v.SrcIP.IsValid() {
				v.SrcIP = p.Addr()
				v.saddrFromCfg = true
			}
			continue
		}
		if v.IPVLANName != "" {
			d.errorf(c, i, "(%s) IPVLAN interface already specified - ignoring '%s'", v.Name, w)
			continue
		}
		if len(w) >= 16 {
			d.errorf(c, i, "(%s) IPVLAN interface name '%s' too long - ignoring", v.Name, w)
			continue
		}
		if o := vmacUser(d, w, v); o != nil {
			d.errorf(c, i, "(%s) VRRP instance %s is already using %s - ignoring name", v.Name, o.Name, w)
			continue
		}
		if kind, ok := d.linkKind(w); ok && kind != "ipvlan l2" {
			d.errorf(c, i, "(%s) interface %s already exists and is not an l2 ipvlan; ignoring ipvlan if_name", v.Name, w)
			continue
		}
		v.IPVLANName = w
	}
}

// vrrpInstanceTable holds the vrrp_instance keywords, built once: the
// instance a handler decodes into is d.obj, bound by boundKeywords.
var (
	vrrpInstanceTable table
	vrrpInstanceIndex = indexOf(&vrrpInstanceTable)
	authTable         table
)

func init() {
	vrrpInstanceTable = mergeTables(
		instanceLinkKeywords(),
		instanceUnicastKeywords(),
		instanceProtocolKeywords(),
		instanceAddressKeywords(),
		instanceNotifyKeywords(),
		instanceGARPKeywords(),
		trackKeywords(func(d *decoder) (string, *trackBlocks) {
			v := d.obj.(*VRRPInstance)
			return v.Name, &v.trackBlocks
		}),
		table{"authentication": objBlockKw(decodeAuthentication), "auth_hmac": objBlockKw(decodeAuthHMAC)},
	)
	authTable = table{
		"auth_type": objKw(decodeAuthType),
		"auth_pass": objKw(decodeAuthPass),
	}
}

// instBoolKw is an instance's optional boolean, kept as given (nil: not
// configured).
func instBoolKw(kwname string, dst func(v *VRRPInstance) **bool) kw {
	return objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
		if b, ok := d.boolArg(c, 1, "("+v.Name+") invalid "+kwname+" %s specified"); ok {
			*dst(v) = &b
		}
	})
}

// instNotifyKw is an instance's notify script keyword, given once.
func instNotifyKw(kwname string, dst func(v *VRRPInstance) **Script) kw {
	return objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
		notifyOnce(d, c, v.Name, dst(v), kwname, "(%s) %s script already specified - ignoring %s")
	})
}

// decodeAuthentication decodes a vrrp_instance's authentication block:
//
//	authentication {
//		auth_type PASS|AH
//		auth_pass PASSWORD
//	}
func decodeAuthentication(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
	d.walk("authentication", c.Block, boundKeywords{authTable, v})
}

func decodeAuthType(d *decoder, v *VRRPInstance, a *syntax.Stmt) {
	str, ok := d.arg(a, 1)
	if !ok {
		return
	}
	if str == "AH" || str == "PASS" {
		v.AuthType = str
	} else {
		d.errorf(a, 1, "(%s) unknown authentication type '%s'", v.Name, str)
	}
}

func decodeAuthPass(d *decoder, v *VRRPInstance, a *syntax.Stmt) {
	str, ok := d.arg(a, 1)
	if !ok {
		return
	}
	if len(str) > 8 {
		d.errorf(a, 1, "Truncating auth_pass to %d characters", 8)
		str = str[:8]
	}
	v.AuthPass = str
}

// instanceLinkKeywords decodes the links a vrrp_instance runs over:
//
//	interface IFNAME
//	vrf IFNAME
//	use_vmac [NAME] [MAC]
//	use_vmac_addr
//	vmac_xmit_base
//	use_ipvlan [NAME] [ADDRESS] [bridge|private|vepa]
//	dont_track_primary
//	linkbeat_use_polling  (deprecated here)
//	kernel_rx_buf_size BYTES
func instanceLinkKeywords() table {
	return table{
		"interface": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			ifn, ok := d.arg(c, 1)
			if !ok {
				return
			}
			if len(ifn) >= 16 {
				d.errorf(c, 1, "Interface name '%s' too long - ignoring", ifn)
				return
			}
			if ifn == "lo" {
				d.errorf(c, 1, "(%s) cannot use a loopback interface (%s) for vrrp - ignoring", v.Name, ifn)
				v.Interface = ""
				return
			}
			if !d.ifExists(ifn, c.WordPos(1)) {
				d.errorf(c, 1, "WARNING - interface %s for vrrp_instance %s doesn't exist", ifn, v.Name)
				v.Interface = ""
				return
			}
			v.Interface = ifn
			v.ifPos = c.WordPos(1)
		}),
		"vrf": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			ifn, ok := d.arg(c, 1)
			if !ok {
				return
			}
			switch {
			case len(ifn) >= 16:
				d.errorf(c, 1, "(%s) VRF interface name '%s' too long - ignoring", v.Name, ifn)
			case v.Interface != "":
				d.errorf(c, 1, "(%s) Cannot specify VRF interface and interface - ignoring", v.Name)
			case v.VRF != "":
				d.errorf(c, 1, "(%s) VRF interface already specified as '%s' - ignoring", v.Name, v.VRF)
			case !d.ifExists(ifn, c.WordPos(1)):
				d.errorf(c, 1, "(%s) WARNING - VRF interface %s doesn't exist", v.Name, ifn)
			default:
				v.VRF = ifn
			}
		}),
		"use_vmac":           objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) { decodeUseVMAC(d, c, v) }),
		"use_vmac_addr":      objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) { v.UseVMACAddr = true }),
		"vmac_xmit_base":     objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) { v.VMACXmitBase = true }),
		"use_ipvlan":         objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) { decodeUseIPVLAN(d, c, v) }),
		"dont_track_primary": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) { v.DontTrackPrimary = true }),
		"linkbeat_use_polling": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			v.LinkbeatUsePolling = true
			d.errorf(c, 0, "(%s) 'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block", v.Name)
		}),
		"kernel_rx_buf_size": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			if len(c.Words) == 2 {
				if n, ok := d.readUnsigned(c, 1, 0, 0xffffffff); ok {
					v.KernelRxBufSize = uint32(n)
					return
				}
			}
			d.errorf(c, 1, "(%s) invalid kernel_rx_buf_size specified", v.Name)
		}),
	}
}

// instanceUnicastKeywords decodes where a vrrp_instance's adverts go and come from:
//
//	unicast_peer { ADDRESS [min_ttl N] [max_ttl N] ... }
//	unicast_src_ip|mcast_src_ip ADDRESS
//	mcast_dst_ip ADDRESS
//	unicast_ttl 0..255
//	unicast_fault_no_peer
//	check_unicast_src
//	old_unicast_checksum [never]
//	track_src_ip
func instanceUnicastKeywords() table {
	return table{
		"unicast_peer": objBlockKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			v.UnicastConfigured = true
			for _, l := range d.valueStmts(c) {
				decodeUnicastPeer(d, l, v)
			}
		}),
		"unicast_fault_no_peer": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			v.UnicastConfigured, v.UnicastFaultNoPeer = true, true
		}),
		"check_unicast_src": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) { v.UnicastConfigured, v.CheckUnicastSrc = true, true }),
		"old_unicast_checksum": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			v.UnicastConfigured = true
			if w, ok := optArg(c, 1); ok {
				if w == "never" {
					v.OldUnicastChecksum = "never"
				} else {
					d.errorf(c, 1, "(%s) Unknown old_unicast_chksum mode %s - ignoring", v.Name, w)
				}
			} else {
				v.OldUnicastChecksum = "config"
			}
		}),
		"mcast_src_ip": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) { decodeSrcIP(d, c, v) }),
		"unicast_src_ip": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			v.UnicastConfigured = true
			decodeSrcIP(d, c, v)
		}),
		"mcast_dst_ip": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			str, ok := d.arg(c, 1)
			if !ok {
				return
			}
			a, ok := parseSockAddr(str)
			if !ok {
				d.errorf(c, 1, "(%s) malformed mcast dest address %s. Skipping...", v.Name, str)
				return
			}
			if !v.familyOf(a) {
				d.errorf(c, 1, "(%s) mcast dest address %s MUST match VRRP instance family. Skipping...", v.Name, str)
				return
			}
			if (a.Is4() && !a.IsMulticast()) || (a.Is6() && !a.IsLinkLocalMulticast()) {
				ll := ""
				if a.Is6() {
					ll = " link-local"
				}
				d.errorf(c, 1, "(%s) mcast_dst_ip %s not%s multicast. Skipping...", v.Name, str, ll)
				return
			}
			v.McastDstIP = a
		}),
		"track_src_ip": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) { v.TrackSrcIP = true }),
		"unicast_ttl": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			n, ok := d.readUnsigned(c, 1, 0, 255)
			if !ok {
				d.errorf(c, 1, "(%s): TTL '%s' not valid - must be between 0 & 255", v.Name, word(c, 1))
				return
			}
			v.UnicastTTL = int(n)
		}),
	}
}

// instanceProtocolKeywords decodes a vrrp_instance's protocol settings:
//
//	state MASTER|BACKUP
//	virtual_router_id 1..255
//	version 2|3
//	native_ipv6
//	priority 1..255
//	advert_int SECONDS
//	accept | no_accept
//	preempt | nopreempt
//	preempt_delay SECONDS
//	skip_check_adv_addr [BOOL]
//	strict_mode [BOOL]
//	lower_prio_no_advert|higher_prio_send_advert [BOOL]
//	v3_checksum_as_v2 [BOOL]
//	owner_ignore_adverts [BOOL]
//	timer_expired_backup|thread_timer_expired [1..254]
//	debug 0..4
//	authentication { auth_type PASS|AH; auth_pass PASSWORD }
//	auth_hmac { key ID VALUE; active_key ID; … } (vrrp_hmac.go)
func instanceProtocolKeywords() table {
	return table{
		"native_ipv6": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			if v.Family == 4 {
				d.errorf(c, 0, "(%s) Cannot specify native_ipv6 with IPv4 addresses", v.Name)
				return
			}
			v.Family = 6
			v.Version = 3
		}),
		"state": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			str, ok := d.arg(c, 1)
			if !ok {
				return
			}
			switch str {
			case "MASTER":
				v.stateSet = StateMaster
			case "BACKUP":
				if v.stateSet == StateMaster {
					d.errorf(c, 1, "(%s) state previously set as MASTER - ignoring BACKUP", v.Name)
				} else {
					v.stateSet = StateBackup
				}
			default:
				d.errorf(c, 1, "(%s) unknown state '%s', defaulting to BACKUP", v.Name, str)
				v.stateSet = StateBackup
			}
		}),
		"virtual_router_id": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			n, ok := d.readUnsigned(c, 1, 1, 255)
			if !ok {
				d.errorf(c, 1, "(%s): VRID '%s' not valid - must be between 1 & 255", v.Name, word(c, 1))
				return
			}
			v.VRID = int(n)
		}),
		"version": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			n, ok := d.readInt(c, 1, 2, 3)
			if !ok {
				d.errorf(c, 1, "(%s): Version must be either 2 or 3", v.Name)
				return
			}
			if (v.Version != 0 && v.Version != int(n)) || (n == 2 && v.Family == 6) {
				d.errorf(c, 1, "(%s) vrrp_version %d conflicts with configured or deduced version %d; ignoring.", v.Name, n, v.Version)
				return
			}
			v.Version = int(n)
		}),
		"priority": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			n, ok := d.readUnsigned(c, 1, 1, 255)
			if !ok {
				d.errorf(c, 1, "(%s) Priority not valid! must be between 1 & %d. Using default %d", v.Name, 255, 100)
				n = 100
			}
			v.Priority = int(n)
		}),
		"advert_int": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			n, ok := d.readDecimal(c, 1, timerHz/100, 255*timerHz, timerHzDigits, true)
			if !ok || n == 0 {
				d.errorf(c, 1, "(%s) Advert interval (%s) not valid! Must be > 0 - ignoring", v.Name, word(c, 1))
				return
			}
			v.advertRaw = n
		}),
		"accept": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			t := true
			v.acceptRaw = &t
		}),
		"no_accept": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			f := false
			v.acceptRaw = &f
		}),
		"skip_check_adv_addr": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			// 2.2.7 sets the flag for any valid boolean, even false
			if _, ok := d.boolArg(c, 1, "("+v.Name+") invalid skip_check_adv_addr %s specified"); ok {
				v.SkipCheckAdvAddr = true
			}
		}),
		"strict_mode": instBoolKw("strict_mode", func(v *VRRPInstance) **bool { return &v.strictRaw }),
		"preempt":     objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) { v.Nopreempt = false }),
		"nopreempt":   objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) { v.Nopreempt = true }),
		"preempt_delay": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			n, ok := d.readDecimal(c, 1, 0, 1000*timerHz, timerHzDigits, true)
			if !ok {
				d.errorf(c, 1, "(%s) Preempt_delay not valid! must be between 0-%d", v.Name, 1000)
				n = 0
			}
			v.PreemptDelay = usDuration(n)
		}),
		"debug": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			n, ok := d.readUnsigned(c, 1, 0, 4)
			if !ok {
				d.errorf(c, 1, "(%s) Debug value '%s' not valid; must be between 0-4", v.Name, word(c, 1))
				return
			}
			v.Debug = int(n)
		}),
		"lower_prio_no_advert":    instBoolKw("lower_prio_no_advert", func(v *VRRPInstance) **bool { return &v.lowerPrioRaw }),
		"higher_prio_send_advert": instBoolKw("higher_prio_send_advert", func(v *VRRPInstance) **bool { return &v.higherPrioRaw }),
		"v3_checksum_as_v2":       instBoolKw("v3_checksum_as_v2", func(v *VRRPInstance) **bool { return &v.v3ChecksumRaw }),
		"owner_ignore_adverts":    instBoolKw("owner_ignore_adverts", func(v *VRRPInstance) **bool { return &v.ownerIgnRaw }),
		"timer_expired_backup":    objKw(decodeTimerExpiredBackup),
		"thread_timer_expired": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			d.errorf(c, 0, "(%s) thread_timer_expired - please replace with keyword 'timer_expired_backup'", v.Name)
			decodeTimerExpiredBackup(d, v, c)
		}),
	}
}

// instanceAddressKeywords decodes the addresses, routes and rules a vrrp_instance owns:
//
//	virtual_ipaddress { ADDRESS[/LEN] [dev IFNAME] ... }
//	virtual_ipaddress_excluded { ... }
//	virtual_routes { ROUTE ... }
//	virtual_rules { RULE ... }
//	promote_secondaries
//	no_virtual_ipaddress
func instanceAddressKeywords() table {
	return table{
		"virtual_ipaddress": objBlockKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			for _, l := range d.valueStmts(c) {
				ip, ok := d.decodeIPAddress(l, false)
				if !ok {
					continue
				}
				if !v.familyOf(ip.Prefix.Addr()) {
					d.errorf(l, 0, "(%s): address family must match VRRP instance [%s] - ignoring", v.Name, word(l, 0))
					continue
				}
				if !vipDuplicate(d, v, l, ip, false) {
					v.VIPs = append(v.VIPs, ip)
				}
			}
		}),
		"virtual_ipaddress_excluded": objBlockKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			for _, l := range d.valueStmts(c) {
				if ip, ok := d.decodeIPAddress(l, false); ok && !vipDuplicate(d, v, l, ip, true) {
					v.EVIPs = append(v.EVIPs, ip)
				}
			}
		}),
		"promote_secondaries":  objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) { v.PromoteSecondaries = true }),
		"no_virtual_ipaddress": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) { v.NoVirtualIPAddress = true }),
		"virtual_routes": objBlockKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			for _, l := range d.valueStmts(c) {
				if r, ok := d.decodeRoute(l, false); ok {
					v.VRoutes = append(v.VRoutes, r)
				}
			}
		}),
		"virtual_rules": objBlockKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			for _, l := range d.valueStmts(c) {
				if r, ok := d.decodeRule(l, false); ok {
					v.VRules = append(v.VRules, r)
				}
			}
		}),
	}
}

// instanceNotifyKeywords decodes whom a vrrp_instance tells of its changes:
//
//	notify|notify_master|notify_backup|notify_fault|notify_stop SCRIPT [USER [GROUP]]
//	notify_master_rx_lower_pri SCRIPT [USER [GROUP]]
//	notify_deleted [SCRIPT [USER [GROUP]]]
//	notify_priority_changes [BOOL]
//	smtp_alert [BOOL]
//	lvs_sync_daemon_interface IFNAME  (deprecated)
func instanceNotifyKeywords() table {
	return table{
		"notify_backup":              instNotifyKw("notify_backup", func(v *VRRPInstance) **Script { return &v.NotifyBackup }),
		"notify_master":              instNotifyKw("notify_master", func(v *VRRPInstance) **Script { return &v.NotifyMaster }),
		"notify_fault":               instNotifyKw("notify_fault", func(v *VRRPInstance) **Script { return &v.NotifyFault }),
		"notify_stop":                instNotifyKw("notify_stop", func(v *VRRPInstance) **Script { return &v.NotifyStop }),
		"notify":                     instNotifyKw("notify", func(v *VRRPInstance) **Script { return &v.Notify }),
		"notify_master_rx_lower_pri": instNotifyKw("notify_master_rx_lower_pri", func(v *VRRPInstance) **Script { return &v.NotifyMasterRxLowerPri }),
		"notify_deleted": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			if v.NotifyDeleted {
				d.errorf(c, 1, "(%s) notify_deleted already specified - ignoring %s", v.Name, word(c, 1))
				return
			}
			if len(c.Words) > 1 {
				v.NotifyDeletedScript = d.notifyScript(c, "notify", phaseVRRP)
			}
			v.NotifyDeleted = true
		}),
		"smtp_alert": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			if b, ok := d.boolArg(c, 1, "Invalid vrrp_instance smtp_alert parameter %s"); ok {
				v.smtpRaw = &b
			}
		}),
		"notify_priority_changes": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			if b, ok := d.boolArg(c, 1, "("+v.Name+") Invalid value '%s' for notify_priority_changes specified"); ok {
				v.notifyPrioRaw = &b
			}
		}),
		"lvs_sync_daemon_interface": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			d.errorf(c, 0, "(%s) Specifying lvs_sync_daemon_interface against a vrrp is deprecated.", v.Name)
			d.errorf(c, 0, "      %sPlease use global lvs_sync_daemon", strings.Repeat(" ", max(len(v.Name)-2, 0)))
			if sd := d.cfg.Global.LVSSyncDaemon; sd != nil {
				d.errorf(c, 1, "(%s) lvs_sync_daemon_interface has already been specified as %s - ignoring", v.Name, sd.Interface)
				return
			}
			if ifn, ok := d.arg(c, 1); ok {
				d.cfg.Global.LVSSyncDaemon = &LVSSyncDaemon{Pos: c.Pos(), Interface: ifn, Instance: v.Name, SyncID: -1, Port: 8848}
			}
		}),
	}
}

// instanceGARPKeywords decodes a vrrp_instance's gratuitous ARP / NA:
//
//	garp_master_delay SECONDS
//	garp_master_repeat|garp_master_refresh_repeat COUNT
//	garp_master_refresh SECONDS
//	garp_lower_prio_delay SECONDS
//	garp_lower_prio_repeat COUNT
//	down_timer_adverts 1..100
//	garp_extra_if SECONDS [all]  (vmac_garp_intvl deprecated)
func instanceGARPKeywords() table {
	return table{
		"garp_master_delay": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			n, ok := d.readUnsigned(c, 1, 0, 0xffffffff/timerHz)
			if !ok {
				d.errorf(c, 1, "(%s): garp_master_delay '%s' invalid - ignoring", v.Name, word(c, 1))
				return
			}
			v.GARPMasterDelay = secondsDur(n)
		}),
		"garp_master_refresh": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			n, ok := d.readUnsigned(c, 1, 0, 0xffffffff)
			if !ok {
				d.errorf(c, 1, "(%s): Invalid garp_master_refresh '%s' - ignoring", v.Name, word(c, 1))
				n = 0
			}
			v.GARPMasterRefresh = secondsDur(n)
		}),
		"garp_master_repeat": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			if n, ok := instRepeat(d, c, v.Name, "garp_master_repeat"); ok {
				v.GARPMasterRepeat = n
			}
		}),
		"garp_master_refresh_repeat": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			if n, ok := instRepeat(d, c, v.Name, "garp_master_refresh_repeat"); ok {
				v.GARPMasterRefreshRepeat = n
			}
		}),
		"garp_lower_prio_delay": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			n, ok := d.readUnsigned(c, 1, 0, 0xffffffff/timerHz)
			if !ok {
				d.errorf(c, 1, "(%s): garp_lower_prio_delay '%s' invalid - ignoring", v.Name, word(c, 1))
				return
			}
			dur := secondsDur(n)
			v.garpLPDelayRaw = &dur
		}),
		"garp_lower_prio_repeat": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			n, ok := d.readUnsigned(c, 1, 0, 1<<31-1)
			if !ok {
				d.errorf(c, 1, "(%s): Invalid garp_lower_prio_repeat '%s'", v.Name, word(c, 1))
				return
			}
			r := uint32(n)
			v.garpLPRepRaw = &r
		}),
		"down_timer_adverts": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
			n, ok := d.readUnsigned(c, 1, 1, 100)
			if !ok {
				d.errorf(c, 1, "(%s): Invalid down_timer_adverts [1:100] '%s'", v.Name, word(c, 1))
				return
			}
			v.DownTimerAdverts = int(n)
		}),
		"garp_extra_if":   objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) { decodeGARPExtraIf(d, c, v) }),
		"vmac_garp_intvl": objKw(func(d *decoder, v *VRRPInstance, c *syntax.Stmt) { decodeGARPExtraIf(d, c, v) }),
	}
}

// vipDuplicate is keepalived 2.4.3's vip_is_duplicate: an address already
// a VIP (on any interface, for a VIP), or an excluded VIP on the same
// interface. The same IPv6 link-local address
// on different interfaces is not a duplicate (keepalived issue #2573).
// From 2.3.3 a duplicate is dropped as a config error; 2.2.7 keeps it
// (--compat).
func vipDuplicate(d *decoder, v *VRRPInstance, l *syntax.Stmt, ip IPAddress, excluded bool) bool {
	// An address without dev has no interface yet here, as in keepalived.
	ifOf := func(a IPAddress) string {
		if a.Dev != "" {
			return a.Dev
		}
		return v.Interface
	}
	same := func(o IPAddress, anyIf bool) bool {
		a := ip.Prefix.Addr()
		if o.Prefix.Addr() != a {
			return false
		}
		if !anyIf {
			return o.Dev == ip.Dev
		}
		return !a.Is6() || !a.IsLinkLocalUnicast() || ifOf(o) == ifOf(ip)
	}
	if !d.opt.Compat.AtLeast(2, 3, 3) {
		return false // 2.2.7 keeps duplicates, silently
	}
	what := ""
	if excluded {
		what = "Excluded "
	}
	for _, o := range v.VIPs {
		if same(o, !excluded) {
			d.errorf(l, 0, "(%s): %sVIP duplicates a VIP %s - ignoring", v.Name, what, word(l, 0))
			return true
		}
	}
	for _, o := range v.EVIPs {
		if same(o, false) {
			d.errorf(l, 0, "(%s): %sVIP duplicates an excluded VIP %s - ignoring", v.Name, what, word(l, 0))
			return true
		}
	}
	return false
}

// decodeTimerExpiredBackup: the priority defaults to 254, the quickest
// take-over by another router.
func decodeTimerExpiredBackup(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
	n := uint64(254)
	if len(c.Words) >= 2 {
		var ok bool
		if n, ok = d.readUnsigned(c, 1, 1, 254); !ok {
			d.errorf(c, 1, "(%s) timer_expired_backup highest_other_priority not valid! must be between 1 & %d", v.Name, 254)
			return
		}
	}
	v.TimerExpiredBackup = int(n)
}
