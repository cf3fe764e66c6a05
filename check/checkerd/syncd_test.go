package checkerd

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/gokeepalived/gokeepalived/conf"
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

// ops are the fake's daemon calls since the last reset, and resets them.
func ops(f *ipvsfake.Fake) string {
	var out []string
	for _, c := range f.Calls() {
		out = append(out, c.Op)
	}
	f.ResetCalls()
	return strings.Join(out, " ")
}

// syncConfig is a config whose global_defs holds the lvs_sync_daemon
// line sd (none when empty), with instances VI_1 (VRID 42) and VI_2 (43).
func syncConfig(t *testing.T, sd string) *conf.Config {
	t.Helper()
	g := ""
	if sd != "" {
		g = "  lvs_sync_daemon " + sd + "\n"
	}
	text := "global_defs {\n" + g + "}\n"
	for i, name := range []string{"VI_1", "VI_2"} {
		text += fmt.Sprintf("vrrp_instance %s {\n  interface eth0\n  virtual_router_id %d\n  priority 100\n  virtual_ipaddress {\n    10.0.0.%d\n  }\n}\n", name, 42+i, i+1)
	}
	cfg, diags := loadString(t, text)
	if diags.ExitCode() != 0 {
		t.Fatal(diags.List)
	}
	return cfg
}

func newTestFollower(fake *ipvsfake.Fake, mode SyncMode) *SyncFollower {
	return NewSyncFollower(daemon.NewLogger(daemon.LogOptions{Console: &strings.Builder{}}), fakeSyncHandle{fake}, mode)
}

// The sync daemon follows its instance as keepalived's vrrp.c does:
// backup at start, master on MASTER, backup on leaving, none at exit.
func TestSyncDaemonFollowsInstance(t *testing.T) {
	fake := ipvsfake.New()
	f := newTestFollower(fake, SyncFollowInstance)
	f.Start(syncConfig(t, "eth0 VI_1 maxlen 1400 port 8850 ttl 2"))
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
	if got, ok := f.IPVSSyncDaemons(); !ok || len(got) != 1 || got[0].State != ipvs.SyncBackup {
		t.Errorf("IPVSSyncDaemons: %+v %v", got, ok)
	}
	f.Stop()
	if ds := daemons(t, fake); len(ds) != 0 {
		t.Fatalf("after stop: %+v", ds)
	}
}

// A reload restarts the daemon only when one of its settings changed,
// stops it when lvs_sync_daemon is removed and follows a renamed
// instance in that instance's role.
func TestSyncDaemonReload(t *testing.T) {
	fake := ipvsfake.New()
	f := newTestFollower(fake, SyncFollowInstance)
	f.Start(syncConfig(t, "eth0 VI_1"))
	f.OnVRRPState("VI_1", true)
	f.OnVRRPState("VI_2", false)
	ops(fake)
	steps := []struct {
		sd, ops string
		want    ipvs.SyncDaemon // State 0: none
	}{
		{"eth0 VI_1", "", ipvs.SyncDaemon{State: ipvs.SyncMaster, Interface: "eth0", SyncID: 42}},
		{"eth0 inst VI_1", "", ipvs.SyncDaemon{State: ipvs.SyncMaster, Interface: "eth0", SyncID: 42}},
		{"eth1 VI_1", "del-daemon new-daemon", ipvs.SyncDaemon{State: ipvs.SyncMaster, Interface: "eth1", SyncID: 42}},
		{"eth1 VI_1 id 7", "del-daemon new-daemon", ipvs.SyncDaemon{State: ipvs.SyncMaster, Interface: "eth1", SyncID: 7}},
		{"eth1 VI_1 id 7 maxlen 1000", "del-daemon new-daemon", ipvs.SyncDaemon{State: ipvs.SyncMaster, Interface: "eth1", SyncID: 7, MaxLen: 1000}},
		{"eth1 VI_1 id 7 maxlen 1000", "", ipvs.SyncDaemon{State: ipvs.SyncMaster, Interface: "eth1", SyncID: 7, MaxLen: 1000}},
		{"eth1 VI_1 id 7", "del-daemon new-daemon", ipvs.SyncDaemon{State: ipvs.SyncMaster, Interface: "eth1", SyncID: 7, MaxLen: 1472}},
		{"eth1 VI_1 id 7 port 9000", "del-daemon new-daemon", ipvs.SyncDaemon{State: ipvs.SyncMaster, Interface: "eth1", SyncID: 7, Port: 9000}},
		{"eth1 VI_1 id 7 port 9000 ttl 3", "del-daemon new-daemon", ipvs.SyncDaemon{State: ipvs.SyncMaster, Interface: "eth1", SyncID: 7, Port: 9000, TTL: 3}},
		{"eth1 VI_1 id 7 port 9000 ttl 3 group 239.1.1.1", "del-daemon new-daemon",
			ipvs.SyncDaemon{State: ipvs.SyncMaster, Interface: "eth1", SyncID: 7, Port: 9000, TTL: 3, Group: netip.MustParseAddr("239.1.1.1")}},
		// another instance, BACKUP: the master daemon gives way to a backup
		{"eth1 VI_2 id 7 port 9000 ttl 3 group 239.1.1.1", "del-daemon new-daemon",
			ipvs.SyncDaemon{State: ipvs.SyncBackup, Interface: "eth1", SyncID: 7, Port: 9000, TTL: 3, Group: netip.MustParseAddr("239.1.1.1")}},
		{"", "del-daemon", ipvs.SyncDaemon{}},
		{"", "", ipvs.SyncDaemon{}},
		// added back: the role VI_1 has now
		{"eth0 VI_1", "new-daemon", ipvs.SyncDaemon{State: ipvs.SyncMaster, Interface: "eth0", SyncID: 42}},
		// no instance: not the VRRP side's (the checker runs it)
		{"eth0", "del-daemon", ipvs.SyncDaemon{}},
		// an unknown instance: keepalived clears lvs_sync_daemon
		{"eth0 VI_9", "", ipvs.SyncDaemon{}},
	}
	for _, s := range steps {
		f.Reload(syncConfig(t, s.sd))
		if got := ops(fake); got != s.ops {
			t.Errorf("reload to %q: operations %q, want %q", s.sd, got, s.ops)
		}
		ds := daemons(t, fake)
		if s.want.State == 0 {
			if len(ds) != 0 {
				t.Errorf("reload to %q: %+v, want none", s.sd, ds)
			}
			continue
		}
		got, ok := ds[s.want.State]
		w := s.want
		if !ok || len(ds) != 1 || got.Interface != w.Interface || got.SyncID != w.SyncID ||
			(w.MaxLen != 0 && got.MaxLen != w.MaxLen) || (w.Port != 0 && got.Port != w.Port) ||
			(w.TTL != 0 && got.TTL != w.TTL) || (w.Group.IsValid() && got.Group != w.Group) {
			t.Errorf("reload to %q: %+v, want %+v", s.sd, ds, w)
		}
	}
	f.Stop()
}

