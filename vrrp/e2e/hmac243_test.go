package e2e

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mdlayher/ethernet"
	mpacket "github.com/mdlayher/packet"

	"github.com/gokeepalived/gokeepalived/vrrp/packet"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// The auth_hmac keys every node shares: key 1 in hex, key 2 in ASCII.
const (
	hmacKey1Hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	hmacKey2    = "abcdefghijklmnopqrstuvwxyz0123456789"
)

func hmacBlock(active int) string {
	return fmt.Sprintf("    auth_hmac {\n        key 1 hex:%s\n        key 2 %s\n        active_key %d\n    }\n", hmacKey1Hex, hmacKey2, active)
}

// hmacCase is one cell of the matrix: version, family, unicast.
type hmacCase struct {
	name            string
	vrid            int
	v3, v6, unicast bool
	adv             time.Duration
	vip             netip.Addr
	vipCIDR         string
	srcA, srcB      netip.Addr // unicast (and IPv4) sources of a and b
}

func hmacCases() []hmacCase {
	var out []hmacCase
	for _, c := range []struct {
		v3, v6, unicast bool
	}{{false, false, false}, {false, false, true}, {true, false, false}, {true, false, true}, {true, true, false}, {true, true, true}} {
		tc := hmacCase{v3: c.v3, v6: c.v6, unicast: c.unicast, adv: time.Second,
			vip: vip4, vipCIDR: "10.77.0.100/24", srcA: netip.MustParseAddr("10.77.0.1"), srcB: netip.MustParseAddr("10.77.0.2")}
		tc.name = "v2"
		if c.v3 {
			tc.name, tc.adv = "v3", adv05
		}
		if c.v6 {
			tc.name += "-ipv6"
			tc.vip, tc.vipCIDR = netip.MustParseAddr("fd00:77::100"), "fd00:77::100/64"
			tc.srcA, tc.srcB = netip.MustParseAddr("fd00:77::1"), netip.MustParseAddr("fd00:77::2")
		} else {
			tc.name += "-ipv4"
		}
		if c.unicast {
			tc.name += "-unicast"
		} else {
			tc.name += "-multicast"
		}
		tc.vrid = 70 + len(out)
		out = append(out, tc)
	}
	return out
}

// config is node i's (1: a, 2: b) instance with active key active.
func (tc hmacCase) config(i, prio, active int) string {
	extra := fmt.Sprintf("    advert_int %g\n", tc.adv.Seconds())
	if tc.v3 {
		extra = v3(tc.adv, "\n")
	}
	if tc.unicast {
		self, peer := tc.srcA, tc.srcB
		if i == 2 {
			self, peer = peer, self
		}
		extra += fmt.Sprintf("    unicast_src_ip %s\n    unicast_peer {\n        %s\n    }\n", self, peer)
	}
	return instance(tc.vrid, prio, extra+hmacBlock(active), tc.vipCIDR)
}

// hmacPair is nstest.Pair with the IPv6 addresses the unicast IPv6 cases
// send from (multicast IPv6 sends from the link-local address).
func hmacPair(t *testing.T, tc hmacCase) (a, b *nstest.NS) {
	t.Helper()
	a, b = nstest.Pair(t)
	if tc.v6 && tc.unicast {
		for i, ns := range []*nstest.NS{a, b} {
			if err := nstest.IP("-n", ns.Name, "addr", "add", fmt.Sprintf("fd00:77::%d/64", i+1), "dev", "eth0", "nodad"); err != nil {
				t.Fatal(err)
			}
		}
	}
	return a, b
}

