package conf

import "github.com/gokeepalived/gokeepalived/conf/internal/syntax"

// unsupportedNotice is what the loader says, where the keyword is, of a
// keyword keepalived acts on and gokeepalived only accepts. It is an Info
// diagnostic: keepalived's -t verdict is unchanged, --strict fails on it.
const unsupportedNotice = "'%s' is accepted but not supported by gokeepalived"

// unsupportedKeywords are the keywords of keepalived 2.2.7 that are parsed
// and checked as keepalived does but have no effect at run time here. The
// outer key is the block the keyword is in, as the decoder names it
// ("top level", "global_defs", "real_server", "HTTP_GET", "url" ...); the
// value says what keepalived does that gokeepalived does not.
// conf/keyword_coverage_test.go derives the list from the model: a
// keyword belongs here exactly when nothing outside package conf reads
// what it sets.
var unsupportedKeywords = map[string]map[string]string{
	"top level": {
		"namespace_with_ipsets":    "network namespaces: ipset names per namespace",
		"use_pid_dir":              "pid files under /run/keepalived/",
		"instance":                 "instance name in pid and data file names",
		"linkbeat_use_polling":     "link state by polling (ioctl) instead of netlink",
		"linkbeat_interfaces":      "link state by polling (ioctl) instead of netlink",
		"interface_up_down_delays": "delays before acting on an interface going up or down",
		"track_group":              "track_group (tracking shared between instances)",
		"garp_group":               "gratuitous ARP/NA groups per interface",
	},
	"global_defs": {
		"process_names":                       "process names (prctl)",
		"process_name":                        "process names (prctl)",
		"vrrp_process_name":                   "process names (prctl)",
		"checker_process_name":                "process names (prctl)",
		"lvs_process_name":                    "process names (prctl)",
		"bfd_process_name":                    "process names (prctl)",
		"max_auto_priority":                   "real-time scheduling priority raised on slow timers",
		"min_auto_priority_delay":             "real-time scheduling priority raised on slow timers",
		"dynamic_interfaces":                  "interfaces created after start-up (only the load-time interface check is relaxed)",
		"vrrp_ipsets":                         "iptables/ipsets (nftables is used)",
		"vrrp_priority":                       "process scheduling (nice)",
		"vrrp_no_swap":                        "process memory locking (mlockall)",
		"vrrp_rt_priority":                    "real-time scheduling (SCHED_RR)",
		"vrrp_cpu_affinity":                   "CPU affinity",
		"vrrp_rlimit_rttime":                  "RLIMIT_RTTIME",
		"vrrp_rlimit_rtime":                   "RLIMIT_RTTIME",
		"checker_priority":                    "process scheduling (nice)",
		"checker_no_swap":                     "process memory locking (mlockall)",
		"checker_rt_priority":                 "real-time scheduling (SCHED_RR)",
		"checker_cpu_affinity":                "CPU affinity",
		"checker_rlimit_rttime":               "RLIMIT_RTTIME",
		"checker_rlimit_rtime":                "RLIMIT_RTTIME",
		"bfd_priority":                        "process scheduling (nice)",
		"bfd_no_swap":                         "process memory locking (mlockall)",
		"bfd_rt_priority":                     "real-time scheduling (SCHED_RR)",
		"bfd_cpu_affinity":                    "CPU affinity",
		"bfd_rlimit_rttime":                   "RLIMIT_RTTIME",
		"bfd_rlimit_rtime":                    "RLIMIT_RTTIME",
		"nftables_ipvs":                       "nftables rules for IPVS (fwmark services of address groups)",
		"nftables_ipvs_priority":              "nftables rules for IPVS (fwmark services of address groups)",
		"nftables_ipvs_start_fwmark":          "nftables rules for IPVS (fwmark services of address groups)",
		"vrrp_netlink_cmd_rcv_bufs":           "netlink socket buffer sizes",
		"vrrp_netlink_cmd_rcv_bufs_force":     "netlink socket buffer sizes",
		"vrrp_netlink_monitor_rcv_bufs":       "netlink socket buffer sizes",
		"vrrp_netlink_monitor_rcv_bufs_force": "netlink socket buffer sizes",
		"process_monitor_rcv_bufs":            "netlink socket buffer sizes",
		"process_monitor_rcv_bufs_force":      "netlink socket buffer sizes",
		"lvs_netlink_cmd_rcv_bufs":            "netlink socket buffer sizes",
		"lvs_netlink_cmd_rcv_bufs_force":      "netlink socket buffer sizes",
		"lvs_netlink_monitor_rcv_bufs":        "netlink socket buffer sizes",
		"lvs_netlink_monitor_rcv_bufs_force":  "netlink socket buffer sizes",
		"vrrp_rx_bufs_policy":                 "VRRP socket receive buffer sizes",
		"vrrp_rx_bufs_multiplier":             "VRRP socket receive buffer sizes",
		"vmac_addr_prefix":                    "VMAC interface name prefix with use_vmac_addr",
		"umask":                               "umask of created files",
		"random_seed":                         "seed of keepalived's random numbers",
		"reload_time_file":                    "scheduled reloads",
		"reload_repeat":                       "scheduled reloads",
		"reload_file":                         "reload requested through a file",
		"include_check":                       "checks of included files on reload",
		"config_save_dir":                     "saving the configuration read",
		"tmp_config_directory":                "temporary configuration directory",
		"data_use_instance":                   "instance name in data file names",
		"use_symlink_paths":                   "script and file paths kept as written (not resolved through symbolic links)",
		"iproute_etc_dir":                     "iproute2 name tables read from another directory",
		"iproute_usr_dir":                     "iproute2 name tables read from another directory",
		"snmp_vs_stats_update_interval":       "SNMP IPVS counters cached between reads",
		"snmp_rs_stats_update_interval":       "SNMP IPVS counters cached between reads",
	},
	"track_group": {
		"group": "track_group (tracking shared between instances)",
	},
	"garp_group": {
		"garp_interval": "gratuitous ARP/NA groups per interface",
		"gna_interval":  "gratuitous ARP/NA groups per interface",
		"interface":     "gratuitous ARP/NA groups per interface",
		"interfaces":    "gratuitous ARP/NA groups per interface",
	},
	"vrrp_instance": {
		"vrf":                  "VRF (l3mdev) binding",
		"track_src_ip":         "tracking the source address",
		"promote_secondaries":  "promote_secondaries sysctl on the interface",
		"linkbeat_use_polling": "link state by polling (ioctl) instead of netlink",
		"debug":                "per-instance debug level (keepalived does nothing with it either)",
		"kernel_rx_buf_size":   "VRRP socket receive buffer size",
	},
	"SSL": {
		"password": "password of an encrypted SSL key",
	},
	"url": {
		"regex_options": "PCRE2 options (regular expressions are Go's RE2)",
		"regex_stack":   "PCRE2 JIT stack size (regular expressions are Go's RE2)",
	},
}

// noteUnsupported reports a keyword of block where that gokeepalived
// accepts but does nothing with.
func (d *decoder) noteUnsupported(where string, s *syntax.Stmt) {
	if m := unsupportedKeywords[where]; m != nil {
		if _, ok := m[s.Keyword()]; ok {
			d.add(s.Pos(), syntax.Info, unsupportedNotice, s.Keyword())
		}
	}
}
