// Package nlemu emulates the kernel side of the IPVS generic netlink
// family on top of ipvsfake, so the real netlink client can be tested end
// to end without a kernel. Requests are parsed and replies built here,
// independently of the client's codec, in the kernel's own formats
// (16-byte address unions, HASHED flag, STATS + STATS64, ...).
package nlemu

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"syscall"

	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/genetlink/genltest"
	"github.com/mdlayher/netlink"
)

// FamilyID is the family id the emulator announces.
const FamilyID = 0x30

// Dial returns a connection whose "kernel" is f.
func Dial(f *ipvsfake.Fake) *genetlink.Conn {
	fam := genetlink.Family{ID: FamilyID, Version: 1, Name: "IPVS"}
	return genltest.Dial(genltest.ServeFamily(fam, func(g genetlink.Message, n netlink.Message) ([]genetlink.Message, error) {
		r, err := serve(f, g, n.Header.Flags&netlink.Dump == netlink.Dump)
		if err != nil {
			var errno syscall.Errno
			if errors.As(err, &errno) {
				return nil, genltest.Error(int(errno))
			}
			return nil, genltest.Error(int(syscall.EINVAL))
		}
		if len(r) == 0 {
			return nil, io.EOF
		}
		return r, nil
	}))
}

func attrs(b []byte) (map[uint16][]byte, error) {
	as, err := netlink.UnmarshalAttributes(b)
	if err != nil {
		return nil, err
	}
	m := map[uint16][]byte{}
	for _, a := range as {
		m[a.Type&^netlink.Nested] = a.Data
	}
	return m, nil
}

func u16(b []byte) uint16 { return binary.NativeEndian.Uint16(b) }
func u32(b []byte) uint32 { return binary.NativeEndian.Uint32(b) }

func addr(b []byte, f ipvs.Family) (netip.Addr, error) {
	if f == ipvs.IPv4 && len(b) >= 4 {
		return netip.AddrFrom4([4]byte(b[:4])), nil
	}
	if f == ipvs.IPv6 && len(b) == 16 {
		return netip.AddrFrom16([16]byte(b)), nil
	}
	return netip.Addr{}, syscall.EINVAL
}

// service parses IPVS_CMD_ATTR_SERVICE like ip_vs_genl_parse_service.
func service(top map[uint16][]byte, full bool) (ipvs.Service, error) {
	var s ipvs.Service
	a, err := attrs(top[1])
	if err != nil || a[1] == nil {
		return s, syscall.EINVAL
	}
	s.Family = ipvs.Family(u16(a[1]))
	if m := a[5]; m != nil {
		s.FWMark = u32(m)
	} else {
		if a[2] == nil || a[3] == nil || len(a[4]) != 2 {
			return s, syscall.EINVAL
		}
		s.Protocol = ipvs.Protocol(u16(a[2]))
		if s.Addr, err = addr(a[3], s.Family); err != nil {
			return s, err
		}
		s.Port = binary.BigEndian.Uint16(a[4])
	}
	if !full {
		return s, nil
	}
	if a[6] == nil || len(a[7]) != 8 || a[8] == nil || len(a[9]) != 4 {
		return s, syscall.EINVAL
	}
	s.Scheduler = cstr(a[6])
	s.PE = cstr(a[11])
	s.Flags = ipvs.SvcFlags(u32(a[7][:4]) & u32(a[7][4:]))
	s.Timeout = u32(a[8])
	if s.Family == ipvs.IPv6 {
		n := u32(a[9])
		if n < 1 || n > 128 { // ip_vs_add_service / edit_service
			return s, syscall.EINVAL
		}
		s.Netmask = uint8(n)
	} else {
		m := binary.BigEndian.Uint32(a[9])
		n := 0
		for m&0x80000000 != 0 {
			n, m = n+1, m<<1
		}
		s.Netmask = uint8(n)
	}
	return s, nil
}

