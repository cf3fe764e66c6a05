package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/control"
)

// planSub is a subsystem that says what it would change.
type planSub struct{ fakeSub }

func (p *planSub) PlanReload(c *conf.Config, stopping bool) ([]string, error) {
	p.record(fmt.Sprintf("plan:%s:%v", c.Global.RouterID, stopping))
	if c.Global.RouterID == "FAIL" {
		return nil, fmt.Errorf("interface eth9: no such device")
	}
	return []string{"change for " + c.Global.RouterID}, nil
}

// The dry run over the control socket: the daemon's file or another one
// is validated and planned, nothing is reloaded; a broken file gives
// its positioned problems and no plan.
func TestDryRunOverControlSocket(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the control socket answers root only")
	}
	dir := t.TempDir()
	cf := filepath.Join(dir, "k.conf")
	os.WriteFile(cf, []byte(fmt.Sprintf(goodConf, "R1")), 0o644)
	sub := &planSub{}
	var log syncBuf
	sock := filepath.Join(dir, "gk.sock")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		done <- Run(ctx, Options{
			ConfigFile: cf,
			Load: func(p string) (*conf.Config, *conf.Diagnostics) {
				return conf.Load(p, conf.Options{ConfigID: "t", InterfaceExists: func(string) bool { return true }})
			},
			Units: Units{VRRP: VRRPUnit{New: func(*slog.Logger) (VRRP, error) { return sub, nil }},
				Checker: CheckerUnit{New: func(*slog.Logger) (Checker, error) { return fakeChecker{}, nil }}},
			TmpDir: dir, Log: NewLogger(LogOptions{Console: &log}), ControlPath: sock,
		}, make(chan os.Signal))
	}()
	defer func() { cancel(); <-done }()
	h := &harness{t: t, log: &log}
	h.waitLog("Startup complete")
	ask := func(file string) DryRun {
		t.Helper()
		req := DryRunRequest
		if file != "" {
			req += " " + file
		}
		raw, err := control.Request(sock, req)
		if err != nil {
			t.Fatal(err)
		}
		var dr DryRun
		if err := json.Unmarshal(raw, &dr); err != nil {
			t.Fatal(err)
		}
		return dr
	}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }

	// The daemon's own file, unchanged.
	dr := ask("")
	if want := `{"config_file":"` + cf + `","valid":true,"units":[{"name":"VRRP","action":"reload","changes":["change for R1"]}]}`; js(dr) != want {
		t.Errorf("own file:\n%s\nwant\n%s", js(dr), want)
	}
	// Another file, which would also start the checker.
	other := filepath.Join(dir, "other.conf")
	os.WriteFile(other, []byte(fmt.Sprintf(goodConf, "R2")+"virtual_server 10.0.0.1 80 {\n lb_algo rr\n lb_kind NAT\n protocol TCP\n real_server 10.0.0.2 80 {\n }\n}\n"), 0o644)
	dr = ask(other)
	if !dr.Valid || len(dr.Units) != 2 || dr.Units[0].Changes[0] != "change for R2" || dr.Units[1].Action != "start" {
		t.Errorf("other file: %s", js(dr))
	}
	// A file without VRRP stops the VRRP subsystem.
	os.WriteFile(other, []byte("global_defs {\n router_id R3\n}\n"), 0o644)
	if dr = ask(other); !dr.Valid || dr.Units[0].Action != "stop" {
		t.Errorf("stopping: %s", js(dr))
	}
	// A subsystem that cannot take the file makes it invalid.
	os.WriteFile(other, []byte(fmt.Sprintf(goodConf, "FAIL")), 0o644)
	if dr = ask(other); dr.Valid || !strings.Contains(dr.Units[0].Error, "eth9") {
		t.Errorf("failing plan: %s", js(dr))
	}
	// A broken file: positioned diagnostics, no plan asked for.
	os.WriteFile(other, []byte("global_defs {\n router_id R4\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 300\n}\n"), 0o644)
	dr = ask(other)
	if dr.Valid || len(dr.Units) != 0 || len(dr.Diagnostics) == 0 || !strings.HasPrefix(dr.Diagnostics[0], other+":6:") {
		t.Errorf("broken file: %s", js(dr))
	}
	if got := sub.Calls(); got != "start:R1,plan:R1:false,plan:R2:false,plan:R3:true,plan:FAIL:false" {
		t.Errorf("calls = %s (a dry run must not reload)", got)
	}
	if strings.Contains(log.String(), "Reloading") {
		t.Errorf("a dry run logged a reload:\n%s", log.String())
	}
}
