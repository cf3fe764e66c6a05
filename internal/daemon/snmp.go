package daemon

import (
	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/metrics"
	"github.com/gokeepalived/gokeepalived/internal/snmp"
)

// snmpState is the running AgentX subagent and what it was started with.
type snmpState struct {
	agent  *snmp.Agent
	which  snmp.Which
	socket string
}

// startSNMP runs the AgentX subagent when enable_snmp_* asks for it; the
// returned function stops it. The subagent reads the daemon's snapshots
// on its own goroutine, so neither the VRRP loop nor this loop waits on
// the master agent.
func (d *Daemon) startSNMP(cfg *conf.Config) func() {
	d.reloadSNMP(cfg)
	return func() {
		if d.snmp.agent != nil {
			d.snmp.agent.Stop()
		}
	}
}

// reloadSNMP follows a new configuration: the values served follow it
// anyway; a change of the MIBs served or of snmp_socket starts the
// subagent again (without stop notifications).
func (d *Daemon) reloadSNMP(cfg *conf.Config) {
	w, sock := snmp.WhichOf(&cfg.Global), cfg.Global.SNMPSocket
	if d.snmp.agent != nil && w == d.snmp.which && sock == d.snmp.socket {
		return
	}
	if d.snmp.agent != nil {
		d.snmp.agent.Close()
		d.snmp.agent = nil
	}
	d.snmp.which, d.snmp.socket = w, sock
	if !w.Any() {
		return
	}
	d.snmp.agent = snmp.Start(snmp.Options{Log: d.log, Socket: sock, Which: w,
		Source: func(counters bool) (*conf.Config, metrics.Snapshot) {
			s := d.snapshot(ConfigStatus{})
			if counters {
				s.IPVSTable = d.ipvsTables()
			}
			return d.snmpCfg.Load(), s
		}})
}
