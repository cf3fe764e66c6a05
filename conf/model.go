package conf

import "time"

// Config is the whole resolved configuration. JSON names are stable: tools
// and golden tests depend on them.
type Config struct {
	Files []string `json:"files"`
	// Compat is the keepalived release followed where releases differ.
	Compat Version `json:"-"`

	NetNamespace        string        `json:"net_namespace,omitempty"`
	NetNamespaceIPVS    *string       `json:"net_namespace_ipvs,omitempty"`
	NamespaceWithIPSets bool          `json:"namespace_with_ipsets,omitempty"`
	UsePIDDir           bool          `json:"use_pid_dir,omitempty"`
	Instance            string        `json:"instance,omitempty"`
	ChildWaitTime       time.Duration `json:"child_wait_time"`
	LinkbeatUsePolling  bool          `json:"linkbeat_use_polling,omitempty"`

	Global GlobalDefs `json:"global_defs"`

	LinkbeatInterfaces    []LinkbeatInterface `json:"linkbeat_interfaces,omitempty"`
	InterfaceUpDownDelays []InterfaceDelay    `json:"interface_up_down_delays,omitempty"`
	TrackGroups           []*TrackGroup       `json:"track_groups,omitempty"`

	StaticAddresses []IPAddress `json:"static_ipaddress,omitempty"`
	StaticRoutes    []Route     `json:"static_routes,omitempty"`
	StaticRules     []Rule      `json:"static_rules,omitempty"`

	VRRPScripts    []*VRRPScript   `json:"vrrp_scripts,omitempty"`
	TrackFiles     []*TrackFile    `json:"track_files,omitempty"`
	TrackProcesses []*TrackProcess `json:"track_processes,omitempty"`
	SyncGroups     []*SyncGroup    `json:"vrrp_sync_groups,omitempty"`
	GARPGroups     []*GARPGroup    `json:"garp_groups,omitempty"`
	VRRPInstances  []*VRRPInstance `json:"vrrp_instances,omitempty"`
	BFDInstances   []*BFDInstance  `json:"bfd_instances,omitempty"`

	VSGroups       []*VSGroup       `json:"virtual_server_groups,omitempty"`
	VirtualServers []*VirtualServer `json:"virtual_servers,omitempty"`
	SSL            *SSLConfig       `json:"ssl,omitempty"`

	// Drain is gokeepalived's drain extension (drain.go).
	Drain *Drain `json:"drain,omitempty"`
	// gokeepalived's extensions (docs/beyond-one-director.md)
	IPVSSysctl   *IPVSSysctl    `json:"ipvs_sysctl,omitempty"`
	BGPSpeaker   *BGPSpeaker    `json:"bgp_speaker,omitempty"`
	BGPAnnounces []*BGPAnnounce `json:"bgp_announce,omitempty"`
}

func newConfig() *Config {
	c := &Config{ChildWaitTime: 5 * time.Second}
	c.Global = defaultGlobalDefs()
	return c
}

// Script is a command keepalived would run: notify scripts, vrrp_script,
// MISC_CHECK, quorum_up/down, startup/shutdown scripts.
type Script struct {
	Pos   Pos      `json:"-"`
	Argv  []string `json:"argv"`
	User  string   `json:"user,omitempty"`
	Group string   `json:"group,omitempty"`
	// Disabled is set when the script cannot run (missing, insecure).
	Disabled bool `json:"disabled,omitempty"`
	// Shell is set for a "</file" command, which keepalived hands to
	// the shell (system()) to test that the file opens.
	Shell bool `json:"shell,omitempty"`
	// cred is the uid:gid it runs as, for the security check; resolved
	// the command as keepalived rewrites it (path search, symlinks).
	cred     scriptCred
	resolved []string
}

// Exec is the argv to run: Argv, or for a Shell script the shell with
// keepalived's rendering of the command.
func (s *Script) Exec() []string {
	if s.Shell {
		return []string{"/bin/sh", "-c", cmdStr(s.Argv)}
	}
	return s.Argv
}
