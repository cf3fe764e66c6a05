// Package daemon runs gokeepalived's subsystems the way keepalived's
// parent process runs its children: pidfiles, start-up and shutdown log
// lines, signals (reload, stop, data/stats/JSON dumps) and systemd
// notifications. The two subsystems sit behind the VRRP and Checker
// interfaces, so this loop is tested with fakes.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/control"
	"github.com/gokeepalived/gokeepalived/internal/dumps"
	"github.com/gokeepalived/gokeepalived/internal/metrics"
	"github.com/gokeepalived/gokeepalived/internal/script"
	"github.com/gokeepalived/gokeepalived/ipvs"
)

// Banner is the version keepalived-exporter and operators look for; we
// implement keepalived 2.2.7's behaviour.
const Banner = "Keepalived v2.2.7"

// Signals keepalived 2.2.7 uses beyond the classic ones (glibc's SIGRTMIN
// is 34 on Linux).
const (
	SigJSON       = syscall.Signal(34 + 2) // SIGRTMIN+2
	SigStatsClear = syscall.Signal(64 - 1) // SIGRTMAX-1
)

// Signals lists every signal the daemon acts on, for signal.Notify.
var Signals = []os.Signal{syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT,
	syscall.SIGUSR1, syscall.SIGUSR2, SigJSON, SigStatsClear}

// Subsystem is what the parent loop does with either of keepalived's
// children (VRRP, checkers), run as a group of goroutines in this process.
type Subsystem interface {
	// Start brings the subsystem up with a configuration; it returns once
	// the subsystem runs (its work goes on in goroutines).
	Start(ctx context.Context, cfg *conf.Config) error
	// Reload applies a new, already validated configuration.
	Reload(ctx context.Context, cfg *conf.Config) error
	// Stop shuts down in order (priority-0 adverts, VIPs, IPVS entries as
	// the options say) and returns when done or ctx ends.
	Stop(ctx context.Context) error
	// PlanReload says, in lines for people, what a reload onto cfg would
	// change, changing nothing; stopping means the reload would stop it.
	PlanReload(cfg *conf.Config, stopping bool) ([]string, error)
}

// VRRP is the VRRP subsystem (keepalived's --vrrp child). Its instances
// and scripts make the data, stats and JSON dumps (in dumps' format),
// the metrics and `gokeepalived status`.
type VRRP interface {
	Subsystem
	Instances() []dumps.Instance
	Scripts() []dumps.Script
	// SocketDrops is what the receive sockets dropped before any instance.
	SocketDrops() []metrics.SocketDrops
	// ClearStats zeroes the counters (SIGRTMAX-1, after the stats dump).
	ClearStats()
	// Ping answers once the event loop has turned (the systemd watchdog).
	Ping(ctx context.Context) error
}

// Checker is the health-checker subsystem (keepalived's --check child),
// which keeps the IPVS table.
type Checker interface {
	Subsystem
	RealServers() []metrics.RealServer
	// IPVSOperations counts the IPVS operations applied since start-up.
	IPVSOperations() uint64
	// IPVSTable reads the kernel's IPVS table with its traffic counters,
	// for /metrics only.
	IPVSTable() ([]metrics.IPVSService, error)
	// WriteData writes the SIGUSR1 data dump.
	WriteData(w io.Writer)
}

// Units are the subsystems a daemon may run; a nil New leaves one out
// (-P, -C). Each starts when the configuration has something for it.
type Units struct {
	VRRP    VRRPUnit
	Checker CheckerUnit
	BFD     BFDUnit
	BGP     BGPUnit
}

// BGPUnit creates the BGP speaker (gokeepalived's extension, bgp_speaker),
// which starts last and stops first: routers stop sending traffic here
// before the VIPs and the IPVS table go.
type BGPUnit struct {
	New func(log *slog.Logger) (Subsystem, error)
}

// BGPReporter is what a BGP unit shows in status and metrics.
type BGPReporter interface {
	BGP() metrics.BGP
}

// unconfigurer is a unit a reload removes: it withdraws what it
// announced even where a stop would keep it (graceful restart).
type unconfigurer interface {
	Unconfigure()
}

