// Package checkerd is the health-checker subsystem (keepalived's
// --check child) as the daemon runs it: the check engine computes the
// desired IPVS table and every change is diffed against what was last
// applied and programmed in place; the kernel table is adopted at start,
// read back and repaired every delay_loop, and emptied at stop. It also
// holds the lvs_sync_daemon follower, which the VRRP side drives.
package checkerd

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	checkengine "github.com/gokeepalived/gokeepalived/check"
	"github.com/gokeepalived/gokeepalived/check/probe"
	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/bfd"
	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/internal/metrics"
	"github.com/gokeepalived/gokeepalived/internal/notifyfifo"
	"github.com/gokeepalived/gokeepalived/internal/script"
	"github.com/gokeepalived/gokeepalived/internal/smtpalert"
	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsadm"
	"github.com/gokeepalived/gokeepalived/ipvs/reconcile"
)

// Handle is what the checker subsystem needs of IPVS; *ipvs.Conn in
// the daemon, the in-memory fake in tests.
type Handle interface {
	ipvs.Table
	Flush() error
	SetTimeouts(ipvs.Timeouts) error
	SyncDaemons() ([]ipvs.SyncDaemon, error)
	NewSyncDaemon(ipvs.SyncDaemon) error
	DelSyncDaemon(ipvs.SyncState) error
	Close() error
}

// Options are the daemon's settings the subsystem takes.
type Options struct {
	// KeepIPVS is -I: the table stays in the kernel at stop.
	KeepIPVS bool
	// ResyncEvery is how often the kernel table is read back and any
	// drift from ours repaired (an ipvsadm behind our back, a failed
	// apply); 0: the smallest delay_loop, as issue-free as keepalived's
	// own checks of its servers.
	ResyncEvery time.Duration
	// NewProbe, if set, replaces the real checkers (benchmarks without
	// traffic).
	NewProbe func(*conf.Checker, *conf.RealServer, *conf.VirtualServer) (probe.Checker, error)
	// BFD carries the BFD subsystem's changes for BFD_CHECK (nil: none).
	BFD *bfd.Mailbox
	// Sysctl reads and writes net.ipv4.vs.* in the IPVS namespace for
	// ipvs_sysctl (nil: the block is ignored).
	Sysctl Sysctl
	// OnQuorum, if set, is told of every quorum change; it must not block.
	OnQuorum func()
}

// Checker is the health-checker subsystem; it is a daemon.Subsystem.
type Checker struct {
	log      *slog.Logger
	open     func() (Handle, error)
	keepIPVS bool // -I
	onQuorum func()

	conn   Handle
	cfg    *conf.Config
	eng    *checkengine.Engine
	cancel context.CancelFunc
	done   chan struct{}

	syncMu  sync.Mutex
	applied []reconcile.VirtualService // what the kernel holds of ours
	stale   bool                       // an apply failed: re-read the kernel
	ops     atomic.Uint64              // IPVS operations applied, for status
	stats   ipvsStatsCache             // the counters /metrics shows (ipvsstats.go)

	fifo     *notifyfifo.Set // notify_fifo + lvs_notify_fifo
	fifoSpec string
	alerts   *smtpalert.Sender // the checker's e-mail alerts
	full     bool              // next sync diffs the whole table (new engine)

	newProbe    func(*conf.Checker, *conf.RealServer, *conf.VirtualServer) (probe.Checker, error)
	resyncEvery time.Duration // Options.ResyncEvery
	// lastReload is how the last reload's time split: the engine
	// (build, carry state over, schedule) and IPVS (table, diff, apply).
	lastReload struct{ engine, ipvs time.Duration }

	// addrs follows the host's addresses once a virtual server uses
	// ha_suspend; addrEng is the engine it reports to.
	addrs       *checkengine.LocalAddrs
	addrsCancel context.CancelFunc
	addrEng     atomic.Pointer[checkengine.Engine]

	// bfd feeds BFD_CHECK; bfdEng is the engine it reports to.
	bfd       *bfd.Mailbox
	bfdEng    atomic.Pointer[checkengine.Engine]
	bfdFollow sync.Once
	bfdStop   context.CancelFunc
	bfdDone   chan struct{}

	// drains are the real servers being drained (drain.go), under
	// syncMu; the drain loop reads their connections.
	drains      map[drainKey]*drainState
	drainKick   chan struct{}
	drainCancel context.CancelFunc
	drainDone   chan struct{}
	// sysctl applies ipvs_sysctl (sysctl.go).
	sysctl sysctlState
	// syncd runs an lvs_sync_daemon that names no instance: master and
	// backup daemons together, as keepalived's checker process does.
	syncd *SyncFollower
}

