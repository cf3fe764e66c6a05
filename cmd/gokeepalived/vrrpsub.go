package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/gokeepalived/gokeepalived/cmd/gokeepalived/internal/dumps"
	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/smtpalert"
	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/netio"
	"github.com/gokeepalived/gokeepalived/vrrp/nft"
	"github.com/gokeepalived/gokeepalived/vrrp/validate"
)

// vrrpSub is the VRRP subsystem (keepalived's --vrrp child) around
// vrrp.Runtime.
type vrrpSub struct {
	log      *slog.Logger
	deps     func(*slog.Logger) vrrp.Deps
	openSync func() (syncHandle, error)
	syncd    *syncFollower

	mu     sync.Mutex
	cfg    *conf.Config
	rt     *vrrp.Runtime
	alerts *smtpalert.Sender // configured at each reload: router_id alone changes the subjects
	cancel context.CancelFunc
	done   chan struct{}
	since  map[string]time.Time // last transition per instance, for dumps
	last   map[string]vrrp.State
}

// newVRRPSub: keepVIPs is -V, VIPs stay on the interfaces at stop.
func newVRRPSub(log *slog.Logger, keepVIPs bool) *vrrpSub {
	return &vrrpSub{log: log, deps: func(l *slog.Logger) vrrp.Deps {
		return vrrp.Deps{Net: netio.Net{}, Addrs: netio.Addrs{}, Announcer: netio.NewAnnouncer(), Links: netio.Links{Resynced: func(m string, err error) {
			l.Warn(fmt.Sprintf("Netlink %s monitor lost its subscription (%v): subscribed again and resynced", m, err))
		}}, Log: l,
			KeepVIPs: keepVIPs,
			VMACs:    netio.NewVMACs(l), Routes: netio.Routes{},
			Firewall: func(c nft.Config) (nft.Firewall, error) { return nft.Open(c) }}
	}, openSync: func() (syncHandle, error) { return ipvs.Open(ipvs.Options{}) }}
}

func (v *vrrpSub) Start(ctx context.Context, cfg *conf.Config) error {
	deps := v.deps(v.log)
	if sd := cfg.Global.LVSSyncDaemon; sd != nil && sd.Instance != "" {
		h, err := v.openSync()
		if err != nil {
			v.log.Error(fmt.Sprintf("IPVS: Can't initialize ipvs for lvs_sync_daemon: %v", err))
		} else {
			v.syncd = newSyncFollower(v.log, cfg, h)
			v.syncd.start()
			deps.OnState = v.syncd.onState
		}
	}
	alerts := smtpalert.New(smtpalert.FromGlobal(&cfg.Global), v.log)
	deps.Alerts = alerts
	rt, err := vrrp.NewRuntime(cfg, deps)
	if err != nil {
		if v.syncd != nil {
			v.syncd.stop()
		}
		alerts.Close(0)
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	v.mu.Lock()
	v.cfg, v.rt, v.cancel, v.done, v.alerts = cfg, rt, cancel, done, alerts
	v.since, v.last = map[string]time.Time{}, map[string]vrrp.State{}
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
func (v *vrrpSub) Reload(ctx context.Context, cfg *conf.Config) error {
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
	}
	v.mu.Lock()
	v.cfg = cfg
	v.mu.Unlock()
	return nil
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

func (v *vrrpSub) Stop(ctx context.Context) error {
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
	if v.syncd != nil {
		v.syncd.stop()
	}
	return nil
}

func (v *vrrpSub) ClearStats() { v.rt.ClearStats() }

// Ping answers once the VRRP loop has turned (the systemd watchdog).
func (v *vrrpSub) Ping(ctx context.Context) error { return v.rt.Ping(ctx) }

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

// Instances describes every instance as keepalived's dumps do.
func (v *vrrpSub) Instances() []dumps.Instance {
	v.mu.Lock()
	defer v.mu.Unlock()
	byName := map[string]*conf.VRRPInstance{}
	for _, in := range v.cfg.VRRPInstances {
		byName[in.Name] = in
	}
	g := v.cfg.Global
	var out []dumps.Instance
	for _, st := range v.rt.States() {
		if v.last[st.Name] != st.State {
			v.last[st.Name], v.since[st.Name] = st.State, time.Now()
		}
		d := dumps.Instance{Name: st.Name, VRID: int(st.Key.VRID), State: stateNumber(st.State), WantState: stateNumber(st.State),
			BasePriority: int(st.Priority), EffectivePriority: int(st.EffectivePriority), LastTransition: v.since[st.Name],
			VIPSet: st.State == vrrp.StateMaster, Interface: st.Key.Interface,
			Stats: dumps.Stats{AdvertRcvd: st.AdvertsRcvd, AdvertSent: st.AdvertsSent, BecomeMaster: st.BecameMaster,
				ReleaseMaster: st.ReleasedMaster, PriZeroRcvd: st.PriZeroRcvd, PriZeroSent: st.PriZeroSent,
				AddrListErr: st.AddrListErr}}
		for name, n := range st.Drops {
			addDrop(&d.Stats, name, n)
		}
		if c := byName[st.Name]; c != nil {
			d.Version, d.AdverInt, d.MasterAdverInt = c.Version, c.AdvertInt, c.AdvertInt
			d.GARPDelay, d.GARPRepeat = g.VRRPGARPMasterDelay, int(g.VRRPGARPMasterRepeat)
			d.GARPRefresh, d.GARPRefreshRepeat = g.VRRPGARPMasterRefresh, int(g.VRRPGARPMasterRefreshRepeat)
			d.GARPLowerDelay, d.GARPLowerRepeat = d.GARPDelay, d.GARPRepeat
			if g.VRRPGARPLowerPrioDelay != nil {
				d.GARPLowerDelay = *g.VRRPGARPLowerPrioDelay
			}
			if g.VRRPGARPLowerPrioRepeat != nil {
				d.GARPLowerRepeat = int(*g.VRRPGARPLowerPrioRepeat)
			}
			d.Accept, d.NoPreempt = true, c.Nopreempt
			switch c.AuthType {
			case "PASS":
				d.AuthType, d.AuthData = 1, c.AuthPass
			case "AH":
				d.AuthType = 2
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
		}
	}
}

// Scripts reports the vrrp_scripts for the data dump.
func (v *vrrpSub) Scripts() []dumps.Script {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []dumps.Script
	for _, s := range v.cfg.VRRPScripts {
		d := dumps.Script{Name: s.Name, Interval: s.Interval, Timeout: s.Timeout, Weight: s.Weight,
			Reverse: s.Reverse, Rise: s.Rise, Fall: s.Fall}
		if s.Script != nil {
			d.Command = strings.Join(s.Script.Argv, " ")
		}
		out = append(out, d)
	}
	return out
}
