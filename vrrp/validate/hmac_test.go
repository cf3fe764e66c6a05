package validate

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp/packet"
)

var hmacKey1, _ = hex.DecodeString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")

// captured243 is one advert keepalived 2.4.3 sent (../packet/testdata).
type captured243 struct {
	file string
	raw  []byte
}

func captures243(t *testing.T) []captured243 {
	t.Helper()
	files, _ := filepath.Glob("../packet/testdata/hmac243/*.txt")
	var out []captured243
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "#") {
				continue
			}
			b, err := hex.DecodeString(sc.Text())
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, captured243{filepath.Base(f), b})
		}
		fh.Close()
	}
	if len(out) < 12 {
		t.Fatalf("captures: %d", len(out))
	}
	return out
}

// decode splits a captured packet as the sockets do.
func (c captured243) decode(t *testing.T) *packet.Received {
	t.Helper()
	if c.raw[0]>>4 == 4 {
		r, err := packet.DecodeIPv4(c.raw)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	src, dst := netip.AddrFrom16([16]byte(c.raw[8:24])), netip.AddrFrom16([16]byte(c.raw[24:40]))
	r, err := packet.DecodeIPv6(c.raw[40:], packet.Control{HopLimit: int(c.raw[7]), Src: src, Dst: dst})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// config is the receiving instance of the capture's setup.
func (c captured243) config(rx *packet.Received, h *HMAC) Config {
	cfg := Config{Name: "VI", Family: rx.Family, Version: rx.Advert.Version, AdverInt: time.Second,
		VIPs: rx.Advert.Addrs, HMAC: h, Unicast: !rx.Dst.IsMulticast()}
	if cfg.Unicast {
		cfg.Peers = []Peer{{Addr: rx.Src}}
	}
	return cfg
}

func hmacOf(keys ...HMACKey) *HMAC {
	return &HMAC{Keys: keys, ActiveKey: keys[0].ID, Mode: HMACEnforce, AntiReplayTime: true, Window: 5}
}

// trailerTime is when the capture was sent, by its trailer.
func trailerTime(rx *packet.Received) time.Time {
	tr, _ := packet.ParseTrailer(rx.Raw[len(rx.Raw)-packet.TrailerLen:])
	return time.Unix(int64(tr.Sec()), 0)
}

// TestHMACAccepts243: every advert keepalived 2.4.3 sent is accepted, the
// same one again is a replay, and each forgery is dropped for its reason.
func TestHMACAccepts243(t *testing.T) {
	other := HMACKey{ID: 2, Key: []byte("abcdefghijklmnopqrstuvwxyz0123456789")}
	for _, c := range captures243(t) {
		rx := c.decode(t)
		at := trailerTime(rx)
		check := func(h *HMAC, now time.Time, n int) []Reason {
			ch := NewChecker(c.config(rx, h), nil)
			ch.now = func() time.Time { return now }
			var out []Reason
			for range n {
				out = append(out, ch.Check(rx, true).Reason)
			}
			return out
		}
		good := hmacOf(HMACKey{ID: 1, Key: hmacKey1}, other)
		if r := check(good, at, 2); r[0] != OK || r[1] != HMACReplay {
			t.Errorf("%s: %v, want ok then replay", c.file, r)
		}
		bad := append([]byte(nil), hmacKey1...)
		bad[31] ^= 0x80
		if r := check(hmacOf(HMACKey{ID: 1, Key: bad}), at, 1); r[0] != HMACBadMAC {
			t.Errorf("%s: wrong key: %v", c.file, r)
		}
		if r := check(hmacOf(other), at, 1); r[0] != HMACUnknownKey {
			t.Errorf("%s: unknown key id: %v", c.file, r)
		}
		if r := check(good, at.Add(6*time.Second), 1); r[0] != HMACStale {
			t.Errorf("%s: 6 s later: %v", c.file, r)
		}
		if r := check(good, at.Add(-6*time.Second), 1); r[0] != HMACStale {
			t.Errorf("%s: 6 s earlier: %v", c.file, r)
		}
		mono := *good
		mono.AntiReplayTime = false
		if r := check(&mono, at.Add(time.Hour), 2); r[0] != OK || r[1] != HMACReplay {
			t.Errorf("%s: monotonic an hour later: %v", c.file, r)
		}
	}
}

// stripTrailer is rx without its trailer (an IPv4 total length fixed).
func stripTrailer(t *testing.T, c captured243) *packet.Received {
	b := append([]byte(nil), c.raw...)
	b = b[:len(b)-packet.TrailerLen]
	if b[0]>>4 == 4 {
		tot := len(b)
		b[2], b[3] = byte(tot>>8), byte(tot)
	}
	return captured243{c.file, b}.decode(t)
}

// TestHMACModes: an advert without a trailer is dropped in enforce mode
// only; a malformed trailer is dropped in every mode.
func TestHMACModes(t *testing.T) {
	for _, c := range captures243(t) {
		rx := c.decode(t)
		plain := stripTrailer(t, c)
		for _, m := range []HMACMode{HMACEnforce, HMACPermissive, HMACReceiveOnly} {
			h := hmacOf(HMACKey{ID: 1, Key: hmacKey1})
			h.Mode = m
			cfg := c.config(rx, h)
			ch := NewChecker(cfg, nil)
			ch.now = func() time.Time { return trailerTime(rx) }
			want := OK
			if m == HMACEnforce {
				want = HMACMissing
			}
			if r := ch.Check(plain, true).Reason; r != want {
				t.Errorf("%s %v: no trailer: %v, want %v", c.file, m, r, want)
			}
			mal := append([]byte(nil), c.raw...)
			mal[len(mal)-packet.TrailerLen] = 2 // another scheme
			if r := ch.Check(captured243{c.file, mal}.decode(t), true).Reason; r != HMACMalformed {
				t.Errorf("%s %v: malformed: %v", c.file, m, r)
			}
			if ch.Counters.Drops(HMACMalformed) != 1 {
				t.Errorf("%s: malformed not counted", c.file)
			}
		}
	}
}

// TestHMACSignVerify: what one checker signs another verifies, its
// sequence numbers growing within one clock reading; a key rotation
// (another active key) verifies at a receiver that has both keys.
func TestHMACSignVerify(t *testing.T) {
	k2 := HMACKey{ID: 2, Key: []byte("abcdefghijklmnopqrstuvwxyz0123456789")}
	h := hmacOf(HMACKey{ID: 1, Key: hmacKey1}, k2)
	vips := []netip.Addr{mustAddr("10.9.0.100")}
	src := mustAddr("10.9.0.1")
	cfg := Config{Name: "VI", Family: packet.IPv4, Version: 3, AdverInt: time.Second, VIPs: vips, HMAC: h}
	now := time.Unix(1_800_000_000, 0)
	tx, rx := NewChecker(cfg, nil), NewChecker(cfg, nil)
	tx.now, rx.now = func() time.Time { return now }, func() time.Time { return now }
	var last uint64
	for i := range 4 {
		if i == 2 { // reload with the other active key
			h2 := *h
			h2.ActiveKey = 2
			c2 := cfg
			c2.HMAC = &h2
			tx.SetConfig(c2)
		}
		s := tx.HMACSign()
		if s == nil || s.Seq <= last || (i > 0 && s.Seq != last+1) {
			t.Fatalf("advert %d: %+v after %x", i, s, last)
		}
		last = s.Seq
		adv := packet.Advert{Version: 3, Type: 1, VRID: 51, Priority: 150, AdverInt: 100, Addrs: vips}
		b, err := packet.BuildIPv4(&adv, packet.IPv4Options{Src: src, Dst: packet.IPv4Group, HMAC: s})
		if err != nil {
			t.Fatal(err)
		}
		r, _ := packet.DecodeIPv4(b)
		if got := rx.Check(r, true).Reason; got != OK {
			t.Fatalf("advert %d (key %d): %v", i, s.KeyID, got)
		}
	}
	ro := *h
	ro.Mode = HMACReceiveOnly
	cfg.HMAC = &ro
	if NewChecker(cfg, nil).HMACSign() != nil {
		t.Fatal("receive-only signs")
	}
}

// TestHMACMcastSenders: four multicast senders are remembered; a fifth
// evicts the least recently used, whose next advert then starts afresh.
func TestHMACMcastSenders(t *testing.T) {
	var s hmacState
	addrs := []netip.Addr{mustAddr("10.0.0.1"), mustAddr("10.0.0.2"), mustAddr("10.0.0.3"), mustAddr("10.0.0.4")}
	for i, a := range addrs {
		m := s.mcastMark(a)
		m.valid, m.seq = true, uint64(i+1)
	}
	s.mcastMark(addrs[0]) // used again: not the victim
	if m := s.mcastMark(mustAddr("10.0.0.5")); m.valid {
		t.Fatal("new sender inherits a mark")
	}
	if m := s.mcastMark(addrs[0]); !m.valid || m.seq != 1 {
		t.Fatal("recently used sender evicted")
	}
	if m := s.mcastMark(addrs[1]); m.valid {
		t.Fatal("least recently used sender kept")
	}
}

// TestHMACDropLogsAreRateLimited: a flood of replays of one signed advert
// is counted in full and logged in a burst of 5.
func TestHMACDropLogsAreRateLimited(t *testing.T) {
	c := captures243(t)[0]
	rx := c.decode(t)
	var logs bytes.Buffer
	ch := NewChecker(c.config(rx, hmacOf(HMACKey{ID: 1, Key: hmacKey1})), slog.New(slog.NewTextHandler(&logs, nil)))
	now := trailerTime(rx)
	ch.now = func() time.Time { return now }
	if r := ch.Check(rx, true).Reason; r != OK {
		t.Fatal(r)
	}
	for range 5000 {
		now = now.Add(100 * time.Microsecond)
		if r := ch.Check(rx, true).Reason; r != HMACReplay {
			t.Fatal(r)
		}
	}
	if n := ch.Counters.Drops(HMACReplay); n != 5000 {
		t.Fatalf("counted %d", n)
	}
	if n := strings.Count(logs.String(), "replayed authentication trailer from "); n != 5 {
		t.Fatalf("%d lines:\n%s", n, logs.String())
	}
}