// sharedHandle is the checker's handle lent to its sync follower, which
// must not close it.
type sharedHandle struct{ Handle }

func (sharedHandle) Close() error { return nil }

// IPVSSyncDaemons reads the IPVS sync daemons the kernel runs, for
// status and /metrics; ok is false before Start or when the read failed.
func (c *Checker) IPVSSyncDaemons() ([]ipvs.SyncDaemon, bool) {
	c.syncMu.Lock()
	conn := c.conn
	c.syncMu.Unlock()
	if conn == nil {
		return nil, false
	}
	ds, err := conn.SyncDaemons()
	return ds, err == nil
}

// New returns the subsystem, not started; open connects to IPVS at Start.
func New(log *slog.Logger, o Options, open func() (Handle, error)) *Checker {
	return &Checker{log: log, open: open, keepIPVS: o.KeepIPVS, resyncEvery: o.ResyncEvery, newProbe: o.NewProbe, bfd: o.BFD, onQuorum: o.OnQuorum,
		drainKick: make(chan struct{}, 1), sysctl: sysctlState{io: o.Sysctl, orig: map[string]int{}}}
}

// LastReload is how long the last Reload took in the engine (build,
// carry state over, schedule) and in IPVS (table, diff, apply).
func (c *Checker) LastReload() (engine, ipvs time.Duration) {
	return c.lastReload.engine, c.lastReload.ipvs
}

func (c *Checker) engineOptions(cfg *conf.Config) checkengine.Options {
	return checkengine.Options{
		Logf:        func(f string, a ...any) { c.log.Info(fmt.Sprintf(f, a...)) },
		OnChange:    func() { c.sync() },
		RunScripts:  true,
		ScriptUser:  cfg.Global.ScriptUser,
		ScriptGroup: cfg.Global.ScriptGroup,
		NotifyFIFO:  c.fifo.Write,
		NewProbe:    c.newProbe,
		Alerts:      c.alerts,
		OnQuorum:    c.onQuorum,
		LocalAddrCount: func(a netip.Addr) int {
			if c.addrs == nil {
				return 0
			}
			return c.addrs.Count(a)
		},
	}
}

