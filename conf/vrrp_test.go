package conf

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

func loadIfs(t *testing.T, text string) (*Config, *Diagnostics) {
	t.Helper()
	return loadIfsAs(t, Version{}, text)
}

// loadIfsAs loads as --compat v does.
func loadIfsAs(t *testing.T, v Version, text string) (*Config, *Diagnostics) {
	t.Helper()
	return loadFiles(t, map[string]string{"etc/keepalived/keepalived.conf": text}, Options{InterfaceExists: katestIfs, Compat: v})
}

// at checks that a diagnostic containing want exists at line:col.
func at(t *testing.T, ds *Diagnostics, want string, line, col int) Diagnostic {
	t.Helper()
	d := mustHave(t, ds, want)
	if d.Pos.Line != line || (col != 0 && d.Pos.Col != col) {
		t.Errorf("%q at %d:%d, want %d:%d", want, d.Pos.Line, d.Pos.Col, line, col)
	}
	return d
}

const minimalInstance = `vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    virtual_ipaddress {
        192.168.200.16
    }
}
`

func TestGlobalDefsDefaults(t *testing.T) {
	cfg, ds := loadIfs(t, "global_defs {\n}\n")
	mustBeClean(t, ds)
	g := cfg.Global
	if g.VRRPVersion != 2 || g.VRRPGARPMasterDelay != 5*time.Second || g.VRRPGARPMasterRepeat != 5 ||
		g.VRRPDownTimerAdverts != 3 || g.DefaultInterface != "eth0" || g.SMTPConnectTimeout != 30*time.Second ||
		g.VRRPMcastGroup4 != netip.MustParseAddr("224.0.0.18") || g.VRRPMcastGroup6 != netip.MustParseAddr("ff02::12") ||
		g.ScriptUser != "root" || g.VRRPRxBufsMultiplier != 3 || g.NFTablesIPVSStartFwmark != 1000 ||
		g.VRRPProcess.RLimitRTTime != 10000 || g.MinAutoPriorityDelay != 1000000 {
		t.Errorf("bad defaults: %+v", g)
	}
	if *g.VRRPGARPLowerPrioDelay != 5*time.Second || *g.VRRPGARPLowerPrioRepeat != 5 {
		t.Errorf("lower prio defaults not derived from master values")
	}
}

func TestGlobalDefsKeywords(t *testing.T) {
	cfg, ds := loadIfs(t, `global_defs {
    router_id LVS_DEVEL
    notification_email {
        a@b.c
        d@e.f
    }
    notification_email_from x@y.z
    smtp_server 192.168.200.1 2525
    smtp_connect_timeout 12
    smtp_alert false
    vrrp_version 3
    vrrp_garp_master_delay 7
    vrrp_garp_master_repeat 2
    vrrp_garp_interval 0.001
    vrrp_gna_interval 0.000002
    vrrp_strict
    vrrp_mcast_group4 224.0.0.19
    vrrp_priority -5
    vrrp_rt_priority 50
    vrrp_cpu_affinity 0 1
    vrrp_rlimit_rttime 20000
    enable_script_security
    script_user nobody
    lvs_sync_daemon eth0 VI_1 id 7 port 1234 group 224.0.0.81
    lvs_timeouts tcp 10 tcpfin 20 udp 30
    lvs_flush_on_stop VS
    nftables
    umask 0022
    dynamic_interfaces allow_if_changes
    vrrp_rx_bufs_policy MTU
    vrrp_netlink_cmd_rcv_bufs 1024
    vrrp_netlink_cmd_rcv_bufs_force
    enable_snmp_vrrp
    enable_dbus
    data_use_instance off
}
`)
	mustBeClean(t, ds)
	g := cfg.Global
	if g.RouterID != "LVS_DEVEL" || len(g.NotificationEmail) != 2 || g.NotificationEmailFrom != "x@y.z" ||
		g.SMTPServer == nil || g.SMTPServer.Port != 2525 || g.SMTPConnectTimeout != 12*time.Second ||
		g.SMTPAlert == nil || *g.SMTPAlert || g.VRRPVersion != 3 || g.VRRPGARPMasterDelay != 7*time.Second ||
		g.VRRPGARPMasterRepeat != 2 || g.VRRPGARPInterval != time.Millisecond || g.VRRPGNAInterval != 2*time.Microsecond ||
		!g.VRRPStrict || g.VRRPMcastGroup4 != netip.MustParseAddr("224.0.0.19") || g.VRRPProcess.Priority != -5 ||
		g.VRRPProcess.RTPriority != 50 || len(g.VRRPProcess.CPUAffinity) != 2 || g.VRRPProcess.RLimitRTTime != 20000 ||
		!g.EnableScriptSecurity || g.ScriptUser != "nobody" || g.LVSFlushOnStop != "VS" || g.NFTables != "keepalived" ||
		g.Umask == nil || *g.Umask != 0o022 || !g.DynamicInterfaces || !g.AllowIfChanges || !g.VRRPRxBufsPolicyMTU ||
		g.VRRPNetlinkCmdRcvBufs != (NetlinkBufs{Size: 1024, Force: true}) || !g.EnableSNMPVRRP || !g.EnableDBus {
		t.Errorf("bad global_defs: %+v", g)
	}
	sd := g.LVSSyncDaemon
	if sd == nil || sd.Interface != "eth0" || sd.Instance != "VI_1" || sd.SyncID != 7 || sd.Port != 1234 ||
		sd.Group != netip.MustParseAddr("224.0.0.81") {
		t.Errorf("bad lvs_sync_daemon: %+v", sd)
	}
	if g.LVSTimeouts != (LVSTimeouts{TCP: 10 * time.Second, TCPFin: 20 * time.Second, UDP: 30 * time.Second}) {
		t.Errorf("bad lvs_timeouts: %+v", g.LVSTimeouts)
	}
}