// signedAdverts returns the key ids of the VRRP adverts captured from
// src after since, -1 for an advert without a trailer.
func (cp *capture) signedAdverts(src netip.Addr, since time.Time) []int {
	var ids []int
	for _, fr := range cp.snapshot() {
		if !fr.at.After(since) {
			continue
		}
		p := fr.f.Payload
		var msg []byte
		var from netip.Addr
		switch {
		case fr.f.EtherType == ethernet.EtherTypeIPv4 && len(p) >= 20 && p[9] == packet.ProtoVRRP:
			from = netip.AddrFrom4([4]byte(p[12:16]))
			msg = p[20:min(len(p), int(p[2])<<8|int(p[3]))]
		case fr.f.EtherType == ethernet.EtherTypeIPv6 && len(p) >= 40 && p[6] == packet.ProtoVRRP:
			from = netip.AddrFrom16([16]byte(p[8:24]))
			msg = p[40:min(len(p), 40+(int(p[4])<<8|int(p[5])))]
		default:
			continue
		}
		if from != src || len(msg) < packet.HeaderLen {
			continue
		}
		fam := packet.IPv4
		if fr.f.EtherType == ethernet.EtherTypeIPv6 {
			fam = packet.IPv6
		}
		body := packet.ExpectedLen(msg[0]>>4, msg[3], fam)
		if len(msg) != body+packet.TrailerLen {
			ids = append(ids, -1)
			continue
		}
		ids = append(ids, int(msg[body+1]))
	}
	return ids
}

// TestInterop243AuthHMAC: keepalived 2.4.3 and gokeepalived with the same
// auth_hmac keys, in both roles, over VRRPv2 and v3, IPv4 and IPv6,
// multicast and unicast. The master's adverts carry a trailer signed
// with the active key; the backup accepts them (it stays BACKUP past its
// master-down interval) and takes over when the master is SIGKILLed,
// within 3×advert + skew + 50 ms.
func TestInterop243AuthHMAC(t *testing.T) {
	nstest.Require(t)
	start243 := starter243(t)
	for _, tc := range hmacCases() {
		for _, dir := range []struct {
			name           string
			master, backup starter
		}{{"keepalived243-master", start243, startGo}, {"gokeepalived-master", startGo, start243}} {
			t.Run(tc.name+"/"+dir.name, func(t *testing.T) {
				a, b := hmacPair(t, tc)
				cp := startCapture(t, b)
				wa := watch{t, a.Handle(t), tc.vip}
				wb := watch{t, b.Handle(t), tc.vip}
				pa := dir.master(t, a, "a", tc.config(1, 150, 1))
				dir.backup(t, b, "b", tc.config(2, 100, 1))
				took := wa.until(true, 4*tc.adv+3*time.Second, "a (priority 150) becomes master")
				t.Logf("election: a held %v %v after start", tc.vip, took)
				since := time.Now()
				down := 3*tc.adv + skew(100, tc.adv)
				wb.stays(false, down+tc.adv, "b (priority 100) stays backup: it accepts a's signed adverts")
				ids := cp.signedAdverts(srcOf(tc, a, 1), since)
				if len(ids) < 2 {
					t.Fatalf("%d adverts from a captured", len(ids))
				}
				for _, id := range ids {
					if id != 1 {
						t.Fatalf("a's adverts carry key ids %v, want 1", ids)
					}
				}
				bound := down + 50*time.Millisecond
				pa.kill(syscall.SIGKILL)
				took = wb.until(true, 2*bound+time.Second, "b takes over after SIGKILL of a")
				t.Logf("%d signed adverts from a; hard kill: b held the VIP %v after SIGKILL (bound %v)", len(ids), took, bound)
				if took > bound {
					t.Errorf("takeover %v > bound %v", took, bound)
				}
			})
		}
	}
}

// srcOf is the address node i's adverts come from: the unicast source,
// the IPv4 address, or (IPv6 multicast) the link-local address.
func srcOf(tc hmacCase, ns *nstest.NS, i int) netip.Addr {
	switch {
	case !tc.v6 || tc.unicast:
		if i == 1 {
			return tc.srcA
		}
		return tc.srcB
	}
	var ll netip.Addr
	_ = ns.Do(func() error {
		ifi, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		addrs, err := ifi.Addrs()
		if err != nil {
			return err
		}
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().IsLinkLocalUnicast() {
				ll = p.Addr()
			}
		}
		return nil
	})
	return ll
}

