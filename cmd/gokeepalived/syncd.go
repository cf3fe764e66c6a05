package main

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/vrrp"
)

// syncHandle is what the sync daemon needs of IPVS.
type syncHandle interface {
	NewSyncDaemon(ipvs.SyncDaemon) error
	DelSyncDaemon(ipvs.SyncState) error
	Close() error
}

// syncFollower runs the IPVS connection-sync daemon of lvs_sync_daemon in
// the role of its VRRP instance, as keepalived's VRRP process does: backup
// from the start, master while the instance is MASTER, stopped at exit.
type syncFollower struct {
	log      *slog.Logger
	h        syncHandle
	instance string
	base     ipvs.SyncDaemon

	mu  sync.Mutex
	cur ipvs.SyncState // 0: none running
}

// newSyncFollower returns nil when no lvs_sync_daemon names an instance.
func newSyncFollower(log *slog.Logger, cfg *conf.Config, h syncHandle) *syncFollower {
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
	return &syncFollower{log: log, h: h, instance: sd.Instance, base: ipvs.SyncDaemon{
		Interface: sd.Interface, SyncID: uint32(max(id, 0)), MaxLen: sd.MaxLen, Port: sd.Port, TTL: sd.TTL, Group: sd.Group}}
}

func (f *syncFollower) switchTo(s ipvs.SyncState) {
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

func (f *syncFollower) start() { f.switchTo(ipvs.SyncBackup) }

// onState follows the instance: master while MASTER, backup otherwise.
func (f *syncFollower) onState(instance string, s vrrp.State) {
	if instance != f.instance {
		return
	}
	if s == vrrp.StateMaster {
		f.switchTo(ipvs.SyncMaster)
	} else {
		f.switchTo(ipvs.SyncBackup)
	}
}

func (f *syncFollower) stop() {
	f.switchTo(0)
	f.h.Close()
}