func TestGlobalDefsErrors(t *testing.T) {
	_, ds := loadIfs(t, `global_defs {
    vrrp_garp_interval 0
    vrrp_version 4
    vrrp_garp_master_repeat 0
    vrrp_down_timer_adverts 101
    vrrp_vmac_garp_intvl 5
    vrrp_mcast_group4 10.0.0.1
    vrrp_mcast_group6 ff05::1
}
`)
	at(t, ds, "number '0' outside range [0.000001, 4294.967295]", 2, 24)
	at(t, ds, "vrrp_garp_interval '0' is invalid", 2, 24)
	at(t, ds, "VRRP Error: Version must be either 2 or 3", 3, 18)
	at(t, ds, "vrrp_garp_master_repeat must be greater than 0, setting to 1", 4, 0)
	at(t, ds, "Invalid vrrp_down_timer_adverts [1:100] '101'", 5, 0)
	d := at(t, ds, `Keyword "vrrp_vmac_garp_intvl" is deprecated - please use "vrrp_garp_extra_if"`, 6, 5)
	if d.Kind != syntax.Deprecated {
		t.Errorf("kind %v, want Deprecated", d.Kind)
	}
	at(t, ds, "vrrp_mcast_group4 [10.0.0.1] is not multicast. Skipping", 7, 0)
	if d := mustHave(t, ds, "should be link-local multicast"); d.Kind != syntax.Warning {
		t.Errorf("kind %v, want Warning", d.Kind)
	}
	if ds.ExitCode() != 5 {
		t.Errorf("rc %d", ds.ExitCode())
	}
}

func TestGlobalSilentDeprecations(t *testing.T) {
	cfg, ds := loadIfs(t, "global_defs {\n lvs_process_name chk\n vrrp_rlimit_rtime 5000\n enable_snmp_keepalived\n lvs_flush_onstop\n}\n")
	if ds.ExitCode() != 0 {
		t.Fatalf("2.2.7 only logs these deprecations:\n%s", dump(ds))
	}
	if cfg.Global.CheckerProcessName != "chk" || cfg.Global.VRRPProcess.RLimitRTTime != 5000 || !cfg.Global.EnableSNMPVRRP || cfg.Global.LVSFlushOnStop != "FULL" {
		t.Errorf("aliases not mapped: %+v", cfg.Global)
	}
}

func TestScriptUserDefault(t *testing.T) {
	f := newFakeSys()
	f.users["keepalived_script"] = [2]uint32{990, 990}
	cfg, _ := loadFiles(t, map[string]string{"etc/keepalived/keepalived.conf": "global_defs {\n}\n"},
		Options{Scripts: f.env()})
	if cfg.Global.ScriptUser != "keepalived_script" {
		t.Errorf("script user %q", cfg.Global.ScriptUser)
	}
	cfg, _ = loadString(t, "global_defs {\n}\n")
	if cfg.Global.ScriptUser != "root" {
		t.Errorf("script user %q", cfg.Global.ScriptUser)
	}
}

