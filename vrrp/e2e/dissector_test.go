package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mdlayher/ethernet"

	"github.com/gokeepalived/gokeepalived/vrrp/packet"
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

// Wireshark decodes our AH adverts as AH then VRRP, without expert
// warnings and shaped as keepalived's, captured in the same set-up: ours
// master of VRID 81, keepalived 2.2.7 master of VRID 82, each the other's
// backup on one protocol-51 socket per node. tshark has no AH ICV check
// (only ESP's), so every ICV it shows, ours and keepalived's, is compared
// with an HMAC-MD5-96 computed here from the captured bytes.
func TestDissectorAH(t *testing.T) {
	nstest.Require(t, "tshark", keepalived)
	a, b := nstest.Pair(t)
	cp := startCapture(t, b)
	const pass = "secret"
	v101, v102 := netip.MustParseAddr("10.77.0.101"), netip.MustParseAddr("10.77.0.102")
	wa101, wa102 := watch{t, a.Handle(t), v101}, watch{t, a.Handle(t), v102}
	wb101, wb102 := watch{t, b.Handle(t), v101}, watch{t, b.Handle(t), v102}
	// keepalived first, so that no two down timers run out together.
	startKeepalived(t, b, "keepalived", instance(81, 100, v2ah, "10.77.0.101/24")+instance(82, 250, v2ah, "10.77.0.102/24"))
	wb102.until(true, 6*time.Second, "keepalived becomes master of VRID 82")
	startGo(t, a, "gokeepalived", instance(81, 250, v2ah, "10.77.0.101/24")+instance(82, 100, v2ah, "10.77.0.102/24"))
	wa101.until(true, 6*time.Second, "gokeepalived preempts VRID 81")
	wb101.until(false, time.Second, "keepalived yields VRID 81")
	// More than a master-down interval: each accepts the other's adverts.
	wa102.stays(false, 4*time.Second, "gokeepalived stays backup of VRID 82")
	if wb101.has() || !wa101.has() || !wb102.has() {
		t.Fatal("a master changed")
	}

	var adverts []frame
	for _, fr := range cp.snapshot() {
		if p := fr.f.Payload; fr.f.EtherType == ethernet.EtherTypeIPv4 && len(p) > 20 && p[9] == 51 {
			adverts = append(adverts, fr)
		}
	}
	pcap := filepath.Join(t.TempDir(), "ah.pcap")
	if err := writePcap(pcap, adverts); err != nil {
		t.Fatal(err)
	}
	fields := []string{"ip.src", "ah.spi", "ah.sequence", "ah.icv", "vrrp.virt_rtr_id", "vrrp.prio",
		// the shape, the same for both senders
		"ip.dsfield", "ip.ttl", "ip.flags", "ip.len", "ah.next_header", "ah.length",
		"vrrp.version", "vrrp.type", "vrrp.auth_type", "vrrp.adver_int", "vrrp.addr_count", "vrrp.checksum.status",
		"frame.protocols"}
	args := []string{"-n", "-r", pcap, "-T", "fields", "-E", "separator=,"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	out, err := exec.Command("tshark", args...).Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	rows := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(rows) != len(adverts) {
		t.Fatalf("tshark printed %d rows for %d frames", len(rows), len(adverts))
	}
	key := packet.PassKey(pass)
	shapes := map[string]map[string]int{}
	firstSeq, lastSeq := map[string]uint64{}, map[string]uint64{}
	counts := map[string]int{}
	for i, row := range rows {
		f := strings.Split(row, ",")
		src, spi, seqs, icv, vrid, prio := f[0], f[1], f[2], f[3], f[4], f[5]
		who := map[string]string{"10.77.0.1": "gokeepalived", "10.77.0.2": "keepalived"}[src]
		if who == "" {
			t.Fatalf("frame %d from %q", i+1, src)
		}
		counts[who]++
		// keepalived is master of VRID 81 too until we preempt.
		if vp := vrid + "," + prio; vp != map[string]string{"gokeepalived": "81,250", "keepalived": "82,250"}[who] &&
			(who != "keepalived" || vp != "81,100") {
			t.Errorf("%s frame %d: VRID,priority %s", who, i+1, vp)
		}
		stream := who + "/" + vrid
		ip := netip.MustParseAddr(src).As4()
		if wantSPI := fmt.Sprintf("0x%08x", binary.BigEndian.Uint32(ip[:])); spi != wantSPI {
			t.Errorf("%s frame %d: SPI %s, want the source address %s", who, i+1, spi, wantSPI)
		}
		seq, err := strconv.ParseUint(seqs, 10, 32)
		if err != nil {
			t.Fatalf("%s frame %d: sequence %q", who, i+1, seqs)
		}
		if last, ok := lastSeq[stream]; ok && seq != last+1 {
			t.Errorf("%s frame %d: sequence %d after %d", stream, i+1, seq, last)
		}
		if _, ok := lastSeq[stream]; !ok {
			firstSeq[stream] = seq
		}
		lastSeq[stream] = seq
		want := independentICV(adverts[i].f.Payload, key)
		if got := strings.ReplaceAll(icv, ":", ""); got != hex.EncodeToString(want) {
			t.Errorf("%s frame %d: ICV %s, HMAC-MD5-96 of the frame %x", who, i+1, got, want)
		}
		if err := packet.VerifyAH(adverts[i].f.Payload, key, false); err != nil {
			t.Errorf("%s frame %d: packet.VerifyAH: %v", who, i+1, err)
		}
		shape := strings.Join(f[6:], ",")
		if shapes[who] == nil {
			shapes[who] = map[string]int{}
		}
		shapes[who][shape]++
	}
	t.Logf("adverts per sender %v; sequence numbers per sender/VRID from %v to %v", counts, firstSeq, lastSeq)
	// One counter per instance: preempting VRID 81, ours goes on from
	// the last number keepalived sent for it.
	if k, ok := lastSeq["keepalived/81"]; ok && firstSeq["gokeepalived/81"] != k+1 {
		t.Errorf("our first VRID 81 advert has sequence %d; keepalived's last was %d", firstSeq["gokeepalived/81"], k)
	}
	t.Logf("shapes (dsfield,ttl,flags,len,ah next,ah len,version,type,auth,adver_int,count,checksum status,protocols): %v", shapes)
	if counts["gokeepalived"] < 3 || counts["keepalived"] < 3 {
		t.Fatalf("too few adverts: %v", counts)
	}
	// TOS 0xc0, no DF, 20+24+20 bytes, VRRP checksum good, AH then VRRP.
	const wantShape = "0xc0,255,0x00,64,112,4,2,1,2,1,1,1,eth:ethertype:ip:ah:vrrp"
	for who, s := range shapes {
		if len(s) != 1 || s[wantShape] == 0 {
			t.Errorf("%s adverts shaped %v, want %s as keepalived's", who, s, wantShape)
		}
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

// independentICV is RFC 2402's ICV as keepalived computes it, written out
// here rather than taken from vrrp/packet: HMAC-MD5 keyed with the 8-byte
// auth_pass over the IPv4 header (TOS, flags/fragment offset and header
// checksum zero; TTL kept for multicast), the AH with a zero ICV and the
// VRRP message, truncated to 96 bits.
func independentICV(pkt []byte, key [8]byte) []byte {
	b := append([]byte(nil), pkt...)
	ihl := int(b[0]&0x0f) * 4
	b[1] = 0
	b[6], b[7] = 0, 0
	b[10], b[11] = 0, 0
	for i := ihl + 12; i < ihl+24; i++ {
		b[i] = 0
	}
	m := hmac.New(md5.New, key[:])
	m.Write(b[:binary.BigEndian.Uint16(b[2:4])]) // not the Ethernet padding
	return m.Sum(nil)[:12]
}