// BFDUnit creates the BFD subsystem (keepalived's BFD child), which
// starts first: VRRP and the checker follow its sessions.
type BFDUnit struct {
	New func(log *slog.Logger) (Subsystem, error)
}

// VRRPUnit creates the VRRP subsystem.
type VRRPUnit struct {
	PidFile string // -r
	New     func(log *slog.Logger) (VRRP, error)
	// Observer, if set, follows the subsystem (the D-Bus service).
	Observer VRRPObserver
}

// CheckerUnit creates the checker subsystem.
type CheckerUnit struct {
	PidFile string // -c
	New     func(log *slog.Logger) (Checker, error)
}

// unit is a subsystem as the parent loop starts, reloads and stops it,
// with keepalived's names for its log lines, syslog ident and dump file.
type unit struct {
	name, ident, pidFile, dataSuffix string
	wanted                           func(*conf.Config) bool
	new                              func(log *slog.Logger) (*running, error)
	observer                         VRRPObserver
}

// units are o's subsystems in start order: BFD, VRRP, then the checker.
func (o *Options) units() []*unit {
	var us []*unit
	if nb := o.Units.BFD.New; nb != nil {
		us = append(us, &unit{name: "BFD", ident: IdentBFD, dataSuffix: "_bfd",
			wanted: func(c *conf.Config) bool { return len(c.BFDInstances) > 0 },
			new: func(log *slog.Logger) (*running, error) {
				b, err := nb(log)
				r := &running{sub: b}
				r.data, _ = b.(interface{ WriteData(io.Writer) })
				return r, err
			}})
	}
	if nv := o.Units.VRRP.New; nv != nil {
		us = append(us, &unit{name: "VRRP", ident: IdentVRRP, pidFile: o.Units.VRRP.PidFile, dataSuffix: "",
			wanted: func(c *conf.Config) bool { return len(c.VRRPInstances) > 0 },
			new: func(log *slog.Logger) (*running, error) {
				v, err := nv(log)
				return &running{sub: v, vrrp: v}, err
			}, observer: o.Units.VRRP.Observer})
	}
	if nc := o.Units.Checker.New; nc != nil {
		us = append(us, &unit{name: "checker", ident: IdentCheck, pidFile: o.Units.Checker.PidFile, dataSuffix: "_check",
			wanted: func(c *conf.Config) bool { return len(c.VirtualServers) > 0 },
			new: func(log *slog.Logger) (*running, error) {
				c, err := nc(log)
				return &running{sub: c, checker: c}, err
			}})
	}
	if nb := o.Units.BGP.New; nb != nil {
		us = append(us, &unit{name: "BGP", ident: IdentBGP,
			wanted: func(c *conf.Config) bool { return c.BGPSpeaker != nil },
			new: func(log *slog.Logger) (*running, error) {
				b, err := nb(log)
				r := &running{sub: b}
				r.bgp, _ = b.(BGPReporter)
				return r, err
			}})
	}
	return us
}

// Options configure one daemon run.
type Options struct {
	ConfigFile string
	Load       func(path string) (*conf.Config, *conf.Diagnostics)
	PidFile    string // -p
	Units      Units
	RunAll     bool   // --all: start units even with nothing configured
	TmpDir     string // where dump files go
	Version    string // gokeepalived's own version
	Args       []string
	Log        *slog.Logger
	// Notify sends a systemd state ("READY=1"); nil when not under systemd.
	Notify func(state string)
	// DumpConf logs the configuration at start-up (-d).
	DumpConf bool
	// ControlPath is the status socket; empty disables it.
	ControlPath string
	// MetricsAddress serves /metrics when set.
	MetricsAddress string
	// Strict is --strict: any problem refuses a reload.
	Strict bool
	// WatchdogInterval is systemd's WatchdogSec; zero disables it.
	WatchdogInterval time.Duration
	// NetNamespace is the network namespace the daemon runs in
	// (net_namespace or -s); NetNamespaceConf is the config's when -s
	// overrode it; NetNamespaceErr is why it could not be entered.
	NetNamespace     string
	NetNamespaceConf string
	NetNamespaceErr  error
}

