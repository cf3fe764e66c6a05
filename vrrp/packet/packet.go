// Package packet encodes and decodes VRRP advertisements (RFC 3768 v2,
// RFC 5798 v3) byte-compatibly with keepalived 2.2.7. It does no I/O.
package packet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Protocol numbers and fixed sizes.
const (
	ProtoVRRP         = 112
	ProtoAH           = 51
	TypeAdvert        = 1
	HeaderLen         = 8  // fixed VRRP header
	AuthDataLen       = 8  // v2 authentication data (IPv4 only)
	IPv4HeaderLen     = 20 // header keepalived builds (no options)
	AHLen             = 24 // IPsec AH with a 96-bit ICV
	TTL               = 255
	TOS               = 0xc0 // internetwork control; also the IPv6 traffic class
	DefaultAdverV2Sec = 1
)

// Multicast groups (RFC 5798).
var (
	IPv4Group = netip.AddrFrom4([4]byte{224, 0, 0, 18})
	IPv6Group = netip.MustParseAddr("ff02::12")
)

// Family is the address family an instance runs on.
type Family uint8

const (
	IPv4 Family = 4
	IPv6 Family = 6
)

func (f Family) String() string {
	switch f {
	case IPv4:
		return "inet"
	case IPv6:
		return "inet6"
	}
	return fmt.Sprintf("family(%d)", uint8(f))
}

// AddrLen is the size of one VIP on the wire.
func (f Family) AddrLen() int {
	if f == IPv6 {
		return 16
	}
	return 4
}

// AuthType is the VRRPv2 authentication type.
type AuthType uint8

const (
	AuthNone AuthType = 0
	AuthPass AuthType = 1
	AuthAH   AuthType = 2
)

func (a AuthType) String() string {
	switch a {
	case AuthNone:
		return "none"
	case AuthPass:
		return "PASS"
	case AuthAH:
		return "AH"
	}
	return fmt.Sprintf("auth(%d)", uint8(a))
}

// PassKey turns an auth_pass into the 8 bytes keepalived uses for PASS and
// as the AH HMAC key: truncated or zero padded.
func PassKey(pass string) [AuthDataLen]byte {
	var k [AuthDataLen]byte
	copy(k[:], pass)
	return k
}

// Advert is one VRRP message. Fields mirror the wire so decode→encode is
// lossless (Reserved and Checksum are kept as received).
type Advert struct {
	Version    uint8 // 2 or 3
	Type       uint8 // 1 = advertisement
	VRID       uint8
	Priority   uint8
	CountAddrs uint8    // as in the header; may disagree with len(Addrs) on a bad packet
	AuthType   AuthType // v2 only
	// AdverInt is seconds for v2 (8 bits) and centiseconds for v3 (12 bits).
	AdverInt uint16
	Reserved uint8 // v3: the 4 bits above the interval
	Checksum uint16
	Addrs    []netip.Addr
	AuthData [AuthDataLen]byte // v2 over IPv4 only
}

// Interval is the advertised interval as a duration.
func (a *Advert) Interval() time.Duration {
	if a.Version == 3 {
		return time.Duration(a.AdverInt) * 10 * time.Millisecond
	}
	return time.Duration(a.AdverInt) * time.Second
}

// hasAuth: the 8 auth bytes exist only for v2 over IPv4 (keepalived's
// expected_vrrp_pkt_len).
func hasAuth(version uint8, fam Family) bool { return version == 2 && fam == IPv4 }

// ExpectedLen is the VRRP message length implied by the header fields.
func ExpectedLen(version, naddr uint8, fam Family) int {
	n := HeaderLen + int(naddr)*fam.AddrLen()
	if hasAuth(version, fam) {
		n += AuthDataLen
	}
	return n
}

var (
	ErrShort   = errors.New("vrrp: packet too short")
	ErrFamily  = errors.New("vrrp: address family mismatch")
	ErrVersion = errors.New("vrrp: unsupported version")
	ErrTooMany = errors.New("vrrp: more than 255 addresses")
)

