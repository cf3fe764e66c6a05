// Package metrics serves Prometheus metrics under keepalived-exporter's
// names, so dashboards and alerts built on the exporter keep working when
// the exporter goes away, and IPVS's per-backend gauges under
// node_exporter's names. The exposition is client_golang's, fed by one
// collector that reads a Snapshot at scrape time: nothing is updated from
// the VRRP loop or the checker as events happen.
package metrics

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"

	"github.com/gokeepalived/gokeepalived/internal/dumps"
	"github.com/gokeepalived/gokeepalived/ipvs"
)

// RealServer is one real server's health as the checker sees it.
type RealServer struct {
	VS      string // "10.10.31.100:80/tcp" or "fwmark:1"
	RS      string // "192.168.31.101:80"
	Up      bool
	Weight  int
	Latency float64 // last check, seconds
	// Draining: `gokeepalived drain`, or removed by a reload with the
	// drain extension; weight 0 until no connection is left (then
	// DrainRemoved: deleted from IPVS) or the timeout.
	Draining         bool    `json:",omitempty"`
	DrainReason      string  `json:",omitempty"` // "command" or "reload"
	DrainConnections uint64  `json:",omitempty"` // connections left at the last read
	DrainRemoved     bool    `json:",omitempty"`
	DrainTimeLeft    float64 `json:",omitempty"` // seconds to the timeout (0: none)
}

// SocketDrops counts what one VRRP receive socket dropped before any
// instance saw it (no VRRP header, or a VRID no instance has).
type SocketDrops struct {
	Interface             string
	TooShort, UnknownVRID uint64
}

// InstanceDropReasons are the per-instance drop reasons keepalived counts
// in none of its stats-file counters (its SNMP RFC MIBs have checksum,
// version and VRID errors); always exported, so rate() works from zero.
var InstanceDropReasons = []string{"checksum", "version", "instance_not_ready", "family", "ah_next_header", "unicast_source_not_peer"}

// HMACDropReasons are auth_hmac's drops (keepalived 2.4.3's stats file has
// counters for them; 2.2.7's none), exported for instances with auth_hmac.
var HMACDropReasons = []string{"auth_ext_missing", "auth_ext_malformed", "auth_ext_unknown_key",
	"auth_ext_invalid_hmac", "auth_ext_stale", "auth_ext_replay"}

// Snapshot is everything one scrape shows.
type Snapshot struct {
	VRRP        []dumps.Instance
	VRRPSockets []SocketDrops
	Scripts     []dumps.Script
	RealServers []RealServer
	// IPVSOperations counts the IPVS operations applied since start-up;
	// IPVS says whether a checker subsystem runs to count them.
	IPVSOperations uint64
	IPVS           bool
	// IPVSTable is the kernel's IPVS table with its counters, read for
	// this scrape (nil without a checker, or when the read failed).
	IPVSTable []IPVSService
	// SyncDaemons are the IPVS connection-sync daemons the kernel runs,
	// read for this scrape.
	SyncDaemons []ipvs.SyncDaemon
	// Config is the running configuration against the files on disk.
	Config Config
	// BGP is the speaker's state; nil without a bgp_speaker.
	BGP *BGP
}

// BGP is the BGP speaker's sessions and the prefixes it announces.
type BGP struct {
	Sessions  []BGPSession `json:"sessions"`
	Announced []string     `json:"announced"`
}

// BGPSession is one neighbour's session.
type BGPSession struct {
	Neighbor    string `json:"neighbor"`
	RemoteAS    uint32 `json:"remote_as"`
	State       string `json:"state"`
	Established bool   `json:"established"`
	BFD         string `json:"bfd,omitempty"`
}

// IPVSService is one kernel service with its destinations, as dumped.
type IPVSService struct {
	ipvs.ServiceEntry
	Dests []ipvs.DestinationEntry
}

// Config says whether the running configuration is the file on disk and
// how reloads went.
type Config struct {
	MatchesDisk        bool
	LastReloadOK       bool // true before any reload
	Applied, Refused   uint64
	AppliedAtUnixNanos int64
}

// Handler serves /metrics from snap, called once per scrape, with the
// process's and the Go runtime's own metrics.
func Handler(snap func() Snapshot) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{snap}, collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector())
	// ContinueOnError: a bad sample (a label value that is not UTF-8) is
	// left out and the rest is served. MaxRequestsInFlight: a scrape of
	// 36k real servers allocates ~100 MB (~400 MB with IPVS counters), so
	// past a few at once a scrape gets 503 rather than the daemon the OOM
	// killer.
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError,
		MaxRequestsInFlight: MaxScrapes})
}

