// Package check is the health-checker half of the daemon: it runs every
// checker of every real server, keeps keepalived's real-server and
// virtual-server state (check/state), and publishes the desired IPVS
// table for ipvs/reconcile together with keepalived's log lines.
//
// Sub-packages: state (pure logic), sched (timer heap and worker pool),
// probe (the checkers), genhash (the genhash tool).
package check

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gokeepalived/gokeepalived/check/probe"
	"github.com/gokeepalived/gokeepalived/check/sched"
	"github.com/gokeepalived/gokeepalived/check/state"
	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/notifyfifo"
	"github.com/gokeepalived/gokeepalived/internal/script"
	"github.com/gokeepalived/gokeepalived/internal/smtpalert"
	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/reconcile"
)

// Options configure an Engine. Every field is optional.
type Options struct {
	Clock sched.Clock
	// Workers bounds concurrent checks (default 512).
	Workers int
	// RecordLateness keeps recent check start lateness for Lateness.
	RecordLateness bool
	// Rand returns the random share of warmup in [0,1).
	Rand func() float64
	// Logf receives keepalived's log lines.
	Logf func(format string, a ...any)
	// OnChange is called, from one goroutine, after the desired table
	// changed; changes arriving while it runs are batched into the next
	// call. It should reconcile Table() into the kernel.
	OnChange func()
	// RunScripts enables notify_up/notify_down/quorum_up/quorum_down,
	// run as the script's user, else ScriptUser/ScriptGroup
	// (global_defs script_user).
	RunScripts              bool
	ScriptUser, ScriptGroup string
	// Debugf, if set, receives every failed attempt with its error.
	Debugf func(format string, a ...any)
	// TCPReset makes TCP_CHECK close with RST instead of FIN (no
	// TIME_WAIT; for very large configurations).
	TCPReset bool
	// NotifyFIFO, if set, receives keepalived's notify FIFO lines
	// ("RS [rs] [vs] UP", "VS [vs] DOWN"; see vrrp/notifyfifo).
	NotifyFIFO func(line string)
	// Alerts sends the e-mail alerts of real servers' checkers and of
	// virtual servers' quorum (nil: none).
	Alerts *smtpalert.Sender
	// LocalAddrCount says how many times an address is on this host at
	// build time, for ha_suspend (nil: none is).
	LocalAddrCount func(netip.Addr) int
	// OnQuorum, if set, is told that a virtual server gained or lost its
	// quorum (Quorums has the states), under the engine's lock: it must
	// not block (the BGP speaker's feed).
	OnQuorum func()
	// NewProbe overrides probe construction (tests).
	NewProbe func(c *conf.Checker, rs *conf.RealServer, vs *conf.VirtualServer) (probe.Checker, error)
}

type vsEntry struct {
	key  string // identity across reloads: FMT_VS and family
	cfg  *conf.VirtualServer
	svcs []ipvs.Service
	st   *state.VS
	// dirty: in Engine.changed, its table not yet taken by Changed
	dirty bool
	// rsJobs are the checkers of each real server, by index in st.RS
	rsJobs [][]*job
	// addrCount: how many times its ha_suspend address is on the host
	addrCount int
}

type job struct {
	e     *Engine
	vs    *vsEntry
	rs    int
	id    int
	typ   conf.CheckerType
	name  string // FMT_CHK
	st    *state.Checker
	probe probe.Checker
	iw    int64 // configured weight (misc_dynamic is absolute)
	// script is MISC_CHECK's argv[0], vsName FMT_VS, for its log lines
	script, vsName string
	// logAll: log_all_failures or global checker_log_all_failures
	logAll bool
	// cfg is the checker's configuration, compared across reloads
	cfg *conf.Checker
	// async is probe when its attempts need no goroutine; next requeues
	// the job, onResult is j.complete bound once
	async    probe.Async
	next     func(time.Duration)
	onResult func(probe.Result)
	// began is when the running check started (unix ns), latency how
	// long the last one took, for metrics (status.go)
	began   atomic.Int64
	latency atomic.Int64
	// due is when the next check is (unix ns); carried, the old job's
	// due, so that a reload does not push an unchanged checker back
	due, carried atomic.Int64
	// enabled is false while ha_suspend suspends the checker
	enabled atomic.Bool
}

