// Package daemon runs gokeepalived's subsystems the way keepalived's
// parent process runs its children: pidfiles, start-up and shutdown log
// lines, signals (reload, stop, data/stats/JSON dumps) and systemd
// notifications. The subsystems themselves (VRRP, checkers) sit behind the
// Subsystem interface, so this loop is tested with fakes.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
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

// Subsystem is one of keepalived's children (VRRP, checkers), run as a
// group of goroutines in this process.
type Subsystem interface {
	// Start brings the subsystem up with a configuration; it returns once
	// the subsystem runs (its work goes on in goroutines).
	Start(ctx context.Context, cfg *conf.Config) error
	// Reload applies a new, already validated configuration.
	Reload(ctx context.Context, cfg *conf.Config) error
	// Stop shuts down in order (priority-0 adverts, VIPs, IPVS entries as
	// the options say) and returns when done or ctx ends.
	Stop(ctx context.Context) error
}

// DataDumper writes the SIGUSR1 data dump.
type DataDumper interface{ WriteData(w io.Writer) }

// StatsDumper writes the SIGUSR2 statistics, clearing them if asked.
type StatsDumper interface{ WriteStats(w io.Writer, clear bool) }

// JSONDumper writes the SIGRTMIN+2 JSON dump.
type JSONDumper interface{ WriteJSON(w io.Writer) error }

// Unit describes a subsystem the daemon may run.
type Unit struct {
	Name     string // "VRRP", "checker": used in log lines
	Ident    string // syslog ident
	PidFile  string // -r / -c
	DataFile string // SIGUSR1 dump file name in TMPDIR
	// Wanted says whether a configuration has anything for this unit.
	Wanted func(*conf.Config) bool
	// New creates the subsystem.
	New func(log *slog.Logger) (Subsystem, error)
}

// Options configure one daemon run.
type Options struct {
	ConfigFile string
	Load       func(path string) (*conf.Config, *conf.Diagnostics)
	PidFile    string // -p
	Units      []Unit
	RunAll     bool   // --all: start units even with nothing configured
	TmpDir     string // where dump files go
	Version    string // gokeepalived's own version
	Args       []string
	Log        *slog.Logger
	// Notify sends a systemd state ("READY=1"); nil when not under systemd.
	Notify func(state string)
	// DumpConf logs the configuration at start-up (-d).
	DumpConf bool
}

type running struct {
	unit Unit
	sub  Subsystem
	log  *slog.Logger
}

// Daemon is one run of the parent loop.
type Daemon struct {
	o   Options
	log *slog.Logger
	cfg *conf.Config
	run []*running
}

// Exit codes of the daemon (keepalived's lib/scheduler.h).
const (
	ExitOK    = 0
	ExitFatal = 1
)

