package vrrpd_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/testenv"
	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/packet"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrpd"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest"
)

func loadConf(t *testing.T, text string) *conf.Config {
	t.Helper()
	p := filepath.Join(t.TempDir(), "keepalived.conf")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, d := conf.Load(p, conf.Options{})
	if d.ExitCode() != conf.ExitOK {
		t.Fatalf("config: %v", d.List)
	}
	return c
}

type node struct {
	name  string
	rt    *vrrpd.Runtime
	addrs *vrrptest.Addrs
	ann   *vrrptest.Announcer
	done  chan error
}

func startNode(t *testing.T, hub *vrrptest.Hub, name string, addr4 string, cfgText string) *node {
	t.Helper()
	return startNodeWith(t, hub, name, addr4, cfgText, nil)
}

// startNodeWith is startNode with edit applied to the Deps.
func startNodeWith(t *testing.T, hub *vrrptest.Hub, name string, addr4 string, cfgText string, edit func(*vrrpd.Deps)) *node {
	t.Helper()
	n := &node{name: name, addrs: &vrrptest.Addrs{}, ann: &vrrptest.Announcer{}, done: make(chan error, 1)}
	fn := &vrrptest.Net{Hub: hub, Node: name, Ifaces: map[string]vrrp.IfaceInfo{
		"eth0": {Index: 2, Up: true, MAC: net.HardwareAddr{2, 0, 0, 0, 0, 1},
			Addr4: netip.MustParseAddr(addr4), LinkLocal6: netip.MustParseAddr("fe80::" + addr4[len(addr4)-1:])},
	}}
	deps := vrrpd.Deps{Net: fn, Addrs: n.addrs, Announcer: n.ann}
	if edit != nil {
		edit(&deps)
	}
	rt, err := vrrpd.NewRuntime(loadConf(t, cfgText), deps)
	if err != nil {
		t.Fatal(err)
	}
	n.rt = rt
	go func() { n.done <- rt.Run(context.Background()) }()
	t.Cleanup(rt.Stop)
	return n
}

func instConf(prio int, extra string) string {
	return fmt.Sprintf(`vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority %d
    version 3
    advert_int 0.1
    %s
    virtual_ipaddress {
        10.0.0.100/32
    }
}
`, prio, extra)
}

var vip = netip.MustParsePrefix("10.0.0.100/32")

// waitFor polls cond every 5 ms until it holds or limit passes, and
// returns the time it took.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	if raceEnabled {
		limit *= 5
	}
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

func state(n *node) vrrp.State { return n.rt.States()[0].State }

func TestRuntimeElectionHardKillAndStop(t *testing.T) {
	hub := vrrptest.NewHub()
	a := startNode(t, hub, "a", "10.0.0.1", instConf(200, ""))
	b := startNode(t, hub, "b", "10.0.0.2", instConf(100, ""))

	// Startup: both BACKUP for 3×0.1 s + skew, then the higher priority wins.
	waitFor(t, 2*time.Second, "a becomes MASTER", func() bool { return a.addrs.Has(vip) })
	time.Sleep(500 * time.Millisecond) // more than b's master-down interval
	if b.addrs.Has(vip) || state(b) != vrrp.StateBackup {
		t.Fatalf("b: state %v, has VIP %v; want BACKUP without the VIP", state(b), b.addrs.Has(vip))
	}
	if got, want := a.ann.Count(), 5; got != want { // garp_master_repeat 5 × 1 VIP
		t.Errorf("a sent %d GARPs, want %d", got, want)
	}
	if got := a.addrs.Ops(); len(got) != 2 || got[0] != "del 10.0.0.100/32" || got[1] != "add 10.0.0.100/32" {
		t.Errorf("a's address operations %q: want a stale VIP removed at start, then added as master", got)
	}

	// Hard kill: a goes silent; b takes over after its master-down timer.
	bound := 3*100*time.Millisecond + 156*100*time.Millisecond/256 + 50*time.Millisecond
	hub.Cut("a", true)
	took := waitFor(t, 2*time.Second, "b takes over", func() bool { return b.addrs.Has(vip) })
	t.Logf("hard kill: b held the VIP after %v (bound %v)", took, bound)
	if took > bound && !raceEnabled {
		t.Errorf("takeover took %v, bound %v", took, bound)
	}

	// a comes back and preempts; then a graceful stop of a hands over at
	// once (priority 0: b waits skew only).
	hub.Cut("a", false)
	waitFor(t, 2*time.Second, "a preempts", func() bool { return state(b) == vrrp.StateBackup && !b.addrs.Has(vip) })
	if !a.addrs.Has(vip) || state(a) != vrrp.StateMaster {
		t.Fatalf("a: %v", state(a))
	}
	a.rt.Stop()
	if a.addrs.Has(vip) {
		t.Error("a kept its VIP after Stop")
	}
	took = waitFor(t, 2*time.Second, "b takes over after stop", func() bool { return b.addrs.Has(vip) })
	stopBound := 156*100*time.Millisecond/256 + 50*time.Millisecond
	t.Logf("graceful stop: b held the VIP after %v (bound %v)", took, stopBound)
	if took > stopBound && !raceEnabled {
		t.Errorf("takeover after stop took %v, bound %v", took, stopBound)
	}
	if err := <-a.done; err != nil {
		t.Error(err)
	}
}

