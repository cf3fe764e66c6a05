// Command gokeepalived is a keepalived-compatible VRRP and IPVS
// load-balancer daemon. This package keeps the command line: flags,
// subcommands, the config test and detaching; internal/daemon runs the
// daemon and its two subsystems.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/cli"
	"github.com/gokeepalived/gokeepalived/internal/control"
	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/internal/hostprobe"
	"github.com/gokeepalived/gokeepalived/internal/netns"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsadm"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

const defaultConfig = "/etc/keepalived/keepalived.conf"

var specs = []cli.Spec{
	{Short: 'f', Long: "use-file", Arg: cli.RequiredArg},
	{Short: 'P', Long: "vrrp"},
	{Short: 'C', Long: "check"},
	{Short: 'B', Long: "no_bfd"},
	{Long: "all"},
	{Short: 'l', Long: "log-console"},
	{Short: 'D', Long: "log-detail"},
	{Short: 'S', Long: "log-facility", Arg: cli.RequiredArg},
	{Short: 'g', Long: "log-file", Arg: cli.OptionalArg},
	{Long: "flush-log-file"},
	{Short: 'G', Long: "no-syslog"},
	{Short: 'u', Long: "umask", Arg: cli.RequiredArg},
	{Short: 'X', Long: "release-vips"},
	{Short: 'V', Long: "dont-release-vrrp"},
	{Short: 'I', Long: "dont-release-ipvs"},
	{Short: 'R', Long: "dont-respawn"},
	{Short: 'n', Long: "dont-fork"},
	{Short: 'd', Long: "dump-conf"},
	{Short: 'p', Long: "pid", Arg: cli.RequiredArg},
	{Short: 'r', Long: "vrrp_pid", Arg: cli.RequiredArg},
	{Short: 'c', Long: "checkers_pid", Arg: cli.RequiredArg},
	{Short: 'b', Long: "bfd_pid", Arg: cli.RequiredArg},
	{Short: 'a', Long: "address-monitoring"},
	{Short: 'x', Long: "snmp"},
	{Short: 'A', Long: "snmp-agent-socket", Arg: cli.RequiredArg},
	{Short: 's', Long: "namespace", Arg: cli.RequiredArg},
	{Short: 'm', Long: "core-dump"},
	{Short: 'M', Long: "core-dump-pattern", Arg: cli.OptionalArg},
	{Short: 'e', Long: "all-config"},
	{Short: 'i', Long: "config-id", Arg: cli.RequiredArg},
	{Long: "signum", Arg: cli.RequiredArg},
	{Short: 't', Long: "config-test", Arg: cli.OptionalArg},
	{Long: "config-fd", Arg: cli.RequiredArg},
	{Short: 'v', Long: "version"},
	{Short: 'h', Long: "help"},
	{Long: "dump-json"},
	{Long: "strict"},
	{Long: "metrics-address", Arg: cli.RequiredArg},
	{Long: "control-socket", Arg: cli.RequiredArg},
	{Long: "compat", Arg: cli.RequiredArg},
}

// unsupported options are accepted, as keepalived accepts options of
// features it was built without, with a warning naming them.
var unsupported = map[string]string{
	"log-file":           "log files (use syslog or -l)",
	"flush-log-file":     "log files",
	"address-monitoring": "address monitoring",
	"snmp":               "SNMP",
	"snmp-agent-socket":  "SNMP",
	"core-dump":          "core dumps",
	"core-dump-pattern":  "core dumps",
	"config-fd":          "--config-fd",
	"bfd_pid":            "BFD",
}

type options struct {
	file      string
	test      bool
	testOut   string
	dump      bool
	dumpJSON  bool
	configID  string
	allConfig bool
	strict    bool

	vrrpOnly, checkOnly bool
	runAll              bool
	console, detail     bool
	noSyslog            bool
	facility            string
	umask               string
	releaseVIPs         bool
	noBFD               bool // -B
	keepVRRP, keepIPVS  bool
	noFork              bool
	pidFile             string
	vrrpPid, checkPid   string
	pidSet              [3]bool // -p, -r, -c given: no pid directory default
	namespace           string  // -s
	controlSet          bool
	ipvsNS              *string // net_namespace_ipvs, read at start-up
	metricsAddr         string
	controlPath         string
	compat              conf.Version // --compat: the keepalived release to follow
	warnings            []string
}

