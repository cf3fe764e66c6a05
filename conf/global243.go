package conf

import (
	"fmt"
	"os"
	"time"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

// Global243 holds the global_defs keywords keepalived added between
// 2.2.8 and 2.4.3 (2.2.7 calls them unknown).
type Global243 struct {
	// StateDumpFile, StatsDumpFile and JSONDumpFile say where SIGUSR1,
	// SIGUSR2 and SIGJSON write: a path ending in / is a directory for the
	// usual name, a relative path is under the temporary directory.
	StateDumpFile string `json:"state_dump_file,omitempty"`
	StatsDumpFile string `json:"stats_dump_file,omitempty"`
	JSONDumpFile  string `json:"json_dump_file,omitempty"`
	// JSONVersion 2 wraps the instances in {"vrrp": [...]} and adds the
	// tracked processes; 0 is the default, version 1.
	JSONVersion int `json:"json_version,omitempty"`
	// UseSymlinkPaths keeps script and file paths as written rather than
	// resolved through symbolic links.
	UseSymlinkPaths bool `json:"use_symlink_paths,omitempty"`
	// IprouteEtcDir and IprouteUsrDir are where rt_tables and the other
	// iproute2 name tables are read from.
	IprouteEtcDir string `json:"iproute_etc_dir,omitempty"`
	IprouteUsrDir string `json:"iproute_usr_dir,omitempty"`
	// DBusNoInterfaceName stands for the interface in the D-Bus object
	// path of an instance without one (keepalived's default "none").
	DBusNoInterfaceName string `json:"dbus_no_interface_name,omitempty"`
	// SNMPVSStatsUpdateInterval and SNMPRSStatsUpdateInterval: how long
	// the SNMP subagent may serve IPVS counters before reading them again.
	SNMPVSStatsUpdateInterval time.Duration `json:"snmp_vs_stats_update_interval,omitempty"`
	SNMPRSStatsUpdateInterval time.Duration `json:"snmp_rs_stats_update_interval,omitempty"`
}

// ProcUptime reads the system's uptime in seconds (/proc/uptime's first
// field); a variable so that tests can pretend the system just booted.
var ProcUptime = func() (float64, error) {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0, err
	}
	var up float64
	if _, err := fmt.Sscan(string(b), &up); err != nil {
		return 0, err
	}
	return up, nil
}

// dumpFileKw is state_dump_file, stats_dump_file and json_dump_file.
func dumpFileKw(set func(g *Global243, v string)) kw {
	return kw{fn: func(d *decoder, s *syntax.Stmt) {
		if len(s.Words) != 2 || s.Words[1].Text == "" {
			d.errorf(s, 1, "%s requires a non-empty path", s.Keyword())
			return
		}
		set(&d.cfg.Global.V243, s.Words[1].Text)
	}}
}

// iprouteDirKw is iproute_etc_dir and iproute_usr_dir.
func iprouteDirKw(set func(g *Global243, v string)) kw {
	return kw{fn: func(d *decoder, s *syntax.Stmt) {
		if len(s.Words) != 2 {
			d.errorf(s, 1, "%s requires path", s.Keyword())
			return
		}
		set(&d.cfg.Global.V243, s.Words[1].Text)
	}}
}

// snmpStatsIntervalKw is snmp_vs_stats_update_interval and
// snmp_rs_stats_update_interval: 1 ms to 30 s. keepalived gives both the
// "vs" message.
func snmpStatsIntervalKw(set func(g *Global243, v time.Duration)) kw {
	return kw{fn: func(d *decoder, s *syntax.Stmt) {
		v, ok := d.readTimer(s, 1, 1000, 30*timerHz)
		if !ok {
			d.errorf(s, 1, "snmp stats vs update interval '%s' invalid - ignoring", word(s, 1))
			return
		}
		set(&d.cfg.Global.V243, v)
	}}
}

// decodeDelayAfterBoot is vrrp_delay_after_boot: a VRRP start-up delay
// counted from the system's boot, so only its part still to come counts;
// the longest of it and vrrp_startup_delay wins.
func decodeDelayAfterBoot(d *decoder, s *syntax.Stmt) {
	v, ok := d.readTimer(s, 1, timerHz/1000, 0xffffffff)
	if !ok {
		d.errorf(s, 1, "vrrp_delay_after_boot '%s' is invalid", word(s, 1))
		return
	}
	up, err := ProcUptime()
	if err != nil {
		d.warnf(s, 0, "Unable to read /proc/uptime for vrrp_delay_after_boot - ignoring")
		return
	}
	upD := time.Duration(up * float64(time.Second)).Truncate(time.Microsecond)
	if upD >= v {
		return
	}
	v -= upD
	if v <= d.cfg.Global.VRRPStartupDelay {
		return
	}
	d.cfg.Global.VRRPStartupDelay = v
	if v >= time.Minute {
		d.vlogInfo(s.WordPos(1), "The vrrp_wait_after_boot is very large - %d seconds", int64(v/time.Second))
	}
}

// global243Keywords decodes the keywords of keepalived 2.2.8 to 2.4.3:
//
//	state_dump_file|stats_dump_file|json_dump_file PATH
//	json_version 1|2
//	use_symlink_paths [BOOL]
//	iproute_etc_dir|iproute_usr_dir DIR
//	dbus_no_interface_name NAME
//	snmp_vs_stats_update_interval|snmp_rs_stats_update_interval SECONDS
//	vrrp_delay_after_boot SECONDS
func global243Keywords() table {
	return table{
		"state_dump_file": dumpFileKw(func(g *Global243, v string) { g.StateDumpFile = v }),
		"stats_dump_file": dumpFileKw(func(g *Global243, v string) { g.StatsDumpFile = v }),
		"json_dump_file":  dumpFileKw(func(g *Global243, v string) { g.JSONDumpFile = v }),
		"json_version": {fn: func(d *decoder, s *syntax.Stmt) {
			if len(s.Words) < 2 {
				d.errorf(s, 0, "%s requires version", s.Keyword())
				return
			}
			v, ok := d.readUnsigned(s, 1, 1, 2)
			if !ok {
				d.errorf(s, 1, "Invalid JSON version")
				return
			}
			d.cfg.Global.V243.JSONVersion = int(v)
		}},
		"use_symlink_paths": {fn: func(d *decoder, s *syntax.Stmt) {
			if v, ok := d.boolArg(s, 1, "Invalid value '%s' for global use_symlink_path specified"); ok {
				d.cfg.Global.V243.UseSymlinkPaths = v
			}
		}},
		"iproute_etc_dir": iprouteDirKw(func(g *Global243, v string) { g.IprouteEtcDir = v }),
		"iproute_usr_dir": iprouteDirKw(func(g *Global243, v string) { g.IprouteUsrDir = v }),
		"dbus_no_interface_name": {fn: func(d *decoder, s *syntax.Stmt) {
			if len(s.Words) < 2 {
				d.errorf(s, 0, "dbus_no_interface_name missing - ignoring")
				return
			}
			d.cfg.Global.V243.DBusNoInterfaceName = s.Words[1].Text
		}},
		"snmp_vs_stats_update_interval": snmpStatsIntervalKw(func(g *Global243, v time.Duration) { g.SNMPVSStatsUpdateInterval = v }),
		"snmp_rs_stats_update_interval": snmpStatsIntervalKw(func(g *Global243, v time.Duration) { g.SNMPRSStatsUpdateInterval = v }),
		"vrrp_delay_after_boot":         {fn: decodeDelayAfterBoot},
	}
}
