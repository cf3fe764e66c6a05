package vrrpd

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/bfd"
	"github.com/gokeepalived/gokeepalived/internal/lograte"
	"github.com/gokeepalived/gokeepalived/internal/smtpalert"
	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/nft"
	"github.com/gokeepalived/gokeepalived/vrrp/packet"
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
	// OnNotify, if set, is told each state notification as the FIFO gets
	// it (MASTER, BACKUP, FAULT, STOP, DELETED), from the loop: it must
	// not block (D-Bus's VrrpStatusChange).
	OnNotify func(instance, state string)
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
	// BFD carries the BFD instances' Up/Down changes for track_bfd (nil:
	// no BFD subsystem).
	BFD *bfd.Mailbox
}

// Runtime drives the configured instances: one reader goroutine per
// socket feeds a single loop that owns every Instance, so Step is never
// called concurrently.
type Runtime struct {
	deps Deps
	log  *slog.Logger

	bfdUp map[string]bool // track_bfd: each BFD instance's last state (loop)

	// The loop (loop.go): its channels, its lock and its timers.
	mu      sync.Mutex // held while the loop steps; States reads under it
	rx      chan rxItem
	reload  chan reloadReq
	links   chan vrrp.LinkEvent
	calls   chan func(now time.Time) // run on the loop (track files, Ping)
	stopReq chan struct{}
	quit    chan struct{} // closed when Run ends, for paced GARP senders
	stopped chan struct{}
	once    sync.Once
	started bool
	down    bool // shut down: timers no longer step instances
	timers  timerQ
	rctx    context.Context // readers and checks started by Run and Reload
	readers sync.WaitGroup
	wg      sync.WaitGroup // paced GARP senders

	// The instances and their sockets (sockets.go, demux.go).
	insts   []*rtInst
	byInst  map[*vrrp.Instance]*rtInst
	socks   []*rtSock
	dropLog *lograte.Limiter // debug lines of dropped adverts

	garpInterval, gnaInterval time.Duration
	// compat is the keepalived release followed where releases differ.
	compat conf.Version
	// fifoOnReload is fifo_write_vrrp_states_on_reload.
	fifoOnReload bool

	addr       addresses // VIPs, routes, rules, the firewall (addresses.go)
	trackers             // vrrp_script, track_process, track_file (trackers.go)
	syncGroups           // sync groups (syncgroups.go)
	notifier   notifier  // scripts, FIFOs, mail (notify.go)
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
	// ipvlanDown: the use_ipvlan interface itself was set down (its
	// instance is in FAULT as for its own interface).
	ipvlanDown bool
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
		garpInterval: g.VRRPGARPInterval, gnaInterval: g.VRRPGNAInterval, fifoOnReload: g.FIFOWriteVRRPStatesOnReload, compat: cfg.Compat,
		rx: make(chan rxItem, 64), reload: make(chan reloadReq), links: make(chan vrrp.LinkEvent, 16), calls: make(chan func(time.Time), 16),
		stopReq: make(chan struct{}), quit: make(chan struct{}), stopped: make(chan struct{})}
	r.results, r.procResults = make(chan scriptResult, 16), make(chan procResult, 16)
	r.notifier.scripts, r.notifier.log = deps.Scripts, deps.Log
	r.notifier.mail = newMailer(g, deps.Alerts, deps.Log)
	r.addr = addresses{net: deps.Net, addrs: deps.Addrs, routes: deps.Routes, log: deps.Log,
		statics: staticsOf(cfg), noTrack: noTrackOf(cfg)}
	r.procTrackers = procTrackersOf(cfg)
	r.procUp = r.scanProcs(r.procTrackers)
	socks := map[vrrp.SocketSpec]*rtSock{}
	var vmacs []*vrrp.VMAC
	r.addr.openFirewall(deps.Firewall, g, cfg.VRRPInstances)
	for _, v := range cfg.VRRPInstances {
		if err := r.buildInstance(cfg, v, socks, &vmacs); err != nil {
			r.abort(vmacs)
			return nil, err
		}
	}
	r.checks = scriptChecks(cfg)
	if err := r.setupExtras(cfg); err != nil {
		r.closeSockets()
		return nil, err
	}
	return r, nil
}

