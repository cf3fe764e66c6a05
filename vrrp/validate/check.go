package validate

import (
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/lograte"
	"github.com/gokeepalived/gokeepalived/vrrp/packet"
)

// Peer is a unicast_peer entry.
type Peer struct {
	Addr netip.Addr
	// MinTTL/MaxTTL bound the received TTL (keepalived min_ttl/max_ttl);
	// MaxTTL 0 means 255.
	MinTTL, MaxTTL int
}

// Config is what validation needs from a vrrp_instance.
type Config struct {
	Name     string // iname, for log lines
	Family   packet.Family
	Version  uint8
	AuthType packet.AuthType
	AuthKey  [packet.AuthDataLen]byte // packet.PassKey(auth_pass)
	AdverInt time.Duration
	VIPs     []netip.Addr
	Unicast  bool
	Peers    []Peer
	// CheckUnicastSrc is check_unicast_src / vrrp_check_unicast_src; the
	// config layer should also set it when a peer has min_ttl/max_ttl.
	CheckUnicastSrc bool
	// StrictVIPCheck (config keyword vrrp_strict_vip_check) restores the
	// keepalived ≤ 2.3.2 behaviour: an advert whose VIP list differs from
	// ours is rejected. Default false: log, count and accept (2.3.3+, RFC 9568).
	StrictVIPCheck bool
	// V3ChecksumAsV2: v3 IPv4 checksums without the pseudo-header.
	V3ChecksumAsV2 bool
	// OldChecksum is old_unicast_checksum: when a v3 IPv4 checksum takes
	// McastGroup4 (the global vrrp_mcast_group4) instead of the packet's
	// destination in its pseudo-header, as keepalived before 2.2.0 did.
	OldChecksum ChecksumCompat
	McastGroup4 netip.Addr
	// HMAC is auth_hmac; nil without one.
	HMAC *HMAC
	// OwnerIgnoreAdverts is owner_ignore_adverts: while our effective
	// priority is 255 (SetOwner), every advert is dropped.
	OwnerIgnoreAdverts bool
}

// ChecksumCompat is keepalived's unicast_chksum_compat.
type ChecksumCompat uint8

const (
	// ChecksumNew (no keyword): the destination's checksum, switching to
	// the old one (until a reload) at the first unicast advert with it.
	ChecksumNew ChecksumCompat = iota
	// ChecksumNever ("old_unicast_checksum never"): never switch.
	ChecksumNever
	// ChecksumOld ("old_unicast_checksum"): the old checksum only.
	ChecksumOld
	// ChecksumAuto: switched to the old one by a received advert.
	ChecksumAuto
)

func (m ChecksumCompat) String() string {
	return [...]string{"no", "never", "config", "auto"}[m]
}

// Result is the outcome of a check.
type Result struct {
	Reason   Reason
	Warnings Warning
}

// Checker validates adverts for one instance and keeps its counters and
// the instance's AH sequence number. Not safe for concurrent Check calls.
type Checker struct {
	cfg      Config
	log      *slog.Logger
	Counters Counters
	// ahSeq is keepalived's ipsecah_counter: one number per instance, the
	// last accepted on receive and the last used on send, so that whoever
	// becomes master goes on from the sequence the segment has seen.
	ahSeq uint32
	// ahCycle: the number reached its top while sending (keepalived's
	// cycle flag); it starts again from 0 at the next MASTER transition.
	ahCycle bool
	limit   *lograte.Limiter
	now     func() time.Time // nil: time.Now
	// compat is cfg.OldChecksum, or ChecksumAuto once switched.
	compat ChecksumCompat
	// hmac is auth_hmac's sequence numbers, kept across a reload.
	hmac hmacState
	// owner: the instance's effective priority is 255 (see SetOwner).
	owner bool
}

// NewChecker returns a Checker; log may be nil.
func NewChecker(cfg Config, log *slog.Logger) *Checker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Checker{cfg: cfg, log: log, compat: cfg.OldChecksum}
}

// Config returns the checker's configuration.
func (c *Checker) Config() Config { return c.cfg }

// SetConfig replaces the configuration on a reload, keeping the counters
// and the AH sequence number. A switch to the old checksum is forgotten,
// as keepalived's reloaded instance starts afresh.
func (c *Checker) SetConfig(cfg Config) {
	c.cfg, c.compat = cfg, cfg.OldChecksum
}

// ChecksumCompat is the unicast checksum mode in force.
func (c *Checker) ChecksumCompat() ChecksumCompat { return c.compat }

