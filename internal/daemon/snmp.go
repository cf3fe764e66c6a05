package daemon

import (
	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/metrics"
	"github.com/gokeepalived/gokeepalived/internal/snmp"
)

// startSNMP runs the AgentX subagent when enable_snmp_* asks for it; the
// returned function stops it. The subagent reads the daemon's snapshots
// on its own goroutine, so neither the VRRP loop nor this loop waits on
// the master agent. Which MIBs are served and the socket are read at
// start-up.
func (d *Daemon) startSNMP(cfg *conf.Config) func() {
	w := snmp.WhichOf(&cfg.Global)
	if !w.Any() {
		return func() {}
	}
	a := snmp.Start(snmp.Options{Log: d.log, Socket: cfg.Global.SNMPSocket, Which: w,
		Source: func(counters bool) (*conf.Config, metrics.Snapshot) {
			s := d.snapshot(ConfigStatus{})
			if counters {
				s.IPVSTable = d.ipvsTables()
			}
			return d.snmpCfg.Load(), s
		}})
	return a.Stop
}
