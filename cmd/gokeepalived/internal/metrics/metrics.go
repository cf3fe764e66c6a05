// Package metrics serves Prometheus metrics under keepalived-exporter's
// names, so dashboards and alerts built on the exporter keep working when
// the exporter goes away. The text exposition format is small enough to
// write directly; no client library is needed for a few gauges.
package metrics

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gokeepalived/gokeepalived/cmd/gokeepalived/internal/dumps"
)

// RealServer is one real server's health as the checker sees it.
type RealServer struct {
	VS      string // "10.10.31.100:80/tcp" or "fwmark:1"
	RS      string // "192.168.31.101:80"
	Up      bool
	Weight  int
	Latency float64 // last check, seconds
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
	// Config is the running configuration against the files on disk.
	Config Config
}

// Config says whether the running configuration is the file on disk and
// how reloads went.
type Config struct {
	MatchesDisk        bool
	LastReloadOK       bool // true before any reload
	Applied, Refused   uint64
	AppliedAtUnixNanos int64
}

// Handler serves /metrics from snap, called once per scrape.
func Handler(snap func() Snapshot) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		Write(w, snap())
	})
}

type family struct {
	name, help, typ string
}

func header(w io.Writer, f family) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", f.name, f.help, f.name, f.typ)
}

// labelEscaper is Prometheus's label value escaping, built once: a
// scrape of 36k real servers renders 100k labels.
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// labels renders {k="v",...} with Prometheus escaping.
func labels(kv ...string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(kv[i])
		b.WriteString(`="`)
		b.WriteString(labelEscaper.Replace(kv[i+1]))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// Write renders a snapshot in the text exposition format.
func Write(w io.Writer, s Snapshot) {
	header(w, family{"keepalived_up", "Status of the keepalived service.", "gauge"})
	fmt.Fprintln(w, "keepalived_up 1")

	inst := func(in dumps.Instance) []string {
		return []string{"iname", in.Name, "intf", in.Interface, "vrid", strconv.Itoa(in.VRID)}
	}
	header(w, family{"keepalived_vrrp_state", "State of the VRRP instance: 0 init, 1 backup, 2 master, 3 fault.", "gauge"})
	for _, in := range s.VRRP {
		ips := append([]string(nil), in.VIPs...)
		for i, v := range ips {
			ips[i], _, _ = strings.Cut(v, " ")
		}
		fmt.Fprintf(w, "keepalived_vrrp_state%s %d\n", labels(append(inst(in), "ip_address", strings.Join(ips, ","))...), in.State)
	}
	header(w, family{"keepalived_vrrp_excluded_state", "State of the VRRP instance for its excluded addresses.", "gauge"})
	for _, in := range s.VRRP {
		if len(in.EVIPs) == 0 {
			continue
		}
		ips := append([]string(nil), in.EVIPs...)
		for i, v := range ips {
			ips[i], _, _ = strings.Cut(v, " ")
		}
		fmt.Fprintf(w, "keepalived_vrrp_excluded_state%s %d\n", labels(append(inst(in), "ip_address", strings.Join(ips, ","))...), in.State)
	}
	counters := []struct {
		f   family
		get func(dumps.Stats) uint64
	}{
		{family{"keepalived_advertisements_received_total", "Advertisements received.", "counter"}, func(s dumps.Stats) uint64 { return s.AdvertRcvd }},
		{family{"keepalived_advertisements_sent_total", "Advertisements sent.", "counter"}, func(s dumps.Stats) uint64 { return s.AdvertSent }},
		{family{"keepalived_become_master_total", "Times the instance became master.", "counter"}, func(s dumps.Stats) uint64 { return s.BecomeMaster }},
		{family{"keepalived_release_master_total", "Times the instance released master.", "counter"}, func(s dumps.Stats) uint64 { return s.ReleaseMaster }},
		{family{"keepalived_packet_length_errors_total", "Packets with a bad length.", "counter"}, func(s dumps.Stats) uint64 { return s.PacketLenErr }},
		{family{"keepalived_advertisements_interval_errors_total", "Adverts with a wrong interval.", "counter"}, func(s dumps.Stats) uint64 { return s.AdvertIntervalErr }},
		{family{"keepalived_ip_ttl_errors_total", "Packets with a TTL other than 255.", "counter"}, func(s dumps.Stats) uint64 { return s.IPTTLErr }},
		{family{"keepalived_invalid_type_received_total", "Packets of an invalid type.", "counter"}, func(s dumps.Stats) uint64 { return s.InvalidTypeRcvd }},
		{family{"keepalived_address_list_errors_total", "Adverts whose address list differs.", "counter"}, func(s dumps.Stats) uint64 { return s.AddrListErr }},
		{family{"keepalived_authentication_invalid_total", "Packets with an invalid auth type.", "counter"}, func(s dumps.Stats) uint64 { return s.InvalidAuthType }},
		{family{"keepalived_authentication_mismatch_total", "Packets with a mismatched auth type.", "counter"}, func(s dumps.Stats) uint64 { return s.AuthTypeMismatch }},
		{family{"keepalived_authentication_failure_total", "Packets failing authentication.", "counter"}, func(s dumps.Stats) uint64 { return s.AuthFailure }},
		{family{"keepalived_priority_zero_received_total", "Priority-0 adverts received.", "counter"}, func(s dumps.Stats) uint64 { return s.PriZeroRcvd }},
		{family{"keepalived_priority_zero_sent_total", "Priority-0 adverts sent.", "counter"}, func(s dumps.Stats) uint64 { return s.PriZeroSent }},
	}
	for _, c := range counters {
		header(w, c.f)
		for _, in := range s.VRRP {
			fmt.Fprintf(w, "%s%s %d\n", c.f.name, labels(inst(in)...), c.get(in.Stats))
		}
	}
	header(w, family{"gokeepalived_vrrp_dropped_total", "Adverts an instance dropped, by reason, for the reasons keepalived's stats file has no counter for.", "counter"})
	for _, in := range s.VRRP {
		for _, r := range InstanceDropReasons {
			fmt.Fprintf(w, "gokeepalived_vrrp_dropped_total%s %d\n", labels(append(inst(in), "reason", r)...), in.Drops[r])
		}
	}
	header(w, family{"gokeepalived_vrrp_socket_dropped_total", "Packets a VRRP socket dropped before any instance: too_short (no VRRP header), unknown_vrid (no instance for the VRID).", "counter"})
	for _, so := range s.VRRPSockets {
		fmt.Fprintf(w, "gokeepalived_vrrp_socket_dropped_total%s %d\n", labels("intf", so.Interface, "reason", "too_short"), so.TooShort)
		fmt.Fprintf(w, "gokeepalived_vrrp_socket_dropped_total%s %d\n", labels("intf", so.Interface, "reason", "unknown_vrid"), so.UnknownVRID)
	}
	header(w, family{"keepalived_gratuitous_arp_delay_total", "Gratuitous ARP delay in seconds.", "counter"})
	for _, in := range s.VRRP {
		fmt.Fprintf(w, "keepalived_gratuitous_arp_delay_total%s %d\n", labels(inst(in)...), int64(in.GARPDelay.Seconds()))
	}
	header(w, family{"keepalived_script_status", "Tracking script status: 1 good, 0 bad.", "gauge"})
	for _, sc := range s.Scripts {
		fmt.Fprintf(w, "keepalived_script_status%s %d\n", labels("name", sc.Name), b2i(sc.Good))
	}
	header(w, family{"keepalived_script_state", "Tracking script state: 0 idle, 1 running.", "gauge"})
	for _, sc := range s.Scripts {
		fmt.Fprintf(w, "keepalived_script_state%s %d\n", labels("name", sc.Name), b2i(sc.Running))
	}

	rs := append([]RealServer(nil), s.RealServers...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].VS+rs[i].RS < rs[j].VS+rs[j].RS })
	header(w, family{"gokeepalived_real_server_up", "Real server health as its checkers see it: 1 up, 0 down.", "gauge"})
	for _, r := range rs {
		fmt.Fprintf(w, "gokeepalived_real_server_up%s %d\n", labels("vs", r.VS, "rs", r.RS), b2i(r.Up))
	}
	header(w, family{"gokeepalived_real_server_weight", "Weight programmed into IPVS for the real server.", "gauge"})
	for _, r := range rs {
		fmt.Fprintf(w, "gokeepalived_real_server_weight%s %d\n", labels("vs", r.VS, "rs", r.RS), r.Weight)
	}
	header(w, family{"gokeepalived_check_latency_seconds", "Duration of the last health check.", "gauge"})
	for _, r := range rs {
		fmt.Fprintf(w, "gokeepalived_check_latency_seconds%s %g\n", labels("vs", r.VS, "rs", r.RS), r.Latency)
	}
	header(w, family{"gokeepalived_config_matches_disk", "1 when the running configuration is what its files on disk hold now, 0 after an edit not reloaded or a refused reload.", "gauge"})
	fmt.Fprintf(w, "gokeepalived_config_matches_disk %d\n", b2i(s.Config.MatchesDisk))
	header(w, family{"gokeepalived_config_last_reload_successful", "0 when the last reload was refused and the previous configuration kept.", "gauge"})
	fmt.Fprintf(w, "gokeepalived_config_last_reload_successful %d\n", b2i(s.Config.LastReloadOK))
	header(w, family{"gokeepalived_config_reloads_total", "Reloads by result: applied, or refused with the running configuration kept.", "counter"})
	fmt.Fprintf(w, "gokeepalived_config_reloads_total%s %d\n", labels("result", "applied"), s.Config.Applied)
	fmt.Fprintf(w, "gokeepalived_config_reloads_total%s %d\n", labels("result", "refused"), s.Config.Refused)
	header(w, family{"gokeepalived_config_last_applied_timestamp_seconds", "When the running configuration was applied (start-up or reload).", "gauge"})
	fmt.Fprintf(w, "gokeepalived_config_last_applied_timestamp_seconds %.3f\n", float64(s.Config.AppliedAtUnixNanos)/1e9)
	if s.IPVS {
		header(w, family{"gokeepalived_ipvs_operations_total", "IPVS operations (add/edit/delete of a service or destination) applied since start-up.", "counter"})
		fmt.Fprintf(w, "gokeepalived_ipvs_operations_total %d\n", s.IPVSOperations)
	}
}

func b2i(v bool) int {
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