// ChecksumDst is the address a v3 IPv4 advert's checksum is computed
// over: the group in the old mode, else invalid (the destination).
func (c *Checker) ChecksumDst() netip.Addr {
	if c.compat >= ChecksumOld {
		return c.cfg.McastGroup4
	}
	return netip.Addr{}
}

// AHSeq is the instance's AH sequence number: the last one accepted or sent.
func (c *Checker) AHSeq() uint32 { return c.ahSeq }

// SetAHSeq lets the state machine resync (keepalived does on a lower
// priority advert in MASTER) or reset the counter; it clears the cycle.
func (c *Checker) SetAHSeq(s uint32) { c.ahSeq, c.ahCycle = s, false }

// ahSeqTop is the last number keepalived sends before it stops counting.
const ahSeqTop = 0xFFFFFFFD

// NextAHSeq is the sequence number of the next advert sent, from the same
// counter received adverts advance (vrrp_update_pkt): one per advert,
// whatever the number of unicast peers.
func (c *Checker) NextAHSeq() uint32 {
	if c.ahSeq > ahSeqTop {
		c.ahCycle = true
	} else {
		c.ahSeq++
	}
	return c.ahSeq
}

// AHCycled reports whether the counter reached its top while sending.
func (c *Checker) AHCycled() bool { return c.ahCycle }

// ClearAHCycle forgets that the counter reached its top (keepalived does
// when a master's adverts are accepted again).
func (c *Checker) ClearAHCycle() { c.ahCycle = false }

// SetOwner tells the checker whether the instance's effective priority
// is 255 now (owner_ignore_adverts applies only then).
func (c *Checker) SetOwner(owner bool) { c.owner = owner }

// Check validates rx. checkVIPs is keepalived's check_vip_addr: true unless
// skip_check_adv_addr is set and the advert comes from the known master.
func (c *Checker) Check(rx *packet.Received, checkVIPs bool) Result {
	res := c.check(rx, checkVIPs)
	if res.Reason != OK {
		c.Counters.Inc(res.Reason)
	}
	return res
}

// logf writes keepalived's line for a dropped advert, at most a few of
// each kind then one every few seconds: a flood of bad adverts must not
// become a flood of log lines. The next line written after some were
// held back says how many.
func (c *Checker) logf(format string, args ...any) {
	if c.limit == nil {
		c.limit = lograte.Default()
	}
	ok, held := c.limit.Allow(format, c.clock())
	if !ok {
		return
	}
	if held > 0 {
		c.log.Info(fmt.Sprintf("(%s) %d more lines like the next were suppressed", c.cfg.Name, held), "instance", c.cfg.Name)
	}
	c.log.Info(fmt.Sprintf(format, args...), "instance", c.cfg.Name)
}

const (
	ethDataMin = 46 // ETH_ZLEN - ETH_HLEN: payload of a minimum frame
	vlanTag    = 4
)

// padded reports whether got-want bytes can be Ethernet padding (keepalived
// ≥ 2.3.2, modulo VLAN tags).
func padded(want, got int) bool {
	return want < ethDataMin && want < got && (got-want)%vlanTag == (vlanTag-ethDataMin%vlanTag)%vlanTag
}