func TestInstanceDefaults(t *testing.T) {
	cfg, ds := loadIfs(t, minimalInstance)
	mustBeClean(t, ds)
	v := cfg.VRRPInstances[0]
	if v.State != StateBackup || v.Priority != 100 || v.Version != 2 || v.Family != 4 || v.AdvertInt != time.Second ||
		v.VRID != 51 || !v.Accept || v.McastDstIP != netip.MustParseAddr("224.0.0.18") || v.UnicastTTL != 255 ||
		v.GARPMasterDelay != 5*time.Second || v.GARPLowerPrioRepeat != 5 || v.DownTimerAdverts != 3 {
		t.Errorf("bad instance defaults: %+v", v)
	}
	if len(v.VIPs) != 1 || v.VIPs[0].Prefix != netip.MustParsePrefix("192.168.200.16/32") || v.VIPs[0].Dev != "eth0" {
		t.Errorf("bad VIPs: %+v", v.VIPs)
	}
}

func TestInstanceKeywords(t *testing.T) {
	cfg, ds := loadIfs(t, `vrrp_script chk {
    script "/bin/true"
    weight -20
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 3
    nopreempt
    garp_master_delay 1
    garp_master_repeat 3
    authentication {
        auth_type PASS
        auth_pass secret
    }
    track_interface {
        eth1 weight 10
        eth2
    }
    track_script {
        chk weight -30 reverse
    }
    unicast_src_ip 10.0.0.1
    unicast_peer {
        10.0.0.2 min_ttl 2 max_ttl 5
    }
    virtual_ipaddress {
        192.168.200.16/24 brd + dev eth1 label eth1:1 scope link
        192.168.200.17 use_vmac no_track
    }
    virtual_ipaddress_excluded {
        fe80::1/64
    }
    smtp_alert
}
`)
	mustHave(t, ds, "(VI_1) Warning - nopreempt will not work with initial state MASTER - clearing")
	v := cfg.VRRPInstances[0]
	if v.State != StateMaster || v.Priority != 150 || v.AdvertInt != 3*time.Second || v.Nopreempt ||
		v.GARPMasterDelay != time.Second || v.GARPMasterRepeat != 3 || v.AuthType != "PASS" || v.AuthPass != "secret" ||
		!v.Unicast || v.SrcIP != netip.MustParseAddr("10.0.0.1") || !v.SMTPAlert || v.McastDstIP.IsValid() {
		t.Errorf("bad instance: %+v", v)
	}
	if len(v.TrackInterfaces) != 2 || v.TrackInterfaces[0].Weight != 10 {
		t.Errorf("bad track_interface: %+v", v.TrackInterfaces)
	}
	if len(v.TrackScripts) != 1 || v.TrackScripts[0].Weight != -30 || !v.TrackScripts[0].Reverse {
		t.Errorf("bad track_script: %+v", v.TrackScripts)
	}
	if len(v.UnicastPeers) != 1 || v.UnicastPeers[0].MinTTL != 2 || v.UnicastPeers[0].MaxTTL != 5 || !v.CheckUnicastSrc {
		t.Errorf("bad peers: %+v", v.UnicastPeers)
	}
	vip := v.VIPs[0]
	if vip.Broadcast != netip.MustParseAddr("192.168.200.255") || vip.Dev != "eth1" || vip.Label != "eth1:1" || vip.Scope != "link" {
		t.Errorf("bad vip: %+v", vip)
	}
	if !v.VIPs[1].UseVMAC || !v.VIPs[1].NoTrack {
		t.Errorf("bad vip 2: %+v", v.VIPs[1])
	}
	if len(v.EVIPs) != 1 || *v.EVIPs[0].PreferredLft != PreferredLftForever {
		t.Errorf("bad evip: %+v", v.EVIPs)
	}
}

func TestInstanceFixups(t *testing.T) {
	_, ds := loadIfs(t, `vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 300
    priority 0
    advert_int 0
    state SLAVE
    virtual_ipaddress {
        1.2.3.4/33
        1.2.3.
    }
}
`)
	at(t, ds, "number '300' outside range [1, 255]", 3, 23)
	at(t, ds, "(VI_1): VRID '300' not valid - must be between 1 & 255", 3, 23)
	at(t, ds, "(VI_1) Priority not valid! must be between 1 & 255. Using default 100", 4, 14)
	at(t, ds, "number '0' outside range [0.010000, 255.000000]", 5, 16)
	at(t, ds, "(VI_1) Advert interval (0) not valid! Must be > 0 - ignoring", 5, 16)
	at(t, ds, "(VI_1) unknown state 'SLAVE', defaulting to BACKUP", 6, 11)
	at(t, ds, "Invalid address prefix len 33 for address 1.2.3.4/33 - using 32", 8, 9)
	at(t, ds, "VRRP parsed invalid IP 1.2.3.. skipping IP...", 9, 9)
	at(t, ds, "(VI_1) the virtual router id must be set", 1, 1)
	if ds.ExitCode() != 5 {
		t.Errorf("rc %d", ds.ExitCode())
	}
}