// Engine runs the checkers of one configuration.
type Engine struct {
	opt Options
	// scripts starts notify_up/down and quorum_up/down
	scripts *script.Runner
	mu      sync.Mutex
	vss     []*vsEntry
	jobs    []*job
	bfdJobs []*job             // BFD_CHECK: driven by BFDChanged, not scheduled
	sch     *sched.Scheduler   // synchronous checks, on a worker pool
	async   []*sched.Scheduler // asynchronous ones (TCP_CHECK), set by Run
	dirty   chan struct{}
	runs    atomic.Uint64
	// ended: Run returned; results still in flight are dropped (e.mu)
	ended bool
	// changed lists the virtual servers with events since Changed
	changed []*vsEntry
	// noCheckerEmails: global no_checker_emails
	noCheckerEmails bool
	// flushOnStop: global lvs_flush_on_stop ("", "FULL", "VS")
	flushOnStop string
	// compat is the keepalived release whose checker wording and
	// behaviour we follow (--compat; conf resolves zero to the newest)
	compat conf.Version
}

// Lateness returns, with Options.RecordLateness, how late recent checks
// started after they were due (up to the last 65,536; early ones, within
// the timer slack, are negative) and forgets them.
func (e *Engine) Lateness() []time.Duration {
	out := e.sch.Lateness()
	e.mu.Lock()
	async := e.async
	e.mu.Unlock()
	for _, s := range async {
		out = append(out, s.Lateness()...)
	}
	return out
}

// Checks returns how many checks have completed.
func (e *Engine) Checks() uint64 { return e.runs.Load() }

// New builds the engine and its start-up state (keepalived's
// init_services): the table is valid before Run. A checker that cannot
// be built is logged and left out.
func New(cfg *conf.Config, opt Options) (*Engine, error) {
	e := build(cfg, opt)
	e.start()
	return e, nil
}

// Reload builds the engine for a new configuration carrying over the
// state of old, which must be stopped (keepalived's SIGHUP: unchanged
// real servers keep their state and are not re-added if failed;
// checkers with an unchanged configuration keep theirs).
func Reload(cfg *conf.Config, opt Options, old *Engine) *Engine {
	e := build(cfg, opt)
	old.mu.Lock()
	e.carry(old)
	old.mu.Unlock()
	e.start()
	return e
}

func (e *Engine) start() {
	e.logActivation()
	for _, ent := range e.vss {
		ent.st.Init()
		e.emit(ent)
	}
}

