package packet

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"net/netip"
)

// IPv4Header is the part of an IPv4 header VRRP cares about.
type IPv4Header struct {
	HeaderLen int // bytes, from IHL
	TOS       uint8
	TotalLen  uint16
	ID        uint16
	FragOff   uint16 // flags + fragment offset, as on the wire
	TTL       uint8
	Protocol  uint8
	Checksum  uint16
	Src, Dst  netip.Addr
}

// ParseIPv4Header decodes the header at the start of b.
func ParseIPv4Header(b []byte) (IPv4Header, error) {
	var h IPv4Header
	if len(b) < IPv4HeaderLen || b[0]>>4 != 4 {
		return h, ErrShort
	}
	h.HeaderLen = int(b[0]&0x0f) << 2
	if h.HeaderLen < IPv4HeaderLen || len(b) < h.HeaderLen {
		return h, ErrShort
	}
	h.TOS = b[1]
	h.TotalLen = binary.BigEndian.Uint16(b[2:4])
	h.ID = binary.BigEndian.Uint16(b[4:6])
	h.FragOff = binary.BigEndian.Uint16(b[6:8])
	h.TTL = b[8]
	h.Protocol = b[9]
	h.Checksum = binary.BigEndian.Uint16(b[10:12])
	h.Src = netip.AddrFrom4([4]byte(b[12:16]))
	h.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	return h, nil
}

// MarshalIPv4Header builds the 20-byte header keepalived sends (no options,
// no DF) in front of payloadLen bytes; the header checksum is computed here
// even though the kernel would also fill it with IP_HDRINCL.
func MarshalIPv4Header(h IPv4Header, payloadLen int) []byte {
	b := make([]byte, IPv4HeaderLen)
	b[0] = 0x45
	b[1] = h.TOS
	binary.BigEndian.PutUint16(b[2:4], uint16(IPv4HeaderLen+payloadLen))
	binary.BigEndian.PutUint16(b[4:6], h.ID)
	binary.BigEndian.PutUint16(b[6:8], h.FragOff)
	b[8] = h.TTL
	b[9] = h.Protocol
	s, d := h.Src.As4(), h.Dst.As4()
	copy(b[12:16], s[:])
	copy(b[16:20], d[:])
	binary.BigEndian.PutUint16(b[10:12], InetChecksum(b))
	return b
}

// AH is an IPsec Authentication Header as keepalived uses it: HMAC-MD5-96,
// SPI = sender's IPv4 address, a per-sender sequence number.
type AH struct {
	NextHeader uint8
	PayloadLen uint8 // 4 = (24/4)-2
	Reserved   uint16
	SPI        uint32
	Seq        uint32
	ICV        [12]byte
}

const ahPayloadLen = 4

// ParseAH decodes the 24-byte AH at the start of b.
func ParseAH(b []byte) (AH, error) {
	var a AH
	if len(b) < AHLen {
		return a, ErrShort
	}
	a.NextHeader = b[0]
	a.PayloadLen = b[1]
	a.Reserved = binary.BigEndian.Uint16(b[2:4])
	a.SPI = binary.BigEndian.Uint32(b[4:8])
	a.Seq = binary.BigEndian.Uint32(b[8:12])
	copy(a.ICV[:], b[12:24])
	return a, nil
}

// Marshal encodes a.
func (a AH) Marshal() []byte {
	b := make([]byte, AHLen)
	b[0] = a.NextHeader
	b[1] = a.PayloadLen
	binary.BigEndian.PutUint16(b[2:4], a.Reserved)
	binary.BigEndian.PutUint32(b[4:8], a.SPI)
	binary.BigEndian.PutUint32(b[8:12], a.Seq)
	copy(b[12:], a.ICV[:])
	return b
}

// AHICV computes the 96-bit ICV over an IPv4 packet (header, AH, VRRP).
// Like keepalived, TOS, fragment offset and header checksum are zeroed, the
// TTL only for unicast, and the ICV field is zero during the computation.
func AHICV(pkt []byte, key [AuthDataLen]byte, unicast bool) ([12]byte, error) {
	var icv [12]byte
	if len(pkt) < IPv4HeaderLen {
		return icv, ErrShort
	}
	ihl := int(pkt[0]&0x0f) << 2
	if ihl < IPv4HeaderLen || len(pkt) < ihl+AHLen {
		return icv, ErrShort
	}
	tmp := make([]byte, ihl+AHLen)
	copy(tmp, pkt)
	tmp[1] = 0              // TOS
	tmp[6], tmp[7] = 0, 0   // flags/fragment offset
	tmp[10], tmp[11] = 0, 0 // header checksum
	if unicast {
		tmp[8] = 0
	}
	clear(tmp[ihl+12 : ihl+AHLen])
	m := hmac.New(md5.New, key[:])
	m.Write(tmp)
	m.Write(pkt[ihl+AHLen:])
	copy(icv[:], m.Sum(nil))
	return icv, nil
}

// ErrAHICV is returned by VerifyAH for a bad digest.
var ErrAHICV = errors.New("vrrp: IPSEC AH ICV mismatch")

