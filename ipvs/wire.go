package ipvs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"net/netip"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
)

// Constants from include/uapi/linux/ip_vs.h (ABI, stable).
const (
	genlName    = "IPVS"
	genlVersion = 1

	cmdNewService = 1
	cmdSetService = 2
	cmdDelService = 3
	cmdGetService = 4
	cmdNewDest    = 5
	cmdSetDest    = 6
	cmdDelDest    = 7
	cmdGetDest    = 8
	cmdNewDaemon  = 9
	cmdDelDaemon  = 10
	cmdGetDaemon  = 11
	cmdSetConfig  = 12
	cmdGetConfig  = 13
	cmdSetInfo    = 14
	cmdGetInfo    = 15
	cmdZero       = 16
	cmdFlush      = 17

	cmdAttrService       = 1
	cmdAttrDest          = 2
	cmdAttrDaemon        = 3
	cmdAttrTimeoutTCP    = 4
	cmdAttrTimeoutTCPFin = 5
	cmdAttrTimeoutUDP    = 6

	svcAttrAF        = 1
	svcAttrProtocol  = 2
	svcAttrAddr      = 3
	svcAttrPort      = 4
	svcAttrFWMark    = 5
	svcAttrSchedName = 6
	svcAttrFlags     = 7
	svcAttrTimeout   = 8
	svcAttrNetmask   = 9
	svcAttrStats     = 10
	svcAttrPEName    = 11
	svcAttrStats64   = 12

	destAttrAddr         = 1
	destAttrPort         = 2
	destAttrFwdMethod    = 3
	destAttrWeight       = 4
	destAttrUThresh      = 5
	destAttrLThresh      = 6
	destAttrActiveConns  = 7
	destAttrInactConns   = 8
	destAttrPersistConns = 9
	destAttrStats        = 10
	destAttrAddrFamily   = 11
	destAttrStats64      = 12
	destAttrTunType      = 13
	destAttrTunPort      = 14
	destAttrTunFlags     = 15

	daemonAttrState       = 1
	daemonAttrMcastIfn    = 2
	daemonAttrSyncID      = 3
	daemonAttrSyncMaxlen  = 4
	daemonAttrMcastGroup  = 5
	daemonAttrMcastGroup6 = 6
	daemonAttrMcastPort   = 7
	daemonAttrMcastTTL    = 8

	statsAttrConns    = 1
	statsAttrInPkts   = 2
	statsAttrOutPkts  = 3
	statsAttrInBytes  = 4
	statsAttrOutBytes = 5
	statsAttrCPS      = 6
	statsAttrInPPS    = 7
	statsAttrOutPPS   = 8
	statsAttrInBPS    = 9
	statsAttrOutBPS   = 10

	infoAttrVersion     = 1
	infoAttrConnTabSize = 2

	fwdMask = 0x7 // IP_VS_CONN_F_FWD_MASK

	schedNameMax = 16 // IP_VS_SCHEDNAME_MAXLEN incl. NUL
	peNameMax    = 16
	ifNameMax    = 16
)

// nest adds a nested attribute without NLA_F_NESTED, as cloudflare/ipvs
// and libipvs do; the IPVS family parses leniently either way.
func nest(ae *netlink.AttributeEncoder, typ uint16, fn func(*netlink.AttributeEncoder)) {
	ae.Do(typ, func() ([]byte, error) {
		n := netlink.NewAttributeEncoder()
		fn(n)
		return n.Encode()
	})
}

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

func addrBytes(a netip.Addr) []byte {
	if a.Is4() {
		b := a.As4()
		return b[:]
	}
	b := a.As16()
	return b[:]
}

// msg builds a request with the given top-level attributes.
func msg(cmd uint8, data []byte) genetlink.Message {
	return genetlink.Message{Header: genetlink.Header{Command: cmd, Version: genlVersion}, Data: data}
}

// encodeServiceKey writes the identifying service attributes.
func encodeServiceKey(ae *netlink.AttributeEncoder, k ServiceKey) {
	ae.Uint16(svcAttrAF, uint16(k.Family))
	if k.FWMark != 0 {
		ae.Uint32(svcAttrFWMark, k.FWMark)
		return
	}
	ae.Uint16(svcAttrProtocol, uint16(k.Protocol))
	ae.Bytes(svcAttrAddr, addrBytes(k.Addr))
	ae.Bytes(svcAttrPort, be16(k.Port))
}