func build(cfg *conf.Config, opt Options) *Engine {
	if opt.Clock == nil {
		opt.Clock = sched.Real{}
	}
	if opt.Workers == 0 {
		opt.Workers = 512
	}
	if opt.Rand == nil {
		opt.Rand = rand.Float64
	}
	if opt.Logf == nil {
		opt.Logf = func(string, ...any) {}
	}
	if opt.NewProbe == nil {
		opt.NewProbe = func(c *conf.Checker, rs *conf.RealServer, vs *conf.VirtualServer) (probe.Checker, error) {
			p, err := probe.New(c, rs, vs, cfg.SSL, cfg.TrackFiles, cfg.Global.ScriptUser, cfg.Global.ScriptGroup)
			switch p := p.(type) {
			case *probe.TCP:
				p.Reset = opt.TCPReset
			case *probe.Misc:
				p.Log = func(m string) { opt.Logf("%s", m) }
			case *probe.Ping:
				p.Seq23, p.Log = cfg.Compat.AtLeast(2, 3, 0), func(m string) { opt.Logf("%s", m) }
			}
			return p, err
		}
	}
	e := &Engine{opt: opt, sch: sched.New(opt.Clock, opt.Workers), dirty: make(chan struct{}, 1), noCheckerEmails: cfg.Global.NoCheckerEmails,
		flushOnStop: strings.ToUpper(cfg.Global.LVSFlushOnStop), compat: cfg.Compat,
		scripts: &script.Runner{User: opt.ScriptUser, Group: opt.ScriptGroup, Log: func(m string) { opt.Logf("%s", m) }}}
	for _, vs := range cfg.VirtualServers {
		ent := &vsEntry{key: fmtVS(vs) + "/" + string(vs.Family), cfg: vs, svcs: services(vs)}
		vc := state.VSConfig{Name: fmtVS(vs), Quorum: vs.Quorum, Hysteresis: vs.Hysteresis, InitNotifies: cfg.Global.RSInitNotifies}
		if s := vs.SorryServer; s != nil {
			// conf has resolved the port and forwarding already
			d := destination(s.Addr, s.Port, s.Forwarding, 1)
			vc.Sorry, vc.SorryName, vc.SorryInhibit = &d, fmtTrio(s.Addr, vs.Protocol, s.Port), s.Inhibit
		}
		var rss []state.RSConfig
		for _, rs := range vs.RealServers {
			fwd := rs.Forwarding
			if fwd.Method == "" {
				fwd = vs.Forwarding
			}
			d := destination(rs.Addr, rs.Port, fwd, rs.Weight)
			d.UpperThreshold, d.LowerThreshold = rs.UThreshold, rs.LThreshold
			rss = append(rss, state.RSConfig{Dest: d, Inhibit: rs.InhibitOnFailure, Name: fmtTrio(rs.Addr, vs.Protocol, rs.Port)})
		}
		ent.st = state.NewVS(vc, rss)
		suspended := false
		if vs.HASuspend {
			if a, ok := suspendAddr(vs); ok && opt.LocalAddrCount != nil {
				ent.addrCount = opt.LocalAddrCount(a)
			}
			suspended = ent.addrCount == 0
		}
		ent.rsJobs = make([][]*job, len(rss))
		for i, rs := range vs.RealServers {
			for _, c := range rs.Checkers {
				switch {
				case c.Type == conf.CheckBFD:
					e.addBFDJob(ent, i, rs, c, vc.Name)
					continue
				case c.HTTP != nil && len(c.HTTP.URLs) == 0:
					continue // keepalived drops a url-less checker too
				case c.Misc != nil && (c.Misc.Script == nil || c.Misc.Script.Disabled):
					continue // "Disabling misc script ..." (conf reported it)
				}
				p, err := opt.NewProbe(c, rs, vs)
				if err != nil {
					// e.g. a PCRE-only regex RE2 cannot compile: the
					// checker cannot run, say so rather than stop
					opt.Logf("%s checker for service %s of VS %s ignored: %v", c.Type, ent.st.RS[i].Cfg.Name, vc.Name, err)
					continue
				}
				j := &job{e: e, vs: ent, rs: i, typ: c.Type, name: ent.st.RS[i].Cfg.Name, probe: p, iw: int64(rs.Weight), vsName: vc.Name,
					logAll: c.LogAllFailures || cfg.Global.CheckerLogAllFailures}
				if c.Misc != nil && c.Misc.Script != nil && len(c.Misc.Script.Argv) > 0 {
					j.script = c.Misc.Script.Argv[0]
				}
				j.cfg = c
				t := state.Timing{Retry: c.Retry, DelayLoop: c.DelayLoop, DelayBeforeRetry: c.DelayBeforeRetry,
					Warmup: c.Warmup, Alpha: c.Alpha}
				if c.HTTP != nil {
					t.URLs, t.FastRecovery = len(c.HTTP.URLs), c.HTTP.FastRecovery
				}
				t.RetryEachCheck = c.Type == conf.CheckSMTP
				// UDP_CHECK and PING_CHECK retry only while up or before
				// their first result (udp_epilog, icmp_epilog), TCP_CHECK
				// too from keepalived 2.3.3 (tcp_epilog)
				t.NoRetryWhileDown = c.Type == conf.CheckDNS || c.Type == conf.CheckMisc ||
					c.Type == conf.CheckUDP || c.Type == conf.CheckPing ||
					c.Type == conf.CheckTCP && cfg.Compat.AtLeast(2, 3, 3)
				up := !c.Alpha
				var fileRes *probe.Result
				if c.Type == conf.CheckFile {
					// event driven in keepalived; polled here every second,
					// and its state at start-up decides whether the RS starts up
					t = state.Timing{DelayLoop: time.Second, DelayBeforeRetry: time.Second}
					r := p.Check(context.Background(), 0)
					fileRes, up = &r, r.OK
				}
				j.enabled.Store(!suspended || !suspendable(c.Type))
				j.st = state.NewChecker(t)
				j.st.Up = up
				j.id = ent.st.AddChecker(i, up)
				if fileRes != nil && fileRes.Weight != nil {
					ent.st.SetCheckerWeight(i, j.id, *fileRes.Weight)
				}
				e.jobs = append(e.jobs, j)
				ent.rsJobs[i] = append(ent.rsJobs[i], j)
			}
		}
		ent.st.Events() // weights set before start-up are not transitions
		e.vss = append(e.vss, ent)
	}
	return e
}

