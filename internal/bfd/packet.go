// Package bfd is Bidirectional Forwarding Detection in asynchronous mode
// (RFC 5880) over UDP, single hop (RFC 5881) and multihop (RFC 5883), as
// keepalived 2.2.7's BFD process runs it: sessions without
// authentication, demand mode or echo, reporting Up/Down to the VRRP
// and checker subsystems.
package bfd

import (
	"encoding/binary"
	"errors"
)

// State is a session state (RFC 5880 4.1).
type State uint8

const (
	AdminDown State = iota
	Down
	Init
	Up
)

// String is keepalived's BFD_STATE_STR.
func (s State) String() string {
	switch s {
	case AdminDown:
		return "AdminDown"
	case Down:
		return "Down"
	case Init:
		return "Init"
	case Up:
		return "Up"
	}
	return "Unknown"
}

// Diag is a diagnostic code (RFC 5880 4.1).
type Diag uint8

const (
	DiagNone Diag = iota
	DiagExpired
	DiagEchoFailed
	DiagNeighborDown
	DiagFwdPlaneReset
	DiagPathDown
	DiagConcatPathDown
	DiagAdminDown
	DiagRevConcatPathDown
)

var diagNames = [...]string{"No Diagnostic", "Control Detection Time Expired", "Echo Function Failed",
	"Neighbor Signaled Session Down", "Forwarding Plane Reset", "Path Down", "Concatenated Path Down",
	"Administratively Down", "Reverse Concatenated Path Down"}

// String is keepalived's BFD_DIAG_STR.
func (d Diag) String() string {
	if int(d) < len(diagNames) {
		return diagNames[d]
	}
	return "Unknown"
}

// PacketLen is the length of a control packet without authentication.
const PacketLen = 24

// Packet is a BFD control packet (RFC 5880 4.1). Intervals are in
// microseconds, as on the wire.
type Packet struct {
	Version    uint8
	Diag       Diag
	State      State
	Poll       bool
	Final      bool
	CPI        bool // control plane independent
	Auth       bool
	Demand     bool
	Multipoint bool
	DetectMult uint8
	Length     uint8
	MyDisc     uint32
	YourDisc   uint32
	MinTx      uint32 // desired min TX interval
	MinRx      uint32 // required min RX interval
	MinEchoRx  uint32
}

// Marshal writes p (without authentication) into b, which has room for
// PacketLen bytes, and returns the length.
func (p *Packet) Marshal(b []byte) int {
	_ = b[PacketLen-1]
	b[0] = 1<<5 | uint8(p.Diag)&0x1f
	f := uint8(p.State&3) << 6
	for i, set := range [...]bool{p.Poll, p.Final, p.CPI, p.Auth, p.Demand, p.Multipoint} {
		if set {
			f |= 1 << (5 - i)
		}
	}
	b[1] = f
	b[2] = p.DetectMult
	b[3] = PacketLen
	binary.BigEndian.PutUint32(b[4:], p.MyDisc)
	binary.BigEndian.PutUint32(b[8:], p.YourDisc)
	binary.BigEndian.PutUint32(b[12:], p.MinTx)
	binary.BigEndian.PutUint32(b[16:], p.MinRx)
	binary.BigEndian.PutUint32(b[20:], p.MinEchoRx)
	return PacketLen
}

// The reasons a received packet is discarded (RFC 5880 6.8.6, and
// keepalived's bfd_check_packet). They are values: no allocation.
var (
	ErrShort        = errors.New("packet is too small")
	ErrLength       = errors.New("packet size mismatch")
	ErrVersion      = errors.New("packet is of unsupported version")
	ErrDetectMult   = errors.New("packet 'detection multiplier' field is zero")
	ErrMultipoint   = errors.New("packet has 'multipoint' flag")
	ErrMyDisc       = errors.New("packet 'my discriminator' field is zero")
	ErrYourDisc     = errors.New("packet 'your discriminator' field is zero and 'state' field is not Down or AdminDown")
	ErrPollFinal    = errors.New("packet has both poll and final flags set")
	ErrDiag         = errors.New("packet has invalid 'diag' field")
	ErrAuth         = errors.New("auth bit is set, but no authentication is in use")
	ErrTTL          = errors.New("packet ttl below the minimum")
	ErrNoSession    = errors.New("session is not found")
	errorsByCounter = [...]error{ErrShort, ErrLength, ErrVersion, ErrDetectMult, ErrMultipoint, ErrMyDisc,
		ErrYourDisc, ErrPollFinal, ErrDiag, ErrAuth, ErrTTL, ErrNoSession}
)

// Decode parses and checks a received control packet of n = len(b)
// bytes into p. The checks are RFC 5880's and keepalived's; a packet
// with the A bit is refused (no authentication is configured).
func Decode(b []byte, p *Packet) error {
	if len(b) < PacketLen {
		return ErrShort
	}
	*p = Packet{
		Version: b[0] >> 5, Diag: Diag(b[0] & 0x1f), State: State(b[1] >> 6),
		Poll: b[1]&0x20 != 0, Final: b[1]&0x10 != 0, CPI: b[1]&0x08 != 0, Auth: b[1]&0x04 != 0,
		Demand: b[1]&0x02 != 0, Multipoint: b[1]&0x01 != 0, DetectMult: b[2], Length: b[3],
		MyDisc: binary.BigEndian.Uint32(b[4:]), YourDisc: binary.BigEndian.Uint32(b[8:]),
		MinTx: binary.BigEndian.Uint32(b[12:]), MinRx: binary.BigEndian.Uint32(b[16:]),
		MinEchoRx: binary.BigEndian.Uint32(b[20:]),
	}
	switch {
	case int(p.Length) != len(b), p.Length < PacketLen:
		return ErrLength
	case p.Version != 1:
		return ErrVersion
	case p.DetectMult == 0:
		return ErrDetectMult
	case p.Multipoint:
		return ErrMultipoint
	case p.MyDisc == 0:
		return ErrMyDisc
	case p.YourDisc == 0 && p.State != Down && p.State != AdminDown:
		return ErrYourDisc
	case p.Poll && p.Final:
		return ErrPollFinal
	case p.Diag > DiagRevConcatPathDown:
		return ErrDiag
	case p.Auth:
		return ErrAuth
	}
	return nil
}
