package conf

import (
	"encoding/hex"
	"net/netip"
	"time"
)

// This file holds the typed model of the health-checker side of
// keepalived.conf: virtual_server_group, virtual_server, real_server, the
// checkers and the SSL block. Values are those keepalived 2.2.7 ends up
// with after its parse-time and validate_check_config() fix-ups.
//
// Convention for inherited parameters: a level keeps what was configured
// at that level in a "configured" sub-struct (nil pointer = not set), and
// the resolved value in plain fields next to it.

// LVSFamily is an address family: "inet", "inet6", or "" (not known).
type LVSFamily string

// Address families.
const (
	LVSInet  LVSFamily = "inet"
	LVSInet6 LVSFamily = "inet6"
)

func lvsFamilyOf(a netip.Addr) LVSFamily {
	if a.Is4() {
		return LVSInet
	}
	if a.Is6() {
		return LVSInet6
	}
	return ""
}

// LVSProtocol is a virtual service protocol: "TCP", "UDP", "SCTP" or ""
// (none: fwmark services).
type LVSProtocol string

// Protocols.
const (
	LVSTCP  LVSProtocol = "TCP"
	LVSUDP  LVSProtocol = "UDP"
	LVSSCTP LVSProtocol = "SCTP"
)

// Number is the IP protocol number (0 for none).
func (p LVSProtocol) Number() uint16 {
	switch p {
	case LVSTCP:
		return 6
	case LVSUDP:
		return 17
	case LVSSCTP:
		return 132
	}
	return 0
}

// HexBytes is binary data shown as hex in JSON.
type HexBytes []byte

func (h HexBytes) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h)), nil }

func (h *HexBytes) UnmarshalText(b []byte) error {
	v, err := hex.DecodeString(string(b))
	*h = v
	return err
}

// ---------------------------------------------------------------------
// virtual_server_group

// VSGroup is a virtual_server_group. Ranges are kept as ranges; the ipvs
// layer expands them into services.
type VSGroup struct {
	Pos     Pos         `json:"-"`
	Name    string      `json:"name"`
	Ranges  []VSGRange  `json:"ranges,omitempty"`
	FWMarks []VSGFWMark `json:"fwmarks,omitempty"`
	HasIPv4 bool        `json:"has_ipv4,omitempty"`
	HasIPv6 bool        `json:"has_ipv6,omitempty"`
	// FWMarkNoFamily is set when some fwmark entry has no inet|inet6.
	FWMarkNoFamily bool `json:"fwmark_no_family,omitempty"`
}

// VSGRange is one address entry of a group: a single address (First ==
// Last), an inclusive range (IP-LASTOCTET, IPa-IPb) or a prefix (IP/LEN,
// host bits zero). Port 0 means no port (persistence required).
type VSGRange struct {
	Pos   Pos        `json:"-"`
	First netip.Addr `json:"first"`
	Last  netip.Addr `json:"last"`
	Port  uint16     `json:"port,omitempty"`
}

// VSGFWMark is a "fwmark N [inet|inet6]" group entry.
type VSGFWMark struct {
	Pos    Pos       `json:"-"`
	Mark   uint32    `json:"mark"`
	Family LVSFamily `json:"family,omitempty"`
}

// ---------------------------------------------------------------------
// forwarding, scheduler flags, persistence

// Forwarding is an lvs_method (lb_kind) setting.
type Forwarding struct {
	// Method is "NAT", "DR" or "TUN"; "" means not set.
	Method string `json:"method,omitempty"`
	// TunnelType is "ipip", "gue" or "gre" (meaningful for TUN only).
	TunnelType string `json:"tunnel_type,omitempty"`
	// TunnelPort is the GUE port.
	TunnelPort uint16 `json:"tunnel_port,omitempty"`
	// TunnelCsum is "nocsum", "csum" or "remcsum".
	TunnelCsum string `json:"tunnel_csum,omitempty"`
}

// SchedFlags are the IPVS scheduler flags (ipvsadm -b).
type SchedFlags struct {
	Flag1      bool `json:"flag_1,omitempty"`
	Flag2      bool `json:"flag_2,omitempty"`
	Flag3      bool `json:"flag_3,omitempty"`
	SHPort     bool `json:"sh_port,omitempty"`
	SHFallback bool `json:"sh_fallback,omitempty"`
	MHPort     bool `json:"mh_port,omitempty"`
	MHFallback bool `json:"mh_fallback,omitempty"`
	OnePacket  bool `json:"ops,omitempty"`
}