// Table returns the desired IPVS table.
func (e *Engine) Table() []reconcile.VirtualService {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []reconcile.VirtualService
	for _, ent := range e.vss {
		if ent.st.Stopped() {
			continue
		}
		ds := ent.st.Dests()
		for _, s := range ent.svcs {
			out = append(out, reconcile.VirtualService{Service: s, Dests: serviceDests(s, ent.cfg.Group != "", ds)})
		}
	}
	return out
}

// Changed returns the desired services of the virtual servers whose
// state changed since the last call, and every service key those
// virtual servers own (a stopped one owns keys but has no entry: its
// services are to be removed). Diffing just these against what was
// applied keeps a lone change cheap however large the table.
func (e *Engine) Changed() ([]reconcile.VirtualService, map[ipvs.ServiceKey]bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []reconcile.VirtualService
	keys := map[ipvs.ServiceKey]bool{}
	for _, ent := range e.changed {
		ent.dirty = false
		for _, s := range ent.svcs {
			keys[s.ServiceKey] = true
		}
		if ent.st.Stopped() {
			continue
		}
		ds := ent.st.Dests()
		for _, s := range ent.svcs {
			out = append(out, reconcile.VirtualService{Service: s, Dests: serviceDests(s, ent.cfg.Group != "", ds)})
		}
	}
	clear(e.changed)
	e.changed = e.changed[:0]
	return out, keys
}

// serviceDests fits a virtual server's destinations to one of its IPVS
// services as ipvswrapper.c ipvs_group_cmd does: in a group, a DR/TUN
// destination takes the member's port (0 for a fwmark). A destination
// already present is dropped: keepalived's second ADD_DEST fails with
// EEXIST and the rest of the table is still programmed (two real servers
// become one when their DR ports are reset to the service's).
func serviceDests(s ipvs.Service, group bool, ds []ipvs.Destination) []ipvs.Destination {
	out := make([]ipvs.Destination, 0, len(ds))
	seen := make(map[ipvs.DestKey]bool, len(ds))
	for _, d := range ds {
		if group && d.Fwd != ipvs.Masq {
			d.Port = s.Port
		}
		if seen[d.Key()] {
			continue
		}
		seen[d.Key()] = true
		out = append(out, d)
	}
	return out
}

