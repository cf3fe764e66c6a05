package vrrpd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/lograte"
	"github.com/gokeepalived/gokeepalived/internal/notifyfifo"
	"github.com/gokeepalived/gokeepalived/internal/smtpalert"
	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/internal/hrtimer"
	"github.com/gokeepalived/gokeepalived/vrrp/nft"
	"github.com/gokeepalived/gokeepalived/vrrp/packet"
	"github.com/gokeepalived/gokeepalived/vrrp/validate"
)

// Deps are the runtime's kernel boundary (vrrp/netio has the real ones).
type Deps struct {
	Net       vrrp.Net
	Addrs     vrrp.Addrs
	Announcer vrrp.Announcer
	Links     vrrp.Links   // nil: interface state is not tracked
	Scripts   vrrp.Scripts // nil: ExecScripts as the config's script_user
	Clock     vrrp.Clock   // nil: the system clock
	Log       *slog.Logger // nil: discard
	// OnState, if set, is told every state an instance enters, from the
	// loop (keep it short): the IPVS sync daemon follows one instance.
	OnState func(instance string, s vrrp.State)
	// KeepVIPs is -V (--dont-release-vrrp): at shutdown a MASTER still
	// sends priority 0 but leaves its VIPs on the interface.
	KeepVIPs bool
	// ReleaseVIPs is -X (--release-vips); see releaseUnset.
	ReleaseVIPs bool
	// VMACs makes use_vmac interfaces (nil: use_vmac is an error).
	VMACs vrrp.VMACs
	// Routes sets routes and rules (nil: they are skipped with a warning).
	Routes vrrp.Routes
	// Processes lists processes for track_process (nil: /proc);
	// ProcessPoll is how often (0: DefaultProcessPoll).
	Processes   vrrp.Processes
	ProcessPoll time.Duration
	// Firewall opens keepalived's nftables table (vrrp/nft.Open; nil:
	// no_accept and VMAC rules are not set).
	Firewall func(nft.Config) (nft.Firewall, error)
	// Alerts sends the e-mail alerts (nil: the runtime makes its own
	// from global_defs, reconfigures it on reload and closes it when Run
	// ends; one given here is the caller's to configure and close).
	Alerts *smtpalert.Sender
}

// Runtime drives the configured instances: one reader goroutine per
// socket feeds a single loop that owns every Instance, so Step is never
// called concurrently.
type Runtime struct {
	deps    Deps
	log     *slog.Logger
	dropLog *lograte.Limiter // debug lines of dropped adverts
	// notifying counts the notify scripts running (a stop waits for them)
	notifying atomic.Int64
	insts     []*rtInst
	byInst    map[*vrrp.Instance]*rtInst
	socks     []*rtSock

	garpInterval, gnaInterval time.Duration
	// fifoOnReload is fifo_write_vrrp_states_on_reload.
	fifoOnReload bool

	rx      chan rxItem
	reload  chan reloadReq
	rctx    context.Context // readers and checks started by Run and Reload
	readers sync.WaitGroup
	links   chan vrrp.LinkEvent
	checks  []*scriptCheck
	results chan scriptResult
	mu      sync.Mutex // held while the loop steps; States reads under it
	stopReq chan struct{}
	quit    chan struct{} // closed when Run ends, for paced GARP senders
	stopped chan struct{}
	once    sync.Once

	statics           statics
	staticAddrNoTrack []bool
	procTrackers      []*procTracker // owned by the watcher goroutine
	procUp            map[string]bool
	procCancel        context.CancelFunc
	procResults       chan procResult
	started           bool
	wg                sync.WaitGroup
	fw                nft.Firewall // nil: no nftables table in use
	extras                         // sync groups, track files, notify FIFO (runtime_sync.go)
	timers            timerQ
	down              bool // shut down: timers no longer step instances
	mail              mailer
}

type rtSock struct {
	spec   vrrp.SocketSpec
	sock   vrrp.Socket
	demux  *vrrp.Demux
	cancel context.CancelFunc // ends its reader
}

type reloadReq struct {
	cfg  *conf.Config
	done chan error
}

