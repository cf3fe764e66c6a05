package metrics

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/dumps"
	"github.com/gokeepalived/gokeepalived/ipvs"
)

// scrape serves a snapshot on a real loopback listener and parses the
// exposition text into "name{labels}" → value.
func scrape(t *testing.T, s Snapshot) map[string]string {
	t.Helper()
	ln, err := net.Listen("tcp", ListenAddress("0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: Handler(func() Snapshot { return s })}
	go srv.Serve(ln)
	defer srv.Close()
	resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("content type %q", ct)
	}
	body, _ := io.ReadAll(resp.Body)
	out := map[string]string{}
	typed := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "# TYPE ") {
			f := strings.Fields(l)
			if typed[f[2]] {
				t.Errorf("family %s declared twice", f[2])
			}
			typed[f[2]] = true
			continue
		}
		if strings.HasPrefix(l, "#") || l == "" {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		name := l[:i]
		base, _, _ := strings.Cut(name, "{")
		for _, suf := range []string{"_sum", "_count", "_bucket"} { // a summary's or histogram's series
			if b, ok := strings.CutSuffix(base, suf); ok && typed[b] {
				base = b
			}
		}
		if !typed[base] {
			t.Errorf("sample %s before its TYPE line", name)
		}
		out[name] = l[i+1:]
	}
	return out
}