// Run starts the checks (each first after 1 s plus a random share of
// its warmup, so start-up is staggered) and returns when ctx ends.
func (e *Engine) Run(ctx context.Context) {
	// Asynchronous checks start on the dispatching goroutine, whose
	// connect() also runs the kernel's side of a loopback handshake: one
	// dispatcher per CPU spreads that work.
	async := make([]*sched.Scheduler, runtime.GOMAXPROCS(0))
	for i := range async {
		async[i] = sched.New(e.opt.Clock, 1)
	}
	e.mu.Lock()
	e.async = async
	e.mu.Unlock()
	_, real := e.opt.Clock.(sched.Real)
	for _, s := range append(e.async, e.sch) {
		s.RecordLateness = e.opt.RecordLateness
		if real {
			s.Slack = time.Millisecond
		}
	}
	n := 0
	for _, j := range e.jobs {
		first := j.st.T.FirstDelay(e.opt.Rand())
		if c := j.carried.Load(); c != 0 {
			// an unchanged checker goes on at its own pace across a
			// reload (keepalived restarts them all a second or more
			// later: reloads every second would stop health checking)
			// (a shorter delay_loop applies at once).
			first = min(max(0, time.Unix(0, c).Sub(e.opt.Clock.Now())), j.st.T.DelayLoop)
		}
		j.at(first)
		if a, ok := j.probe.(probe.Async); ok {
			j.async, j.onResult = a, j.complete
			e.async[n%len(e.async)].AddStart(first, j.start)
			n++
			continue
		}
		e.sch.Add(first, j.run)
	}
	var wg sync.WaitGroup
	for _, s := range e.async {
		wg.Add(1)
		go func() { defer wg.Done(); s.Run(ctx) }()
	}
	if e.opt.OnChange != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case <-e.dirty:
					e.opt.OnChange()
				}
			}
		}()
	}
	e.sch.Run(ctx)
	wg.Wait()
	e.mu.Lock()
	e.ended = true
	e.mu.Unlock()
}

func (e *Engine) markDirty() {
	select {
	case e.dirty <- struct{}{}:
	default:
	}
}

// emit logs pending events and runs their notify scripts. Called with
// e.mu held or before Run.
func (e *Engine) emit(ent *vsEntry) {
	evs := ent.st.Events()
	for _, ev := range evs {
		if ev.Msg != "" {
			e.opt.Logf("%s", ev.Msg)
		}
		if ev.Quorum != nil && ent.cfg.SMTPAlert && !ent.st.Stopped() {
			e.mailQuorum(ent, ev.Quorum, ev.Notify == state.NotifyQuorumUp)
		}
		if f := e.opt.NotifyFIFO; f != nil {
			switch ev.Notify {
			case state.NotifyRSUp, state.NotifyRSDown:
				f(notifyfifo.RS(ent.st.RS[ev.RS].Cfg.Name, ent.st.Cfg.Name, ev.Notify == state.NotifyRSUp))
			case state.NotifyQuorumUp, state.NotifyQuorumDown:
				f(notifyfifo.VS(ent.st.Cfg.Name, ev.Notify == state.NotifyQuorumUp))
			}
		}
		if f := e.opt.OnQuorum; f != nil && (ev.Notify == state.NotifyQuorumUp || ev.Notify == state.NotifyQuorumDown) {
			f()
		}
		if !e.opt.RunScripts {
			continue
		}
		var s *conf.Script
		switch ev.Notify {
		case state.NotifyRSUp:
			s = ent.cfg.RealServers[ev.RS].NotifyUp
		case state.NotifyRSDown:
			s = ent.cfg.RealServers[ev.RS].NotifyDown
		case state.NotifyQuorumUp:
			s = ent.cfg.QuorumUp
		case state.NotifyQuorumDown:
			s = ent.cfg.QuorumDown
		}
		if s != nil && !s.Disabled && len(s.Argv) > 0 {
			// notify_exec: no timeout, nobody waits; the launcher logs
			// a script that cannot start
			e.scripts.Start(context.Background(), script.Cmd{Argv: s.Argv, User: s.User, Group: s.Group}, 0, nil)
		}
	}
	if len(evs) > 0 {
		if !ent.dirty {
			ent.dirty = true
			e.changed = append(e.changed, ent)
		}
		e.markDirty()
	}
}