// watchAddrs starts following the host's addresses when cfg uses
// ha_suspend (keepalived's using_ha_suspend), before the engine is
// built: its checkers start activated or suspended. The monitor runs
// until the daemon's context ends.
func (c *Checker) watchAddrs(ctx context.Context, cfg *conf.Config) {
	if c.addrs != nil || !usesHASuspend(cfg) {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	a, err := checkengine.WatchLocalAddrs(ctx, func(a netip.Addr, n int) {
		if e := c.addrEng.Load(); e != nil {
			e.AddrChanged(a, n)
		}
	}, func(err error) {
		c.log.Warn(fmt.Sprintf("Netlink: address monitor subscribed again after %v; addresses listed anew", err))
	})
	if err != nil {
		// the checkers of ha_suspend virtual servers stay suspended
		c.log.Error(fmt.Sprintf("Netlink: %v", err))
		cancel()
		return
	}
	c.addrs, c.addrsCancel = a, cancel
}

// setAddrEngine makes eng the one address changes go to, and gives it
// any change that came while it was being built.
func (c *Checker) setAddrEngine(eng *checkengine.Engine) {
	c.addrEng.Store(eng)
	if c.addrs == nil {
		return
	}
	for _, vs := range c.cfg.VirtualServers {
		if vs.HASuspend && vs.Group == "" && vs.FWMark == 0 {
			eng.AddrChanged(vs.Addr, c.addrs.Count(vs.Addr))
		}
	}
}

func usesHASuspend(cfg *conf.Config) bool {
	for _, vs := range cfg.VirtualServers {
		if vs.HASuspend {
			return true
		}
	}
	return false
}

// openFIFO (re)opens the checker's notify FIFOs when their settings
// changed; the scripts get the FIFO path as last argument.
func (c *Checker) openFIFO(cfg *conf.Config) {
	g := &cfg.Global
	spec := fmt.Sprintf("%+v %+v %+v %+v", g.NotifyFIFO, g.NotifyFIFO.Script, g.LVSNotifyFIFO, g.LVSNotifyFIFO.Script)
	if c.fifo != nil && spec == c.fifoSpec {
		return
	}
	c.fifo.Close()
	sc := &script.Runner{User: g.ScriptUser, Group: g.ScriptGroup, Log: func(m string) { c.log.Info(m) }}
	c.fifo = notifyfifo.Open(g.NotifyFIFO, g.LVSNotifyFIFO, "lvs_", func(ctx context.Context, argv []string, user, group string, exited func()) error {
		return sc.Start(ctx, script.Cmd{Argv: argv, User: user, Group: group}, 0, func(script.Result) { exited() })
	}, c.log)
	c.fifoSpec = spec
}

func (c *Checker) Start(ctx context.Context, cfg *conf.Config) error {
	conn, err := c.open()
	if err != nil {
		return fmt.Errorf("IPVS: Can't initialize ipvs: %v", err)
	}
	c.conn, c.cfg = conn, cfg
	c.applySysctls(cfg)
	c.openFIFO(cfg)
	c.alerts = smtpalert.New(smtpalert.FromGlobal(&cfg.Global), c.log)
	if err := c.setTimeouts(cfg); err != nil {
		c.log.Error(err.Error())
	}
	c.watchAddrs(ctx, cfg)
	eng, err := checkengine.New(cfg, c.engineOptions(cfg))
	if err != nil {
		conn.Close()
		c.fifo.Close()
		c.alerts.Close(0)
		return err
	}
	c.eng = eng
	c.setAddrEngine(eng)
	c.setBFDEngine(ctx, eng)
	// Adopt what the kernel already holds for our services: a restart
	// keeps their connections. lvs_flush removes every other service.
	cur, err := reconcile.Dump(conn)
	if err != nil {
		conn.Close()
		c.fifo.Close()
		c.alerts.Close(0)
		return fmt.Errorf("IPVS: reading the kernel table: %v", err)
	}
	desired := eng.Table()
	ops, err := reconcile.Diff(desired, cur, reconcile.Options{PurgeUnowned: cfg.Global.LVSFlush})
	n := 0
	if err == nil {
		n, err = reconcile.Apply(conn, ops)
	}
	c.ops.Add(uint64(n))
	if err != nil {
		c.logApplyErr(err)
		c.stale = true
	}
	c.applied = desired
	if a := adopted(desired, cur); a > 0 {
		c.log.Info(fmt.Sprintf("IPVS: adopted %d service(s) already in the kernel; %d operation(s) at start-up", a, len(ops)))
	} else {
		c.log.Debug(fmt.Sprintf("IPVS: %d operation(s) at start-up", len(ops)))
	}
	c.syncd = NewSyncFollower(c.log, sharedHandle{conn}, SyncBoth)
	c.syncd.Start(cfg)
	c.run(ctx)
	dctx, cancel := context.WithCancel(ctx)
	c.drainCancel, c.drainDone = cancel, make(chan struct{})
	go func() { defer close(c.drainDone); c.drainLoop(dctx) }()
	return nil
}

func (c *Checker) setTimeouts(cfg *conf.Config) error {
	t := cfg.Global.LVSTimeouts
	if t.TCP == 0 && t.TCPFin == 0 && t.UDP == 0 {
		return nil
	}
	return c.conn.SetTimeouts(ipvs.Timeouts{TCP: secs(t.TCP), TCPFin: secs(t.TCPFin), UDP: secs(t.UDP)})
}

func secs(d time.Duration) uint32 { return uint32(d / time.Second) }

func (c *Checker) run(ctx context.Context) {
	ctx, c.cancel = context.WithCancel(ctx)
	c.done = make(chan struct{})
	eng, done := c.eng, c.done
	every := c.resyncEvery
	if every == 0 {
		every = smallestDelayLoop(c.cfg)
	}
	go func() {
		defer close(done)
		resynced := make(chan struct{})
		go func() { defer close(resynced); c.resync(ctx, every) }()
		eng.Run(ctx)
		<-resynced
	}()
}

// smallestDelayLoop is the shortest delay_loop of the virtual servers
// (keepalived's default 60 s without any), at least 1 s.
func smallestDelayLoop(cfg *conf.Config) time.Duration {
	d := 60 * time.Second
	for _, vs := range cfg.VirtualServers {
		if vs.DelayLoop > 0 && vs.DelayLoop < d {
			d = vs.DelayLoop
		}
	}
	return max(d, time.Second)
}

// resync reads the kernel table back every interval and repairs what
// differs from ours: a real server deleted with ipvsadm, a weight
// changed by hand, an apply that failed half-way.
func (c *Checker) resync(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if ops := c.resyncOnce(); len(ops) > 0 {
			c.log.Warn(fmt.Sprintf("IPVS: the kernel table had drifted from ours: %d operation(s) to repair it", len(ops)))
			logOps(c.log, "repair", ops)
		}
	}
}

