package e2e

import (
	"bytes"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mdlayher/ethernet"

	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// Wireshark's VRRP dissector decodes our adverts (v2 PASS, v3 IPv4, v3
// IPv6, from one process: v2 and v3 IPv4 share a socket) with good
// checksums and no malformed-packet or other expert warnings.
func TestDissectorAgrees(t *testing.T) {
	nstest.Require(t, "tshark")
	a, b := nstest.Pair(t)
	cp := startCapture(t, b)
	cfg := instance(71, 150, v2pass, "10.77.0.100/24") +
		instance(72, 150, v3(adv05, ""), "10.77.0.101/24") +
		instance(73, 150, v3(adv05, ""), "2001:db8::73/64")
	startGo(t, a, "a", cfg)
	watch{t, a.Handle(t), vip4}.until(true, 6*time.Second, "v2 instance becomes master")
	time.Sleep(1200 * time.Millisecond) // more adverts of each

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
	var adverts []frame
	for _, fr := range cp.snapshot() {
		if !bytes.Equal(fr.f.Source, mac) {
			continue
		}
		p := fr.f.Payload
		switch {
		case fr.f.EtherType == ethernet.EtherTypeIPv4 && len(p) > 20 && p[9] == 112,
			fr.f.EtherType == ethernet.EtherTypeIPv6 && len(p) > 40 && p[6] == 112:
			adverts = append(adverts, fr)
		}
	}
	pcap := filepath.Join(t.TempDir(), "adverts.pcap")
	if err := writePcap(pcap, adverts); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("tshark", "-n", "-r", pcap, "-T", "fields", "-E", "separator=,",
		"-e", "vrrp.version", "-e", "vrrp.virt_rtr_id", "-e", "vrrp.prio", "-e", "vrrp.checksum.status").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	seen := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		seen[line]++
	}
	t.Logf("tshark version/vrid/priority/checksum-status: %v", seen)
	// checksum status 1 = good.
	for _, want := range []string{"2,71,150,1", "3,72,150,1", "3,73,150,1"} {
		if seen[want] == 0 {
			t.Errorf("no advert dissected as %s", want)
		}
	}
	if len(seen) != 3 {
		t.Errorf("unexpected dissections: %v", seen)
	}
	expert, err := exec.Command("tshark", "-n", "-r", pcap, "-q", "-z", "expert,note").Output()
	if err != nil {
		t.Fatalf("tshark expert: %v", err)
	}
	t.Logf("tshark expert summary:\n%s", expert)
	if s := string(expert); strings.Contains(s, "Malformed") || strings.Contains(s, "Errors") ||
		strings.Contains(s, "Warns") || strings.Contains(s, "checksum") {
		t.Errorf("expert info:\n%s", s)
	}
}