type rtInst struct {
	inst     *vrrp.Instance
	sock     *rtSock
	key      vrrp.Key
	iface    string
	trackIf  bool // not dont_track_primary: the interface going down means FAULT
	vips     []vrrp.VIP
	notify   notifiers
	dsts     []netip.Addr
	ttl      int
	ipID     uint16 // last IPv4 ID sent (keepalived's per-instance ip_id)
	deadline time.Time
	vmac     *vrrp.VMAC // use_vmac interface, nil without
	// lastTransition is when the instance last entered a state, for dumps.
	lastTransition time.Time
	vroutes        []conf.Route
	vrules         []conf.Rule
	hidx           int    // 1 + index in timers.advs; 0 when not armed
	hseq           uint64 // when the deadline was set, for ties
	fw             fwState
	lastMail       vrrp.State // last_email_state: the state last mailed about
	// garpExtraAll is garp_extra_if's "all"; xmitBase vmac_xmit_base.
	garpExtraAll, xmitBase bool
}

type garpDue struct {
	at     time.Time
	repeat int
}

type rxItem struct {
	s  *rtSock
	rx *packet.Received
}

// NewRuntime builds a runtime for cfg's vrrp_instances and opens their sockets.
func NewRuntime(cfg *conf.Config, deps Deps) (*Runtime, error) {
	if deps.Clock == nil {
		deps.Clock = SystemClock{}
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	g := &cfg.Global
	if deps.Scripts == nil {
		deps.Scripts = NewExecScripts(g.ScriptUser, g.ScriptGroup, deps.Log)
	}
	r := &Runtime{deps: deps, log: deps.Log, byInst: map[*vrrp.Instance]*rtInst{},
		garpInterval: g.VRRPGARPInterval, gnaInterval: g.VRRPGNAInterval, fifoOnReload: g.FIFOWriteVRRPStatesOnReload,
		rx: make(chan rxItem, 64), reload: make(chan reloadReq), links: make(chan vrrp.LinkEvent, 16), results: make(chan scriptResult, 16), stopReq: make(chan struct{}), quit: make(chan struct{}), stopped: make(chan struct{}),
		procResults: make(chan procResult, 16)}
	r.mail = newMailer(g, deps.Alerts, deps.Log)
	r.statics, r.staticAddrNoTrack = staticsOf(cfg), noTrackOf(cfg)
	r.procTrackers = procTrackersOf(cfg)
	r.procUp = r.scanProcs(r.procTrackers)
	socks := map[vrrp.SocketSpec]*rtSock{}
	var vmacs []*vrrp.VMAC
	r.openFirewall(g, cfg.VRRPInstances)
	for _, v := range cfg.VRRPInstances {
		if v.Interface == "" {
			r.abort(vmacs)
			return nil, fmt.Errorf("(%s) an interface is required", v.Name)
		}
		info, err := deps.Net.Interface(v.Interface)
		if err != nil {
			r.abort(vmacs)
			return nil, fmt.Errorf("(%s) interface %s: %w", v.Name, v.Interface, err)
		}
		ic, err := vrrp.InstanceConfig(g, cfg.VRRPScripts, v, info)
		if err != nil {
			r.abort(vmacs)
			return nil, err
		}
		ic.Trackers = append(ic.Trackers, procTrackerRefs(v, r.procUp)...)
		sockIf := v.Interface
		var vm *vrrp.VMAC
		var fwv [2]int
		if v.UseVMAC {
			if vm, sockIf, err = r.setupVMAC(g, v, &ic); err != nil {
				r.abort(vmacs)
				return nil, err
			}
			vmacs = append(vmacs, vm)
			fwv = r.fwVMAC(v.Name, vm, v.Interface, ic.Family == packet.IPv6, g)
		}
		ic.Trackers = append(ic.Trackers, extraTrackers(cfg, v)...)
		inst, err := vrrp.New(ic, deps.Log)
		if err != nil {
			r.abort(vmacs)
			return nil, err
		}
		spec := specOf(g, v, &ic, sockIf)
		s := socks[spec]
		if s == nil {
			sk, err := deps.Net.Open(spec)
			if err != nil {
				r.abort(vmacs)
				return nil, err
			}
			s = &rtSock{spec: spec, sock: sk, demux: vrrp.NewDemux(sockIf, deps.Log)}
			s.demux.LogUnknownVRIDs = g.LogUnknownVRIDs
			socks[spec] = s
			r.socks = append(r.socks, s)
		}
		if err := s.demux.Add(inst); err != nil {
			r.abort(vmacs)
			return nil, err
		}
		ri := &rtInst{inst: inst, sock: s, key: vrrp.KeyOf(g, v), iface: v.Interface, trackIf: !v.DontTrackPrimary,
			garpExtraAll: v.GARPExtraIfAll, xmitBase: v.VMACXmitBase,
			vips: vrrp.VIPsOf(v), notify: notifiersOf(v), ttl: packet.TTL, vmac: vm, vroutes: v.VRoutes, vrules: v.VRules}
		if vm != nil {
			ri.vips = vrrp.VMACVIPs(ri.vips, v, &ic, vm.Name)
		}
		ri.fw = r.fwOf(v, ri.vips)
		ri.fw.v6, ri.fw.vmac = ic.Family == packet.IPv6, fwv
		if v.Unicast {
			for _, p := range v.UnicastPeers {
				ri.dsts = append(ri.dsts, p.Address)
			}
			if v.UnicastTTL >= 0 {
				ri.ttl = v.UnicastTTL
			}
		} else {
			ri.dsts = []netip.Addr{spec.Group}
		}
		r.insts = append(r.insts, ri)
		r.byInst[inst] = ri
	}
	r.checks = scriptChecks(cfg)
	if err := r.setupExtras(cfg); err != nil {
		r.closeSockets()
		return nil, err
	}
	return r, nil
}

// specOf is the socket an instance receives on. As keepalived's socket
// pool, AH instances have their own (IPv4 protocol 51): a raw socket sees
// only the packets of the protocol it was opened for.
func specOf(g *conf.GlobalDefs, v *conf.VRRPInstance, ic *vrrp.Config, iface string) vrrp.SocketSpec {
	s := vrrp.SocketSpec{Iface: iface, Family: ic.Family, Unicast: v.Unicast, Proto: packet.ProtoVRRP}
	if ic.Family == packet.IPv4 && ic.Version == 2 && ic.AuthType == packet.AuthAH {
		s.Proto = packet.ProtoAH
	}
	if !v.Unicast {
		s.Group = vrrp.GroupOf(g, v)
	}
	return s
}

func (r *Runtime) startReader(s *rtSock) {
	ctx, cancel := context.WithCancel(r.rctx)
	s.cancel = cancel
	r.readers.Add(1)
	go func() {
		defer r.readers.Done()
		r.read(ctx, s)
	}()
}

func (r *Runtime) startCheck(sc *scriptCheck) {
	ctx, cancel := context.WithCancel(r.rctx)
	sc.cancel = cancel
	r.readers.Add(1)
	go func() {
		defer r.readers.Done()
		r.runCheck(ctx, sc)
	}()
}

func (r *Runtime) closeSockets() {
	for _, s := range r.socks {
		s.sock.Close()
	}
}

// abort undoes a NewRuntime that failed: sockets, and VMACs created.
func (r *Runtime) abort(vmacs []*vrrp.VMAC) {
	r.closeSockets()
	defer r.closeFirewall()
	for _, m := range vmacs {
		if err := r.deps.VMACs.Delete(m.Name); err != nil {
			r.log.Warn("remove VMAC", "name", m.Name, "err", err)
		}
	}
}

// Run starts the instances and drives them until ctx ends or Stop is
// called; either way it shuts down gracefully (priority 0, VIPs removed).
func (r *Runtime) Run(ctx context.Context) error {
	r.mu.Lock()
	if r.started {
		r.mu.Unlock()
		return errors.New("vrrp: runtime already run")
	}
	r.started = true
	now := r.deps.Clock.Now()
	for _, ri := range r.insts {
		// As keepalived at startup: VIPs left behind by a killed run must
		// not linger on a node that is not (yet) master.
		for _, v := range ri.vips {
			if err := r.deps.Addrs.Del(v); err != nil {
				r.log.Warn("remove stale VIP", "instance", ri.inst.Name(), "err", err)
			}
		}
		r.delVRoutes(ri, ri.vroutes, ri.vrules)
	}
	r.addStatics(&r.statics)
	r.initGroups()
	for _, ri := range r.insts {
		up := true
		if info, err := r.deps.Net.Interface(ri.iface); err == nil && ri.trackIf {
			up = info.Up
		}
		r.exec(ri, now, ri.inst.Start(now, up))
		r.releaseUnset(ri)
	}
	r.mu.Unlock()

	rctx, cancel := context.WithCancel(context.Background())
	r.mu.Lock()
	r.rctx = rctx
	for _, s := range r.socks {
		r.startReader(s)
	}
	for _, sc := range r.checks {
		r.startCheck(sc)
	}
	r.startProcWatch()
	r.startFiles()
	r.mu.Unlock()
	readers := &r.readers
	deletions := make(chan vrrp.Deletion, 16)
	if dw, ok := r.deps.Links.(vrrp.DeletionWatcher); ok {
		readers.Add(1)
		go func() {
			defer readers.Done()
			if err := dw.WatchDeletions(rctx, deletions); err != nil && rctx.Err() == nil {
				r.log.Error("address/route monitor", "err", err)
			}
		}()
	}
	if r.deps.Links != nil {
		readers.Add(1)
		go func() {
			defer readers.Done()
			if err := r.deps.Links.Watch(rctx, r.links); err != nil && rctx.Err() == nil {
				r.log.Error("link monitor", "err", err)
			}
		}()
	}
	defer func() {
		cancel()
		close(r.quit)
		r.closeSockets()
		r.closeExtras()
		readers.Wait()
		r.wg.Wait()
		r.mail.close()
		close(r.stopped)
	}()

	timer := r.newTimer()
	defer timer.Stop()
	if c, ok := timer.(io.Closer); ok {
		defer c.Close()
	}
	for {
		r.mu.Lock()
		r.rearm(timer)
		r.mu.Unlock()
		select {
		case it := <-r.rx:
			r.mu.Lock()
			now := r.deps.Clock.Now()
			inst, acts, reason := r.dispatch(it.s, now, it.rx)
			if inst != nil {
				r.exec(r.byInst[inst], now, acts)
			}
			if reason == validate.TooShort || reason == validate.UnknownVRID {
				// the instance's checker logs the other reasons
				r.debugDrop(it.s.spec.Iface, reason, now)
			}
			r.mu.Unlock()
		case ev := <-r.links:
			r.mu.Lock()
			now := r.deps.Clock.Now()
			for _, ri := range r.insts {
				if ri.trackIf && ri.iface == ev.Name {
					r.log.Info(fmt.Sprintf("Netlink reports %s %s", ev.Name, map[bool]string{true: "up", false: "down"}[ev.Up]), "instance", ri.inst.Name())
					r.exec(ri, now, ri.inst.Step(now, vrrp.EventInterface{Up: ev.Up}))
				}
			}
			r.tracker(now, vrrp.InterfaceTracker(ev.Name), ev.Up)
			if ev.Up {
				r.vmacLinkUp(ev.Name)
				r.reinstateStatics(ev.Name)
			}
			r.mu.Unlock()
		case req := <-r.reload:
			r.mu.Lock()
			req.done <- r.applyReload(req.cfg)
			r.mu.Unlock()
		case res := <-r.results:
			r.mu.Lock()
			if !slices.Contains(r.checks, res.check) {
				// A check a reload removed.
			} else if up, changed := res.check.result(res.err == nil); changed {
				r.log.Info(scriptLine(res.check.name, res.err))
				r.tracker(r.deps.Clock.Now(), vrrp.ScriptTracker(res.check.name), up)
			}
			r.mu.Unlock()
		case d := <-deletions:
			r.mu.Lock()
			r.restoreDeleted(d)
			r.mu.Unlock()
		case res := <-r.procResults:
			r.mu.Lock()
			r.procChanged(res)
			r.mu.Unlock()
		case <-timer.C():
			r.mu.Lock()
			r.fireDue()
			r.mu.Unlock()
		case fn := <-r.calls:
			r.mu.Lock()
			fn(r.deps.Clock.Now())
			r.mu.Unlock()
		case <-ctx.Done():
			r.shutdown()
			r.awaitNotifies(shutdownNotifyWait)
			return nil
		case <-r.stopReq:
			r.shutdown()
			r.awaitNotifies(shutdownNotifyWait)
			return nil
		}
	}
}

// shutdownNotifyWait is how long a stop waits for the notify scripts
// still running (the STOP ones it just started): keepalived's shutdown
// timer gives them a second before it exits.
const shutdownNotifyWait = time.Second

// awaitNotifies waits until no notify script runs, or for d at most: the
// scripts would get SIGTERM (PR_SET_PDEATHSIG) when the daemon exits.
func (r *Runtime) awaitNotifies(d time.Duration) {
	for end := time.Now().Add(d); r.notifying.Load() > 0 && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop shuts down gracefully and waits for Run to return: MASTERs send
// priority 0 and every instance's VIPs are removed.
func (r *Runtime) Stop() {
	r.once.Do(func() { close(r.stopReq) })
	r.mu.Lock()
	started := r.started
	r.mu.Unlock()
	if started {
		<-r.stopped
	} else {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.closeSockets()
		if !r.deps.KeepVIPs {
			for _, ri := range r.insts {
				r.deleteVMAC(ri)
			}
		}
		r.closeFirewall()
		r.closeExtras()
		r.mail.close()
	}
}

func (r *Runtime) shutdown() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down = true // no timer step after the priority-0 adverts
	now := r.deps.Clock.Now()
	for _, ri := range r.insts {
		acts := ri.inst.Step(now, vrrp.EventShutdown{})
		if r.deps.KeepVIPs {
			acts = slices.DeleteFunc(acts, func(a vrrp.Action) bool { _, ok := a.(vrrp.RemoveVIPs); return ok })
		}
		r.exec(ri, now, acts)
	}
	r.stopGroups()
	// As keepalived: static entries go even with -V; VMACs stay with it.
	r.delStatics(&r.statics)
	if !r.deps.KeepVIPs {
		for _, ri := range r.insts {
			r.deleteVMAC(ri)
		}
	}
	r.closeFirewall()
}

// tracker steps every instance that tracks name.
func (r *Runtime) tracker(now time.Time, name string, up bool) {
	for _, ri := range r.insts {
		for _, t := range ri.inst.Config().Trackers {
			if t.Name == name {
				r.exec(ri, now, ri.inst.Step(now, vrrp.EventTracker{Name: name, Up: up}))
				break
			}
		}
	}
}

func (r *Runtime) read(ctx context.Context, s *rtSock) {
	for {
		rx, err := s.sock.Recv(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			r.log.Warn("vrrp socket read", "iface", s.spec.Iface, "err", err)
			select { // don't spin on a persistent error
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		select {
		case r.rx <- rxItem{s: s, rx: rx}:
		case <-ctx.Done():
			return
		}
	}
}

// newTimer is the loop's timer. A clock that can run the expiry on the
// timer's own goroutine (SystemClock) gets fireDue there, under r.mu as
// every loop step; its C then never delivers.
func (r *Runtime) newTimer() vrrp.Timer {
	if fc, ok := r.deps.Clock.(funcClock); ok {
		var t vrrp.Timer
		t, ok = fc.NewFuncTimer(func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			if !r.down {
				r.fireDue()
				r.rearm(t)
			}
		})
		if ok {
			return t
		}
	}
	return r.deps.Clock.NewTimer(time.Hour)
}

// rearm sets t to the next deadline; with r.mu held, so that the loop and
// an expiry running on the timer's goroutine cannot arm it out of order.
func (r *Runtime) rearm(t vrrp.Timer) {
	if next := r.timers.next(); !next.IsZero() {
		t.Reset(max(next.Sub(r.deps.Clock.Now()), 0))
	} else {
		t.Reset(time.Hour)
	}
}

// exec performs an instance's actions in order.
func (r *Runtime) exec(ri *rtInst, now time.Time, acts []vrrp.Action) {
	name := ri.inst.Name()
	for _, a := range acts {
		switch a := a.(type) {
		case vrrp.SendAdvert:
			if err := r.sendAdvert(ri, a.Priority); err != nil {
				r.log.Warn("send advert", "instance", name, "err", err)
			} else if a.Priority == 0 {
				r.log.Info(fmt.Sprintf("(%s) sent 0 priority", name))
			}
		case vrrp.AddVIPs:
			// Before the addresses, as keepalived: no_accept VIPs never answer.
			r.fwVIPs(ri, true)
			if len(ri.vips) > 0 {
				r.log.Info(fmt.Sprintf("(%s) setting VIPs.", name))
			}
			for _, v := range ri.vips {
				if err := r.deps.Addrs.Add(v); err != nil {
					r.log.Warn("add VIP", "instance", name, "err", err)
				}
			}
			r.addVRoutes(ri, ri.vroutes, ri.vrules)
		case vrrp.RemoveVIPs:
			r.delVRoutes(ri, ri.vroutes, ri.vrules)
			if len(ri.vips) > 0 {
				r.log.Info(fmt.Sprintf("(%s) removing VIPs.", name))
			}
			for _, v := range ri.vips {
				if err := r.deps.Addrs.Del(v); err != nil {
					r.log.Warn("remove VIP", "instance", name, "err", err)
				}
			}
			r.fwVIPs(ri, false)
		case vrrp.SendGARP:
			r.sendGARP(ri, a.Repeat)
		case vrrp.ScheduleGARP:
			r.timers.addGARP(ri, now.Add(a.After), a.Repeat)
		case vrrp.SendExtraGARP:
			if vips := r.extraGARPVIPs(ri); len(vips) > 0 {
				r.sendGARPFor(ri, vips, 1)
			}
		case vrrp.SetTimer:
			r.timers.set(ri, a.At)
		case vrrp.Notify:
			ri.lastTransition = now
			r.log.Debug("state change", "instance", name, "state", a.State.String())
			if r.deps.OnState != nil {
				r.deps.OnState(name, a.State)
			}
			for _, c := range ri.notify.commands(name, a.State, ri.inst.EffectivePriority()) {
				r.runScript(name, c)
			}
			r.fifoInstance(ri, a.State.String())
			r.mail.instance(ri, a.State)
		case vrrp.PriorityChanged:
			r.log.Debug("priority change", "instance", name, "from", a.From, "to", a.To)
			if ri.notify.prioChanges {
				r.fifoInstance(ri, ri.inst.State().String()+"_PRIORITY")
			}
		case vrrp.NotifyMasterRxLowerPri:
			if s := ri.notify.rxLowerPri; s != nil && !s.Disabled && len(s.Argv) > 0 {
				r.runScript(name, vrrp.Command{Argv: s.Argv, User: s.User, Group: s.Group})
			}
			r.fifoInstance(ri, "MASTER_RX_LOWER_PRI")
		}
	}
	r.afterExec(ri, now)
}

func (r *Runtime) runScript(inst string, c vrrp.Command) {
	r.notifying.Add(1)
	exited := c.Exited
	c.Exited = func() {
		if exited != nil {
			exited()
		}
		r.notifying.Add(-1)
	}
	if err := r.deps.Scripts.Start(c); err != nil {
		r.notifying.Add(-1)
		// the launcher logged keepalived's line
		r.log.Debug("notify script", "instance", inst, "argv", c.Argv, "err", err)
	}
}

func (r *Runtime) sendAdvert(ri *rtInst, prio uint8) error {
	c := ri.inst.Config()
	adv := vrrp.Advert(c, prio)
	var errs []error
	var io packet.IPv4Options
	if c.Family == packet.IPv4 {
		// As vrrp_update_pkt: one IP ID and one AH sequence number per
		// advert, the same for every unicast peer. The kernel fills in an
		// ID of 0 (and that would break the ICV), so 0 is skipped.
		if ri.ipID++; ri.ipID == 0 {
			ri.ipID++
		}
		io = packet.IPv4Options{ID: ri.ipID, TTL: uint8(ri.ttl), Src: c.SourceAddr,
			V3ChecksumAsV2: c.V3ChecksumAsV2, Unicast: c.Unicast, ChecksumDst: ri.inst.Checker().ChecksumDst()}
		if c.AuthType == packet.AuthAH && c.Version == 2 {
			io.AH, io.Key, io.Seq = true, packet.PassKey(c.AuthPass), ri.inst.Checker().NextAHSeq()
		}
	}
	for _, dst := range ri.dsts {
		o := vrrp.Outgoing{Src: c.SourceAddr, Dst: dst, HopLimit: ri.ttl}
		var err error
		if c.Family == packet.IPv4 {
			io.Dst = dst
			o.Data, err = packet.BuildIPv4(&adv, io)
		} else {
			o.Data, err = adv.Marshal(packet.IPv6, packet.ChecksumOptions{Src: c.SourceAddr, Dst: dst})
		}
		if err == nil {
			err = ri.sock.sock.Send(o)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("to %v: %w", dst, err))
		}
	}
	return errors.Join(errs...)
}

// sendGARP sends repeat rounds of one GARP/NA per address. Without an
// interval the rounds go out at once, as keepalived does by default;
// with one they are paced off the loop.
func (r *Runtime) sendGARP(ri *rtInst, repeat int) { r.sendGARPFor(ri, ri.vips, repeat) }

// releaseUnset is -X (--release-vips). keepalived 2.2.7 then runs its
// VIP removal (vrrp_restore_interface) for each instance it initialises
// other than as MASTER, at start and at every reload, even though none
// of its VIPs is set. That removal only deletes the addresses it has
// marked as set, which such an instance has none of: the VIPs on the
// interface stay, and what -X changes is this log line.
func (r *Runtime) releaseUnset(ri *rtInst) {
	if r.deps.ReleaseVIPs && ri.inst.State() != vrrp.StateMaster && len(ri.vips) > 0 {
		r.log.Info(fmt.Sprintf("(%s) removing VIPs.", ri.inst.Name()))
	}
}

// ReloadUnchanged is what a reload that leaves the VRRP configuration as
// it was still does, since keepalived re-initialises its instances at any
// reload: the unicast checksum mode back to its configured one,
// fifo_write_vrrp_states_on_reload, the config faults notified again,
// -X's log lines.
func (r *Runtime) ReloadUnchanged() {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.deps.Clock.Now()
	if r.fifoOnReload {
		for _, rg := range r.groups {
			r.fifo.Write(notifyfifo.Group(rg.g.Name(), rg.g.State().String()))
		}
	}
	for _, ri := range r.insts {
		c := ri.inst.Checker()
		c.SetConfig(c.Config())
		r.reinitKept(ri, now)
	}
	for _, ri := range r.insts {
		r.releaseUnset(ri)
	}
}

// extraGARPVIPs is what garp_extra_if announces (vrrp_send_vmac_update):
// the first VIP/eVIP on each interface other than the instance's own
// (its VMAC if it has one; that one too with vmac_xmit_base), counting
// only our VMACs unless "all". keepalived turns the timer off when no
// VIP is on another interface that counts; then nothing is sent.
func (r *Runtime) extraGARPVIPs(ri *rtInst) []vrrp.VIP {
	own := ri.iface
	if ri.vmac != nil {
		own = ri.vmac.Name
	}
	ours := map[string]bool{}
	for _, o := range r.insts {
		if o.vmac != nil {
			ours[o.vmac.Name] = true
		}
	}
	var out []vrrp.VIP
	seen, extra := map[string]bool{}, false
	for _, v := range ri.vips {
		counts := ours[v.Dev] || ri.garpExtraAll
		extra = extra || (v.Dev != own && counts)
		if !counts || (v.Dev == own && !ri.xmitBase) || seen[v.Dev] {
			continue
		}
		seen[v.Dev] = true
		out = append(out, v)
	}
	if !extra {
		return nil
	}
	return out
}

func (r *Runtime) sendGARPFor(ri *rtInst, vips []vrrp.VIP, repeat int) {
	for _, v := range vips {
		what := "gratuitous ARPs"
		if v.Prefix.Addr().Is6() {
			what = "Unsolicited Neighbour Adverts"
		}
		// keepalived logs this with -D only.
		r.log.Debug(fmt.Sprintf("(%s) Sending/queueing %s on %s for %s", ri.inst.Name(), what, v.Dev, v.Prefix.Addr()))
	}
	send := func() {
		for _, v := range vips {
			if err := r.deps.Announcer.Announce(v.Dev, v.Prefix.Addr()); err != nil {
				r.log.Warn("gratuitous ARP/NA", "instance", ri.inst.Name(), "addr", v.Prefix.Addr(), "err", err)
			}
		}
	}
	gap := r.garpInterval
	if ri.inst.Config().Family == packet.IPv6 {
		gap = r.gnaInterval
	}
	if gap <= 0 {
		for range repeat {
			send()
		}
		return
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for n := range repeat {
			if n > 0 {
				select {
				case <-time.After(gap):
				case <-r.quit:
					return
				}
			}
			send()
		}
	}()
}

// Status is one instance's state for status dumps.
type Status struct {
	Name              string
	Key               vrrp.Key
	State             vrrp.State
	Priority          uint8
	EffectivePriority uint8
	MasterAddr        netip.Addr
	AdvertsSent       uint64
	BecameMaster      uint64
	ReleasedMaster    uint64
	AdvertsRcvd       uint64
	PriZeroSent       uint64
	PriZeroRcvd       uint64
	AddrListErr       uint64            // accepted mismatches included, as keepalived counts
	VMAC              string            // use_vmac interface, "" without
	Drops             map[string]uint64 // by validate.Reason name
	// For the dumps, as keepalived's vrrp_t has them.
	WantState      vrrp.State
	MasterPriority uint8
	MasterAdverInt time.Duration
	LastTransition time.Time
	VIPSet         bool
	SourceAddr     netip.Addr   // configured or the interface's
	Dests          []netip.Addr // multicast group, or the unicast peers
	Unicast        bool
	Deadline       time.Time     // next timer expiry (keepalived's sands); zero: none
	MasterDown     time.Duration // keepalived's ms_down_timer
}

// States reports every instance; safe to call while Run is running.
func (r *Runtime) States() []Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Status, 0, len(r.insts))
	for _, ri := range r.insts {
		i := ri.inst
		st := Status{Name: i.Name(), Key: ri.key, State: i.State(), Priority: i.Config().Priority,
			EffectivePriority: i.EffectivePriority(), MasterAddr: i.MasterAddr(),
			AdvertsSent: i.Stats.AdvertSent.Load(), BecameMaster: i.Stats.BecomeMaster.Load(),
			ReleasedMaster: i.Stats.ReleaseMaster.Load(), PriZeroSent: i.Stats.PriZeroSent.Load(),
			AdvertsRcvd: i.Checker().Counters.AdvertRcvd.Load(), PriZeroRcvd: i.Checker().Counters.PriZeroRcvd.Load(),
			AddrListErr: i.Checker().Counters.AddrListErr.Load(),
			Drops:       map[string]uint64{}, WantState: i.WantState(), MasterPriority: i.MasterPriority(),
			MasterAdverInt: i.MasterAdverInt(), LastTransition: ri.lastTransition, VIPSet: i.VIPSet(),
			SourceAddr: i.Config().SourceAddr, Dests: ri.dsts, Unicast: i.Config().Unicast,
			Deadline: i.Deadline(), MasterDown: i.MasterDownTimer()}
		if ri.vmac != nil {
			st.VMAC = ri.vmac.Name
		}
		for reason := validate.Reason(1); reason < validate.NumReasons; reason++ {
			if n := i.Checker().Counters.Drops(reason); n > 0 {
				st.Drops[reason.String()] = n
			}
		}
		out = append(out, st)
	}
	return out
}

