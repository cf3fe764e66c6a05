package checkerd

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/ipvs"
)

// SyncHandle is what the sync daemon needs of IPVS (*ipvs.Conn).
type SyncHandle interface {
	NewSyncDaemon(ipvs.SyncDaemon) error
	DelSyncDaemon(ipvs.SyncState) error
	Close() error
}

// SyncFollower runs the IPVS connection-sync daemon of lvs_sync_daemon in
// the role of its VRRP instance, as keepalived's VRRP process does: backup
// from the start, master while the instance is MASTER, stopped at exit.
// The VRRP subsystem drives it (OnVRRPState); this package does not see
// VRRP's types.
type SyncFollower struct {
	log      *slog.Logger
	h        SyncHandle
	instance string
	base     ipvs.SyncDaemon

	mu  sync.Mutex
	cur ipvs.SyncState // 0: none running
}

// NewSyncFollower returns nil when no lvs_sync_daemon names an instance.
func NewSyncFollower(log *slog.Logger, cfg *conf.Config, h SyncHandle) *SyncFollower {
	sd := cfg.Global.LVSSyncDaemon
	if sd == nil || sd.Instance == "" {
		return nil
	}
	id := sd.SyncID
	if id < 0 {
		// keepalived: the sync id defaults to the instance's VRID.
		for _, in := range cfg.VRRPInstances {
			if in.Name == sd.Instance {
				id = in.VRID
			}
		}
	}
	return &SyncFollower{log: log, h: h, instance: sd.Instance, base: ipvs.SyncDaemon{
		Interface: sd.Interface, SyncID: uint32(max(id, 0)), MaxLen: sd.MaxLen, Port: sd.Port, TTL: sd.TTL, Group: sd.Group}}
}

func (f *SyncFollower) switchTo(s ipvs.SyncState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cur == s {
		return
	}
	if f.cur != 0 {
		if err := f.h.DelSyncDaemon(f.cur); err != nil {
			f.log.Error(fmt.Sprintf("IPVS: stopping the %s sync daemon: %v", f.cur, err))
		}
	}
	f.cur = 0
	if s == 0 {
		return
	}
	d := f.base
	d.State = s
	if err := f.h.NewSyncDaemon(d); err != nil {
		f.log.Error(fmt.Sprintf("IPVS: starting the %s sync daemon on %s: %v", s, d.Interface, err))
		return
	}
	f.cur = s
}

// Start runs the sync daemon as backup, the role before any state.
func (f *SyncFollower) Start() { f.switchTo(ipvs.SyncBackup) }

// OnVRRPState follows the instance: master while it is MASTER, backup in
// any other state. Other instances are ignored.
func (f *SyncFollower) OnVRRPState(instance string, master bool) {
	if instance != f.instance {
		return
	}
	if master {
		f.switchTo(ipvs.SyncMaster)
	} else {
		f.switchTo(ipvs.SyncBackup)
	}
}

// Stop stops the sync daemon and closes the handle.
func (f *SyncFollower) Stop() {
	f.switchTo(0)
	f.h.Close()
}