// Bits returns the IP_VS_SVC_F_* bits (ONEPACKET 0x4, SCHED1 0x8,
// SCHED2 0x10, SCHED3 0x20; sh/mh fallback = SCHED1, port = SCHED2).
func (f SchedFlags) Bits() uint32 {
	var b uint32
	if f.OnePacket {
		b |= 0x4
	}
	if f.Flag1 || f.SHFallback || f.MHFallback {
		b |= 0x8
	}
	if f.Flag2 || f.SHPort || f.MHPort {
		b |= 0x10
	}
	if f.Flag3 {
		b |= 0x20
	}
	return b
}

// Granularity is a persistence_granularity: an IPv4 netmask (any mask,
// not necessarily contiguous, as ipvsadm allows) or an IPv6 prefix length.
type Granularity struct {
	Mask      netip.Addr `json:"mask,omitzero"`
	PrefixLen int        `json:"prefix_len,omitempty"`
}

// ---------------------------------------------------------------------
// virtual_server

// LVSTimingSet holds the timing and state options as configured at the
// virtual or real server level (nil = not set there).
type LVSTimingSet struct {
	Retry            *uint32        `json:"retry,omitempty"`
	DelayBeforeRetry *time.Duration `json:"delay_before_retry,omitempty"`
	Warmup           *time.Duration `json:"warmup,omitempty"`
	DelayLoop        *time.Duration `json:"delay_loop,omitempty"`
	ConnectTimeout   *time.Duration `json:"connect_timeout,omitempty"`
	Alpha            *bool          `json:"alpha,omitempty"`
	InhibitOnFailure *bool          `json:"inhibit_on_failure,omitempty"`
	SMTPAlert        *bool          `json:"smtp_alert,omitempty"`
}

// VirtualServer is a virtual_server block. Exactly one of Group, FWMark
// (non-zero) or Addr identifies it.
type VirtualServer struct {
	Pos Pos `json:"-"`

	Addr   netip.Addr `json:"addr,omitzero"`
	Port   uint16     `json:"port,omitempty"`
	FWMark uint32     `json:"fwmark,omitempty"`
	Group  string     `json:"group,omitempty"`
	// GroupRef is the resolved group; GroupIndex is this server's number
	// among the virtual servers using that group (keepalived prints it as
	// the port: "[VSG]:0").
	GroupRef   *VSGroup `json:"-"`
	GroupIndex int      `json:"group_index,omitempty"`

	// Family is the resolved address family.
	Family LVSFamily `json:"family,omitempty"`
	// IPFamily is what ip_family set, if anything.
	IPFamily LVSFamily `json:"ip_family,omitempty"`

	Protocol   LVSProtocol `json:"protocol,omitempty"`
	Scheduler  string      `json:"scheduler"`
	Flags      SchedFlags  `json:"flags"`
	Forwarding Forwarding  `json:"forwarding"`

	// PersistenceTimeout in seconds; 0 means not persistent.
	PersistenceTimeout     uint32       `json:"persistence_timeout,omitempty"`
	PersistenceGranularity *Granularity `json:"persistence_granularity,omitempty"`
	PersistenceEngine      string       `json:"persistence_engine,omitempty"`

	HASuspend   bool   `json:"ha_suspend,omitempty"`
	Virtualhost string `json:"virtualhost,omitempty"`
	SNMPName    string `json:"snmp_name,omitempty"`
	Omega       bool   `json:"omega,omitempty"`

	Quorum     uint32  `json:"quorum"`
	Hysteresis uint32  `json:"hysteresis"`
	QuorumUp   *Script `json:"quorum_up,omitempty"`
	QuorumDown *Script `json:"quorum_down,omitempty"`

	SorryServer *SorryServer `json:"sorry_server,omitempty"`
	// SorryServerIsRS is set when the sorry server is also a real server.
	SorryServerIsRS bool `json:"sorry_server_is_rs,omitempty"`

	// Weight is the default real server weight.
	Weight uint32 `json:"weight"`

	// Configured holds what the block set; the fields below are the
	// resolved values (defaults: delay_loop 60s, connect_timeout 5s,
	// alpha/inhibit off, smtp_alert from global_defs else off).
	Configured       LVSTimingSet  `json:"configured"`
	DelayLoop        time.Duration `json:"delay_loop"`
	ConnectTimeout   time.Duration `json:"connect_timeout"`
	Alpha            bool          `json:"alpha,omitempty"`
	InhibitOnFailure bool          `json:"inhibit_on_failure,omitempty"`
	SMTPAlert        bool          `json:"smtp_alert,omitempty"`

	RealServers []*RealServer `json:"real_servers,omitempty"`
}