// TestInterop243AuthHMACRotation: a key rotation in the middle. Both
// nodes hold keys 1 and 2 and sign with 1; each is reloaded with active
// key 2 (the backup first, as an operator would go): the master's adverts
// switch to key 2, the backup accepts both and never takes over, and
// neither counts an authentication error.
func TestInterop243AuthHMACRotation(t *testing.T) {
	nstest.Require(t)
	start243 := starter243(t)
	tc := hmacCases()[2] // v3 IPv4 multicast
	for _, dir := range []struct {
		name           string
		master, backup starter
	}{{"keepalived243-master", start243, startGo}, {"gokeepalived-master", startGo, start243}} {
		t.Run(dir.name, func(t *testing.T) {
			a, b := hmacPair(t, tc)
			cp := startCapture(t, b)
			wa := watch{t, a.Handle(t), tc.vip}
			wb := watch{t, b.Handle(t), tc.vip}
			pa := dir.master(t, a, "a", tc.config(1, 150, 1))
			pb := dir.backup(t, b, "b", tc.config(2, 100, 1))
			wa.until(true, 4*tc.adv+3*time.Second, "a becomes master")
			down := 3*tc.adv + skew(100, tc.adv)
			wb.stays(false, down, "b stays backup")

			writeFile(t, pb.dir, "keepalived.conf", tc.config(2, 100, 2))
			writeFile(t, pa.dir, "keepalived.conf", tc.config(1, 150, 2))
			rotated := time.Now()
			pb.signal(syscall.SIGHUP)
			time.Sleep(300 * time.Millisecond)
			pa.signal(syscall.SIGHUP)
			if d := dualMaster(wa, wb, 2*down+time.Second); d > 0 || !wa.has() || wb.has() {
				t.Fatalf("during the rotation: both masters for %v; a has the VIP %v, b %v", d, wa.has(), wb.has())
			}
			ids := cp.signedAdverts(tc.srcA, rotated)
			if len(ids) < 4 || ids[len(ids)-1] != 2 || ids[len(ids)-2] != 2 {
				t.Fatalf("a's adverts since the rotation carry key ids %v, want 1s then 2s", ids)
			}
			for i := 1; i < len(ids); i++ {
				if ids[i] < ids[i-1] || ids[i] < 1 {
					t.Fatalf("a's adverts since the rotation carry key ids %v, want 1s then 2s", ids)
				}
			}
			st := pb.stats(t)
			for _, k := range []string{"Missing", "Malformed", "Unknown Key", "Invalid HMAC", "Stale", "Replay"} {
				if st[k] != 0 {
					t.Errorf("b counted %d %q drops: %v", st[k], k, st)
				}
			}
			t.Logf("rotation: a's key ids since the reload %v; b's authentication extension errors %v", ids, st)
		})
	}
}

// signal sends sig to the node's main process (keepalived relays it).
func (p *proc) signal(sig syscall.Signal) {
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
}

// stats has the node write keepalived.stats (SIGUSR2) and returns its
// "Authentication Extension Errors" counters of the one instance.
func (p *proc) stats(t *testing.T) map[string]int {
	t.Helper()
	path := filepath.Join(p.dir, "keepalived.stats")
	os.Remove(path)
	p.signal(syscall.SIGUSR2)
	var text []byte
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		b, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(b), "Priority Zero") {
			text = b
			break
		}
		if time.Now().After(end) {
			t.Fatalf("%s wrote no %s", p.name, path)
		}
	}
	out := map[string]int{}
	in := false
	sc := bufio.NewScanner(strings.NewReader(string(text)))
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, "    ") {
			in = strings.TrimSpace(l) == "Authentication Extension Errors:"
			continue
		}
		if k, v, ok := strings.Cut(strings.TrimSpace(l), ": "); ok && in {
			out[k], _ = strconv.Atoi(v)
		}
	}
	if len(out) != 6 {
		t.Fatalf("%s: no authentication extension errors in its stats:\n%s", p.name, text)
	}
	return out
}

