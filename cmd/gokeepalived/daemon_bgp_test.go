package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/netnstest"
)

// The BGP tests run the daemon with a bgp_speaker in one namespace and
// FRR 8.4 (zebra, bfdd, bgpd, as Debian ships them) in another, joined by
// a veth pair: the router at 10.<n>.0.1 (AS 65000), the director at
// 10.<n>.0.2 (AS 65011). The route is read from bgpd's RIB with vtysh.

const (
	bgpPrefix   = "10.0.0.100/32"
	bgpHoldTime = 9 // s, FRR's "timers 3 9"
	// the protocol bounds' slack: bfdd's and our own scheduling on a
	// loaded 2-core machine, and the 50 ms poll of vtysh
	bgpBFDSlack  = 600 * time.Millisecond
	bgpHoldSlack = 2 * time.Second
)

// frrRouter is FRR's zebra, bfdd and bgpd in a namespace, their sockets
// in their own directory (-N would need /etc/frr/NAME).
type frrRouter struct {
	t   *testing.T
	ns  string
	dir string
}

func startFRR(t *testing.T, ns, conf string) *frrRouter {
	t.Helper()
	// the daemons run as frr: their directory is not under t.TempDir's (0700)
	dir, err := os.MkdirTemp("", "gkbgpfrr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	r := &frrRouter{t: t, ns: ns, dir: dir}
	for _, d := range []string{"zebra", "bfdd", "bgpd"} {
		text := ""
		if d == "bgpd" {
			text = conf
		}
		f := filepath.Join(dir, d+".conf")
		if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		args := []string{"-f", f, "-i", filepath.Join(dir, d+".pid"), "--vty_socket", dir, "-u", "frr", "-g", "frr",
			"-z", filepath.Join(dir, "zserv.api"), "-P", "0", "--log", "stdout"}
		if d == "bfdd" {
			args = append(args, "--bfdctl", filepath.Join(dir, "bfdd.sock"))
		}
		p := startCmd(t, nsCommand(ns)("/usr/lib/frr/"+d, args...), nil)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("%s's output:\n%s", d, p.log())
			}
		})
		// ready once its vty socket is there (the others connect to zebra's)
		deadline := time.Now().Add(10 * time.Second)
		for {
			if _, err := os.Stat(filepath.Join(dir, d+".vty")); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s did not start:\n%s", d, p.log())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return r
}

func (r *frrRouter) vtysh(cmd string) []byte {
	r.t.Helper()
	out, err := exec.Command("ip", "netns", "exec", r.ns, "vtysh", "--vty_socket", r.dir, "-c", cmd).CombinedOutput()
	if err != nil {
		r.t.Fatalf("vtysh -c %q: %v\n%s", cmd, err, out)
	}
	return out
}

// frrPath is the part of bgpd's JSON for one path we check.
type frrPath struct {
	Metric    *uint32 `json:"metric"`
	Community struct {
		String string `json:"string"`
	} `json:"community"`
	Nexthops []struct {
		IP string `json:"ip"`
	} `json:"nexthops"`
	Stale bool `json:"stale"`
}

// route returns the paths bgpd has for prefix (none: not in its RIB).
func (r *frrRouter) route(prefix string) []frrPath {
	r.t.Helper()
	var v struct {
		Paths []frrPath `json:"paths"`
	}
	out := r.vtysh("show bgp ipv4 unicast " + prefix + " json")
	if err := json.Unmarshal(out, &v); err != nil {
		r.t.Fatalf("bgpd's JSON: %v\n%s", err, out)
	}
	return v.Paths
}