// IsFWMark reports whether the server is identified by a firewall mark.
func (vs *VirtualServer) IsFWMark() bool { return vs.Group == "" && vs.FWMark != 0 }

// SorryServer is a sorry_server.
type SorryServer struct {
	Pos        Pos        `json:"-"`
	Addr       netip.Addr `json:"addr"`
	Port       uint16     `json:"port,omitempty"`
	Inhibit    bool       `json:"inhibit,omitempty"`
	Forwarding Forwarding `json:"forwarding"`
}

// ---------------------------------------------------------------------
// real_server

// RealServer is a real_server block.
type RealServer struct {
	Pos Pos `json:"-"`

	Addr netip.Addr `json:"addr"`
	// Port is the resolved port (NAT default, DR/TUN reset, fwmark
	// clearing applied); ConfiguredPort is what the header said.
	Port           uint16 `json:"port,omitempty"`
	ConfiguredPort uint16 `json:"configured_port,omitempty"`

	Weight     uint32     `json:"weight"`
	WeightSet  bool       `json:"weight_set,omitempty"`
	Forwarding Forwarding `json:"forwarding"`
	UThreshold uint32     `json:"uthreshold,omitempty"`
	LThreshold uint32     `json:"lthreshold,omitempty"`
	NotifyUp   *Script    `json:"notify_up,omitempty"`
	NotifyDown *Script    `json:"notify_down,omitempty"`

	Virtualhost string `json:"virtualhost,omitempty"`
	SNMPName    string `json:"snmp_name,omitempty"`

	// Configured holds what the block set; the resolved values (real
	// server, else virtual server) follow. Retry, DelayBeforeRetry and
	// Warmup may stay unset here: checkers then use their own defaults.
	Configured       LVSTimingSet   `json:"configured"`
	Alpha            bool           `json:"alpha,omitempty"`
	InhibitOnFailure bool           `json:"inhibit_on_failure,omitempty"`
	DelayLoop        time.Duration  `json:"delay_loop"`
	ConnectTimeout   time.Duration  `json:"connect_timeout"`
	Retry            *uint32        `json:"retry,omitempty"`
	DelayBeforeRetry *time.Duration `json:"delay_before_retry,omitempty"`
	Warmup           *time.Duration `json:"warmup,omitempty"`
	// SMTPAlert defaults to true for real servers (keepalived keeps this
	// for backward compatibility) unless global_defs sets smtp_alert.
	SMTPAlert bool `json:"smtp_alert"`

	Checkers []*Checker `json:"checkers,omitempty"`
}

// ---------------------------------------------------------------------
// checkers

// CheckerType is the checker keyword.
type CheckerType string

// Checker types.
const (
	CheckHTTP CheckerType = "HTTP_GET"
	CheckSSL  CheckerType = "SSL_GET"
	CheckTCP  CheckerType = "TCP_CHECK"
	CheckSMTP CheckerType = "SMTP_CHECK"
	CheckDNS  CheckerType = "DNS_CHECK"
	CheckMisc CheckerType = "MISC_CHECK"
	CheckUDP  CheckerType = "UDP_CHECK"
	CheckPing CheckerType = "PING_CHECK"
	CheckFile CheckerType = "FILE_CHECK"
	CheckBFD  CheckerType = "BFD_CHECK"
)

// hasConn reports whether the type takes the connection keywords.
func (t CheckerType) hasConn() bool {
	switch t {
	case CheckMisc, CheckFile, CheckBFD:
		return false
	}
	return true
}

// hasTiming reports whether keepalived runs (and times) the checker
// itself; FILE_CHECK and BFD_CHECK are event driven.
func (t CheckerType) hasTiming() bool { return t != CheckFile && t != CheckBFD }