// ScriptStatus is a tracked vrrp_script as the data dump shows it.
type ScriptStatus struct {
	Name    string
	Up      bool
	Result  int // keepalived's result: rise+fall-1 when up, 0 when down, stepping between
	Running bool
	// InitState is keepalived's dump wording: INIT (or INIT/FAILED with
	// init_fail) until the first result, then "unknown" as 2.2.7 prints
	// its DONE state.
	InitState string
}

// Scripts reports the vrrp_scripts some instance tracks.
func (r *Runtime) Scripts() []ScriptStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]ScriptStatus, 0, len(r.checks))
	for _, s := range r.checks {
		res := s.count // successes so far towards rise
		if s.up {
			res = s.rise + s.fall - 1 - s.count
		}
		st := ScriptStatus{Name: s.name, Up: s.up, Result: res, Running: s.running.Load(), InitState: "unknown"}
		switch {
		case !s.reported && s.initFail:
			st.InitState = "INIT/FAILED"
		case !s.reported:
			st.InitState = "INIT"
		}
		out = append(out, st)
	}
	return out
}

// ClearStats zeroes every instance's counters (keepalived's SIGRTMAX-1
// after writing the stats file).
func (r *Runtime) ClearStats() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ri := range r.insts {
		i := ri.inst
		for _, c := range []*atomic.Uint64{&i.Stats.AdvertSent, &i.Stats.PriZeroSent, &i.Stats.BecomeMaster,
			&i.Stats.ReleaseMaster} {
			c.Store(0)
		}
		i.Checker().Counters.Reset()
	}
}

