package checkerd

import (
	"testing"

	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
)

type fakeSyncHandle struct{ *ipvsfake.Fake }

func (fakeSyncHandle) Close() error { return nil }

func daemons(t *testing.T, f *ipvsfake.Fake) map[ipvs.SyncState]ipvs.SyncDaemon {
	t.Helper()
	ds, err := f.SyncDaemons()
	if err != nil {
		t.Fatal(err)
	}
	m := map[ipvs.SyncState]ipvs.SyncDaemon{}
	for _, d := range ds {
		m[d.State] = d
	}
	return m
}

// The sync daemon follows its instance as keepalived's vrrp.c does:
// backup at start, master on MASTER, backup on leaving, none at exit.
func TestSyncDaemonFollowsInstance(t *testing.T) {
	cfg, diags := loadString(t, `global_defs {
  lvs_sync_daemon eth0 VI_1 maxlen 1400 port 8850 ttl 2
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 42
  priority 100
  virtual_ipaddress {
    10.0.0.1
  }
}
`)
	if diags.ExitCode() != 0 {
		t.Fatal(diags.List)
	}
	fake := ipvsfake.New()
	f := NewSyncFollower(daemon.NewLogger(daemon.LogOptions{}), cfg, fakeSyncHandle{fake})
	if f == nil {
		t.Fatal("no follower for lvs_sync_daemon")
	}
	f.Start()
	ds := daemons(t, fake)
	if len(ds) != 1 || ds[ipvs.SyncBackup].Interface != "eth0" || ds[ipvs.SyncBackup].SyncID != 42 ||
		ds[ipvs.SyncBackup].MaxLen != 1400 || ds[ipvs.SyncBackup].Port != 8850 || ds[ipvs.SyncBackup].TTL != 2 {
		t.Fatalf("at start: %+v", ds)
	}
	f.OnVRRPState("VI_2", true) // another instance: no change
	f.OnVRRPState("VI_1", true)
	if ds := daemons(t, fake); len(ds) != 1 || ds[ipvs.SyncMaster].SyncID != 42 {
		t.Fatalf("as MASTER: %+v", ds)
	}
	f.OnVRRPState("VI_1", false)
	if ds := daemons(t, fake); len(ds) != 1 || ds[ipvs.SyncBackup].Interface != "eth0" {
		t.Fatalf("after leaving MASTER: %+v", ds)
	}
	f.Stop()
	if ds := daemons(t, fake); len(ds) != 0 {
		t.Fatalf("after stop: %+v", ds)
	}
}
