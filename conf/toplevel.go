package conf

import (
	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

// topLevel is the root keyword table (keepalived's init_keywords of all
// three processes together).
var (
	topLevel      table
	topLevelIndex = indexOf(&topLevel)
)

func init() {
	topLevel = table{
		"net_namespace": {fn: func(d *decoder, s *syntax.Stmt) {
			if v, ok := d.arg(s, 1); ok {
				d.cfg.NetNamespace = v
			}
		}},
		"net_namespace_ipvs": {fn: func(d *decoder, s *syntax.Stmt) {
			v, _ := optArg(s, 1)
			d.cfg.NetNamespaceIPVS = &v
		}},
		"namespace_with_ipsets": {fn: func(d *decoder, s *syntax.Stmt) { d.cfg.NamespaceWithIPSets = true }},
		"use_pid_dir":           {fn: func(d *decoder, s *syntax.Stmt) { d.cfg.UsePIDDir = true }},
		"linkbeat_use_polling":  {fn: func(d *decoder, s *syntax.Stmt) { d.cfg.LinkbeatUsePolling = true }},
		"instance": {fn: func(d *decoder, s *syntax.Stmt) {
			if v, ok := d.arg(s, 1); ok {
				d.cfg.Instance = v
			}
		}},
		"child_wait_time": {fn: func(d *decoder, s *syntax.Stmt) {
			if v, ok := d.readUnsigned(s, 1, 0, 1<<31-1); ok {
				d.cfg.ChildWaitTime = secondsDur(v)
			}
		}},
		"global_defs":              {fn: decodeGlobalDefs, block: true},
		"linkbeat_interfaces":      {fn: decodeLinkbeatInterfaces, block: true},
		"interface_up_down_delays": {fn: decodeInterfaceUpDownDelays, block: true},
		"track_group":              {fn: decodeTrackGroup, block: true},
		"static_ipaddress":         {fn: decodeStaticIPAddress, block: true},
		"static_routes":            {fn: decodeStaticRoutes, block: true},
		"static_rules":             {fn: decodeStaticRules, block: true},
		"vrrp_script":              {fn: decodeVRRPScript, block: true},
		"track_file":               {fn: decodeTrackFile, block: true},
		"vrrp_track_file":          {fn: decodeTrackFile, block: true},
		"vrrp_track_process":       {fn: decodeTrackProcess, block: true},
		"vrrp_sync_group":          {fn: decodeSyncGroup, block: true},
		"garp_group":               {fn: decodeGARPGroup, block: true},
		"vrrp_instance":            {fn: decodeVRRPInstance, block: true},
		"bfd_instance":             {fn: decodeBFDInstance, block: true},
		"virtual_server_group":     {fn: decodeVSGroup, block: true},
		"virtual_server":           {fn: decodeVirtualServer, block: true},
		"SSL":                      {fn: decodeSSL, block: true},
		// gokeepalived's extensions (docs/beyond-one-director.md)
		"ipvs_sysctl":  {fn: decodeIPVSSysctl, block: true},
		"bgp_speaker":  {fn: decodeBGPSpeaker, block: true},
		"bgp_announce": {fn: decodeBGPAnnounce, block: true},
		"drain":        {fn: decodeDrain, block: true},
	}
}
