package vrrp

import (
	"context"
	"github.com/gokeepalived/gokeepalived/internal/clock"
	"net"
	"net/netip"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp/packet"
)

// The I/O layer plugs in here. The state machine itself only takes `now`
// and events; these interfaces are for the loop that drives it.

// Clock provides time and timers (real: vrrpd.SystemClock; tests:
// clock.Fake, the one fake the checker's scheduler uses too).
type Clock = clock.Clock

// Timer is a one-shot timer.
type Timer = clock.Timer

// PacketSource yields decoded packets from one socket (nil rx for a packet
// too short to decode, so Demux can count it).
type PacketSource interface {
	Recv(ctx context.Context) (*packet.Received, error)
}

// Effector carries out an instance's actions: adverts (PacketSink), VIPs
// (netlink), GARP/NA, notify scripts. Timer actions are the driver's.
type Effector interface {
	Do(inst *Instance, a Action) error
}

// The runtime's kernel boundary. vrrp/netio has the real implementations;
// tests plug in fakes, so the runtime logic runs without root.

// SocketSpec says which socket an instance needs: one per interface,
// family and mode, shared by every instance on it (demuxed by VRID).
type SocketSpec struct {
	Iface   string
	Family  packet.Family
	Unicast bool
	// Group is the multicast group to join; invalid for unicast.
	Group netip.Addr
	// Proto is the IP protocol received: packet.ProtoVRRP, or for IPv4
	// auth_type AH packet.ProtoAH (0 is taken as ProtoVRRP).
	Proto uint8
}

// Outgoing is one advert to send. For IPv4, Data is the whole IP packet
// (the socket uses IP_HDRINCL so TOS, ID and AH are ours); for IPv6 it is
// the VRRP message, and the kernel adds the header and checksum.
type Outgoing struct {
	Src, Dst netip.Addr
	HopLimit int // IPv6 only; IPv4 carries the TTL in Data
	Data     []byte
}

// Socket is an open VRRP socket. Recv returns a nil packet and nil error
// for a datagram it could not split into layers (counted as too short).
type Socket interface {
	PacketSource
	Send(o Outgoing) error
	Close() error
}

// IfaceInfo is what the runtime needs to know about an interface.
type IfaceInfo struct {
	Index int
	Up    bool
	MAC   net.HardwareAddr
	// Addr4 is the primary IPv4 address, LinkLocal6 the IPv6 link-local
	// one (invalid when absent): the default advert sources.
	Addr4, LinkLocal6 netip.Addr
}

// Net opens sockets and looks up interfaces.
type Net interface {
	Open(s SocketSpec) (Socket, error)
	Interface(name string) (IfaceInfo, error)
}

// VIP is one virtual_ipaddress / virtual_ipaddress_excluded line as the
// address manager needs it.
type VIP struct {
	Prefix    netip.Prefix
	Dev       string
	Broadcast netip.Addr
	Scope     uint8 // rtnetlink scope (0 global, 200 site, 253 link, 254 host)
	Label     string
	// NoDAD is "-nodad": keepalived then leaves DAD on (IPv6 addresses
	// are otherwise added with IFA_F_NODAD).
	NoDAD bool
	// PreferredLft is nil for the kernel default.
	PreferredLft *uint32
}

// Addrs adds and removes addresses (netlink). Adding an address that is
// already there and removing one that is not are not errors.
type Addrs interface {
	Add(v VIP) error
	Del(v VIP) error
}

// Announcer sends one gratuitous ARP (IPv4) or unsolicited NA (IPv6) for
// addr out of iface.
type Announcer interface {
	Announce(iface string, addr netip.Addr) error
}

// LinkEvent says an interface became usable (admin up with carrier) or
// stopped being so.
type LinkEvent struct {
	Name string
	Up   bool
}

// Links reports link changes until ctx ends (rtnetlink in netio).
type Links interface {
	Watch(ctx context.Context, ch chan<- LinkEvent) error
}

// Command is one script invocation: argv is exec'd directly, never
// through a shell (keepalived only uses one for a script with shell
// syntax, which conf already split into argv).
type Command struct {
	Argv        []string
	User, Group string // empty: the global script_user
	// Ctx, if set, ends a started script when it ends (a notify FIFO
	// script when its FIFO closes); Exited, if set, is called once a
	// started script has ended.
	Ctx    context.Context
	Exited func()
}

// Scripts runs scripts: Start for notify scripts (not waited for), Run
// for vrrp_script checks (nil error = exit status 0; the timeout or the
// end of ctx ends it).
type Scripts interface {
	Start(c Command) error
	Run(ctx context.Context, c Command, timeout time.Duration) error
}

// Proc is one running process as track_process matches it.
type Proc struct {
	PID  int
	Comm string // /proc/PID/stat's comm (15 bytes at most)
	// Cmdline is argv; nil when not read (no tracker needs it).
	Cmdline []string
}

// Processes lists the running processes (not zombies) with their comm;
// argv too when cmdline is set. A zombie is excluded at least when its
// comm is in names (the check costs a read of /proc/PID/stat); a zombie
// has no argv, so it never matches a full_command tracker anyway.
type Processes interface {
	List(names map[string]bool, cmdline bool) ([]Proc, error)
}
