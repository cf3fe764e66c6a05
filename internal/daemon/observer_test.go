package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
)

// fakeObserver records into the subsystem's call list, so the order of
// the two shows.
type fakeObserver struct {
	sub  *fakeSub
	host chan ObserverHost
}

func (o *fakeObserver) Start(_ *slog.Logger, c *conf.Config, h ObserverHost) {
	o.sub.record("observer-start:" + c.Global.RouterID)
	o.host <- h
}
func (o *fakeObserver) Reload(c *conf.Config) { o.sub.record("observer-reload:" + c.Global.RouterID) }
func (o *fakeObserver) Stop()                 { o.sub.record("observer-stop") }

// The observer starts after the VRRP subsystem, hears of a reload before
// it, stops after it; its requests are served by the daemon's loop: the
// VRRP dumps with keepalived's D-Bus lines, and a reload.
func TestVRRPObserver(t *testing.T) {
	sub := &fakeSub{}
	obs := &fakeObserver{sub: sub, host: make(chan ObserverHost, 1)}
	h := &harness{t: t, dir: t.TempDir(), sigs: make(chan os.Signal, 1), done: make(chan int, 1), log: &syncBuf{}, sub: sub}
	h.conf = filepath.Join(h.dir, "keepalived.conf")
	h.write(fmt.Sprintf(goodConf, "R1"))
	units := vrrpOnly(sub, filepath.Join(h.dir, "keepalived_vrrp.pid"))
	units.VRRP.Observer = obs
	o := Options{ConfigFile: h.conf, PidFile: filepath.Join(h.dir, "keepalived.pid"), Units: units, TmpDir: h.dir,
		Version: "test", Log: NewLogger(LogOptions{Console: h.log}),
		Load: func(p string) (*conf.Config, *conf.Diagnostics) {
			return conf.Load(p, conf.Options{ConfigID: "t", InterfaceExists: func(string) bool { return true }})
		}}
	go func() { h.done <- Run(context.Background(), o, h.sigs) }()
	h.waitLog("Startup complete")
	host := <-obs.host
	if host.VRRP != VRRP(sub) {
		t.Error("the observer was not given the VRRP subsystem")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, c := range []struct {
		r          Request
		line, file string
	}{
		{RequestData, "Printing VRRP data on DBus request", "keepalived.data"},
		{RequestStats, "Printing VRRP stats on DBus request", "keepalived.stats"},
		{RequestStatsClear, "Printing and clearing VRRP stats on DBus request", "keepalived.stats"},
	} {
		os.Remove(filepath.Join(h.dir, c.file))
		if err := host.Request(ctx, c.r); err != nil {
			t.Fatalf("request %d: %v", c.r, err)
		}
		// served before Request returns: the file is there
		if b, err := os.ReadFile(filepath.Join(h.dir, c.file)); err != nil || !strings.Contains(string(b), "VI_1") {
			t.Errorf("%s after request %d: %v %q", c.file, c.r, err, b)
		}
		h.waitLog(c.line) // the log is queued: the line follows the reply
	}
	if _, err := os.Stat(filepath.Join(h.dir, "keepalived_parent.data")); err == nil {
		t.Error("PrintData wrote the parent's data too; keepalived's VRRP process writes only its own")
	}

	h.write(fmt.Sprintf(goodConf, "R2"))
	if err := host.Request(ctx, RequestReload); err != nil {
		t.Fatal(err)
	}
	h.waitLog("Reload complete")
	h.sigs <- syscall.SIGTERM
	if rc := <-h.done; rc != 0 {
		t.Errorf("rc %d", rc)
	}
	if got, want := sub.Calls(), "start:R1,observer-start:R1,observer-reload:R2,reload:R2,stop,observer-stop"; got != want {
		t.Errorf("calls %s\nwant  %s", got, want)
	}
}
