package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/internal/netns"
)

// detachedEnv marks the re-executed daemon after the parent "forked":
// Go cannot fork, so the parent starts itself again in a new session and
// exits 0, as keepalived's parent does after daemon().
const detachedEnv = "GOKEEPALIVED_DETACHED"

func serve(o options, args []string, stderr io.Writer) int {
	if !o.noFork && os.Getenv(detachedEnv) == "" {
		return detach(stderr)
	}
	// Namespaces are entered before any goroutine of ours starts: the
	// process executes itself again from a thread in the namespace.
	load := func(path string) (*conf.Config, *conf.Diagnostics) {
		return conf.Load(path, loadOptions(o))
	}
	override := func(cfg *conf.Config) {
		if cfg != nil && o.namespace != "" {
			cfg.NetNamespace = o.namespace // -s wins, at reloads too
		}
	}
	// The file is read here for its namespaces; the daemon's first load
	// is this one unless the process executes itself in a namespace.
	cfg, diags := load(o.file)
	var first atomic.Pointer[loaded]
	first.Store(&loaded{cfg, diags})
	plan := netns.PlanFor(cfg, o.namespace)
	override(cfg)
	o.ipvsNS = plan.IPVS
	var nsErr error
	if plan.Name != "" {
		if os.Getenv(netns.Env) != plan.Name {
			nsErr = netns.Enter(plan.Name, true) // returns only on failure
		} else {
			defer netns.Leave(plan.Name)
		}
		// keepalived's defaults with a namespace: its pid directory, which
		// the namespace's own /run/keepalived/NAME is bound over
		def := [3]*string{&o.pidFile, &o.vrrpPid, &o.checkPid}
		for i, f := range [3]string{"keepalived.pid", "vrrp.pid", "checkers.pid"} {
			if !o.pidSet[i] {
				*def[i] = netns.PidDir + f
			}
		}
		if !o.controlSet {
			o.controlPath = netns.PidDir + "gokeepalived.sock"
		}
	}
	// scripts get the daemon's environment, as keepalived's: not our
	// markers (kept until here for the namespace's re-execution)
	os.Unsetenv(detachedEnv)
	os.Unsetenv(netns.Env)
	if o.umask != "" {
		m, err := strconv.ParseUint(o.umask, 0, 32)
		if err != nil {
			fmt.Fprintf(stderr, "Invalid umask %s\n", o.umask)
			return 1
		}
		syscall.Umask(int(m))
	}
	fac, err := daemon.ParseFacility(o.facility)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	lo := daemon.LogOptions{Syslog: !o.noSyslog, Facility: fac, Detail: o.detail}
	if plan.Name != "" {
		lo.IdentSuffix = "_" + plan.Name
	}
	if o.console {
		lo.Console = stderr
	}
	log := daemon.NewLogger(lo)
	for _, w := range o.warnings {
		log.Warn(w)
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, daemon.Signals...)
	signal.Ignore(syscall.SIGPIPE)
	return daemon.Run(context.Background(), daemon.Options{
		ConfigFile: o.file,
		Load: func(path string) (*conf.Config, *conf.Diagnostics) {
			if l := first.Swap(nil); l != nil && path == o.file {
				return l.cfg, l.diags
			}
			cfg, diags := load(path)
			override(cfg)
			return cfg, diags
		},
		PidFile:        o.pidFile,
		Units:          units(o),
		RunAll:         o.runAll,
		Version:        version,
		Args:           append([]string{"gokeepalived"}, args...),
		Log:            log,
		Notify:         daemon.SystemdNotifier(),
		DumpConf:       o.dump,
		ControlPath:    o.controlPath,
		MetricsAddress: o.metricsAddr,
		Strict:         o.strict,
		// systemd's watchdog, fed only while the VRRP loop turns
		WatchdogInterval: daemon.WatchdogInterval(),

		NetNamespace:     plan.Name,
		NetNamespaceConf: plan.FromConf,
		NetNamespaceErr:  nsErr,
	}, sigs)
}

type loaded struct {
	cfg   *conf.Config
	diags *conf.Diagnostics
}

func detach(stderr io.Writer) int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer devnull.Close()
	cmd := exec.Command(self, os.Args[1:]...)
	cmd.Env = append(os.Environ(), detachedEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