// netmaskWire is the NETMASK attribute payload: an IPv4 netmask in network
// order, or an IPv6 prefix length as a host-order u32 (the kernel reads it
// with nla_get_be32 but compares it as a number).
func netmaskWire(s Service) []byte {
	n := s.NetmaskBits()
	if s.Family == IPv6 {
		return binary.NativeEndian.AppendUint32(nil, uint32(n))
	}
	var m uint32
	if n > 0 {
		m = ^uint32(0) << (32 - n)
	}
	return binary.BigEndian.AppendUint32(nil, m)
}

func flagsWire(f SvcFlags) []byte {
	b := binary.NativeEndian.AppendUint32(nil, uint32(f&^SvcHashed))
	return binary.NativeEndian.AppendUint32(b, ^uint32(0)) // mask: replace all
}

// encodeService writes a full service (NEW/SET_SERVICE).
func encodeService(ae *netlink.AttributeEncoder, s Service) {
	encodeServiceKey(ae, s.ServiceKey)
	ae.String(svcAttrSchedName, s.Scheduler)
	if s.PE != "" {
		ae.String(svcAttrPEName, s.PE)
	}
	ae.Bytes(svcAttrFlags, flagsWire(s.Flags))
	ae.Uint32(svcAttrTimeout, s.Timeout)
	ae.Bytes(svcAttrNetmask, netmaskWire(s))
}

func encodeDestKey(ae *netlink.AttributeEncoder, k DestKey) {
	ae.Bytes(destAttrAddr, addrBytes(k.Addr))
	ae.Bytes(destAttrPort, be16(k.Port))
	// Always sent so a v4 real server behind a v6 service (TUN) works.
	ae.Uint16(destAttrAddrFamily, uint16(FamilyOf(k.Addr)))
}

func encodeDest(ae *netlink.AttributeEncoder, d Destination) {
	encodeDestKey(ae, d.Key())
	ae.Uint32(destAttrFwdMethod, uint32(d.Fwd))
	ae.Uint32(destAttrWeight, d.Weight)
	ae.Uint32(destAttrUThresh, d.UpperThreshold)
	ae.Uint32(destAttrLThresh, d.LowerThreshold)
	ae.Uint8(destAttrTunType, uint8(d.TunnelType))
	ae.Bytes(destAttrTunPort, be16(d.TunnelPort))
	ae.Uint16(destAttrTunFlags, uint16(d.TunnelFlags))
}

// Validate checks what the encoder can check before the kernel does.
func (s Service) Validate() error {
	if err := s.ServiceKey.Validate(); err != nil {
		return err
	}
	if len(s.Scheduler) == 0 || len(s.Scheduler) >= schedNameMax {
		return fmt.Errorf("ipvs: service %v: bad scheduler name %q", s.ServiceKey, s.Scheduler)
	}
	if len(s.PE) >= peNameMax {
		return fmt.Errorf("ipvs: service %v: persistence engine name %q too long", s.ServiceKey, s.PE)
	}
	full := 32
	if s.Family == IPv6 {
		full = 128
	}
	if int(s.Netmask) > full {
		return fmt.Errorf("ipvs: service %v: netmask /%d too long", s.ServiceKey, s.Netmask)
	}
	return nil
}

// Validate checks the destination address is usable.
func (d Destination) Validate() error {
	if !d.Addr.IsValid() || d.Addr.Is4In6() || d.Addr.Zone() != "" {
		return fmt.Errorf("ipvs: destination %v: bad address", d.Key())
	}
	return nil
}

// serviceRequest builds NEW/SET_SERVICE (full) or DEL/GET_SERVICE and
// GET_DEST dumps (identity only).
func serviceRequest(cmd uint8, s Service) (genetlink.Message, error) {
	full := cmd == cmdNewService || cmd == cmdSetService
	if full {
		if err := s.Validate(); err != nil {
			return genetlink.Message{}, err
		}
	} else if err := s.ServiceKey.Validate(); err != nil {
		return genetlink.Message{}, err
	}
	ae := netlink.NewAttributeEncoder()
	nest(ae, cmdAttrService, func(n *netlink.AttributeEncoder) {
		if full {
			encodeService(n, s)
		} else {
			encodeServiceKey(n, s.ServiceKey)
		}
	})
	b, err := ae.Encode()
	return msg(cmd, b), err
}