func TestInstanceRanges(t *testing.T) {
	for _, c := range []struct {
		line string
		bad  bool
	}{
		{"virtual_router_id 1", false}, {"virtual_router_id 255", false}, {"virtual_router_id 0", true}, {"virtual_router_id 256", true},
		{"priority 1", false}, {"priority 255", false}, {"priority 256", true},
		{"advert_int 0.01", false}, {"advert_int 255", false}, {"advert_int 255.1", true}, {"advert_int 0.009", true},
		{"preempt_delay 1000", false}, {"preempt_delay 1001", true},
		{"down_timer_adverts 1", false}, {"down_timer_adverts 100", false}, {"down_timer_adverts 101", true},
		{"unicast_ttl 256", true},
	} {
		text := "vrrp_instance VI_1 {\n interface eth0\n " + c.line + "\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n"
		if !strings.HasPrefix(c.line, "virtual_router_id") {
			text = strings.Replace(text, " interface eth0\n", " interface eth0\n virtual_router_id 9\n", 1)
		}
		_, ds := loadIfs(t, text)
		line := 0
		for i, l := range strings.Split(text, "\n") {
			if strings.TrimSpace(l) == c.line {
				line = i + 1
			}
		}
		bad := false
		for _, d := range ds.List {
			if d.Pos.Line == line && d.Kind == syntax.InvalidNumber {
				bad = true
			}
		}
		if bad != c.bad {
			t.Errorf("%s: bad=%v, want %v\n%s", c.line, bad, c.bad, dump(ds))
		}
	}
}

func TestAdvertIntRounding(t *testing.T) {
	cfg, ds := loadIfs(t, strings.Replace(minimalInstance, "virtual_router_id 51", "virtual_router_id 51\n advert_int 1.4", 1))
	mustHave(t, ds, "(VI_1) VRRPv2 advertisement interval 1.400000s must be an integer. rounding")
	if cfg.VRRPInstances[0].AdvertInt != time.Second {
		t.Errorf("v2 advert %v", cfg.VRRPInstances[0].AdvertInt)
	}
	cfg, ds = loadIfs(t, strings.Replace(minimalInstance, "virtual_router_id 51", "virtual_router_id 51\n version 3\n advert_int 0.125", 1))
	mustHave(t, ds, "(VI_1) VRRPv3 advertisement interval 0.125000s must be in units of 10ms - rounding")
	if cfg.VRRPInstances[0].AdvertInt != 130*time.Millisecond {
		t.Errorf("v3 advert %v", cfg.VRRPInstances[0].AdvertInt)
	}
	cfg, ds = loadIfs(t, strings.Replace(minimalInstance, "virtual_router_id 51", "virtual_router_id 51\n version 3\n advert_int 50", 1))
	mustHave(t, ds, "VRRPv3 advertisement interval 50.00s is out of range")
	if cfg.VRRPInstances[0].AdvertInt != 40950*time.Millisecond {
		t.Errorf("v3 advert %v", cfg.VRRPInstances[0].AdvertInt)
	}
	// Rounded up to 40.96 s, then kept within range (2.2.8).
	cfg, _ = loadIfs(t, strings.Replace(minimalInstance, "virtual_router_id 51", "virtual_router_id 51\n version 3\n advert_int 40.955", 1))
	if cfg.VRRPInstances[0].AdvertInt != 40950*time.Millisecond {
		t.Errorf("v3 advert %v", cfg.VRRPInstances[0].AdvertInt)
	}
}

// The same IPv6 link-local VIP on two interfaces is not a duplicate
// (keepalived issue #2573; 2.4.3 still calls it one); on one it is, and
// is dropped as 2.3.3 and later do; 2.2.7 keeps it, silently.
func TestVIPDuplicateLinkLocal(t *testing.T) {
	text := "vrrp_instance VI_6 {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n  fe80::10 dev eth0\n  fe80::10 dev eth1\n  fe80::10\n }\n}\n"
	cfg, ds := loadIfs(t, text)
	at(t, ds, "(VI_6): VIP duplicates a VIP fe80::10 - ignoring", 7, 3)
	if n := len(cfg.VRRPInstances[0].VIPs); n != 2 {
		t.Errorf("%d VIPs, want 2", n)
	}
	cfg, ds = loadIfsAs(t, Oldest, text)
	mustNotHave(t, ds, "duplicates")
	if n := len(cfg.VRRPInstances[0].VIPs); n != 3 {
		t.Errorf("2.2.7: %d VIPs, want 3", n)
	}
}

