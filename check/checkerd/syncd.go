package checkerd

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"syscall"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/ipvs"
)

// SyncHandle is what the sync daemon needs of IPVS (*ipvs.Conn).
type SyncHandle interface {
	SyncDaemons() ([]ipvs.SyncDaemon, error)
	NewSyncDaemon(ipvs.SyncDaemon) error
	DelSyncDaemon(ipvs.SyncState) error
	Close() error
}

// SyncMode says which lvs_sync_daemon a follower runs: keepalived's VRRP
// process runs the one naming an instance, its checker process the one
// naming none (both daemons at once).
type SyncMode int

const (
	// SyncFollowInstance: the daemon of the named instance's role.
	SyncFollowInstance SyncMode = iota
	// SyncBoth: master and backup daemons together, with no instance.
	SyncBoth
)

// SyncFollower runs the IPVS connection-sync daemons of lvs_sync_daemon
// as keepalived does. With an instance (the VRRP side): backup from the
// start, master while the instance is MASTER, the other role's daemon
// stopped; with none (the checker side): master and backup together.
// Stopped at exit. A reload restarts a daemon only when its settings
// changed (interface, id, maxlen, port, ttl, group) and stops what a
// removed lvs_sync_daemon ran. At start, daemons the kernel already runs
// with the wanted settings (a restart after a crash) are adopted.
// The VRRP subsystem drives it (OnVRRPState); it sees no VRRP type.
type SyncFollower struct {
	log  *slog.Logger
	h    SyncHandle
	mode SyncMode

	mu     sync.Mutex
	want   *syncWant                          // nil: no daemon
	master map[string]bool                    // the instances' last states
	ran    map[ipvs.SyncState]ipvs.SyncDaemon // started or adopted, as asked
}

// syncWant is an lvs_sync_daemon as this follower runs it.
type syncWant struct {
	instance string
	d        ipvs.SyncDaemon // State unset
}

// NewSyncFollower returns a follower of mode over h; it runs nothing
// until Start.
func NewSyncFollower(log *slog.Logger, h SyncHandle, mode SyncMode) *SyncFollower {
	return &SyncFollower{log: log, h: h, mode: mode, master: map[string]bool{},
		ran: map[ipvs.SyncState]ipvs.SyncDaemon{}}
}

// SyncWanted says whether cfg has an lvs_sync_daemon for mode.
func SyncWanted(cfg *conf.Config, mode SyncMode) bool {
	sd := cfg.Global.LVSSyncDaemon
	return sd != nil && (sd.Instance == "") == (mode == SyncBoth)
}

// wantOf is cfg's lvs_sync_daemon for f's mode, nil if none.
func (f *SyncFollower) wantOf(cfg *conf.Config) *syncWant {
	if !SyncWanted(cfg, f.mode) {
		return nil
	}
	sd := cfg.Global.LVSSyncDaemon
	id := sd.SyncID
	if sd.Instance != "" {
		found := false
		for _, in := range cfg.VRRPInstances {
			if in.Name == sd.Instance {
				found = true
				if id < 0 {
					id = in.VRID // keepalived: the sync id defaults to the VRID
				}
			}
		}
		if !found {
			f.log.Error(fmt.Sprintf("Unable to find vrrp instance %s for lvs_syncd - clearing lvs_syncd config", sd.Instance))
			return nil
		}
	}
	return &syncWant{instance: sd.Instance, d: ipvs.SyncDaemon{Interface: sd.Interface, SyncID: uint32(max(id, 0)),
		MaxLen: sd.MaxLen, Port: sd.Port, TTL: sd.TTL, Group: sd.Group}}
}

// Start runs cfg's daemons: backup (the role before any state) or both.
func (f *SyncFollower) Start(cfg *conf.Config) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.want = f.wantOf(cfg)
	f.apply(true)
}

// Reload applies cfg's lvs_sync_daemon: nothing is restarted unless its
// settings changed; the instance's role is the one last reported.
func (f *SyncFollower) Reload(cfg *conf.Config) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.want = f.wantOf(cfg)
	f.apply(false)
}

// OnVRRPState records an instance's state and follows the configured
// one: master while it is MASTER, backup in any other state.
func (f *SyncFollower) OnVRRPState(instance string, master bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.master[instance] = master
	if f.want != nil && f.want.instance == instance {
		f.apply(false)
	}
}