// resyncOnce reads the kernel and repairs what differs from what we
// applied. The engine's pending changes are handed over first, as its
// OnChange would (on a busy CPU the tick can come before it), and changes
// it makes meanwhile are left to OnChange: only a difference from our own
// table is drift.
func (c *Checker) resyncOnce() []reconcile.Op {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	return c.resyncLocked()
}

func (c *Checker) resyncLocked() []reconcile.Op {
	if c.full { // a new engine not yet programmed: take it whole
		c.full = false
		c.eng.Changed()
		c.applied = c.overlay(c.eng.Table())
	} else if !c.stale {
		c.syncChanged()
	}
	c.stale = true // the diff below reads the kernel
	ops, err := c.diff(c.applied)
	c.apply(ops, err)
	return ops
}

func (c *Checker) halt() {
	if c.cancel != nil {
		c.cancel()
		<-c.done
		c.cancel = nil
	}
}

// sync programs the engine's current table: a diff against what was
// applied last, so a weight change is one SET_DEST and no kernel dump.
// It returns the operations it applied.
func (c *Checker) sync() []reconcile.Op {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	if !c.stale && !c.full {
		return c.syncChanged()
	}
	return c.syncFullLocked()
}

// apply applies ops (unless planning them failed with err), counts them
// and marks the kernel table for a re-read if anything failed.
func (c *Checker) apply(ops []reconcile.Op, err error) {
	n := 0
	if err == nil {
		n, err = reconcile.Apply(c.conn, ops)
	}
	c.ops.Add(uint64(n))
	if err != nil {
		c.logApplyErr(err)
	}
	c.stale = err != nil
}