// MaxScrapes is how many scrapes are served at once.
const MaxScrapes = 4

// Write renders a snapshot in the text exposition format (no process or
// Go metrics).
func Write(w io.Writer, s Snapshot) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{func() Snapshot { return s }})
	mfs, err := reg.Gather()
	for _, mf := range mfs {
		if _, werr := expfmt.MetricFamilyToText(w, mf); werr != nil {
			return werr
		}
	}
	return err
}

var (
	instLabels = []string{"iname", "intf", "vrid"}
	rsLabels   = []string{"vs", "rs"}
	// nodeBackendLabels are node_exporter's ipvs collector's, in its order.
	nodeBackendLabels = []string{"local_address", "local_port", "remote_address", "remote_port", "proto", "local_mark"}

	descUp        = prometheus.NewDesc("keepalived_up", "Status of the keepalived service.", nil, nil)
	descState     = prometheus.NewDesc("keepalived_vrrp_state", "State of the VRRP instance: 0 init, 1 backup, 2 master, 3 fault.", append(instLabels, "ip_address"), nil)
	descExcluded  = prometheus.NewDesc("keepalived_vrrp_excluded_state", "State of the VRRP instance for its excluded addresses.", append(instLabels, "ip_address"), nil)
	descDropped   = prometheus.NewDesc("gokeepalived_vrrp_dropped_total", "Adverts an instance dropped, by reason, for the reasons keepalived's stats file has no counter for.", append(instLabels, "reason"), nil)
	descSockDrops = prometheus.NewDesc("gokeepalived_vrrp_socket_dropped_total", "Packets a VRRP socket dropped before any instance: too_short (no VRRP header), unknown_vrid (no instance for the VRID).", []string{"intf", "reason"}, nil)
	descGARPDelay = prometheus.NewDesc("keepalived_gratuitous_arp_delay_total", "Gratuitous ARP delay in seconds.", instLabels, nil)
	descScriptSt  = prometheus.NewDesc("keepalived_script_status", "Tracking script status: 1 good, 0 bad.", []string{"name"}, nil)
	descScriptRun = prometheus.NewDesc("keepalived_script_state", "Tracking script state: 0 idle, 1 running.", []string{"name"}, nil)
	descRSUp      = prometheus.NewDesc("gokeepalived_real_server_up", "Real server health as its checkers see it: 1 up, 0 down.", rsLabels, nil)
	descRSWeight  = prometheus.NewDesc("gokeepalived_real_server_weight", "Weight programmed into IPVS for the real server.", rsLabels, nil)
	descDraining  = prometheus.NewDesc("gokeepalived_real_server_draining", "1 while the real server is drained (weight 0, deleted once no connection is left), 0 otherwise.", rsLabels, nil)
	descDrainConn = prometheus.NewDesc("gokeepalived_real_server_drain_connections", "Connections left to a draining real server at the last read.", rsLabels, nil)
	descLatency   = prometheus.NewDesc("gokeepalived_check_latency_seconds", "Duration of the last health check.", rsLabels, nil)
	descMatches   = prometheus.NewDesc("gokeepalived_config_matches_disk", "1 when the running configuration is what its files on disk hold now, 0 after an edit not reloaded or a refused reload.", nil, nil)
	descReloadOK  = prometheus.NewDesc("gokeepalived_config_last_reload_successful", "0 when the last reload was refused and the previous configuration kept.", nil, nil)
	descReloads   = prometheus.NewDesc("gokeepalived_config_reloads_total", "Reloads by result: applied, or refused with the running configuration kept.", []string{"result"}, nil)
	descAppliedAt = prometheus.NewDesc("gokeepalived_config_last_applied_timestamp_seconds", "When the running configuration was applied (start-up or reload).", nil, nil)
	descBGPSess   = prometheus.NewDesc("gokeepalived_bgp_session_established", "BGP session to the neighbor: 1 established, 0 not (state: idle, connect, active, opensent, openconfirm, established).", []string{"neighbor", "remote_as", "state"}, nil)
	descBGPPrefix = prometheus.NewDesc("gokeepalived_bgp_announced", "A prefix the BGP speaker announces now (1); withdrawn prefixes are absent.", []string{"prefix"}, nil)
	descIPVSOps   = prometheus.NewDesc("gokeepalived_ipvs_operations_total", "IPVS operations (add/edit/delete of a service or destination) applied since start-up.", nil, nil)
	descSyncd     = prometheus.NewDesc("gokeepalived_lvs_sync_daemon", "An IPVS connection-sync daemon the kernel runs (lvs_sync_daemon), by role: 1 while it runs.", []string{"state", "interface", "syncid"}, nil)

	descBackendActive = prometheus.NewDesc("node_ipvs_backend_connections_active", "The current active connections by local and remote address.", nodeBackendLabels, nil)
	descBackendInact  = prometheus.NewDesc("node_ipvs_backend_connections_inactive", "The current inactive connections by local and remote address.", nodeBackendLabels, nil)
	descBackendWeight = prometheus.NewDesc("node_ipvs_backend_weight", "The current backend weight by local and remote address.", nodeBackendLabels, nil)
)

