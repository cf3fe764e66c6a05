// Package ipvs is a client for the Linux IPVS generic-netlink API (the
// "IPVS" family), plus the types shared by the reconciler, the in-memory
// fake and the ipvsadm-style printer.
//
// The wire encoding lives in pure functions (wire.go) so it can be tested
// without a kernel; the socket side (netlink.go) only moves messages.
package ipvs

import (
	"fmt"
	"net/netip"
	"strconv"
)

// Family is an address family as IPVS sees it (AF_INET / AF_INET6).
type Family uint16

// Address families.
const (
	IPv4 Family = 2  // AF_INET
	IPv6 Family = 10 // AF_INET6
)

func (f Family) String() string {
	switch f {
	case IPv4:
		return "inet"
	case IPv6:
		return "inet6"
	}
	return "af(" + strconv.Itoa(int(f)) + ")"
}

// FamilyOf returns the family of a (4-byte or 16-byte) address.
func FamilyOf(a netip.Addr) Family {
	if a.Is4() {
		return IPv4
	}
	if a.Is6() {
		return IPv6
	}
	return 0
}

// Protocol is the IP protocol of a virtual service.
type Protocol uint16

// Protocols IPVS balances.
const (
	TCP  Protocol = 6
	UDP  Protocol = 17
	SCTP Protocol = 132
)

func (p Protocol) String() string {
	switch p {
	case TCP:
		return "TCP"
	case UDP:
		return "UDP"
	case SCTP:
		return "SCTP"
	}
	return "proto(" + strconv.Itoa(int(p)) + ")"
}

// ServiceKey identifies a virtual service the way the kernel does:
// (family, fwmark) or (family, protocol, address, port). It is comparable
// and used as a map key; build it with NewServiceKey or FWMarkKey so IPv4
// addresses are never stored 4-in-6.
type ServiceKey struct {
	Family   Family
	Protocol Protocol // zero for fwmark services
	Addr     netip.Addr
	Port     uint16
	FWMark   uint32 // non-zero means a fwmark service
}

// NewServiceKey returns the key of an address:port service.
func NewServiceKey(p Protocol, ap netip.AddrPort) ServiceKey {
	a := ap.Addr().Unmap()
	return ServiceKey{Family: FamilyOf(a), Protocol: p, Addr: a, Port: ap.Port()}
}

// FWMarkKey returns the key of a firewall-mark service.
func FWMarkKey(f Family, mark uint32) ServiceKey {
	return ServiceKey{Family: f, FWMark: mark}
}

// IsFWMark reports whether k is a firewall-mark service.
func (k ServiceKey) IsFWMark() bool { return k.FWMark != 0 }

// Validate checks the key is something the kernel can identify.
func (k ServiceKey) Validate() error {
	if k.Family != IPv4 && k.Family != IPv6 {
		return fmt.Errorf("ipvs: service %v: bad address family %d", k, k.Family)
	}
	if k.FWMark != 0 {
		if k.Addr.IsValid() || k.Port != 0 || k.Protocol != 0 {
			return fmt.Errorf("ipvs: service %v: fwmark service must not have protocol, address or port", k)
		}
		return nil
	}
	if FamilyOf(k.Addr) != k.Family || k.Addr.Zone() != "" {
		return fmt.Errorf("ipvs: service %v: address does not match family %v", k, k.Family)
	}
	switch k.Protocol {
	case TCP, UDP, SCTP:
	default:
		return fmt.Errorf("ipvs: service %v: unsupported protocol %d", k, k.Protocol)
	}
	return nil
}

func (k ServiceKey) String() string {
	if k.FWMark != 0 {
		return "FWM " + strconv.FormatUint(uint64(k.FWMark), 10) + " " + k.Family.String()
	}
	return k.Protocol.String() + " " + netip.AddrPortFrom(k.Addr, k.Port).String()
}

// SvcFlags are IP_VS_SVC_F_* service flags.
type SvcFlags uint32

// Service flags. The scheduler flags 1..3 are reused with scheduler-specific
// meaning by sh and mh.
const (
	SvcPersistent SvcFlags = 0x0001
	SvcHashed     SvcFlags = 0x0002 // kernel-internal; stripped on decode
	SvcOnePacket  SvcFlags = 0x0004 // "ops"
	SvcSched1     SvcFlags = 0x0008 // flag-1
	SvcSched2     SvcFlags = 0x0010 // flag-2
	SvcSched3     SvcFlags = 0x0020 // flag-3

	SvcSHFallback = SvcSched1
	SvcSHPort     = SvcSched2
	SvcMHFallback = SvcSched1
	SvcMHPort     = SvcSched2
)

// Service is a virtual service with its editable attributes.
type Service struct {
	ServiceKey
	Scheduler string // "rr", "wlc", ... ("none" is accepted by the kernel)
	Flags     SvcFlags
	// Timeout is the persistence timeout in seconds. The kernel only
	// applies it when SvcPersistent is set in Flags.
	Timeout uint32
	// Netmask is the persistence granularity as a prefix length. Zero
	// means the full length (/32 or /128), which is what keepalived and
	// ipvsadm send by default. On the wire IPv4 uses a netmask and IPv6
	// a prefix length.
	Netmask uint8
	PE      string // persistence engine, e.g. "sip"; "" for none
}

// NetmaskBits returns the effective persistence prefix length.
func (s Service) NetmaskBits() int {
	full := 32
	if s.Family == IPv6 {
		full = 128
	}
	if s.Netmask == 0 || int(s.Netmask) > full {
		return full
	}
	return int(s.Netmask)
}