// diff is what turns the kernel's table of ours into desired; with
// syncMu held. After a failed apply the kernel is read again.
func (c *Checker) diff(desired []reconcile.VirtualService) ([]reconcile.Op, error) {
	if !c.stale {
		return reconcile.Diff(desired, c.applied, reconcile.Options{PurgeUnowned: true}) // applied holds only ours
	}
	owned := map[ipvs.ServiceKey]bool{}
	for _, vs := range c.applied {
		owned[vs.Service.ServiceKey] = true
	}
	k, err := reconcile.Dump(c.conn)
	if err != nil {
		return nil, fmt.Errorf("reading the kernel table: %v", err)
	}
	return reconcile.Diff(desired, k, reconcile.Options{PrevOwned: owned})
}

// adopted counts the desired services the kernel already held.
func adopted(desired, cur []reconcile.VirtualService) int {
	have := map[ipvs.ServiceKey]bool{}
	for _, vs := range cur {
		have[vs.Service.ServiceKey] = true
	}
	n := 0
	for _, vs := range desired {
		if have[vs.Service.ServiceKey] {
			n++
		}
	}
	return n
}

// syncChanged diffs only the virtual servers that changed: a lone
// change costs the same with 40 real servers or 40,000.
func (c *Checker) syncChanged() []reconcile.Op {
	desired, keys := c.eng.Changed()
	if len(keys) == 0 {
		return nil
	}
	desired = c.overlay(desired)
	var cur, keep []reconcile.VirtualService
	for _, vs := range c.applied {
		if keys[vs.Service.ServiceKey] {
			cur = append(cur, vs)
		} else {
			keep = append(keep, vs)
		}
	}
	ops, err := reconcile.Diff(desired, cur, reconcile.Options{PurgeUnowned: true})
	c.apply(ops, err)
	c.applied = append(keep, desired...)
	return ops
}

func (c *Checker) Reload(ctx context.Context, cfg *conf.Config) error {
	t0 := time.Now()
	c.halt()
	old := c.eng
	c.openFIFO(cfg)
	c.alerts.Configure(smtpalert.FromGlobal(&cfg.Global))
	c.watchAddrs(ctx, cfg)
	c.syncMu.Lock()
	next := checkengine.Reload(cfg, c.engineOptions(cfg), old)
	c.drains = c.reloadDrains(cfg, next, time.Now()) // c.eng is still the old engine
	c.eng = next
	c.cfg = cfg
	c.full = true // virtual servers may have gone
	c.syncMu.Unlock()
	c.setAddrEngine(c.eng)
	c.setBFDEngine(ctx, c.eng)
	if err := c.setTimeouts(cfg); err != nil {
		c.log.Error(err.Error())
	}
	if c.syncd != nil {
		c.syncd.Reload(cfg)
	}
	c.applySysctls(cfg)
	t1 := time.Now()
	ops := c.sync()
	t2 := time.Now()
	logOps(c.log, "reload", ops)
	c.kickDrains()
	c.run(ctx)
	c.lastReload.engine, c.lastReload.ipvs = t1.Sub(t0)+time.Since(t2), t2.Sub(t1)
	return nil
}

// maxLoggedOps bounds the per-operation lines of one reload.
const maxLoggedOps = 100

// logOps logs a reload's IPVS operations in ipvsadm's notation, as
// `gokeepalived reload --dry-run` prints them.
func logOps(log *slog.Logger, what string, ops []reconcile.Op) {
	log.Info(fmt.Sprintf("IPVS: %d operation(s) at %s", len(ops), what))
	for i, o := range ops {
		if i == maxLoggedOps {
			log.Info(fmt.Sprintf("IPVS: ... and %d more", len(ops)-i))
			break
		}
		log.Info("IPVS: ipvsadm " + opCommand(o))
	}
}

// opCommand is one operation as its ipvsadm command line.
func opCommand(o reconcile.Op) string {
	cmd := map[reconcile.OpKind]byte{reconcile.AddService: ipvsadm.AddService, reconcile.EditService: ipvsadm.EditService,
		reconcile.DelService: ipvsadm.DelService, reconcile.AddDest: ipvsadm.AddDest, reconcile.EditDest: ipvsadm.EditDest,
		reconcile.DelDest: ipvsadm.DelDest}[o.Kind]
	return ipvsadm.Command(cmd, o.Service, o.Dest)
}

