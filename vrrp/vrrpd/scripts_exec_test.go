package vrrpd_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/testenv"
	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrpd"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest"
)

// lines is a slog handler keeping each record's message.
type lines struct {
	mu  sync.Mutex
	all []string
}

func (l *lines) Enabled(context.Context, slog.Level) bool { return true }
func (l *lines) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.all = append(l.all, r.Message)
	l.mu.Unlock()
	return nil
}
func (l *lines) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *lines) WithGroup(string) slog.Handler      { return l }
func (l *lines) has(m string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Contains(l.all, m)
}

func readLines(p string) []string {
	b, _ := os.ReadFile(p)
	if len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// Real scripts through the runtime's own launcher (Deps.Scripts unset):
// a vrrp_script whose exit code drives the instance through rise/fall,
// and notify_master/backup/fault/stop and notify with keepalived's argv.
func TestRuntimeRealScripts(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Unavailable(t, "needs root: its scripts run as script_user root")
	}
	dir := t.TempDir()
	rc, runs := filepath.Join(dir, "rc"), filepath.Join(dir, "runs")
	os.WriteFile(rc, []byte("0\n"), 0o644)
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	chk := write("chk.sh", `r=$(cat `+rc+`); echo $r >> `+runs+`; exit $r`)
	// each notify script appends its argv to its own file
	note := func(name string) string { return write(name+".sh", `echo "$*" >> `+filepath.Join(dir, name+".out")) }
	fifo := filepath.Join(dir, "fifo")
	// the FIFO script gets the FIFO's path as its last argument
	fifoScript := write("fifo.sh", `echo "$*" > `+filepath.Join(dir, "fifoargs")+`; exec cat "$2" > `+filepath.Join(dir, "fifo.out"))
	cfg := fmt.Sprintf(`global_defs {
    enable_script_security
    script_user root
    vrrp_notify_fifo %q
    vrrp_notify_fifo_script "%s -x"
}
vrrp_script chk {
    script %q
    interval 1
    rise 2
    fall 2
}
`, fifo, fifoScript, chk) + instConf(150, fmt.Sprintf("track_script {\n        chk weight 0\n    }\n    notify_master %q\n    notify_backup %q\n    notify_fault %q\n    notify_stop %q\n    notify %q",
		note("master")+" m1", note("backup"), note("fault"), note("stop"), note("any")))
	log := &lines{}
	fn := &vrrptest.Net{Hub: vrrptest.NewHub(), Node: "a", Ifaces: map[string]vrrp.IfaceInfo{
		"eth0": {Up: true, Addr4: netip.MustParseAddr("10.0.0.1")}}}
	addrs := &vrrptest.Addrs{}
	rt, err := vrrpd.NewRuntime(loadConf(t, cfg), vrrpd.Deps{Net: fn, Addrs: addrs, Announcer: &vrrptest.Announcer{}, Log: slog.New(log)})
	if err != nil {
		t.Fatal(err)
	}
	go rt.Run(context.Background())
	stopped := false
	defer func() {
		if !stopped {
			rt.Stop()
		}
	}()
	st := func() vrrp.State { return rt.States()[0].State }
	waitFor(t, 3*time.Second, "MASTER", func() bool { return addrs.Has(vip) })
	out := func(name string) []string { return readLines(filepath.Join(dir, name+".out")) }
	waitFor(t, 2*time.Second, "notify_master ran", func() bool { return len(out("master")) == 1 })
	if got := out("master"); got[0] != "m1" {
		t.Errorf("notify_master argv %q, want its configured argument", got)
	}

	// fall 2: two failing runs put the instance in FAULT, not one
	flip := len(readLines(runs))
	os.WriteFile(rc, []byte("1\n"), 0o644)
	waitFor(t, 5*time.Second, "FAULT", func() bool { return st() == vrrp.StateFault })
	if failing := len(readLines(runs)) - flip; failing < 2 {
		t.Errorf("FAULT after %d failing runs, want fall 2", failing)
	}
	if !log.has("VRRP_Script(chk) failed (exited with status 1)") {
		t.Errorf("no keepalived line for the failing script in %q", log.all)
	}
	waitFor(t, 2*time.Second, "notify_fault ran", func() bool { return len(out("fault")) == 1 })

	// rise 2: two passing runs bring it back
	flip = len(readLines(runs))
	os.WriteFile(rc, []byte("0\n"), 0o644)
	waitFor(t, 5*time.Second, "MASTER again", func() bool { return st() == vrrp.StateMaster })
	if passing := len(readLines(runs)) - flip; passing < 2 {
		t.Errorf("up after %d passing runs, want rise 2", passing)
	}
	if !log.has("VRRP_Script(chk) succeeded") {
		t.Errorf("no keepalived line for the script passing again in %q", log.all)
	}
	rt.Stop()
	stopped = true
	waitFor(t, 2*time.Second, "notify_stop ran", func() bool { return len(out("stop")) == 1 })
	want := []string{"INSTANCE VI_1 BACKUP 150", "INSTANCE VI_1 MASTER 150", "INSTANCE VI_1 FAULT 150",
		"INSTANCE VI_1 BACKUP 150", "INSTANCE VI_1 MASTER 150", "INSTANCE VI_1 STOP 150"}
	waitFor(t, 2*time.Second, "every notify", func() bool { return len(out("any")) == len(want) })
	// scripts run concurrently, as keepalived's: compare as sets
	got := out("any")
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("notify argv:\n got %q\nwant %q", got, want)
	}
	if got := readLines(filepath.Join(dir, "fifoargs")); len(got) != 1 || got[0] != "-x "+fifo {
		t.Errorf("FIFO script argv %q, want its argument then the FIFO", got)
	}
	if got := out("fifo"); len(got) < 2 || got[1] != `INSTANCE "VI_1" MASTER 150` {
		t.Errorf("FIFO script read %q", got)
	}
	waitFor(t, 3*time.Second, "FIFO script ended at stop", func() bool { return log.has("vrrp notify fifo script terminated") })
	if n := len(out("backup")); n != 2 {
		t.Errorf("notify_backup ran %d times, want 2", n)
	}
}