// DefaultRetry is the checker type's retry when neither it, its real
// server nor its virtual server sets one.
func (t CheckerType) DefaultRetry() uint32 {
	switch t {
	case CheckDNS:
		return 3
	case CheckMisc:
		return 0
	}
	return 1
}

// defaultDelayBeforeRetry is the type's delay_before_retry default; zero
// means "the checker's delay_loop".
func (t CheckerType) defaultDelayBeforeRetry() time.Duration {
	switch t {
	case CheckHTTP, CheckSSL:
		return 3 * time.Second
	case CheckDNS:
		return 0
	}
	return time.Second
}

// CheckerTimingSet holds the common check keywords as configured in the
// checker block (nil = not set).
type CheckerTimingSet struct {
	Retry            *uint32        `json:"retry,omitempty"`
	DelayBeforeRetry *time.Duration `json:"delay_before_retry,omitempty"`
	Warmup           *time.Duration `json:"warmup,omitempty"`
	DelayLoop        *time.Duration `json:"delay_loop,omitempty"`
	Alpha            *bool          `json:"alpha,omitempty"`
	LogAllFailures   *bool          `json:"log_all_failures,omitempty"`
}

// Checker is one health checker of a real server. The resolved timing
// values follow keepalived's inheritance: checker, else real server, else
// virtual server, else the per-type default.
type Checker struct {
	Pos  Pos         `json:"-"`
	Type CheckerType `json:"type"`

	// Conn is nil for MISC_CHECK, FILE_CHECK and BFD_CHECK.
	Conn *ConnOpts `json:"connection,omitempty"`

	Configured       CheckerTimingSet `json:"configured"`
	Retry            uint32           `json:"retry"`
	DelayBeforeRetry time.Duration    `json:"delay_before_retry"`
	Warmup           time.Duration    `json:"warmup"`
	DelayLoop        time.Duration    `json:"delay_loop"`
	Alpha            bool             `json:"alpha,omitempty"`
	LogAllFailures   bool             `json:"log_all_failures,omitempty"`

	HTTP *HTTPCheck `json:"http,omitempty"` // HTTP_GET and SSL_GET
	SMTP *SMTPCheck `json:"smtp,omitempty"`
	DNS  *DNSCheck  `json:"dns,omitempty"`
	Misc *MiscCheck `json:"misc,omitempty"`
	UDP  *UDPCheck  `json:"udp,omitempty"`
	File *FileCheck `json:"file,omitempty"`
	BFD  *BFDCheck  `json:"bfd,omitempty"`

	// FromSMTPHost is set for checkers made from a (deprecated)
	// SMTP_CHECK host{} block.
	FromSMTPHost bool `json:"from_smtp_host,omitempty"`
}

// ConnOpts are the connection options of a checker.
type ConnOpts struct {
	// Dst is where to connect: connect_ip/connect_port, defaulting to
	// the real server's address and the port written in its header (as
	// keepalived copies it when the checker is created).
	Dst netip.AddrPort `json:"dst"`
	// ConnectIP/ConnectPort are what the block set (zero = not set).
	ConnectIP   netip.Addr `json:"connect_ip,omitzero"`
	ConnectPort uint16     `json:"connect_port,omitempty"`
	BindTo      netip.Addr `json:"bindto,omitzero"`
	BindPort    uint16     `json:"bind_port,omitempty"`
	BindIf      string     `json:"bind_if,omitempty"`
	FWMark      uint32     `json:"fwmark,omitempty"`
	// ConnectTimeout is resolved (checker, real server, virtual server);
	// ConnectTimeoutSet is what the block set.
	ConnectTimeout    time.Duration  `json:"connect_timeout"`
	ConnectTimeoutSet *time.Duration `json:"connect_timeout_set,omitempty"`

	pos Pos
}

// StatusRange is an inclusive range of HTTP status codes.
type StatusRange struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// HTTPCheck holds HTTP_GET/SSL_GET options.
type HTTPCheck struct {
	Virtualhost string `json:"virtualhost,omitempty"`
	// Protocol is "1.0" (default), "1.0C" or "1.1".
	Protocol     string `json:"http_protocol"`
	EnableSNI    bool   `json:"enable_sni,omitempty"`
	FastRecovery bool   `json:"fast_recovery,omitempty"`
	// TLSCompliant (SSL_GET, keepalived 2.4): end TLS with a close_notify
	// (SSL_shutdown) instead of a quiet close; a url may set it too.
	TLSCompliant bool        `json:"tls_compliant,omitempty"`
	URLs         []*URLCheck `json:"urls"`
}