// TestInterop243AuthHMACForged: a third namespace on the same segment
// injects adverts claiming the master's address: priority 0 signed with a
// wrong key, priority 0 without a trailer, a replay of the master's last
// advert, priority 255 with a key id nobody has. The backup (keepalived
// 2.4.3, or gokeepalived) drops each, counts it under its reason, logs
// it, and does not take over (a priority 0 advert accepted would make it
// master within its skew time).
func TestInterop243AuthHMACForged(t *testing.T) {
	nstest.Require(t)
	start243 := starter243(t)
	tc := hmacCases()[2] // v3 IPv4 multicast
	tc.adv = time.Second
	for _, dir := range []struct {
		name           string
		master, backup starter
	}{{"gokeepalived-master", startGo, start243}, {"keepalived243-master", start243, startGo}} {
		t.Run(dir.name, func(t *testing.T) {
			nodes, _ := nstest.BridgedN(t, 3)
			a, b, c := nodes[0], nodes[1], nodes[2]
			cp := startCapture(t, c)
			wa := watch{t, a.Handle(t), tc.vip}
			wb := watch{t, b.Handle(t), tc.vip}
			dir.master(t, a, "a", tc.config(1, 150, 1))
			pb := dir.backup(t, b, "b", tc.config(2, 100, 1))
			wa.until(true, 4*tc.adv+3*time.Second, "a becomes master")
			wb.stays(false, 3*tc.adv+skew(100, tc.adv), "b stays backup")

			inject := newInjector(t, c)
			wrong, _ := hex.DecodeString(hmacKey1Hex)
			wrong[0] ^= 0xff
			forge := func(prio uint8, s *packet.HMACSign) []byte {
				adv := packet.Advert{Version: 3, Type: packet.TypeAdvert, VRID: uint8(tc.vrid), Priority: prio,
					AdverInt: uint16(tc.adv / (10 * time.Millisecond)), Addrs: []netip.Addr{tc.vip}}
				if s != nil {
					s.Seq = packet.SeqFromTime(time.Now())
				}
				b, err := packet.BuildIPv4(&adv, packet.IPv4Options{ID: 7, Src: tc.srcA, Dst: packet.IPv4Group, HMAC: s})
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			for range 5 {
				inject.ip(forge(0, &packet.HMACSign{KeyID: 1, Key: wrong}))
				time.Sleep(50 * time.Millisecond)
			}
			for range 3 {
				inject.ip(forge(0, nil))
				time.Sleep(50 * time.Millisecond)
			}
			var last ethernet.Frame
			for _, fr := range cp.snapshot() {
				// the master's own (priority 150), not one of ours forged
				// with its address, which the capture sees too
				if fr.f.EtherType == ethernet.EtherTypeIPv4 && len(fr.f.Payload) > 23 && fr.f.Payload[9] == packet.ProtoVRRP &&
					netip.AddrFrom4([4]byte(fr.f.Payload[12:16])) == tc.srcA && fr.f.Payload[int(fr.f.Payload[0]&0xf)*4+2] == 150 {
					last = fr.f
				}
			}
			if last.Payload == nil {
				t.Fatal("no advert of a captured to replay")
			}
			for range 3 {
				inject.frame(last)
				time.Sleep(50 * time.Millisecond)
			}
			for range 2 {
				inject.ip(forge(255, &packet.HMACSign{KeyID: 9, Key: wrong}))
				time.Sleep(50 * time.Millisecond)
			}
			wb.stays(false, 3*tc.adv, "b stays backup after the forged adverts")
			if !wa.has() {
				t.Fatal("a lost the VIP")
			}
			st := pb.stats(t)
			want := map[string]int{"Missing": 3, "Malformed": 0, "Unknown Key": 2, "Invalid HMAC": 5, "Stale": 0, "Replay": 3}
			for k, n := range want {
				if st[k] != n {
					t.Errorf("b counted %d %q drops, want %d (all: %v)", st[k], k, n, st)
				}
			}
			log := pb.logText()
			for _, l := range []string{"invalid authentication HMAC from 10.77.0.1", "missing authentication trailer from 10.77.0.1",
				"replayed authentication trailer from 10.77.0.1", "unknown authentication key id 9 from 10.77.0.1"} {
				if !strings.Contains(log, l) {
					t.Errorf("b did not log %q", l)
				}
			}
			t.Logf("forged adverts: b stayed backup; its authentication extension errors %v", st)
		})
	}
}

// injector sends frames from a namespace's eth0 as they are.
type injector struct {
	t   *testing.T
	c   *mpacket.Conn
	mac net.HardwareAddr
}

func newInjector(t *testing.T, ns *nstest.NS) *injector {
	t.Helper()
	in := &injector{t: t}
	err := ns.Do(func() error {
		ifi, err := net.InterfaceByName(ns.Iface)
		if err != nil {
			return err
		}
		in.mac = ifi.HardwareAddr
		in.c, err = mpacket.Listen(ifi, mpacket.Raw, 0x0800, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.c.Close() })
	return in
}

// ip sends an IPv4 packet to the VRRP group's MAC.
func (in *injector) ip(pkt []byte) {
	in.frame(ethernet.Frame{Destination: net.HardwareAddr{1, 0, 0x5e, 0, 0, 0x12}, Source: in.mac,
		EtherType: ethernet.EtherTypeIPv4, Payload: pkt})
}

func (in *injector) frame(f ethernet.Frame) {
	b, err := f.MarshalBinary()
	if err != nil {
		in.t.Fatal(err)
	}
	if _, err := in.c.WriteTo(b, &mpacket.Addr{HardwareAddr: f.Destination}); err != nil {
		in.t.Fatal(err)
	}
}

// TestInterop243AuthHMACModes: the migration modes on the wire, with
// keepalived 2.4.3 and gokeepalived in both roles. A receive-only master
// signs nothing: a permissive or receive-only backup accepts its plain
// adverts, an enforce backup drops them (counted as Missing) and takes
// over. A permissive master signs, and a receive-only backup verifies.
func TestInterop243AuthHMACModes(t *testing.T) {
	nstest.Require(t)
	start243 := starter243(t)
	tc := hmacCases()[2] // v3 IPv4 multicast
	withMode := func(cfg, mode string) string {
		return strings.Replace(cfg, "        active_key", "        mode "+mode+"\n        active_key", 1)
	}
	for _, m := range []struct {
		master, backup string
		signed, accept bool
	}{
		{"receive-only", "permissive", false, true},
		{"receive-only", "enforce", false, false},
		{"permissive", "receive-only", true, true},
	} {
		for _, dir := range []struct {
			name           string
			master, backup starter
		}{{"keepalived243-master", start243, startGo}, {"gokeepalived-master", startGo, start243}} {
			t.Run(m.master+"-to-"+m.backup+"/"+dir.name, func(t *testing.T) {
				a, b := hmacPair(t, tc)
				cp := startCapture(t, b)
				wa := watch{t, a.Handle(t), tc.vip}
				wb := watch{t, b.Handle(t), tc.vip}
				since := time.Now()
				dir.master(t, a, "a", withMode(tc.config(1, 150, 1), m.master))
				wa.until(true, 4*tc.adv+3*time.Second, "a becomes master")
				pb := dir.backup(t, b, "b", withMode(tc.config(2, 100, 1), m.backup))
				down := 3*tc.adv + skew(100, tc.adv)
				if m.accept {
					wb.stays(false, down+tc.adv, "b stays backup")
				} else {
					took := wb.until(true, down+3*time.Second, "b drops a's unsigned adverts and takes over")
					t.Logf("b took over %v after its start", took)
				}
				ids := cp.signedAdverts(tc.srcA, since)
				if len(ids) == 0 {
					t.Fatal("no advert from a captured")
				}
				for _, id := range ids {
					if (id == 1) != m.signed {
						t.Fatalf("a's adverts carry key ids %v (-1: no trailer), signed want %v", ids, m.signed)
					}
				}
				st := pb.stats(t)
				if (st["Missing"] > 0) == m.accept {
					t.Errorf("b counted %d Missing", st["Missing"])
				}
				t.Logf("a %s, b %s: a's key ids %v; b's errors %v", m.master, m.backup, ids, st)
			})
		}
	}
}