// parseHeader decodes the fixed 8 bytes; b must hold at least HeaderLen.
func parseHeader(b []byte, a *Advert) {
	a.Version = b[0] >> 4
	a.Type = b[0] & 0x0f
	a.VRID = b[1]
	a.Priority = b[2]
	a.CountAddrs = b[3]
	if a.Version == 3 {
		v := binary.BigEndian.Uint16(b[4:6])
		a.Reserved = uint8(v >> 12)
		a.AdverInt = v & 0x0fff
	} else {
		a.AuthType = AuthType(b[4])
		a.AdverInt = uint16(b[5])
	}
	a.Checksum = binary.BigEndian.Uint16(b[6:8])
}

// parseBody fills Addrs and AuthData from as much of b as is present.
// It never fails: length problems are the validator's business.
func parseBody(b []byte, fam Family, a *Advert) {
	al := fam.AddrLen()
	off := HeaderLen
	n := int(a.CountAddrs)
	if avail := (len(b) - off) / al; avail < n {
		n = max(avail, 0)
	}
	a.Addrs = make([]netip.Addr, 0, n)
	for i := 0; i < n; i++ {
		p := b[off+i*al : off+(i+1)*al]
		if fam == IPv6 {
			a.Addrs = append(a.Addrs, netip.AddrFrom16([16]byte(p)))
		} else {
			a.Addrs = append(a.Addrs, netip.AddrFrom4([4]byte(p)))
		}
	}
	if hasAuth(a.Version, fam) {
		off += int(a.CountAddrs) * al
		if off+AuthDataLen <= len(b) {
			copy(a.AuthData[:], b[off:off+AuthDataLen])
		}
	}
}

// ParseAdvert decodes a complete VRRP message. Bytes after the expected
// length (Ethernet padding) are ignored.
func ParseAdvert(b []byte, fam Family) (Advert, error) {
	var a Advert
	if fam != IPv4 && fam != IPv6 {
		return a, ErrFamily
	}
	if len(b) < HeaderLen {
		return a, ErrShort
	}
	parseHeader(b, &a)
	if len(b) < ExpectedLen(a.Version, a.CountAddrs, fam) {
		return a, ErrShort
	}
	parseBody(b, fam, &a)
	return a, nil
}

// Len is the encoded length of a for fam.
func (a *Advert) Len(fam Family) int { return ExpectedLen(a.Version, uint8(len(a.Addrs)), fam) }

// MarshalRaw encodes a with its Checksum and CountAddrs fields written as
// they are (used to re-encode a decoded packet, and by the checksum code).
func (a *Advert) MarshalRaw(fam Family) ([]byte, error) {
	if a.Version != 2 && a.Version != 3 {
		return nil, ErrVersion
	}
	if len(a.Addrs) > 255 {
		return nil, ErrTooMany
	}
	b := make([]byte, a.Len(fam))
	b[0] = a.Version<<4 | a.Type&0x0f
	b[1] = a.VRID
	b[2] = a.Priority
	b[3] = a.CountAddrs
	if a.Version == 3 {
		binary.BigEndian.PutUint16(b[4:6], uint16(a.Reserved&0x0f)<<12|a.AdverInt&0x0fff)
	} else {
		b[4] = byte(a.AuthType)
		b[5] = byte(a.AdverInt)
	}
	binary.BigEndian.PutUint16(b[6:8], a.Checksum)
	off := HeaderLen
	for _, ip := range a.Addrs {
		switch {
		case fam == IPv4 && ip.Is4():
			v := ip.As4()
			copy(b[off:], v[:])
		case fam == IPv6 && ip.Is6():
			v := ip.As16()
			copy(b[off:], v[:])
		default:
			return nil, fmt.Errorf("%w: %v in %v advert", ErrFamily, ip, fam)
		}
		off += fam.AddrLen()
	}
	if hasAuth(a.Version, fam) {
		copy(b[off:], a.AuthData[:])
	}
	return b, nil
}

