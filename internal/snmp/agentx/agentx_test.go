package agentx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	pdus := []*PDU{
		{Header: Header{Type: TypeOpen, PacketID: 1}, Timeout: 5, ID: MustOID("1.3.6.1.4.1.9586.100.5"), Descr: "gokeepalived"},
		{Header: Header{Type: TypeRegister, SessionID: 7, PacketID: 2}, Timeout: 5, Priority: 127, Subtree: MustOID("1.3.6.1.2.1.68")},
		{Header: Header{Type: TypeGetBulk, SessionID: 7}, NonRepeaters: 1, MaxRepetitions: 10,
			Ranges: []SearchRange{{Start: MustOID("1.3.6.1.4.1.9586"), Include: true}, {Start: MustOID("1.2"), End: MustOID("1.3")}}},
		{Header: Header{Type: TypeResponse, SessionID: 7, PacketID: 9}, SysUpTime: 12, Error: 0, VarBinds: []VarBind{
			{Type: Integer, Name: MustOID("1.3.6.1.4.1.9586.100.5.1.4.0"), Value: int32(-3)},
			{Type: OctetString, Name: MustOID("1.3.6.1.4.1.9586.100.5.1.1.0"), Value: []byte("Keepalived v2.2.7")},
			{Type: Counter64, Name: MustOID("1.2.3"), Value: uint64(1 << 40)},
			{Type: ObjectID, Name: MustOID("1.3.6.1.6.3.1.1.4.1.0"), Value: MustOID("1.3.6.1.4.1.9586.100.5.2.10.0.2")},
			{Type: IPAddress, Name: MustOID("1.2.4"), Value: []byte{10, 0, 0, 1}},
			{Type: EndOfMibView, Name: MustOID("1.2.5")},
		}},
		{Header: Header{Type: TypeNotify}, Context: "ctx", VarBinds: []VarBind{{Type: Gauge32, Name: MustOID("1.2"), Value: uint32(5)}}},
		{Header: Header{Type: TypeClose}, Reason: ReasonShutdown},
		{Header: Header{Type: TypePing, SessionID: 3}},
	}
	for _, p := range pdus {
		b, err := p.Encode()
		if err != nil {
			t.Fatal(err)
		}
		q, err := ReadPDU(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("type %d: %v", p.Type, err)
		}
		p.Version = 1
		p.Flags |= FlagNetworkByteOrder
		if p.Context != "" {
			p.Flags |= FlagNonDefaultContext
		}
		if !reflect.DeepEqual(p, q) {
			t.Errorf("type %d: got %+v want %+v", p.Type, q, p)
		}
	}
}

// A master may send little-endian PDUs (no NETWORK_BYTE_ORDER flag).
func TestLittleEndian(t *testing.T) {
	b := make([]byte, 20, 40)
	b[0], b[1] = 1, TypeGet
	binary.LittleEndian.PutUint32(b[4:], 9)
	b = append(b, 2, 0, 1, 0)
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint32(b, 3)
	b = append(b, 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(b[16:], uint32(len(b)-20))
	p, err := DecodePDU(b)
	if err != nil {
		t.Fatal(err)
	}
	if p.SessionID != 9 || len(p.Ranges) != 1 || Compare(p.Ranges[0].Start, OID{1, 3}) != 0 || !p.Ranges[0].Include {
		t.Fatalf("%+v", p)
	}
}

func TestBounds(t *testing.T) {
	h := make([]byte, 20)
	h[0], h[1], h[2] = 1, TypeGet, FlagNetworkByteOrder
	binary.BigEndian.PutUint32(h[16:], MaxPayload+4)
	if _, err := ReadPDU(bytes.NewReader(h)); !errors.Is(err, ErrTooLong) {
		t.Fatalf("got %v", err)
	}
	// An OID claiming more sub-identifiers than the payload holds.
	binary.BigEndian.PutUint32(h[16:], 4)
	if _, err := DecodePDU(append(h, 200, 0, 0, 0)); err == nil {
		t.Fatal("accepted a truncated OID")
	}
}

func FuzzDecodePDU(f *testing.F) {
	seed := []*PDU{
		{Header: Header{Type: TypeGet}, Ranges: []SearchRange{{Start: MustOID("1.3.6.1.4.1.9586.100.5.1.1.0")}}},
		{Header: Header{Type: TypeGetBulk}, MaxRepetitions: 10, Ranges: []SearchRange{{Start: MustOID("1.3.6.1.2.1.68")}}},
		{Header: Header{Type: TypeResponse}, VarBinds: []VarBind{{Type: OctetString, Name: MustOID("1.2"), Value: []byte("x")}}},
	}
	for _, p := range seed {
		b, _ := p.Encode()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodePDU(b)
		if err != nil {
			return
		}
		// What decodes re-encodes (in network byte order) and decodes
		// to the same PDU, but for the types only a master sends.
		if p.Type == TypeTestSet {
			return
		}
		e, err := p.Encode()
		if err != nil {
			return
		}
		if _, err := DecodePDU(e); err != nil {
			t.Fatalf("re-encoded PDU does not decode: %v", err)
		}
	})
}