func cstr(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// dest parses IPVS_CMD_ATTR_DEST like ip_vs_genl_parse_dest.
func dest(top map[uint16][]byte, svcFam ipvs.Family, full bool) (ipvs.Destination, error) {
	var d ipvs.Destination
	a, err := attrs(top[2])
	if err != nil || a[1] == nil || len(a[2]) != 2 {
		return d, syscall.EINVAL
	}
	fam := svcFam
	if a[11] != nil {
		fam = ipvs.Family(u16(a[11]))
	}
	if d.Addr, err = addr(a[1], fam); err != nil {
		return d, err
	}
	d.Port = binary.BigEndian.Uint16(a[2])
	if !full {
		return d, nil
	}
	if a[3] == nil || a[4] == nil || a[5] == nil || a[6] == nil {
		return d, syscall.EINVAL
	}
	d.Fwd = ipvs.FwdMethod(u32(a[3]) & 7)
	d.Weight, d.UpperThreshold, d.LowerThreshold = u32(a[4]), u32(a[5]), u32(a[6])
	if b := a[13]; len(b) == 1 {
		d.TunnelType = ipvs.TunnelType(b[0])
	}
	if b := a[14]; len(b) == 2 {
		d.TunnelPort = binary.BigEndian.Uint16(b)
	}
	if b := a[15]; len(b) == 2 {
		d.TunnelFlags = ipvs.TunnelFlags(u16(b))
	}
	return d, nil
}

func union(a netip.Addr) []byte {
	b := make([]byte, 16)
	copy(b, a.AsSlice())
	return b
}

func stats(typ uint16, st ipvs.Stats, wide bool) func(*netlink.AttributeEncoder) {
	v := []uint64{st.Conns, st.InPkts, st.OutPkts, st.InBytes, st.OutBytes, st.CPS, st.InPPS, st.OutPPS, st.InBPS, st.OutBPS}
	return func(n *netlink.AttributeEncoder) {
		for i, x := range v {
			t := uint16(i + 1)
			if wide || t == 4 || t == 5 {
				n.Uint64(t, x)
			} else {
				n.Uint32(t, uint32(x))
			}
		}
	}
}

func nested(ae *netlink.AttributeEncoder, typ uint16, fn func(*netlink.AttributeEncoder)) {
	ae.Do(typ, func() ([]byte, error) {
		n := netlink.NewAttributeEncoder()
		fn(n)
		return n.Encode()
	})
}

// serviceMsg builds a dump entry as ip_vs_genl_fill_service does.
func serviceMsg(e ipvs.ServiceEntry) (genetlink.Message, error) {
	ae := netlink.NewAttributeEncoder()
	nested(ae, 1, func(n *netlink.AttributeEncoder) {
		n.Uint16(1, uint16(e.Family))
		if e.FWMark != 0 {
			n.Uint32(5, e.FWMark)
		} else {
			n.Uint16(2, uint16(e.Protocol))
			n.Bytes(3, union(e.Addr))
			n.Bytes(4, binary.BigEndian.AppendUint16(nil, e.Port))
		}
		n.String(6, e.Scheduler)
		if e.PE != "" {
			n.String(11, e.PE)
		}
		fl := binary.NativeEndian.AppendUint32(nil, uint32(e.Flags|ipvs.SvcHashed))
		n.Bytes(7, binary.NativeEndian.AppendUint32(fl, ^uint32(0)))
		n.Uint32(8, e.Timeout)
		bits := e.NetmaskBits()
		if e.Family == ipvs.IPv6 {
			n.Uint32(9, uint32(bits))
		} else {
			n.Bytes(9, binary.BigEndian.AppendUint32(nil, ^uint32(0)<<(32-bits)))
		}
		nested(n, 10, stats(10, e.Stats, false))
		nested(n, 12, stats(12, e.Stats, true))
	})
	b, err := ae.Encode()
	return genetlink.Message{Header: genetlink.Header{Command: 1, Version: 1}, Data: b}, err
}

func destMsg(e ipvs.DestinationEntry) (genetlink.Message, error) {
	ae := netlink.NewAttributeEncoder()
	nested(ae, 2, func(n *netlink.AttributeEncoder) {
		n.Bytes(1, union(e.Addr))
		n.Bytes(2, binary.BigEndian.AppendUint16(nil, e.Port))
		n.Uint32(3, uint32(e.Fwd))
		n.Uint32(4, e.Weight)
		n.Uint8(13, uint8(e.TunnelType))
		n.Bytes(14, binary.BigEndian.AppendUint16(nil, e.TunnelPort))
		n.Uint16(15, uint16(e.TunnelFlags))
		n.Uint32(5, e.UpperThreshold)
		n.Uint32(6, e.LowerThreshold)
		n.Uint32(7, e.ActiveConns)
		n.Uint32(8, e.InactConns)
		n.Uint32(9, e.PersistConns)
		n.Uint16(11, uint16(ipvs.FamilyOf(e.Addr)))
		nested(n, 10, stats(10, e.Stats, false))
		nested(n, 12, stats(12, e.Stats, true))
	})
	b, err := ae.Encode()
	return genetlink.Message{Header: genetlink.Header{Command: 5, Version: 1}, Data: b}, err
}

func serve(f *ipvsfake.Fake, g genetlink.Message, dump bool) ([]genetlink.Message, error) {
	top, err := attrs(g.Data)
	if err != nil {
		return nil, syscall.EINVAL
	}
	switch g.Header.Command {
	case 4: // GET_SERVICE
		if !dump {
			k, err := service(top, false)
			if err != nil {
				return nil, err
			}
			e, err := f.Service(k.ServiceKey)
			if err != nil {
				return nil, err
			}
			m, err := serviceMsg(e)
			return []genetlink.Message{m}, err
		}
		svcs, _ := f.Services()
		var out []genetlink.Message
		for _, s := range svcs {
			m, err := serviceMsg(s)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
		return out, nil
	case 8: // GET_DEST (dump only)
		k, err := service(top, false)
		if err != nil {
			return nil, nil // the kernel answers an empty dump
		}
		ds, _ := f.Destinations(k.ServiceKey)
		var out []genetlink.Message
		for _, d := range ds {
			m, err := destMsg(d)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
		return out, nil
	case 17:
		return nil, f.Flush()
	case 15:
		i, _ := f.Info()
		ae := netlink.NewAttributeEncoder()
		ae.Uint32(1, i.Version)
		ae.Uint32(2, i.ConnTabSize)
		b, err := ae.Encode()
		return []genetlink.Message{{Header: genetlink.Header{Command: 14, Version: 1}, Data: b}}, err
	}
	cmd := g.Header.Command
	s, err := service(top, cmd == 1 || cmd == 2)
	if err != nil {
		return nil, err
	}
	switch cmd {
	case 1:
		return nil, f.NewService(s)
	case 2:
		return nil, f.SetService(s)
	case 3:
		return nil, f.DelService(s.ServiceKey)
	}
	d, err := dest(top, s.Family, cmd != 7)
	if err != nil {
		return nil, err
	}
	switch cmd {
	case 5:
		return nil, f.NewDestination(s.ServiceKey, d)
	case 6:
		return nil, f.SetDestination(s.ServiceKey, d)
	case 7:
		return nil, f.DelDestination(s.ServiceKey, d.Key())
	}
	return nil, fmt.Errorf("nlemu: command %d not emulated", cmd)
}