// destRequest builds NEW/SET_DEST (full) or DEL_DEST (identity only).
func destRequest(cmd uint8, k ServiceKey, d Destination) (genetlink.Message, error) {
	if err := k.Validate(); err != nil {
		return genetlink.Message{}, err
	}
	if err := d.Validate(); err != nil {
		return genetlink.Message{}, err
	}
	ae := netlink.NewAttributeEncoder()
	nest(ae, cmdAttrService, func(n *netlink.AttributeEncoder) {
		encodeServiceKey(n, k)
	})
	nest(ae, cmdAttrDest, func(n *netlink.AttributeEncoder) {
		if cmd == cmdDelDest {
			encodeDestKey(n, d.Key())
		} else {
			encodeDest(n, d)
		}
	})
	b, err := ae.Encode()
	return msg(cmd, b), err
}

// daemonRequest builds NEW_DAEMON (full) or DEL_DAEMON (state only).
func daemonRequest(cmd uint8, d SyncDaemon) (genetlink.Message, error) {
	if d.State != SyncMaster && d.State != SyncBackup {
		return genetlink.Message{}, fmt.Errorf("ipvs: bad sync daemon state %d", d.State)
	}
	if cmd == cmdNewDaemon {
		if d.Interface == "" || len(d.Interface) >= ifNameMax {
			return genetlink.Message{}, fmt.Errorf("ipvs: bad sync daemon interface %q", d.Interface)
		}
		if d.Group.IsValid() && !d.Group.Unmap().IsMulticast() {
			return genetlink.Message{}, fmt.Errorf("ipvs: sync daemon group %v is not multicast", d.Group)
		}
	}
	ae := netlink.NewAttributeEncoder()
	nest(ae, cmdAttrDaemon, func(n *netlink.AttributeEncoder) {
		n.Uint32(daemonAttrState, uint32(d.State))
		if cmd != cmdNewDaemon {
			return
		}
		n.String(daemonAttrMcastIfn, d.Interface)
		n.Uint32(daemonAttrSyncID, d.SyncID)
		if d.MaxLen != 0 {
			n.Uint16(daemonAttrSyncMaxlen, d.MaxLen)
		}
		if g := d.Group.Unmap(); g.Is4() {
			n.Bytes(daemonAttrMcastGroup, addrBytes(g)) // in_addr, network order
		} else if g.Is6() {
			n.Bytes(daemonAttrMcastGroup6, addrBytes(g))
		}
		if d.Port != 0 {
			n.Uint16(daemonAttrMcastPort, d.Port) // host order, unlike svc ports
		}
		if d.TTL != 0 {
			n.Uint8(daemonAttrMcastTTL, d.TTL)
		}
	})
	b, err := ae.Encode()
	return msg(cmd, b), err
}

// timeoutsRequest builds SET_CONFIG; zero fields are omitted (unchanged).
func timeoutsRequest(t Timeouts) (genetlink.Message, error) {
	ae := netlink.NewAttributeEncoder()
	if t.TCP != 0 {
		ae.Uint32(cmdAttrTimeoutTCP, t.TCP)
	}
	if t.TCPFin != 0 {
		ae.Uint32(cmdAttrTimeoutTCPFin, t.TCPFin)
	}
	if t.UDP != 0 {
		ae.Uint32(cmdAttrTimeoutUDP, t.UDP)
	}
	b, err := ae.Encode()
	return msg(cmdSetConfig, b), err
}

var errShort = errors.New("ipvs: malformed attribute")

func decodeAddr(b []byte, f Family) (netip.Addr, error) {
	switch {
	case f == IPv4 && len(b) >= 4: // the kernel sends a 16-byte union
		return netip.AddrFrom4([4]byte(b[:4])), nil
	case f == IPv6 && len(b) == 16:
		return netip.AddrFrom16([16]byte(b)), nil
	}
	return netip.Addr{}, fmt.Errorf("ipvs: bad address attribute (family %d, %d bytes)", f, len(b))
}

func decodePort(b []byte) (uint16, error) {
	if len(b) != 2 {
		return 0, errShort
	}
	return binary.BigEndian.Uint16(b), nil
}