func TestIPv6ForcesV3(t *testing.T) {
	cfg, ds := loadIfs(t, "vrrp_instance VI_6 {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n  fe80::10\n  2001:db8::1/64\n }\n}\n")
	mustBeClean(t, ds)
	v := cfg.VRRPInstances[0]
	if v.Family != 6 || v.Version != 3 || v.McastDstIP != netip.MustParseAddr("ff02::12") {
		t.Errorf("bad v6 instance: %+v", v)
	}
	if *v.VIPs[0].PreferredLft != 0 || *v.VIPs[1].PreferredLft != PreferredLftForever {
		t.Errorf("bad preferred_lft defaults")
	}
	_, ds = loadIfs(t, "vrrp_instance VI_6 {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n  fe80::10\n  10.0.0.1\n }\n}\n")
	at(t, ds, "(VI_6): address family must match VRRP instance [10.0.0.1] - ignoring", 6, 3)
}

func TestAuthFixups(t *testing.T) {
	_, ds := loadIfs(t, strings.Replace(minimalInstance, "virtual_router_id 51", "virtual_router_id 51\n state MASTER\n priority 100\n authentication {\n  auth_type AH\n  auth_pass secret123\n }", 1))
	at(t, ds, "Truncating auth_pass to 8 characters", 8, 13)
	mustHave(t, ds, "(VI_1) Initial state master is incompatible with AH authentication - clearing")
	_, ds = loadIfs(t, strings.Replace(minimalInstance, "virtual_router_id 51", "virtual_router_id 51\n version 3\n authentication {\n  auth_type PASS\n  auth_pass x\n }", 1))
	mustHave(t, ds, "(VI_1) VRRP version 3 does not support authentication. Ignoring.")
}

func TestStrictMode(t *testing.T) {
	cfg, ds := loadIfs(t, "global_defs {\n vrrp_strict\n}\n"+strings.Replace(minimalInstance, "virtual_router_id 51",
		"virtual_router_id 51\n state MASTER\n priority 100\n preempt_delay 5\n garp_lower_prio_repeat 2\n authentication {\n  auth_type PASS\n  auth_pass x\n }", 1))
	mustHave(t, ds, "(VI_1) State MASTER must match being address owner")
	mustHave(t, ds, "(VI_1) Strict mode does not support authentication. Ignoring.")
	mustHave(t, ds, "(VI_1) preempt_delay is incompatible with strict mode - resetting")
	mustHave(t, ds, "(VI_1) Strict mode requires no repeat garps. resetting")
	v := cfg.VRRPInstances[0]
	if v.State != StateBackup || v.Accept || !v.LowerPrioNoAdvert || v.AuthType != "" || v.PreemptDelay != 0 {
		t.Errorf("strict fix-ups not applied: %+v", v)
	}
}

func TestPreemptDelayNopreempt(t *testing.T) {
	_, ds := loadIfs(t, strings.Replace(minimalInstance, "virtual_router_id 51", "virtual_router_id 51\n nopreempt\n preempt_delay 10", 1))
	mustHave(t, ds, "(VI_1) preempt_delay is incompatible with nopreempt mode - resetting")
}

func TestMissingInterface(t *testing.T) {
	_, ds := loadFiles(t, map[string]string{"etc/keepalived/keepalived.conf": strings.Replace(minimalInstance, "eth0", "eth9", 1)},
		Options{InterfaceExists: katestIfs})
	d := at(t, ds, "WARNING - interface eth9 for vrrp_instance VI_1 doesn't exist", 2, 15)
	if d.Kind != syntax.GeneralError {
		t.Errorf("kind %v", d.Kind)
	}
	if d := mustHave(t, ds, "Non-existent interface specified in configuration"); d.Kind != syntax.BadInterface {
		t.Errorf("kind %v", d.Kind)
	}
	if ds.ExitCode() != 5 {
		t.Errorf("rc %d, want 5 like 2.2.7", ds.ExitCode())
	}
	// dynamic_interfaces accepts it
	_, ds = loadFiles(t, map[string]string{"etc/keepalived/keepalived.conf": "global_defs {\n dynamic_interfaces\n}\n" + strings.Replace(minimalInstance, "eth0", "eth9", 1)},
		Options{InterfaceExists: katestIfs})
	if ds.ExitCode() != 0 {
		t.Errorf("dynamic_interfaces: rc %d\n%s", ds.ExitCode(), dump(ds))
	}
	// track_interface too
	_, ds = loadIfs(t, strings.Replace(minimalInstance, "virtual_router_id 51", "virtual_router_id 51\n track_interface {\n  eth7\n }", 1))
	at(t, ds, "(VI_1) tracked interface eth7 doesn't exist", 5, 3)
	mustHave(t, ds, "Non-existent interface specified in configuration")
}

