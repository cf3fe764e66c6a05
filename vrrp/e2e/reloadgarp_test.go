package e2e

import (
	"bytes"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"

	"github.com/gokeepalived/gokeepalived/internal/testenv"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// A MASTER reloaded with one more VIP: keepalived announces every VIP,
// not only the new one, and from 2.3.2 repeats the block
// garp_master_delay later. keepalived 2.4.3 and 2.2.7 each run on the
// config and gokeepalived with the matching --compat; the GARPs seen on
// the wire after the reload, per VIP, must be the same.
func TestReloadGARPsMatchKeepalived(t *testing.T) {
	nstest.Require(t, "keepalived")
	extra := "    advert_int 1\n    garp_master_delay 1\n    garp_master_repeat 2"
	one := instance(51, 150, extra, "10.77.0.100/24")
	two := instance(51, 150, extra, "10.77.0.100/24", "10.77.0.101/24")
	garpsAfterReload := func(t *testing.T, start func(ns *nstest.NS, text string) *proc) map[netip.Addr]int {
		a, b := nstest.Pair(t)
		cp := startCapture(t, b)
		wa := watch{t, a.Handle(t), vip4}
		p := start(a, one)
		wa.until(true, 6*time.Second, "a becomes master")
		time.Sleep(1500 * time.Millisecond) // past the start's second block
		var mac net.HardwareAddr
		if err := a.Do(func() error {
			ifi, err := net.InterfaceByName("eth0")
			if err == nil {
				mac = ifi.HardwareAddr
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		writeFile(t, p.dir, "keepalived.conf", two)
		reloaded := time.Now()
		p.signal(syscall.SIGHUP)
		time.Sleep(3 * time.Second) // the delay and slack
		got := map[netip.Addr]int{}
		for _, fr := range cp.snapshot() {
			if fr.at.Before(reloaded) || fr.f.EtherType != ethernet.EtherTypeARP || !bytes.Equal(fr.f.Source, mac) {
				continue
			}
			var pk arp.Packet
			if pk.UnmarshalBinary(fr.f.Payload) == nil && pk.SenderIP == pk.TargetIP {
				got[pk.SenderIP]++
			}
		}
		return got
	}
	for _, o := range []struct{ version, bin string }{{"2.4.3", ""}, {"2.2.7", "keepalived"}} {
		t.Run(o.version, func(t *testing.T) {
			bin := o.bin
			if bin == "" {
				bin = testenv.Keepalived243(t)
			}
			theirs := garpsAfterReload(t, func(ns *nstest.NS, text string) *proc { return startNode(t, ns, "ka", bin, text) })
			ours := garpsAfterReload(t, func(ns *nstest.NS, text string) *proc {
				return startGoArgs(t, ns, "go", text, "--compat", o.version)
			})
			t.Logf("GARPs after the reload: keepalived %s %v, gokeepalived %v", o.version, theirs, ours)
			if len(theirs) != 2 || len(ours) != len(theirs) {
				t.Fatalf("VIPs announced: keepalived %v, gokeepalived %v", theirs, ours)
			}
			for a, n := range theirs {
				if ours[a] != n {
					t.Errorf("GARPs for %v after the reload: keepalived %d, gokeepalived %d", a, n, ours[a])
				}
			}
		})
	}
}