// SocketStatus counts what a socket dropped before any instance saw it.
type SocketStatus struct {
	Spec        vrrp.SocketSpec
	TooShort    uint64 // not even a VRRP header
	UnknownVRID uint64
}

// Sockets reports per-socket drop counters.
func (r *Runtime) Sockets() []SocketStatus {
	r.mu.Lock() // a reload replaces r.socks
	defer r.mu.Unlock()
	out := make([]SocketStatus, 0, len(r.socks))
	for _, s := range r.socks {
		out = append(out, SocketStatus{Spec: s.spec, TooShort: s.demux.TooShort.Load(), UnknownVRID: s.demux.UnknownVRID.Load()})
	}
	return out
}

// SystemClock is the real Clock.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now() }

// funcClock is a Clock whose timers can call a function at expiry.
type funcClock interface {
	NewFuncTimer(f func()) (vrrp.Timer, bool)
}

// NewFuncTimer is a timerfd that calls f on expiry (see hrtimer.NewFunc).
func (SystemClock) NewFuncTimer(f func()) (vrrp.Timer, bool) {
	t, err := hrtimer.NewFunc(f)
	if err != nil {
		return nil, false
	}
	return t, true
}

// NewTimer is a timerfd when it can be (on time to the microsecond; the
// runtime's timers wake up to 1 ms late), a time.Timer otherwise.
func (SystemClock) NewTimer(d time.Duration) vrrp.Timer {
	if t, err := hrtimer.New(); err == nil {
		t.Reset(d)
		return t
	}
	return sysTimer{time.NewTimer(d)}
}

type sysTimer struct{ t *time.Timer }

func (t sysTimer) C() <-chan time.Time        { return t.t.C }
func (t sysTimer) Stop() bool                 { return t.t.Stop() }
func (t sysTimer) Reset(d time.Duration) bool { return t.t.Reset(d) }