func TestRuntimeNopreempt(t *testing.T) {
	hub := vrrptest.NewHub()
	b := startNode(t, hub, "b", "10.0.0.2", instConf(100, ""))
	waitFor(t, 2*time.Second, "b becomes MASTER alone", func() bool { return b.addrs.Has(vip) })
	a := startNode(t, hub, "a", "10.0.0.1", instConf(200, "nopreempt"))
	time.Sleep(800 * time.Millisecond) // > 2 master-down intervals
	if state(a) != vrrp.StateBackup || !b.addrs.Has(vip) || a.addrs.Has(vip) {
		t.Fatalf("nopreempt: a %v, b %v; want a BACKUP and b keeping the VIP", state(a), state(b))
	}
}

// Garbage and bad adverts are counted and dropped; the node keeps working.
func TestRuntimeMalformedInput(t *testing.T) {
	hub := vrrptest.NewHub()
	b := startNode(t, hub, "b", "10.0.0.2", instConf(100, ""))
	waitFor(t, 2*time.Second, "b becomes MASTER", func() bool { return b.addrs.Has(vip) })
	s := hub.Sockets("b")[0]
	for _, g := range [][]byte{nil, {0x45}, make([]byte, 20), {0x45, 0, 0, 20, 0, 0, 0, 0, 255, 112}} {
		s.Inject(g)
	}
	waitFor(t, time.Second, "garbage counted as too short", func() bool { return b.rt.Sockets()[0].TooShort == 4 })
	// A valid advert with TTL 64: a multicast TTL drop.
	adv := packet.Advert{Version: 3, Type: 1, VRID: 51, Priority: 250, CountAddrs: 1, AdverInt: 10,
		Addrs: []netip.Addr{vip.Addr()}}
	pkt, err := packet.BuildIPv4(&adv, packet.IPv4Options{TTL: 64, Src: netip.MustParseAddr("10.0.0.9"), Dst: packet.IPv4Group})
	if err != nil {
		t.Fatal(err)
	}
	s.Inject(pkt)
	waitFor(t, time.Second, "TTL drop counted", func() bool { return b.rt.States()[0].Drops["ttl"] == 1 })
	if state(b) != vrrp.StateMaster {
		t.Fatalf("b left MASTER on a dropped advert: %v", state(b))
	}
	// The same advert with TTL 255 and a higher priority is obeyed.
	pkt, _ = packet.BuildIPv4(&adv, packet.IPv4Options{Src: netip.MustParseAddr("10.0.0.9"), Dst: packet.IPv4Group})
	s.Inject(pkt)
	waitFor(t, time.Second, "b yields to priority 250", func() bool { return state(b) == vrrp.StateBackup && !b.addrs.Has(vip) })
}

