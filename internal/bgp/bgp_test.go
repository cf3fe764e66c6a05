package bgp

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
)

// fakeSpeaker records what the subsystem asks of the speaker.
type fakeSpeaker struct {
	mu        sync.Mutex
	started   int
	stopped   bool
	graceful  bool
	nbrs      map[netip.Addr]conf.BGPNeighbor
	adds      int // AddNeighbor calls
	announced map[netip.Prefix]Announcement
	ops       []string
}

func newFake() *fakeSpeaker {
	return &fakeSpeaker{nbrs: map[netip.Addr]conf.BGPNeighbor{}, announced: map[netip.Prefix]Announcement{}}
}

func (f *fakeSpeaker) Start(Global) error { f.mu.Lock(); f.started++; f.mu.Unlock(); return nil }
func (f *fakeSpeaker) AddNeighbor(n conf.BGPNeighbor, _ time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nbrs[n.Address] = n
	f.adds++
	f.ops = append(f.ops, "add "+n.Address.String())
	return nil
}
func (f *fakeSpeaker) DeleteNeighbor(a netip.Addr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.nbrs, a)
	f.ops = append(f.ops, "del "+a.String())
	return nil
}
func (f *fakeSpeaker) Announce(a Announcement) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.announced[a.Prefix] = a
	return nil
}
func (f *fakeSpeaker) Withdraw(p netip.Prefix) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.announced, p)
	return nil
}
func (f *fakeSpeaker) Sessions() []Session { return nil }
func (f *fakeSpeaker) Stop(g bool)         { f.mu.Lock(); f.stopped, f.graceful = true, g; f.mu.Unlock() }