// running is a started subsystem: sub as the loop drives it, and vrrp
// or checker as what it reports (the other one nil).
type running struct {
	unit    *unit
	sub     Subsystem
	vrrp    VRRP
	checker Checker
	data    interface{ WriteData(io.Writer) } // the BFD subsystem's dump
	bgp     BGPReporter
	log     *slog.Logger
}

// Daemon is one run of the parent loop.
type Daemon struct {
	o     Options
	units []*unit
	log   *slog.Logger
	cfg   *conf.Config
	mu    sync.Mutex // guards run against status readers
	run   []*running
	// reloadMu keeps a dry run from interleaving with a reload.
	reloadMu sync.Mutex
	conf     configState
	q        *signalQueue
	// snmpCfg is cfg for the SNMP subagent's goroutine.
	snmpCfg atomic.Pointer[conf.Config]
	snmp    snmpState
}

// Exit codes of the daemon (keepalived's lib/scheduler.h).
const (
	ExitOK    = 0
	ExitFatal = 1
)

// Run starts the daemon and serves signals until a stop signal or ctx
// ends. It returns the process exit code.
func Run(ctx context.Context, o Options, sigs <-chan os.Signal) int {
	d := &Daemon{o: o, log: o.Log, units: o.units(), q: &signalQueue{wake: make(chan struct{}, 1)}}
	defer FlushLog(d.log) // the last lines before the process exits
	if d.o.TmpDir == "" {
		d.o.TmpDir = TmpDir()
	}
	d.startupLines()
	if !d.namespaceLines() {
		return ExitOK
	}
	pids, err := lockPidfiles(d.pidfiles(), d.log)
	if errors.Is(err, errRunning) {
		d.log.Info("daemon is already running")
		return ExitOK
	}
	if err != nil {
		d.log.Error(err.Error() + ". Terminating")
		return ExitFatal
	}
	defer pids.release()
	// As PID 1 (a container), orphaned script children are ours to reap.
	reapCtx, stopReaping := context.WithCancel(ctx)
	defer stopReaping()
	go script.ReapOrphans(reapCtx, time.Second)

	cfg, diags := o.Load(o.ConfigFile)
	d.logConfig(cfg, diags)
	d.cfg = cfg
	d.snmpCfg.Store(cfg)
	d.conf.apply(cfg.Files, false)
	if o.DumpConf {
		var b strings.Builder
		conf.Dump(&b, cfg)
		for _, l := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
			d.log.Info(l)
		}
	}
	d.startStopScript(cfg, true)
	if err := d.startUnits(ctx, cfg); err != nil {
		d.log.Error(err.Error() + ". Terminating")
		d.stopAll()
		return ExitFatal
	}
	stopStatus, err := d.serveStatus()
	if err != nil {
		d.log.Error(err.Error() + ". Terminating")
		d.stopAll()
		return ExitFatal
	}
	defer stopStatus()
	defer d.startSNMP(cfg)()
	d.log.Info("Startup complete")
	d.notify("READY=1")

	q := d.q
	go q.pump(ctx, sigs)
	if o.WatchdogInterval > 0 {
		wctx, stopWatchdog := context.WithCancel(ctx)
		defer stopWatchdog()
		go d.watchdog(wctx, o.WatchdogInterval)
	}
	for {
		select {
		case <-ctx.Done():
			d.shutdown()
			return ExitOK
		case <-q.wake:
		}
		for _, s := range q.take() {
			switch s {
			case syscall.SIGHUP:
				d.reload(ctx)
			case syscall.SIGTERM, syscall.SIGINT:
				d.shutdown()
				return ExitOK
			case syscall.SIGUSR1:
				d.dumpData()
			case syscall.SIGUSR2:
				d.dumpStats(false)
			case SigStatsClear:
				d.dumpStats(true)
			case SigJSON:
				d.dumpJSON()
			default:
				if r, ok := s.(*loopRequest); ok {
					d.serveRequest(r)
				}
			}
		}
	}
}

func (d *Daemon) notify(state string) {
	if d.o.Notify != nil {
		d.o.Notify(state)
	}
}