// VerifyAH checks the ICV of a received IPv4+AH packet in constant time.
func VerifyAH(pkt []byte, key [AuthDataLen]byte, unicast bool) error {
	icv, err := AHICV(pkt, key, unicast)
	if err != nil {
		return err
	}
	ihl := int(pkt[0]&0x0f) << 2
	if subtle.ConstantTimeCompare(icv[:], pkt[ihl+12:ihl+AHLen]) != 1 {
		return ErrAHICV
	}
	return nil
}

// IPv4Options describe the IP layer of an IPv4 advert being built.
type IPv4Options struct {
	ID       uint16
	TTL      uint8 // 0 means 255
	Src, Dst netip.Addr
	// V3ChecksumAsV2: see ChecksumOptions.
	V3ChecksumAsV2 bool
	// ChecksumDst: see ChecksumOptions.PseudoDst.
	ChecksumDst netip.Addr
	// AH: authenticate with IPsec AH (v2 only) keyed by Key, sequence Seq.
	AH      bool
	Key     [AuthDataLen]byte
	Seq     uint32
	Unicast bool // zero TTL in the AH ICV
	// HMAC appends a signed auth_hmac trailer.
	HMAC *HMACSign
}

// BuildIPv4 returns a full IPv4 packet (as sent with IP_HDRINCL) carrying a.
func BuildIPv4(a *Advert, o IPv4Options) ([]byte, error) {
	if !o.Src.Is4() || !o.Dst.Is4() {
		return nil, ErrFamily
	}
	v, err := a.MarshalSigned(IPv4, ChecksumOptions{Src: o.Src, Dst: o.Dst, V3ChecksumAsV2: o.V3ChecksumAsV2, PseudoDst: o.ChecksumDst}, o.HMAC)
	if err != nil {
		return nil, err
	}
	ttl := o.TTL
	if ttl == 0 {
		ttl = TTL
	}
	h := IPv4Header{TOS: TOS, ID: o.ID, TTL: ttl, Protocol: ProtoVRRP, Src: o.Src, Dst: o.Dst}
	if !o.AH {
		return append(MarshalIPv4Header(h, len(v)), v...), nil
	}
	h.Protocol = ProtoAH
	s := o.Src.As4()
	ah := AH{NextHeader: ProtoVRRP, PayloadLen: ahPayloadLen, SPI: binary.BigEndian.Uint32(s[:]), Seq: o.Seq}
	pkt := append(MarshalIPv4Header(h, AHLen+len(v)), ah.Marshal()...)
	pkt = append(pkt, v...)
	icv, err := AHICV(pkt, o.Key, o.Unicast)
	if err != nil {
		return nil, err
	}
	copy(pkt[IPv4HeaderLen+12:], icv[:])
	return pkt, nil
}

// Received is one packet as a raw socket delivered it, split into layers.
// Nothing here has been validated except that the fixed VRRP header exists.
type Received struct {
	Family Family
	// Raw is the whole buffer: the full IPv4 packet, or the IPv6 payload.
	Raw []byte
	// IP is the IPv4 header; nil for IPv6.
	IP *IPv4Header
	// AH is set when the IPv4 protocol was 51.
	AH *AH
	// VRRP is the VRRP message to the end of the buffer (may include padding
	// or be truncated).
	VRRP []byte
	// Advert holds the fixed header, and as many addresses and auth bytes
	// as VRRP contains.
	Advert Advert
	// TTL is the IPv4 TTL or IPv6 hop limit; -1 if unknown.
	TTL      int
	Src, Dst netip.Addr
}

// HeadersLen is the bytes in front of the VRRP message.
func (r *Received) HeadersLen() int { return len(r.Raw) - len(r.VRRP) }

// DecodeIPv4 splits a full IPv4 packet (header included). It fails, like
// keepalived's vrrp_get_header, only if the VRRP header is not all there.
func DecodeIPv4(b []byte) (*Received, error) {
	h, err := ParseIPv4Header(b)
	if err != nil {
		return nil, err
	}
	r := &Received{Family: IPv4, Raw: b, IP: &h, TTL: int(h.TTL), Src: h.Src, Dst: h.Dst}
	off := h.HeaderLen
	if h.Protocol == ProtoAH {
		ah, err := ParseAH(b[off:])
		if err != nil {
			return nil, err
		}
		r.AH = &ah
		off += AHLen
	}
	if len(b) < off+HeaderLen {
		return nil, ErrShort
	}
	r.VRRP = b[off:]
	parseHeader(r.VRRP, &r.Advert)
	parseBody(r.VRRP, IPv4, &r.Advert)
	return r, nil
}

// Control is what the IPv6 socket reports alongside the payload.
type Control struct {
	HopLimit int // -1 if not received
	Src, Dst netip.Addr
}

// DecodeIPv6 splits an IPv6 VRRP payload (the kernel strips the header).
func DecodeIPv6(payload []byte, c Control) (*Received, error) {
	if len(payload) < HeaderLen {
		return nil, ErrShort
	}
	r := &Received{Family: IPv6, Raw: payload, VRRP: payload, TTL: c.HopLimit, Src: c.Src, Dst: c.Dst}
	parseHeader(payload, &r.Advert)
	parseBody(payload, IPv6, &r.Advert)
	return r, nil
}
