package metrics

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/cmd/gokeepalived/internal/dumps"
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
		`keepalived_vrrp_state{iname="VI_1",intf="eth0",vrid="51",ip_address="10.9.9.9,10.9.9.10"}`: "2",
		"keepalived_advertisements_received_total" + id:                                             "7",
		"keepalived_advertisements_sent_total" + id:                                                 "42",
		"keepalived_become_master_total" + id:                                                       "1",
		"keepalived_release_master_total" + id:                                                      "0",
		"keepalived_priority_zero_sent_total" + id:                                                  "2",
		"keepalived_authentication_failure_total" + id:                                              "3",
		"keepalived_gratuitous_arp_delay_total" + id:                                                "5",
		`keepalived_script_status{name="chk_\"x\""}`:                                                "1",
		`gokeepalived_real_server_up{vs="10.10.31.100:80/tcp",rs="192.168.31.102:80"}`:              "0",
		`gokeepalived_check_latency_seconds{vs="10.10.31.100:80/tcp",rs="192.168.31.102:80"}`:       "0.25",
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
	in := `iname="VI_1",intf="eth0",vrid="51",reason=`
	for k, v := range map[string]string{
		`gokeepalived_vrrp_dropped_total{` + in + `"checksum"}`:                     "3",
		`gokeepalived_vrrp_dropped_total{` + in + `"version"}`:                      "1",
		`gokeepalived_vrrp_dropped_total{` + in + `"unicast_source_not_peer"}`:      "0",
		`gokeepalived_vrrp_socket_dropped_total{intf="eth0",reason="too_short"}`:    "2",
		`gokeepalived_vrrp_socket_dropped_total{intf="eth0",reason="unknown_vrid"}`: "5",
	} {
		if m[k] != v {
			t.Errorf("%s = %q, want %s", k, m[k], v)
		}
	}
	// ttl has keepalived's own counter (keepalived_ip_ttl_errors_total).
	if _, ok := m[`gokeepalived_vrrp_dropped_total{`+in+`"ttl"}`]; ok {
		t.Error("ttl exported twice")
	}
}