func (d *Daemon) startupLines() {
	d.log.Info(fmt.Sprintf("Starting %s (gokeepalived %s)", Banner, d.o.Version))
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		d.log.Info(fmt.Sprintf("Running on %s %s %s", cstr(u.Sysname[:]), cstr(u.Release[:]), cstr(u.Version[:])))
	}
	quoted := make([]string, len(d.o.Args))
	for i, a := range d.o.Args {
		quoted[i] = "'" + a + "'"
	}
	d.log.Info("Command line: " + strings.Join(quoted, " "))
}

// namespaceLines logs what keepalived logs of its namespace before it
// runs; false: the namespace could not be entered and the daemon stops
// (with status 0, as keepalived 2.2.7).
func (d *Daemon) namespaceLines() bool {
	ns := d.o.NetNamespace
	if ns == "" {
		return true
	}
	if d.o.NetNamespaceConf != "" {
		d.log.Info(fmt.Sprintf("Overriding config net_namespace '%s' with command line namespace '%s'", d.o.NetNamespaceConf, ns))
	}
	d.log.Info("Changing syslog ident to " + IdentParent + "_" + ns)
	if d.o.NetNamespaceErr == nil {
		return true
	}
	d.log.Info(d.o.NetNamespaceErr.Error())
	d.log.Error(fmt.Sprintf("Unable to set network namespace %s - exiting", ns))
	d.log.Info(fmt.Sprintf("Stopped %s (gokeepalived %s)", Banner, d.o.Version))
	return false
}

// namespaceReload says, as keepalived, that the namespaces stay as they
// were at start-up; the rest of the configuration is reloaded.
func (d *Daemon) namespaceReload(cfg *conf.Config) {
	if cfg.NetNamespace != d.o.NetNamespace {
		d.log.Info("Cannot change network namespace at a reload - please restart keepalived")
	}
	old, now := d.cfg.NetNamespaceIPVS, cfg.NetNamespaceIPVS
	if (old == nil) != (now == nil) || old != nil && *old != *now {
		d.log.Info("Cannot change IPVS network namespace at a reload - please restart keepalived")
	}
}

func cstr(b []int8) string {
	s := make([]byte, 0, len(b))
	for _, c := range b {
		if c == 0 {
			break
		}
		s = append(s, byte(c))
	}
	return string(s)
}

// logConfig logs what keepalived logs while reading: each file opened and
// each positioned diagnostic.
func (d *Daemon) logConfig(cfg *conf.Config, diags *conf.Diagnostics) {
	for _, f := range cfg.Files {
		d.log.Info(fmt.Sprintf("Opening file '%s'.", f))
	}
	for _, dg := range diags.List {
		d.log.Warn(dg.String())
	}
}

func (d *Daemon) wanted(u *unit, cfg *conf.Config) bool {
	return d.o.RunAll || u.wanted(cfg)
}

func (d *Daemon) startUnits(ctx context.Context, cfg *conf.Config) error {
	raiseFDLimit(d.log, cfg)
	for _, u := range d.units {
		if !d.wanted(u, cfg) {
			continue
		}
		if err := d.startUnit(ctx, u, cfg); err != nil {
			return err
		}
	}
	return nil
}

func (d *Daemon) startUnit(ctx context.Context, u *unit, cfg *conf.Config) error {
	log := WithIdent(d.log, u.ident)
	d.log.Info(fmt.Sprintf("Starting %s subsystem, pid=%d", u.name, os.Getpid()))
	r, err := u.new(log)
	if err == nil {
		err = r.sub.Start(ctx, cfg)
	}
	if err != nil {
		return fmt.Errorf("%s subsystem failed to start: %v", u.name, err)
	}
	r.unit, r.log = u, log
	d.mu.Lock()
	d.run = append(d.run, r)
	d.mu.Unlock()
	if u.observer != nil && r.vrrp != nil {
		u.observer.Start(log, cfg, ObserverHost{VRRP: r.vrrp, Request: d.request})
	}
	return nil
}

