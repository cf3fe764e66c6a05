package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/gokeepalived/gokeepalived/internal/cli"
	"github.com/gokeepalived/gokeepalived/internal/control"
	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/vrrp"
)

const reloadUsage = `Usage: gokeepalived reload [--dry-run [-f FILE]] [--control-socket=PATH | -s NAME]
Asks the running daemon to reload its configuration (as SIGHUP does).
With --dry-run it parses and validates FILE (default: the daemon's own
config file) and prints what a reload would change, applying nothing:
VRRP instances kept/added/removed with their state, VIP and priority
changes, and the IPVS operations as ipvsadm command lines. Exit 1 when
the file has errors (printed with file:line:col) or cannot be applied.
`

// reloadCmd is `gokeepalived reload [--dry-run]`.
func reloadCmd(args []string, stdout, stderr io.Writer) int {
	parsed, rest, err := cli.Parse([]cli.Spec{
		{Long: "dry-run"}, {Short: 'f', Long: "use-file", Arg: cli.RequiredArg},
		{Long: "control-socket", Arg: cli.RequiredArg}, {Short: 'h', Long: "help"},
		{Short: 's', Long: "namespace", Arg: cli.RequiredArg},
	}, args)
	if err != nil || len(rest) > 0 {
		fmt.Fprintf(stderr, "gokeepalived reload: bad arguments %v %v\n%s", err, rest, reloadUsage)
		return 1
	}
	path, file, dry := control.DefaultPath, "", false
	for _, p := range parsed {
		switch p.Spec.Long {
		case "dry-run":
			dry = true
		case "use-file":
			// The daemon runs in /: make the path mean what it means here.
			if file, err = filepath.Abs(p.Value); err != nil {
				fmt.Fprintln(stderr, err)
				return 1
			}
		case "control-socket":
			path = p.Value
		case "namespace":
			path = namespaceSocket(p.Value)
		case "help":
			fmt.Fprint(stdout, reloadUsage)
			return 0
		}
	}
	if !dry {
		if file != "" {
			fmt.Fprintln(stderr, "gokeepalived reload: -f needs --dry-run (a reload reads the daemon's own -f file)")
			return 1
		}
		if _, err := control.Request(path, "reload"); err != nil {
			fmt.Fprintln(stderr, "gokeepalived reload:", err)
			return 1
		}
		return 0
	}
	req := daemon.DryRunRequest
	if file != "" {
		req += " " + file
	}
	data, err := control.Request(path, req)
	if err != nil {
		fmt.Fprintln(stderr, "gokeepalived reload --dry-run:", err)
		return 1
	}
	var dr daemon.DryRun
	if err := json.Unmarshal(data, &dr); err != nil {
		fmt.Fprintln(stderr, "gokeepalived reload --dry-run:", err)
		return 1
	}
	return printDryRun(dr, stdout, stderr)
}

// printDryRun writes the plan; diagnostics go to stderr.
func printDryRun(dr daemon.DryRun, stdout, stderr io.Writer) int {
	for _, d := range dr.Diagnostics {
		fmt.Fprintln(stderr, d)
	}
	if len(dr.Units) == 0 && !dr.Valid {
		fmt.Fprintf(stderr, "%s: %d problem(s) lose part of the configuration: a reload would keep the running configuration\n", dr.ConfigFile, len(dr.Refusals))
		return 1
	}
	fmt.Fprintf(stdout, "Reload of %s would make these changes (nothing applied):\n", dr.ConfigFile)
	for _, u := range dr.Units {
		fmt.Fprintf(stdout, "%s subsystem: %s\n", u.Name, u.Action)
		for _, c := range u.Changes {
			fmt.Fprintf(stdout, "  %s\n", c)
		}
		if len(u.Changes) == 0 && u.Error == "" {
			fmt.Fprintln(stdout, "  (no change)")
		}
		if u.Error != "" {
			fmt.Fprintf(stderr, "%s subsystem would fail to reload: %s\n", u.Name, u.Error)
		}
	}
	if !dr.Valid {
		return 1
	}
	return 0
}

// PlanReload is what a reload would do to the VRRP instances.
func (v *vrrpSub) PlanReload(cfg *conf.Config, stopping bool) ([]string, error) {
	v.mu.Lock()
	rt := v.rt
	v.mu.Unlock()
	if stopping {
		var out []string
		for _, st := range rt.States() {
			out = append(out, fmt.Sprintf("remove %s (%s, VRID %d on %s)", st.Name, st.State, st.Key.VRID, st.Key.Interface))
		}
		return out, nil
	}
	plan, err := rt.PlanReload(cfg)
	if err != nil {
		return nil, err
	}
	return vrrpPlanLines(plan), nil
}

// vrrpPlanLines renders a VRRP reload plan, one instance per line and its
// VIP changes below it.
func vrrpPlanLines(plan []vrrp.InstancePlan) []string {
	out := []string{}
	for _, p := range plan {
		var what []string
		if p.State != "" {
			what = append(what, p.State)
		}
		what = append(what, fmt.Sprintf("VRID %d on %s", p.VRID, p.Iface))
		switch {
		case p.Change == vrrp.Removed || (p.Change == vrrp.Rebuilt && p.State != ""):
			what = append(what, fmt.Sprintf("priority %d", p.OldPriority))
		case p.Change == vrrp.Kept && p.OldPriority != p.Priority:
			what = append(what, fmt.Sprintf("priority %d -> %d", p.OldPriority, p.Priority))
		default:
			what = append(what, fmt.Sprintf("priority %d", p.Priority))
		}
		if p.OldName != "" {
			what = append(what, "renamed from "+p.OldName)
		}
		line := fmt.Sprintf("%s %s (%s)", p.Change, p.Name, strings.Join(what, ", "))
		switch {
		case p.Change == vrrp.Removed && p.State == vrrp.StateMaster.String():
			line += ": priority 0 sent, VIPs removed"
		case p.Change == vrrp.Rebuilt && p.State != "":
			line += ": stopped (version changed)"
		case p.Change == vrrp.Rebuilt:
			line += ": started again"
		}
		out = append(out, line)
		note := ""
		if p.State != vrrp.StateMaster.String() {
			note = " (on the interface only while MASTER)"
		}
		for _, a := range p.VIPsRemoved {
			out = append(out, "  - VIP "+vipText(a)+note)
		}
		for _, a := range p.VIPsAdded {
			out = append(out, "  + VIP "+vipText(a)+note)
		}
	}
	return out
}

func vipText(v vrrp.VIP) string {
	s := v.Prefix.String() + " dev " + v.Dev
	if v.Label != "" {
		s += " label " + v.Label
	}
	return s
}