func TestExporterNamesAndValues(t *testing.T) {
	m := scrape(t, Snapshot{
		VRRP: []dumps.Instance{{Name: "VI_1", Interface: "eth0", VRID: 51, State: dumps.StateMaster,
			VIPs:      []string{"10.9.9.9 dev eth0 scope global set", "10.9.9.10 dev eth0 scope global set"},
			GARPDelay: 5 * time.Second,
			Stats:     dumps.Stats{AdvertRcvd: 7, AdvertSent: 42, BecomeMaster: 1, PriZeroSent: 2, AuthFailure: 3}}},
		Scripts:     []dumps.Script{{Name: "chk_\"x\"", Good: true}},
		RealServers: []RealServer{{VS: "10.10.31.100:80/tcp", RS: "192.168.31.102:80", Up: false, Weight: 0, Latency: 0.25}},
	})
	id := `{iname="VI_1",intf="eth0",vrid="51"}`
	for k, v := range map[string]string{
		"keepalived_up": "1",
		`keepalived_vrrp_state{iname="VI_1",intf="eth0",ip_address="10.9.9.9,10.9.9.10",vrid="51"}`: "2",
		"keepalived_advertisements_received_total" + id:                                             "7",
		"keepalived_advertisements_sent_total" + id:                                                 "42",
		"keepalived_become_master_total" + id:                                                       "1",
		"keepalived_release_master_total" + id:                                                      "0",
		"keepalived_priority_zero_sent_total" + id:                                                  "2",
		"keepalived_authentication_failure_total" + id:                                              "3",
		"keepalived_gratuitous_arp_delay_total" + id:                                                "5",
		`keepalived_script_status{name="chk_\"x\""}`:                                                "1",
		`gokeepalived_real_server_up{rs="192.168.31.102:80",vs="10.10.31.100:80/tcp"}`:              "0",
		`gokeepalived_check_latency_seconds{rs="192.168.31.102:80",vs="10.10.31.100:80/tcp"}`:       "0.25",
	} {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	// Every counter keepalived-exporter has, for this instance.
	for _, n := range []string{"packet_length_errors", "advertisements_interval_errors", "ip_ttl_errors",
		"address_list_errors", "authentication_invalid", "authentication_mismatch", "priority_zero_received"} {
		if _, ok := m["keepalived_"+n+"_total"+id]; !ok {
			t.Errorf("no keepalived_%s_total", n)
		}
	}
	if _, ok := m["keepalived_invalid_type_received_total"+id]; !ok {
		t.Error("no keepalived_invalid_type_received_total")
	}
}

func TestListenAddressDefaultsToLoopback(t *testing.T) {
	for in, want := range map[string]string{"9165": "127.0.0.1:9165", ":9165": "127.0.0.1:9165",
		"0.0.0.0:9165": "0.0.0.0:9165", "[::1]:9165": "[::1]:9165"} {
		if got := ListenAddress(in); got != want {
			t.Errorf("ListenAddress(%q) = %q, want %q", in, got, want)
		}
	}
}

// The IPVS operation counter is exposed by name when a checker runs, and
// not at all without one (no IPVS to count).
func TestIPVSOperationsCounter(t *testing.T) {
	m := scrape(t, Snapshot{IPVS: true, IPVSOperations: 36545})
	if got := m["gokeepalived_ipvs_operations_total"]; got != "36545" {
		t.Errorf("gokeepalived_ipvs_operations_total = %q, want 36545", got)
	}
	if _, ok := scrape(t, Snapshot{})["gokeepalived_ipvs_operations_total"]; ok {
		t.Error("gokeepalived_ipvs_operations_total without a checker subsystem")
	}
}

// The sync daemons the kernel runs are one gauge per role.
func TestSyncDaemonGauge(t *testing.T) {
	m := scrape(t, Snapshot{SyncDaemons: []ipvs.SyncDaemon{{State: ipvs.SyncMaster, Interface: "eth2", SyncID: 77},
		{State: ipvs.SyncBackup, Interface: "eth2", SyncID: 77}}})
	for _, st := range []string{"master", "backup"} {
		k := `gokeepalived_lvs_sync_daemon{interface="eth2",state="` + st + `",syncid="77"}`
		if m[k] != "1" {
			t.Errorf("%s = %q, want 1", k, m[k])
		}
	}
	for k := range scrape(t, Snapshot{}) {
		if strings.HasPrefix(k, "gokeepalived_lvs_sync_daemon") {
			t.Errorf("%s without a sync daemon", k)
		}
	}
}

// TestBGPSeries: the BGP speaker's sessions and prefixes, only when a
// bgp_speaker runs.
func TestBGPSeries(t *testing.T) {
	m := scrape(t, Snapshot{BGP: &BGP{Sessions: []BGPSession{{Neighbor: "10.1.0.1", RemoteAS: 65000, State: "established", Established: true},
		{Neighbor: "10.1.0.2", RemoteAS: 65000, State: "active"}}, Announced: []string{"10.0.0.100/32"}}})
	for k, want := range map[string]string{
		`gokeepalived_bgp_session_established{neighbor="10.1.0.1",remote_as="65000",state="established"}`: "1",
		`gokeepalived_bgp_session_established{neighbor="10.1.0.2",remote_as="65000",state="active"}`:      "0",
		`gokeepalived_bgp_announced{prefix="10.0.0.100/32"}`:                                              "1",
	} {
		if got := m[k]; got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	for k := range scrape(t, Snapshot{}) {
		if strings.HasPrefix(k, "gokeepalived_bgp_") {
			t.Errorf("%s without a bgp_speaker", k)
		}
	}
}

// TestServerShedsIdleConnections: many clients that connect and say
// nothing hold at most MaxConns connections; a scrape still gets through
// once an idle one times out, and a flood never grows the open set.
func TestServerShedsIdleConnections(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sl := ShedListener(ln, MaxConns).(*shedListener)
	hs := NewServer(func() Snapshot { return Snapshot{} })
	hs.ReadHeaderTimeout = 300 * time.Millisecond
	go hs.Serve(sl)
	defer hs.Close()
	var idle []net.Conn
	for range 3 * MaxConns {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		sl.mu.Lock()
		open, shed := sl.open, sl.shed
		sl.mu.Unlock()
		if open > MaxConns {
			t.Fatalf("%d connections open, cap %d", open, MaxConns)
		}
		if shed >= 2*MaxConns {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("shed %d of %d connections over the cap", shed, 2*MaxConns)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The idle ones time out; a scrape is served.
	var resp *http.Response
	for {
		resp, err = (&http.Client{Timeout: time.Second}).Get("http://" + ln.Addr().String() + "/metrics")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no scrape served behind idle connections: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "keepalived_up 1") {
		t.Errorf("scrape: %q", b)
	}
}

// TestDropCounters: the drop reasons keepalived's stats file has no
// counter for are exported per instance (0 when none), and the socket's
// pre-instance drops per interface.
func TestDropCounters(t *testing.T) {
	m := scrape(t, Snapshot{
		VRRP: []dumps.Instance{{Name: "VI_1", Interface: "eth0", VRID: 51,
			Drops: map[string]uint64{"checksum": 3, "version": 1, "ttl": 7}}},
		VRRPSockets: []SocketDrops{{Interface: "eth0", TooShort: 2, UnknownVRID: 5}},
	})
	drop := func(r string) string {
		return `gokeepalived_vrrp_dropped_total{iname="VI_1",intf="eth0",reason="` + r + `",vrid="51"}`
	}
	for k, v := range map[string]string{
		drop("checksum"):                "3",
		drop("version"):                 "1",
		drop("unicast_source_not_peer"): "0",
		`gokeepalived_vrrp_socket_dropped_total{intf="eth0",reason="too_short"}`:    "2",
		`gokeepalived_vrrp_socket_dropped_total{intf="eth0",reason="unknown_vrid"}`: "5",
	} {
		if m[k] != v {
			t.Errorf("%s = %q, want %s", k, m[k], v)
		}
	}
	// ttl has keepalived's own counter (keepalived_ip_ttl_errors_total).
	if _, ok := m[drop("ttl")]; ok {
		t.Error("ttl exported twice")
	}
}

// TestIPVSTrafficCounters: the kernel's counters per service and per real
// server, and node_exporter's backend gauges with its labels (a fwmark
// service has no address or port, its mark as /proc/net/ip_vs prints it).
func TestIPVSTrafficCounters(t *testing.T) {
	tcp := ipvs.NewServiceKey(ipvs.TCP, netip.MustParseAddrPort("10.10.31.100:80"))
	fwm := ipvs.ServiceKey{Family: ipvs.IPv4, FWMark: 26}
	dest := func(ap string, w uint32, active, inact uint32, st ipvs.Stats) ipvs.DestinationEntry {
		return ipvs.DestinationEntry{Destination: ipvs.NewDestination(netip.MustParseAddrPort(ap), ipvs.Masq, w),
			ActiveConns: active, InactConns: inact, Stats: st}
	}
	m := scrape(t, Snapshot{IPVS: true, IPVSTable: []IPVSService{
		{ServiceEntry: ipvs.ServiceEntry{Service: ipvs.Service{ServiceKey: tcp}, Stats: ipvs.Stats{Conns: 9, InPkts: 60, OutPkts: 50,
			InBytes: 4000, OutBytes: 1 << 40, CPS: 2, InPPS: 3, OutPPS: 4, InBPS: 5, OutBPS: 6}},
			Dests: []ipvs.DestinationEntry{
				dest("192.168.31.101:8080", 3, 2, 7, ipvs.Stats{Conns: 5, InPkts: 31, OutBytes: 123456789}),
				dest("192.168.31.102:8080", 1, 0, 1, ipvs.Stats{Conns: 4}),
			}},
		{ServiceEntry: ipvs.ServiceEntry{Service: ipvs.Service{ServiceKey: fwm}, Stats: ipvs.Stats{Conns: 1}},
			Dests: []ipvs.DestinationEntry{dest("192.168.31.101:0", 2, 1, 0, ipvs.Stats{Conns: 1})}},
	}})
	vs := `vs="TCP 10.10.31.100:80"`
	rs1 := `{rs="192.168.31.101:8080",` + vs + `}`
	be1 := `{local_address="10.10.31.100",local_mark="",local_port="80",proto="TCP",remote_address="192.168.31.101",remote_port="8080"}`
	befw := `{local_address="",local_mark="0000001A",local_port="0",proto="FWM",remote_address="192.168.31.101",remote_port="0"}`
	for k, v := range map[string]string{
		"gokeepalived_ipvs_service_connections_total{" + vs + "}":           "9",
		"gokeepalived_ipvs_service_incoming_packets_total{" + vs + "}":      "60",
		"gokeepalived_ipvs_service_outgoing_packets_total{" + vs + "}":      "50",
		"gokeepalived_ipvs_service_incoming_bytes_total{" + vs + "}":        "4000",
		"gokeepalived_ipvs_service_outgoing_bytes_total{" + vs + "}":        "1.099511627776e+12",
		"gokeepalived_ipvs_service_connections_per_second{" + vs + "}":      "2",
		"gokeepalived_ipvs_service_incoming_packets_per_second{" + vs + "}": "3",
		"gokeepalived_ipvs_service_outgoing_packets_per_second{" + vs + "}": "4",
		"gokeepalived_ipvs_service_incoming_bytes_per_second{" + vs + "}":   "5",
		"gokeepalived_ipvs_service_outgoing_bytes_per_second{" + vs + "}":   "6",
		`gokeepalived_ipvs_service_connections_total{vs="FWM 26 inet"}`:     "1",
		"gokeepalived_ipvs_real_server_connections_total" + rs1:             "5",
		"gokeepalived_ipvs_real_server_incoming_packets_total" + rs1:        "31",
		"gokeepalived_ipvs_real_server_outgoing_bytes_total" + rs1:          "1.23456789e+08",
		"node_ipvs_backend_connections_active" + be1:                        "2",
		"node_ipvs_backend_connections_inactive" + be1:                      "7",
		"node_ipvs_backend_weight" + be1:                                    "3",
		"node_ipvs_backend_connections_active" + befw:                       "1",
		"node_ipvs_backend_weight" + befw:                                   "2",
	} {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	if _, ok := m["gokeepalived_ipvs_real_server_outgoing_packets_per_second"+rs1]; ok {
		t.Error("rate estimates per real server")
	}
	if _, ok := scrape(t, Snapshot{})["node_ipvs_backend_weight"+be1]; ok {
		t.Error("IPVS counters without a table")
	}
}

// TestScrapesInFlightCapped: past MaxScrapes scrapes at once, one more is
// refused with 503 at once instead of adding a large scrape's memory.
func TestScrapesInFlightCapped(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, MaxScrapes+1)
	h := Handler(func() Snapshot {
		entered <- struct{}{}
		<-release
		return Snapshot{}
	})
	codes := make(chan int, MaxScrapes)
	for range MaxScrapes {
		go func() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
			codes <- w.Code
		}()
	}
	for range MaxScrapes {
		<-entered
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("scrape %d of %d at once: %d, want 503", MaxScrapes+1, MaxScrapes+1, w.Code)
	}
	close(release)
	for range MaxScrapes {
		if c := <-codes; c != http.StatusOK {
			t.Errorf("a scrape within the cap: %d", c)
		}
	}
}

// TestHMACDropCounters: an instance with auth_hmac exports its six drop
// reasons (from zero); one without exports none of them.
func TestHMACDropCounters(t *testing.T) {
	m := scrape(t, Snapshot{VRRP: []dumps.Instance{
		{Name: "VI_1", Interface: "eth0", VRID: 51, HMAC: &dumps.HMAC{Keys: 1, ActiveKey: 1, Mode: "enforce"},
			Drops: map[string]uint64{"auth_ext_invalid_hmac": 5, "auth_ext_replay": 3}},
		{Name: "VI_2", Interface: "eth0", VRID: 52},
	}})
	drop := func(in, vrid, r string) string {
		return `gokeepalived_vrrp_dropped_total{iname="` + in + `",intf="eth0",reason="` + r + `",vrid="` + vrid + `"}`
	}
	for r, v := range map[string]string{"auth_ext_invalid_hmac": "5", "auth_ext_replay": "3", "auth_ext_missing": "0",
		"auth_ext_malformed": "0", "auth_ext_unknown_key": "0", "auth_ext_stale": "0"} {
		if got := m[drop("VI_1", "51", r)]; got != v {
			t.Errorf("VI_1 %s = %q, want %s", r, got, v)
		}
		if _, ok := m[drop("VI_2", "52", r)]; ok {
			t.Errorf("VI_2 (no auth_hmac) exports %s", r)
		}
	}
}

// A draining real server: draining 1 with its connections left; the
// others draining 0 and no connection gauge.
func TestDrainGauges(t *testing.T) {
	m := scrape(t, Snapshot{RealServers: []RealServer{
		{VS: "TCP 10.0.0.1:80", RS: "10.0.1.1:80", Up: true, Draining: true, DrainConnections: 42},
		{VS: "TCP 10.0.0.1:80", RS: "10.0.1.2:80", Up: true, Weight: 1},
	}})
	for name, want := range map[string]string{
		`gokeepalived_real_server_draining{rs="10.0.1.1:80",vs="TCP 10.0.0.1:80"}`:          "1",
		`gokeepalived_real_server_drain_connections{rs="10.0.1.1:80",vs="TCP 10.0.0.1:80"}`: "42",
		`gokeepalived_real_server_draining{rs="10.0.1.2:80",vs="TCP 10.0.0.1:80"}`:          "0",
	} {
		if got := m[name]; got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if _, ok := m[`gokeepalived_real_server_drain_connections{rs="10.0.1.2:80",vs="TCP 10.0.0.1:80"}`]; ok {
		t.Error("a connection gauge for a server not draining")
	}
}