func TestDuplicateVRID(t *testing.T) {
	_, ds := loadIfs(t, minimalInstance+strings.Replace(minimalInstance, "VI_1", "VI_2", 1))
	mustHave(t, ds, "VI_1 and VI_2 both use VRID 51 with IPv4 on interface eth0")
	_, ds = loadIfs(t, minimalInstance+strings.Replace(strings.Replace(minimalInstance, "VI_1", "VI_2", 1), "eth0", "eth1", 1))
	mustBeClean(t, ds)
}

func TestTrackReferences(t *testing.T) {
	_, ds := loadIfs(t, `vrrp_instance VI_0 {
    interface eth0
    virtual_router_id 1
    track_script {
        check_VI_0
    }
    track_file {
        nofile
    }
    track_process {
        noproc
    }
    virtual_ipaddress {
        10.1.0.254/32
    }
}
`)
	at(t, ds, "(VI_0) track script check_VI_0 not found, ignoring...", 5, 9)
	at(t, ds, "(VI_0) track file nofile not found, ignoring...", 8, 9)
	at(t, ds, "(VI_0) track process noproc not found, ignoring...", 11, 9)
}

func TestVRRPScript(t *testing.T) {
	cfg, ds := loadIfs(t, `vrrp_script chk {
    script "/bin/check arg"
    interval 0
    timeout 4
    weight 254
    rise 3
    fall 0
    init_fail
}
vrrp_script empty {
    interval 2
}
`)
	at(t, ds, "(chk): vrrp script interval must be greater than 0, setting to 1", 3, 14)
	at(t, ds, "vrrp_script chk weight 254 must be in [-253, 253]", 5, 12)
	at(t, ds, "(chk): vrrp script fall value '0' invalid, defaulting to 1", 7, 10)
	at(t, ds, "No script set for vrrp_script empty - removing", 12, 1) // at its '}', as keepalived
	if len(cfg.VRRPScripts) != 1 {
		t.Fatalf("scripts %d", len(cfg.VRRPScripts))
	}
	s := cfg.VRRPScripts[0]
	if s.Interval != time.Second || s.Timeout != 4*time.Second || s.Rise != 3 || s.Fall != 1 || !s.InitFail ||
		strings.Join(s.Script.Argv, " ") != "/bin/check arg" {
		t.Errorf("bad script: %+v", s)
	}
}

func TestTrackFileAndProcess(t *testing.T) {
	cfg, ds := loadIfs(t, `vrrp_track_file tf {
    file /tmp/x
    weight -5 reverse
    init_file 3 overwrite
}
vrrp_track_process tp {
    process haproxy -f cfg
    weight 10
    quorum 2
    delay 1.5
}
`)
	if ds.ExitCode() != 0 {
		t.Fatalf("2.2.7 only logs the vrrp_track_file deprecation:\n%s", dump(ds))
	}
	f := cfg.TrackFiles[0]
	if f.File != "/tmp/x" || f.Weight != -5 || !f.Reverse || !f.InitFile || f.InitValue != 3 || !f.Overwrite {
		t.Errorf("bad track_file: %+v", f)
	}
	p := cfg.TrackProcesses[0]
	if p.Process != "haproxy" || strings.Join(p.Params, " ") != "-f cfg" || p.ParamMatch != "exact" || p.Weight != 10 ||
		p.Quorum != 2 || p.TerminateDelay != 1500*time.Millisecond || p.ForkDelay != 1500*time.Millisecond {
		t.Errorf("bad track_process: %+v", p)
	}
}

func TestSyncGroup(t *testing.T) {
	cfg, ds := loadIfs(t, `vrrp_sync_group VG1 {
    group {
        VI_1
        VI_2
    }
    notify_master "/bin/true"
    smtp_alert
}
`+minimalInstance+strings.Replace(strings.Replace(minimalInstance, "VI_1", "VI_2", 1), "51", "52", 1))
	if len(cfg.SyncGroups) != 1 || strings.Join(cfg.SyncGroups[0].Instances, ",") != "VI_1,VI_2" ||
		cfg.SyncGroups[0].NotifyMaster == nil || cfg.VRRPInstances[0].SyncGroup != "VG1" {
		t.Errorf("bad sync group: %+v", cfg.SyncGroups)
	}
	for _, d := range ds.List {
		if d.Kind != syntax.SecurityError && !isUnsupportedNotice(d) {
			t.Errorf("unexpected: %s", d)
		}
	}
	// 2.2.7 removes a group without members at its line when validating;
	// 2.2.8 and later at the end of its block.
	noGroup := "vrrp_sync_group VG1 {\n  VI_1\n}\n" + minimalInstance
	_, ds = loadIfsAs(t, Oldest, noGroup)
	at(t, ds, "Unknown keyword 'VI_1'", 2, 3)
	at(t, ds, "Sync group VG1 has no virtual router(s). removing", 1, 1)
	cfg, ds = loadIfs(t, noGroup)
	at(t, ds, "Sync group VG1 has no members - removing", 3, 1)
	mustNotHave(t, ds, "has no virtual router(s)")
	if len(cfg.SyncGroups) != 0 {
		t.Errorf("group without members kept: %+v", cfg.SyncGroups)
	}
	_, ds = loadIfs(t, "vrrp_sync_group VG1 {\n  group {\n  }\n}\n"+minimalInstance)
	at(t, ds, "Warning - sync group VG1 has empty group block", 3, 3)
	at(t, ds, "Sync group VG1 has no members - removing", 4, 1)
	_, ds = loadIfs(t, "vrrp_sync_group VG1 {\n group {\n  VI_1\n  VI_9\n }\n}\n"+minimalInstance)
	mustHave(t, ds, "Virtual router VI_9 specified in sync group VG1 doesn't exist - ignoring")
}

