package dbusapi

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/internal/dumps"
	"github.com/gokeepalived/gokeepalived/internal/lograte"
	"github.com/gokeepalived/gokeepalived/internal/testenv"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// A flood of state changes with the bus away stays bounded, keeps the
// latest state of every instance and never drops a reload or a stop.
func TestQueueCoalesces(t *testing.T) {
	ss := &session{log: quiet, wake: make(chan struct{}, 1), rate: lograte.Default()}
	ss.push(item{kind: itemReload})
	for i := 0; i < 10*maxQueue; i++ {
		ss.push(item{kind: itemState, inst: fmt.Sprintf("VI_%d", i%3), state: uint32(i % 4)})
	}
	ss.push(item{kind: itemStop})
	q := ss.take()
	if len(q) > maxQueue+2 {
		t.Fatalf("queue grew to %d", len(q))
	}
	if q[0].kind != itemReload || q[len(q)-1].kind != itemStop {
		t.Errorf("control items lost: first %v last %v", q[0].kind, q[len(q)-1].kind)
	}
	last := map[string]uint32{}
	for _, it := range q {
		if it.kind == itemState {
			last[it.inst] = it.state
		}
	}
	for i := 10*maxQueue - 3; i < 10*maxQueue; i++ {
		if got := last[fmt.Sprintf("VI_%d", i%3)]; got != uint32(i%4) {
			t.Errorf("VI_%d: latest state %d, want %d", i%3, got, i%4)
		}
	}
	if ss.dropped == 0 {
		t.Error("nothing counted as coalesced")
	}
}

// Notify never waits for the bus: here the connection never completes;
// Stop then gives up on it and closes it.
func TestNotifyDoesNotBlock(t *testing.T) {
	s := &Service{Connect: func(ctx context.Context) (*dbus.Conn, error) { <-ctx.Done(); return nil, ctx.Err() }}
	cfg := &conf.Config{Global: conf.GlobalDefs{EnableDBus: true}}
	s.Start(quiet, cfg, daemon.ObserverHost{VRRP: &fakeVRRP{}})
	done := make(chan struct{})
	go func() {
		for i := 0; i < 100000; i++ {
			s.Notify("VI_1", uint32(i%3))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second): // a bound far above any load, not a timing target
		t.Fatal("Notify blocked with the bus stalled")
	}
	ss := s.sess.Load()
	if n := len(ss.take()); n > maxQueue {
		t.Errorf("queue holds %d", n)
	}
	s.Stop()
	select {
	case <-ss.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the session's goroutine did not end once its connection was cancelled")
	}
}

func TestPaths(t *testing.T) {
	for _, c := range []struct {
		netns string
		in    conf.VRRPInstance
		want  string
		noIf  string
	}{
		{"", conf.VRRPInstance{Interface: "eth0", VRID: 51, Family: 4}, "/org/keepalived/Vrrp1/Instance/eth0/51/IPv4", "noif"},
		{"", conf.VRRPInstance{Interface: "bond0.100", VRID: 7, Family: 6}, "/org/keepalived/Vrrp1/Instance/bond0_100/7/IPv6", ""},
		{"blue-1", conf.VRRPInstance{VRID: 1}, "/org/keepalived/Vrrp1/blue_1/Instance/none/1/None", ""},
		{"", conf.VRRPInstance{VRID: 2, Family: 4}, "/org/keepalived/Vrrp1/Instance/noif/2/IPv4", "noif"}, // dbus_no_interface_name
	} {
		if got := InstancePath(basePath(&conf.Config{NetNamespace: c.netns}), &c.in, c.noIf); string(got) != c.want {
			t.Errorf("%+v: %s, want %s", c, got, c.want)
		}
	}
}

// fakeVRRP is the VRRP subsystem as the service sees it.
type fakeVRRP struct {
	daemon.VRRP
	mu    sync.Mutex
	insts []dumps.Instance
	garps []string
}