// PlanReload is what a reload onto cfg would do to IPVS, computed as
// Reload computes it (the new engine carries the running one's state)
// but applying nothing. stopping: the reload stops this subsystem.
func (c *Checker) PlanReload(cfg *conf.Config, stopping bool) ([]string, error) {
	ops, flush, err := c.planOps(cfg, stopping)
	if err != nil {
		return nil, err
	}
	var out []string
	if flush {
		out = append(out, "ipvsadm -C")
	}
	for _, o := range ops {
		out = append(out, "ipvsadm "+opCommand(o))
	}
	return out, nil
}

// planOps: flush is lvs_flush_on_stop FULL at a stop.
func (c *Checker) planOps(cfg *conf.Config, stopping bool) (ops []reconcile.Op, flush bool, err error) {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	if stopping {
		switch {
		case c.keepIPVS:
			return nil, false, nil
		case flushOnStop(c.cfg) == "FULL":
			return nil, true, nil
		}
		ops, err = c.diff(nil)
		if flushOnStop(c.cfg) == "VS" {
			ops = servicesOnly(ops)
		}
		return ops, false, err
	}
	// Quiet: no log lines, no notify scripts, nothing scheduled.
	next := checkengine.Reload(cfg, checkengine.Options{}, c.eng)
	drains := c.drains
	c.drains = c.reloadDrains(cfg, next, time.Now())
	ops, err = c.diff(c.overlay(next.Table()))
	c.drains = drains
	return ops, false, err
}

// flushOnStop is global lvs_flush_on_stop: "", "FULL" or "VS".
func flushOnStop(cfg *conf.Config) string { return strings.ToUpper(cfg.Global.LVSFlushOnStop) }

// servicesOnly keeps the service deletions of a stop's operations:
// under lvs_flush_on_stop VS keepalived deletes each of its services
// whole (clear_service_vs), its destinations with it, and leaves every
// other service in the kernel.
func servicesOnly(ops []reconcile.Op) []reconcile.Op {
	out := ops[:0]
	for _, o := range ops {
		if o.Kind == reconcile.DelService {
			out = append(out, o)
		}
	}
	return out
}

// IPVSOperations counts the operations applied since start-up.
func (c *Checker) IPVSOperations() uint64 { return c.ops.Load() }

// Stop removes our services unless -I, as keepalived's checker does at
// exit (clear_services): real server by real server, or with
// lvs_flush_on_stop VS each service whole, or with FULL the whole
// table. With -I keepalived skips all of it: no lines, no notifies.
func (c *Checker) Stop(context.Context) error {
	if c.addrsCancel != nil {
		c.addrsCancel() // keepalived closes netlink first
	}
	c.stopBFD()
	if c.drainCancel != nil {
		c.drainCancel()
		<-c.drainDone
	}
	c.halt()
	if c.syncd != nil {
		c.syncd.Stop()
	}
	defer c.conn.Close()
	defer c.fifo.Close()
	defer c.alerts.Close(time.Second) // alerts already queued, not shutdown ones
	if c.keepIPVS {
		return nil
	}
	defer c.restoreSysctls()
	c.eng.Shutdown()
	switch flushOnStop(c.cfg) {
	case "FULL":
		return c.conn.Flush()
	case "VS":
		c.syncMu.Lock()
		defer c.syncMu.Unlock()
		ops, err := c.diff(nil)
		c.apply(servicesOnly(ops), err)
		c.applied = nil
		return nil
	}
	c.sync()
	return nil
}

