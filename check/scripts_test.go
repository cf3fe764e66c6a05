package check

import (
	"context"
	"fmt"
	"github.com/gokeepalived/gokeepalived/internal/clock"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/testenv"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
	"github.com/gokeepalived/gokeepalived/ipvs/reconcile"
)

// Real scripts through the engine's launcher (internal/script): a
// MISC_CHECK whose exit code is read from a file takes a real server
// down and up again, which runs its notify_down/notify_up and, through
// the quorum, the virtual server's quorum_down/quorum_up.
func TestEngineRealScripts(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Unavailable(t, "needs root: its scripts run as script_user root")
	}
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rc := filepath.Join(dir, "rc")
	os.WriteFile(rc+"1", []byte("0\n"), 0o644)
	os.WriteFile(rc+"2", []byte("0\n"), 0o644)
	chk := write("chk.sh", `exit $(cat `+rc+`$1)`)
	notes := filepath.Join(dir, "notes")
	note := write("note.sh", `echo "$*" >> `+notes)
	rs := func(n int) string {
		return fmt.Sprintf(`  real_server 127.0.0.1 800%d {
    weight 1
    notify_up "%s up%d"
    notify_down "%s down%d"
    MISC_CHECK {
      misc_path "%s %d"
      misc_timeout 5
    }
  }
`, n, note, n, note, n, chk, n)
	}
	cfg := loadConf(t, `global_defs {
  enable_script_security
  script_user root
}
virtual_server 10.10.31.100 80 {
  delay_loop 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  quorum 2
  quorum_up "`+note+` qup"
  quorum_down "`+note+` qdown"
`+rs(1)+rs(2)+`}
`)
	clk := clock.NewFake(time.Unix(1_000_000, 0))
	kern := ipvsfake.New()
	logs := &logSink{}
	var e *Engine
	sync := func() {
		if _, err := reconcile.Sync(kern, e.Table(), reconcile.Options{}); err != nil {
			t.Error(err)
		}
	}
	var err error
	e, err = New(cfg, Options{Clock: clk, Rand: func() float64 { return 0 }, Logf: logs.logf, OnChange: sync, RunScripts: true})
	if err != nil {
		t.Fatal(err)
	}
	sync()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	read := func() []string {
		b, _ := os.ReadFile(notes)
		return strings.Fields(string(b))
	}
	// until the notes hold want (in any order: scripts run concurrently)
	until := func(want ...string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got := read()
			if slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("scripts ran %q, want %q\nlog:\n%s", got, want, strings.Join(logs.lines, "\n"))
			}
			clk.Advance(500 * time.Millisecond)
			time.Sleep(20 * time.Millisecond)
		}
	}
	until("qup") // quorum gained at start-up
	os.WriteFile(rc+"1", []byte("1\n"), 0o644)
	until("qup", "down1", "qdown")
	if l := "Misc check for [[127.0.0.1]:tcp:8001 VS [10.10.31.100]:tcp:80] by [" + chk + "] failed with retry disabled (exited with status 1)."; !logs.has(l) {
		t.Errorf("log lacks %q", l)
	}
	os.WriteFile(rc+"1", []byte("0\n"), 0o644)
	until("qup", "down1", "qdown", "up1", "qup")
}