// vrrpCounters are keepalived-exporter's per-instance counters.
var vrrpCounters = []struct {
	d   *prometheus.Desc
	get func(dumps.Stats) uint64
}{
	{prometheus.NewDesc("keepalived_advertisements_received_total", "Advertisements received.", instLabels, nil), func(s dumps.Stats) uint64 { return s.AdvertRcvd }},
	{prometheus.NewDesc("keepalived_advertisements_sent_total", "Advertisements sent.", instLabels, nil), func(s dumps.Stats) uint64 { return s.AdvertSent }},
	{prometheus.NewDesc("keepalived_become_master_total", "Times the instance became master.", instLabels, nil), func(s dumps.Stats) uint64 { return s.BecomeMaster }},
	{prometheus.NewDesc("keepalived_release_master_total", "Times the instance released master.", instLabels, nil), func(s dumps.Stats) uint64 { return s.ReleaseMaster }},
	{prometheus.NewDesc("keepalived_packet_length_errors_total", "Packets with a bad length.", instLabels, nil), func(s dumps.Stats) uint64 { return s.PacketLenErr }},
	{prometheus.NewDesc("keepalived_advertisements_interval_errors_total", "Adverts with a wrong interval.", instLabels, nil), func(s dumps.Stats) uint64 { return s.AdvertIntervalErr }},
	{prometheus.NewDesc("keepalived_ip_ttl_errors_total", "Packets with a TTL other than 255.", instLabels, nil), func(s dumps.Stats) uint64 { return s.IPTTLErr }},
	{prometheus.NewDesc("keepalived_invalid_type_received_total", "Packets of an invalid type.", instLabels, nil), func(s dumps.Stats) uint64 { return s.InvalidTypeRcvd }},
	{prometheus.NewDesc("keepalived_address_list_errors_total", "Adverts whose address list differs.", instLabels, nil), func(s dumps.Stats) uint64 { return s.AddrListErr }},
	{prometheus.NewDesc("keepalived_authentication_invalid_total", "Packets with an invalid auth type.", instLabels, nil), func(s dumps.Stats) uint64 { return s.InvalidAuthType }},
	{prometheus.NewDesc("keepalived_authentication_mismatch_total", "Packets with a mismatched auth type.", instLabels, nil), func(s dumps.Stats) uint64 { return s.AuthTypeMismatch }},
	{prometheus.NewDesc("keepalived_authentication_failure_total", "Packets failing authentication.", instLabels, nil), func(s dumps.Stats) uint64 { return s.AuthFailure }},
	{prometheus.NewDesc("keepalived_priority_zero_received_total", "Priority-0 adverts received.", instLabels, nil), func(s dumps.Stats) uint64 { return s.PriZeroRcvd }},
	{prometheus.NewDesc("keepalived_priority_zero_sent_total", "Priority-0 adverts sent.", instLabels, nil), func(s dumps.Stats) uint64 { return s.PriZeroSent }},
}

// ipvsStat is one IPVS counter or rate, exported per service (label vs)
// under gokeepalived_ipvs_service_*, and the counters also per real
// server (vs, rs) under gokeepalived_ipvs_real_server_*. The kernel's
// rate estimates are per service only: 5 more series per real server
// would cost 180k at 36k real servers, and rate() of the counters gives
// them.
type ipvsStat struct {
	name, help string
	typ        prometheus.ValueType
	get        func(ipvs.Stats) uint64
	svc, rs    *prometheus.Desc
}

