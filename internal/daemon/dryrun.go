package daemon

import (
	"fmt"
)

// DryRunRequest asks the control socket for a reload plan; the config
// file follows after a space (none: the daemon's -f file).
const DryRunRequest = "reload-dry-run"

// DryRun is the answer to `gokeepalived reload --dry-run`.
type DryRun struct {
	ConfigFile string `json:"config_file"`
	// Valid is false when a reload would refuse the file (Diagnostics
	// say why) or a subsystem would fail to take it (its Error).
	Valid       bool     `json:"valid"`
	Diagnostics []string `json:"diagnostics,omitempty"`
	// Refusals are the diagnostics for which a reload would keep the
	// running configuration (conf.ReloadRule).
	Refusals []string   `json:"refusals,omitempty"`
	Units    []UnitPlan `json:"units,omitempty"`
}

// UnitPlan is what a reload would do to one subsystem.
type UnitPlan struct {
	Name    string   `json:"name"`
	Action  string   `json:"action"` // reload, start, stop
	Changes []string `json:"changes"`
	Error   string   `json:"error,omitempty"`
}

// DryRun parses and validates path (the daemon's config file when empty)
// as a reload would, and asks each subsystem what it would change. It
// changes nothing.
func (d *Daemon) DryRun(path string) DryRun {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	if path == "" {
		path = d.o.ConfigFile
	}
	out := DryRun{ConfigFile: path}
	cfg, diags := d.o.Load(path)
	for _, dg := range diags.List {
		out.Diagnostics = append(out.Diagnostics, dg.String())
	}
	if refusals := d.reloadRule().Refusals(diags); len(refusals) > 0 {
		for _, r := range refusals {
			out.Refusals = append(out.Refusals, r.String())
		}
		return out
	}
	out.Valid = true
	d.mu.Lock()
	run := append([]*running(nil), d.run...)
	d.mu.Unlock()
	running := map[string]bool{}
	for _, r := range run {
		running[r.unit.name] = true
		p := UnitPlan{Name: r.unit.name, Action: "reload", Changes: []string{}}
		stopping := !d.wanted(r.unit, cfg)
		if stopping {
			p.Action = "stop"
		}
		ch, err := r.sub.PlanReload(cfg, stopping)
		if err != nil {
			p.Error, out.Valid = err.Error(), false
		}
		if ch != nil {
			p.Changes = ch
		}
		out.Units = append(out.Units, p)
	}
	for _, u := range d.units {
		if !running[u.name] && d.wanted(u, cfg) {
			out.Units = append(out.Units, UnitPlan{Name: u.name, Action: "start",
				Changes: []string{fmt.Sprintf("start the %s subsystem as at start-up", u.name)}})
		}
	}
	return out
}