// URLCheck is a url{} block.
type URLCheck struct {
	Pos  Pos    `json:"-"`
	Path string `json:"path"`
	// Digest is the expected MD5 of the body, lower-case hex ("" = none).
	Digest string `json:"digest,omitempty"`
	// StatusCodes are the accepted codes, in configuration order;
	// default 200-299.
	StatusCodes []StatusRange `json:"status_codes"`
	Virtualhost string        `json:"virtualhost,omitempty"`
	// TLSCompliant is the url's own tls_compliant (SSL_GET).
	TLSCompliant bool `json:"tls_compliant,omitempty"`

	Regex          string   `json:"regex,omitempty"`
	RegexNoMatch   bool     `json:"regex_no_match,omitempty"`
	RegexOptions   []string `json:"regex_options,omitempty"`
	RegexMinOffset uint64   `json:"regex_min_offset,omitempty"`
	// RegexMaxOffset is one beyond the last acceptable match position
	// (configured value + 1), 0 = unlimited, as keepalived stores it.
	RegexMaxOffset uint64 `json:"regex_max_offset,omitempty"`
	// RegexStack is the PCRE2 JIT stack start/max when regex_stack is set.
	RegexStack *[2]uint64 `json:"regex_stack,omitempty"`
}

// AcceptsStatus reports whether code is an accepted status.
func (u *URLCheck) AcceptsStatus(code int) bool {
	for _, r := range u.StatusCodes {
		if code >= r.Min && code <= r.Max {
			return true
		}
	}
	return false
}

// SMTPCheck holds SMTP_CHECK options.
type SMTPCheck struct {
	HeloName string `json:"helo_name"`
}

// DNSCheck holds DNS_CHECK options.
type DNSCheck struct {
	// Type is the canonical type name (default SOA); TypeCode its value.
	Type     string `json:"type"`
	TypeCode uint16 `json:"type_code"`
	// Name is the query name ("" = the root).
	Name string `json:"name"`
}

// MiscCheck holds MISC_CHECK options.
type MiscCheck struct {
	Script *Script `json:"script"`
	// Timeout is resolved: misc_timeout, else the virtual server's
	// delay_loop. TimeoutSet is what the block set.
	Timeout    time.Duration  `json:"timeout"`
	TimeoutSet *time.Duration `json:"timeout_set,omitempty"`
	Dynamic    bool           `json:"dynamic,omitempty"`
	User       string         `json:"user,omitempty"`
	Group      string         `json:"group,omitempty"`
}

// UDPCheck holds UDP_CHECK options.
type UDPCheck struct {
	Payload      HexBytes `json:"payload,omitempty"`
	RequireReply bool     `json:"require_reply,omitempty"`
	// Reply is the expected reply prefix; ReplyMask has 0x0f/0xf0 nibbles
	// set where the configuration had an X wildcard (nil = no wildcards).
	Reply          HexBytes `json:"reply,omitempty"`
	ReplyMask      HexBytes `json:"reply_mask,omitempty"`
	MinReplyLength uint16   `json:"min_reply_length"`
	MaxReplyLength uint16   `json:"max_reply_length"`
}

// FileCheck holds FILE_CHECK options.
type FileCheck struct {
	TrackFile string `json:"track_file"`
	// Weight is set when the checker gives its own weight; otherwise the
	// track_file's weight applies.
	Weight  *int32 `json:"weight,omitempty"`
	Reverse bool   `json:"reverse,omitempty"`
}

// BFDCheck holds BFD_CHECK options.
type BFDCheck struct {
	Name string `json:"name"`
}

// ---------------------------------------------------------------------
// SSL

// SSLConfig is the top-level SSL block (client context of SSL_GET). With
// nothing set, keepalived generates a context.
type SSLConfig struct {
	Pos         Pos    `json:"-"`
	Password    string `json:"password,omitempty"`
	CA          string `json:"ca,omitempty"`
	Certificate string `json:"certificate,omitempty"`
	Key         string `json:"key,omitempty"`
}