const staticText = `static_ipaddress {
    192.168.200.16 dev eth0 scope link
    10.0.0.1/24 brd -
}
static_routes {
    src 192.168.100.1 192.168.209.0/24 via 192.168.200.254 dev eth0
    192.168.112.0/24 via 192.168.100.254
    10.9.0.0/16 gw 10.0.0.254 dev eth1 table 100 metric 5
}
static_rules {
    from 192.168.100.0/24 table 1
    from 10.0.0.0/8 table 2 priority 100
    to 10.1.0.0/16 table 3
}
`

func TestStaticAddressesRoutesRules(t *testing.T) {
	cfg, ds := loadIfsAs(t, Oldest, staticText)
	at(t, ds, "Warning - cannot track route 192.168.112.0/24 with no interface specified, not tracking", 7, 5)
	_, ds243 := loadIfs(t, staticText) // 2.3.2 stopped warning
	mustNotHave(t, ds243, "cannot track route")
	a := cfg.StaticAddresses
	if len(a) != 2 || a[0].Scope != "link" || a[1].Dev != "eth0" || a[1].Broadcast != netip.MustParseAddr("10.0.0.0") {
		t.Errorf("bad static addresses: %+v", a)
	}
	r := cfg.StaticRoutes
	if len(r) != 3 || r[0].Src != netip.MustParseAddr("192.168.100.1") || r[0].Dst != netip.MustParsePrefix("192.168.209.0/24") ||
		r[0].Dev != "eth0" || r[0].NoTrack || !r[1].NoTrack || r[2].Table != 100 || *r[2].Metric != 5 {
		t.Errorf("bad routes: %+v", r)
	}
	at(t, ds, `"gw" for routes is deprecated. Please use "via"`, 8, 17)
	ru := cfg.StaticRules
	if len(ru) != 3 || ru[0].Priority != 16384 || !ru[0].PriorityAuto || ru[1].Priority != 100 || ru[2].Priority != 16383 || ru[2].Table != 3 {
		t.Errorf("bad rules: %+v", ru)
	}
	at(t, ds, "Rule has no preference specified - setting to 16384. This is probably not what you want.", 11, 5)
	at(t, ds, "Rule has no preference specified - setting to 16383. This is probably not what you want.", 13, 5)
}

func TestGARPGroupAndMisc(t *testing.T) {
	cfg, ds := loadIfsAs(t, Oldest, garpText)
	// 2.2.7 numbers the group removed by its own interfaces block (none:
	// 0); 2.3.2 and later by the count of interfaces blocks read so far
	at(t, ds, "garp group 0 does not have any delay set - removing", 10, 1)
	_, ds243 := loadIfs(t, garpText)
	at(t, ds243, "garp group 1 does not have any delay set - removing", 10, 1)
	if len(cfg.GARPGroups) != 1 || cfg.GARPGroups[0].GARPInterval != time.Millisecond || len(cfg.GARPGroups[0].Interfaces) != 2 {
		t.Errorf("bad garp groups: %+v", cfg.GARPGroups)
	}
}

const garpText = `garp_group {
    garp_interval 0.001
    interfaces {
        eth0
        eth1
    }
}
garp_group {
    interface eth2
}
linkbeat_interfaces {
    eth0 MII
    eth1
}
interface_up_down_delays {
    eth0 2 1.5
}
track_group TG {
    group {
        VI_1
    }
}
bfd_instance b1 {
    neighbor_ip 10.0.0.2
    min_rx 20
    multiplier 3
}
`

