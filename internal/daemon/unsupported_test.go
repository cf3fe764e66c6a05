package daemon

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
)

// TestStartupLogsUnsupportedKeyword: a keyword gokeepalived accepts but
// does nothing with is logged at start-up with its position, and the
// daemon still starts (issue 13).
func TestStartupLogsUnsupportedKeyword(t *testing.T) {
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	text := "global_defs {\n router_id R1\n vrrp_no_swap\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n priority 100\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n"
	if err := os.WriteFile(cf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := &fakeSub{}
	log := &syncBuf{}
	sigs, done := make(chan os.Signal, 1), make(chan int, 1)
	o := Options{
		ConfigFile: cf,
		Load: func(p string) (*conf.Config, *conf.Diagnostics) {
			return conf.Load(p, conf.Options{ConfigID: "t", InterfaceExists: func(string) bool { return true }})
		},
		PidFile: filepath.Join(dir, "keepalived.pid"),
		Units:   vrrpOnly(sub, filepath.Join(dir, "keepalived_vrrp.pid")),
		TmpDir:  dir,
		Version: "test",
		Args:    []string{"gokeepalived", "-n"},
		Log:     NewLogger(LogOptions{Console: log}),
	}
	go func() { done <- Run(context.Background(), o, sigs) }()
	want := cf + ":3:2: info: 'vrrp_no_swap' is accepted but not supported by gokeepalived"
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(log.String(), "Startup complete") {
		if time.Now().After(deadline) {
			t.Fatalf("no start-up:\n%s", log.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
	sigs <- syscall.SIGTERM
	select {
	case rc := <-done:
		if rc != 0 {
			t.Errorf("rc = %d", rc)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("daemon did not stop")
	}
	if got := log.String(); !strings.Contains(got, want) {
		t.Errorf("no %q in the start-up log:\n%s", want, got)
	} else if strings.Index(got, want) > strings.Index(got, "Startup complete") {
		t.Errorf("notice logged after start-up:\n%s", got)
	}
}