// notify_<state> then the generic notify with INSTANCE NAME STATE PRIORITY,
// after the transition; notify_stop at Stop.
func TestRuntimeNotifyScripts(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Unavailable(t, "needs root: its scripts run as script_user root")
	}
	dir := t.TempDir()
	var paths []string
	for _, n := range []string{"master.sh", "backup.sh", "stop.sh", "any.sh"} {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	extra := fmt.Sprintf("notify_master %q\n    notify_backup %q\n    notify_stop %q\n    notify %q",
		paths[0]+" arg1", paths[1], paths[2], paths[3])
	cfg := loadConf(t, "global_defs {\n    enable_script_security\n    script_user root\n}\n"+instConf(100, extra))
	sc := &vrrptest.Scripts{}
	fn := &vrrptest.Net{Hub: vrrptest.NewHub(), Node: "a", Ifaces: map[string]vrrp.IfaceInfo{
		"eth0": {Up: true, Addr4: netip.MustParseAddr("10.0.0.1")}}}
	addrs := &vrrptest.Addrs{}
	rt, err := vrrpd.NewRuntime(cfg, vrrpd.Deps{Net: fn, Addrs: addrs, Announcer: &vrrptest.Announcer{}, Scripts: sc})
	if err != nil {
		t.Fatal(err)
	}
	go rt.Run(context.Background())
	waitFor(t, 2*time.Second, "master", func() bool { return addrs.Has(vip) })
	rt.Stop()
	want := []string{
		paths[1], paths[3] + " INSTANCE VI_1 BACKUP 100",
		paths[0] + " arg1", paths[3] + " INSTANCE VI_1 MASTER 100",
		paths[2], paths[3] + " INSTANCE VI_1 STOP 100",
	}
	got := sc.Argvs()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("scripts run:\n got %q\nwant %q", got, want)
	}
}

func TestExecScripts(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	err := vrrpd.ExecScripts{}.Start(vrrp.Command{Argv: []string{"/bin/sh", "-c", `printf '%s' "$0" > "$1"`, "MASTER", out}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "script output", func() bool {
		b, _ := os.ReadFile(out)
		return string(b) == "MASTER"
	})
	if err := (vrrpd.ExecScripts{}).Start(vrrp.Command{Argv: []string{"/nonexistent/script"}}); err == nil {
		t.Error("a missing script started")
	}
}

// track_script: a failing weighted script lowers the master's priority
// below the backup's, which takes over after its master-down interval;
// an unweighted one puts the master in FAULT (priority 0: skew only).
func TestRuntimeTrackScript(t *testing.T) {
	for _, tc := range []struct {
		name   string
		weight string
		bound  time.Duration
	}{
		{"weighted", "weight -60", 3*100*time.Millisecond + 156*100*time.Millisecond/256 + 50*time.Millisecond},
		{"unweighted", "weight 0", 156*100*time.Millisecond/256 + 50*time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hub := vrrptest.NewHub()
			script := "global_defs {\n    enable_script_security\n    script_user root\n}\nvrrp_script chk {\n    script /bin/true\n    interval 1\n}\n"
			sc := &vrrptest.Scripts{}
			a := &node{name: "a", addrs: &vrrptest.Addrs{}, ann: &vrrptest.Announcer{}, done: make(chan error, 1)}
			fn := &vrrptest.Net{Hub: hub, Node: "a", Ifaces: map[string]vrrp.IfaceInfo{
				"eth0": {Up: true, Addr4: netip.MustParseAddr("10.0.0.1")}}}
			rt, err := vrrpd.NewRuntime(loadConf(t, script+instConf(150, "track_script {\n        chk "+tc.weight+"\n    }")),
				vrrpd.Deps{Net: fn, Addrs: a.addrs, Announcer: a.ann, Scripts: sc})
			if err != nil {
				t.Fatal(err)
			}
			a.rt = rt
			go rt.Run(context.Background())
			t.Cleanup(rt.Stop)
			b := startNode(t, hub, "b", "10.0.0.2", instConf(100, ""))
			waitFor(t, 2*time.Second, "a becomes MASTER", func() bool { return a.addrs.Has(vip) })
			time.Sleep(400 * time.Millisecond)
			if b.addrs.Has(vip) {
				t.Fatal("b took the VIP while a's script passes")
			}
			sc.SetFail("/bin/true", true)
			waitFor(t, 3*time.Second, "b takes over", func() bool { return b.addrs.Has(vip) })
			// Measured from the failing run (the script runs every second).
			took := time.Since(sc.FirstFail())
			bound := tc.bound
			t.Logf("script failing: b held the VIP after %v (bound %v)", took, bound)
			if took > bound && !raceEnabled {
				t.Errorf("takeover %v > bound %v", took, bound)
			}
			waitFor(t, time.Second, "a releases the VIP", func() bool { return !a.addrs.Has(vip) })
			want := vrrp.StateBackup
			if tc.weight == "weight 0" {
				want = vrrp.StateFault
			}
			if got := state(a); got != want {
				t.Errorf("a is %v, want %v", got, want)
			}
			if tc.weight != "weight 0" {
				if p := a.rt.States()[0].EffectivePriority; p != 90 {
					t.Errorf("a's effective priority %d, want 90", p)
				}
			}
			// Recovery: a is back in charge.
			sc.SetFail("/bin/true", false)
			waitFor(t, 3*time.Second, "a preempts again", func() bool { return a.addrs.Has(vip) && !b.addrs.Has(vip) })
		})
	}
}

