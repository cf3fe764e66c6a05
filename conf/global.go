package conf

import (
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

// ProcessSched holds the scheduling keywords of one child process
// (vrrp_*, checker_*, bfd_*).
type ProcessSched struct {
	Priority     int    `json:"priority"`
	NoSwap       bool   `json:"no_swap,omitempty"`
	RTPriority   int    `json:"rt_priority,omitempty"`
	CPUAffinity  []int  `json:"cpu_affinity,omitempty"`
	RLimitRTTime uint64 `json:"rlimit_rttime"` // µs
}

// NotifyFIFO is a notify_fifo / vrrp_notify_fifo / lvs_notify_fifo.
type NotifyFIFO struct {
	Name   string  `json:"name,omitempty"`
	User   string  `json:"user,omitempty"`
	Group  string  `json:"group,omitempty"`
	Script *Script `json:"script,omitempty"`
}

// NetlinkBufs is one *_rcv_bufs / *_rcv_bufs_force pair.
type NetlinkBufs struct {
	Size  uint32 `json:"size,omitempty"`
	Force bool   `json:"force,omitempty"`
}

// LVSTimeouts is lvs_timeouts (0 = unset).
type LVSTimeouts struct {
	TCP    time.Duration `json:"tcp,omitempty"`
	TCPFin time.Duration `json:"tcpfin,omitempty"`
	UDP    time.Duration `json:"udp,omitempty"`
}

// LVSSyncDaemon is the global lvs_sync_daemon.
type LVSSyncDaemon struct {
	Pos       Pos        `json:"-"`
	Interface string     `json:"interface"`
	Instance  string     `json:"instance,omitempty"`
	SyncID    int        `json:"sync_id"` // -1: use the VRID of the instance
	MaxLen    uint16     `json:"maxlen,omitempty"`
	Port      uint16     `json:"port"`
	TTL       uint8      `json:"ttl,omitempty"`
	Group     netip.Addr `json:"group,omitzero"`
}

// SMTPServer is smtp_server.
type SMTPServer struct {
	Host string `json:"host"`
	Port uint16 `json:"port"`
}

// GlobalDefs is the global_defs block with keepalived 2.2.7's defaults.
type GlobalDefs struct {
	// identity and mail
	RouterID              string        `json:"router_id,omitempty"`
	NotificationEmail     []string      `json:"notification_email,omitempty"`
	NotificationEmailFrom string        `json:"notification_email_from,omitempty"`
	SMTPServer            *SMTPServer   `json:"smtp_server,omitempty"`
	SMTPHeloName          string        `json:"smtp_helo_name,omitempty"`
	SMTPConnectTimeout    time.Duration `json:"smtp_connect_timeout"`
	// SMTPAlert* are tri-state: nil means not configured.
	SMTPAlert             *bool `json:"smtp_alert,omitempty"`
	SMTPAlertVRRP         *bool `json:"smtp_alert_vrrp,omitempty"`
	SMTPAlertChecker      *bool `json:"smtp_alert_checker,omitempty"`
	NoEmailFaults         bool  `json:"no_email_faults,omitempty"`
	NoCheckerEmails       bool  `json:"no_checker_emails,omitempty"`
	CheckerLogAllFailures bool  `json:"checker_log_all_failures,omitempty"`

	// processes
	ProcessNames         bool         `json:"process_names,omitempty"`
	ProcessName          string       `json:"process_name,omitempty"`
	VRRPProcessName      string       `json:"vrrp_process_name,omitempty"`
	CheckerProcessName   string       `json:"checker_process_name,omitempty"`
	BFDProcessName       string       `json:"bfd_process_name,omitempty"`
	VRRPProcess          ProcessSched `json:"vrrp_process"`
	CheckerProcess       ProcessSched `json:"checker_process"`
	BFDProcess           ProcessSched `json:"bfd_process"`
	MaxAutoPriority      int          `json:"max_auto_priority"`
	MinAutoPriorityDelay int          `json:"min_auto_priority_delay"` // µs
	Umask                *uint32      `json:"umask,omitempty"`
	TmpConfigDirectory   string       `json:"tmp_config_directory,omitempty"`
	ConfigSaveDir        string       `json:"config_save_dir,omitempty"`

	// scripts
	ScriptUser            string  `json:"script_user"`
	ScriptGroup           string  `json:"script_group,omitempty"`
	ScriptUserSet         bool    `json:"script_user_set,omitempty"`
	EnableScriptSecurity  bool    `json:"enable_script_security"`
	StartupScript         *Script `json:"startup_script,omitempty"`
	StartupScriptTimeout  int     `json:"startup_script_timeout,omitempty"`
	ShutdownScript        *Script `json:"shutdown_script,omitempty"`
	ShutdownScriptTimeout int     `json:"shutdown_script_timeout,omitempty"`

	// notify FIFOs
	NotifyFIFO                  NotifyFIFO `json:"notify_fifo"`
	VRRPNotifyFIFO              NotifyFIFO `json:"vrrp_notify_fifo"`
	LVSNotifyFIFO               NotifyFIFO `json:"lvs_notify_fifo"`
	VRRPNotifyPriorityChanges   bool       `json:"vrrp_notify_priority_changes,omitempty"`
	FIFOWriteVRRPStatesOnReload bool       `json:"fifo_write_vrrp_states_on_reload,omitempty"`

	// VRRP defaults
	VRRPMcastGroup4             netip.Addr     `json:"vrrp_mcast_group4"`
	VRRPMcastGroup6             netip.Addr     `json:"vrrp_mcast_group6"`
	DefaultInterface            string         `json:"default_interface"`
	VRRPVersion                 int            `json:"vrrp_version"`
	VRRPGARPMasterDelay         time.Duration  `json:"vrrp_garp_master_delay"`
	VRRPGARPMasterRepeat        uint32         `json:"vrrp_garp_master_repeat"`
	VRRPGARPMasterRefresh       time.Duration  `json:"vrrp_garp_master_refresh"`
	VRRPGARPMasterRefreshRepeat uint32         `json:"vrrp_garp_master_refresh_repeat"`
	VRRPGARPLowerPrioDelay      *time.Duration `json:"vrrp_garp_lower_prio_delay,omitempty"`  // nil: = master delay
	VRRPGARPLowerPrioRepeat     *uint32        `json:"vrrp_garp_lower_prio_repeat,omitempty"` // nil: = master repeat
	VRRPGARPInterval            time.Duration  `json:"vrrp_garp_interval"`
	VRRPGNAInterval             time.Duration  `json:"vrrp_gna_interval"`
	VRRPMinGARP                 bool           `json:"vrrp_min_garp,omitempty"`
	VRRPGARPExtraIf             time.Duration  `json:"vrrp_garp_extra_if,omitempty"`
	VRRPGARPExtraIfAll          bool           `json:"vrrp_garp_extra_if_all,omitempty"`
	VRRPDownTimerAdverts        int            `json:"vrrp_down_timer_adverts"`
	VRRPLowerPrioNoAdvert       bool           `json:"vrrp_lower_prio_no_advert,omitempty"`
	VRRPHigherPrioSendAdvert    bool           `json:"vrrp_higher_prio_send_advert,omitempty"`
	VRRPCheckUnicastSrc         bool           `json:"vrrp_check_unicast_src,omitempty"`
	VRRPSkipCheckAdvAddr        bool           `json:"vrrp_skip_check_adv_addr,omitempty"`
	// V3ChecksumAsV2 and VRRPOwnerIgnoreAdverts are the instances'
	// defaults (keepalived 2.2.8 and 2.3.3).
	V3ChecksumAsV2         bool `json:"v3_checksum_as_v2,omitempty"`
	VRRPOwnerIgnoreAdverts bool `json:"vrrp_owner_ignore_adverts,omitempty"`
	// VRRPStrictVIPCheck (ours) restores 2.2.7's rejection of adverts
	// whose VIP list differs; by default they are accepted (RFC 9568).
	VRRPStrictVIPCheck     bool          `json:"vrrp_strict_vip_check,omitempty"`
	VRRPStrict             bool          `json:"vrrp_strict,omitempty"`
	VRRPStartupDelay       time.Duration `json:"vrrp_startup_delay,omitempty"`
	LogUnknownVRIDs        bool          `json:"log_unknown_vrids,omitempty"`
	VMACPrefix             string        `json:"vmac_prefix,omitempty"`
	VMACAddrPrefix         string        `json:"vmac_addr_prefix,omitempty"`
	VRRPRxBufsPolicyMTU    bool          `json:"vrrp_rx_bufs_policy_mtu,omitempty"`
	VRRPRxBufsPolicyAdvert bool          `json:"vrrp_rx_bufs_policy_advert,omitempty"`
	VRRPRxBufsSize         uint32        `json:"vrrp_rx_bufs_size,omitempty"`
	VRRPRxBufsMultiplier   uint32        `json:"vrrp_rx_bufs_multiplier"`
	DynamicInterfaces      bool          `json:"dynamic_interfaces,omitempty"`
	AllowIfChanges         bool          `json:"allow_if_changes,omitempty"`
	DisableLocalIGMP       bool          `json:"disable_local_igmp,omitempty"`

	// netlink buffers
	VRRPNetlinkCmdRcvBufs     NetlinkBufs `json:"vrrp_netlink_cmd_rcv_bufs"`
	VRRPNetlinkMonitorRcvBufs NetlinkBufs `json:"vrrp_netlink_monitor_rcv_bufs"`
	LVSNetlinkCmdRcvBufs      NetlinkBufs `json:"lvs_netlink_cmd_rcv_bufs"`
	LVSNetlinkMonitorRcvBufs  NetlinkBufs `json:"lvs_netlink_monitor_rcv_bufs"`
	ProcessMonitorRcvBufs     NetlinkBufs `json:"process_monitor_rcv_bufs"`

	// firewall
	VRRPIPSets              []string `json:"vrrp_ipsets,omitempty"`
	NFTables                string   `json:"nftables,omitempty"` // table name; empty: not used
	NFTablesPriority        int      `json:"nftables_priority"`
	NFTablesIfindex         bool     `json:"nftables_ifindex,omitempty"`
	NFTablesCounters        bool     `json:"nftables_counters,omitempty"`
	NFTablesIPVS            string   `json:"nftables_ipvs,omitempty"`
	NFTablesIPVSPriority    int      `json:"nftables_ipvs_priority"`
	NFTablesIPVSStartFwmark uint32   `json:"nftables_ipvs_start_fwmark"`

	// LVS
	LVSTimeouts    LVSTimeouts    `json:"lvs_timeouts"`
	LVSFlush       bool           `json:"lvs_flush,omitempty"`
	LVSFlushOnStop string         `json:"lvs_flush_on_stop,omitempty"` // "", "FULL", "VS"
	LVSSyncDaemon  *LVSSyncDaemon `json:"lvs_sync_daemon,omitempty"`
	RSInitNotifies bool           `json:"rs_init_notifies,omitempty"`

	// reload and misc
	ReloadCheckConfig    bool    `json:"reload_check_config,omitempty"`
	ReloadCheckConfigLog string  `json:"reload_check_config_log,omitempty"`
	ReloadTimeFile       string  `json:"reload_time_file,omitempty"`
	ReloadRepeat         bool    `json:"reload_repeat,omitempty"`
	ReloadFile           *string `json:"reload_file,omitempty"`
	IncludeCheck         string  `json:"include_check,omitempty"`
	RandomSeed           *uint32 `json:"random_seed,omitempty"`
	DataUseInstance      bool    `json:"data_use_instance,omitempty"`

	// SNMP and DBus
	SNMPSocket        string `json:"snmp_socket,omitempty"`
	EnableTraps       bool   `json:"enable_traps,omitempty"`
	EnableSNMPVRRP    bool   `json:"enable_snmp_vrrp,omitempty"`
	EnableSNMPRFCv2   bool   `json:"enable_snmp_rfcv2,omitempty"`
	EnableSNMPRFCv3   bool   `json:"enable_snmp_rfcv3,omitempty"`
	EnableSNMPChecker bool   `json:"enable_snmp_checker,omitempty"`
	EnableDBus        bool   `json:"enable_dbus,omitempty"`
	DBusServiceName   string `json:"dbus_service_name,omitempty"`

	// keepalived 2.2.8 to 2.4.3 (global243.go)
	V243 Global243 `json:"v243,omitzero"`

	st *vrrpState
}

// rtRlimitDefault is keepalived's RT_RLIMIT_DEFAULT (µs).
const rtRlimitDefault = 10000

func defaultGlobalDefs() GlobalDefs {
	return GlobalDefs{
		SMTPConnectTimeout:          30 * time.Second,
		MaxAutoPriority:             0,
		MinAutoPriorityDelay:        1000000,
		VRRPProcess:                 ProcessSched{RLimitRTTime: rtRlimitDefault},
		CheckerProcess:              ProcessSched{RLimitRTTime: rtRlimitDefault},
		BFDProcess:                  ProcessSched{RLimitRTTime: rtRlimitDefault},
		ScriptUser:                  "root",
		VRRPMcastGroup4:             netip.MustParseAddr("224.0.0.18"),
		VRRPMcastGroup6:             netip.MustParseAddr("ff02::12"),
		DefaultInterface:            "eth0",
		VRRPVersion:                 2,
		VRRPGARPMasterDelay:         5 * time.Second,
		VRRPGARPMasterRepeat:        5,
		VRRPGARPMasterRefreshRepeat: 1,
		VRRPDownTimerAdverts:        3,
		VRRPRxBufsMultiplier:        3,
		NFTablesPriority:            -1,
		NFTablesIPVSPriority:        -1,
		NFTablesIPVSStartFwmark:     1000,
	}
}

var globalDefsTable table

// process name keywords: keepalived truncates to TASK_COMM_LEN-1.
func processNameKw(set func(g *GlobalDefs, v string)) kw {
	return kw{fn: func(d *decoder, s *syntax.Stmt) {
		v, ok := optArg(s, 1)
		if !ok || v == "" {
			d.errorf(s, 1, "Process name missing")
			return
		}
		if len(v) > 15 {
			d.errorf(s, 1, "Process name %s more than %d characters, truncating", v, 15)
			v = v[:15]
		}
		set(&d.cfg.Global, v)
	}}
}

func priorityKw(proc string, get func(g *GlobalDefs) *ProcessSched) kw {
	return kw{fn: func(d *decoder, s *syntax.Stmt) {
		p := get(&d.cfg.Global)
		if len(s.Words) < 2 {
			d.errorf(s, 1, "No %s process priority specified", proc)
			p.Priority = 0
			return
		}
		v, ok := d.readInt(s, 1, -20, 19)
		if !ok {
			d.errorf(s, 1, "Invalid %s process priority specified", proc)
			v = 0
		}
		p.Priority = int(v)
	}}
}

func rtPriorityKw(proc string, get func(g *GlobalDefs) *ProcessSched) kw {
	return kw{fn: func(d *decoder, s *syntax.Stmt) {
		if len(s.Words) < 2 {
			d.errorf(s, 1, "No %s process real-time priority specified", proc)
			return
		}
		v, ok := d.readInt(s, 1, -1<<31, 1<<31-1)
		if !ok {
			d.errorf(s, 1, "%s process real-time priority '%s' invalid", proc, word(s, 1))
			return
		}
		if v < 1 {
			d.errorf(s, 1, "%s process real-time priority %d less than minimum %d - setting to minimum", proc, v, 1)
			v = 1
		} else if v > 99 {
			d.errorf(s, 1, "%s process real-time priority %d greater than maximum %d - setting to maximum", proc, v, 99)
			v = 99
		}
		get(&d.cfg.Global).RTPriority = int(v)
	}}
}

func cpuAffinityKw(proc string, get func(g *GlobalDefs) *ProcessSched) kw {
	return kw{fn: func(d *decoder, s *syntax.Stmt) {
		if len(s.Words) < 2 {
			d.errorf(s, 1, "No %s cpu_id set specified", proc)
			return
		}
		var cpus []int
		// keepalived checks against the CPUs online when it reads it
		hi := int64(runtime.NumCPU() - 1)
		for i := 1; i < len(s.Words); i++ {
			v, ok := d.readInt(s, i, 0, hi)
			if !ok {
				// keepalived names the number read before any junk
				u, _, _ := cStrtoul(trimCSpace(s.Words[i].Text), 10)
				d.errorf(s, i, "Invalid cpu_id:%d specified for %s process", int32(u), proc)
				get(&d.cfg.Global).CPUAffinity = nil
				return
			}
			cpus = append(cpus, int(v))
		}
		get(&d.cfg.Global).CPUAffinity = cpus
	}}
}

func rlimitKw(proc string, get func(g *GlobalDefs) *ProcessSched) kw {
	return kw{fn: func(d *decoder, s *syntax.Stmt) {
		k := s.Keyword()
		if strings.HasSuffix(k, "_rtime") {
			// 2.2.7 only logs this deprecation.
			d.vlogInfo(s.Pos(), "Keyword '%s' is deprecated - please use '%srttime'", k, strings.TrimSuffix(k, "rtime"))
		}
		v, ok := d.readUnsigned(s, 1, 1, 0xffffffff)
		if !ok {
			d.errorf(s, 1, "Invalid %s real-time limit - %s", proc, word(s, 1))
			get(&d.cfg.Global).RLimitRTTime = 0
			return
		}
		if v == 1 {
			v = 2
		}
		get(&d.cfg.Global).RLimitRTTime = v
	}}
}

func globalBoolKw(name string, set func(g *GlobalDefs, v bool)) kw {
	return kw{fn: func(d *decoder, s *syntax.Stmt) {
		v, ok := d.boolArg(s, 1, "Invalid value '%s' for global "+name+" specified")
		if ok {
			set(&d.cfg.Global, v)
		}
	}}
}

func rcvBufsKw(typ string, get func(g *GlobalDefs) *NetlinkBufs) kw {
	return kw{fn: func(d *decoder, s *syntax.Stmt) {
		if len(s.Words) < 2 {
			d.errorf(s, 1, "%s_rcv_bufs size missing", typ)
			return
		}
		v, ok := d.readUnsigned(s, 1, 0, 0xffffffff)
		if !ok {
			d.errorf(s, 1, "%s_rcv_bufs size (%s) invalid", typ, word(s, 1))
			return
		}
		if v != 0 {
			get(&d.cfg.Global).Size = uint32(v)
		}
	}}
}

func rcvBufsForceKw(typ string, get func(g *GlobalDefs) *NetlinkBufs) kw {
	return globalBoolKw(typ+"_rcv_bufs_force", func(g *GlobalDefs, v bool) { get(g).Force = v })
}

func notifyFIFOKw(typ string, get func(g *GlobalDefs) *NotifyFIFO) kw {
	return kw{fn: func(d *decoder, s *syntax.Stmt) {
		f := get(&d.cfg.Global)
		if len(s.Words) < 2 {
			d.errorf(s, 1, "No %snotify_fifo name specified", typ)
			return
		}
		if f.Name != "" {
			d.errorf(s, 1, "%snotify_fifo already specified - ignoring %s", typ, word(s, 1))
			return
		}
		// the fifo is owned by its user or the default script user;
		// keepalived drops it (and only logs) when that fails
		if len(s.Words) > 2 {
			if _, ok := d.lookupUser(s.Pos(), word(s, 2), word(s, 3)); !ok {
				d.vlogInfo(s.Pos(), "Invalid user/group for %s fifo (null) - ignoring", typ)
				return
			}
		} else if _, ok := d.defaultUser(s.Pos(), phaseGlobal, nil, nil); !ok {
			d.vlogInfo(s.Pos(), "Failed to set default user for %s fifo (null) - ignoring", typ)
			return
		}
		f.Name = word(s, 1)
		f.User = word(s, 2)
		f.Group = word(s, 3)
	}}
}

func notifyFIFOScriptKw(typ string, get func(g *GlobalDefs) *NotifyFIFO) kw {
	return kw{fn: func(d *decoder, s *syntax.Stmt) {
		f := get(&d.cfg.Global)
		if len(s.Words) < 2 {
			d.errorf(s, 1, "No %snotify_fifo_script specified", typ)
			return
		}
		if f.Script != nil {
			d.errorf(s, 1, "%snotify_fifo_script already specified - ignoring %s", typ, word(s, 1))
			return
		}
		f.Script = d.notifyScript(s, typ+"notify_fifo", phaseGlobal)
	}}
}

// garpRepeatKw handles the vrrp_garp_*_repeat keywords whose 0 is fixed
// up to 1.
func garpRepeatKw(name string, invalid string, set func(g *GlobalDefs, v uint32)) kw {
	return kw{fn: func(d *decoder, s *syntax.Stmt) {
		v, ok := d.readUnsigned(s, 1, 0, 0xffffffff)
		if !ok {
			d.errorf(s, 1, invalid, word(s, 1))
			return
		}
		if v == 0 {
			d.errorf(s, 1, "%s must be greater than 0, setting to 1", name)
			v = 1
		}
		set(&d.cfg.Global, uint32(v))
	}}
}

func garpIntervalKw(name string, set func(g *GlobalDefs, v time.Duration), get func(g *GlobalDefs) time.Duration) kw {
	return kw{fn: func(d *decoder, s *syntax.Stmt) {
		v, ok := d.readTimer(s, 1, 1, 0xffffffff)
		if !ok {
			d.errorf(s, 1, "%s '%s' is invalid", name, word(s, 1))
		} else {
			set(&d.cfg.Global, v)
		}
		if get(&d.cfg.Global) >= time.Second {
			d.vlogInfo(s.WordPos(1), "The %s is very large - %s seconds", name, word(s, 1))
		}
	}}
}

func init() {
	globalDefsTable = mergeTables(
		globalIdentityKeywords(),
		globalMailKeywords(),
		globalScriptKeywords(),
		globalSchedKeywords(),
		globalLVSKeywords(),
		globalInterfaceKeywords(),
		globalGARPKeywords(),
		globalVRRPKeywords(),
		globalFirewallKeywords(),
		globalNotifyKeywords(),
		globalSNMPKeywords(),
		globalNetlinkKeywords(),
		globalConfigKeywords(),
		global243Keywords(),
	)
}

// globalFlagKw is a global_defs keyword without arguments.
func globalFlagKw(f func(g *GlobalDefs)) kw {
	return flagKw(func(d *decoder) { f(&d.cfg.Global) })
}

func vrrpSched(g *GlobalDefs) *ProcessSched    { return &g.VRRPProcess }
func checkerSched(g *GlobalDefs) *ProcessSched { return &g.CheckerProcess }
func bfdSched(g *GlobalDefs) *ProcessSched     { return &g.BFDProcess }

func decodeGlobalDefs(d *decoder, s *syntax.Stmt) {
	d.walk("global_defs", s.Block, globalDefsTable)
}

func decodeSMTPServer(d *decoder, s *syntax.Stmt) {
	host, ok := d.arg(s, 1)
	if !ok {
		return
	}
	portStr := "25"
	if p, ok := optArg(s, 2); ok {
		portStr = p
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	// keepalived tries an address, then a name (getaddrinfo)
	resolves := host != "" && (net.ParseIP(host) != nil || inetAton(host) || d.opt.HostResolves == nil || d.opt.HostResolves(host))
	if err != nil || !resolves {
		d.errorf(s, 1, "Invalid smtp server %s %s", host, portStr)
		return
	}
	d.cfg.Global.SMTPServer = &SMTPServer{Host: host, Port: uint16(port)}
}

func startupShutdown(d *decoder, s *syntax.Stmt, sc **Script, timeout *int, typ string) {
	if *sc != nil {
		d.errorf(s, 0, "%s script already specified", typ)
		return
	}
	if len(s.Words) < 2 {
		d.errorf(s, 1, "%s script missing", typ)
		return
	}
	p := d.notifyScript(s, typ, phaseGlobal)
	if p == nil {
		d.errorf(s, 1, "Invalid %s script", typ)
		return
	}
	*sc = p
	if *timeout == 0 {
		*timeout = 10
	}
}

func scriptTimeout(d *decoder, s *syntax.Stmt, timeout *int, typ string) {
	if len(s.Words) < 2 {
		d.errorf(s, 1, "%s_script_timeout requires value", typ)
		return
	}
	v, ok := d.readUnsigned(s, 1, 1, 1000)
	if !ok {
		d.errorf(s, 1, "%s_script_timeout '%s' must be in [1, 1000] - ignoring", typ, word(s, 1))
		return
	}
	*timeout = int(v)
}

// lvsMaxTimeout is keepalived's LVS_MAX_TIMEOUT (86400*31 s).
const lvsMaxTimeout = 86400 * 31

func decodeLVSTimeouts(d *decoder, s *syntax.Stmt) {
	if len(s.Words) < 3 {
		d.errorf(s, 1, "lvs_timeouts requires at least one option")
		return
	}
	t := &d.cfg.Global.LVSTimeouts
	for i := 1; i < len(s.Words); i++ {
		var dst *time.Duration
		switch word(s, i) {
		case "tcp":
			dst = &t.TCP
		case "tcpfin":
			dst = &t.TCPFin
		case "udp":
			dst = &t.UDP
		default:
			d.errorf(s, i, "Unknown option %s specified for lvs_timeouts", word(s, i))
			continue
		}
		opt := word(s, i)
		if i == len(s.Words)-1 {
			d.errorf(s, i, "No value specified for lvs_timeout %s - ignoring", opt)
			continue
		}
		if v, ok := d.readUnsigned(s, i+1, 0, lvsMaxTimeout); ok {
			*dst = secondsDur(v)
		} else {
			d.errorf(s, i+1, "Invalid lvs_timeout %s (%s) - ignoring", opt, word(s, i+1))
		}
		i++
	}
}

func decodeLVSFlushOnStop(d *decoder, s *syntax.Stmt) {
	switch v, ok := optArg(s, 1); {
	case !ok:
		d.cfg.Global.LVSFlushOnStop = "FULL"
	case v == "VS":
		d.cfg.Global.LVSFlushOnStop = "VS"
	default:
		d.errorf(s, 1, "Unknown lvs_flush_on_stop type %s", v)
	}
}

func decodeLVSSyncDaemon(d *decoder, s *syntax.Stmt) {
	g := &d.cfg.Global
	if g.LVSSyncDaemon != nil {
		d.errorf(s, 1, "lvs_sync_daemon has already been specified as %s %s - ignoring", g.LVSSyncDaemon.Interface, g.LVSSyncDaemon.Instance)
		return
	}
	if len(s.Words) < 2 {
		d.errorf(s, 1, "lvs_sync_daemon requires interface")
		return
	}
	if len(word(s, 1)) >= 16 {
		d.errorf(s, 1, "lvs_sync_daemon interface name '%s' too long - ignoring", word(s, 1))
		return
	}
	sd := &LVSSyncDaemon{Pos: s.Pos(), Interface: word(s, 1), SyncID: -1, Port: 8848}
	g.LVSSyncDaemon = sd
	n := len(s.Words)
	for i := 2; i < n; i++ {
		opt := word(s, i)
		last := i == n-1
		switch opt {
		case "inst":
			if sd.Instance != "" {
				d.errorf(s, i, "lvs_sync_daemon vrrp instance has already been specified as %s - ignoring", sd.Instance)
			} else {
				sd.Instance = word(s, i+1)
			}
			i++
			continue
		case "id":
			if last {
				d.errorf(s, i, "No value specified for lvs_sync_daemon id, defaulting to vrid")
				continue
			}
			if v, ok := d.readUnsigned(s, i+1, 0, 255); ok {
				sd.SyncID = int(v)
			} else {
				d.errorf(s, i+1, "Invalid syncid (%s) - defaulting to vrid", word(s, i+1))
			}
			i++
			continue
		case "maxlen", "port", "ttl":
			if last {
				d.errorf(s, i, "No value specified for lvs_sync_daemon %s - ignoring", opt)
				continue
			}
			hi := map[string]uint64{"maxlen": 65535 - 20 - 8, "port": 65535, "ttl": 255}[opt]
			if v, ok := d.readUnsigned(s, i+1, 1, hi); ok {
				switch opt {
				case "maxlen":
					sd.MaxLen = uint16(v)
				case "port":
					sd.Port = uint16(v)
				default:
					sd.TTL = uint8(v)
				}
			} else {
				d.errorf(s, i+1, "Invalid lvs_sync_daemon %s (%s) - ignoring", opt, word(s, i+1))
			}
			i++
			continue
		case "group":
			if last {
				d.errorf(s, i, "No value specified for lvs_sync_daemon group - ignoring")
				continue
			}
			a, ok := parseSockAddr(word(s, i+1))
			if !ok {
				d.errorf(s, i+1, "Invalid lvs_sync_daemon group (%s) - ignoring", word(s, i+1))
			} else if !a.IsMulticast() {
				d.errorf(s, i+1, "lvs_sync_daemon group address %s is not multicast - ignoring", word(s, i+1))
			} else {
				sd.Group = a
			}
			i++
			continue
		}
		// lvs_sync_daemon IF VRRP_INSTANCE [SYNC_ID], the old syntax
		if i == 2 {
			sd.Instance = opt
			continue
		}
		if i == 3 {
			if v, ok := d.readUnsigned(s, 3, 0, 255); ok {
				d.errorf(s, 3, "Please use keyword \"id\" before lvs_sync_daemon SYNCID")
				sd.SyncID = int(v)
			} else {
				d.errorf(s, 3, "Invalid syncid (%s) - defaulting to vrid", opt)
			}
			continue
		}
		d.errorf(s, i, "Unknown option %s specified for lvs_sync_daemon", opt)
	}
}

func decodeMcastGroup4(d *decoder, s *syntax.Stmt) {
	if a, ok := d.mcastGroup(s, false); ok {
		d.cfg.Global.VRRPMcastGroup4 = a
	}
}

func decodeMcastGroup6(d *decoder, s *syntax.Stmt) {
	if a, ok := d.mcastGroup(s, true); ok {
		d.cfg.Global.VRRPMcastGroup6 = a
	}
}

// mcastGroup reads vrrp_mcast_group4/6: a multicast address of the
// keyword's family (IPv6 should also be link-local scope).
func (d *decoder) mcastGroup(s *syntax.Stmt, v6 bool) (netip.Addr, bool) {
	str, ok := d.arg(s, 1)
	if !ok {
		return netip.Addr{}, false
	}
	kw, fam := s.Keyword(), "IPv4"
	if v6 {
		fam = "IPv6"
	}
	a, ok := parseSockAddr(str)
	switch {
	case !ok:
		d.errorf(s, 1, "Can't parse %s [%s]. Skipping", kw, str)
	case a.Is6() != v6:
		d.errorf(s, 1, "%s [%s] is not %s. Skipping", kw, str, fam)
	case !a.IsMulticast():
		d.errorf(s, 1, "%s [%s] is not multicast. Skipping", kw, str)
	default:
		if v6 && !a.IsLinkLocalMulticast() {
			d.warnf(s, 1, "%s [%s] should be link-local multicast.", kw, str)
		}
		return a, true
	}
	return netip.Addr{}, false
}

func decodeGlobalGARPExtraIf(d *decoder, s *syntax.Stmt) {
	cmd := s.Keyword()
	if cmd == "vrrp_vmac_garp_intvl" {
		d.deprecated(s, "Keyword \"vrrp_vmac_garp_intvl\" is deprecated - please use \"vrrp_garp_extra_if\"")
	}
	var delay uint64
	all := false
	for i := 1; i < len(s.Words); i++ {
		if word(s, i) == "all" {
			all = true
			continue
		}
		v, ok := d.readUnsigned(s, i, 1, 86400)
		if !ok {
			d.errorf(s, i, "%s '%s' invalid - ignoring", cmd, word(s, i))
			return
		}
		delay = v
	}
	if all {
		d.cfg.Global.VRRPGARPExtraIfAll = true
	}
	if delay == 0 {
		d.errorf(s, 0, "%s specified without time - ignoring", cmd)
		return
	}
	d.cfg.Global.VRRPGARPExtraIf = secondsDur(delay)
}

func decodeRxBufsPolicy(d *decoder, s *syntax.Stmt) {
	g := &d.cfg.Global
	if len(s.Words) < 2 {
		d.errorf(s, 1, "vrrp_rx_bufs_policy missing")
		return
	}
	size := false
	for i := 1; i < len(s.Words); i++ {
		switch strings.ToUpper(word(s, i)) {
		case "MTU":
			g.VRRPRxBufsPolicyMTU = true
		case "ADVERT":
			g.VRRPRxBufsPolicyAdvert = true
		default:
			// keepalived reads word 1 here whatever i is
			if v, ok := d.readUnsigned(s, 1, 0, 0xffffffff); ok {
				g.VRRPRxBufsSize = uint32(v)
				size = true
			} else {
				d.errorf(s, i, "Invalid vrrp_rx_bufs_policy %s", word(s, i))
			}
		}
	}
	if size && (g.VRRPRxBufsPolicyMTU || g.VRRPRxBufsPolicyAdvert) {
		d.errorf(s, 1, "Cannot set vrrp_rx_bufs_policy size and policy, ignoring policy")
		g.VRRPRxBufsPolicyMTU, g.VRRPRxBufsPolicyAdvert = false, false
	} else if g.VRRPRxBufsPolicyMTU && g.VRRPRxBufsPolicyAdvert {
		d.errorf(s, 1, "Cannot set both vrrp_rx_bufs_policy MTU and ADVERT, ignoring ADVERT")
		g.VRRPRxBufsPolicyAdvert = false
	}
}

var umaskBits = map[string]uint32{
	"IRUSR": 0o400, "IWUSR": 0o200, "IXUSR": 0o100,
	"IRGRP": 0o040, "IWGRP": 0o020, "IXGRP": 0o010,
	"IROTH": 0o004, "IWOTH": 0o002, "IXOTH": 0o001,
}

func decodeUmask(d *decoder, s *syntax.Stmt) {
	mask, ok := d.arg(s, 1)
	if !ok {
		return
	}
	var bits uint32
	if mask[0] >= '0' && mask[0] <= '9' {
		if len(s.Words) != 2 {
			d.errorf(s, 2, "Extra parameter(s) to umask option")
			return
		}
		v, err := strconv.ParseInt(mask, 0, 64)
		if err != nil || v < 0 || v&^0o777 != 0 {
			d.errorf(s, 1, "invalid umask value %s", mask)
			return
		}
		bits = uint32(v)
	} else {
		needOr := false
		for i := 1; i < len(s.Words); i++ {
			p := word(s, i)
			for p != "" {
				if needOr {
					if p[0] == '|' {
						needOr = false
						p = p[1:]
						continue
					}
					d.errorf(s, i, "Invalid umask syntax %s", word(s, i))
					return
				}
				if len(p) < 5 || umaskBits[p[:5]] == 0 {
					d.errorf(s, i, "Unknown umask bit %s", p)
					return
				}
				bits |= umaskBits[p[:5]]
				p = p[5:]
				needOr = true
			}
		}
		if !needOr {
			d.errorf(s, 1, "umask missing bit value")
			return
		}
	}
	d.cfg.Global.Umask = &bits
}

// nftTable sets an nftables table name (default dflt) unless one is
// already set; what prefixes keepalived's messages.
func (d *decoder) nftTable(s *syntax.Stmt, name *string, dflt, what string) bool {
	if *name != "" {
		d.errorf(s, 0, "%s already specified - ignoring", what)
		return false
	}
	v := dflt
	if w, ok := optArg(s, 1); ok {
		if len(w) >= 256 {
			d.errorf(s, 1, "%s table name too long - ignoring", what)
			return false
		}
		v = w
	}
	*name = v
	return true
}

// inetAton reports whether getaddrinfo takes s as an IPv4 address in
// inet_aton's forms: one to four parts, decimal, octal (0...) or hex
// (0x...), the last filling the remaining bytes ("00", "2147483648",
// "10.1").
func inetAton(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return false
	}
	for i, p := range parts {
		base := 10
		switch {
		case len(p) > 2 && (p[:2] == "0x" || p[:2] == "0X"):
			base, p = 16, p[2:]
		case len(p) > 1 && p[0] == '0':
			base, p = 8, p[1:]
		}
		v, err := strconv.ParseUint(p, base, 32)
		if err != nil {
			return false
		}
		if i < len(parts)-1 && v > 255 {
			return false
		}
		if i == len(parts)-1 && v >= 1<<(8*(5-len(parts))) && len(parts) > 1 {
			return false
		}
	}
	return true
}

// globalIdentityKeywords decodes the router's and its processes' names:
//
//	router_id NAME
//	process_names
//	process_name [NAME]
//	vrrp_process_name|checker_process_name|bfd_process_name NAME
//	lvs_process_name NAME  (deprecated)
func globalIdentityKeywords() table {
	return table{
		"process_names": globalFlagKw(func(g *GlobalDefs) { g.ProcessNames = true }),
		"process_name": {fn: func(d *decoder, s *syntax.Stmt) {
			// without a name: use the default names of each process
			if v, ok := optArg(s, 1); ok {
				if len(v) > 15 {
					d.errorf(s, 1, "Process name %s more than %d characters, truncating", v, 15)
					v = v[:15]
				}
				d.cfg.Global.ProcessName = v
			}
			d.cfg.Global.ProcessNames = true
		}},
		"vrrp_process_name":    processNameKw(func(g *GlobalDefs, v string) { g.VRRPProcessName = v }),
		"checker_process_name": processNameKw(func(g *GlobalDefs, v string) { g.CheckerProcessName = v }),
		"lvs_process_name": {fn: func(d *decoder, s *syntax.Stmt) {
			// 2.2.7 only logs this deprecation.
			d.vlogInfo(s.Pos(), "'lvs_process_name' is deprecated - please use 'checker_process_name'")
			processNameKw(func(g *GlobalDefs, v string) { g.CheckerProcessName = v }).fn(d, s)
		}},
		"bfd_process_name": processNameKw(func(g *GlobalDefs, v string) { g.BFDProcessName = v }),
		"router_id": {fn: func(d *decoder, s *syntax.Stmt) {
			if len(s.Words) < 2 {
				d.errorf(s, 1, "routerid name missing - ignoring")
				return
			}
			d.cfg.Global.RouterID = word(s, 1)
		}},
	}
}

// globalMailKeywords decodes notification by mail:
//
//	notification_email { ADDRESS... }
//	notification_email_from ADDRESS
//	smtp_server HOST [PORT]
//	smtp_helo_name NAME
//	smtp_connect_timeout SECONDS
//	smtp_alert|smtp_alert_vrrp|smtp_alert_checker [BOOL]
//	no_email_faults
//	no_checker_emails [BOOL]
func globalMailKeywords() table {
	return table{
		"notification_email_from": {fn: func(d *decoder, s *syntax.Stmt) {
			if len(s.Words) < 2 {
				d.errorf(s, 1, "emailfrom missing - ignoring")
				return
			}
			if len(s.Words) > 2 && d.opt.Compat.AtLeast(2, 3, 0) {
				d.errorf(s, 2, "emailfrom - ignoring extra entries '%s' ...", word(s, 2))
			}
			d.cfg.Global.NotificationEmailFrom = word(s, 1)
		}},
		"smtp_server": {fn: decodeSMTPServer},
		"smtp_helo_name": {fn: func(d *decoder, s *syntax.Stmt) {
			if v, ok := optArg(s, 1); ok {
				d.cfg.Global.SMTPHeloName = v
			}
		}},
		"smtp_connect_timeout": {fn: func(d *decoder, s *syntax.Stmt) {
			v, ok := d.readUnsigned(s, 1, 0, 0xffffffff/timerHz)
			if !ok {
				d.errorf(s, 1, "smtp_connect_timeout '%s' must be in [0, %d] - ignoring", word(s, 1), 0xffffffff/timerHz)
				return
			}
			if v == 0 {
				d.errorf(s, 1, "smtp_conect_timeout must be greater than 0, setting to 1")
				v = 1
			}
			d.cfg.Global.SMTPConnectTimeout = secondsDur(v)
		}},
		"notification_email": {block: true, fn: func(d *decoder, s *syntax.Stmt) {
			lines := d.valueStmts(s)
			if len(lines) == 0 {
				d.errorf(s, 0, "Warning - empty notification_email block")
				return
			}
			for _, l := range lines {
				d.cfg.Global.NotificationEmail = append(d.cfg.Global.NotificationEmail, valueWords(l.Words)...)
			}
		}},
		"smtp_alert":         globalBoolKw("smtp_alert", func(g *GlobalDefs, v bool) { g.SMTPAlert = &v }),
		"smtp_alert_vrrp":    globalBoolKw("smtp_alert_vrrp", func(g *GlobalDefs, v bool) { g.SMTPAlertVRRP = &v }),
		"smtp_alert_checker": globalBoolKw("smtp_alert_checker", func(g *GlobalDefs, v bool) { g.SMTPAlertChecker = &v }),
		"no_email_faults":    globalFlagKw(func(g *GlobalDefs) { g.NoEmailFaults = true }),
		"no_checker_emails":  globalBoolKw("no_checker_emails", func(g *GlobalDefs, v bool) { g.NoCheckerEmails = v }),
	}
}

// globalScriptKeywords decodes the startup and shutdown scripts and who runs scripts:
//
//	startup_script|shutdown_script SCRIPT [username [groupname]]
//	startup_script_timeout|shutdown_script_timeout SECONDS
//	script_user USER [GROUP]
//	enable_script_security
func globalScriptKeywords() table {
	return table{
		"startup_script": {fn: func(d *decoder, s *syntax.Stmt) {
			startupShutdown(d, s, &d.cfg.Global.StartupScript, &d.cfg.Global.StartupScriptTimeout, "startup")
		}},
		"shutdown_script": {fn: func(d *decoder, s *syntax.Stmt) {
			startupShutdown(d, s, &d.cfg.Global.ShutdownScript, &d.cfg.Global.ShutdownScriptTimeout, "shutdown")
		}},
		"startup_script_timeout": {fn: func(d *decoder, s *syntax.Stmt) {
			scriptTimeout(d, s, &d.cfg.Global.StartupScriptTimeout, "startup")
		}},
		"shutdown_script_timeout": {fn: func(d *decoder, s *syntax.Stmt) {
			scriptTimeout(d, s, &d.cfg.Global.ShutdownScriptTimeout, "shutdown")
		}},
		"script_user": {fn: func(d *decoder, s *syntax.Stmt) {
			if len(s.Words) < 2 {
				d.errorf(s, 1, "No script username specified")
				return
			}
			user := word(s, 1)
			if d.setDefaultUser(s.Pos(), user, word(s, 2)) {
				d.errorf(s, 1, "Error setting global script uid/gid")
				return
			}
			d.cfg.Global.ScriptUser = user
			d.cfg.Global.ScriptGroup = word(s, 2)
			d.cfg.Global.ScriptUserSet = true
		}},
		"enable_script_security": globalFlagKw(func(g *GlobalDefs) { g.EnableScriptSecurity = true }),
	}
}

// globalSchedKeywords decodes the scheduling of the vrrp, checker and bfd processes:
//
//	max_auto_priority [PRIORITY]
//	min_auto_priority_delay MICROSECONDS
//	{vrrp|checker|bfd}_priority -20..19
//	{vrrp|checker|bfd}_no_swap
//	{vrrp|checker|bfd}_rt_priority 1..99
//	{vrrp|checker|bfd}_cpu_affinity CPU...
//	{vrrp|checker|bfd}_rlimit_rttime MICROSECONDS  (_rlimit_rtime deprecated)
func globalSchedKeywords() table {
	return table{
		"max_auto_priority": {fn: func(d *decoder, s *syntax.Stmt) {
			if len(s.Words) < 2 {
				d.cfg.Global.MaxAutoPriority = 99
				return
			}
			v, ok := d.readInt(s, 1, -1, 99)
			if !ok {
				d.errorf(s, 1, "max_auto_priority '%s' must be in [0, %d] (or -1 to disable) - ignoring", word(s, 1), 99)
				return
			}
			d.cfg.Global.MaxAutoPriority = int(v)
		}},
		"min_auto_priority_delay": {fn: func(d *decoder, s *syntax.Stmt) {
			if len(s.Words) < 2 {
				d.errorf(s, 1, "min_auto_priority_delay requires delay time")
				return
			}
			v, ok := d.readInt(s, 1, 1, 10000000)
			if !ok {
				d.errorf(s, 1, "min_auto_priority_delay '%s' must be in [1, 10000000] - ignoring", word(s, 1))
				return
			}
			d.cfg.Global.MinAutoPriorityDelay = int(v)
		}},
		"vrrp_priority":         priorityKw("vrrp", vrrpSched),
		"vrrp_no_swap":          globalFlagKw(func(g *GlobalDefs) { g.VRRPProcess.NoSwap = true }),
		"vrrp_rt_priority":      rtPriorityKw("vrrp", vrrpSched),
		"vrrp_cpu_affinity":     cpuAffinityKw("vrrp", vrrpSched),
		"vrrp_rlimit_rttime":    rlimitKw("vrrp", vrrpSched),
		"vrrp_rlimit_rtime":     rlimitKw("vrrp", vrrpSched),
		"checker_priority":      priorityKw("checker", checkerSched),
		"checker_no_swap":       globalFlagKw(func(g *GlobalDefs) { g.CheckerProcess.NoSwap = true }),
		"checker_rt_priority":   rtPriorityKw("checker", checkerSched),
		"checker_cpu_affinity":  cpuAffinityKw("checker", checkerSched),
		"checker_rlimit_rttime": rlimitKw("checker", checkerSched),
		"checker_rlimit_rtime":  rlimitKw("checker", checkerSched),
		"bfd_priority":          priorityKw("bfd", bfdSched),
		"bfd_no_swap":           globalFlagKw(func(g *GlobalDefs) { g.BFDProcess.NoSwap = true }),
		"bfd_rt_priority":       rtPriorityKw("bfd", bfdSched),
		"bfd_cpu_affinity":      cpuAffinityKw("bfd", bfdSched),
		"bfd_rlimit_rttime":     rlimitKw("bfd", bfdSched),
		"bfd_rlimit_rtime":      rlimitKw("bfd", bfdSched),
	}
}

// globalLVSKeywords decodes the checker's IPVS defaults:
//
//	lvs_timeouts [tcp SECS] [tcpfin SECS] [udp SECS]
//	lvs_flush
//	lvs_flush_on_stop [VS|FULL]  (lvs_flush_onstop deprecated)
//	lvs_sync_daemon INTERFACE INSTANCE [id ID] [maxlen LEN] [port PORT] [ttl TTL] [group ADDR]
//	checker_log_all_failures [BOOL]
//	rs_init_notifies [BOOL]
func globalLVSKeywords() table {
	return table{
		"lvs_timeouts":      {fn: decodeLVSTimeouts},
		"lvs_flush":         globalFlagKw(func(g *GlobalDefs) { g.LVSFlush = true }),
		"lvs_flush_on_stop": {fn: decodeLVSFlushOnStop},
		// Deprecated after v2.1.5, silently in 2.2.7.
		"lvs_flush_onstop": {fn: decodeLVSFlushOnStop},
		"lvs_sync_daemon":  {fn: decodeLVSSyncDaemon},
		"checker_log_all_failures": {fn: func(d *decoder, s *syntax.Stmt) {
			if v, ok := d.boolArg(s, 1, "Invalid value for checker_log_all_failures specified"); ok {
				d.cfg.Global.CheckerLogAllFailures = v
			}
		}},
		"rs_init_notifies": globalBoolKw("rs_init_notifies", func(g *GlobalDefs, v bool) { g.RSInitNotifies = v }),
	}
}

// globalInterfaceKeywords decodes interfaces and VMACs:
//
//	dynamic_interfaces [allow_if_changes]
//	default_interface IFNAME
//	disable_local_igmp
//	vmac_prefix PREFIX
//	vmac_addr_prefix PREFIX
func globalInterfaceKeywords() table {
	return table{
		"dynamic_interfaces": {fn: func(d *decoder, s *syntax.Stmt) {
			d.cfg.Global.DynamicInterfaces = true
			if v, ok := optArg(s, 1); ok {
				if v == "allow_if_changes" {
					d.cfg.Global.AllowIfChanges = true
				} else {
					d.errorf(s, 1, "Unknown dynamic_interfaces option '%s'", v)
				}
			}
		}},
		"default_interface": {fn: func(d *decoder, s *syntax.Stmt) {
			if len(s.Words) < 2 {
				d.errorf(s, 1, "default_interface requires interface name")
				return
			}
			d.cfg.Global.DefaultInterface = word(s, 1)
		}},
		// keepalived checks the kernel supports igmp_link_local_mcast_reports
		// at parse time; that is a run-time matter here.
		"disable_local_igmp": globalFlagKw(func(g *GlobalDefs) { g.DisableLocalIGMP = true }),
		"vmac_prefix": {fn: func(d *decoder, s *syntax.Stmt) {
			if d.cfg.Global.VMACPrefix != "" {
				d.errorf(s, 1, "vmac prefix has already been specified - ignoring %s", word(s, 1))
				return
			}
			if v, ok := d.arg(s, 1); ok {
				d.cfg.Global.VMACPrefix = v
			}
		}},
		"vmac_addr_prefix": {fn: func(d *decoder, s *syntax.Stmt) {
			if d.cfg.Global.VMACAddrPrefix != "" {
				d.errorf(s, 1, "vmac_addr prefix has already been specified - ignoring %s", word(s, 1))
				return
			}
			if v, ok := d.arg(s, 1); ok {
				d.cfg.Global.VMACAddrPrefix = v
			}
		}},
	}
}

// globalGARPKeywords decodes the gratuitous ARP / NA defaults of VRRP instances:
//
//	vrrp_garp_master_delay SECONDS
//	vrrp_garp_master_repeat|vrrp_garp_master_refresh_repeat COUNT
//	vrrp_garp_master_refresh SECONDS
//	vrrp_garp_lower_prio_delay SECONDS
//	vrrp_garp_lower_prio_repeat COUNT
//	vrrp_garp_interval|vrrp_gna_interval SECONDS
//	vrrp_min_garp [BOOL]
//	vrrp_garp_extra_if SECONDS [all]  (vrrp_vmac_garp_intvl too)
func globalGARPKeywords() table {
	return table{
		"vrrp_garp_master_delay": {fn: func(d *decoder, s *syntax.Stmt) {
			v, ok := d.readUnsigned(s, 1, 0, 0xffffffff/timerHz)
			if !ok {
				d.errorf(s, 1, "vrrp_garp_master_delay '%s' invalid - ignoring", word(s, 1))
				return
			}
			d.cfg.Global.VRRPGARPMasterDelay = secondsDur(v)
		}},
		"vrrp_garp_master_repeat": garpRepeatKw("vrrp_garp_master_repeat", "vrrp_garp_master_repeat '%s' invalid - ignoring",
			func(g *GlobalDefs, v uint32) { g.VRRPGARPMasterRepeat = v }),
		"vrrp_garp_master_refresh": {fn: func(d *decoder, s *syntax.Stmt) {
			v, ok := d.readUnsigned(s, 1, 0, 0xffffffff)
			if !ok {
				d.errorf(s, 1, "Invalid vrrp_garp_master_refresh '%s' - ignoring", word(s, 1))
				v = 0
			}
			d.cfg.Global.VRRPGARPMasterRefresh = secondsDur(v)
		}},
		"vrrp_garp_master_refresh_repeat": garpRepeatKw("vrrp_garp_master_refresh_repeat", "vrrp_garp_master_refresh_repeat '%s' invalid - ignoring",
			func(g *GlobalDefs, v uint32) { g.VRRPGARPMasterRefreshRepeat = v }),
		"vrrp_garp_lower_prio_delay": {fn: func(d *decoder, s *syntax.Stmt) {
			v, ok := d.readUnsigned(s, 1, 0, 0xffffffff/timerHz)
			if !ok {
				d.errorf(s, 1, "vrrp_garp_lower_prio_delay '%s' invalid - ignoring", word(s, 1))
				return
			}
			dur := secondsDur(v)
			d.cfg.Global.VRRPGARPLowerPrioDelay = &dur
		}},
		"vrrp_garp_lower_prio_repeat": {fn: func(d *decoder, s *syntax.Stmt) {
			v, ok := d.readUnsigned(s, 1, 0, 1<<31-1)
			if !ok {
				d.errorf(s, 1, "Invalid vrrp_garp_lower_prio_repeat '%s'", word(s, 1))
				return
			}
			r := uint32(v)
			d.cfg.Global.VRRPGARPLowerPrioRepeat = &r
		}},
		"vrrp_garp_interval": garpIntervalKw("vrrp_garp_interval",
			func(g *GlobalDefs, v time.Duration) { g.VRRPGARPInterval = v },
			func(g *GlobalDefs) time.Duration { return g.VRRPGARPInterval }),
		"vrrp_gna_interval": garpIntervalKw("vrrp_gna_interval",
			func(g *GlobalDefs, v time.Duration) { g.VRRPGNAInterval = v },
			func(g *GlobalDefs) time.Duration { return g.VRRPGNAInterval }),
		"vrrp_min_garp": {fn: func(d *decoder, s *syntax.Stmt) {
			v, ok := d.boolArg(s, 1, "Invalid value for vrrp_min_garp specified")
			if !ok || !v {
				return
			}
			gd := &d.cfg.Global
			gd.VRRPMinGARP = true
			// only the values still at their defaults are changed
			if gd.VRRPGARPMasterRepeat == 5 {
				gd.VRRPGARPMasterRepeat = 1
			}
			if gd.VRRPGARPMasterRefreshRepeat == 1 {
				gd.VRRPGARPMasterRefreshRepeat = 0
			}
			if gd.VRRPGARPMasterDelay == 5*time.Second {
				gd.VRRPGARPMasterDelay = 0
			}
		}},
		"vrrp_garp_extra_if":   {fn: decodeGlobalGARPExtraIf},
		"vrrp_vmac_garp_intvl": {fn: decodeGlobalGARPExtraIf},
	}
}

// globalVRRPKeywords decodes the other VRRP defaults:
//
//	vrrp_mcast_group4|vrrp_mcast_group6 ADDRESS
//	vrrp_version 2|3
//	vrrp_down_timer_adverts 1..100
//	vrrp_lower_prio_no_advert|vrrp_higher_prio_send_advert [BOOL]
//	vrrp_check_unicast_src
//	vrrp_skip_check_adv_addr
//	vrrp_strict_vip_check
//	vrrp_strict
//	vrrp_rx_bufs_policy [MTU|ADVERT|SIZE]...
//	vrrp_rx_bufs_multiplier N
//	vrrp_startup_delay SECONDS
//	log_unknown_vrids
//	v3_checksum_as_v2
//	vrrp_owner_ignore_adverts [BOOL]
func globalVRRPKeywords() table {
	return table{
		"vrrp_mcast_group4": {fn: decodeMcastGroup4},
		"vrrp_mcast_group6": {fn: decodeMcastGroup6},
		"vrrp_down_timer_adverts": {fn: func(d *decoder, s *syntax.Stmt) {
			v, ok := d.readUnsigned(s, 1, 1, 100)
			if !ok {
				d.errorf(s, 1, "Invalid vrrp_down_timer_adverts [1:100] '%s'", word(s, 1))
				return
			}
			d.cfg.Global.VRRPDownTimerAdverts = int(v)
		}},
		"vrrp_lower_prio_no_advert": {fn: func(d *decoder, s *syntax.Stmt) {
			if v, ok := d.boolArg(s, 1, "Invalid value for vrrp_lower_prio_no_advert specified"); ok {
				d.cfg.Global.VRRPLowerPrioNoAdvert = v
			}
		}},
		"vrrp_higher_prio_send_advert": {fn: func(d *decoder, s *syntax.Stmt) {
			if v, ok := d.boolArg(s, 1, "Invalid value for vrrp_higher_prio_send_advert specified"); ok {
				d.cfg.Global.VRRPHigherPrioSendAdvert = v
			}
		}},
		"vrrp_version": {fn: func(d *decoder, s *syntax.Stmt) {
			v, ok := d.readInt(s, 1, 2, 3)
			if !ok {
				d.errorf(s, 1, "VRRP Error: Version must be either 2 or 3")
				return
			}
			d.cfg.Global.VRRPVersion = int(v)
		}},
		"vrrp_check_unicast_src":   globalFlagKw(func(g *GlobalDefs) { g.VRRPCheckUnicastSrc = true }),
		"vrrp_skip_check_adv_addr": globalFlagKw(func(g *GlobalDefs) { g.VRRPSkipCheckAdvAddr = true }),
		"vrrp_strict_vip_check":    globalFlagKw(func(g *GlobalDefs) { g.VRRPStrictVIPCheck = true }),
		"vrrp_strict":              globalFlagKw(func(g *GlobalDefs) { g.VRRPStrict = true }),
		"vrrp_rx_bufs_policy":      {fn: decodeRxBufsPolicy},
		"vrrp_rx_bufs_multiplier": {fn: func(d *decoder, s *syntax.Stmt) {
			if len(s.Words) != 2 {
				d.errorf(s, 1, "Invalid vrrp_rx_bufs_multiplier")
				return
			}
			v, ok := d.readUnsigned(s, 1, 1, 0xffffffff)
			if !ok {
				d.errorf(s, 1, "Invalid vrrp_rx_bufs_multiplier %s", word(s, 1))
				return
			}
			d.cfg.Global.VRRPRxBufsMultiplier = uint32(v)
		}},
		"vrrp_startup_delay": {fn: func(d *decoder, s *syntax.Stmt) {
			v, ok := d.readTimer(s, 1, timerHz/1000, 0xffffffff)
			if !ok {
				d.errorf(s, 1, "vrrp_startup_delay '%s' is invalid", word(s, 1))
				return
			}
			// 2.4.0: the longest of this and vrrp_delay_after_boot wins
			if d.opt.Compat.AtLeast(2, 4, 0) && v <= d.cfg.Global.VRRPStartupDelay {
				return
			}
			d.cfg.Global.VRRPStartupDelay = v
			if v >= time.Minute {
				d.vlogInfo(s.WordPos(1), "The vrrp_startup_delay is very large - %s seconds", word(s, 1))
			}
		}},
		"log_unknown_vrids": globalFlagKw(func(g *GlobalDefs) { g.LogUnknownVRIDs = true }),
		// 2.4.3 ignores any argument here (unlike the instance keyword).
		"v3_checksum_as_v2": globalFlagKw(func(g *GlobalDefs) { g.V3ChecksumAsV2 = true }),
		"vrrp_owner_ignore_adverts": {fn: func(d *decoder, s *syntax.Stmt) {
			// 2.4.3's message swaps the keyword and the value.
			if v, ok := d.boolArg(s, 1, "Invalid value 'vrrp_owner_ignore_adverts' for global %s specified"); ok {
				d.cfg.Global.VRRPOwnerIgnoreAdverts = v
			}
		}},
	}
}

// globalFirewallKeywords decodes the firewall (nftables; iptables only as a fallback to it):
//
//	vrrp_iptables [...]
//	vrrp_ipsets [...]
//	nftables [TABLE]
//	nftables_priority PRIORITY
//	nftables_ifindex
//	nftables_counters
//	nftables_ipvs [TABLE]
//	nftables_ipvs_priority PRIORITY
//	nftables_ipvs_start_fwmark FWMARK
func globalFirewallKeywords() table {
	return table{
		// The Debian 2.2.7 build has nftables but not iptables: the
		// legacy keyword switches to nftables with an error.
		"vrrp_iptables": {fn: func(d *decoder, s *syntax.Stmt) {
			d.errorf(s, 0, "iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option")
			d.cfg.Global.NFTables = "keepalived"
			d.cfg.Global.NFTablesPriority = -1
		}},
		"vrrp_ipsets": {fn: func(d *decoder, s *syntax.Stmt) {
			d.cfg.Global.VRRPIPSets = valueWords(s.Args())
		}},
		"nftables": {fn: func(d *decoder, s *syntax.Stmt) {
			if d.nftTable(s, &d.cfg.Global.NFTables, "keepalived", "nftables") {
				d.cfg.Global.NFTablesPriority = -1
			}
		}},
		"nftables_priority": {fn: func(d *decoder, s *syntax.Stmt) {
			v, ok := d.readInt(s, 1, -1<<31, 1<<31-1)
			if !ok {
				d.add(s.WordPos(1), syntax.InvalidNumber, "invalid nftables chain priority '%s'", word(s, 1))
				return
			}
			d.cfg.Global.NFTablesPriority = int(v)
		}},
		"nftables_ifindex":  globalFlagKw(func(g *GlobalDefs) { g.NFTablesIfindex = true }),
		"nftables_counters": globalFlagKw(func(g *GlobalDefs) { g.NFTablesCounters = true }),
		"nftables_ipvs": {fn: func(d *decoder, s *syntax.Stmt) {
			if d.nftTable(s, &d.cfg.Global.NFTablesIPVS, "keepalived_ipvs", "ipvs nftables") {
				d.cfg.Global.NFTablesIPVSPriority = -1
				d.cfg.Global.NFTablesIPVSStartFwmark = 1000
			}
		}},
		"nftables_ipvs_priority": {fn: func(d *decoder, s *syntax.Stmt) {
			v, ok := d.readInt(s, 1, -1<<31, 1<<31-1)
			if !ok {
				d.add(s.WordPos(1), syntax.InvalidNumber, "invalid ipvs nftables chain priority '%s'", word(s, 1))
				return
			}
			d.cfg.Global.NFTablesIPVSPriority = int(v)
		}},
		"nftables_ipvs_start_fwmark": {fn: func(d *decoder, s *syntax.Stmt) {
			v, ok := d.readUnsigned(s, 1, 1, 0xffffffff)
			if !ok {
				d.add(s.WordPos(1), syntax.InvalidNumber, "invalid ipvs nftables start_fwmark priority '%s'", word(s, 1))
				return
			}
			d.cfg.Global.NFTablesIPVSStartFwmark = uint32(v)
		}},
	}
}

// globalNotifyKeywords decodes the notify FIFOs:
//
//	[vrrp_|lvs_]notify_fifo FIFO [USER [GROUP]]
//	[vrrp_|lvs_]notify_fifo_script SCRIPT [USER [GROUP]]
//	vrrp_notify_priority_changes [BOOL]
//	fifo_write_vrrp_states_on_reload
func globalNotifyKeywords() table {
	return table{
		"notify_fifo":             notifyFIFOKw("", func(g *GlobalDefs) *NotifyFIFO { return &g.NotifyFIFO }),
		"notify_fifo_script":      notifyFIFOScriptKw("", func(g *GlobalDefs) *NotifyFIFO { return &g.NotifyFIFO }),
		"vrrp_notify_fifo":        notifyFIFOKw("vrrp_", func(g *GlobalDefs) *NotifyFIFO { return &g.VRRPNotifyFIFO }),
		"vrrp_notify_fifo_script": notifyFIFOScriptKw("vrrp_", func(g *GlobalDefs) *NotifyFIFO { return &g.VRRPNotifyFIFO }),
		"lvs_notify_fifo":         notifyFIFOKw("lvs_", func(g *GlobalDefs) *NotifyFIFO { return &g.LVSNotifyFIFO }),
		"lvs_notify_fifo_script":  notifyFIFOScriptKw("lvs_", func(g *GlobalDefs) *NotifyFIFO { return &g.LVSNotifyFIFO }),
		"vrrp_notify_priority_changes": globalBoolKw("vrrp_notify_priority_changes",
			func(g *GlobalDefs, v bool) { g.VRRPNotifyPriorityChanges = v }),
		"fifo_write_vrrp_states_on_reload": globalFlagKw(func(g *GlobalDefs) { g.FIFOWriteVRRPStatesOnReload = true }),
	}
}

// globalSNMPKeywords decodes SNMP and D-Bus:
//
//	snmp_socket SOCKET
//	enable_traps
//	enable_snmp_vrrp  (enable_snmp_keepalived deprecated)
//	enable_snmp_rfc|enable_snmp_rfcv2|enable_snmp_rfcv3
//	enable_snmp_checker
//	enable_dbus
//	dbus_service_name NAME
func globalSNMPKeywords() table {
	return table{
		"snmp_socket": {fn: func(d *decoder, s *syntax.Stmt) {
			switch {
			case len(s.Words) > 2:
				d.errorf(s, 2, "Too many parameters specified for snmp_socket - ignoring")
			case len(s.Words) < 2:
				d.errorf(s, 1, "SNMP error : snmp socket name missing")
			case d.cfg.Global.SNMPSocket != "":
				d.errorf(s, 1, "SNMP socket already set to %s - ignoring", d.cfg.Global.SNMPSocket)
			default:
				d.cfg.Global.SNMPSocket = word(s, 1)
			}
		}},
		"enable_traps":     globalFlagKw(func(g *GlobalDefs) { g.EnableTraps = true }),
		"enable_snmp_vrrp": globalFlagKw(func(g *GlobalDefs) { g.EnableSNMPVRRP = true }),
		// Deprecated v2.0.0, silently accepted by 2.2.7.
		"enable_snmp_keepalived": globalFlagKw(func(g *GlobalDefs) { g.EnableSNMPVRRP = true }),
		"enable_snmp_rfc":        globalFlagKw(func(g *GlobalDefs) { g.EnableSNMPRFCv2, g.EnableSNMPRFCv3 = true, true }),
		"enable_snmp_rfcv2":      globalFlagKw(func(g *GlobalDefs) { g.EnableSNMPRFCv2 = true }),
		"enable_snmp_rfcv3":      globalFlagKw(func(g *GlobalDefs) { g.EnableSNMPRFCv3 = true }),
		"enable_snmp_checker":    globalFlagKw(func(g *GlobalDefs) { g.EnableSNMPChecker = true }),
		"enable_dbus":            globalFlagKw(func(g *GlobalDefs) { g.EnableDBus = true }),
		"dbus_service_name": {fn: func(d *decoder, s *syntax.Stmt) {
			if len(s.Words) < 2 {
				d.errorf(s, 1, "dbus_service_name missing - ignoring")
				return
			}
			d.cfg.Global.DBusServiceName = word(s, 1)
		}},
	}
}

// globalNetlinkKeywords decodes the netlink sockets' receive buffers:
//
//	{vrrp_netlink_cmd|vrrp_netlink_monitor|process_monitor|lvs_netlink_cmd|lvs_netlink_monitor}_rcv_bufs BYTES
//	{...}_rcv_bufs_force [BOOL]
func globalNetlinkKeywords() table {
	return table{
		"vrrp_netlink_cmd_rcv_bufs":           rcvBufsKw("vrrp_netlink_cmd", func(g *GlobalDefs) *NetlinkBufs { return &g.VRRPNetlinkCmdRcvBufs }),
		"vrrp_netlink_cmd_rcv_bufs_force":     rcvBufsForceKw("vrrp_netlink_cmd", func(g *GlobalDefs) *NetlinkBufs { return &g.VRRPNetlinkCmdRcvBufs }),
		"vrrp_netlink_monitor_rcv_bufs":       rcvBufsKw("vrrp_netlink_monitor", func(g *GlobalDefs) *NetlinkBufs { return &g.VRRPNetlinkMonitorRcvBufs }),
		"vrrp_netlink_monitor_rcv_bufs_force": rcvBufsForceKw("vrrp_netlink_monitor", func(g *GlobalDefs) *NetlinkBufs { return &g.VRRPNetlinkMonitorRcvBufs }),
		"process_monitor_rcv_bufs":            rcvBufsKw("process_monitor", func(g *GlobalDefs) *NetlinkBufs { return &g.ProcessMonitorRcvBufs }),
		"process_monitor_rcv_bufs_force":      rcvBufsForceKw("process_monitor", func(g *GlobalDefs) *NetlinkBufs { return &g.ProcessMonitorRcvBufs }),
		"lvs_netlink_cmd_rcv_bufs":            rcvBufsKw("lvs_netlink_cmd", func(g *GlobalDefs) *NetlinkBufs { return &g.LVSNetlinkCmdRcvBufs }),
		"lvs_netlink_cmd_rcv_bufs_force":      rcvBufsForceKw("lvs_netlink_cmd", func(g *GlobalDefs) *NetlinkBufs { return &g.LVSNetlinkCmdRcvBufs }),
		"lvs_netlink_monitor_rcv_bufs":        rcvBufsKw("lvs_netlink_monitor", func(g *GlobalDefs) *NetlinkBufs { return &g.LVSNetlinkMonitorRcvBufs }),
		"lvs_netlink_monitor_rcv_bufs_force":  rcvBufsForceKw("lvs_netlink_monitor", func(g *GlobalDefs) *NetlinkBufs { return &g.LVSNetlinkMonitorRcvBufs }),
	}
}

// globalConfigKeywords decodes the process's files, reloads and randomness:
//
//	umask MODE|IRUSR|...
//	random_seed N
//	reload_check_config [LOG_FILE]
//	reload_time_file FILE
//	reload_repeat
//	reload_file [FILE]
//	include_check [+|-]{read|match|wildcard_match|brace_match}...
//	config_save_dir DIR
//	tmp_config_directory DIR
//	data_use_instance [BOOL]
func globalConfigKeywords() table {
	return table{
		"umask": {fn: decodeUmask},
		"random_seed": {fn: func(d *decoder, s *syntax.Stmt) {
			v, ok := d.readUnsigned(s, 1, 0, 0xffffffff)
			if !ok {
				d.errorf(s, 1, "random_seed %s invalid", word(s, 1))
				return
			}
			r := uint32(v)
			d.cfg.Global.RandomSeed = &r
		}},
		"reload_check_config": {fn: func(d *decoder, s *syntax.Stmt) {
			d.cfg.Global.ReloadCheckConfig = true
			d.cfg.Global.ReloadCheckConfigLog = word(s, 1)
		}},
		"reload_time_file": {fn: func(d *decoder, s *syntax.Stmt) {
			if len(s.Words) < 2 {
				d.errorf(s, 1, "reload_time_file invalid")
				return
			}
			d.cfg.Global.ReloadTimeFile = word(s, 1)
		}},
		"reload_repeat": globalFlagKw(func(g *GlobalDefs) { g.ReloadRepeat = true }),
		"reload_file": {fn: func(d *decoder, s *syntax.Stmt) {
			v := "/run/keepalived.reload"
			if w, ok := optArg(s, 1); ok {
				v = w
			}
			d.cfg.Global.ReloadFile = &v
		}},
		"include_check": {fn: func(d *decoder, s *syntax.Stmt) {
			d.cfg.Global.IncludeCheck = strings.Join(valueWords(s.Args()), " ")
			for i, w := range s.Args() {
				t := w.Text
				if t != "" && (t[0] == '+' || t[0] == '-') {
					t = t[1:]
				} else if i > 0 {
					d.errorf(s, i+1, "Duplicate include_check '%s' specified - ignoring", t)
					continue
				}
				switch t {
				case "read", "match", "wildcard_match", "brace_match":
				default:
					d.errorf(s, i+1, "Unknown include_check type '%s' - ignoring", t)
				}
			}
		}},
		"config_save_dir": {fn: func(d *decoder, s *syntax.Stmt) {
			if v, ok := d.arg(s, 1); ok {
				d.cfg.Global.ConfigSaveDir = strings.TrimSuffix(v, "/")
			}
		}},
		"tmp_config_directory": {fn: func(d *decoder, s *syntax.Stmt) {
			if d.cfg.Global.TmpConfigDirectory != "" {
				d.errorf(s, 0, "%s already specified - ignoring", s.Keyword())
				return
			}
			if len(s.Words) < 2 {
				d.errorf(s, 1, "%s missing directory name", s.Keyword())
				return
			}
			d.cfg.Global.TmpConfigDirectory = word(s, 1)
		}},
		"data_use_instance": {fn: func(d *decoder, s *syntax.Stmt) {
			if v, ok := d.boolArg(s, 1, "Invalid value '%s' for global date_use_instance specified"); ok {
				d.cfg.Global.DataUseInstance = v
			}
		}},
	}
}
