// Package vrrpsub is the daemon's VRRP subsystem (keepalived's --vrrp
// child): it runs the VRRP runtime for internal/daemon and describes its
// instances and scripts as the dumps and metrics want them. Every use of
// the runtime's API by the daemon is here.
package vrrpsub

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/bfd"
	"github.com/gokeepalived/gokeepalived/internal/dumps"
	"github.com/gokeepalived/gokeepalived/internal/metrics"
	"github.com/gokeepalived/gokeepalived/internal/smtpalert"
	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/netio"
	"github.com/gokeepalived/gokeepalived/vrrp/nft"
	"github.com/gokeepalived/gokeepalived/vrrp/validate"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrpd"
)

// Options configure the subsystem.
type Options struct {
	KeepVIPs    bool // -V: VIPs stay on the interfaces at stop
	ReleaseVIPs bool // -X
	// Follow, when lvs_sync_daemon names an instance, makes what follows
	// the instances' states on the checker side (the IPVS sync daemon),
	// at start or at the reload that adds it. It fails alone: VRRP runs
	// without it.
	Follow func() (Follower, error)
	// Deps replaces the runtime's host interfaces (tests); nil: the host's.
	Deps func(*slog.Logger) vrrpd.Deps
	// OnNotify, if set, gets every state notification with keepalived's
	// state number (VRRP_STATE_*: 0 INIT … 97 DELETED, 98 STOP), from the
	// VRRP loop: it must not block (D-Bus).
	OnNotify func(instance string, state uint32)
	// BFD carries the BFD subsystem's changes for track_bfd (nil: none).
	BFD *bfd.Mailbox
	// OnState, if set, gets every state change (true: MASTER), from the
	// VRRP loop: it must not block (the BGP speaker's feed).
	OnState func(instance string, master bool)
}

// Follower gets every state change of every instance, the config at
// start and at each reload, and Stop once the subsystem stopped.
type Follower interface {
	Start(cfg *conf.Config)
	Reload(cfg *conf.Config)
	OnVRRPState(instance string, master bool)
	Stop()
	// IPVSSyncDaemons reads the kernel's sync daemons (status, metrics).
	IPVSSyncDaemons() ([]ipvs.SyncDaemon, bool)
}

// IPVSSyncDaemons reads the kernel's IPVS sync daemons through the
// follower's handle; ok is false without one.
func (v *Subsystem) IPVSSyncDaemons() ([]ipvs.SyncDaemon, bool) {
	if f := v.follower(); f != nil {
		return f.IPVSSyncDaemons()
	}
	return nil, false
}

// followed says whether cfg has an lvs_sync_daemon for the VRRP side.
func followed(cfg *conf.Config) bool {
	sd := cfg.Global.LVSSyncDaemon
	return sd != nil && sd.Instance != ""
}

// Subsystem is the VRRP subsystem around the VRRP runtime; it satisfies
// daemon.VRRP.
type Subsystem struct {
	log *slog.Logger
	o   Options

	fmu    sync.Mutex // guards follow: the VRRP loop reads it
	follow Follower

	mu     sync.Mutex
	cfg    *conf.Config
	rt     *vrrpd.Runtime
	alerts *smtpalert.Sender // configured at each reload: router_id alone changes the subjects
	cancel context.CancelFunc
	done   chan struct{}
}

// New returns the subsystem, to be started.
func New(log *slog.Logger, o Options) *Subsystem {
	if o.Deps == nil {
		o.Deps = hostDeps
	}
	return &Subsystem{log: log, o: o}
}

// hostDeps are the runtime's interfaces onto this host.
func hostDeps(l *slog.Logger) vrrpd.Deps {
	return vrrpd.Deps{Net: netio.Net{}, Addrs: netio.Addrs{}, Announcer: netio.NewAnnouncer(), Links: netio.Links{Resynced: func(m string, err error) {
		l.Warn(fmt.Sprintf("Netlink %s monitor lost its subscription (%v): subscribed again and resynced", m, err))
	}}, Log: l,
		VMACs: netio.NewVMACs(l), Routes: netio.Routes{},
		Firewall: func(c nft.Config) (nft.Firewall, error) { return nft.Open(c) }}
}