var ipvsStats = func() []ipvsStat {
	st := []ipvsStat{
		{"connections_total", "Connections scheduled (ipvsadm's Conns).", prometheus.CounterValue, func(s ipvs.Stats) uint64 { return s.Conns }, nil, nil},
		{"incoming_packets_total", "Packets in (ipvsadm's InPkts).", prometheus.CounterValue, func(s ipvs.Stats) uint64 { return s.InPkts }, nil, nil},
		{"outgoing_packets_total", "Packets out (ipvsadm's OutPkts).", prometheus.CounterValue, func(s ipvs.Stats) uint64 { return s.OutPkts }, nil, nil},
		{"incoming_bytes_total", "Bytes in (ipvsadm's InBytes).", prometheus.CounterValue, func(s ipvs.Stats) uint64 { return s.InBytes }, nil, nil},
		{"outgoing_bytes_total", "Bytes out (ipvsadm's OutBytes).", prometheus.CounterValue, func(s ipvs.Stats) uint64 { return s.OutBytes }, nil, nil},
		{"connections_per_second", "The kernel's estimate of connections per second (ipvsadm's CPS).", prometheus.GaugeValue, func(s ipvs.Stats) uint64 { return s.CPS }, nil, nil},
		{"incoming_packets_per_second", "The kernel's estimate of packets in per second (InPPS).", prometheus.GaugeValue, func(s ipvs.Stats) uint64 { return s.InPPS }, nil, nil},
		{"outgoing_packets_per_second", "The kernel's estimate of packets out per second (OutPPS).", prometheus.GaugeValue, func(s ipvs.Stats) uint64 { return s.OutPPS }, nil, nil},
		{"incoming_bytes_per_second", "The kernel's estimate of bytes in per second (InBPS).", prometheus.GaugeValue, func(s ipvs.Stats) uint64 { return s.InBPS }, nil, nil},
		{"outgoing_bytes_per_second", "The kernel's estimate of bytes out per second (OutBPS).", prometheus.GaugeValue, func(s ipvs.Stats) uint64 { return s.OutBPS }, nil, nil},
	}
	for i := range st {
		st[i].svc = prometheus.NewDesc("gokeepalived_ipvs_service_"+st[i].name, "Virtual service: "+st[i].help, []string{"vs"}, nil)
		if st[i].typ == prometheus.CounterValue {
			st[i].rs = prometheus.NewDesc("gokeepalived_ipvs_real_server_"+st[i].name, "Real server: "+st[i].help, rsLabels, nil)
		}
	}
	return st
}()

// collector reads one Snapshot per scrape.
type collector struct{ snap func() Snapshot }

func (collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descState, descExcluded, descDropped, descSockDrops, descGARPDelay,
		descScriptSt, descScriptRun, descRSUp, descRSWeight, descLatency, descDraining, descDrainConn, descMatches, descReloadOK, descReloads,
		descAppliedAt, descIPVSOps, descSyncd, descBGPSess, descBGPPrefix, descBackendActive, descBackendInact, descBackendWeight} {
		ch <- d
	}
	for _, c := range vrrpCounters {
		ch <- c.d
	}
	for _, s := range ipvsStats {
		ch <- s.svc
		if s.rs != nil {
			ch <- s.rs
		}
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	s := c.snap()
	emit := func(d *prometheus.Desc, t prometheus.ValueType, v float64, lv ...string) {
		m, err := prometheus.NewConstMetric(d, t, v, lv...)
		if err != nil {
			m = prometheus.NewInvalidMetric(d, err)
		}
		ch <- m
	}
	gauge := func(d *prometheus.Desc, v float64, lv ...string) { emit(d, prometheus.GaugeValue, v, lv...) }
	counter := func(d *prometheus.Desc, v uint64, lv ...string) { emit(d, prometheus.CounterValue, float64(v), lv...) }

	gauge(descUp, 1)
	for _, in := range s.VRRP {
		id := []string{in.Name, in.Interface, strconv.Itoa(in.VRID)}
		gauge(descState, float64(in.State), append(id, addrList(in.VIPs))...)
		if len(in.EVIPs) > 0 {
			gauge(descExcluded, float64(in.State), append(id, addrList(in.EVIPs))...)
		}
		for _, vc := range vrrpCounters {
			counter(vc.d, vc.get(in.Stats), id...)
		}
		for _, r := range InstanceDropReasons {
			counter(descDropped, in.Drops[r], append(id, r)...)
		}
		for _, r := range HMACDropReasons {
			if in.HMAC != nil {
				counter(descDropped, in.Drops[r], append(id, r)...)
			}
		}
		counter(descGARPDelay, uint64(in.GARPDelay.Seconds()), id...)
	}
	for _, so := range s.VRRPSockets {
		counter(descSockDrops, so.TooShort, so.Interface, "too_short")
		counter(descSockDrops, so.UnknownVRID, so.Interface, "unknown_vrid")
	}
	for _, sc := range s.Scripts {
		gauge(descScriptSt, b2f(sc.Good), sc.Name)
		gauge(descScriptRun, b2f(sc.Running), sc.Name)
	}
	for _, r := range s.RealServers {
		gauge(descRSUp, b2f(r.Up), r.VS, r.RS)
		gauge(descRSWeight, float64(r.Weight), r.VS, r.RS)
		gauge(descLatency, r.Latency, r.VS, r.RS)
		gauge(descDraining, b2f(r.Draining), r.VS, r.RS)
		if r.Draining {
			gauge(descDrainConn, float64(r.DrainConnections), r.VS, r.RS)
		}
	}
	gauge(descMatches, b2f(s.Config.MatchesDisk))
	gauge(descReloadOK, b2f(s.Config.LastReloadOK))
	counter(descReloads, s.Config.Applied, "applied")
	counter(descReloads, s.Config.Refused, "refused")
	gauge(descAppliedAt, float64(s.Config.AppliedAtUnixNanos)/1e9)
	if s.IPVS {
		counter(descIPVSOps, s.IPVSOperations)
	}
	for _, d := range s.SyncDaemons {
		gauge(descSyncd, 1, d.State.String(), d.Interface, strconv.FormatUint(uint64(d.SyncID), 10))
	}
	if b := s.BGP; b != nil {
		for _, x := range b.Sessions {
			gauge(descBGPSess, b2f(x.Established), x.Neighbor, strconv.FormatUint(uint64(x.RemoteAS), 10), x.State)
		}
		for _, p := range b.Announced {
			gauge(descBGPPrefix, 1, p)
		}
	}
	collectIPVS(s.IPVSTable, gauge, emit)
}