// logActivation is register_checkers_thread's line per checker, after a
// reload's carry: from keepalived 2.3.0 only for a checker that is
// suspended or has not run yet (a new one), before that for every one.
func (e *Engine) logActivation() {
	for _, j := range e.jobs {
		switch {
		case !j.enabled.Load():
			e.opt.Logf("Deactivating healthchecker for service %s for VS %s", j.name, j.vsName)
		case !j.st.HasRun || !e.compat.AtLeast(2, 3, 0):
			e.opt.Logf("Activating healthchecker for service %s for VS %s", j.name, j.vsName)
		}
	}
}

// failName is the checker's name in "… on service X failed."; SSL_GET
// says SSL_CHECK from keepalived 2.2.8.
func (j *job) failName() string {
	if j.typ == conf.CheckSSL && j.e.compat.AtLeast(2, 2, 8) {
		return "SSL_CHECK"
	}
	return failName[j.typ]
}

var failName = map[conf.CheckerType]string{
	conf.CheckTCP: "TCP_CHECK", conf.CheckHTTP: "HTTP_CHECK", conf.CheckSSL: "HTTP_CHECK",
	conf.CheckSMTP: "SMTP_CHECK", conf.CheckUDP: "UDP_CHECK", conf.CheckDNS: "DNS_CHECK",
	conf.CheckPing: "ICMP CHECK", conf.CheckMisc: "MISC_CHECK", conf.CheckFile: "FILE_CHECK",
}

func (j *job) successMsg() string {
	switch j.typ {
	case conf.CheckTCP:
		return "TCP connection to " + j.name + " success."
	case conf.CheckHTTP, conf.CheckSSL:
		return "Remote Web server " + j.name + " succeed on service."
	case conf.CheckSMTP:
		return "Remote SMTP server " + j.name + " succeed on service."
	case conf.CheckUDP:
		return "UDP connection to " + j.name + " success."
	case conf.CheckPing:
		return "ICMP connection to " + j.name + " success."
	case conf.CheckDNS:
		return "" // dns_final logs nothing on success
	}
	return j.failName() + " on service " + j.name + " succeeded."
}

// run is one check: probe, then the state machine, then the pool.
func (j *job) run(ctx context.Context) time.Duration {
	if !j.enabled.Load() {
		return j.at(j.st.T.DelayLoop) // ha_suspend: look again a delay_loop later
	}
	j.began.Store(time.Now().UnixNano())
	res := safeCheck(ctx, j.probe, j.st.Step(), j.name)
	if ctx.Err() != nil {
		return -1
	}
	return j.at(j.apply(res))
}

// at notes that the next check is d from now, and returns d.
func (j *job) at(d time.Duration) time.Duration {
	if d >= 0 {
		j.due.Store(j.e.opt.Clock.Now().Add(d).UnixNano())
	}
	return d
}

// safeCheck runs one probe; a panic in it (a bug of ours, met on some
// server's reply) is no verdict for that check, logged, instead of the end
// of the daemon: the server keeps its state and is checked again.
func safeCheck(ctx context.Context, p probe.Checker, step int, name string) (res probe.Result) {
	defer func() {
		if v := recover(); v != nil {
			res = probe.Result{NoVerdict: true, Reason: fmt.Sprintf("internal error checking %s (%v) - rescheduling", name, v)}
		}
	}()
	return p.Check(ctx, step)
}

// start begins an asynchronous check; complete takes its result.
func (j *job) start(_ context.Context, next func(time.Duration)) {
	if !j.enabled.Load() {
		next(j.at(j.st.T.DelayLoop))
		return
	}
	j.next = next
	j.began.Store(time.Now().UnixNano())
	j.async.Start(j.st.Step(), j.onResult)
}

func (j *job) complete(res probe.Result) { j.next(j.at(j.apply(res))) }