func TestGARPGroupMisc(t *testing.T) {
	cfg, _ := loadIfs(t, garpText)
	if len(cfg.LinkbeatInterfaces) != 2 || cfg.LinkbeatInterfaces[0].Type != "MII" {
		t.Errorf("bad linkbeat: %+v", cfg.LinkbeatInterfaces)
	}
	if len(cfg.InterfaceUpDownDelays) != 1 || cfg.InterfaceUpDownDelays[0].Up != 1500*time.Millisecond {
		t.Errorf("bad delays: %+v", cfg.InterfaceUpDownDelays)
	}
	if len(cfg.TrackGroups) != 1 || cfg.TrackGroups[0].Instances[0] != "VI_1" {
		t.Errorf("bad track groups: %+v", cfg.TrackGroups)
	}
	b := cfg.BFDInstances[0]
	if b.MinRx != 20*time.Millisecond || b.MinTx != 10*time.Millisecond || b.Multiplier != 3 || b.TTL != 255 || !b.VRRP || !b.Checker {
		t.Errorf("bad bfd: %+v", b)
	}
}

func TestLVSSyncDaemonInterfaceDeprecated(t *testing.T) {
	cfg, ds := loadIfs(t, strings.Replace(minimalInstance, "virtual_router_id 51", "virtual_router_id 51\n lvs_sync_daemon_interface eth1", 1))
	at(t, ds, "(VI_1) Specifying lvs_sync_daemon_interface against a vrrp is deprecated.", 4, 2)
	mustHave(t, ds, "Please use global lvs_sync_daemon")
	if sd := cfg.Global.LVSSyncDaemon; sd == nil || sd.Interface != "eth1" || sd.Instance != "VI_1" || sd.SyncID != 51 {
		t.Errorf("bad sync daemon: %+v", sd)
	}
}

func TestUnicastWithoutPeers(t *testing.T) {
	_, ds := loadIfs(t, strings.Replace(minimalInstance, "virtual_router_id 51", "virtual_router_id 51\n unicast_src_ip 192.168.200.1", 1))
	d := mustHave(t, ds, "(VI_1) A unicast keyword has been specified without any unicast peers. Defaulting to multicast.")
	if d.Kind != syntax.Deprecated {
		t.Errorf("kind %v", d.Kind)
	}
}

func TestGarpExtraIfDeprecated(t *testing.T) {
	cfg, ds := loadIfs(t, strings.Replace(minimalInstance, "virtual_router_id 51", "virtual_router_id 51\n vmac_garp_intvl all 30", 1))
	d := mustHave(t, ds, `Keyword "vmac_garp_intvl" is deprecated - please use "garp_extra_if"`)
	if d.Kind != syntax.Deprecated {
		t.Errorf("kind %v", d.Kind)
	}
	if v := cfg.VRRPInstances[0]; v.GARPExtraIf != 30*time.Second || !v.GARPExtraIfAll {
		t.Errorf("bad garp_extra_if: %+v", v)
	}
}

// vrrp_strict_vip_check is ours: off by default (RFC 9568 acceptance).
func TestStrictVIPCheckKeyword(t *testing.T) {
	cfg, ds := loadString(t, "global_defs {\n}\n")
	mustBeClean(t, ds)
	if cfg.Global.VRRPStrictVIPCheck {
		t.Error("on by default")
	}
	cfg, ds = loadString(t, "global_defs {\n vrrp_strict_vip_check\n}\n")
	mustBeClean(t, ds)
	if !cfg.Global.VRRPStrictVIPCheck {
		t.Error("keyword not read")
	}
}

// TestBFDMultihop: keepalived 2.4's multihop; a multihop and a
// single-hop instance to one neighbour are not duplicates.
func TestBFDMultihop(t *testing.T) {
	cfg, ds := loadIfs(t, `bfd_instance b1 {
    neighbor_ip 10.0.0.2
    multihop
}
bfd_instance b2 {
    neighbor_ip 10.0.0.2
}
bfd_instance b3 {
    multihop yes
    neighbor_ip 10.0.0.2
}
bfd_instance b4 {
    neighbor_ip 10.0.0.3
    multihop maybe
}
`)
	at(t, ds, "Configuration error: BFD instance b3 has duplicate neighbor address 10.0.0.2, ignoring instance", 11, 1)
	at(t, ds, "Configuration error: BFD instance b4 multihop setting not valid - maybe", 14, 14)
	if len(cfg.BFDInstances) != 3 || !cfg.BFDInstances[0].Multihop || cfg.BFDInstances[1].Multihop || cfg.BFDInstances[2].Multihop {
		t.Fatalf("bad instances: %+v", cfg.BFDInstances)
	}
}
