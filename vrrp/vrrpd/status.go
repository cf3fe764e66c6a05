package vrrpd

import (
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/validate"
)

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
