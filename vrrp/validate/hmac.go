package validate

import (
	"crypto/subtle"
	"net/netip"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp/packet"
)

// HMACMode is auth_hmac's mode: what is sent and what is accepted.
type HMACMode uint8

const (
	// HMACEnforce signs, and drops adverts without a trailer.
	HMACEnforce HMACMode = iota
	// HMACPermissive signs, and also accepts adverts without a trailer.
	HMACPermissive
	// HMACReceiveOnly does not sign, and accepts adverts without a trailer.
	HMACReceiveOnly
)

func (m HMACMode) String() string {
	return [...]string{"enforce", "permissive", "receive-only"}[m]
}

// HMACKey is one configured key.
type HMACKey struct {
	ID  uint8
	Key []byte
}

// HMAC is an instance's auth_hmac (keepalived 2.4.2+).
type HMAC struct {
	Keys      []HMACKey
	ActiveKey uint8
	Mode      HMACMode
	// AntiReplayTime: a trailer's timestamp must be within Window
	// seconds of our clock (anti_replay time); else only growth counts.
	AntiReplayTime bool
	Window         int
}

// Key returns the key with id, or nil.
func (h *HMAC) Key(id uint8) []byte {
	for _, k := range h.Keys {
		if k.ID == id {
			return k.Key
		}
	}
	return nil
}

// hmacMcastSenders is how many multicast senders' sequence numbers are
// remembered (least recently used evicted), as keepalived does.
const hmacMcastSenders = 4

// replayMark is the last sequence number accepted from one sender.
type replayMark struct {
	valid bool
	seq   uint64
}

type mcastSender struct {
	addr     netip.Addr
	mark     replayMark
	lastUsed uint64 // 0: free
}

// hmacState is the Checker's auth_hmac state: the sequence numbers sent
// and, per sender, the last one accepted.
type hmacState struct {
	sendSeq uint64
	unicast map[netip.Addr]*replayMark
	mcast   [hmacMcastSenders]mcastSender
	lru     uint64
}

func (c *Checker) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

// HMACSign returns what the next advert is signed with, or nil when
// nothing is signed (no auth_hmac, or receive-only). One sequence number
// per advert, whatever the number of unicast peers.
func (c *Checker) HMACSign() *packet.HMACSign {
	h := c.cfg.HMAC
	if h == nil || h.Mode == HMACReceiveOnly {
		return nil
	}
	return &packet.HMACSign{KeyID: h.ActiveKey, Key: h.Key(h.ActiveKey), Seq: c.nextHMACSeq(h)}
}

// nextHMACSeq is the clock, or the last sequence plus one when the clock
// has not moved past it. In time mode a sequence stranded beyond the
// window (a clock stepped back) restarts from the clock.
func (c *Checker) nextHMACSeq(h *HMAC) uint64 {
	s := &c.hmac
	clk := packet.SeqFromTime(c.clock())
	if packet.SeqAfter(clk, s.sendSeq) {
		s.sendSeq = clk
		return clk
	}
	ahead := int32(uint32(s.sendSeq>>32) - uint32(clk>>32))
	if h.AntiReplayTime && ahead > int32(h.Window) {
		s.sendSeq = clk
	} else {
		s.sendSeq++
	}
	return s.sendSeq
}

// mcastMark finds or makes the replay mark of a multicast sender.
func (s *hmacState) mcastMark(src netip.Addr) *replayMark {
	s.lru++
	var victim *mcastSender
	for i := range s.mcast {
		m := &s.mcast[i]
		if m.lastUsed != 0 && m.addr == src {
			m.lastUsed = s.lru
			return &m.mark
		}
		if victim == nil || m.lastUsed < victim.lastUsed {
			victim = m
		}
	}
	*victim = mcastSender{addr: src, lastUsed: s.lru}
	return &victim.mark
}

// checkHMAC verifies the trailer (nil: none) of an advert from rx.Src;
// msg is the VRRP message without the trailer.
func (c *Checker) checkHMAC(rx *packet.Received, msg, trailer []byte) Reason {
	h, name := c.cfg.HMAC, c.cfg.Name
	if trailer == nil {
		if h.Mode != HMACEnforce {
			return OK
		}
		c.logf("(%s) missing authentication trailer from %v", name, rx.Src)
		return HMACMissing
	}
	var mark *replayMark
	if c.cfg.Unicast {
		known := false
		for _, p := range c.cfg.Peers {
			known = known || p.Addr == rx.Src
		}
		if !known {
			c.logf("(%s) unicast source address %v not a unicast peer", name, rx.Src)
			return UnicastSourceNotPeer
		}
		if c.hmac.unicast == nil {
			c.hmac.unicast = map[netip.Addr]*replayMark{}
		}
		if mark = c.hmac.unicast[rx.Src]; mark == nil {
			mark = &replayMark{}
			c.hmac.unicast[rx.Src] = mark
		}
	}
	tr, err := packet.ParseTrailer(trailer)
	if err != nil || tr.Type != packet.HMACTypeSHA256 || tr.Reserved != 0 {
		c.logf("(%s) malformed authentication trailer from %v", name, rx.Src)
		return HMACMalformed
	}
	now := c.clock()
	skew := int32(uint32(now.Unix()) - tr.Sec())
	// Stale before the MAC: a flood of old captures costs no digest.
	if h.AntiReplayTime && (skew > int32(h.Window) || skew < -int32(h.Window)) {
		c.logf("(%s) stale authentication trailer from %v, clock skew %d sec exceeds window %d sec", name, rx.Src, skew, h.Window)
		return HMACStale
	}
	key := h.Key(tr.KeyID)
	if key == nil {
		c.logf("(%s) unknown authentication key id %d from %v", name, tr.KeyID, rx.Src)
		return HMACUnknownKey
	}
	full := make([]byte, 0, len(msg)+len(trailer))
	full = append(append(full, msg...), trailer...)
	mac := packet.TrailerMAC(key, rx.Family, rx.Src, full)
	if subtle.ConstantTimeCompare(mac[:], tr.MAC[:]) != 1 {
		c.logf("(%s) invalid authentication HMAC from %v", name, rx.Src)
		return HMACBadMAC
	}
	// The replay mark moves only on authenticated data.
	if mark == nil {
		mark = c.hmac.mcastMark(rx.Src)
	}
	if mark.valid && h.AntiReplayTime {
		// A mark outside the window orders only what the window rejects:
		// forgetting it lets a sender restarted after a clock step back in.
		if age := int32(uint32(now.Unix()) - uint32(mark.seq>>32)); age > int32(h.Window) || age < -int32(h.Window) {
			mark.valid = false
		}
	}
	if mark.valid && !packet.SeqAfter(tr.Seq, mark.seq) {
		c.logf("(%s) replayed authentication trailer from %v", name, rx.Src)
		return HMACReplay
	}
	mark.valid, mark.seq = true, tr.Seq
	if half := int32(h.Window / 2); h.AntiReplayTime && (skew > half || skew < -half) {
		c.logf("(%s) authentication clock skew %d sec from %v approaching window %d sec", name, skew, rx.Src, h.Window)
	}
	return OK
}