// RealServers reports every real server with its checkers' verdict (an
// inhibited server that failed is in IPVS with weight 0 and down; one
// alive with weight 0 is up), the weight the table gives it and how long
// its last check took. Sorry servers are not real servers: not listed.
func (c *Checker) RealServers() []metrics.RealServer {
	c.syncMu.Lock()
	eng := c.eng
	drains := c.drainSnapshot()
	c.syncMu.Unlock()
	var out []metrics.RealServer
	if eng == nil { // not started
		return nil
	}
	listed := map[drainKey]bool{}
	for _, r := range eng.Status() {
		if r.Sorry {
			continue
		}
		rs := metrics.RealServer{VS: r.Service.String(), RS: r.Dest.Key().String(),
			Up: r.Alive, Weight: int(r.Dest.Weight), Latency: r.Latency.Seconds()}
		k := drainKey{r.Service, r.Dest.Key()}
		listed[k] = true
		setDrain(&rs, drains[k])
		out = append(out, rs)
	}
	var orphans []metrics.RealServer // no longer configured
	for k, st := range drains {
		if !listed[k] {
			rs := metrics.RealServer{VS: k.svc.String(), RS: k.dest.String()}
			setDrain(&rs, st)
			orphans = append(orphans, rs)
		}
	}
	sort.Slice(orphans, func(i, j int) bool {
		return orphans[i].VS+" "+orphans[i].RS < orphans[j].VS+" "+orphans[j].RS
	})
	return append(out, orphans...)
}

// The daemon holds the checker as its daemon.Checker.
var _ daemon.Checker = (*Checker)(nil)

// WriteData writes keepalived_check.data (SIGUSR1): the LVS topology
// lines of keepalived's dump_vs/dump_rs that carry the checkers' state.
func (c *Checker) WriteData(w io.Writer) {
	c.syncMu.Lock()
	eng := c.eng
	c.syncMu.Unlock()
	fmt.Fprintln(w, "------< LVS Topology >------")
	if eng == nil {
		return
	}
	last := ""
	for _, r := range eng.Status() {
		if vs := r.VSName + "/" + r.Service.String(); vs != last {
			last = vs
			fmt.Fprintln(w, " ------< Virtual server >------")
			fmt.Fprintf(w, " VS = %s\n", r.VSName)
			fmt.Fprintf(w, "   Service = %s\n", r.Service)
		}
		if r.Sorry {
			fmt.Fprintf(w, "   sorry server = %s%s\n", r.RSName, onOffStr(r.Inhibit, " inhibit", ""))
			fmt.Fprintf(w, "   sorry server in use = %s\n", onOffStr(r.Alive, "yes", "no"))
			continue
		}
		fmt.Fprintln(w, "   ------< Real server >------")
		fmt.Fprintf(w, "   RIP = %s, RPORT = %d, WEIGHT = %d EFF WEIGHT = %d\n", r.Dest.Addr, r.Dest.Port, r.Dest.Weight, r.Effective)
		fmt.Fprintf(w, "   Inhibit on failure is %s\n", onOffStr(r.Inhibit, "ON", "OFF"))
		fmt.Fprintf(w, "   initial weight = %d\n", r.ConfWeight)
		fmt.Fprintf(w, "   effective weight = %d\n", r.Effective)
		fmt.Fprintf(w, "   alive = %d\n", b2int(r.Alive))
		fmt.Fprintf(w, "   num failed checkers = %d\n", r.FailedCheckers)
		fmt.Fprintf(w, "   RS set = %d\n", b2int(r.InTable))
	}
}

func onOffStr(v bool, on, off string) string {
	if v {
		return on
	}
	return off
}

func b2int(v bool) int {
	if v {
		return 1
	}
	return 0
}

// Quorums reports every virtual server's quorum (nil before the start).
func (c *Checker) Quorums() []checkengine.QuorumState {
	c.syncMu.Lock()
	eng := c.eng
	c.syncMu.Unlock()
	if eng == nil {
		return nil
	}
	return eng.Quorums()
}