func main() {
	if rc, ok := genhashMode(os.Args); ok {
		os.Exit(rc)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "status":
			return control.StatusCommand(args[1:], stdout, stderr)
		case "drain", "undrain":
			return control.DrainCommand(args[0] == "undrain", args[1:], stdout, stderr)
		case "ipvs":
			return ipvsadm.Main(args[1:], stdout, stderr)
		case "reload":
			return daemon.ReloadCommand(args[1:], stdout, stderr)
		}
	}
	parsed, rest, err := cli.Parse(specs, args)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "Unexpected argument(s): %v\n", rest)
	}
	o := options{file: defaultConfig, facility: "daemon", pidFile: "/run/keepalived.pid",
		vrrpPid: "/run/keepalived_vrrp.pid", checkPid: "/run/keepalived_checkers.pid",
		controlPath: control.DefaultPath}
	for _, p := range parsed {
		if what, ok := unsupported[p.Spec.Long]; ok {
			o.warnings = append(o.warnings, fmt.Sprintf("option %s ignored: gokeepalived has no %s", p.Name, what))
			continue
		}
		switch p.Spec.Long {
		case "use-file":
			o.file = p.Value
		case "config-test":
			o.test, o.testOut = true, p.Value
		case "dump-conf":
			o.dump = true
		case "dump-json":
			o.dumpJSON = true
		case "config-id":
			o.configID = p.Value
		case "all-config":
			o.allConfig = true
		case "strict":
			o.strict = true
		case "vrrp":
			o.vrrpOnly = true
		case "check":
			o.checkOnly = true
		case "no_bfd":
			o.noBFD = true
		case "all":
			o.runAll = true
		case "log-console":
			o.console = true
		case "log-detail":
			o.detail = true
		case "log-facility":
			o.facility = p.Value
		case "no-syslog":
			o.noSyslog = true
		case "umask":
			o.umask = p.Value
		case "release-vips":
			o.releaseVIPs = true
		case "dont-release-vrrp":
			o.keepVRRP = true
		case "dont-release-ipvs":
			o.keepIPVS = true
		case "dont-fork":
			o.noFork = true
		case "pid":
			o.pidFile, o.pidSet[0] = p.Value, true
		case "vrrp_pid":
			o.vrrpPid, o.pidSet[1] = p.Value, true
		case "checkers_pid":
			o.checkPid, o.pidSet[2] = p.Value, true
		case "namespace":
			o.namespace = p.Value
		case "metrics-address":
			o.metricsAddr = p.Value
		case "control-socket":
			o.controlPath, o.controlSet = p.Value, true
		case "compat":
			v, err := conf.ParseVersion(p.Value)
			if err != nil {
				fmt.Fprintf(stderr, "--compat: %v\n", err)
				return 1
			}
			o.compat = v
		case "signum":
			n, ok := daemon.Signum(p.Value)
			if !ok {
				fmt.Fprintf(stderr, "Unknown sigfunc %s\n", p.Value)
				return 1
			}
			fmt.Fprintf(stdout, "%d\n", n)
			return 0
		case "version":
			daemon.WriteVersion(stderr, version)
			return 0
		case "help":
			cli.Usage(stderr)
			return 0
		}
	}
	if o.test || o.dumpJSON {
		return check(o, stdout, stderr)
	}
	return serve(o, args, stderr)
}

// loadOptions are conf.Load's options for -t and for the daemon: the
// command line's, and this host's interfaces and resolver.
func loadOptions(o options) conf.Options {
	return hostprobe.Options(conf.Options{ConfigID: o.configID, AllConfig: o.allConfig, Strict: o.strict, Compat: o.compat})
}

func check(o options, stdout, stderr io.Writer) int {
	limitMemory(o.file)
	cfg, diags := conf.Load(o.file, loadOptions(o))
	msgs := stderr
	if o.testOut != "" {
		f, err := os.Create(o.testOut)
		if err != nil {
			fmt.Fprintf(stderr, "cannot write %s: %v\n", o.testOut, err)
			return conf.ExitCantRun
		}
		defer f.Close()
		msgs = f
	}
	// keepalived checks the file in its namespace (the interfaces are
	// there); a namespace it cannot enter ends the test with status 0.
	if ns := netns.PlanFor(cfg, o.namespace).Name; ns != "" && os.Getenv(netns.Env) != ns {
		if err := netns.Enter(ns, false); err != nil {
			fmt.Fprintln(msgs, err)
			fmt.Fprintf(msgs, "Unable to set network namespace %s - exiting\n", ns)
			return 0
		}
	}
	os.Unsetenv(netns.Env)
	for _, d := range diags.List {
		fmt.Fprintln(msgs, d.String())
	}
	if o.dump {
		conf.Dump(stdout, cfg)
	}
	if o.dumpJSON {
		if err := conf.WriteJSON(stdout, cfg); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	}
	if o.test {
		return diags.ExitCode()
	}
	return 0
}

// limitMemory sets a soft memory limit for a config check. Its heap is
// mostly the model, kept to the end, plus parse garbage; left to GOGC the
// heap doubles past the model before it is collected (10,000 virtual
// servers: 72 MB peak RSS against keepalived's 41 MB, 57 MB with the
// limit). The limit grows with the main file, as the model is about five
// times the text, so a bigger config is not collected over and over. An
// explicit GOMEMLIMIT wins.
func limitMemory(file string) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	limit := int64(56 << 20)
	if fi, err := os.Stat(file); err == nil {
		limit = max(limit, 7*fi.Size())
	}
	debug.SetMemoryLimit(limit)
}
