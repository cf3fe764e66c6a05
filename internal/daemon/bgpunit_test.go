package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/control"
	"github.com/gokeepalived/gokeepalived/internal/metrics"
)

// fakeBGP is a BGP unit that records what the daemon asked of it, in one
// log with the VRRP fake's.
type fakeBGP struct {
	mu   *sync.Mutex
	log  *[]string
	vrrp *fakeSub
}

func (f fakeBGP) rec(s string) { f.mu.Lock(); *f.log = append(*f.log, s); f.mu.Unlock() }
func (f fakeBGP) Start(context.Context, *conf.Config) error {
	f.rec("bgp:start")
	return nil
}
func (f fakeBGP) Reload(context.Context, *conf.Config) error { f.rec("bgp:reload"); return nil }
func (f fakeBGP) Stop(context.Context) error {
	if strings.Contains(f.vrrp.Calls(), "stop") {
		f.rec("bgp:stop-after-vrrp")
		return nil
	}
	f.rec("bgp:stop")
	return nil
}
func (f fakeBGP) Unconfigure()                                    { f.rec("bgp:unconfigure") }
func (f fakeBGP) PlanReload(*conf.Config, bool) ([]string, error) { return nil, nil }
func (f fakeBGP) BGP() metrics.BGP {
	return metrics.BGP{Sessions: []metrics.BGPSession{{Neighbor: "10.1.0.1", State: "established", Established: true}},
		Announced: []string{"10.0.0.100/32"}}
}

// TestBGPUnitByConfig: the BGP unit is created only for a config with a
// bgp_speaker (a daemon without one pays nothing), stops before VRRP,
// shows in the status, and a reload removing the block unconfigures it
// (withdraws even under graceful restart) before stopping it.
func TestBGPUnitByConfig(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	created := 0
	sub := &fakeSub{}
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	write := func(s string) {
		if err := os.WriteFile(cf, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	plain := fmt.Sprintf(goodConf, "R1")
	withBGP := plain + "bgp_speaker {\n router_id 192.0.2.1\n local_as 65001\n neighbor 10.1.0.1 {\n remote_as 65000\n }\n}\n"
	write(plain)
	units := vrrpOnly(sub, filepath.Join(dir, "v.pid"))
	units.BGP = BGPUnit{New: func(*slog.Logger) (Subsystem, error) {
		mu.Lock()
		created++
		mu.Unlock()
		return fakeBGP{&mu, &calls, sub}, nil
	}}
	h := &harness{t: t, dir: dir, conf: cf, sigs: make(chan os.Signal, 1), done: make(chan int, 1), log: &syncBuf{}, sub: sub,
		states: make(chan string, 16)}
	o := Options{ConfigFile: cf, PidFile: filepath.Join(dir, "k.pid"), Units: units, TmpDir: dir, Version: "test",
		Load: func(p string) (*conf.Config, *conf.Diagnostics) {
			return conf.Load(p, conf.Options{ConfigID: "t", InterfaceExists: func(string) bool { return true }})
		},
		Log: NewLogger(LogOptions{Console: h.log}), Notify: func(s string) { h.states <- s }, ControlPath: filepath.Join(dir, "gk.sock")}
	go func() { h.done <- Run(context.Background(), o, h.sigs) }()
	h.waitLog("Startup complete")
	if created != 0 {
		t.Fatalf("a BGP unit without bgp_speaker")
	}
	write(withBGP)
	h.signal(syscall.SIGHUP, "Reload complete")
	d := h.statusJSON()
	if !strings.Contains(d, `"bgp":{"sessions":[{"neighbor":"10.1.0.1","remote_as":0,"state":"established","established":true}],"announced":["10.0.0.100/32"]}`) {
		t.Errorf("status: %s", d)
	}
	write(plain)
	h.signal(syscall.SIGHUP, "Reload complete")
	write(withBGP)
	h.signal(syscall.SIGHUP, "Reload complete")
	h.stop()
	mu.Lock()
	got := strings.Join(calls, ",")
	mu.Unlock()
	if got != "bgp:start,bgp:unconfigure,bgp:stop,bgp:start,bgp:stop" {
		t.Errorf("BGP calls: %s", got)
	}
}

func (h *harness) statusJSON() string {
	h.t.Helper()
	raw, err := control.Request(filepath.Join(h.dir, "gk.sock"), "status")
	if err != nil {
		h.t.Fatal(err)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		h.t.Fatal(err)
	}
	return b.String()
}
