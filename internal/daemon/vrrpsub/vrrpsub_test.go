package vrrpsub

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/internal/dumps"
	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrpd"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest"
)

// The daemon holds the subsystem as its daemon.VRRP.
var _ daemon.VRRP = (*Subsystem)(nil)

// follower records what the subsystem hands the checker side.
type follower struct {
	mu       sync.Mutex
	states   []string
	stopped  bool
	started  *conf.Config
	reloaded []*conf.Config
}

func (f *follower) Start(cfg *conf.Config) { f.mu.Lock(); f.started = cfg; f.mu.Unlock() }

func (f *follower) Reload(cfg *conf.Config) {
	f.mu.Lock()
	f.reloaded = append(f.reloaded, cfg)
	f.mu.Unlock()
}

func (f *follower) IPVSSyncDaemons() ([]ipvs.SyncDaemon, bool) { return nil, true }

func (f *follower) OnVRRPState(instance string, master bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.states = append(f.states, fmt.Sprintf("%s:%v", instance, master))
}

func (f *follower) Stop() { f.mu.Lock(); f.stopped = true; f.mu.Unlock() }

func (f *follower) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fmt.Sprintf("%v stopped=%v", f.states, f.stopped)
}

const testConf = `global_defs {
 lvs_sync_daemon eth0 VI_1
 enable_script_security
 script_user root
}
vrrp_script chk {
 script "/bin/true"
}
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 priority %d
 advert_int 1
 virtual_ipaddress {
  10.0.0.100/32
 }
 track_script {
  chk
 }
}
`

// fakeDeps put the runtime on one interface of an in-memory segment.
func fakeDeps(l *slog.Logger) vrrpd.Deps {
	return vrrpd.Deps{Net: &vrrptest.Net{Hub: vrrptest.NewHub(), Node: "lb1", Ifaces: map[string]vrrp.IfaceInfo{
		"eth0": {Index: 2, Up: true, Addr4: netip.MustParseAddr("10.0.0.1")}}},
		Addrs: &vrrptest.Addrs{}, Announcer: &vrrptest.Announcer{}, Scripts: &vrrptest.Scripts{}, Log: l}
}

func load(t *testing.T, prio int) *conf.Config {
	t.Helper()
	p := filepath.Join(t.TempDir(), "keepalived.conf")
	if err := os.WriteFile(p, fmt.Appendf(nil, testConf, prio), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := conf.Load(p, conf.Options{ConfigID: "t", InterfaceExists: func(string) bool { return true }})
	if diags.ExitCode() != 0 {
		t.Fatalf("config: %v", diags.List)
	}
	return cfg
}

// The subsystem runs the runtime on fakes, reports its instance and
// script as the dumps want them, hands MASTER to the follower that
// lvs_sync_daemon asks for, plans a reload and stops the follower last.
func TestSubsystemOnFakes(t *testing.T) {
	f := &follower{}
	v := New(daemon.NewLogger(daemon.LogOptions{Console: &strings.Builder{}}), Options{Deps: fakeDeps,
		Follow: func() (Follower, error) { return f, nil }})
	cfg := load(t, 255) // the address owner: MASTER at once
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := v.Start(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if f.started != cfg {
		t.Error("the follower was not started with the configuration")
	}
	var in dumps.Instance
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		ins := v.Instances()
		if len(ins) == 1 && ins[0].State == dumps.StateMaster {
			in = ins[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no MASTER: %+v", ins)
		}
	}
	if in.Name != "VI_1" || in.VRID != 51 || in.Interface != "eth0" || in.BasePriority != 255 ||
		strings.Join(in.VIPs, ",") != "10.0.0.100 dev eth0 scope global set" || strings.Join(in.TrackScripts, ",") != "chk weight 0" {
		t.Errorf("instance: %+v", in)
	}
	// keepalived stores the command with its directory's symlinks resolved
	bin, _ := filepath.EvalSymlinks("/bin")
	if sc := v.Scripts(); len(sc) != 1 || sc[0].Name != "chk" || sc[0].Command != "'"+bin+"/true'" ||
		strings.Join(sc[0].Users, ",") != "VI_1, weight 0" {
		t.Errorf("scripts: %+v", sc)
	}
	if err := v.Ping(ctx); err != nil {
		t.Errorf("ping: %v", err)
	}
	if !strings.Contains(f.String(), "VI_1:true") {
		t.Errorf("the follower did not get MASTER: %s", f)
	}
	plan, err := v.PlanReload(load(t, 254), false)
	if err != nil || len(plan) != 1 || !strings.HasPrefix(plan[0], "keep VI_1 (MASTER, VRID 51 on eth0, priority 255 -> 254") {
		t.Errorf("plan: %q, %v", plan, err)
	}
	if plan, _ = v.PlanReload(cfg, true); strings.Join(plan, ",") != "remove VI_1 (MASTER, VRID 51 on eth0)" {
		t.Errorf("stop plan: %q", plan)
	}
	cfg2 := load(t, 255)
	if err := v.Reload(ctx, cfg2); err != nil {
		t.Fatal(err)
	}
	if len(f.reloaded) != 1 || f.reloaded[0] != cfg2 {
		t.Errorf("the follower did not get the reload: %v", f.reloaded)
	}
	if err := v.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(f.String(), "stopped=true") {
		t.Errorf("follower after stop: %s", f)
	}
}

// A sync daemon that cannot start is logged as keepalived logs it, and
// VRRP runs without it.
func TestFollowFailureLeavesVRRPRunning(t *testing.T) {
	var logb strings.Builder
	log := daemon.NewLogger(daemon.LogOptions{Console: &logb})
	v := New(log, Options{Deps: fakeDeps, Follow: func() (Follower, error) { return nil, fmt.Errorf("no IPVS") }})
	ctx := context.Background()
	if err := v.Start(ctx, load(t, 255)); err != nil {
		t.Fatal(err)
	}
	if err := v.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	daemon.FlushLog(log)
	if !strings.Contains(logb.String(), "IPVS: Can't initialize ipvs for lvs_sync_daemon: no IPVS") {
		t.Errorf("log:\n%s", logb.String())
	}
}

// A reload that adds lvs_sync_daemon starts the follower in the role the
// instance has now: MASTER, not the backup of a start.
func TestReloadAddsFollowerInCurrentRole(t *testing.T) {
	f := &follower{}
	v := New(daemon.NewLogger(daemon.LogOptions{Console: &strings.Builder{}}), Options{Deps: fakeDeps,
		Follow: func() (Follower, error) { return f, nil }})
	cfg := load(t, 255)
	cfg.Global.LVSSyncDaemon = nil
	ctx := context.Background()
	if err := v.Start(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	defer v.Stop(ctx)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if ins := v.Instances(); len(ins) == 1 && ins[0].State == dumps.StateMaster {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no MASTER")
		}
	}
	if f.started != nil {
		t.Fatal("follower started without lvs_sync_daemon")
	}
	cfg2 := load(t, 255)
	if err := v.Reload(ctx, cfg2); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.started != cfg2 || len(f.states) == 0 || f.states[0] != "VI_1:true" {
		t.Errorf("follower: started %v, states %v", f.started == cfg2, f.states)
	}
}
