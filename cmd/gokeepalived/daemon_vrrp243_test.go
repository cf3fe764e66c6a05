package main

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/netnstest"
	"github.com/gokeepalived/gokeepalived/internal/testenv"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// The tests here run keepalived 2.4.3 (the second oracle) against
// gokeepalived in namespaces, on the VRRP keywords keepalived added after
// 2.2.7. Each implementation is the sender and the receiver in turn.

// pair243 is keepalived 2.4.3 and gokeepalived, in that order.
func pair243(t *testing.T) []string {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return []string{testenv.Keepalived243(t), self}
}

func name243(bin string) string {
	if strings.HasSuffix(bin, "/keepalived") {
		return "keepalived243"
	}
	return "gokeepalived"
}

// kwMulticastV3 is a VRRPv3 multicast instance; vips is the
// virtual_ipaddress block's content ("" for none).
func kwMulticastV3(state, prio, extra, vips string) string {
	text := kwGlobal + "vrrp_instance VI_1 {\n state " + state + "\n version 3\n interface eth0\n virtual_router_id 63\n priority " + prio +
		"\n advert_int 1\n" + extra
	if vips != "" {
		text += " virtual_ipaddress {\n " + vips + "\n }\n"
	}
	return text + "}\n"
}

// run243Pair starts sender (MASTER) in a and receiver in b, waits for the
// receiver to settle and returns what tshark saw on b as
// "source,fields...". The receiver must stay BACKUP past its master down
// interval.
func run243Pair(t *testing.T, sender, receiver, cfgA, cfgB string, fields ...string) (s, r *gkProc, pkts []string) {
	a, b := nstest.Pair(t)
	capture := tshark(t, b.Command, "eth0", "ip proto 112", 8*time.Second, append([]string{"ip.src"}, fields...)...)
	s, _ = startKW(t, a.Command, sender, cfgA)
	s.waitFor("(VI_1) Entering MASTER STATE", 1)
	r, _ = startKW(t, b.Command, receiver, cfgB)
	r.waitFor("(VI_1) Entering BACKUP STATE", 1)
	time.Sleep(4500 * time.Millisecond) // > master down interval (3 s + skew)
	if l := r.log(); strings.Contains(l, "Entering MASTER STATE") || strings.Contains(l, "checksum") {
		t.Errorf("%s receiver did not stay BACKUP on %s's adverts:\n%s", name243(receiver), name243(sender), l)
	}
	if l := s.log(); strings.Contains(l, "Entering BACKUP STATE\n") { // not "(init)"
		t.Errorf("%s sender left MASTER:\n%s", name243(sender), l)
	}
	return s, r, <-capture
}