// apply feeds one result to the state machine and returns the delay to
// the next check (negative once the engine stopped).
func (j *job) apply(res probe.Result) time.Duration {
	e := j.e
	e.runs.Add(1)
	if b := j.began.Load(); b != 0 {
		j.latency.Store(time.Now().UnixNano() - b)
	}
	if !res.OK && e.opt.Debugf != nil {
		e.opt.Debugf("%s %s: %v", j.typ, j.name, res)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ended {
		return -1
	}
	if res.NoVerdict {
		lines := strings.Split(res.Reason, "\n")
		if j.typ == conf.CheckDNS { // dns_log_message's prefix
			lines[len(lines)-1] = "DNS_CHECK (" + j.name + ") " + lines[len(lines)-1]
		}
		for _, l := range lines {
			e.opt.Logf("%s", l)
		}
		return j.st.T.DelayLoop
	}
	wasUp, hadRun, retryIt, final := j.st.Up, j.st.HasRun, j.st.RetryIt, j.st.Final()
	if !res.OK {
		j.logFailure(res, wasUp, hadRun, j.st.Final())
	} else if !wasUp && j.cfg != nil && j.cfg.HTTP != nil {
		j.logURLSuccess(j.st.Step())
	}
	next, v, retries := j.st.Result(res.OK)
	switch {
	case j.typ == conf.CheckMisc:
		j.logMisc(res, v, wasUp, hadRun, retryIt)
	case v == state.WentUp || v == state.FirstUp:
		if m := j.successMsg(); m != "" {
			e.opt.Logf("%s", m)
		}
	case j.typ == conf.CheckSMTP || j.typ == conf.CheckDNS:
		// their last failure's line, from logFailure, is all they log
	case !res.OK && !j.st.Up && (wasUp || !hadRun):
		if retries > 0 && j.typ == conf.CheckPing {
			e.opt.Logf("ICMP CHECK on service %s of %s failed after %d retries.", j.name, j.vsName, retries)
		} else if retries > 0 {
			e.opt.Logf("%s on service %s failed after %d retries.", j.failName(), j.name, retries)
		} else {
			e.opt.Logf("%s on service %s failed.", j.failName(), j.name)
		}
	}
	if res.Weight != nil {
		w := *res.Weight
		if res.Absolute {
			w -= j.iw
		}
		j.vs.st.SetCheckerWeight(j.rs, j.id, w)
	} else if !j.st.Up && j.vs.st.CheckerWeight(j.rs, j.id) != 0 {
		j.vs.st.SetCheckerWeight(j.rs, j.id, 0)
	}
	wasAlive := j.vs.st.RS[j.rs].Alive
	if v == state.WentUp || v == state.WentDown {
		j.vs.st.SetChecker(j.rs, j.id, j.st.Up)
	}
	e.emit(j.vs) // the quorum's alert goes before the checker's
	j.mail(res, wasUp, hadRun, final, wasAlive)
	return next
}

// Shutdown logs keepalived's shut-down lines and, for omega virtual
// servers, runs notify_down and quorum_down. Table is empty afterwards:
// reconcile it (with the old keys as PrevOwned) unless -I. Under
// lvs_flush_on_stop (FULL or VS) the real servers are neither logged
// nor notified: keepalived removes their services whole.
func (e *Engine) Shutdown() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ent := range e.vss {
		if e.flushOnStop == "" {
			ent.st.Shutdown(ent.cfg.Omega)
		} else {
			ent.st.ShutdownFlushed(ent.cfg.Omega)
		}
		e.emit(ent)
	}
}

// logURLSuccess is http_handle_response's line for each url that passes
// while the checker is down, named after the last test it passed.
func (j *job) logURLSuccess(step int) {
	if step >= len(j.cfg.HTTP.URLs) {
		return
	}
	u := j.cfg.HTTP.URLs[step]
	msg := "HTTP status code"
	switch {
	case u.Regex != "":
		msg = "Regex match"
	case u.Digest != "":
		msg = "MD5 digest"
	}
	j.e.opt.Logf("%s success to %s url(%s)", msg, j.name, u.Path)
}