// decodeStats reads a STATS (wide=false: 32-bit counters except bytes)
// or STATS64 nest.
func decodeStats(b []byte, wide bool) (Stats, error) {
	var s Stats
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return s, err
	}
	for ad.Next() {
		t := ad.Type()
		if t < statsAttrConns || t > statsAttrOutBPS {
			continue // IPVS_STATS_ATTR_PAD and future attributes
		}
		var v uint64
		switch {
		case wide || t == statsAttrInBytes || t == statsAttrOutBytes:
			v = ad.Uint64()
		default:
			v = uint64(ad.Uint32())
		}
		switch t {
		case statsAttrConns:
			s.Conns = v
		case statsAttrInPkts:
			s.InPkts = v
		case statsAttrOutPkts:
			s.OutPkts = v
		case statsAttrInBytes:
			s.InBytes = v
		case statsAttrOutBytes:
			s.OutBytes = v
		case statsAttrCPS:
			s.CPS = v
		case statsAttrInPPS:
			s.InPPS = v
		case statsAttrOutPPS:
			s.OutPPS = v
		case statsAttrInBPS:
			s.InBPS = v
		case statsAttrOutBPS:
			s.OutBPS = v
		}
	}
	return s, ad.Err()
}

// findNested returns the payload of the first top-level attribute typ.
func findNested(data []byte, typ uint16) ([]byte, error) {
	ad, err := netlink.NewAttributeDecoder(data)
	if err != nil {
		return nil, err
	}
	for ad.Next() {
		if ad.Type() == typ {
			return ad.Bytes(), nil
		}
	}
	if err := ad.Err(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("ipvs: reply has no attribute %d", typ)
}

// decodeService parses the IPVS_CMD_ATTR_SERVICE payload of a dump.
func decodeService(b []byte) (ServiceEntry, error) {
	var e ServiceEntry
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return e, err
	}
	var addr, port, mask, flags, st32, st64 []byte
	for ad.Next() {
		switch ad.Type() {
		case svcAttrAF:
			e.Family = Family(ad.Uint16())
		case svcAttrProtocol:
			e.Protocol = Protocol(ad.Uint16())
		case svcAttrAddr:
			addr = ad.Bytes()
		case svcAttrPort:
			port = ad.Bytes()
		case svcAttrFWMark:
			e.FWMark = ad.Uint32()
		case svcAttrSchedName:
			e.Scheduler = ad.String()
		case svcAttrPEName:
			e.PE = ad.String()
		case svcAttrFlags:
			flags = ad.Bytes()
		case svcAttrTimeout:
			e.Timeout = ad.Uint32()
		case svcAttrNetmask:
			mask = ad.Bytes()
		case svcAttrStats:
			st32 = ad.Bytes()
		case svcAttrStats64:
			st64 = ad.Bytes()
		}
	}
	if err := ad.Err(); err != nil {
		return e, err
	}
	if e.Family != IPv4 && e.Family != IPv6 {
		return e, fmt.Errorf("ipvs: service with bad family %d", e.Family)
	}
	if e.FWMark != 0 {
		e.Protocol = 0 // the kernel stores TCP internally; not part of the key
	} else {
		if e.Addr, err = decodeAddr(addr, e.Family); err != nil {
			return e, err
		}
		if e.Port, err = decodePort(port); err != nil {
			return e, err
		}
	}
	if flags != nil {
		if len(flags) < 4 {
			return e, errShort
		}
		e.Flags = SvcFlags(binary.NativeEndian.Uint32(flags)) &^ SvcHashed
	}
	if mask != nil {
		if len(mask) != 4 {
			return e, errShort
		}
		if e.Family == IPv6 {
			n := binary.NativeEndian.Uint32(mask)
			if n < 128 {
				e.Netmask = uint8(n)
			}
		} else if n := bits.LeadingZeros32(^binary.BigEndian.Uint32(mask)); n < 32 {
			e.Netmask = uint8(n) // full length stays 0 (the default)
		}
	}
	switch {
	case st64 != nil:
		e.Stats, err = decodeStats(st64, true)
	case st32 != nil:
		e.Stats, err = decodeStats(st32, false)
	}
	return e, err
}