// waitRoute polls every 50 ms until prefix is (or is not) in bgpd's
// RIB, and returns when it saw it.
func (r *frrRouter) waitRoute(prefix string, present bool, within time.Duration, gk *gkProc) time.Time {
	r.t.Helper()
	deadline := time.Now().Add(within)
	for (len(r.route(prefix)) > 0) != present {
		if time.Now().After(deadline) {
			r.t.Fatalf("%s never %s in FRR's RIB within %v:\n%s\n%s", prefix, map[bool]string{true: "appeared", false: "left"}[present],
				within, r.vtysh("show bgp summary"), gk.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Now()
}

// established is how many times bgpd's session to nbr was established.
func (r *frrRouter) established(nbr string) int {
	r.t.Helper()
	var v map[string]struct {
		Established int `json:"connectionsEstablished"`
	}
	out := r.vtysh("show bgp neighbors " + nbr + " json")
	if err := json.Unmarshal(out, &v); err != nil {
		r.t.Fatalf("bgpd's JSON: %v\n%s", err, out)
	}
	return v[nbr].Established
}

func frrConf(l *bfdLink, gr bool) string {
	c := fmt.Sprintf("router bgp 65000\n bgp router-id %s\n no bgp ebgp-requires-policy\n", l.aa)
	if gr {
		c += " bgp graceful-restart\n"
	}
	return c + fmt.Sprintf(" neighbor %s remote-as 65011\n neighbor %s timers 3 %d\n neighbor %s bfd\n!\n", l.ba, l.ba, bgpHoldTime, l.ba)
}

// gkBGPConf is the director: a VRRP instance alone on its link (MASTER),
// leaving MASTER while the track file holds a non-zero value, and the
// extension file with the speaker and the announcement tied to it.
func gkBGPConf(t *testing.T, l *bfdLink, track, speaker, neighbor, announce string) string {
	dir := t.TempDir()
	ext := filepath.Join(dir, "gokeepalived.conf")
	text := fmt.Sprintf(`bgp_speaker {
 router_id %s
 local_as 65011
 listen_port 0
%s neighbor %s {
  remote_as 65000
  hold_time %d
%s }
}
bgp_announce %s {
 vrrp_instance VI_1
 community 65000:100 65000:200
 med 10
}
%s`, l.ba, speaker, l.aa, bgpHoldTime, neighbor, bgpPrefix, announce)
	if err := os.WriteFile(ext, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`track_file down {
 file %s
 weight 0
}
vrrp_instance VI_1 {
 state MASTER
 interface bfb
 virtual_router_id 52
 priority 150
 advert_int 1
 virtual_ipaddress {
  %s/32
 }
 track_file {
  down
 }
}
@gokeepalived include %s
`, track, strings.TrimSuffix(l.ba, ".2")+".100", ext)
}

// newBGPLink is a veth pair with the router on "bfa" (namespace a) and
// the director on "bfb" (namespace b).
func newBGPLink(t *testing.T, prefix string, n int) *bfdLink {
	netnstest.Require(t, "/usr/lib/frr/bgpd", "/usr/lib/frr/bfdd", "/usr/lib/frr/zebra", "vtysh")
	return newBFDLink(t, prefix, n)
}

// TestDaemonBGPWithFRR: the daemon announces the prefix to FRR's bgpd
// with its attributes while its VRRP instance is MASTER, withdraws it
// when the instance leaves MASTER and announces it again when it is
// back; a reload adding a prefix keeps the session; status shows the
// session and the prefix; a clean stop withdraws at once; and a frozen
// director (SIGSTOP: no FIN, no BFD, no keepalive) is withdrawn by FRR
// within BFD's 3 × 300 ms, or without BFD within the hold time; kill -9
// is seen at once (the kernel closes the TCP session).
//
// Not parallel: the withdrawal times are timed against their bounds, so
// it runs before the package's parallel tests load the machine.
func TestDaemonBGPWithFRR(t *testing.T) {
	l := newBGPLink(t, "gkbg", 83)
	r := startFRR(t, l.a, frrConf(l, false))
	track := filepath.Join(t.TempDir(), "down")
	if err := os.WriteFile(track, []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	start := func(bfd bool, announce string) (*gkProc, string) {
		nbr := ""
		if bfd {
			nbr = "  bfd\n"
		}
		return startGKIn(t, l.b, gkBGPConf(t, l, track, "", nbr, announce))
	}

	gk, gkDir := start(true, "")
	r.waitRoute(bgpPrefix, true, 30*time.Second, gk)
	p := r.route(bgpPrefix)[0]
	if p.Metric == nil || *p.Metric != 10 || p.Community.String != "65000:100 65000:200" || len(p.Nexthops) != 1 || p.Nexthops[0].IP != l.ba {
		t.Errorf("FRR's path: %+v", p)
	}

	// the instance leaves MASTER (FAULT) and comes back
	os.WriteFile(track, []byte("1\n"), 0o644)
	gk.waitFor("(VI_1) Entering FAULT STATE", 1)
	r.waitRoute(bgpPrefix, false, 5*time.Second, gk)
	os.WriteFile(track, []byte("0\n"), 0o644)
	r.waitRoute(bgpPrefix, true, 15*time.Second, gk)

	// a reload adding a prefix keeps the session up
	sessions := r.established(l.ba)
	conf, err := os.ReadFile(filepath.Join(gkDir, "keepalived.conf"))
	if err != nil {
		t.Fatal(err)
	}
	ext := strings.TrimSpace(strings.TrimPrefix(string(conf[strings.Index(string(conf), "@gokeepalived include "):]), "@gokeepalived include "))
	extText, _ := os.ReadFile(ext)
	if err := os.WriteFile(ext, append(extText, "bgp_announce 10.0.0.101/32 {\n vrrp_instance VI_1\n}\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	gk.signal(syscall.SIGHUP)
	gk.waitFor("Reload complete", 1)
	r.waitRoute("10.0.0.101/32", true, 10*time.Second, gk)
	if n := r.established(l.ba); n != sessions {
		t.Errorf("the reload reset the session: established %d times, was %d", n, sessions)
	}

	// status
	self, _ := os.Executable()
	stc := exec.Command(self, "status", "--control-socket", filepath.Join(gkDir, "gk.sock"))
	stc.Env = append(os.Environ(), "GOKEEPALIVED_AS_MAIN=1") // not the tests again
	out, err := stc.CombinedOutput()
	if err != nil {
		t.Fatalf("status: %v\n%s", err, out)
	}
	var st struct {
		BGP struct {
			Sessions []struct {
				Neighbor    string `json:"neighbor"`
				Established bool   `json:"established"`
				BFD         string `json:"bfd"`
			} `json:"sessions"`
			Announced []string `json:"announced"`
		} `json:"bgp"`
	}
	if err := json.Unmarshal(out, &st); err != nil {
		t.Fatalf("status: %v\n%s", err, out)
	}
	if len(st.BGP.Sessions) != 1 || st.BGP.Sessions[0].Neighbor != l.aa || !st.BGP.Sessions[0].Established ||
		st.BGP.Sessions[0].BFD != "up" || strings.Join(st.BGP.Announced, " ") != "10.0.0.100/32 10.0.0.101/32" {
		t.Errorf("status: %s", out)
	}

	// a clean stop withdraws at once (a Cease)
	t0 := time.Now()
	termProc(t, gk)
	gone := r.waitRoute(bgpPrefix, false, 3*time.Second, gk)
	t.Logf("clean stop: withdrawn %v after SIGTERM", gone.Sub(t0).Round(time.Millisecond))

	// frozen: FRR's BFD, then its hold timer, is all that sees it
	freeze := func(bfd bool) time.Duration {
		gk, _ := start(bfd, "")
		r.waitRoute(bgpPrefix, true, 30*time.Second, gk)
		if bfd {
			waitFRRBFDUp(t, r, l.ba, gk)
		}
		time.Sleep(time.Second) // a keepalive or two on the session
		t0 := time.Now()
		gk.signal(syscall.SIGSTOP)
		gone := r.waitRoute(bgpPrefix, false, (bgpHoldTime+5)*time.Second, gk)
		killProc(gk)
		return gone.Sub(t0)
	}
	bfdTime := freeze(true)
	holdTime := freeze(false)

	// kill -9: the kernel closes the session (FIN), FRR withdraws at once
	gk, _ = start(false, "")
	r.waitRoute(bgpPrefix, true, 30*time.Second, gk)
	t0 = time.Now()
	killProc(gk)
	killTime := r.waitRoute(bgpPrefix, false, 5*time.Second, gk).Sub(t0)

	fmt.Printf("FIGURE bgp-withdraw: bfd=%dms hold=%.1fs kill9=%dms (frozen director: BFD 300 ms x 3, hold time %d s; kill -9: TCP FIN)\n",
		bfdTime.Milliseconds(), holdTime.Seconds(), killTime.Milliseconds(), bgpHoldTime)
	if bound := 900*time.Millisecond + bgpBFDSlack; bfdTime > bound {
		t.Errorf("BFD: withdrawn after %v, over 3 × 300 ms + %v", bfdTime, bgpBFDSlack)
	}
	// the hold timer runs from the last keepalive, sent every hold/3
	if lo, hi := time.Duration(bgpHoldTime)*time.Second*2/3-bgpHoldSlack, time.Duration(bgpHoldTime)*time.Second+bgpHoldSlack; holdTime < lo || holdTime > hi {
		t.Errorf("hold time: withdrawn after %v, not within [%v, %v]", holdTime, lo, hi)
	}
}

// waitFRRBFDUp waits until bfdd has the session to peer up.
func waitFRRBFDUp(t *testing.T, r *frrRouter, peer string, gk *gkProc) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var peers []struct {
			Peer   string `json:"peer"`
			Status string `json:"status"`
		}
		out := r.vtysh("show bfd peers json")
		if err := json.Unmarshal(out, &peers); err != nil {
			t.Fatalf("bfdd's JSON: %v\n%s", err, out)
		}
		for _, p := range peers {
			if p.Peer == peer && p.Status == "up" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("bfdd's session to %s never up:\n%s\n%s", peer, out, gk.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDaemonBGPGracefulRestart: with graceful_restart, a daemon stopped
// (SIGTERM) and started again within the restart time never takes the
// route out of FRR's RIB: FRR keeps it stale while the session is down,
// and the restarted speaker, which connects once its instance is MASTER
// again, refreshes it before its End-of-RIB. Without graceful_restart
// the same stop withdraws it (TestDaemonBGPWithFRR).
func TestDaemonBGPGracefulRestart(t *testing.T) {
	t.Parallel()
	l := newBGPLink(t, "gkbr", 84)
	r := startFRR(t, l.a, frrConf(l, true))
	track := filepath.Join(t.TempDir(), "down")
	if err := os.WriteFile(track, []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := gkBGPConf(t, l, track, " graceful_restart 60\n", "", "")
	gk, _ := startGKIn(t, l.b, conf)
	r.waitRoute(bgpPrefix, true, 30*time.Second, gk)
	sessions := r.established(l.ba)

	// watch the RIB through the restart
	var missing, stale int
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-stop:
				return
			default:
			}
			out, err := exec.Command("ip", "netns", "exec", r.ns, "vtysh", "--vty_socket", r.dir, "-c", "show bgp ipv4 unicast "+bgpPrefix+" json").Output()
			var v struct {
				Paths []frrPath `json:"paths"`
			}
			if err == nil && json.Unmarshal(out, &v) == nil {
				if len(v.Paths) == 0 {
					missing++
				} else if v.Paths[0].Stale {
					stale++
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	t0 := time.Now()
	termProc(t, gk)
	if !strings.Contains(gk.log(), "graceful_restart: the sessions closed without a Cease") {
		t.Errorf("no graceful stop in the log:\n%s", gk.log())
	}
	gk2, _ := startGKIn(t, l.b, conf)
	deadline := time.Now().Add(40 * time.Second)
	for r.established(l.ba) == sessions || len(r.route(bgpPrefix)) == 0 || r.route(bgpPrefix)[0].Stale {
		if time.Now().After(deadline) {
			t.Fatalf("the restarted speaker never refreshed the route:\n%s\n%s", r.vtysh("show bgp neighbors "+l.ba), gk2.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	gap := time.Since(t0)
	close(stop)
	<-watched
	t.Logf("graceful restart: %v from SIGTERM to the route refreshed; FRR had it stale in %d polls, missing in %d", gap.Round(time.Millisecond), stale, missing)
	if missing > 0 {
		t.Errorf("the route left FRR's RIB during the restart (%d polls of 50 ms)", missing)
	}
	if stale == 0 {
		t.Errorf("FRR never marked the route stale: was the session kept?")
	}
}

// TestDaemonBGPIPv6WithFRR: an IPv6 prefix over an IPv6 session, with
// next-hop self (MP_REACH_NLRI), appears in FRR's IPv6 RIB while the
// instance is MASTER and leaves it when the instance does.
func TestDaemonBGPIPv6WithFRR(t *testing.T) {
	t.Parallel()
	l := newBGPLink(t, "gkb6", 85)
	ra, da := "fd00:85::1", "fd00:85::2"
	for _, s := range [][]string{{"-n", l.a, "addr", "add", ra + "/64", "dev", "bfa", "nodad"}, {"-n", l.b, "addr", "add", da + "/64", "dev", "bfb", "nodad"}} {
		if out, err := exec.Command("ip", s...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v %s", s, err, out)
		}
	}
	r := startFRR(t, l.a, fmt.Sprintf("router bgp 65000\n bgp router-id %s\n no bgp ebgp-requires-policy\n neighbor %s remote-as 65011\n"+
		" address-family ipv6 unicast\n  neighbor %s activate\n exit-address-family\n!\n", l.aa, da, da))
	track := filepath.Join(t.TempDir(), "down")
	if err := os.WriteFile(track, []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	text := gkBGPConf(t, l, track, "", "", "bgp_announce 2001:db8:100::/64 {\n vrrp_instance VI_1\n med 7\n}\n")
	// the IPv6 neighbour instead of the IPv4 one
	ext := text[strings.Index(text, "@gokeepalived include ")+len("@gokeepalived include ") : len(text)-1]
	b, _ := os.ReadFile(ext)
	os.WriteFile(ext, []byte(strings.Replace(string(b), "neighbor "+l.aa+" {", "neighbor "+ra+" {", 1)), 0o644)
	gk, _ := startGKIn(t, l.b, text)
	route := func() []frrPath {
		var v struct {
			Paths []frrPath `json:"paths"`
		}
		out := r.vtysh("show bgp ipv6 unicast 2001:db8:100::/64 json")
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("bgpd's JSON: %v\n%s", err, out)
		}
		return v.Paths
	}
	wait := func(present bool) {
		deadline := time.Now().Add(30 * time.Second)
		for (len(route()) > 0) != present {
			if time.Now().After(deadline) {
				t.Fatalf("2001:db8:100::/64 never %v in FRR's RIB:\n%s\n%s", present, r.vtysh("show bgp ipv6 unicast"), gk.log())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	wait(true)
	p := route()[0]
	if p.Metric == nil || *p.Metric != 7 || len(p.Nexthops) == 0 || p.Nexthops[0].IP != da {
		t.Errorf("FRR's path: %+v", p)
	}
	os.WriteFile(track, []byte("1\n"), 0o644)
	wait(false)
}