// buildInstance builds the instance of v, with its VMAC (added to vmacs)
// and its socket (opened unless socks has it already).
func (r *Runtime) buildInstance(cfg *conf.Config, v *conf.VRRPInstance, socks map[vrrp.SocketSpec]*rtSock, vmacs *[]*vrrp.VMAC) error {
	g := &cfg.Global
	if v.Interface == "" {
		return fmt.Errorf("(%s) an interface is required", v.Name)
	}
	info, err := r.deps.Net.Interface(v.Interface)
	if err != nil {
		return fmt.Errorf("(%s) interface %s: %w", v.Name, v.Interface, err)
	}
	ic, err := vrrp.InstanceConfig(g, cfg.VRRPScripts, v, info)
	if err != nil {
		return err
	}
	ic.Trackers = append(ic.Trackers, procTrackerRefs(v, r.procUp)...)
	sockIf := v.Interface
	var vm *vrrp.VMAC
	var fwv [2]int
	if v.UseVMAC || v.UseIPVLAN {
		if vm, sockIf, err = r.setupVMAC(g, v, &ic); err != nil {
			return err
		}
		*vmacs = append(*vmacs, vm)
		if !vm.IPVLAN { // keepalived sets the IGMP/MLD rule for macvlans only
			fwv = r.addr.fwVMAC(v.Name, vm, v.Interface, ic.Family == packet.IPv6, g)
		}
	}
	ic.Trackers = append(ic.Trackers, vrrp.ExtraTrackers(cfg, v)...)
	inst, err := vrrp.New(ic, r.log)
	if err != nil {
		return err
	}
	spec := specOf(g, v, &ic, sockIf)
	s := socks[spec]
	if s == nil {
		sk, err := r.deps.Net.Open(spec)
		if err != nil {
			return err
		}
		s = &rtSock{spec: spec, sock: sk, demux: vrrp.NewDemux(sockIf, r.log)}
		s.demux.LogUnknownVRIDs = g.LogUnknownVRIDs
		socks[spec] = s
		r.socks = append(r.socks, s)
	}
	if err := s.demux.Add(inst); err != nil {
		return err
	}
	ri := &rtInst{inst: inst, sock: s, key: vrrp.KeyOf(g, v), iface: v.Interface, trackIf: !v.DontTrackPrimary,
		garpExtraAll: v.GARPExtraIfAll, xmitBase: v.VMACXmitBase,
		vips: vrrp.VIPsOf(v), notify: notifiersOf(v), vmac: vm, vroutes: v.VRoutes, vrules: v.VRules}
	if vm != nil {
		ri.vips = vrrp.VMACVIPs(ri.vips, v, &ic, vm.Name)
	}
	ri.fw = r.addr.fwOf(v, ri.vips)
	ri.fw.v6, ri.fw.vmac = ic.Family == packet.IPv6, fwv
	ri.dsts, ri.ttl = destinations(v, spec.Group)
	r.insts = append(r.insts, ri)
	r.byInst[inst] = ri
	return nil
}

// destinations are where an instance sends its adverts, with the TTL
// (hop limit): its unicast peers, or group.
func destinations(v *conf.VRRPInstance, group netip.Addr) (dsts []netip.Addr, ttl int) {
	ttl = packet.TTL
	if !v.Unicast {
		return []netip.Addr{group}, ttl
	}
	for _, p := range v.UnicastPeers {
		dsts = append(dsts, p.Address)
	}
	if v.UnicastTTL >= 0 {
		ttl = v.UnicastTTL
	}
	return dsts, ttl
}

// abort undoes a NewRuntime that failed: sockets, and VMACs created.
func (r *Runtime) abort(vmacs []*vrrp.VMAC) {
	r.closeSockets()
	defer r.addr.closeFirewall()
	r.deleteVMACs(vmacs)
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
		r.addr.closeFirewall()
		r.closeExtras()
		r.notifier.mail.close()
	}
}
