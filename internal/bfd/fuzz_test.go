package bfd

import (
	"bytes"
	"testing"
)

// FuzzDecode: any input either fails a check or decodes into a packet
// that encodes back to the same 24 bytes (a packet may carry more than
// its mandatory section; we send only that).
func FuzzDecode(f *testing.F) {
	var b [PacketLen]byte
	(&Packet{Version: 1, State: Down, DetectMult: 3, Length: PacketLen, MyDisc: 1, MinTx: 1000000, MinRx: 10000}).Marshal(b[:])
	f.Add(b[:])
	f.Fuzz(func(t *testing.T, in []byte) {
		var p Packet
		if err := Decode(in, &p); err != nil {
			return
		}
		var out [PacketLen]byte
		n := p.Marshal(out[:])
		if int(p.Length) != len(in) {
			t.Fatalf("length field %d of a %d-byte packet accepted", p.Length, len(in))
		}
		out[3] = in[3]
		if !bytes.Equal(out[:n], in[:PacketLen]) {
			t.Fatalf("decoded %+v from % x, encodes to % x", p, in, out[:n])
		}
	})
}