func (f *fakeVRRP) Instances() []dumps.Instance {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]dumps.Instance(nil), f.insts...)
}

func (f *fakeVRRP) SendGARP(_ context.Context, name string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.garps = append(f.garps, name)
	for _, in := range f.insts {
		if in.Name == name {
			return true, nil
		}
	}
	return false, nil
}

// testBus starts a private, permissive dbus-daemon; no root needed.
func testBus(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		testenv.Unavailable(t, "needs dbus-daemon (Debian package dbus)")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "bus")
	cf := filepath.Join(dir, "bus.conf")
	os.WriteFile(cf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=`+sock+`</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`), 0o644)
	cmd := exec.Command("dbus-daemon", "--config-file="+cf, "--nofork")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := "unix:path=" + sock
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := dbus.Connect(addr); err == nil {
			c.Close()
			return addr
		} else if time.Now().After(deadline) {
			t.Fatal(err)
		}
	}
}

type recorder struct {
	mu   sync.Mutex
	sigs []string
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.sigs...)
}

func (r *recorder) wait(t *testing.T, want ...string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if strings.Join(r.list(), "\n") == strings.Join(want, "\n") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("signals:\n%s\nwant:\n%s", strings.Join(r.list(), "\n"), strings.Join(want, "\n"))
		}
	}
}

// The service under its dbus_service_name: objects, properties, signals,
// SendGarp and the requests to the daemon, a reload that removes an
// instance, and a reload that turns enable_dbus off.
func TestServiceOnPrivateBus(t *testing.T) {
	addr := testBus(t)
	client, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	client.AddMatchSignal(dbus.WithMatchPathNamespace("/org/keepalived"))
	ch := make(chan *dbus.Signal, 64)
	client.Signal(ch)
	rec := &recorder{}
	go func() {
		for s := range ch {
			rec.mu.Lock()
			rec.sigs = append(rec.sigs, fmt.Sprintf("%s %s %v", s.Path, s.Name[strings.LastIndex(s.Name, ".")+1:], s.Body))
			rec.mu.Unlock()
		}
	}()

	vi1 := &conf.VRRPInstance{Name: "VI_1", Interface: "eth0", VRID: 51, Family: 4}
	vi2 := &conf.VRRPInstance{Name: "VI_2", Interface: "eth0", VRID: 52, Family: 6}
	cfg := &conf.Config{Global: conf.GlobalDefs{EnableDBus: true, DBusServiceName: "org.example.Vrrp"}, VRRPInstances: []*conf.VRRPInstance{vi1, vi2}}
	v := &fakeVRRP{insts: []dumps.Instance{{Name: "VI_1", State: 1}, {Name: "VI_2", State: 0}}}
	var reqMu sync.Mutex
	var reqs []daemon.Request
	host := daemon.ObserverHost{VRRP: v, Request: func(_ context.Context, r daemon.Request) error {
		reqMu.Lock()
		reqs = append(reqs, r)
		reqMu.Unlock()
		return nil
	}}
	s := &Service{Connect: func(ctx context.Context) (*dbus.Conn, error) { return dbus.Connect(addr, dbus.WithContext(ctx)) }}
	s.Start(quiet, cfg, host)
	p1, p2 := "/org/keepalived/Vrrp1/Instance/eth0/51/IPv4", "/org/keepalived/Vrrp1/Instance/eth0/52/IPv6"
	// VI_2 is still in INIT: it is told when it leaves it.
	rec.wait(t, "/org/keepalived/Vrrp1/Vrrp VrrpStarted []", p1+" VrrpStatusChange [1]")
	s.Notify("VI_2", 1)
	s.Notify("VI_1", 2)
	rec.wait(t, "/org/keepalived/Vrrp1/Vrrp VrrpStarted []", p1+" VrrpStatusChange [1]", p2+" VrrpStatusChange [1]", p1+" VrrpStatusChange [2]")

	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var owner string
		client.BusObject().Call("org.freedesktop.DBus.GetNameOwner", 0, "org.example.Vrrp").Store(&owner)
		if owner != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("org.example.Vrrp not owned")
		}
	}
	obj := client.Object("org.example.Vrrp", dbus.ObjectPath(p1))
	v.mu.Lock()
	v.insts[0].State = 2
	v.mu.Unlock()
	var state struct {
		N uint32
		S string
	}
	if variant, err := obj.GetProperty(InstanceInterface + ".State"); err != nil || variant.Store(&state) != nil || state.N != 2 || state.S != "Master" {
		t.Errorf("State: %v %v", variant, err)
	}
	err = obj.Call(InstanceInterface+".SendGarp", 0).Err
	v.mu.Lock()
	if err != nil || len(v.garps) != 1 || v.garps[0] != "VI_1" {
		t.Errorf("SendGarp: %v %v", err, v.garps)
	}
	v.mu.Unlock()
	vrrpObj := client.Object("org.example.Vrrp", "/org/keepalived/Vrrp1/Vrrp")
	for _, m := range []string{"PrintData", "PrintStats", "PrintStatsClear", "ReloadConfig"} {
		if err := vrrpObj.Call(VrrpInterface+"."+m, 0).Err; err != nil {
			t.Errorf("%s: %v", m, err)
		}
	}
	reqMu.Lock()
	if fmt.Sprint(reqs) != fmt.Sprint([]daemon.Request{daemon.RequestData, daemon.RequestStats, daemon.RequestStatsClear, daemon.RequestReload}) {
		t.Errorf("requests %v", reqs)
	}
	reqMu.Unlock()

	// A reload without VI_2: its last state still goes out on its path,
	// then its object is gone.
	cfg2 := &conf.Config{Global: cfg.Global, VRRPInstances: []*conf.VRRPInstance{vi1}}
	s.Reload(cfg2)
	s.Notify("VI_2", 97)
	rec.wait(t, "/org/keepalived/Vrrp1/Vrrp VrrpStarted []", p1+" VrrpStatusChange [1]", p2+" VrrpStatusChange [1]", p1+" VrrpStatusChange [2]",
		"/org/keepalived/Vrrp1/Vrrp VrrpReloaded []", p2+" VrrpStatusChange [97]")
	var x string
	if err := client.Object("org.example.Vrrp", dbus.ObjectPath(p2)).Call("org.freedesktop.DBus.Introspectable.Introspect", 0).Store(&x); err == nil &&
		strings.Contains(x, InstanceInterface) {
		t.Errorf("VI_2's object still there: %s", x)
	}
	if _, err := client.Object("org.example.Vrrp", dbus.ObjectPath(p2)).GetProperty(InstanceInterface + ".Name"); err == nil {
		t.Error("VI_2's Name still answered")
	}
	if err := client.Object("org.example.Vrrp", "/org/keepalived/Vrrp1/Instance/eth0").Call("org.freedesktop.DBus.Introspectable.Introspect", 0).Store(&x); err != nil ||
		!strings.Contains(x, `<node name="51"/>`) || strings.Contains(x, `<node name="52"/>`) {
		t.Errorf("eth0 node: %v\n%s", err, x)
	}

	// enable_dbus gone at a reload: VrrpStopped, and the name is released.
	s.Reload(&conf.Config{VRRPInstances: []*conf.VRRPInstance{vi1}})
	rec.wait(t, "/org/keepalived/Vrrp1/Vrrp VrrpStarted []", p1+" VrrpStatusChange [1]", p2+" VrrpStatusChange [1]", p1+" VrrpStatusChange [2]",
		"/org/keepalived/Vrrp1/Vrrp VrrpReloaded []", p2+" VrrpStatusChange [97]", "/org/keepalived/Vrrp1/Vrrp VrrpStopped []")
	s.Notify("VI_1", 1) // no session: dropped
	s.Stop()
}
