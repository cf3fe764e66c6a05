package packet

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"net/netip"
	"time"
)

// keepalived 2.4.2+'s authentication extension (auth_hmac): a trailer after
// the VRRP message (after the v2 auth data, before any Ethernet padding)
// carrying a key id, a time based sequence number and HMAC-SHA256 truncated
// to 128 bits.
const (
	HMACTypeSHA256 = 1  // the only scheme (trailer ext_type)
	HMACLen        = 16 // truncated MAC
	TrailerLen     = 28 // ext_type, key_id, reserved(2), sec(4), subsec(2), ctr(2), MAC
	HMACKeyMin     = 32
	HMACKeyMax     = 64
	trailerMACOff  = TrailerLen - HMACLen
	hmacPseudoLen  = 20
)

// ErrTrailer: a trailer of the wrong size.
var ErrTrailer = errors.New("vrrp: bad authentication trailer")

// Trailer is a decoded authentication trailer.
type Trailer struct {
	Type, KeyID uint8
	Reserved    uint16
	// Seq is sec<<32 | subsec<<16 | ctr: UTC seconds, a 1/65536 s
	// fraction and a counter for adverts within one fraction.
	Seq uint64
	MAC [HMACLen]byte
}

// Sec is the trailer's timestamp in Unix seconds.
func (t Trailer) Sec() uint32 { return uint32(t.Seq >> 32) }

// ParseTrailer decodes the TrailerLen bytes of b.
func ParseTrailer(b []byte) (Trailer, error) {
	if len(b) != TrailerLen {
		return Trailer{}, ErrTrailer
	}
	t := Trailer{Type: b[0], KeyID: b[1], Reserved: binary.BigEndian.Uint16(b[2:4])}
	t.Seq = uint64(binary.BigEndian.Uint32(b[4:8]))<<32 | uint64(binary.BigEndian.Uint16(b[8:10]))<<16 |
		uint64(binary.BigEndian.Uint16(b[10:12]))
	copy(t.MAC[:], b[trailerMACOff:])
	return t, nil
}

func (t Trailer) put(b []byte) {
	b[0], b[1] = t.Type, t.KeyID
	binary.BigEndian.PutUint16(b[2:4], t.Reserved)
	binary.BigEndian.PutUint32(b[4:8], uint32(t.Seq>>32))
	binary.BigEndian.PutUint16(b[8:10], uint16(t.Seq>>16))
	binary.BigEndian.PutUint16(b[10:12], uint16(t.Seq))
	copy(b[trailerMACOff:], t.MAC[:])
}

// SeqFromTime is the sequence a clock reading gives, its counter 0.
func SeqFromTime(now time.Time) uint64 {
	frac := uint64(now.Nanosecond()) << 16 / uint64(time.Second)
	return uint64(uint32(now.Unix()))<<32 | frac<<16
}

// SeqAfter is serial number order (RFC 1982) over the 64-bit sequence.
func SeqAfter(a, b uint64) bool { return int64(a-b) > 0 }

// TrailerMAC is the MAC msg should carry: msg is the VRRP message followed
// by its trailer. The input is a pseudo-header (family, version, VRID and
// the sender's address), then msg with its checksum and MAC read as zero:
// the IP header and the destination are left out, so one MAC serves every
// unicast peer, and the IPv6 checksum (written by the kernel) cannot
// disagree with it.
func TrailerMAC(key []byte, fam Family, src netip.Addr, msg []byte) [HMACLen]byte {
	var pseudo [hmacPseudoLen]byte
	pseudo[0], pseudo[1], pseudo[2] = 4, msg[0]>>4, msg[1]
	if fam == IPv6 {
		pseudo[0] = 6
		a := src.As16()
		copy(pseudo[4:], a[:])
	} else if src.Is4() {
		a := src.As4()
		copy(pseudo[4:], a[:])
	}
	var zero [HMACLen]byte
	h := hmac.New(sha256.New, key)
	h.Write(pseudo[:])
	h.Write(msg[:6])
	h.Write(zero[:2])
	h.Write(msg[8 : len(msg)-HMACLen])
	h.Write(zero[:])
	var mac [HMACLen]byte
	copy(mac[:], h.Sum(nil))
	return mac
}

// HMACSign is what signing an advert needs.
type HMACSign struct {
	KeyID uint8
	Key   []byte
	Seq   uint64
}

// appendTrailer appends the signed trailer to the VRRP message msg.
func appendTrailer(msg []byte, fam Family, src netip.Addr, s *HMACSign) []byte {
	b := append(msg, make([]byte, TrailerLen)...)
	Trailer{Type: HMACTypeSHA256, KeyID: s.KeyID, Seq: s.Seq}.put(b[len(msg):])
	mac := TrailerMAC(s.Key, fam, src, b)
	copy(b[len(b)-HMACLen:], mac[:])
	return b
}

// MarshalSigned is Marshal with a signed trailer when s is not nil. An
// IPv4 checksum covers the message alone (keepalived's vrrp_pkt_len); an
// IPv6 one the whole payload, the trailer included, as the kernel computes it.
func (a *Advert) MarshalSigned(fam Family, o ChecksumOptions, s *HMACSign) ([]byte, error) {
	if s == nil {
		return a.Marshal(fam, o)
	}
	if fam == IPv4 {
		b, err := a.Marshal(fam, o)
		if err != nil {
			return nil, err
		}
		return appendTrailer(b, fam, o.Src, s), nil
	}
	c := *a
	c.CountAddrs = uint8(min(len(a.Addrs), 255))
	c.Checksum = 0
	b, err := c.MarshalRaw(fam)
	if err != nil {
		return nil, err
	}
	b = appendTrailer(b, fam, o.Src, s)
	ck, err := ComputeChecksum(b, fam, o)
	if err != nil {
		return nil, err
	}
	binary.BigEndian.PutUint16(b[6:8], ck)
	return b, nil
}
