package validate

import (
	"bytes"
	"encoding/binary"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp/packet"
)

var mustAddr = netip.MustParseAddr

// spec is a packet plus the instance config it is checked against.
type spec struct {
	cfg       Config
	adv       packet.Advert
	ip        packet.IPv4Options
	raw       []func([]byte) []byte // applied after building
	checkVIPs bool
}

// baseV2 reproduces the captured 2.2.7 v2 PASS advert and the
// config of the instance that sent it.
func baseV2() *spec {
	vips := []netip.Addr{mustAddr("10.9.9.9"), mustAddr("10.9.9.10")}
	return &spec{
		cfg: Config{Name: "VI_1", Family: packet.IPv4, Version: 2, AuthType: packet.AuthPass,
			AuthKey: packet.PassKey("secret123"), AdverInt: time.Second, VIPs: vips},
		adv: packet.Advert{Version: 2, Type: 1, VRID: 51, Priority: 150, AuthType: packet.AuthPass,
			AdverInt: 1, Addrs: vips, AuthData: packet.PassKey("secret123")},
		ip:        packet.IPv4Options{ID: 1, Src: mustAddr("192.168.200.2"), Dst: packet.IPv4Group},
		checkVIPs: true,
	}
}

func (s *spec) build(t testing.TB) *packet.Received {
	t.Helper()
	b, err := packet.BuildIPv4(&s.adv, s.ip)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range s.raw {
		b = f(b)
	}
	r, err := packet.DecodeIPv4(b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func setByte(off int, v byte) func([]byte) []byte {
	return func(b []byte) []byte { b[off] = v; return b }
}

const vh = packet.IPv4HeaderLen // VRRP header offset without AH

// rows lists one mutation per drop reason, in keepalived's check order
// (vrrp_check_packet in 2.2.7/HEAD).
var rows = []struct {
	want Reason
	mut  func(*spec)
}{
	// AH presence must match auth type AH.
	{AHPresence, func(s *spec) { s.cfg.AuthType = packet.AuthAH }},
	// length: 4 extra bytes (44+4 > 46, so not Ethernet padding).
	{Length, func(s *spec) {
		s.raw = append(s.raw, func(b []byte) []byte { return append(b, 0, 0, 0, 0) })
	}},
	// TTL must be 255 on a multicast instance.
	{TTL, func(s *spec) { s.raw = append(s.raw, setByte(8, 64)) }},
	// version must equal ours.
	{Version, func(s *spec) { s.cfg.Version = 3 }},
	// auth type known, equal to ours, then password.
	{AuthTypeInvalid, func(s *spec) { s.raw = append(s.raw, setByte(vh+4, 7)) }},
	{AuthTypeMismatch, func(s *spec) { s.cfg.AuthType = packet.AuthNone }},
	{Password, func(s *spec) { s.cfg.AuthKey = packet.PassKey("wrong") }},
	// v2 interval mismatch drops.
	{AdvertInterval, func(s *spec) { s.cfg.AdverInt = 2 * time.Second }},
	// type must be 1.
	{Type, func(s *spec) { s.raw = append(s.raw, setByte(vh, 0x22)) }},
	// 2.2.7 (vrrp_strict_vip_check): VIP count checked right after type.
	{VIPCount, func(s *spec) { s.cfg.StrictVIPCheck = true; s.cfg.VIPs = s.cfg.VIPs[:1] }},
	// IPv4 total length.
	{IPTotalLength, func(s *spec) { s.raw = append(s.raw, setByte(3, 0x2d)) }},
	// checksum.
	{Checksum, func(s *spec) { s.raw = append(s.raw, setByte(vh+7, 0)) }},
	// multicast packet on a unicast instance.
	{MulticastUnicast, func(s *spec) { s.cfg.Unicast = true }},
	// with vrrp_strict_vip_check: same count, different VIP.
	{VIPList, func(s *spec) {
		s.cfg.StrictVIPCheck = true
		s.cfg.VIPs = []netip.Addr{mustAddr("10.9.9.9"), mustAddr("10.9.9.11")}
	}},
	// unicast source must be a peer...
	{UnicastSourceNotPeer, func(s *spec) {
		s.cfg.Unicast, s.cfg.CheckUnicastSrc = true, true
		s.ip.Dst = mustAddr("192.168.200.3")
		s.cfg.Peers = []Peer{{Addr: mustAddr("192.168.200.9")}}
	}},
	// ...within its min_ttl/max_ttl.
	{PeerTTL, func(s *spec) {
		s.cfg.Unicast, s.cfg.CheckUnicastSrc = true, true
		s.ip.Dst = mustAddr("192.168.200.3")
		s.ip.TTL = 64
		s.cfg.Peers = []Peer{{Addr: mustAddr("192.168.200.2"), MinTTL: 200}}
	}},
}

func TestValidateBaseAccepted(t *testing.T) {
	s := baseV2()
	c := NewChecker(s.cfg, nil)
	if r := c.Check(s.build(t), true); r.Reason != OK || r.Warnings != 0 {
		t.Fatalf("captured advert rejected: %v %b", r.Reason, r.Warnings)
	}
	if c.Counters.AdvertRcvd.Load() != 1 {
		t.Error("advert_rcvd not counted")
	}
}

func TestValidateTable(t *testing.T) {
	for i, row := range rows {
		t.Run(row.want.String(), func(t *testing.T) {
			if i > 0 && rows[i-1].want >= row.want {
				t.Fatalf("rows out of check order")
			}
			s := baseV2()
			row.mut(s)
			c := NewChecker(s.cfg, nil)
			got := c.Check(s.build(t), s.checkVIPs)
			if got.Reason != row.want {
				t.Fatalf("got %v, want %v", got.Reason, row.want)
			}
			if c.Counters.Drops(row.want) != 1 {
				t.Errorf("counter %v = %d", row.want, c.Counters.Drops(row.want))
			}
			if c.Counters.AdvertRcvd.Load() != 0 && row.want < VIPList {
				t.Error("advert_rcvd counted for a header failure")
			}
		})
	}
}

// TestValidateOrder: a packet failing two checks reports the earlier one.
func TestValidateOrder(t *testing.T) {
	// Pairs whose mutations interfere (one disables the other's check).
	skip := map[[2]Reason]bool{
		{TTL, MulticastUnicast}:                  true, // unicast disables the TTL check
		{TTL, UnicastSourceNotPeer}:              true,
		{TTL, PeerTTL}:                           true,
		{MulticastUnicast, UnicastSourceNotPeer}: true, // unicast dst fixes multicast mismatch
		{MulticastUnicast, PeerTTL}:              true,
		{VIPCount, VIPList}:                      true, // same field
		{AuthTypeMismatch, Password}:             true, // auth none skips password
		{AuthTypeMismatch, AHPresence}:           true,
		{UnicastSourceNotPeer, PeerTTL}:          true,
	}
	n := 0
	for i := range rows {
		for j := i + 1; j < len(rows); j++ {
			a, b := rows[i], rows[j]
			if skip[[2]Reason{a.want, b.want}] {
				continue
			}
			s := baseV2()
			b.mut(s) // the earlier check's mutation wins shared fields
			a.mut(s)
			got := NewChecker(s.cfg, nil).Check(s.build(t), s.checkVIPs).Reason
			if got != a.want {
				t.Errorf("%v+%v: got %v, want %v", a.want, b.want, got, a.want)
			}
			n++
		}
	}
	if n < 100 {
		t.Fatalf("only %d pairs tested", n)
	}
}

func TestVIPMismatchDefaultAccepts(t *testing.T) {
	// ≥ 2.3.3 / RFC 9568 logs and counts but accepts.
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	s := baseV2()
	s.cfg.VIPs = s.cfg.VIPs[:1]
	c := NewChecker(s.cfg, log)
	r := c.Check(s.build(t), true)
	if r.Reason != OK || r.Warnings&WarnVIPCount == 0 {
		t.Fatalf("%v %b", r.Reason, r.Warnings)
	}
	if c.Counters.AddrListErr.Load() != 1 || !strings.Contains(logs.String(), "(VI_1) expected 1 VIPs but received 2") {
		t.Errorf("not counted/logged: %q", logs.String())
	}
	s = baseV2()
	s.cfg.VIPs = []netip.Addr{mustAddr("10.9.9.9"), mustAddr("10.9.9.11")}
	c = NewChecker(s.cfg, log)
	if r := c.Check(s.build(t), true); r.Reason != OK || r.Warnings&WarnVIPList == 0 {
		t.Fatalf("%v %b", r.Reason, r.Warnings)
	}
	if !strings.Contains(logs.String(), "not present in MASTER advert: 10.9.9.11") {
		t.Errorf("log: %q", logs.String())
	}
	// skip_check_adv_addr with a known master: contents not checked.
	c = NewChecker(s.cfg, nil)
	if r := c.Check(s.build(t), false); r.Reason != OK || r.Warnings != 0 {
		t.Fatalf("%v %b", r.Reason, r.Warnings)
	}
}

func TestStrictVIPCheckOnlyWhenCheckingAddrs(t *testing.T) {
	s := baseV2()
	s.cfg.StrictVIPCheck = true
	s.cfg.VIPs = s.cfg.VIPs[:1]
	if r := NewChecker(s.cfg, nil).Check(s.build(t), false); r.Reason != OK {
		t.Fatalf("2.2.7 skips VIP checks for the known master: %v", r.Reason)
	}
}

func TestEthernetPaddingTolerated(t *testing.T) {
	// 2.3.2+: a 32-byte v3 packet padded to 46 bytes is accepted.
	s := &spec{
		cfg: Config{Name: "VI_2", Family: packet.IPv4, Version: 3, AdverInt: 500 * time.Millisecond,
			VIPs: []netip.Addr{mustAddr("10.8.8.8")}},
		adv: packet.Advert{Version: 3, Type: 1, VRID: 52, Priority: 200, AdverInt: 50, Addrs: []netip.Addr{mustAddr("10.8.8.8")}},
		ip:  packet.IPv4Options{ID: 1, Src: mustAddr("192.168.100.2"), Dst: packet.IPv4Group},
	}
	s.raw = append(s.raw, func(b []byte) []byte { return append(b, make([]byte, 14)...) })
	if r := NewChecker(s.cfg, nil).Check(s.build(t), true); r.Reason != OK {
		t.Fatalf("padding: %v", r.Reason)
	}
	s.raw = []func([]byte) []byte{func(b []byte) []byte { return append(b, make([]byte, 13)...) }}
	if r := NewChecker(s.cfg, nil).Check(s.build(t), true); r.Reason != Length {
		t.Fatalf("13 bytes is not padding: %v", r.Reason)
	}
}

func v3spec() *spec {
	return &spec{
		cfg: Config{Name: "VI_2", Family: packet.IPv4, Version: 3, AdverInt: time.Second,
			VIPs: []netip.Addr{mustAddr("10.8.8.8")}},
		adv: packet.Advert{Version: 3, Type: 1, VRID: 52, Priority: 200, AdverInt: 50, Addrs: []netip.Addr{mustAddr("10.8.8.8")}},
		ip:  packet.IPv4Options{ID: 1, Src: mustAddr("192.168.100.2"), Dst: packet.IPv4Group},
	}
}

func TestV3IntervalMismatchLogOnly(t *testing.T) {
	// v3 interval mismatch is only logged.
	s := v3spec()
	c := NewChecker(s.cfg, nil)
	r := c.Check(s.build(t), true)
	if r.Reason != OK || r.Warnings&WarnIntervalV3 == 0 || c.Counters.IntervalWarned.Load() != 1 {
		t.Fatalf("%v %b", r.Reason, r.Warnings)
	}
}

func TestV3Checksum(t *testing.T) {
	// v3 IPv4 uses the pseudo-header unless v3_checksum_as_v2.
	s := v3spec()
	s.ip.V3ChecksumAsV2 = true
	if r := NewChecker(s.cfg, nil).Check(s.build(t), true); r.Reason != Checksum {
		t.Fatalf("as-v2 checksum accepted by default: %v", r.Reason)
	}
	s.cfg.V3ChecksumAsV2 = true
	if r := NewChecker(s.cfg, nil).Check(s.build(t), true); r.Reason != OK {
		t.Fatalf("as-v2: %v", r.Reason)
	}
}

func TestIPv6(t *testing.T) {
	src := mustAddr("fe80::6077:73ff:fee9:9195")
	vips := []netip.Addr{mustAddr("fe80::53"), mustAddr("2001:db8::53")}
	a := packet.Advert{Version: 3, Type: 1, VRID: 53, Priority: 100, AdverInt: 100, Addrs: vips}
	b, _ := a.Marshal(packet.IPv6, packet.ChecksumOptions{IPv6KernelChecksum: true})
	cfg := Config{Name: "VI_3", Family: packet.IPv6, Version: 3, AdverInt: time.Second, VIPs: vips}
	rx := func(hl int, dst netip.Addr) *packet.Received {
		r, err := packet.DecodeIPv6(b, packet.Control{HopLimit: hl, Src: src, Dst: dst})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// IPv6 checksums are the kernel's job: a zero checksum passes.
	if r := NewChecker(cfg, nil).Check(rx(255, packet.IPv6Group), true); r.Reason != OK {
		t.Fatal(r.Reason)
	}
	if r := NewChecker(cfg, nil).Check(rx(1, packet.IPv6Group), true); r.Reason != TTL {
		t.Fatal(r.Reason)
	}
	// Hop limit unknown (-1) is not checked, as in keepalived.
	if r := NewChecker(cfg, nil).Check(rx(-1, packet.IPv6Group), true); r.Reason != OK {
		t.Fatal(r.Reason)
	}
	if r := NewChecker(cfg, nil).Check(rx(255, mustAddr("fe80::1")), true); r.Reason != MulticastUnicast {
		t.Fatal(r.Reason)
	}
	cfg.Family = packet.IPv4
	if r := NewChecker(cfg, nil).Check(rx(255, packet.IPv6Group), true); r.Reason != Family {
		t.Fatal(r.Reason)
	}
}

func ahSpec() *spec {
	s := baseV2()
	s.cfg.AuthType = packet.AuthAH
	s.adv.AuthType = packet.AuthAH
	s.adv.AuthData = [8]byte{}
	s.ip.AH, s.ip.Key, s.ip.Seq = true, s.cfg.AuthKey, 1
	return s
}

func TestAH(t *testing.T) {
	// AH with HMAC-MD5-96, SPI = source, anti-replay sequence.
	s := ahSpec()
	c := NewChecker(s.cfg, nil)
	if r := c.Check(s.build(t), true); r.Reason != OK {
		t.Fatalf("valid AH: %v", r.Reason)
	}
	if c.AHSeq() != 1 {
		t.Errorf("seq %d", c.AHSeq())
	}
	if r := c.Check(s.build(t), true); r.Reason != AHAuth {
		t.Fatalf("replay: %v", r.Reason)
	}
	s.ip.Seq = 2
	s.ip.Key = packet.PassKey("bad")
	if r := c.Check(s.build(t), true); r.Reason != AHAuth {
		t.Fatalf("bad key: %v", r.Reason)
	}
	// SPI not the source address (ICV recomputed so only the SPI is wrong).
	s = ahSpec()
	s.raw = append(s.raw, func(b []byte) []byte {
		binary.BigEndian.PutUint32(b[vh+4:], 1)
		icv, _ := packet.AHICV(b, s.cfg.AuthKey, false)
		copy(b[vh+12:], icv[:])
		return b
	})
	if r := NewChecker(s.cfg, nil).Check(s.build(t), true); r.Reason != AHAuth {
		t.Fatalf("spi: %v", r.Reason)
	}
	s = ahSpec()
	s.raw = append(s.raw, setByte(vh, 6))
	if r := NewChecker(s.cfg, nil).Check(s.build(t), true); r.Reason != AHNextHeader {
		t.Fatalf("next header: %v", r.Reason)
	}
	// AH packet to a PASS instance.
	s = ahSpec()
	s.cfg.AuthType = packet.AuthPass
	if r := NewChecker(s.cfg, nil).Check(s.build(t), true); r.Reason != AHPresence {
		t.Fatalf("%v", r.Reason)
	}
}

func TestPriorityZeroCounted(t *testing.T) {
	s := baseV2()
	s.adv.Priority = 0
	c := NewChecker(s.cfg, nil)
	if r := c.Check(s.build(t), true); r.Reason != OK || c.Counters.PriZeroRcvd.Load() != 1 {
		t.Fatalf("%v %d", r.Reason, c.Counters.PriZeroRcvd.Load())
	}
}

func TestUnicastNoTTLCheckWithoutBounds(t *testing.T) {
	// unicast skips the TTL check unless min/max_ttl are set.
	s := baseV2()
	s.cfg.Unicast = true
	s.ip.Dst = mustAddr("192.168.200.3")
	s.ip.TTL = 3
	if r := NewChecker(s.cfg, nil).Check(s.build(t), true); r.Reason != OK {
		t.Fatal(r.Reason)
	}
	s.cfg.CheckUnicastSrc = true
	s.cfg.Peers = []Peer{{Addr: mustAddr("192.168.200.2")}}
	if r := NewChecker(s.cfg, nil).Check(s.build(t), true); r.Reason != OK {
		t.Fatal(r.Reason)
	}
}

func TestReasonStrings(t *testing.T) {
	seen := map[string]bool{}
	for r := OK; r < NumReasons; r++ {
		s := r.String()
		if s == "" || strings.HasPrefix(s, "reason(") || seen[s] {
			t.Errorf("%d: %q", r, s)
		}
		seen[s] = true
	}
	if NumReasons.String() != "reason(30)" {
		t.Error(NumReasons.String())
	}
	if Length.Stat() != "Packet Errors: Length" || Password.Stat() != "Authentication Errors: Failure" {
		t.Error("stat names")
	}
}

// A flood of bad adverts is counted in full but logged a few times, then
// once every few seconds, with the number held back.
func TestDropLogsAreRateLimited(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	s := baseV2()
	s.adv.AuthData = packet.PassKey("wrong")
	c := NewChecker(baseV2().cfg, log)
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }
	rx := s.build(t)
	for i := 0; i < 5000; i++ { // one second at 5,000 packets/s
		now = now.Add(200 * time.Microsecond)
		if r := c.Check(rx, true); r.Reason != Password {
			t.Fatalf("%v", r.Reason)
		}
	}
	if n := c.Counters.Drops(Password); n != 5000 {
		t.Fatalf("counted %d drops, want 5000", n)
	}
	if n := strings.Count(logs.String(), "received an invalid passwd!"); n != 5 {
		t.Fatalf("%d lines in the first second, want the burst of 5:\n%s", n, logs.String())
	}
	now = now.Add(2 * time.Second)
	logs.Reset()
	c.Check(rx, true)
	if !strings.Contains(logs.String(), "(VI_1) 4995 more lines like the next were suppressed") ||
		!strings.Contains(logs.String(), "received an invalid passwd!") {
		t.Fatalf("after the pause: %q", logs.String())
	}
}

// old_unicast_checksum as keepalived 2.2.7's unicast_chksum_compat: with
// no keyword a unicast v3 instance accepts the new checksum, and on the
// first old one switches to it for good (sending it too); "never" takes
// only the new one; the keyword alone takes only the old one.
func TestOldUnicastChecksum(t *testing.T) {
	group := packet.IPv4Group
	adv := func(old bool) *packet.Received {
		s := v3spec()
		s.ip.Dst = mustAddr("192.168.200.3")
		if old {
			s.ip.ChecksumDst = group
		}
		return s.build(t)
	}
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey || a.Key == slog.LevelKey {
			return slog.Attr{}
		}
		return a
	}}))
	for _, tc := range []struct {
		mode      ChecksumCompat
		newOK     bool // a new checksum first
		oldOK     bool // then an old one
		newAfter  bool // then a new one again
		endMode   ChecksumCompat
		switchLog bool
	}{
		{ChecksumNew, true, true, false, ChecksumAuto, true},
		{ChecksumNever, true, false, true, ChecksumNever, false},
		{ChecksumOld, false, true, false, ChecksumOld, false},
	} {
		logs.Reset()
		s := v3spec()
		s.cfg.Unicast, s.cfg.OldChecksum, s.cfg.McastGroup4 = true, tc.mode, group
		c := NewChecker(s.cfg, log)
		for i, x := range []struct {
			old, ok bool
		}{{false, tc.newOK}, {true, tc.oldOK}, {false, tc.newAfter}} {
			if r := c.Check(adv(x.old), true); (r.Reason == OK) != x.ok {
				t.Errorf("%v: advert %d (old %v): %v, want ok %v", tc.mode, i, x.old, r.Reason, x.ok)
			}
		}
		if c.ChecksumCompat() != tc.endMode {
			t.Errorf("%v: mode %v, want %v", tc.mode, c.ChecksumCompat(), tc.endMode)
		}
		if got := c.ChecksumDst(); got.IsValid() != (tc.endMode >= ChecksumOld) || (got.IsValid() && got != group) {
			t.Errorf("%v: sends over %v", tc.mode, got)
		}
		if strings.Contains(logs.String(), "(VI_2) Setting unicast VRRPv3 checksum to old version") != tc.switchLog {
			t.Errorf("%v: log %q", tc.mode, logs.String())
		}
	}
	// A reload forgets the switch (keepalived's new instance).
	s0 := v3spec()
	s0.cfg.Unicast, s0.cfg.McastGroup4 = true, group
	c0 := NewChecker(s0.cfg, nil)
	c0.Check(adv(true), true)
	if c0.SetConfig(c0.Config()); c0.ChecksumCompat() != ChecksumNew {
		t.Errorf("after a reload: %v", c0.ChecksumCompat())
	}
	// A multicast instance never switches.
	s := v3spec()
	s.cfg.McastGroup4 = group
	c := NewChecker(s.cfg, nil)
	if r := c.Check(s.build(t), true); r.Reason != OK || c.ChecksumCompat() != ChecksumNew {
		t.Errorf("multicast: %v %v", r.Reason, c.ChecksumCompat())
	}
}

// owner_ignore_adverts drops every advert while the effective priority is
// 255, after the checks that make it a VRRP advert for us, uncounted.
func TestOwnerIgnoreAdverts(t *testing.T) {
	s := baseV2()
	s.cfg.OwnerIgnoreAdverts = true
	c := NewChecker(s.cfg, nil)
	if r := c.Check(s.build(t), true); r.Reason != OK {
		t.Fatalf("not owner now: %v", r.Reason)
	}
	c.SetOwner(true)
	if r := c.Check(s.build(t), true); r.Reason != OwnerIgnored || c.Counters.AdvertRcvd.Load() != 1 {
		t.Fatalf("owner: %v, %d received", r.Reason, c.Counters.AdvertRcvd.Load())
	}
	s.cfg.OwnerIgnoreAdverts = false
	c.SetConfig(s.cfg)
	if r := c.Check(s.build(t), true); r.Reason != OK {
		t.Fatalf("without the keyword: %v", r.Reason)
	}
}
