// Package validate checks a received VRRP advert against an instance's
// configuration in keepalived's order (vrrp_check_packet) and says why it
// was dropped. It does no I/O.
package validate

import (
	"fmt"
	"sync/atomic"
)

// Reason is why an advert was dropped; OK means it was accepted. The order
// of the constants is the order of the checks, so a packet failing several
// reports the first.
type Reason uint8

const (
	OK Reason = iota
	// Before the per-instance checks (vrrp_get_header / VRID lookup).
	TooShort         // VRRP header not all there
	UnknownVRID      // no instance for the VRID (dropped silently unless log_unknown_vrids)
	InstanceNotReady // instance in FAULT/INIT/STOP: keepalived ignores the packet uncounted
	Family           // packet family differs from the instance's (a wiring bug)
	// vrrp_check_packet order.
	AHPresence // AH header present iff auth type AH
	Length     // buffer length != headers + VRRP implied by naddr
	TTL        // TTL/hop limit != 255 on a multicast instance
	Version    // VRRP version differs from ours
	// auth_hmac (keepalived 2.4.2+).
	HMACMissing      // no trailer in enforce mode
	HMACMalformed    // unknown scheme or reserved bits set
	HMACStale        // timestamp outside time_window
	HMACUnknownKey   // no key with the trailer's id
	HMACBadMAC       // the MAC does not verify
	HMACReplay       // sequence number not above the sender's last
	AuthTypeInvalid  // v2 auth type not 0/1/2
	AuthTypeMismatch // v2 auth type differs from ours
	Password         // v2 PASS mismatch
	AHNextHeader     // AH for some other protocol
	AHAuth           // AH ICV, SPI or sequence number check failed
	AdvertInterval   // v2 interval differs (v3 only logs)
	Type             // not an advertisement
	VIPCount         // strict (2.2.7) mode only: VIP count differs
	IPTotalLength    // IPv4 tot_len != received length
	Checksum         // bad VRRP checksum
	MulticastUnicast // multicast packet on a unicast instance or the reverse
	OwnerIgnored     // owner_ignore_adverts: we are the address owner (2.3.3+)
	VIPList          // strict (2.2.7) mode only: a VIP missing from the advert
	UnicastSourceNotPeer
	PeerTTL // unicast peer min_ttl/max_ttl violated
	NumReasons
)

var reasonNames = [NumReasons]string{
	OK:                   "ok",
	TooShort:             "too_short",
	UnknownVRID:          "unknown_vrid",
	InstanceNotReady:     "instance_not_ready",
	Family:               "family",
	AHPresence:           "ah_presence",
	Length:               "length",
	TTL:                  "ttl",
	Version:              "version",
	HMACMissing:          "auth_ext_missing",
	HMACMalformed:        "auth_ext_malformed",
	HMACStale:            "auth_ext_stale",
	HMACUnknownKey:       "auth_ext_unknown_key",
	HMACBadMAC:           "auth_ext_invalid_hmac",
	HMACReplay:           "auth_ext_replay",
	AuthTypeInvalid:      "auth_type_invalid",
	AuthTypeMismatch:     "auth_type_mismatch",
	Password:             "password",
	AHNextHeader:         "ah_next_header",
	AHAuth:               "ah_auth",
	AdvertInterval:       "advert_interval",
	Type:                 "type",
	VIPCount:             "vip_count",
	IPTotalLength:        "ip_total_length",
	Checksum:             "checksum",
	MulticastUnicast:     "multicast_unicast",
	OwnerIgnored:         "owner_ignored",
	VIPList:              "vip_list",
	UnicastSourceNotPeer: "unicast_source_not_peer",
	PeerTTL:              "peer_ttl",
}

// String is a stable snake_case name for logs and metric labels.
func (r Reason) String() string {
	if r < NumReasons {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// Stat names the keepalived stats-file counter (/tmp/keepalived.stats) the
// reason increments, or "" if keepalived counts it nowhere.
func (r Reason) Stat() string {
	switch r {
	case Length, IPTotalLength:
		return "Packet Errors: Length"
	case TTL, PeerTTL:
		return "Packet Errors: TTL"
	case Type:
		return "Packet Errors: Invalid Type"
	case AdvertInterval:
		return "Packet Errors: Advertisement Interval"
	case VIPCount, VIPList, MulticastUnicast:
		return "Packet Errors: Address List"
	case AuthTypeInvalid:
		return "Authentication Errors: Invalid Type"
	case AuthTypeMismatch, AHPresence:
		return "Authentication Errors: Type Mismatch"
	case Password, AHAuth:
		return "Authentication Errors: Failure"
	case HMACMissing:
		return "Authentication Extension Errors: Missing"
	case HMACMalformed:
		return "Authentication Extension Errors: Malformed"
	case HMACUnknownKey:
		return "Authentication Extension Errors: Unknown Key"
	case HMACBadMAC:
		return "Authentication Extension Errors: Invalid HMAC"
	case HMACStale:
		return "Authentication Extension Errors: Stale"
	case HMACReplay:
		return "Authentication Extension Errors: Replay"
	}
	return ""
}

// Warning flags problems that are logged and counted but do not drop.
type Warning uint8

const (
	WarnIntervalV3 Warning = 1 << iota // v3 interval differs from ours
	WarnVIPCount                       // VIP count differs (RFC 9568: accept)
	WarnVIPList                        // a configured VIP is missing (RFC 9568: accept)
)

// Counters are per-instance drop counters plus the keepalived stats this
// stage owns. Safe for concurrent reads while one goroutine updates.
type Counters struct {
	drops          [NumReasons]atomic.Uint64
	AdvertRcvd     atomic.Uint64 // passed the header checks (keepalived advert_rcvd)
	AddrListErr    atomic.Uint64 // keepalived addr_list_err, accepted mismatches included
	PriZeroRcvd    atomic.Uint64
	IntervalWarned atomic.Uint64 // v3 interval mismatches (logged only)
}

// Inc counts one drop.
func (c *Counters) Inc(r Reason) {
	if r < NumReasons {
		c.drops[r].Add(1)
	}
}

// Reset zeroes every counter.
func (c *Counters) Reset() {
	for i := range c.drops {
		c.drops[i].Store(0)
	}
	for _, v := range []*atomic.Uint64{&c.AdvertRcvd, &c.AddrListErr, &c.PriZeroRcvd, &c.IntervalWarned} {
		v.Store(0)
	}
}

// Drops returns the count for r.
func (c *Counters) Drops(r Reason) uint64 {
	if r < NumReasons {
		return c.drops[r].Load()
	}
	return 0
}
