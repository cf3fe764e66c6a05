package daemon

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"syscall"

	"github.com/gokeepalived/gokeepalived/internal/cli"
	"github.com/gokeepalived/gokeepalived/internal/control"
	"github.com/gokeepalived/gokeepalived/internal/netns"
)

// The command line's side of the daemon: what gokeepalived prints for
// -v and --signum, and the reload subcommand, a control-socket client.

// WriteVersion is -v; it follows keepalived -v's layout: exporters read the first
// line for the version and "configure options" for --enable-json.
func WriteVersion(w io.Writer, version string) {
	fmt.Fprintf(w, "%s (gokeepalived %s)\n\n", Banner, version)
	fmt.Fprintf(w, "gokeepalived is a Go re-implementation of keepalived's behaviour; it contains no keepalived code.\n\n")
	fmt.Fprintf(w, "configure options: --enable-json --enable-regex\n\n")
	fmt.Fprintf(w, "Config options:  LVS REGEX VRRP VRRP_AUTH VRRP_VMAC JSON SYSTEMD_NOTIFY\n")
}

// Signum answers --signum as keepalived 2.2.7 (a JSON build).
func Signum(name string) (int, bool) {
	switch name {
	case "STOP":
		return int(syscall.SIGTERM), true
	case "RELOAD":
		return int(syscall.SIGHUP), true
	case "DATA":
		return int(syscall.SIGUSR1), true
	case "STATS":
		return int(syscall.SIGUSR2), true
	case "STATS_CLEAR":
		return int(SigStatsClear), true
	case "JSON":
		return int(SigJSON), true
	}
	return 0, false
}

const reloadUsage = `Usage: gokeepalived reload [--dry-run [-f FILE]] [--control-socket=PATH | -s NAME]
Asks the running daemon to reload its configuration (as SIGHUP does).
With --dry-run it parses and validates FILE (default: the daemon's own
config file) and prints what a reload would change, applying nothing:
VRRP instances kept/added/removed with their state, VIP and priority
changes, and the IPVS operations as ipvsadm command lines. Exit 1 when
the file has errors (printed with file:line:col) or cannot be applied.
`

// ReloadCommand is `gokeepalived reload [--dry-run]`.
func ReloadCommand(args []string, stdout, stderr io.Writer) int {
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
			path = netns.Socket(p.Value)
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
	req := DryRunRequest
	if file != "" {
		req += " " + file
	}
	data, err := control.Request(path, req)
	if err != nil {
		fmt.Fprintln(stderr, "gokeepalived reload --dry-run:", err)
		return 1
	}
	var dr DryRun
	if err := json.Unmarshal(data, &dr); err != nil {
		fmt.Fprintln(stderr, "gokeepalived reload --dry-run:", err)
		return 1
	}
	return PrintDryRun(dr, stdout, stderr)
}

// PrintDryRun writes the plan of a dry run; diagnostics go to stderr.
func PrintDryRun(dr DryRun, stdout, stderr io.Writer) int {
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