func (f *fakeSpeaker) prefixes() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for p := range f.announced {
		out = append(out, p.String())
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

const vsConf = `virtual_server 10.0.0.100 80 {
 protocol TCP
 lb_algo mh
 lb_kind DR
 real_server 10.0.1.1 80 {
 }
}
virtual_server fwmark 7 {
 lb_algo mh
 lb_kind DR
 real_server 10.0.1.1 80 {
 }
}
vrrp_instance VI_1 {
 interface lo
 virtual_router_id 51
 priority 100
 virtual_ipaddress {
  10.0.0.100
 }
}
`

func load(t *testing.T, ext string) *conf.Config {
	t.Helper()
	dir := t.TempDir()
	e := filepath.Join(dir, "gk.conf")
	os.WriteFile(e, []byte(ext), 0o644)
	f := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(f, []byte(vsConf+"@gokeepalived include "+e+"\n"), 0o644)
	cfg, ds := conf.Load(f, conf.Options{})
	for _, d := range ds.List {
		if strings.Contains(d.Msg, "bgp") {
			t.Fatalf("config: %s", d)
		}
	}
	return cfg
}

const speaker = `bgp_speaker {
 router_id 192.0.2.11
 local_as 65011
 neighbor 10.1.0.1 {
  remote_as 65000
 }
 neighbor 10.1.0.2 {
  remote_as 65000
 }
}
`

// TestDesired: an announcement needs every instance it names MASTER and
// every virtual server it names with quorum (all of a reference's).
func TestDesired(t *testing.T) {
	cfg := load(t, speaker+`bgp_announce 10.0.0.100/32 {
 virtual_server 10.0.0.100 80
 vrrp_instance VI_1
 med 5
}
bgp_announce 10.0.0.101/32 {
 virtual_server fwmark 7
}
bgp_announce 10.0.0.102/32 {
}
`)
	vs := cfg.VirtualServers
	for _, c := range []struct {
		master  bool
		q0, q1  bool
		checker bool
		want    string
	}{
		{false, true, true, true, "10.0.0.101/32 10.0.0.102/32"},
		{true, true, true, true, "10.0.0.100/32 10.0.0.101/32 10.0.0.102/32"},
		{true, false, true, true, "10.0.0.101/32 10.0.0.102/32"},
		{true, true, false, true, "10.0.0.100/32 10.0.0.102/32"},
		{true, true, true, false, "10.0.0.102/32"}, // no checker: no quorum known
	} {
		in := Inputs{Master: map[string]bool{"VI_1": c.master}}
		if c.checker {
			in.Quorums = []Quorum{{VS: vs[0], Up: c.q0}, {VS: vs[1], Up: c.q1}}
		}
		var got []string
		for _, a := range Desired(cfg, in) {
			got = append(got, a.Prefix.String())
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("%+v: %s, want %s", c, g, c.want)
		}
	}
	a := Desired(cfg, Inputs{Master: map[string]bool{"VI_1": true}, Quorums: []Quorum{{VS: vs[0], Up: true}}})[0]
	if a.MED == nil || *a.MED != 5 {
		t.Errorf("attributes: %+v", a)
	}
}

func waitFor(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// TestSubsystemFollowsFeed: the speaker announces and withdraws as the
// feed's states change, through the fake; a reload adds and removes
// neighbours and announcements without touching the unchanged session;
// a stop without graceful restart stops the speaker.
func TestSubsystemFollowsFeed(t *testing.T) {
	cfg := load(t, speaker+"bgp_announce 10.0.0.100/32 {\n vrrp_instance VI_1\n virtual_server 10.0.0.100 80\n}\n")
	feed := NewFeed()
	fk := newFake()
	s := NewSubsystem(quiet, feed, func(*slog.Logger) Speaker { return fk })
	if err := s.Start(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if len(fk.nbrs) != 2 || fk.prefixes() != "" {
		t.Fatalf("start: %v %q", fk.nbrs, fk.prefixes())
	}
	up := true
	feed.SetQuorumSource(func() []Quorum { return []Quorum{{VS: cfg.VirtualServers[0], Up: up}} })
	feed.SetMaster("VI_1", true)
	waitFor(t, "announced", func() bool { return fk.prefixes() == "10.0.0.100/32" })
	feed.SetMaster("VI_1", false)
	waitFor(t, "withdrawn at BACKUP", func() bool { return fk.prefixes() == "" })
	feed.SetMaster("VI_1", true)
	waitFor(t, "announced again", func() bool { return fk.prefixes() == "10.0.0.100/32" })
	fk.mu.Lock()
	up = false
	fk.mu.Unlock()
	feed.QuorumChanged()
	waitFor(t, "withdrawn without quorum", func() bool { return fk.prefixes() == "" })
	fk.mu.Lock()
	up = true
	fk.mu.Unlock()
	feed.QuorumChanged()
	waitFor(t, "announced with quorum", func() bool { return fk.prefixes() == "10.0.0.100/32" })

	// reload: 10.1.0.2 removed, 10.1.0.3 added, 10.1.0.1 unchanged; a
	// second prefix
	cfg2 := load(t, strings.Replace(speaker, "10.1.0.2", "10.1.0.3", 1)+
		"bgp_announce 10.0.0.100/32 {\n vrrp_instance VI_1\n}\nbgp_announce 10.0.0.101/32 {\n}\n")
	plan, _ := s.PlanReload(cfg2, false)
	if strings.Join(plan, "; ") != "BGP: neighbor 10.1.0.2 removed; BGP: neighbor 10.1.0.3 added" {
		t.Errorf("plan: %q", plan)
	}
	fk.mu.Lock()
	fk.ops = nil
	fk.mu.Unlock()
	if err := s.Reload(context.Background(), cfg2); err != nil {
		t.Fatal(err)
	}
	fk.mu.Lock()
	ops := strings.Join(fk.ops, ", ")
	started := fk.started
	fk.mu.Unlock()
	if ops != "del 10.1.0.2, add 10.1.0.3" || started != 1 {
		t.Errorf("reload: %s (started %d times)", ops, started)
	}
	waitFor(t, "both prefixes", func() bool { return fk.prefixes() == "10.0.0.100/32 10.0.0.101/32" })
	if st := s.BGP(); strings.Join(st.Announced, " ") != "10.0.0.100/32 10.0.0.101/32" {
		t.Errorf("BGP(): %+v", st)
	}

	if err := s.Stop(context.Background()); err != nil || !fk.stopped || fk.graceful {
		t.Errorf("stop: %v, stopped %v", err, fk.stopped)
	}
}

// TestGracefulRestartHolds: with graceful_restart the neighbours wait for
// the announcements to be healthy (a restarted MASTER announces before
// its End-of-RIB), or for the hold time; a stop leaves the sessions to
// the process's exit, an unconfiguring reload stops them.
func TestGracefulRestartHolds(t *testing.T) {
	cfg := load(t, strings.Replace(speaker, "local_as 65011", "local_as 65011\n graceful_restart 120", 1)+
		"bgp_announce 10.0.0.100/32 {\n vrrp_instance VI_1\n}\n")
	feed := NewFeed()
	fk := newFake()
	s := NewSubsystem(quiet, feed, func(*slog.Logger) Speaker { return fk })
	s.Start(context.Background(), cfg)
	if len(fk.nbrs) != 0 {
		t.Fatalf("neighbours added before the states: %v", fk.nbrs)
	}
	feed.SetMaster("VI_1", true)
	waitFor(t, "neighbours after MASTER", func() bool { fk.mu.Lock(); defer fk.mu.Unlock(); return len(fk.nbrs) == 2 })
	if fk.prefixes() != "10.0.0.100/32" {
		t.Errorf("prefixes %q", fk.prefixes())
	}
	s.Stop(context.Background())
	if !fk.stopped || !fk.graceful {
		t.Errorf("graceful restart: stopped %v, graceful %v", fk.stopped, fk.graceful)
	}

	// the hold time ends the wait of a BACKUP
	if h := holdFor(cfg); h != 5*time.Second {
		t.Errorf("hold %v", h)
	}
	fk2 := newFake()
	s2 := NewSubsystem(quiet, NewFeed(), func(*slog.Logger) Speaker { return fk2 })
	s2.Start(context.Background(), cfg)
	s2.mu.Lock()
	s2.holdUntil = time.Now() // as if the time passed
	s2.mu.Unlock()
	s2.feed.QuorumChanged()
	waitFor(t, "neighbours after the hold", func() bool { fk2.mu.Lock(); defer fk2.mu.Unlock(); return len(fk2.nbrs) == 2 })
	s2.Unconfigure()
	s2.Stop(context.Background())
	if !fk2.stopped || fk2.graceful {
		t.Errorf("unconfigured: stopped %v, graceful %v", fk2.stopped, fk2.graceful)
	}
}

// TestNoSpeakerNoCost: without a bgp_speaker the unit (as --all starts
// it) runs nothing: no goroutine, no listener, no GoBGP.
func TestNoSpeakerNoCost(t *testing.T) {
	cfg := load(t, "")
	before := runtime.NumGoroutine()
	created := false
	s := NewSubsystem(quiet, NewFeed(), func(l *slog.Logger) Speaker { created = true; return NewGoBGP(l) })
	if err := s.Start(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if created {
		t.Error("a speaker was created")
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines, %d before", n, before)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprint(s.Status()); s != "{[] []}" {
		t.Errorf("status %s", s)
	}
}