// fromSender keeps the captured lines whose source is 10.77.0.1, without
// the source.
func fromSender(pkts []string) []string {
	var out []string
	for _, p := range pkts {
		if v, ok := strings.CutPrefix(p, "10.77.0.1,"); ok && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// TestDaemon243V3ChecksumAsV2: with v3_checksum_as_v2 (2.2.8) a VRRPv3
// IPv4 checksum leaves out the pseudo-header. The adverts of keepalived
// 2.4.3 and gokeepalived carry the same checksum (tshark, which includes
// the pseudo-header, calls both bad) and each takes the other's with the
// keyword, in the instance or in global_defs.
func TestDaemon243V3ChecksumAsV2(t *testing.T) {
	t.Parallel() // own namespaces and directories; mostly waiting on VRRP timers
	netnstest.Require(t, "tshark")
	bins := pair243(t)
	sums := map[string][]string{}
	for _, where := range []string{"instance", "global"} {
		for _, dir := range [][2]string{{bins[0], bins[1]}, {bins[1], bins[0]}} {
			t.Run(where+"/"+name243(dir[0])+"-to-"+name243(dir[1]), func(t *testing.T) {
				extra, global := " v3_checksum_as_v2\n", ""
				if where == "global" {
					extra, global = "", "global_defs {\n v3_checksum_as_v2\n}\n"
				}
				cfgA := global + kwMulticastV3("MASTER", "150", extra, "10.77.0.100/32")
				cfgB := global + kwMulticastV3("BACKUP", "100", extra, "10.77.0.100/32")
				_, _, pkts := run243Pair(t, dir[0], dir[1], cfgA, cfgB, "vrrp.checksum", "vrrp.checksum.status")
				got := fromSender(pkts)
				t.Logf("%s's adverts (checksum,tshark status): %v", name243(dir[0]), got)
				if len(got) != 1 || !strings.HasSuffix(got[0], ",0") {
					t.Errorf("%s's checksums: %v, want one value that tshark calls bad", name243(dir[0]), got)
				}
				sums[where+"/"+name243(dir[0])] = got
			})
		}
	}
	for _, where := range []string{"instance", "global"} {
		if ka, ours := sums[where+"/keepalived243"], sums[where+"/gokeepalived"]; !slices.Equal(ka, ours) {
			t.Errorf("%s: keepalived 2.4.3 sent checksums %v, gokeepalived %v", where, ka, ours)
		}
	}
}

// TestDaemon243NoVirtualIPAddress: a VRRPv3 instance with
// no_virtual_ipaddress (2.2.8) and no VIP starts, becomes MASTER and
// sends adverts with no address, which the other implementation takes.
func TestDaemon243NoVirtualIPAddress(t *testing.T) {
	t.Parallel() // own namespaces and directories; mostly waiting on VRRP timers
	netnstest.Require(t, "tshark")
	bins := pair243(t)
	for _, dir := range [][2]string{{bins[0], bins[1]}, {bins[1], bins[0]}} {
		t.Run(name243(dir[0])+"-to-"+name243(dir[1]), func(t *testing.T) {
			cfgA := kwMulticastV3("MASTER", "150", " no_virtual_ipaddress\n", "")
			cfgB := kwMulticastV3("BACKUP", "100", " no_virtual_ipaddress\n", "")
			s, r, pkts := run243Pair(t, dir[0], dir[1], cfgA, cfgB, "vrrp.addr_count", "vrrp.checksum.status")
			if got := fromSender(pkts); !slices.Equal(got, []string{"0,1"}) {
				t.Errorf("%s's adverts (address count,checksum status): %v, want [0,1]", name243(dir[0]), got)
			}
			for _, p := range []*gkProc{s, r} {
				if strings.Contains(p.log(), "No VIP specified") {
					t.Errorf("warned of no VIP:\n%s", p.log())
				}
			}
		})
	}
}

// TestDaemon243OwnerIgnoreAdverts: two address owners (priority 255).
// The one with owner_ignore_adverts (2.3.3, RFC 9568) drops the other's
// adverts, saying so, and stays MASTER with the VIP; the other, at the
// higher address, reports the conflict.
func TestDaemon243OwnerIgnoreAdverts(t *testing.T) {
	t.Parallel() // own namespaces and directories; mostly waiting on VRRP timers
	netnstest.Require(t)
	bins := pair243(t)
	for _, where := range []string{"instance", "global"} {
		for _, dir := range [][2]string{{bins[0], bins[1]}, {bins[1], bins[0]}} {
			t.Run(where+"/"+name243(dir[0])+"-ignores-"+name243(dir[1]), func(t *testing.T) {
				extra, global := " owner_ignore_adverts\n", ""
				if where == "global" {
					extra, global = "", "global_defs {\n vrrp_owner_ignore_adverts\n}\n"
				}
				a, b := nstest.Pair(t)
				own, _ := startKW(t, a.Command, dir[0], global+kwMulticastV3("MASTER", "255", extra, "10.77.0.100/32"))
				own.waitFor("(VI_1) Entering MASTER STATE", 1)
				other, _ := startKW(t, b.Command, dir[1], kwMulticastV3("MASTER", "255", "", "10.77.0.100/32"))
				own.waitFor("(VI_1) Dropping packet(s) from 10.77.0.2 since we are address owner", 1)
				other.waitFor("(VI_1) CONFIGURATION ERROR: local instance and ", 1)
				time.Sleep(3 * time.Second)
				if l := own.log(); strings.Contains(l, "Entering BACKUP STATE\n") || strings.Contains(l, "CONFIGURATION ERROR") {
					t.Errorf("%s with owner_ignore_adverts took the other owner's adverts:\n%s", name243(dir[0]), l)
				}
				if !hasAddr(t, a.Name, "10.77.0.100") {
					t.Errorf("the ignoring owner lost its VIP:\n%s", own.log())
				}
			})
		}
	}
}

// TestDaemon243ScriptMilliseconds: vrrp_script interval and timeout take
// milliseconds (2.3.2). A script run every 0.2 s runs about 15 times in
// 3 s; one that sleeps 0.6 s with a 0.3 s timeout times out and its
// instance never becomes MASTER, in keepalived 2.4.3 and gokeepalived
// alike.
func TestDaemon243ScriptMilliseconds(t *testing.T) {
	t.Parallel() // own namespaces and directories; mostly waiting on scripts
	netnstest.Require(t)
	runs := map[string]int{}
	for i, bin := range pair243(t) {
		t.Run(name243(bin), func(t *testing.T) {
			ns := netnstest.New(t, "gkms"+strconv.Itoa(i), "eth0")
			sdir := t.TempDir()
			count, slow := filepath.Join(sdir, "count.sh"), filepath.Join(sdir, "slow.sh")
			os.WriteFile(count, []byte("#!/bin/sh\necho x >> "+sdir+"/runs\n"), 0o755)
			os.WriteFile(slow, []byte("#!/bin/sh\nsleep 0.6\n"), 0o755)
			text := kwGlobal + "vrrp_script count {\n script " + count + "\n interval 0.2\n}\n" +
				"vrrp_script slow {\n script " + slow + "\n interval 1\n timeout 0.3\n fall 1\n rise 1\n}\n" +
				"vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 64\n advert_int 1\n track_script {\n  count\n }\n virtual_ipaddress {\n  10.99.0.64/32\n }\n}\n" +
				"vrrp_instance VI_2 {\n interface eth0\n virtual_router_id 65\n advert_int 1\n track_script {\n  slow\n }\n virtual_ipaddress {\n  10.99.0.65/32\n }\n}\n"
			p, _ := startKW(t, ns.Command, bin, text)
			// 2.4.3 keeps VI_2 waiting for the script's first result
			// without logging a state; gokeepalived (as 2.2.7) logs FAULT.
			p.waitFor("VRRP_Script(slow) timed_out", 1)
			lines := func() int {
				b, _ := os.ReadFile(filepath.Join(sdir, "runs"))
				return strings.Count(string(b), "\n")
			}
			n0 := lines()
			time.Sleep(3 * time.Second)
			n := lines() - n0
			runs[name243(bin)] = n
			// 15 expected; a whole-second interval would give 3.
			if n < 10 || n > 20 {
				t.Errorf("%d runs of a 0.2 s script in 3 s:\n%s", n, p.log())
			}
			time.Sleep(time.Second) // VI_2 would be MASTER by now (3 × 1 s + skew)
			if l := p.log(); strings.Contains(l, "(VI_2) Entering MASTER STATE") {
				t.Errorf("the timed-out script's instance became MASTER:\n%s", l)
			}
		})
	}
	t.Logf("runs of a 0.2 s vrrp_script in 3 s: %v", runs)
}

// addrProto returns the IFA_PROTO of addr in namespace ns (-1 if the
// address has none, -2 if it is not there).
func addrProto(t *testing.T, ns, addr string) int {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	h, err := netns.GetFromName(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := netns.Set(h); err != nil {
		t.Fatal(err)
	}
	defer netns.Set(orig)
	req := nl.NewNetlinkRequest(unix.RTM_GETADDR, unix.NLM_F_DUMP)
	req.AddData(nl.NewIfAddrmsg(unix.AF_UNSPEC))
	msgs, err := req.Execute(unix.NETLINK_ROUTE, unix.RTM_NEWADDR)
	if err != nil {
		t.Fatal(err)
	}
	want := netip.MustParseAddr(addr)
	for _, m := range msgs {
		attrs, err := nl.ParseRouteAttr(m[unix.SizeofIfAddrmsg:])
		if err != nil {
			continue
		}
		proto, found := -1, false
		for _, a := range attrs {
			switch a.Attr.Type {
			case unix.IFA_LOCAL, unix.IFA_ADDRESS:
				got, _ := netip.AddrFromSlice(a.Value)
				found = found || got == want
			case 11: // IFA_PROTO
				proto = int(a.Value[0])
			}
		}
		if found {
			return proto
		}
	}
	return -2
}

// TestDaemon243AddressProto: keepalived 2.3.2 and later add VIPs with
// IFA_PROTO 18 (keepalived), which "ip addr" shows; gokeepalived too,
// and the VIPs' other attributes (ip -j addr: broadcast, scope, label,
// lifetimes, flags) are keepalived 2.4.3's.
func TestDaemon243AddressProto(t *testing.T) {
	t.Parallel() // own namespaces and directories
	netnstest.Require(t)
	protos, attrs := map[string]int{}, map[string][]string{}
	for i, bin := range pair243(t) {
		t.Run(name243(bin), func(t *testing.T) {
			ns := netnstest.New(t, "gkpr"+strconv.Itoa(i), "eth0")
			p, _ := startKW(t, ns.Command, bin, kwGlobal+"vrrp_instance VI_1 {\n state MASTER\n interface eth0\n virtual_router_id 66\n priority 255\n"+
				" advert_int 1\n virtual_ipaddress {\n  10.99.0.66/32\n  10.99.0.67/24 label eth0:1\n  10.99.0.68/24 brd 10.99.0.200\n }\n}\n"+
				"vrrp_instance VI_6 {\n state MASTER\n interface eth0\n virtual_router_id 66\n priority 255\n"+
				" advert_int 1\n virtual_ipaddress {\n  2001:db8::66/64\n  2001:db8::67/128\n }\n}\n")
			p.waitFor("(VI_1) Entering MASTER STATE", 1)
			p.waitFor("(VI_6) Entering MASTER STATE", 1)
			deadline := time.Now().Add(5 * time.Second)
			for _, a := range []string{"10.99.0.66", "10.99.0.67", "10.99.0.68", "2001:db8::66", "2001:db8::67"} {
				for addrProto(t, ns.Name, a) == -2 && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				got := addrProto(t, ns.Name, a)
				protos[name243(bin)+"/"+a] = got
				if got != 18 {
					t.Errorf("%s: IFA_PROTO %d, want 18 (keepalived)\n%s", a, got, p.log())
				}
			}
			// The interface's own address is not ours.
			if got := addrProto(t, ns.Name, "10.99.0.1"); got != -1 {
				t.Errorf("10.99.0.1: IFA_PROTO %d", got)
			}
			out, err := ns.Command("ip", "-j", "addr", "show", "dev", "eth0").Output()
			if err != nil {
				t.Fatal(err)
			}
			var links []struct {
				AddrInfo []map[string]any `json:"addr_info"`
			}
			if err := json.Unmarshal(out, &links); err != nil || len(links) != 1 {
				t.Fatalf("ip -j addr: %v %s", err, out)
			}
			for _, a := range links[0].AddrInfo {
				if l, _ := a["local"].(string); strings.HasPrefix(l, "10.99.0.6") || strings.HasPrefix(l, "2001:db8::") {
					b, _ := json.Marshal(a)
					attrs[name243(bin)] = append(attrs[name243(bin)], string(b))
				}
			}
			slices.Sort(attrs[name243(bin)])
		})
	}
	t.Logf("IFA_PROTO of the VIPs: %v", protos)
	if ka, ours := attrs["keepalived243"], attrs["gokeepalived"]; len(ka) != 5 || !slices.Equal(ka, ours) {
		t.Errorf("VIPs as ip -j addr shows them:\nkeepalived 2.4.3: %v\ngokeepalived:     %v", ka, ours)
	}
}

// TestDaemon243TimerExpiredBackup: timer_expired_backup (2.2.8) with
// nopreempt: a MASTER whose VRRP process was stopped (SIGSTOP) for longer
// than a priority-100 router needs to take over logs "VRRP thread timer
// expired" when it runs again and goes to BACKUP; without the keyword it
// stays MASTER. keepalived 2.4.3 and gokeepalived alike, except that
// 2.4.3 does not notice every stall.
func TestDaemon243TimerExpiredBackup(t *testing.T) {
	t.Parallel() // own namespaces and directories; mostly waiting on VRRP timers
	netnstest.Require(t)
	for i, bin := range pair243(t) {
		for j, kw := range []string{" timer_expired_backup 100\n", ""} {
			t.Run(name243(bin)+"/"+strconv.Itoa(j), func(t *testing.T) {
				ns := netnstest.New(t, "gkte"+strconv.Itoa(2*i+j), "eth0")
				p, dir := startKW(t, ns.Command, bin, kwGlobal+"vrrp_instance VI_1 {\n state BACKUP\n nopreempt\n interface eth0\n virtual_router_id 67\n priority 150\n"+
					" advert_int 1\n"+kw+" virtual_ipaddress {\n  10.99.0.67/32\n }\n}\n")
				p.waitFor("(VI_1) Entering MASTER STATE", 1)
				b, err := os.ReadFile(filepath.Join(dir, "v.pid"))
				if err != nil {
					t.Fatal(err)
				}
				pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
				if err != nil {
					t.Fatal(err)
				}
				// 3 × 1 s + (256-100)/256 s is the take-over; stop longer.
				syscall.Kill(pid, syscall.SIGSTOP)
				time.Sleep(5 * time.Second)
				syscall.Kill(pid, syscall.SIGCONT)
				if kw != "" && bin != pair243(t)[1] {
					// 2.4.3 misses the stall in about half the runs (its
					// check depends on which of its timers runs first).
					time.Sleep(3 * time.Second)
					if !strings.Contains(p.log(), "VRRP thread timer expired ") {
						t.Logf("keepalived 2.4.3 did not notice the stall this time")
						return
					}
				}
				if kw != "" {
					p.waitFor("VRRP thread timer expired ", 1)
					p.waitFor("(VI_1) Entering BACKUP STATE\n", 1)
					return
				}
				time.Sleep(2 * time.Second)
				if l := p.log(); strings.Contains(l, "Entering BACKUP STATE\n") || strings.Contains(l, "VRRP thread timer expired") {
					t.Errorf("left MASTER without timer_expired_backup:\n%s", l)
				}
			})
		}
	}
}
