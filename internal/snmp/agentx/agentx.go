// Package agentx is a small AgentX (RFC 2741) codec for a subagent: the
// PDUs a subagent sends (Open, Close, Register, Notify, Ping, Response)
// and the ones a master sends it (Get, GetNext, GetBulk, the Set phases,
// Close, Response). Decoding is bounded: a PDU longer than MaxPayload is
// refused before anything is allocated for it.
package agentx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// PDU types (RFC 2741 6.1).
const (
	TypeOpen       = 1
	TypeClose      = 2
	TypeRegister   = 3
	TypeUnregister = 4
	TypeGet        = 5
	TypeGetNext    = 6
	TypeGetBulk    = 7
	TypeTestSet    = 8
	TypeCommitSet  = 9
	TypeUndoSet    = 10
	TypeCleanupSet = 11
	TypeNotify     = 12
	TypePing       = 13
	TypeResponse   = 18
)

// Header flags.
const (
	FlagInstanceRegistration = 0x01
	FlagNonDefaultContext    = 0x08
	FlagNetworkByteOrder     = 0x10
)

// Value types of a VarBind.
const (
	Integer        = 2
	OctetString    = 4
	Null           = 5
	ObjectID       = 6
	IPAddress      = 64
	Counter32      = 65
	Gauge32        = 66
	TimeTicks      = 67
	Opaque         = 68
	Counter64      = 70
	NoSuchObject   = 128
	NoSuchInstance = 129
	EndOfMibView   = 130
)

// Response errors used here.
const (
	ErrNone        = 0
	ErrGenErr      = 5
	ErrNotWritable = 17
)

// Close reasons.
const (
	ReasonOther    = 1
	ReasonShutdown = 5
)

// MaxPayload bounds a PDU's payload: larger ones are refused unread.
const MaxPayload = 1 << 20

// maxSubIDs is an OID's longest form (RFC 2578: 128 sub-identifiers).
const maxSubIDs = 128

const headerLen = 20

// OID is an object identifier.
type OID []uint32

// ParseOID reads "1.3.6.1.4" (a leading dot allowed).
func ParseOID(s string) (OID, error) {
	s = strings.TrimPrefix(s, ".")
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ".")
	o := make(OID, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("OID %q: %v", s, err)
		}
		o[i] = uint32(v)
	}
	return o, nil
}

// MustOID is ParseOID for constants.
func MustOID(s string) OID {
	o, err := ParseOID(s)
	if err != nil {
		panic(err)
	}
	return o
}

func (o OID) String() string {
	var b strings.Builder
	for _, v := range o {
		b.WriteByte('.')
		b.WriteString(strconv.FormatUint(uint64(v), 10))
	}
	return b.String()
}

// Compare orders OIDs lexicographically.
func Compare(a, b OID) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// HasPrefix says whether o lies under p.
func (o OID) HasPrefix(p OID) bool {
	return len(o) >= len(p) && Compare(o[:len(p)], p) == 0
}

// Append returns o followed by subs, in a new OID.
func (o OID) Append(subs ...uint32) OID {
	n := make(OID, 0, len(o)+len(subs))
	return append(append(n, o...), subs...)
}

// VarBind is one variable binding. Value is int32 (Integer), uint32
// (Counter32, Gauge32, TimeTicks), uint64 (Counter64), []byte
// (OctetString, IPAddress, Opaque), OID (ObjectID) or nil.
type VarBind struct {
	Type  uint16
	Name  OID
	Value any
}

// SearchRange is one range of a Get, GetNext or GetBulk.
type SearchRange struct {
	Start, End OID
	Include    bool
}

// Header is a PDU's fixed header.
type Header struct {
	Version       uint8
	Type          uint8
	Flags         uint8
	SessionID     uint32
	TransactionID uint32
	PacketID      uint32
}