// reload parses and validates the new file completely before touching
// anything: a broken file leaves the running configuration as it was.
func (d *Daemon) reload(ctx context.Context) {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	d.log.Info("Reloading ...")
	d.notify("RELOADING=1")
	defer d.notify("READY=1")
	cfg, diags := d.o.Load(d.o.ConfigFile)
	d.logConfig(cfg, diags)
	d.namespaceReload(cfg)
	if refusals := d.reloadRule().Refusals(diags); len(refusals) > 0 {
		d.refuseReload(refusals)
		return
	}
	d.log.Info("Reloading")
	raiseFDLimit(d.log, cfg)
	var keep []*running
	for _, r := range d.run {
		if !d.wanted(r.unit, cfg) {
			d.log.Info(fmt.Sprintf("Stopping %s subsystem: nothing configured for it", r.unit.name))
			if u, ok := r.sub.(unconfigurer); ok {
				u.Unconfigure()
			}
			d.stopOne(r)
			continue
		}
		// before the subsystem: new instances' first states follow it
		if r.unit.observer != nil && r.vrrp != nil {
			r.unit.observer.Reload(cfg)
		}
		if err := r.sub.Reload(ctx, cfg); err != nil {
			r.log.Error(fmt.Sprintf("reload failed: %v", err))
		}
		keep = append(keep, r)
	}
	d.mu.Lock()
	d.run = keep
	d.mu.Unlock()
	for _, u := range d.units {
		if d.wanted(u, cfg) && !d.isRunning(u) {
			if err := d.startUnit(ctx, u, cfg); err != nil {
				d.log.Error(err.Error())
			}
		}
	}
	d.cfg = cfg
	d.snmpCfg.Store(cfg)
	d.reloadSNMP(cfg)
	d.conf.apply(cfg.Files, true)
	d.log.Info("Reload complete")
}

// reloadRule is conf.ReloadRule with the running configuration's
// reload_check_config and --strict.
func (d *Daemon) reloadRule() conf.ReloadRule {
	return conf.ReloadRule{Whole: d.o.Strict || (d.cfg != nil && d.cfg.Global.ReloadCheckConfig)}
}

// refuseReload keeps the running configuration and says why, as
// keepalived's reload_check_config does (its log file gets the messages).
func (d *Daemon) refuseReload(refusals []conf.Diagnostic) {
	lines := make([]string, len(refusals))
	for i, r := range refusals {
		lines[i] = r.String()
	}
	d.conf.refuse(lines)
	if g := d.cfg.Global; g.ReloadCheckConfig && g.ReloadCheckConfigLog != "" {
		if err := os.WriteFile(g.ReloadCheckConfigLog, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			d.log.Info(fmt.Sprintf("truncate of config check log %s failed - %v", g.ReloadCheckConfigLog, err))
		}
		d.log.Info(fmt.Sprintf("New config failed validation, see %s for details", g.ReloadCheckConfigLog))
	}
	d.log.Error(fmt.Sprintf("Reload refused: %d problem(s) would lose part of the new configuration (first: %s); keeping the running configuration",
		len(refusals), lines[0]))
}

func (d *Daemon) isRunning(u *unit) bool {
	for _, r := range d.run {
		if r.unit == u {
			return true
		}
	}
	return false
}

func (d *Daemon) shutdown() {
	d.log.Info("Stopping")
	d.notify("STOPPING=1")
	d.stopAll()
	d.startStopScript(d.cfg, false)
	d.log.Info("Stopped")
	d.log.Info(fmt.Sprintf("Stopped %s (gokeepalived %s)", Banner, d.o.Version))
}

// startStopScript runs startup_script before the units start, or
// shutdown_script once they stopped, and waits for it within its
// timeout, as keepalived's parent (run_startup_script,
// startup_shutdown_script_completed), with its lines.
func (d *Daemon) startStopScript(cfg *conf.Config, startup bool) {
	if cfg == nil {
		return
	}
	g := &cfg.Global
	sc, timeout, typ := g.StartupScript, g.StartupScriptTimeout, "startup script"
	if !startup {
		sc, timeout, typ = g.ShutdownScript, g.ShutdownScriptTimeout, "shutdown script"
	}
	if sc == nil || sc.Disabled || len(sc.Argv) == 0 {
		return
	}
	d.log.Debug("Running " + typ + " " + sc.Argv[0])
	r := &script.Runner{User: g.ScriptUser, Group: g.ScriptGroup, Log: func(m string) { d.log.Info(m) }}
	res := r.Run(context.Background(), script.Cmd{Argv: sc.Argv, User: sc.User, Group: sc.Group}, time.Duration(timeout)*time.Second)
	switch {
	case res.Err != nil: // the launcher logged why
	case res.TimedOut:
		d.log.Info(typ + " timed out")
	case res.Signal == 0 && res.Status != 0:
		d.log.Info(fmt.Sprintf("%s script failed, status %d", typ, res.Status)) // sic: "startup script script"
	case res.OK():
		d.log.Debug(typ + " script succeeded")
	}
}

