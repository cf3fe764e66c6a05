package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/testenv"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// promResult is one series of a Prometheus instant query.
type promResult struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

// TestPrometheusScrapesDaemon: a real Prometheus (Debian's 2.42) scrapes
// the running daemon every second; what it stored, read back through its
// HTTP API, is the daemon's state under keepalived-exporter's encoding
// (MASTER = 2), the target is up, and the process collector's series are
// there.
func TestPrometheusScrapesDaemon(t *testing.T) {
	nstest.Require(t, "curl")
	if _, err := exec.LookPath("prometheus"); err != nil {
		testenv.Unavailable(t, "needs prometheus (Debian's package)")
	}
	a, b := nstest.Pair(t)
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(cf, []byte(`vrrp_instance VI_1 {
 state BACKUP
 interface eth0
 virtual_router_id 52
 priority 150
 advert_int 1
 virtual_ipaddress {
  10.77.0.150/24
 }
}
`), 0o644)
	// Both listen on the namespace's own loopback: the ports are free.
	const metricsAddr, promAddr = "127.0.0.1:9654", "127.0.0.1:9090"
	self, _ := os.Executable()
	p := startCmd(t, a.Command(self, "-n", "-l", "-D", "-P", "-f", cf, "-p", filepath.Join(dir, "k.pid"),
		"-r", filepath.Join(dir, "v.pid"), "--control-socket", filepath.Join(dir, "gk.sock"), "--metrics-address", metricsAddr),
		[]string{"TMPDIR=" + dir})
	t.Cleanup(func() { p.signal(syscall.SIGTERM); p.wait() })
	p.waitFor("(VI_1) Entering MASTER STATE", 1)

	pc := filepath.Join(dir, "prometheus.yml")
	os.WriteFile(pc, []byte(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: gokeepalived
    static_configs:
      - targets: ['`+metricsAddr+`']
`), 0o644)
	prom := startCmd(t, a.Command("prometheus", "--config.file="+pc, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+promAddr, "--log.level=warn"), nil)
	t.Cleanup(func() { prom.signal(syscall.SIGTERM); prom.wait() }) // by PID: ip netns exec execs it

	query := func(q string) []promResult {
		t.Helper()
		out, err := a.Command("curl", "-sf", "--get", "--data-urlencode", "query="+q, "http://"+promAddr+"/api/v1/query").Output()
		if err != nil {
			return nil // not up yet
		}
		var r struct {
			Status string `json:"status"`
			Data   struct {
				Result []promResult `json:"result"`
			} `json:"data"`
		}
		if err := json.Unmarshal(out, &r); err != nil || r.Status != "success" {
			t.Fatalf("query %s: %v: %s", q, err, out)
		}
		return r.Data.Result
	}
	// Prometheus starts, then scrapes within a second or two.
	var state []promResult
	deadline := time.Now().Add(60 * time.Second)
	for len(state) == 0 && time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
		state = query("keepalived_vrrp_state")
	}
	if len(state) != 1 {
		t.Fatalf("keepalived_vrrp_state in Prometheus: %+v\nprometheus:\n%s\ngokeepalived:\n%s", state, prom.log(), p.log())
	}
	want := map[string]string{"__name__": "keepalived_vrrp_state", "job": "gokeepalived", "instance": metricsAddr,
		"iname": "VI_1", "intf": "eth0", "vrid": "52", "ip_address": "10.77.0.150/24"}
	for k, v := range want {
		if state[0].Metric[k] != v {
			t.Errorf("keepalived_vrrp_state label %s = %q, want %q (%v)", k, state[0].Metric[k], v, state[0].Metric)
		}
	}
	if v := state[0].Value[1]; v != "2" {
		t.Errorf("keepalived_vrrp_state = %v, want 2 (MASTER)", v)
	}
	one := func(q, want string) {
		t.Helper()
		r := query(q)
		if len(r) != 1 || r[0].Value[1] != want {
			t.Errorf("%s = %+v, want one series of %s", q, r, want)
		}
	}
	one(`up{job="gokeepalived"}`, "1")
	one(`keepalived_become_master_total{iname="VI_1"}`, "1")
	one(`keepalived_up`, "1")
	one(`count(process_start_time_seconds{job="gokeepalived"})`, "1")
	one(`count(go_goroutines{job="gokeepalived"})`, "1")
	// Adverts go out every second: the stored counter grows.
	if r := query(`keepalived_advertisements_sent_total{iname="VI_1"} > 0`); len(r) != 1 {
		t.Errorf("no advertisements sent in Prometheus: %+v", r)
	}

	// A peer of higher priority, from the other namespace: the daemon
	// goes BACKUP, and Prometheus stores 1 and the release.
	var fd int
	if err := b.Do(func() (err error) {
		fd, err = syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW, syscall.IPPROTO_RAW)
		if err != nil {
			return err
		}
		return syscall.SetsockoptString(fd, syscall.SOL_SOCKET, syscall.SO_BINDTODEVICE, "eth0")
	}); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	peer := rawAdvert{version: 2, typ: 1, vrid: 52, prio: 200, count: 1, interval: 1, vips: []byte{10, 77, 0, 150}, ttl: 255}
	stop := make(chan struct{})
	sent := make(chan struct{})
	go func() { // every advert_int, as a master would
		defer close(sent)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			syscall.Sendto(fd, peer.packet(), 0, &syscall.SockaddrInet4{Addr: [4]byte{224, 0, 0, 18}})
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	defer func() { close(stop); <-sent }()
	p.waitFor("(VI_1) Entering BACKUP STATE", 1)
	deadline = time.Now().Add(30 * time.Second)
	for {
		state = query(`keepalived_vrrp_state{iname="VI_1"}`)
		if len(state) == 1 && state[0].Value[1] == "1" || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if len(state) != 1 || state[0].Value[1] != "1" {
		t.Errorf("keepalived_vrrp_state after a higher peer = %+v, want 1 (BACKUP)", state)
	}
	one(`keepalived_release_master_total{iname="VI_1"}`, "1")
	if t.Failed() {
		t.Logf("gokeepalived:\n%s", p.log())
	}
}