// collectIPVS exports the kernel table's counters: per service and real
// server under gokeepalived_ipvs_*, and node_exporter's backend gauges,
// summed per label set as node_exporter does.
func collectIPVS(tab []IPVSService, gauge func(*prometheus.Desc, float64, ...string),
	emit func(*prometheus.Desc, prometheus.ValueType, float64, ...string)) {
	type backend struct{ active, inact, weight uint64 }
	var order [][6]string
	sums := map[[6]string]*backend{}
	for _, sv := range tab {
		vs := sv.ServiceKey.String()
		for _, st := range ipvsStats {
			emit(st.svc, st.typ, float64(st.get(sv.Stats)), vs)
		}
		la, lp, proto, mark := "", "0", "FWM", ""
		if sv.FWMark != 0 {
			mark = fmt.Sprintf("%08X", sv.FWMark) // as /proc/net/ip_vs prints it
		} else {
			la, lp, proto = sv.Addr.String(), strconv.Itoa(int(sv.Port)), sv.Protocol.String()
		}
		for _, d := range sv.Dests {
			rs := d.Key().String()
			for _, st := range ipvsStats {
				if st.rs != nil {
					emit(st.rs, st.typ, float64(st.get(d.Stats)), vs, rs)
				}
			}
			k := [6]string{la, lp, d.Addr.String(), strconv.Itoa(int(d.Port)), proto, mark}
			b := sums[k]
			if b == nil {
				b = &backend{}
				sums[k] = b
				order = append(order, k)
			}
			b.active += uint64(d.ActiveConns)
			b.inact += uint64(d.InactConns)
			b.weight += uint64(d.Weight)
		}
	}
	for _, k := range order {
		b := sums[k]
		gauge(descBackendActive, float64(b.active), k[:]...)
		gauge(descBackendInact, float64(b.inact), k[:]...)
		gauge(descBackendWeight, float64(b.weight), k[:]...)
	}
}

// addrList is keepalived-exporter's ip_address label: the addresses
// alone, comma-separated.
func addrList(vips []string) string {
	ips := make([]string, len(vips))
	for i, v := range vips {
		ips[i], _, _ = strings.Cut(v, " ")
	}
	return strings.Join(ips, ",")
}

func b2f(v bool) float64 {
	if v {
		return 1
	}
	return 0
}

// ListenAddress applies --metrics-address's rule: a bare port or ":port"
// listens on loopback only, so metrics are never exposed by accident.
func ListenAddress(a string) string {
	if !strings.Contains(a, ":") {
		return net.JoinHostPort("127.0.0.1", a)
	}
	if strings.HasPrefix(a, ":") {
		return "127.0.0.1" + a
	}
	return a
}