// stopAll stops the units in reverse start order, each within
// child_wait_time as keepalived's parent waits for its children.
func (d *Daemon) stopAll() {
	for i := len(d.run) - 1; i >= 0; i-- {
		d.stopOne(d.run[i])
	}
	d.mu.Lock()
	d.run = nil
	d.mu.Unlock()
}

func (d *Daemon) stopOne(r *running) {
	wait := 5 * time.Second
	if d.cfg != nil && d.cfg.ChildWaitTime > 0 {
		wait = d.cfg.ChildWaitTime
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := r.sub.Stop(ctx); err != nil {
		r.log.Error(fmt.Sprintf("stop: %v", err))
	}
	// after the subsystem: its STOP notifications come first
	if r.unit.observer != nil && r.vrrp != nil {
		r.unit.observer.Stop()
	}
}

// TmpDir is where dump files go: $TMPDIR when absolute, else /tmp, as
// keepalived 2.2.7's set_tmp_dir.
func TmpDir() string {
	if t := os.Getenv("TMPDIR"); strings.HasPrefix(t, "/") {
		return t
	}
	return "/tmp"
}

func (d *Daemon) dumpData() {
	pid := os.Getpid()
	d.log.Info(fmt.Sprintf("Printing parent data for process(%d) on signal", pid))
	d.writeDump(d.statePath("_parent"), func(w io.Writer) error {
		fmt.Fprintln(w, "------< Global definitions >------")
		conf.Dump(w, d.cfg)
		return nil
	})
	for _, r := range d.run {
		write := func(w io.Writer) error {
			switch {
			case r.vrrp != nil:
				dumps.WriteData(w, r.vrrp.Instances(), r.vrrp.Scripts())
			case r.checker != nil:
				r.checker.WriteData(w)
			case r.data != nil:
				r.data.WriteData(w)
			}
			return nil
		}
		r.log.Info(fmt.Sprintf("Printing %s data for process(%d) on signal", r.unit.name, pid))
		d.writeDump(d.statePath(r.unit.dataSuffix), write)
	}
}

// dumpStats: only the VRRP subsystem has statistics in keepalived.
func (d *Daemon) dumpStats(clear bool) {
	for _, r := range d.run {
		v := r.vrrp
		if v == nil {
			continue
		}
		r.log.Info(fmt.Sprintf("Printing %s stats for process(%d) on signal", r.unit.name, os.Getpid()))
		d.writeDump(d.statsPath(), func(w io.Writer) error {
			dumps.WriteStats(w, v.Instances())
			if clear {
				v.ClearStats()
			}
			return nil
		})
	}
}

func (d *Daemon) dumpJSON() {
	for _, r := range d.run {
		v := r.vrrp
		if v == nil {
			continue
		}
		r.log.Info(fmt.Sprintf("Printing %s as json for process(%d) on signal", r.unit.name, os.Getpid()))
		d.writeDump(d.jsonPath(), func(w io.Writer) error { return dumps.WriteJSON(w, v.Instances(), d.jsonVersion()) })
	}
}

// writeDump writes a dump file atomically (temporary file, then rename),
// mode 0600 as keepalived: readers never see half a file.
func (d *Daemon) writeDump(path string, fill func(io.Writer) error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err == nil {
		err = fill(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(f.Name(), path)
		}
		if err != nil {
			os.Remove(f.Name())
		}
	}
	if err != nil {
		d.log.Error(fmt.Sprintf("Can't open %s (%v)", path, err))
	}
}

func (d *Daemon) pidfiles() []string {
	files := []string{d.o.PidFile}
	for _, u := range d.units {
		files = append(files, u.pidFile)
	}
	return files
}

// Snapshot gathers what the subsystems report, for metrics and status.
func (d *Daemon) Snapshot() metrics.Snapshot {
	s := d.snapshot(d.conf.status()) // file reads: not under d.mu
	s.IPVSTable = d.ipvsTables()
	s.SyncDaemons = d.syncDaemons()
	return s
}

// syncSource is a subsystem that reads the kernel's IPVS sync daemons;
// ok is false when it has no IPVS handle or the read failed.
type syncSource interface {
	IPVSSyncDaemons() (ds []ipvs.SyncDaemon, ok bool)
}

// syncDaemons are the IPVS sync daemons the kernel runs, as the first
// subsystem with an IPVS handle reads them (outside d.mu, as the table).
func (d *Daemon) syncDaemons() []ipvs.SyncDaemon {
	var srcs []syncSource
	d.mu.Lock()
	for _, r := range d.run {
		if s, ok := r.vrrp.(syncSource); ok {
			srcs = append(srcs, s)
		}
		if s, ok := r.checker.(syncSource); ok {
			srcs = append(srcs, s)
		}
	}
	d.mu.Unlock()
	for _, s := range srcs {
		if ds, ok := s.IPVSSyncDaemons(); ok {
			return ds
		}
	}
	return nil
}

// ipvsTables dumps the kernel's IPVS tables with their counters.
func (d *Daemon) ipvsTables() []metrics.IPVSService {
	// The kernel dump runs outside d.mu: a reload never waits on a
	// scrape. A failed read leaves the traffic counters out.
	var out []metrics.IPVSService
	var tabs []Checker
	d.mu.Lock()
	for _, r := range d.run {
		if r.checker != nil {
			tabs = append(tabs, r.checker)
		}
	}
	d.mu.Unlock()
	for _, t := range tabs {
		if tab, err := t.IPVSTable(); err == nil {
			out = append(out, tab...)
		}
	}
	return out
}

func (d *Daemon) snapshot(cs ConfigStatus) metrics.Snapshot {
	var s metrics.Snapshot
	s.Config = metrics.Config{MatchesDisk: cs.MatchesDisk, LastReloadOK: cs.LastReload == nil || cs.LastReload.Applied,
		Applied: cs.Reloads, Refused: cs.Refused, AppliedAtUnixNanos: cs.AppliedAt.UnixNano()}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range d.run {
		if v := r.vrrp; v != nil {
			s.VRRP = append(s.VRRP, v.Instances()...)
			s.Scripts = append(s.Scripts, v.Scripts()...)
			s.VRRPSockets = append(s.VRRPSockets, v.SocketDrops()...)
		}
		if c := r.checker; c != nil {
			s.RealServers = append(s.RealServers, c.RealServers()...)
			s.IPVS = true
			s.IPVSOperations += c.IPVSOperations()
		}
		if b := r.bgp; b != nil {
			st := b.BGP()
			s.BGP = &st
		}
	}
	return s
}

// Status is the answer to `gokeepalived status`.
type Status struct {
	Pid         int                  `json:"pid"`
	ConfigFile  string               `json:"config_file"`
	Instances   []InstanceStatus     `json:"vrrp_instances"`
	RealServers []metrics.RealServer `json:"real_servers"`
	// IPVSOperations counts the IPVS operations applied since start-up.
	IPVSOperations uint64 `json:"ipvs_operations"`
	// SyncDaemons are the IPVS sync daemons the kernel runs.
	SyncDaemons []SyncDaemonStatus `json:"lvs_sync_daemons"`
	Config      ConfigStatus       `json:"config"`
	// BGP is the speaker's sessions and prefixes (bgp_speaker only).
	BGP *metrics.BGP `json:"bgp,omitempty"`
}

// SyncDaemonStatus is one IPVS sync daemon as the kernel reports it.
type SyncDaemonStatus struct {
	State     string `json:"state"` // master or backup
	Interface string `json:"interface"`
	SyncID    uint32 `json:"syncid"`
	MaxLen    uint16 `json:"maxlen"`
	Group     string `json:"group"`
	Port      uint16 `json:"port"`
	TTL       uint8  `json:"ttl"`
}

// InstanceStatus is one VRRP instance in the status answer.
type InstanceStatus struct {
	Name              string   `json:"name"`
	Interface         string   `json:"interface"`
	VRID              int      `json:"vrid"`
	State             string   `json:"state"`
	Priority          int      `json:"priority"`
	EffectivePriority int      `json:"effective_priority"`
	VIPs              []string `json:"vips"`
}

func (d *Daemon) status() Status {
	cs := d.conf.status()
	snap := d.snapshot(cs)
	st := Status{Config: cs, Pid: os.Getpid(), ConfigFile: d.o.ConfigFile, RealServers: snap.RealServers,
		Instances: []InstanceStatus{}}
	if st.RealServers == nil {
		st.RealServers = []metrics.RealServer{}
	}
	st.IPVSOperations = snap.IPVSOperations
	st.SyncDaemons = []SyncDaemonStatus{}
	for _, sd := range d.syncDaemons() {
		g := ""
		if sd.Group.IsValid() {
			g = sd.Group.String()
		}
		st.SyncDaemons = append(st.SyncDaemons, SyncDaemonStatus{State: sd.State.String(), Interface: sd.Interface,
			SyncID: sd.SyncID, MaxLen: sd.MaxLen, Group: g, Port: sd.Port, TTL: sd.TTL})
	}
	st.BGP = snap.BGP
	for _, in := range snap.VRRP {
		st.Instances = append(st.Instances, InstanceStatus{Name: in.Name, Interface: in.Interface, VRID: in.VRID,
			State: dumps.StateName(in.State), Priority: in.BasePriority, EffectivePriority: in.EffectivePriority, VIPs: in.VIPs})
	}
	return st
}

// Drainer is a checker that drains real servers (gokeepalived drain).
type Drainer interface {
	Drain(vs, rs string, timeout time.Duration) (string, error)
	Undrain(vs, rs string) (string, error)
}

// drain serves a drain or undrain request on the running checker.
func (d *Daemon) drain(req string) (any, error) {
	undrain, vs, rs, timeout, err := control.ParseDrainRequest(req)
	if err != nil {
		return nil, err
	}
	var dr Drainer
	d.mu.Lock()
	for _, r := range d.run {
		if c, ok := r.checker.(Drainer); ok {
			dr = c
		}
	}
	d.mu.Unlock()
	if dr == nil {
		return nil, fmt.Errorf("no checker subsystem runs: nothing to drain")
	}
	if undrain {
		return dr.Undrain(vs, rs)
	}
	return dr.Drain(vs, rs, timeout)
}

// serveStatus starts the control socket and the metrics listener as
// configured; the returned function stops them.
func (d *Daemon) serveStatus() (func(), error) {
	var closers []func()
	stop := func() {
		for _, c := range closers {
			c()
		}
	}
	if d.o.ControlPath != "" {
		srv, err := control.Listen(d.o.ControlPath, func(req string) (any, error) {
			switch {
			case req == "status":
				return d.status(), nil
			case req == "reload":
				// Handled by the signal loop, as SIGHUP.
				return "reload requested", syscall.Kill(os.Getpid(), syscall.SIGHUP)
			case strings.HasPrefix(req, "drain ") || strings.HasPrefix(req, "undrain "):
				return d.drain(req)
			case req == DryRunRequest || strings.HasPrefix(req, DryRunRequest+" "):
				return d.DryRun(strings.TrimSpace(strings.TrimPrefix(req, DryRunRequest))), nil
			}
			return nil, fmt.Errorf("unknown request %q", req)
		})
		if err != nil {
			return stop, fmt.Errorf("control socket %s: %v", d.o.ControlPath, err)
		}
		go srv.Serve()
		closers = append(closers, func() { srv.Close(); os.Remove(d.o.ControlPath) })
	}
	if d.o.MetricsAddress != "" {
		addr := metrics.ListenAddress(d.o.MetricsAddress)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			stop()
			return func() {}, fmt.Errorf("metrics listener %s: %v", addr, err)
		}
		hs := metrics.NewServer(d.Snapshot)
		go hs.Serve(metrics.ShedListener(ln, metrics.MaxConns))
		d.log.Info(fmt.Sprintf("Serving metrics on http://%s/metrics", ln.Addr()))
		closers = append(closers, func() { hs.Close() })
	}
	return stop, nil
}
