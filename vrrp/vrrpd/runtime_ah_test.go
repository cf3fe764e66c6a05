package vrrpd_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/packet"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest"
)

func ahConf(prio int) string {
	return fmt.Sprintf(`vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority %d
    advert_int 1
    authentication {
        auth_type AH
        auth_pass secret
    }
    virtual_ipaddress {
        10.0.0.100/32
    }
}
`, prio)
}

// Two AH nodes on a segment that delivers by IP protocol, as raw sockets
// do: the adverts (protocol 51) must reach the other node's socket, so the
// lower priority stays BACKUP. A node restarted at once (counter back to
// 0) is master again after at most a brief overlap.
func TestRuntimeAHElectionAndRestart(t *testing.T) {
	hub := vrrptest.NewHub()
	a := startNode(t, hub, "a", "10.0.0.1", ahConf(200))
	b := startNode(t, hub, "b", "10.0.0.2", ahConf(100))
	waitFor(t, 5*time.Second, "a becomes MASTER", func() bool { return a.addrs.Has(vip) })
	// b's master-down interval (3.61 s from start) passes in these 1.5 s.
	for end := time.Now().Add(1500 * time.Millisecond); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if b.addrs.Has(vip) || state(b) != vrrp.StateBackup {
			t.Fatalf("dual master: b %v with VIP %v while a is MASTER", state(b), b.addrs.Has(vip))
		}
	}
	if n := b.rt.States()[0].AdvertsRcvd; n < 1 {
		t.Fatalf("b received %d adverts", n)
	}

	// Hard restart of a: it goes silent (no priority 0 gets out) and a
	// new runtime with a fresh sequence counter starts at once.
	hub.Cut("a", true)
	a.rt.Stop()
	hub.Cut("a", false)
	a2 := startNode(t, hub, "a", "10.0.0.1", ahConf(200))
	var both, longest time.Duration
	var since time.Time
	// Both down timers (a2's 3.22 s, b's 3.61 s after a's last advert)
	// run out within 4.5 s.
	for end := time.Now().Add(4500 * time.Millisecond); time.Now().Before(end); time.Sleep(2 * time.Millisecond) {
		if a2.addrs.Has(vip) && b.addrs.Has(vip) {
			if since.IsZero() {
				since = time.Now()
			}
			both = time.Since(since)
			longest = max(longest, both)
		} else {
			since = time.Time{}
		}
	}
	t.Logf("restart: longest dual master %v", longest)
	limit := time.Second
	if raceEnabled {
		limit *= 2
	}
	if longest > limit {
		t.Errorf("dual master for %v after a restart", longest)
	}
	if !a2.addrs.Has(vip) || state(a2) != vrrp.StateMaster || b.addrs.Has(vip) || state(b) != vrrp.StateBackup {
		t.Fatalf("after the restart: a %v (VIP %v), b %v (VIP %v); want a MASTER, b BACKUP",
			state(a2), a2.addrs.Has(vip), state(b), b.addrs.Has(vip))
	}
	rcvd := b.rt.States()[0].AdvertsRcvd
	time.Sleep(1500 * time.Millisecond)
	if n := b.rt.States()[0].AdvertsRcvd; n <= rcvd || state(b) != vrrp.StateBackup {
		t.Fatalf("b accepts no more of a's adverts (%d, then %d) or left BACKUP (%v)", rcvd, n, state(b))
	}
}

// As vrrp_update_pkt: an advert to several unicast peers carries one AH
// sequence number and one IP ID (never 0) in every copy, and the next
// advert the next number; the ICV covers a zero TTL for unicast.
func TestRuntimeAHUnicastOneSeqPerAdvert(t *testing.T) {
	hub := vrrptest.NewHub()
	var peers []vrrp.Socket
	for i, addr := range []string{"10.0.0.2", "10.0.0.3"} {
		n := &vrrptest.Net{Hub: hub, Node: fmt.Sprint("peer", i), Ifaces: map[string]vrrp.IfaceInfo{
			"eth0": {Up: true, Addr4: netip.MustParseAddr(addr)}}}
		s, err := n.Open(vrrp.SocketSpec{Iface: "eth0", Family: packet.IPv4, Unicast: true, Proto: packet.ProtoAH})
		if err != nil {
			t.Fatal(err)
		}
		peers = append(peers, s)
	}
	cfg := strings.Replace(ahConf(255), "    advert_int 1\n",
		"    advert_int 1\n    unicast_peer {\n        10.0.0.2\n        10.0.0.3\n    }\n", 1)
	startNode(t, hub, "a", "10.0.0.1", cfg)
	key := packet.PassKey("secret")
	var last uint32
	for round := range 2 {
		var seq uint32
		var id uint16
		for i, s := range peers {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			rx, err := s.Recv(ctx)
			cancel()
			if err != nil || rx == nil || rx.AH == nil {
				t.Fatalf("advert %d to peer %d: %v %v", round, i, rx, err)
			}
			if err := packet.VerifyAH(rx.Raw, key, true); err != nil {
				t.Errorf("advert %d to peer %d: %v", round, i, err)
			}
			if i == 0 {
				seq, id = rx.AH.Seq, rx.IP.ID
				continue
			}
			if rx.AH.Seq != seq || rx.IP.ID != id {
				t.Errorf("advert %d: peer 0 got seq %d ID %d, peer %d seq %d ID %d", round, seq, id, i, rx.AH.Seq, rx.IP.ID)
			}
		}
		if id == 0 || seq != last+1 {
			t.Errorf("advert %d: seq %d after %d, ID %d", round, seq, last, id)
		}
		last = seq
	}
}