// PDU is a decoded PDU; which fields are set depends on Type.
type PDU struct {
	Header
	Context string
	// Get, GetNext, GetBulk.
	Ranges                       []SearchRange
	NonRepeaters, MaxRepetitions uint16
	// Response.
	SysUpTime         uint32
	Error, ErrorIndex uint16
	// Response, Notify, TestSet.
	VarBinds []VarBind
	// Close.
	Reason uint8
	// Open.
	Timeout uint8
	ID      OID
	Descr   string
	// Register.
	Priority uint8
	Subtree  OID
}

// ErrTooLong is returned for a PDU whose payload exceeds MaxPayload.
var ErrTooLong = errors.New("agentx: PDU too long")

// ErrMalformed wraps what ReadPDU could frame but not decode: the stream
// is still in step, so a reader may drop the PDU and go on.
var ErrMalformed = errors.New("agentx: malformed PDU")

// ReadPDU reads one PDU from r; the payload read is at most MaxPayload.
func ReadPDU(r io.Reader) (*PDU, error) {
	var h [headerLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := payloadLen(h[:])
	if n > MaxPayload {
		return nil, ErrTooLong
	}
	buf := make([]byte, headerLen+int(n))
	copy(buf, h[:])
	if _, err := io.ReadFull(r, buf[headerLen:]); err != nil {
		return nil, err
	}
	p, err := DecodePDU(buf)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return p, nil
}

func payloadLen(h []byte) uint32 {
	if h[2]&FlagNetworkByteOrder != 0 {
		return binary.BigEndian.Uint32(h[16:20])
	}
	return binary.LittleEndian.Uint32(h[16:20])
}

// DecodePDU decodes one whole PDU (header and payload).
func DecodePDU(b []byte) (*PDU, error) {
	if len(b) < headerLen {
		return nil, errShort
	}
	if b[0] != 1 {
		return nil, fmt.Errorf("agentx: version %d", b[0])
	}
	n := payloadLen(b)
	if n > MaxPayload || uint64(len(b)) != uint64(headerLen)+uint64(n) || n%4 != 0 {
		return nil, fmt.Errorf("agentx: payload length %d for %d bytes", n, len(b))
	}
	d := decoder{b: b[headerLen:]}
	if b[2]&FlagNetworkByteOrder != 0 {
		d.bo = binary.BigEndian
	} else {
		d.bo = binary.LittleEndian
	}
	p := &PDU{Header: Header{Version: b[0], Type: b[1], Flags: b[2],
		SessionID: d.bo.Uint32(b[4:8]), TransactionID: d.bo.Uint32(b[8:12]), PacketID: d.bo.Uint32(b[12:16])}}
	if p.Flags&FlagNonDefaultContext != 0 {
		p.Context = d.str()
	}
	switch p.Type {
	case TypeOpen:
		p.Timeout = d.u8()
		d.skip(3)
		p.ID, _ = d.oid()
		p.Descr = d.str()
	case TypeClose:
		p.Reason = d.u8()
		d.skip(3)
	case TypeRegister, TypeUnregister:
		p.Timeout = d.u8()
		p.Priority = d.u8()
		d.u8() // range_subid: ranges are not used here
		d.skip(1)
		p.Subtree, _ = d.oid()
	case TypeGet, TypeGetNext:
		p.Ranges = d.ranges()
	case TypeGetBulk:
		p.NonRepeaters = d.u16()
		p.MaxRepetitions = d.u16()
		p.Ranges = d.ranges()
	case TypeTestSet, TypeNotify:
		p.VarBinds = d.varbinds()
	case TypeResponse:
		p.SysUpTime = d.u32()
		p.Error = d.u16()
		p.ErrorIndex = d.u16()
		p.VarBinds = d.varbinds()
	case TypeCommitSet, TypeUndoSet, TypeCleanupSet, TypePing:
	default:
		return nil, fmt.Errorf("agentx: PDU type %d", p.Type)
	}
	if d.err != nil {
		return nil, d.err
	}
	return p, nil
}

var errShort = errors.New("agentx: PDU truncated")

type decoder struct {
	b   []byte
	bo  binary.ByteOrder
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.err = errShort
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) skip(n int) { d.take(n) }

func (d *decoder) u8() uint8 {
	if v := d.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (d *decoder) u16() uint16 {
	if v := d.take(2); v != nil {
		return d.bo.Uint16(v)
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if v := d.take(4); v != nil {
		return d.bo.Uint32(v)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if v := d.take(8); v != nil {
		return d.bo.Uint64(v)
	}
	return 0
}

// oid reads an OID and its include flag.
func (d *decoder) oid() (OID, bool) {
	n := int(d.u8())
	prefix := d.u8()
	include := d.u8() != 0
	d.skip(1)
	if d.err != nil {
		return nil, false
	}
	if n > maxSubIDs || n*4 > len(d.b) {
		d.err = errShort
		return nil, false
	}
	var o OID
	if n == 0 && prefix == 0 {
		return nil, include
	}
	if prefix != 0 {
		o = make(OID, 0, n+5)
		o = append(o, 1, 3, 6, 1, uint32(prefix))
	} else {
		o = make(OID, 0, n)
	}
	for i := 0; i < n; i++ {
		o = append(o, d.u32())
	}
	return o, include
}

func (d *decoder) octets() []byte {
	n := d.u32()
	if d.err != nil {
		return nil
	}
	if uint64(n) > uint64(len(d.b)) {
		d.err = errShort
		return nil
	}
	v := append([]byte(nil), d.take(int(n))...)
	d.skip(pad(int(n)))
	return v
}

func (d *decoder) str() string { return string(d.octets()) }

func (d *decoder) ranges() []SearchRange {
	var rs []SearchRange
	for d.err == nil && len(d.b) > 0 {
		var r SearchRange
		r.Start, r.Include = d.oid()
		r.End, _ = d.oid()
		rs = append(rs, r)
	}
	return rs
}

func (d *decoder) varbinds() []VarBind {
	var vbs []VarBind
	for d.err == nil && len(d.b) > 0 {
		var vb VarBind
		vb.Type = d.u16()
		d.skip(2)
		vb.Name, _ = d.oid()
		switch vb.Type {
		case Integer:
			vb.Value = int32(d.u32())
		case Counter32, Gauge32, TimeTicks:
			vb.Value = d.u32()
		case Counter64:
			vb.Value = d.u64()
		case OctetString, IPAddress, Opaque:
			vb.Value = d.octets()
		case ObjectID:
			vb.Value, _ = d.oid()
		case Null, NoSuchObject, NoSuchInstance, EndOfMibView:
		default:
			d.err = fmt.Errorf("agentx: value type %d", vb.Type)
		}
		vbs = append(vbs, vb)
	}
	return vbs
}

func pad(n int) int { return (4 - n%4) % 4 }

// Encode renders p in network byte order (the flag is set).
func (p *PDU) Encode() ([]byte, error) {
	e := encoder{b: make([]byte, headerLen, 128)}
	flags := p.Flags | FlagNetworkByteOrder
	if p.Context != "" {
		flags |= FlagNonDefaultContext
		e.octets([]byte(p.Context))
	} else {
		flags &^= FlagNonDefaultContext
	}
	switch p.Type {
	case TypeOpen:
		e.b = append(e.b, p.Timeout, 0, 0, 0)
		e.oid(p.ID, false)
		e.octets([]byte(p.Descr))
	case TypeClose:
		e.b = append(e.b, p.Reason, 0, 0, 0)
	case TypeRegister, TypeUnregister:
		e.b = append(e.b, p.Timeout, p.Priority, 0, 0)
		e.oid(p.Subtree, false)
	case TypeGet, TypeGetNext:
		e.ranges(p.Ranges)
	case TypeGetBulk:
		e.b = binary.BigEndian.AppendUint16(e.b, p.NonRepeaters)
		e.b = binary.BigEndian.AppendUint16(e.b, p.MaxRepetitions)
		e.ranges(p.Ranges)
	case TypeResponse:
		e.b = binary.BigEndian.AppendUint32(e.b, p.SysUpTime)
		e.b = binary.BigEndian.AppendUint16(e.b, p.Error)
		e.b = binary.BigEndian.AppendUint16(e.b, p.ErrorIndex)
		fallthrough
	case TypeTestSet, TypeNotify:
		for _, vb := range p.VarBinds {
			if err := e.varbind(vb); err != nil {
				return nil, err
			}
		}
	case TypePing, TypeCommitSet, TypeUndoSet, TypeCleanupSet:
	default:
		return nil, fmt.Errorf("agentx: cannot encode PDU type %d", p.Type)
	}
	if e.err != nil {
		return nil, e.err
	}
	n := len(e.b) - headerLen
	if n > MaxPayload {
		return nil, ErrTooLong
	}
	h := e.b[:headerLen]
	h[0], h[1], h[2], h[3] = 1, p.Type, flags, 0
	binary.BigEndian.PutUint32(h[4:], p.SessionID)
	binary.BigEndian.PutUint32(h[8:], p.TransactionID)
	binary.BigEndian.PutUint32(h[12:], p.PacketID)
	binary.BigEndian.PutUint32(h[16:], uint32(n))
	return e.b, nil
}

type encoder struct {
	b   []byte
	err error
}

func (e *encoder) oid(o OID, include bool) {
	if len(o) > maxSubIDs {
		e.err = fmt.Errorf("agentx: OID of %d sub-identifiers", len(o))
		return
	}
	var prefix uint8
	if len(o) >= 5 && o[0] == 1 && o[1] == 3 && o[2] == 6 && o[3] == 1 && o[4] > 0 && o[4] < 256 {
		prefix = uint8(o[4])
		o = o[5:]
	}
	inc := uint8(0)
	if include {
		inc = 1
	}
	e.b = append(e.b, uint8(len(o)), prefix, inc, 0)
	for _, v := range o {
		e.b = binary.BigEndian.AppendUint32(e.b, v)
	}
}

func (e *encoder) octets(v []byte) {
	e.b = binary.BigEndian.AppendUint32(e.b, uint32(len(v)))
	e.b = append(e.b, v...)
	e.b = append(e.b, make([]byte, pad(len(v)))...)
}

func (e *encoder) ranges(rs []SearchRange) {
	for _, r := range rs {
		e.oid(r.Start, r.Include)
		e.oid(r.End, false)
	}
}

func (e *encoder) varbind(vb VarBind) error {
	e.b = binary.BigEndian.AppendUint16(e.b, vb.Type)
	e.b = append(e.b, 0, 0)
	e.oid(vb.Name, false)
	bad := func() error { return fmt.Errorf("agentx: value %T for type %d at %s", vb.Value, vb.Type, vb.Name) }
	switch vb.Type {
	case Integer:
		v, ok := vb.Value.(int32)
		if !ok {
			return bad()
		}
		e.b = binary.BigEndian.AppendUint32(e.b, uint32(v))
	case Counter32, Gauge32, TimeTicks:
		v, ok := vb.Value.(uint32)
		if !ok {
			return bad()
		}
		e.b = binary.BigEndian.AppendUint32(e.b, v)
	case Counter64:
		v, ok := vb.Value.(uint64)
		if !ok {
			return bad()
		}
		e.b = binary.BigEndian.AppendUint64(e.b, v)
	case OctetString, IPAddress, Opaque:
		v, ok := vb.Value.([]byte)
		if !ok {
			return bad()
		}
		e.octets(v)
	case ObjectID:
		v, ok := vb.Value.(OID)
		if !ok {
			return bad()
		}
		e.oid(v, false)
	case Null, NoSuchObject, NoSuchInstance, EndOfMibView:
	default:
		return bad()
	}
	return nil
}