// logFailure writes the line keepalived 2.2.7 logs for each failed
// attempt under log_all_failures (check_tcp.c, check_http.c
// timeout_epilog, check_udp.c, check_ping.c): while the checker is up,
// and for HTTP also before its first result. SMTP_CHECK and DNS_CHECK
// (smtp_final, dns_final) log the attempt that takes the checker down
// (final) even without log_all_failures, and nothing else.
func (j *job) logFailure(res probe.Result, wasUp, hadRun, final bool) {
	logf := j.e.opt.Logf
	switch j.typ {
	case conf.CheckSMTP:
		if (wasUp || !hadRun) && (j.logAll || final) {
			logf("SMTP_CHECK %s", res.Reason)
		}
		return
	case conf.CheckDNS:
		if (wasUp || !hadRun) && (j.logAll || final) {
			if hadRun && final {
				logf("DNS_CHECK (%s) %s after %d retries", j.name, res.Reason, j.st.T.Retry)
			} else {
				logf("DNS_CHECK (%s) %s", j.name, res.Reason)
			}
		}
		return
	}
	if !j.logAll {
		return
	}
	switch j.typ {
	case conf.CheckTCP:
		if !wasUp {
			return
		}
		if isTimeout(res.Err) {
			logf("TCP connection to %s timeout.", j.name)
		} else {
			logf("TCP connection to %s failed.", j.name)
		}
	case conf.CheckHTTP, conf.CheckSSL:
		if wasUp || !hadRun {
			reason := res.Reason
			if reason == probe.NetUnreachable && !j.e.compat.AtLeast(2, 2, 8) {
				reason = "HTTP_CHECK - network unreachable"
			}
			logf("%s server %s.", reason, j.name)
		}
	case conf.CheckUDP:
		if !wasUp {
			return
		}
		if res.Reason == "UDP check reply data mismatch." {
			logf("UDP check to %s reply data mismatch.", j.name)
		} else {
			logf("UDP connection to %s failed.", j.name)
		}
	case conf.CheckPing:
		if !wasUp {
			return
		}
		if isTimeout(res.Err) {
			logf("ICMP connection to address %s timeout.", j.name)
		} else {
			logf("ICMP connection to %s of %s failed.", j.name, j.vsName)
		}
	}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &t) && t.Timeout()
}

// logMisc writes misc_check_child_thread's lines: success and the
// failure that takes the checker down, and with log_all_failures each
// failure that leaves retries pending (retryIt: retries done before it).
func (j *job) logMisc(res probe.Result, v state.Verdict, wasUp, hadRun bool, retryIt uint32) {
	head := fmt.Sprintf("Misc check for [%s VS %s] by [%s]", j.name, j.vsName, j.script)
	if res.OK {
		if v == state.WentUp || v == state.FirstUp {
			j.e.opt.Logf("%s succeeded.", head)
		}
		return
	}
	if !wasUp && hadRun {
		return
	}
	retry := j.st.T.Retry
	tries := "retries"
	if retry == 1 {
		tries = "retry"
	}
	var msg string
	switch {
	case retryIt < retry && !j.logAll:
		return
	case retryIt < retry && retryIt == 0:
		msg = fmt.Sprintf(", will do %d %s", retry, tries)
	case retryIt < retry:
		msg = fmt.Sprintf(" on retry %d/%d", retryIt, retry)
	case retry == 0:
		msg = " with retry disabled"
	default:
		msg = fmt.Sprintf(" after %d %s", retry, tries)
	}
	if res.Err != nil {
		j.e.opt.Logf("%s %s%s (%v).", head, res.Reason, msg, res.Err)
	} else {
		j.e.opt.Logf("%s %s%s.", head, res.Reason, msg)
	}
}

// QuorumState is a virtual server's quorum.
type QuorumState struct {
	VS *conf.VirtualServer
	Up bool
}

// Quorums reports every virtual server's quorum now.
func (e *Engine) Quorums() []QuorumState {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]QuorumState, 0, len(e.vss))
	for _, ent := range e.vss {
		out = append(out, QuorumState{VS: ent.cfg, Up: ent.st.QuorumUp && !ent.st.Stopped()})
	}
	return out
}