func (v *Subsystem) Start(ctx context.Context, cfg *conf.Config) error {
	deps := v.o.Deps(v.log)
	deps.KeepVIPs, deps.ReleaseVIPs = v.o.KeepVIPs, v.o.ReleaseVIPs
	if v.o.BFD != nil {
		deps.BFD = v.o.BFD
	}
	if v.o.Follow != nil && followed(cfg) {
		v.startFollower(cfg, nil)
	}
	if follow, on := v.o.Follow != nil, v.o.OnState; follow || on != nil {
		deps.OnState = func(name string, s vrrp.State) {
			if f := v.follower(); f != nil {
				f.OnVRRPState(name, s == vrrp.StateMaster)
			}
			if on != nil {
				on(name, s == vrrp.StateMaster)
			}
		}
	}
	if on := v.o.OnNotify; on != nil {
		deps.OnNotify = func(name, state string) { on(name, notifyNumber(state)) }
	}
	alerts := smtpalert.New(smtpalert.FromGlobal(&cfg.Global), v.log)
	deps.Alerts = alerts
	rt, err := vrrpd.NewRuntime(cfg, deps)
	if err != nil {
		if f := v.follower(); f != nil {
			f.Stop()
		}
		alerts.Close(0)
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	v.mu.Lock()
	v.cfg, v.rt, v.cancel, v.done, v.alerts = cfg, rt, cancel, done, alerts
	v.mu.Unlock()
	go func() {
		defer close(done)
		if err := rt.Run(ctx); err != nil {
			v.log.Error(fmt.Sprintf("VRRP: %v", err))
		}
	}()
	return nil
}

// Reload applies a changed VRRP config to the running instances (the
// runtime matches them by identity, so a MASTER stays MASTER); an
// unchanged one is not even handed to the runtime.
func (v *Subsystem) Reload(ctx context.Context, cfg *conf.Config) error {
	v.mu.Lock()
	old, rt := v.cfg, v.rt
	v.mu.Unlock()
	// the new global_defs applies to the alerts of the reload itself
	// (an instance deleted), as keepalived reads them first
	prev := v.alerts.Config()
	v.alerts.Configure(smtpalert.FromGlobal(&cfg.Global))
	if vrrpPart(old) != vrrpPart(cfg) {
		if err := rt.Reload(cfg); err != nil {
			v.alerts.Configure(prev)
			return err
		}
	} else if rt != nil {
		rt.ReloadUnchanged()
	}
	v.mu.Lock()
	v.cfg = cfg
	v.mu.Unlock()
	if f := v.follower(); f != nil {
		f.Reload(cfg)
	} else if v.o.Follow != nil && followed(cfg) {
		v.startFollower(cfg, v.Instances())
	}
	return nil
}

func (v *Subsystem) follower() Follower {
	v.fmu.Lock()
	defer v.fmu.Unlock()
	return v.follow
}

// startFollower makes the follower and starts it in the roles of the
// running instances (none at start: backup).
func (v *Subsystem) startFollower(cfg *conf.Config, running []dumps.Instance) {
	f, err := v.o.Follow()
	if err != nil {
		v.log.Error(fmt.Sprintf("IPVS: Can't initialize ipvs for lvs_sync_daemon: %v", err))
		return
	}
	for _, in := range running {
		f.OnVRRPState(in.Name, in.State == dumps.StateMaster)
	}
	f.Start(cfg)
	v.fmu.Lock()
	v.follow = f
	v.fmu.Unlock()
}

// vrrpPart is the configuration the VRRP runtime reads, for comparison
// (router_id only names the node in notifications and e-mails).
func vrrpPart(c *conf.Config) string {
	var b strings.Builder
	g := c.Global
	g.RouterID = ""
	conf.WriteJSON(&b, &conf.Config{Global: g, VRRPScripts: c.VRRPScripts, SyncGroups: c.SyncGroups,
		VRRPInstances: c.VRRPInstances, StaticAddresses: c.StaticAddresses, StaticRoutes: c.StaticRoutes,
		StaticRules: c.StaticRules, TrackFiles: c.TrackFiles})
	return b.String()
}

func (v *Subsystem) Stop(ctx context.Context) error {
	v.mu.Lock()
	rt, cancel, done := v.rt, v.cancel, v.done
	v.mu.Unlock()
	stopped := make(chan struct{})
	go func() { rt.Stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-ctx.Done():
		cancel()
		v.alerts.Close(0)
		return ctx.Err()
	}
	cancel()
	<-done
	// keepalived's VRRP process lingers a second after its last notifies
	v.alerts.Close(time.Second)
	if f := v.follower(); f != nil {
		f.Stop()
	}
	return nil
}

func (v *Subsystem) ClearStats() { v.rt.ClearStats() }

// Ping answers once the VRRP loop has turned (the systemd watchdog).
func (v *Subsystem) Ping(ctx context.Context) error { return v.rt.Ping(ctx) }

func stateNumber(s vrrp.State) int {
	switch s {
	case vrrp.StateBackup:
		return dumps.StateBackup
	case vrrp.StateMaster:
		return dumps.StateMaster
	case vrrp.StateFault:
		return dumps.StateFault
	}
	return dumps.StateInit
}

// notifyNumber is keepalived's VRRP_STATE_* for a notified state.
func notifyNumber(state string) uint32 {
	switch state {
	case "BACKUP":
		return dumps.StateBackup
	case "MASTER":
		return dumps.StateMaster
	case "FAULT":
		return dumps.StateFault
	case "DELETED":
		return 97
	case "STOP":
		return 98
	}
	return dumps.StateInit
}

// SendGARP sends one round of GARPs for instance now, if its addresses
// are set (D-Bus SendGarp); false if there is no such instance.
func (v *Subsystem) SendGARP(ctx context.Context, instance string) (bool, error) {
	v.mu.Lock()
	rt := v.rt
	v.mu.Unlock()
	if rt == nil {
		return false, nil
	}
	return rt.SendGARPNow(ctx, instance)
}

// Instances describes every instance as keepalived's dumps do, from the
// runtime's state and the instance's resolved configuration.
func (v *Subsystem) Instances() []dumps.Instance {
	v.mu.Lock()
	defer v.mu.Unlock()
	byName := map[string]*conf.VRRPInstance{}
	for _, in := range v.cfg.VRRPInstances {
		byName[in.Name] = in
	}
	g := v.cfg.Global
	cmds := map[string]string{}
	for _, s := range v.cfg.VRRPScripts {
		if s.Script != nil {
			cmds[s.Name] = cmdStr(s.Script.Argv)
		}
	}
	var out []dumps.Instance
	for _, st := range v.rt.States() {
		d := dumps.Instance{Name: st.Name, VRID: int(st.Key.VRID), State: stateNumber(st.State), WantState: stateNumber(st.WantState),
			BasePriority: int(st.Priority), EffectivePriority: int(st.EffectivePriority), LastTransition: st.LastTransition,
			MasterPriority: int(st.MasterPriority), MasterAdverInt: st.MasterAdverInt,
			VIPSet: st.VIPSet, Interface: st.Key.Interface, VMACInterface: st.VMAC,
			ReadTimeout: st.Deadline, MasterDownTimer: st.MasterDown,
			Stats: dumps.Stats{AdvertRcvd: st.AdvertsRcvd, AdvertSent: st.AdvertsSent, BecomeMaster: st.BecameMaster,
				ReleaseMaster: st.ReleasedMaster, PriZeroRcvd: st.PriZeroRcvd, PriZeroSent: st.PriZeroSent,
				AddrListErr: st.AddrListErr}, Drops: st.Drops}
		if st.State == vrrp.StateMaster || st.MasterAddr.IsValid() {
			d.MasterAddr = st.MasterAddr.String()
		}
		for name, n := range st.Drops {
			addDrop(&d.Stats, name, n)
		}
		if c := byName[st.Name]; c != nil {
			d.Version, d.AdverInt = c.Version, c.AdvertInt
			d.GARPDelay, d.GARPRepeat = c.GARPMasterDelay, int(c.GARPMasterRepeat)
			d.GARPRefresh, d.GARPRefreshRepeat = c.GARPMasterRefresh, int(c.GARPMasterRefreshRepeat)
			d.GARPLowerDelay, d.GARPLowerRepeat = c.GARPLowerPrioDelay, int(c.GARPLowerPrioRepeat)
			d.DownTimerAdverts, d.NotifyPrioChanges = c.DownTimerAdverts, c.NotifyPriorityChanges
			d.LowerPrioNoAdvert, d.HigherPrioAdvert = c.LowerPrioNoAdvert, c.HigherPrioSendAdvert
			d.DontTrackPrimary, d.SkipCheckAdvAddr, d.Strict = c.DontTrackPrimary, c.SkipCheckAdvAddr, c.StrictMode
			d.PromoteSecondary, d.SMTPAlert, d.NotifyDeleted = c.PromoteSecondaries, c.SMTPAlert, c.NotifyDeleted
			d.Accept, d.NoPreempt, d.PreemptDelay = c.Accept, c.Nopreempt, c.PreemptDelay
			if st.SourceAddr.IsValid() {
				d.SourceIP = st.SourceAddr.String()
			}
			if !st.Unicast && len(st.Dests) == 1 && c.Family != 6 {
				d.MulticastAddr = st.Dests[0].String()
			}
			switch c.AuthType {
			case "PASS":
				d.AuthType, d.AuthData = 1, c.AuthPass
			case "AH":
				d.AuthType = 2
			}
			if h := c.AuthHMAC; h != nil {
				d.HMAC = &dumps.HMAC{Keys: len(h.Keys), ActiveKey: int(h.ActiveKey), Mode: h.Mode,
					AntiReplayTime: h.AntiReplayTime, Window: h.TimeWindow}
			}
			for _, t := range c.TrackInterfaces {
				d.TrackInterfaces = append(d.TrackInterfaces, fmt.Sprintf("%s weight %d%s", t.Name, t.Weight, revStr(t.Reverse)))
				d.TrackIfNames = append(d.TrackIfNames, t.Name)
			}
			d.Scripts = map[string]string{}
			for _, n := range []struct {
				key, label string
				sc         *conf.Script
			}{{"script_backup", "Backup", c.NotifyBackup}, {"script_master", "Master", c.NotifyMaster},
				{"script_fault", "Fault", c.NotifyFault}, {"script_stop", "Stop", c.NotifyStop},
				{"script_deleted", "Deleted", c.NotifyDeletedScript}, {"script", "Generic", c.Notify},
				{"script_master_rx_lower_pri", "Master rx lower pri", c.NotifyMasterRxLowerPri}} {
				if n.sc == nil || len(n.sc.Argv) == 0 {
					continue
				}
				d.Scripts[n.key] = cmdStr(n.sc.Argv)
				uid, gid := userIDs(n.sc.User, n.sc.Group, g)
				d.NotifyLines = append(d.NotifyLines, fmt.Sprintf("%s state transition script = %s, uid:gid %d:%d", n.label, d.Scripts[n.key], uid, gid))
			}
			for _, t := range c.TrackScripts {
				d.TrackScripts = append(d.TrackScripts, fmt.Sprintf("%s weight %d%s", t.Name, t.Weight, revStr(t.Reverse)))
				d.TrackScriptCmds = append(d.TrackScriptCmds, cmds[t.Name])
			}
			for _, t := range c.TrackProcesses {
				d.TrackProcNames = append(d.TrackProcNames, t.Name)
			}
			dflt := c.Interface
			if st.VMAC != "" { // the VIPs live on the VMAC
				dflt = st.VMAC
			}
			for _, a := range c.VIPs {
				if a.Dev == c.Interface {
					a.Dev = ""
				}
				d.VIPs = append(d.VIPs, vipString(a, dflt, d.VIPSet))
			}
			for _, a := range c.EVIPs {
				d.EVIPs = append(d.EVIPs, vipString(a, c.Interface, d.VIPSet))
			}
		}
		out = append(out, d)
	}
	return out
}

func revStr(r bool) string {
	if r {
		return " reverse"
	}
	return ""
}

// scriptPath is the command as keepalived stores it after its script
// check: found in PATH if bare, symlinks resolved, but the file name kept
// (some programs act on the name they are called by).
func scriptPath(a string) string {
	if strings.HasPrefix(a, "<") || strings.HasPrefix(a, ">") {
		return a
	}
	p := a
	if !strings.Contains(a, "/") {
		lp, err := exec.LookPath(a)
		if err != nil {
			return a
		}
		p = lp
	}
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		return a
	}
	if r, err = filepath.Abs(r); err != nil {
		return a
	}
	return filepath.Join(filepath.Dir(r), filepath.Base(a))
}