// ChecksumOptions say how the checksum is computed when sending.
type ChecksumOptions struct {
	// Src and Dst are the IP addresses of the packet; needed for v3 (the
	// pseudo-header). For unicast Dst is the peer (one packet per peer).
	Src, Dst netip.Addr
	// V3ChecksumAsV2 leaves the IPv4 pseudo-header out of a v3 checksum
	// (keepalived's v3_checksum_as_v2, for some Cisco/Juniper gear).
	V3ChecksumAsV2 bool
	// PseudoDst, if set, replaces Dst in a v3 IPv4 pseudo-header:
	// keepalived's pre-2.2.0 unicast checksum (old_unicast_checksum) used
	// the multicast group whatever the destination.
	PseudoDst netip.Addr
	// IPv6KernelChecksum leaves an IPv6 checksum 0 for IPV6_CHECKSUM to fill,
	// as keepalived does.
	IPv6KernelChecksum bool
}

// Marshal encodes a for sending: CountAddrs is taken from Addrs and the
// checksum is computed per the version/family rules.
func (a *Advert) Marshal(fam Family, o ChecksumOptions) ([]byte, error) {
	c := *a
	c.CountAddrs = uint8(min(len(a.Addrs), 255))
	c.Checksum = 0
	b, err := c.MarshalRaw(fam)
	if err != nil {
		return nil, err
	}
	ck, err := ComputeChecksum(b, fam, o)
	if err != nil {
		return nil, err
	}
	binary.BigEndian.PutUint16(b[6:8], ck)
	return b, nil
}

// ComputeChecksum returns the checksum b should carry (b's own checksum
// field is treated as zero).
func ComputeChecksum(b []byte, fam Family, o ChecksumOptions) (uint16, error) {
	if len(b) < HeaderLen {
		return 0, ErrShort
	}
	v := b[0] >> 4
	var acc uint64
	switch {
	case fam == IPv6:
		if o.IPv6KernelChecksum {
			return 0, nil
		}
		if !o.Src.Is6() || !o.Dst.Is6() {
			return 0, fmt.Errorf("%w: IPv6 pseudo-header needs IPv6 src/dst", ErrFamily)
		}
		acc = pseudoSum(o.Src, o.Dst, len(b))
	case v == 3 && !o.V3ChecksumAsV2:
		dst := o.pseudoDst()
		if !o.Src.Is4() || !dst.Is4() {
			return 0, fmt.Errorf("%w: IPv4 pseudo-header needs IPv4 src/dst", ErrFamily)
		}
		acc = pseudoSum(o.Src, dst, len(b))
	}
	acc += sum(b[:6]) + sum(b[8:])
	return ^fold(acc), nil
}

// VerifyChecksum reports whether b's checksum is right, accepting either
// form of zero as keepalived's in_csum()==0 test does.
func VerifyChecksum(b []byte, fam Family, o ChecksumOptions) bool {
	if len(b) < HeaderLen {
		return false
	}
	v := b[0] >> 4
	var acc uint64
	if fam == IPv6 || (v == 3 && !o.V3ChecksumAsV2) {
		dst := o.Dst
		if fam == IPv4 {
			dst = o.pseudoDst()
		}
		if !o.Src.IsValid() || !dst.IsValid() || o.Src.Is4() != dst.Is4() {
			return false
		}
		acc = pseudoSum(o.Src, dst, len(b))
	}
	return fold(acc+sum(b)) == 0xffff
}

func (o ChecksumOptions) pseudoDst() netip.Addr {
	if o.PseudoDst.IsValid() {
		return o.PseudoDst
	}
	return o.Dst
}

func pseudoSum(src, dst netip.Addr, n int) uint64 {
	s := src.AsSlice()
	d := dst.AsSlice()
	var acc uint64
	acc += sum(s) + sum(d) + ProtoVRRP
	if len(s) == 16 {
		acc += uint64(n>>16) + uint64(n&0xffff)
	} else {
		acc += uint64(n & 0xffff)
	}
	return acc
}

// sum is the RFC 1071 16-bit one's complement accumulation.
func sum(b []byte) uint64 {
	var acc uint64
	for len(b) >= 2 {
		acc += uint64(b[0])<<8 | uint64(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint64(b[0]) << 8
	}
	return acc
}

func fold(acc uint64) uint16 {
	for acc > 0xffff {
		acc = acc>>16 + acc&0xffff
	}
	return uint16(acc)
}

// InetChecksum is the plain Internet checksum of b (IPv4 header checksum).
func InetChecksum(b []byte) uint16 { return ^fold(sum(b)) }