// SameAttrs reports whether two services have equal editable attributes
// (what IPVS_CMD_SET_SERVICE changes). Keys are not compared.
func (s Service) SameAttrs(o Service) bool {
	return s.Scheduler == o.Scheduler &&
		s.Flags&^SvcHashed == o.Flags&^SvcHashed &&
		s.Timeout == o.Timeout &&
		s.NetmaskBits() == o.NetmaskBits() &&
		s.PE == o.PE
}

// FwdMethod is the forwarding method of a destination (IP_VS_CONN_F_*).
type FwdMethod uint32

// Forwarding methods.
const (
	Masq   FwdMethod = 0 // NAT
	Local  FwdMethod = 1
	Tunnel FwdMethod = 2 // TUN
	Route  FwdMethod = 3 // DR
	Bypass FwdMethod = 4
)

func (m FwdMethod) String() string {
	switch m {
	case Masq:
		return "Masq"
	case Local:
		return "Local"
	case Tunnel:
		return "Tunnel"
	case Route:
		return "Route"
	case Bypass:
		return "Bypass"
	}
	return "fwd(" + strconv.Itoa(int(m)) + ")"
}

// TunnelType is the encapsulation of a Tunnel destination.
type TunnelType uint8

// Tunnel types.
const (
	TunIPIP TunnelType = 0
	TunGUE  TunnelType = 1
	TunGRE  TunnelType = 2
)

func (t TunnelType) String() string {
	switch t {
	case TunIPIP:
		return "ipip"
	case TunGUE:
		return "gue"
	case TunGRE:
		return "gre"
	}
	return "tun(" + strconv.Itoa(int(t)) + ")"
}

// TunnelFlags are the checksum options of a GUE/GRE tunnel.
type TunnelFlags uint16

// Tunnel checksum flags (zero is "nocsum").
const (
	TunNoCsum  TunnelFlags = 0
	TunCsum    TunnelFlags = 0x1
	TunRemCsum TunnelFlags = 0x2
)

// MaxWeight is the largest weight the kernel accepts (it stores an int).
const MaxWeight = 1<<31 - 1

// DestKey identifies a destination inside its service.
type DestKey struct {
	Addr netip.Addr
	Port uint16
}

func (k DestKey) String() string { return netip.AddrPortFrom(k.Addr, k.Port).String() }

// Destination is a real server and its editable attributes. Its family
// comes from Addr; it may differ from the service's only with Tunnel.
type Destination struct {
	Addr           netip.Addr
	Port           uint16
	Fwd            FwdMethod
	Weight         uint32 // 0..MaxWeight
	UpperThreshold uint32
	LowerThreshold uint32
	TunnelType     TunnelType
	TunnelPort     uint16
	TunnelFlags    TunnelFlags
}

// Key returns the destination's identity.
func (d Destination) Key() DestKey { return DestKey{Addr: d.Addr, Port: d.Port} }

// Family returns the destination's address family.
func (d Destination) Family() Family { return FamilyOf(d.Addr) }

// SameAttrs reports whether two destinations have equal editable
// attributes (what IPVS_CMD_SET_DEST changes).
func (d Destination) SameAttrs(o Destination) bool {
	return d.Fwd == o.Fwd && d.Weight == o.Weight &&
		d.UpperThreshold == o.UpperThreshold && d.LowerThreshold == o.LowerThreshold &&
		d.TunnelType == o.TunnelType && d.TunnelPort == o.TunnelPort && d.TunnelFlags == o.TunnelFlags
}

// NewDestination returns a destination with the address unmapped.
func NewDestination(ap netip.AddrPort, fwd FwdMethod, weight uint32) Destination {
	return Destination{Addr: ap.Addr().Unmap(), Port: ap.Port(), Fwd: fwd, Weight: weight}
}

// Stats are the counters and rate estimates of a service or destination,
// read from the 64-bit attribute set when the kernel provides it.
type Stats struct {
	Conns, InPkts, OutPkts, InBytes, OutBytes uint64
	CPS, InPPS, OutPPS, InBPS, OutBPS         uint64
}

// ServiceEntry is a service as dumped, with statistics.
type ServiceEntry struct {
	Service
	Stats Stats
}

// DestinationEntry is a destination as dumped, with statistics.
type DestinationEntry struct {
	Destination
	ActiveConns  uint32
	InactConns   uint32
	PersistConns uint32
	Stats        Stats
}

// Info is IPVS_CMD_GET_INFO.
type Info struct {
	Version     uint32 // 0x010201 is 1.2.1
	ConnTabSize uint32
}

// VersionString formats the version like ipvsadm ("1.2.1").
func (i Info) VersionString() string {
	return fmt.Sprintf("%d.%d.%d", i.Version>>16&0xff, i.Version>>8&0xff, i.Version&0xff)
}

// Timeouts are the connection timeouts in seconds. A zero field is left
// unchanged by SetTimeouts (the kernel ignores zero).
type Timeouts struct {
	TCP, TCPFin, UDP uint32
}

// SyncState selects the master or backup sync daemon.
type SyncState uint32

// Sync daemon states.
const (
	SyncMaster SyncState = 1
	SyncBackup SyncState = 2
)

func (s SyncState) String() string {
	switch s {
	case SyncMaster:
		return "master"
	case SyncBackup:
		return "backup"
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// SyncDaemon is the configuration of one connection-sync thread.
// Zero MaxLen, Port and TTL and an invalid Group mean the kernel default
// (the kernel reports the effective values when dumped).
type SyncDaemon struct {
	State     SyncState
	Interface string
	SyncID    uint32
	MaxLen    uint16
	Group     netip.Addr // 224.0.0.81 by default; IPv6 needs Linux 4.3+
	Port      uint16
	TTL       uint8
}