// With no instance named, keepalived's checker runs master and backup
// daemons together (sync id 0 by default), and stops both at exit.
func TestSyncDaemonBoth(t *testing.T) {
	fake := ipvsfake.New()
	f := newTestFollower(fake, SyncBoth)
	f.Start(syncConfig(t, "eth0 VI_1")) // the VRRP side's
	if ds := daemons(t, fake); len(ds) != 0 {
		t.Fatalf("with an instance: %+v", ds)
	}
	f.Reload(syncConfig(t, "eth0 maxlen 1200"))
	ds := daemons(t, fake)
	if len(ds) != 2 || ds[ipvs.SyncMaster].SyncID != 0 || ds[ipvs.SyncBackup].SyncID != 0 ||
		ds[ipvs.SyncMaster].MaxLen != 1200 || ds[ipvs.SyncBackup].Interface != "eth0" {
		t.Fatalf("both: %+v", ds)
	}
	ops(fake)
	f.Reload(syncConfig(t, "eth0 maxlen 1200"))
	if got := ops(fake); got != "" {
		t.Errorf("unchanged reload: %q", got)
	}
	f.Reload(syncConfig(t, "eth0 id 3"))
	if got := ops(fake); got != "del-daemon del-daemon new-daemon new-daemon" {
		t.Errorf("changed reload: %q", got)
	}
	f.Stop()
	if ds := daemons(t, fake); len(ds) != 0 {
		t.Fatalf("after stop: %+v", ds)
	}
}

// At start a daemon already running as wanted (left by a crashed run) is
// adopted, one running otherwise is replaced, and one of the other role
// is stopped as keepalived's role changes stop it.
func TestSyncDaemonAdoptsAtStart(t *testing.T) {
	fake := ipvsfake.New()
	fake.NewSyncDaemon(ipvs.SyncDaemon{State: ipvs.SyncBackup, Interface: "eth0", SyncID: 42})
	fake.NewSyncDaemon(ipvs.SyncDaemon{State: ipvs.SyncMaster, Interface: "eth0", SyncID: 42})
	fake.ResetCalls()
	f := newTestFollower(fake, SyncFollowInstance)
	f.Start(syncConfig(t, "eth0 VI_1"))
	if got := ops(fake); got != "del-daemon" {
		t.Errorf("adopting the backup: %q", got)
	}
	f.Stop()

	fake.NewSyncDaemon(ipvs.SyncDaemon{State: ipvs.SyncBackup, Interface: "eth1", SyncID: 42})
	fake.ResetCalls()
	f = newTestFollower(fake, SyncFollowInstance)
	f.Start(syncConfig(t, "eth0 VI_1"))
	if got := ops(fake); got != "del-daemon new-daemon" {
		t.Errorf("replacing a backup on eth1: %q", got)
	}
	if ds := daemons(t, fake); ds[ipvs.SyncBackup].Interface != "eth0" {
		t.Errorf("%+v", ds)
	}
	f.Stop()
}

// The checker side leaves alone the daemons the VRRP side runs: a reload
// that moves lvs_sync_daemon from no instance to one hands them over.
func TestSyncDaemonHandOver(t *testing.T) {
	fake := ipvsfake.New()
	chk := newTestFollower(fake, SyncBoth)
	vr := newTestFollower(fake, SyncFollowInstance)
	cfg := syncConfig(t, "eth0")
	chk.Start(cfg)
	vr.Start(cfg)
	cfg = syncConfig(t, "eth0 VI_1")
	vr.Reload(cfg) // the VRRP subsystem reloads first
	chk.Reload(cfg)
	ds := daemons(t, fake)
	if len(ds) != 1 || ds[ipvs.SyncBackup].SyncID != 42 {
		t.Fatalf("after the hand-over: %+v", ds)
	}
	chk.Stop()
	if ds := daemons(t, fake); len(ds) != 1 {
		t.Fatalf("the checker stopped the VRRP side's daemon: %+v", ds)
	}
	vr.Stop()
}