func (c *Checker) check(rx *packet.Received, checkVIPs bool) Result {
	cfg := &c.cfg
	var res Result
	name := cfg.Name
	if rx == nil || len(rx.VRRP) < packet.HeaderLen {
		return Result{Reason: TooShort}
	}
	if rx.Family != cfg.Family {
		c.logf("(%s) received %v packet on %v instance", name, rx.Family, cfg.Family)
		return Result{Reason: Family}
	}
	hd := &rx.Advert

	// 1. AH present iff we use AH (IPv4 only).
	if cfg.Family == packet.IPv4 && (rx.AH != nil) != (cfg.AuthType == packet.AuthAH) {
		if rx.AH != nil {
			c.logf("(%s) Received AH header but auth type not AH", name)
		} else {
			c.logf("(%s) No AH header but auth type is AH", name)
		}
		return Result{Reason: AHPresence}
	}

	// 2. Length: headers + what naddr implies must be what we got.
	expVRRP := packet.ExpectedLen(hd.Version, hd.CountAddrs, cfg.Family)
	expected := rx.HeadersLen() + expVRRP
	// An auth_hmac trailer is told by the length: padding never reaches it.
	var trailer []byte
	if cfg.HMAC != nil && len(rx.Raw) == expected+packet.TrailerLen {
		trailer = rx.Raw[expected:]
		expected += packet.TrailerLen
	}
	if got := len(rx.Raw); got != expected && !padded(expected, got) {
		dir := "short"
		if got > expected {
			dir = "long"
		}
		c.logf("(%s) vrrp packet from %v too %s, length %d and expect %d", name, rx.Src, dir, got, expected)
		return Result{Reason: Length}
	}

	// 3. TTL/hop limit 255, multicast only (RFC 5798).
	if !cfg.Unicast && rx.TTL != -1 && rx.TTL != packet.TTL {
		c.logf("(%s) invalid TTL/HL. Received %d and expect %d", name, rx.TTL, packet.TTL)
		return Result{Reason: TTL}
	}

	// 4. Version.
	if hd.Version != cfg.Version {
		c.logf("(%s) wrong version. Received %d and expect %d", name, hd.Version, cfg.Version)
		return Result{Reason: Version}
	}

	// 4a. auth_hmac, before any field reaches the state machine.
	if cfg.HMAC != nil {
		if r := c.checkHMAC(rx, rx.VRRP[:expVRRP], trailer); r != OK {
			return Result{Reason: r}
		}
	}

	// 5. v2 authentication, then the interval (a v2 mismatch drops).
	if cfg.Version == 2 {
		if hd.AuthType > packet.AuthAH {
			c.logf("(%s) Invalid auth type: %d", name, hd.AuthType)
			return Result{Reason: AuthTypeInvalid}
		}
		if hd.AuthType != cfg.AuthType {
			c.logf("(%s) received a %d auth, expecting %d!", name, hd.AuthType, cfg.AuthType)
			return Result{Reason: AuthTypeMismatch}
		}
		switch cfg.AuthType {
		case packet.AuthPass:
			if subtle.ConstantTimeCompare(hd.AuthData[:], cfg.AuthKey[:]) != 1 {
				c.logf("(%s) received an invalid passwd!", name)
				return Result{Reason: Password}
			}
		case packet.AuthAH:
			if r := c.checkAH(rx); r != OK {
				return Result{Reason: r}
			}
		}
		if cfg.AdverInt != time.Duration(hd.AdverInt)*time.Second {
			c.logf("(%s) advertisement interval mismatch mine=%d sec rcv'd=%d sec",
				name, int(cfg.AdverInt/time.Second), hd.AdverInt)
			return Result{Reason: AdvertInterval}
		}
	}

	// 6. Type.
	if hd.Type != packet.TypeAdvert {
		c.logf("(%s) Invalid packet type. %d and expect %d", name, hd.Type, packet.TypeAdvert)
		return Result{Reason: Type}
	}

	// 2.2.7 checked the VIP count here, before the IP length and checksum.
	if cfg.StrictVIPCheck && checkVIPs && int(hd.CountAddrs) != len(cfg.VIPs) {
		c.logf("(%s) received an unexpected ip number count %d, expected %d!", name, hd.CountAddrs, len(cfg.VIPs))
		c.Counters.AddrListErr.Add(1)
		return Result{Reason: VIPCount}
	}

	// 7. IPv4 total length against what was received.
	if rx.IP != nil {
		tot, got := int(rx.IP.TotalLen), len(rx.Raw)
		if tot != got && !(got <= ethDataMin && tot < got && (got-tot)%vlanTag == (vlanTag-ethDataMin%vlanTag)%vlanTag) {
			c.logf("(%s) ip_tot_len mismatch against received length. %d and received %d", name, tot, got)
			return Result{Reason: IPTotalLength}
		}
	}

	// 8. v3: an interval mismatch is only logged; the backup adopts it.
	if cfg.Version == 3 && hd.Interval() != cfg.AdverInt {
		c.logf("(%s) advertisement interval mismatch ours = %d centi-sec rcv'd=%d centi-sec",
			name, int(cfg.AdverInt/(10*time.Millisecond)), hd.AdverInt)
		c.Counters.IntervalWarned.Add(1)
		res.Warnings |= WarnIntervalV3
	}

	// 9. Checksum over the VRRP message (not padding). IPv6: the kernel did it.
	if cfg.Family == packet.IPv4 {
		o := packet.ChecksumOptions{Src: rx.Src, Dst: rx.Dst, V3ChecksumAsV2: cfg.V3ChecksumAsV2, PseudoDst: c.ChecksumDst()}
		if !packet.VerifyChecksum(rx.VRRP[:expVRRP], packet.IPv4, o) {
			// A unicast instance that was never told otherwise takes a
			// pre-2.2.0 peer's checksum, and sends it until a reload.
			g, old := cfg.McastGroup4, false
			if cfg.Version == 3 && cfg.Unicast && c.compat == ChecksumNew && g.IsValid() && rx.Dst != g {
				if o.PseudoDst = g; packet.VerifyChecksum(rx.VRRP[:expVRRP], packet.IPv4, o) {
					old, c.compat = true, ChecksumAuto
					c.logf("(%s) Setting unicast VRRPv3 checksum to old version", name)
				}
			}
			if !old {
				c.logf("(%s) Invalid VRRPv%d checksum", name, cfg.Version)
				return Result{Reason: Checksum}
			}
		}
	}

	// 10. Multicast/unicast consistency (IPv6 learns dst from IPV6_PKTINFO).
	if rx.Dst.IsMulticast() == cfg.Unicast {
		exp, got := "mult", "un"
		if cfg.Unicast {
			exp, got = "un", "mult"
		}
		c.logf("(%s) Expected %sicast packet but received %sicast packet", name, exp, got)
		c.Counters.AddrListErr.Add(1)
		return Result{Reason: MulticastUnicast}
	}

	// 10a. An address owner with owner_ignore_adverts (2.3.3+).
	if cfg.OwnerIgnoreAdverts && c.owner {
		c.logf("(%s) Dropping packet(s) from %v since we are address owner", name, rx.Src)
		return Result{Reason: OwnerIgnored}
	}

	c.Counters.AdvertRcvd.Add(1)

	// 11. VIP list. RFC 9568 / keepalived ≥ 2.3.3: log, count, accept.
	if !cfg.StrictVIPCheck && int(hd.CountAddrs) != len(cfg.VIPs) {
		c.logf("(%s) expected %d VIPs but received %d", name, len(cfg.VIPs), hd.CountAddrs)
		c.Counters.AddrListErr.Add(1)
		res.Warnings |= WarnVIPCount
	} else if checkVIPs {
		for _, vip := range cfg.VIPs {
			if slices.Contains(hd.Addrs, vip) {
				continue
			}
			c.logf("(%s) ip address associated with VRID %d not present in MASTER advert: %v", name, hd.VRID, vip)
			c.Counters.AddrListErr.Add(1)
			if cfg.StrictVIPCheck {
				return Result{Reason: VIPList}
			}
			res.Warnings |= WarnVIPList
			break
		}
	}

	// 12. Unicast source must be a peer, within its TTL bounds. Done even
	// when the VIP check is skipped (2.3.3+).
	if cfg.Unicast && cfg.CheckUnicastSrc {
		i := slices.IndexFunc(cfg.Peers, func(p Peer) bool { return p.Addr == rx.Src })
		if i < 0 {
			c.logf("(%s) unicast source address %v not a unicast peer", name, rx.Src)
			return Result{Reason: UnicastSourceNotPeer}
		}
		p := cfg.Peers[i]
		maxTTL := p.MaxTTL
		if maxTTL == 0 {
			maxTTL = 255
		}
		if rx.TTL != -1 && (rx.TTL < p.MinTTL || rx.TTL > maxTTL) {
			c.logf("(%s) TTL/HL %d not in range %d - %d", name, rx.TTL, p.MinTTL, maxTTL)
			return Result{Reason: PeerTTL}
		}
	}

	// 13. Priority 0 is counted.
	if hd.Priority == 0 {
		c.Counters.PriZeroRcvd.Add(1)
	}
	return res
}

// checkAH verifies ICV, SPI and sequence number like vrrp_in_chk_ipsecah.
func (c *Checker) checkAH(rx *packet.Received) Reason {
	name := c.cfg.Name
	if rx.AH.NextHeader != packet.ProtoVRRP {
		return AHNextHeader // AH for another protocol: not ours, not logged
	}
	if packet.VerifyAH(rx.Raw, c.cfg.AuthKey, c.cfg.Unicast) != nil {
		c.logf("(%s) IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !", name)
		return AHAuth
	}
	if !rx.Src.Is4() {
		return AHAuth
	}
	s := rx.Src.As4()
	if src := binary.BigEndian.Uint32(s[:]); rx.AH.SPI != src {
		c.logf("IPSEC AH : invalid IPSEC SPI value. %d and expect %d", src, rx.AH.SPI)
		return AHAuth
	}
	if rx.AH.Seq <= c.ahSeq {
		c.logf("(%s) IPSEC-AH : sequence number %d already processed. Packet dropped. Local(%d)", name, rx.AH.Seq, c.ahSeq)
		return AHAuth
	}
	c.ahSeq = rx.AH.Seq
	return OK
}