func TestExecScriptsRun(t *testing.T) {
	e := vrrpd.ExecScripts{}
	if err := e.Run(context.Background(), vrrp.Command{Argv: []string{"/bin/true"}}, time.Second); err != nil {
		t.Errorf("true: %v", err)
	}
	if err := e.Run(context.Background(), vrrp.Command{Argv: []string{"/bin/false"}}, time.Second); err == nil || err.Error() != "exited with status 1" {
		t.Errorf("false: %v", err)
	}
	start := time.Now()
	if err := e.Run(context.Background(), vrrp.Command{Argv: []string{"/bin/sleep", "10"}}, 100*time.Millisecond); err == nil || err.Error() != "timed out" {
		t.Errorf("a script past its timeout: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("timeout took %v to end the script", d)
	}
}

// A stop waits for the notify_stop script it starts, as keepalived's
// shutdown timer does (a second at most): the daemon exits right after,
// and its scripts would get SIGTERM with it.
func TestRuntimeStopWaitsForNotifyStop(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Unavailable(t, "needs root: its scripts run as script_user root")
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name, body string
		written    bool
	}{
		{"quick", "sleep 0.3; echo stop > $0.out", true},
		{"hung", "sleep 30; echo stop > $0.out", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name+".sh")
			out := p + ".out"
			if err := os.WriteFile(p, []byte("#!/bin/sh\n"+tc.body+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			cfg := loadConf(t, "global_defs {\n    enable_script_security\n    script_user root\n}\n"+instConf(100, fmt.Sprintf("notify_stop %q", p)))
			fn := &vrrptest.Net{Hub: vrrptest.NewHub(), Node: "a", Ifaces: map[string]vrrp.IfaceInfo{
				"eth0": {Up: true, Addr4: netip.MustParseAddr("10.0.0.1")}}}
			addrs := &vrrptest.Addrs{}
			rt, err := vrrpd.NewRuntime(cfg, vrrpd.Deps{Net: fn, Addrs: addrs, Announcer: &vrrptest.Announcer{}, Scripts: vrrpd.ExecScripts{}})
			if err != nil {
				t.Fatal(err)
			}
			go rt.Run(context.Background())
			waitFor(t, 2*time.Second, "master", func() bool { return addrs.Has(vip) })
			start := time.Now()
			rt.Stop()
			took := time.Since(start)
			b, _ := os.ReadFile(out)
			if got := string(b) == "stop\n"; got != tc.written {
				t.Errorf("notify_stop's output written by the time Stop returned: %v, want %v", got, tc.written)
			}
			if !tc.written && took > 3*time.Second { // the 1 s wait, with slack for a loaded machine
				t.Errorf("Stop waited %v for a hung notify_stop", took)
			}
		})
	}
}