// decodeDest parses the IPVS_CMD_ATTR_DEST payload of a dump. svcFamily is
// used when the kernel (< 3.18) does not send the address family.
func decodeDest(b []byte, svcFamily Family) (DestinationEntry, error) {
	var e DestinationEntry
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return e, err
	}
	fam := svcFamily
	var addr, port, tport, st32, st64 []byte
	for ad.Next() {
		switch ad.Type() {
		case destAttrAddr:
			addr = ad.Bytes()
		case destAttrPort:
			port = ad.Bytes()
		case destAttrFwdMethod:
			e.Fwd = FwdMethod(ad.Uint32() & fwdMask)
		case destAttrWeight:
			e.Weight = ad.Uint32()
		case destAttrUThresh:
			e.UpperThreshold = ad.Uint32()
		case destAttrLThresh:
			e.LowerThreshold = ad.Uint32()
		case destAttrActiveConns:
			e.ActiveConns = ad.Uint32()
		case destAttrInactConns:
			e.InactConns = ad.Uint32()
		case destAttrPersistConns:
			e.PersistConns = ad.Uint32()
		case destAttrAddrFamily:
			fam = Family(ad.Uint16())
		case destAttrTunType:
			e.TunnelType = TunnelType(ad.Uint8())
		case destAttrTunPort:
			tport = ad.Bytes()
		case destAttrTunFlags:
			e.TunnelFlags = TunnelFlags(ad.Uint16())
		case destAttrStats:
			st32 = ad.Bytes()
		case destAttrStats64:
			st64 = ad.Bytes()
		}
	}
	if err := ad.Err(); err != nil {
		return e, err
	}
	if e.Addr, err = decodeAddr(addr, fam); err != nil {
		return e, err
	}
	if e.Port, err = decodePort(port); err != nil {
		return e, err
	}
	if tport != nil {
		if e.TunnelPort, err = decodePort(tport); err != nil {
			return e, err
		}
	}
	switch {
	case st64 != nil:
		e.Stats, err = decodeStats(st64, true)
	case st32 != nil:
		e.Stats, err = decodeStats(st32, false)
	}
	return e, err
}

// decodeDaemon parses the IPVS_CMD_ATTR_DAEMON payload of a dump.
func decodeDaemon(b []byte) (SyncDaemon, error) {
	var d SyncDaemon
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return d, err
	}
	for ad.Next() {
		switch ad.Type() {
		case daemonAttrState:
			d.State = SyncState(ad.Uint32())
		case daemonAttrMcastIfn:
			d.Interface = ad.String()
		case daemonAttrSyncID:
			d.SyncID = ad.Uint32()
		case daemonAttrSyncMaxlen:
			d.MaxLen = ad.Uint16()
		case daemonAttrMcastGroup:
			if b := ad.Bytes(); len(b) == 4 {
				d.Group = netip.AddrFrom4([4]byte(b))
			} else {
				return d, errShort
			}
		case daemonAttrMcastGroup6:
			if b := ad.Bytes(); len(b) == 16 {
				d.Group = netip.AddrFrom16([16]byte(b))
			} else {
				return d, errShort
			}
		case daemonAttrMcastPort:
			d.Port = ad.Uint16()
		case daemonAttrMcastTTL:
			d.TTL = ad.Uint8()
		}
	}
	return d, ad.Err()
}

func decodeInfo(b []byte) (Info, error) {
	var i Info
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return i, err
	}
	for ad.Next() {
		switch ad.Type() {
		case infoAttrVersion:
			i.Version = ad.Uint32()
		case infoAttrConnTabSize:
			i.ConnTabSize = ad.Uint32()
		}
	}
	return i, ad.Err()
}

func decodeTimeouts(b []byte) (Timeouts, error) {
	var t Timeouts
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return t, err
	}
	for ad.Next() {
		switch ad.Type() {
		case cmdAttrTimeoutTCP:
			t.TCP = ad.Uint32()
		case cmdAttrTimeoutTCPFin:
			t.TCPFin = ad.Uint32()
		case cmdAttrTimeoutUDP:
			t.UDP = ad.Uint32()
		}
	}
	return t, ad.Err()
}

// parseServiceMsg / parseDestMsg / parseDaemonMsg unwrap one dump reply.
func parseServiceMsg(m genetlink.Message) (ServiceEntry, error) {
	b, err := findNested(m.Data, cmdAttrService)
	if err != nil {
		return ServiceEntry{}, err
	}
	return decodeService(b)
}

func parseDestMsg(m genetlink.Message, svcFamily Family) (DestinationEntry, error) {
	b, err := findNested(m.Data, cmdAttrDest)
	if err != nil {
		return DestinationEntry{}, err
	}
	return decodeDest(b, svcFamily)
}

func parseDaemonMsg(m genetlink.Message) (SyncDaemon, error) {
	b, err := findNested(m.Data, cmdAttrDaemon)
	if err != nil {
		return SyncDaemon{}, err
	}
	return decodeDaemon(b)
}