// Stop stops the daemons and closes the handle.
func (f *SyncFollower) Stop() {
	f.mu.Lock()
	f.want = nil
	f.apply(false)
	f.mu.Unlock()
	f.h.Close()
}

// IPVSSyncDaemons reads the sync daemons the kernel runs (not the
// config); ok is false when the read failed.
func (f *SyncFollower) IPVSSyncDaemons() ([]ipvs.SyncDaemon, bool) {
	ds, err := f.h.SyncDaemons()
	return ds, err == nil
}

// wanted is the daemon per role that f.want asks for now.
func (f *SyncFollower) wanted() map[ipvs.SyncState]ipvs.SyncDaemon {
	out := map[ipvs.SyncState]ipvs.SyncDaemon{}
	if f.want == nil {
		return out
	}
	states := []ipvs.SyncState{ipvs.SyncMaster, ipvs.SyncBackup}
	if f.mode == SyncFollowInstance {
		states = []ipvs.SyncState{ipvs.SyncBackup}
		if f.master[f.want.instance] {
			states = []ipvs.SyncState{ipvs.SyncMaster}
		}
	}
	for _, s := range states {
		d := f.want.d
		d.State = s
		out[s] = d
	}
	return out
}

// runs says whether the kernel's daemon k is what w asks for: the kernel
// reports its defaults for what w leaves unset.
func runs(k, w ipvs.SyncDaemon) bool {
	return k.Interface == w.Interface && k.SyncID == w.SyncID &&
		(w.MaxLen == 0 || k.MaxLen == w.MaxLen) && (w.Port == 0 || k.Port == w.Port) &&
		(w.TTL == 0 || k.TTL == w.TTL) && (!w.Group.IsValid() || k.Group == w.Group)
}

// apply makes the kernel's daemons those wanted: stops first (keepalived
// stops the other role before starting one), then starts. A daemon of a
// role f does not own (not following an instance, not started by f) is
// left alone; one running as wanted is kept. At start, a daemon not
// started by f that runs as wanted is adopted.
func (f *SyncFollower) apply(start bool) {
	want := f.wanted()
	kernel := map[ipvs.SyncState]ipvs.SyncDaemon{}
	ds, err := f.h.SyncDaemons()
	if err != nil {
		// act on what f ran
		f.log.Error(fmt.Sprintf("IPVS: listing the sync daemons: %v", err))
		for s, d := range f.ran {
			kernel[s] = d
		}
	}
	for _, d := range ds {
		kernel[d.State] = d
	}
	for _, s := range []ipvs.SyncState{ipvs.SyncMaster, ipvs.SyncBackup} {
		k, running := kernel[s]
		w, wanted := want[s]
		prev, ours := f.ran[s]
		if ours && !runs(k, prev) {
			ours = false // stopped or replaced behind our back
		}
		keep := wanted && running && runs(k, w) && (ours && prev == w || !ours && start)
		if keep {
			f.ran[s] = w
			continue
		}
		if ours && wanted && !start && prev != w {
			f.log.Info(fmt.Sprintf("IPVS: lvs_sync_daemon changed: restarting the %s sync daemon", s))
		}
		delete(f.ran, s)
		owned := ours || wanted || f.mode == SyncFollowInstance && f.want != nil
		if !running || !owned {
			continue
		}
		if err := f.h.DelSyncDaemon(s); err != nil && !errors.Is(err, syscall.ESRCH) {
			f.log.Error(fmt.Sprintf("IPVS: stopping the %s sync daemon: %v", s, err))
			continue
		}
		delete(kernel, s)
	}
	for _, s := range []ipvs.SyncState{ipvs.SyncMaster, ipvs.SyncBackup} {
		w, wanted := want[s]
		if _, kept := f.ran[s]; !wanted || kept {
			continue
		}
		if _, running := kernel[s]; running {
			continue // someone else's, reported when stopping it failed
		}
		if err := f.h.NewSyncDaemon(w); err != nil {
			f.log.Error(fmt.Sprintf("IPVS: starting the %s sync daemon on %s: %v", s, w.Interface, err))
			continue
		}
		f.ran[s] = w
	}
}