// cmdStr is keepalived's cmd_str: every word in single quotes, the
// command resolved through symlinks as keepalived stores it.
func cmdStr(argv []string) string {
	var b strings.Builder
	for i, a := range argv {
		if i == 0 {
			a = scriptPath(a)
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		if i == 0 && (strings.HasPrefix(a, "<") || strings.HasPrefix(a, ">")) {
			b.WriteString(a) // keepalived's file-test redirection, unquoted
			continue
		}
		b.WriteString("'" + a + "'")
	}
	return b.String()
}

// SocketDrops reports the receive sockets' drops, one entry per
// interface (IPv4, IPv6 and AH sockets of one interface summed).
func (v *Subsystem) SocketDrops() []metrics.SocketDrops {
	v.mu.Lock()
	rt := v.rt
	v.mu.Unlock()
	var out []metrics.SocketDrops
	at := map[string]int{}
	for _, s := range rt.Sockets() {
		i, ok := at[s.Spec.Iface]
		if !ok {
			i = len(out)
			at[s.Spec.Iface] = i
			out = append(out, metrics.SocketDrops{Interface: s.Spec.Iface})
		}
		out[i].TooShort += s.TooShort
		out[i].UnknownVRID += s.UnknownVRID
	}
	return out
}

// vipString is keepalived's "10.9.9.9 dev eth0 scope global set".
func vipString(a conf.IPAddress, dflt string, set bool) string {
	dev, scope := a.Dev, a.Scope
	if dev == "" {
		dev = dflt
	}
	if scope == "" {
		scope = "global"
	}
	s := fmt.Sprintf("%s dev %s scope %s", a.Prefix.Addr(), dev, scope)
	if a.Prefix.Bits() != a.Prefix.Addr().BitLen() {
		s = fmt.Sprintf("%s dev %s scope %s", a.Prefix, dev, scope)
	}
	if set {
		s += " set"
	}
	return s
}

// addDrop files a drop under the keepalived counter it belongs to.
func addDrop(s *dumps.Stats, reason string, n uint64) {
	for r := validate.Reason(1); r < validate.NumReasons; r++ {
		if r.String() != reason {
			continue
		}
		switch r.Stat() {
		case "Packet Errors: Length":
			s.PacketLenErr += n
		case "Packet Errors: TTL":
			s.IPTTLErr += n
		case "Packet Errors: Invalid Type":
			s.InvalidTypeRcvd += n
		case "Packet Errors: Advertisement Interval":
			s.AdvertIntervalErr += n
		case "Authentication Errors: Invalid Type":
			s.InvalidAuthType += n
		case "Authentication Errors: Type Mismatch":
			s.AuthTypeMismatch += n
		case "Authentication Errors: Failure":
			s.AuthFailure += n
		case "Authentication Extension Errors: Missing":
			s.AuthExtMissing += n
		case "Authentication Extension Errors: Malformed":
			s.AuthExtMalformed += n
		case "Authentication Extension Errors: Unknown Key":
			s.AuthExtUnknownKey += n
		case "Authentication Extension Errors: Invalid HMAC":
			s.AuthExtInvalidHMAC += n
		case "Authentication Extension Errors: Stale":
			s.AuthExtStale += n
		case "Authentication Extension Errors: Replay":
			s.AuthExtReplay += n
		}
	}
}

// Scripts reports the vrrp_scripts for the data dump, with the state
// the runtime has for them (an untracked script is not run: BAD, idle).
func (v *Subsystem) Scripts() []dumps.Script {
	v.mu.Lock()
	defer v.mu.Unlock()
	run := map[string]vrrpd.ScriptStatus{}
	for _, s := range v.rt.Scripts() {
		run[s.Name] = s
	}
	var out []dumps.Script
	for _, s := range v.cfg.VRRPScripts {
		d := dumps.Script{Name: s.Name, Interval: s.Interval, Timeout: s.Timeout, Weight: s.Weight,
			Reverse: s.Reverse, Rise: s.Rise, Fall: s.Fall}
		if s.Script != nil {
			d.Command = cmdStr(s.Script.Argv)
		}
		if r, ok := run[s.Name]; ok {
			d.Result, d.Good, d.Running, d.InitState = r.Result, r.Up, r.Running, r.InitState
		}
		d.UID, d.GID = userIDs(s.User, s.Group, v.cfg.Global)
		for _, in := range v.cfg.VRRPInstances {
			for _, t := range in.TrackScripts {
				if t.Name == s.Name {
					d.Users = append(d.Users, fmt.Sprintf("%s, weight %d%s", in.Name, t.Weight, revStr(t.Reverse)))
				}
			}
		}
		out = append(out, d)
	}
	return out
}

// userIDs are the uid and gid a script runs as: its user, else
// script_user, else root.
func userIDs(name, group string, g conf.GlobalDefs) (uid, gid int) {
	if name == "" {
		name, group = g.ScriptUser, g.ScriptGroup
	}
	if name == "" {
		return 0, 0
	}
	if u, err := user.Lookup(name); err == nil {
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
	}
	if group != "" {
		if gr, err := user.LookupGroup(group); err == nil {
			gid, _ = strconv.Atoi(gr.Gid)
		}
	}
	return uid, gid
}