// Run starts the daemon and serves signals until a stop signal or ctx
// ends. It returns the process exit code.
func Run(ctx context.Context, o Options, sigs <-chan os.Signal) int {
	d := &Daemon{o: o, log: o.Log}
	if d.o.TmpDir == "" {
		d.o.TmpDir = TmpDir()
	}
	d.startupLines()
	if d.alreadyRunning() {
		d.log.Info("daemon is already running")
		return ExitOK
	}
	d.writePidfiles()
	defer d.removePidfiles()

	cfg, diags := o.Load(o.ConfigFile)
	d.logConfig(cfg, diags)
	d.cfg = cfg
	if o.DumpConf {
		var b strings.Builder
		conf.Dump(&b, cfg)
		for _, l := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
			d.log.Info(l)
		}
	}
	if err := d.startUnits(ctx, cfg); err != nil {
		d.log.Error(err.Error() + ". Terminating")
		d.stopAll()
		return ExitFatal
	}
	d.log.Info("Startup complete")
	d.notify("READY=1")

	for {
		select {
		case <-ctx.Done():
			d.shutdown()
			return ExitOK
		case s := <-sigs:
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

func (d *Daemon) wanted(u Unit, cfg *conf.Config) bool {
	return d.o.RunAll || u.Wanted == nil || u.Wanted(cfg)
}

func (d *Daemon) startUnits(ctx context.Context, cfg *conf.Config) error {
	for _, u := range d.o.Units {
		if !d.wanted(u, cfg) {
			continue
		}
		if err := d.startUnit(ctx, u, cfg); err != nil {
			return err
		}
	}
	return nil
}

func (d *Daemon) startUnit(ctx context.Context, u Unit, cfg *conf.Config) error {
	log := WithIdent(d.log, u.Ident)
	d.log.Info(fmt.Sprintf("Starting %s subsystem, pid=%d", u.Name, os.Getpid()))
	sub, err := u.New(log)
	if err == nil {
		err = sub.Start(ctx, cfg)
	}
	if err != nil {
		return fmt.Errorf("%s subsystem failed to start: %v", u.Name, err)
	}
	d.run = append(d.run, &running{unit: u, sub: sub, log: log})
	return nil
}

// reload parses and validates the new file completely before touching
// anything: a broken file leaves the running configuration as it was.
func (d *Daemon) reload(ctx context.Context) {
	d.log.Info("Reloading ...")
	d.notify("RELOADING=1")
	defer d.notify("READY=1")
	cfg, diags := d.o.Load(d.o.ConfigFile)
	d.logConfig(cfg, diags)
	if diags.ExitCode() != conf.ExitOK {
		d.log.Error(fmt.Sprintf("New config failed validation (%d problem(s) above); keeping the running configuration", len(diags.List)))
		return
	}
	d.log.Info("Reloading")
	var keep []*running
	for _, r := range d.run {
		if !d.wanted(r.unit, cfg) {
			d.log.Info(fmt.Sprintf("Stopping %s subsystem: nothing configured for it", r.unit.Name))
			d.stopOne(r)
			continue
		}
		if err := r.sub.Reload(ctx, cfg); err != nil {
			r.log.Error(fmt.Sprintf("reload failed: %v", err))
		}
		keep = append(keep, r)
	}
	d.run = keep
	for _, u := range d.o.Units {
		if d.wanted(u, cfg) && !d.isRunning(u) {
			if err := d.startUnit(ctx, u, cfg); err != nil {
				d.log.Error(err.Error())
			}
		}
	}
	d.cfg = cfg
	d.log.Info("Reload complete")
}

func (d *Daemon) isRunning(u Unit) bool {
	for _, r := range d.run {
		if r.unit.Name == u.Name {
			return true
		}
	}
	return false
}

func (d *Daemon) shutdown() {
	d.log.Info("Stopping")
	d.notify("STOPPING=1")
	d.stopAll()
	d.log.Info("Stopped")
	d.log.Info(fmt.Sprintf("Stopped %s (gokeepalived %s)", Banner, d.o.Version))
}

// stopAll stops the units in reverse start order, each within
// child_wait_time as keepalived's parent waits for its children.
func (d *Daemon) stopAll() {
	for i := len(d.run) - 1; i >= 0; i-- {
		d.stopOne(d.run[i])
	}
	d.run = nil
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
	d.writeDump("keepalived_parent.data", func(w io.Writer) error {
		fmt.Fprintln(w, "------< Global definitions >------")
		conf.Dump(w, d.cfg)
		return nil
	})
	for _, r := range d.run {
		dd, ok := r.sub.(DataDumper)
		if !ok || r.unit.DataFile == "" {
			continue
		}
		r.log.Info(fmt.Sprintf("Printing %s data for process(%d) on signal", r.unit.Name, pid))
		d.writeDump(r.unit.DataFile, func(w io.Writer) error { dd.WriteData(w); return nil })
	}
}

// dumpStats: only the VRRP subsystem has statistics in keepalived.
func (d *Daemon) dumpStats(clear bool) {
	for _, r := range d.run {
		if sd, ok := r.sub.(StatsDumper); ok {
			r.log.Info(fmt.Sprintf("Printing %s stats for process(%d) on signal", r.unit.Name, os.Getpid()))
			d.writeDump("keepalived.stats", func(w io.Writer) error { sd.WriteStats(w, clear); return nil })
		}
	}
}

func (d *Daemon) dumpJSON() {
	for _, r := range d.run {
		if jd, ok := r.sub.(JSONDumper); ok {
			r.log.Info(fmt.Sprintf("Printing %s as json for process(%d) on signal", r.unit.Name, os.Getpid()))
			d.writeDump("keepalived.json", jd.WriteJSON)
		}
	}
}

// writeDump writes a dump file atomically (temporary file, then rename),
// mode 0600 as keepalived: readers never see half a file.
func (d *Daemon) writeDump(name string, fill func(io.Writer) error) {
	path := filepath.Join(d.o.TmpDir, name)
	f, err := os.CreateTemp(d.o.TmpDir, "."+name+".*")
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
	for _, u := range d.o.Units {
		files = append(files, u.PidFile)
	}
	return files
}

// alreadyRunning follows keepalived: a pidfile naming a live process
// means another daemon runs; a stale one is removed.
func (d *Daemon) alreadyRunning() bool {
	for _, f := range d.pidfiles() {
		if f == "" {
			continue
		}
		b, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		var pid int
		if _, serr := fmt.Sscanf(string(b), "%d", &pid); err != nil || serr != nil || pid <= 0 {
			d.log.Info(fmt.Sprintf("Error reading pid file %s", f))
			os.Remove(f)
			return true
		}
		if pid == os.Getpid() {
			continue
		}
		if syscall.Kill(pid, 0) != nil {
			d.log.Info(fmt.Sprintf("Remove a zombie pid file %s", f))
			os.Remove(f)
			continue
		}
		return true
	}
	return false
}

// writePidfiles writes our pid into the parent's and every unit's
// pidfile: tools that read keepalived_vrrp.pid find the process that
// runs VRRP, which is this one.
func (d *Daemon) writePidfiles() {
	for _, f := range d.pidfiles() {
		if f == "" {
			continue
		}
		if err := os.WriteFile(f, fmt.Appendf(nil, "%d\n", os.Getpid()), 0o644); err != nil {
			d.log.Info(fmt.Sprintf("pidfile_write : Cannot open %s pidfile", f))
		}
	}
}

func (d *Daemon) removePidfiles() {
	for _, f := range d.pidfiles() {
		if f != "" {
			os.Remove(f)
		}
	}
}
