package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// rawAdvert is a VRRPv2 advert the test can spoil field by field.
type rawAdvert struct {
	version, typ, vrid, prio, count, authType, interval uint8
	vips                                                []byte // 4 bytes each
	pass                                                string
	ttl                                                 uint8
	badChecksum                                         bool
	truncate                                            int // >0: send only this many VRRP bytes
}

func goodAdvert() rawAdvert {
	return rawAdvert{version: 2, typ: 1, vrid: 51, prio: 50, count: 1, authType: 1, interval: 1,
		vips: []byte{10, 77, 0, 100}, pass: "secret", ttl: 255}
}

func inetChecksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// packet is the IPv4 packet (the kernel fills in the IP checksum).
func (a rawAdvert) packet() []byte {
	v := []byte{a.version<<4 | a.typ, a.vrid, a.prio, a.count, a.authType, a.interval, 0, 0}
	v = append(v, a.vips...)
	pass := make([]byte, 8)
	copy(pass, a.pass)
	v = append(v, pass...)
	c := inetChecksum(v)
	if a.badChecksum {
		c ^= 0x5a5a
	}
	binary.BigEndian.PutUint16(v[6:], c)
	if a.truncate > 0 {
		v = v[:a.truncate]
	}
	ip := []byte{0x45, 0xc0, 0, 0, 0, 0, 0, 0, a.ttl, 112, 0, 0, 10, 77, 0, 2, 224, 0, 0, 18}
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(v)))
	return append(ip, v...)
}

// scrape reads /metrics from inside the namespace.
func scrape(t *testing.T, ns *nstest.NS, addr string) map[string]float64 {
	t.Helper()
	out, err := ns.Command("curl", "-sf", "http://"+addr+"/metrics").Output()
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	m := map[string]float64{}
	for _, l := range strings.Split(string(out), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", l, err)
		}
		m[l[:i]] = v
	}
	return m
}

// TestMetricsProvokedOnTheWire runs the daemon in a namespace and sends it,
// from the peer namespace through a raw socket, one advert for each
// counter /metrics exports (good, higher priority, priority 0, and each
// kind of bad advert), then scrapes the running daemon: every counter
// reads what was sent.
func TestMetricsProvokedOnTheWire(t *testing.T) {
	nstest.Require(t, "curl")
	a, b := nstest.Pair(t)
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(cf, []byte(`global_defs {
 script_user root
}
vrrp_script good {
 script "/bin/true"
 interval 1
}
vrrp_script bad {
 script "/bin/false"
 interval 1
 weight -1
}
vrrp_instance VI_1 {
 state BACKUP
 interface eth0
 virtual_router_id 51
 priority 100
 advert_int 1
 authentication {
  auth_type PASS
  auth_pass secret
 }
 virtual_ipaddress {
  10.77.0.100/24
 }
 track_script {
  good
  bad
 }
}
`), 0o644)
	self, _ := os.Executable()
	const addr = "127.0.0.1:9651"
	p := startCmd(t, a.Command(self, "-n", "-l", "-D", "-P", "-f", cf, "-p", filepath.Join(dir, "k.pid"),
		"-r", filepath.Join(dir, "v.pid"), "--control-socket", filepath.Join(dir, "gk.sock"), "--metrics-address", addr),
		[]string{"TMPDIR=" + dir})
	t.Cleanup(func() { p.signal(syscall.SIGTERM); p.wait() })
	p.waitFor("(VI_1) Entering MASTER STATE", 1)

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
	send := func(a rawAdvert) {
		t.Helper()
		if err := syscall.Sendto(fd, a.packet(), 0, &syscall.SockaddrInet4{Addr: [4]byte{224, 0, 0, 18}}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	higher := goodAdvert()
	higher.prio = 200
	send(higher) // MASTER releases: release_master, advert_rcvd
	p.waitFor("(VI_1) Entering BACKUP STATE", 2)
	zero := goodAdvert()
	zero.prio = 0
	send(zero) // pri_zero_rcvd; the BACKUP takes over at once
	p.waitFor("(VI_1) Entering MASTER STATE", 2)

	spoil := map[string]func(*rawAdvert){
		"length": func(a *rawAdvert) { a.count = 2 },
		"ttl":    func(a *rawAdvert) { a.ttl = 64 },
		// a VRRPv3 advert has no auth data: its length must fit v3
		"version":            func(a *rawAdvert) { a.version, a.truncate = 3, 12 },
		"auth_type_invalid":  func(a *rawAdvert) { a.authType = 3 },
		"auth_type_mismatch": func(a *rawAdvert) { a.authType = 0 },
		"password":           func(a *rawAdvert) { a.pass = "wrong" },
		"advert_interval":    func(a *rawAdvert) { a.interval = 2 },
		"type":               func(a *rawAdvert) { a.typ = 2 },
		"checksum":           func(a *rawAdvert) { a.badChecksum = true },
		"addr_list":          func(a *rawAdvert) { a.vips = []byte{10, 77, 0, 101} },
		"unknown_vrid":       func(a *rawAdvert) { a.vrid = 99 },
		"too_short":          func(a *rawAdvert) { a.truncate = 4 },
	}
	for _, k := range []string{"length", "ttl", "version", "auth_type_invalid", "auth_type_mismatch", "password",
		"advert_interval", "type", "checksum", "addr_list", "unknown_vrid", "too_short"} {
		a := goodAdvert()
		spoil[k](&a)
		send(a)
	}

	in := `{iname="VI_1",intf="eth0",vrid="51"}`
	drop := func(r string) string {
		return `gokeepalived_vrrp_dropped_total{iname="VI_1",intf="eth0",reason="` + r + `",vrid="51"}`
	}
	want := map[string]float64{
		"keepalived_become_master_total" + in:                  2,
		"keepalived_release_master_total" + in:                 1,
		"keepalived_priority_zero_received_total" + in:         1,
		"keepalived_packet_length_errors_total" + in:           1,
		"keepalived_ip_ttl_errors_total" + in:                  1,
		"keepalived_invalid_type_received_total" + in:          1,
		"keepalived_advertisements_interval_errors_total" + in: 1,
		"keepalived_address_list_errors_total" + in:            1,
		"keepalived_authentication_invalid_total" + in:         1,
		"keepalived_authentication_mismatch_total" + in:        1,
		"keepalived_authentication_failure_total" + in:         1,
		drop("checksum"): 1,
		drop("version"):  1,
		`gokeepalived_vrrp_socket_dropped_total{intf="eth0",reason="unknown_vrid"}`:             1,
		`gokeepalived_vrrp_socket_dropped_total{intf="eth0",reason="too_short"}`:                1,
		`keepalived_script_status{name="good"}`:                                                 1,
		`keepalived_script_status{name="bad"}`:                                                  0,
		`keepalived_vrrp_state{iname="VI_1",intf="eth0",ip_address="10.77.0.100/24",vrid="51"}`: 2,
	}
	var m map[string]float64
	deadline := time.Now().Add(5 * time.Second)
	for {
		m = scrape(t, a, addr)
		ok := true
		for k, v := range want {
			if m[k] != v {
				ok = false
			}
		}
		if ok || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for k, v := range want {
		if got, ok := m[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	// advert_rcvd counts what passed the header checks: the two good
	// adverts and every spoiled one the instance saw.
	if r := m["keepalived_advertisements_received_total"+in]; r < 2 {
		t.Errorf("advertisements received %v, want ≥ 2", r)
	}
	if s := m["keepalived_advertisements_sent_total"+in]; s < 1 {
		t.Errorf("advertisements sent %v", s)
	}
	// Reasons not provoked stay exported at 0.
	for _, r := range []string{"instance_not_ready", "family", "ah_next_header", "unicast_source_not_peer"} {
		if v, ok := m[drop(r)]; !ok || v != 0 {
			t.Errorf("%s = %v (present %v), want 0", drop(r), v, ok)
		}
	}
	if t.Failed() {
		fmt.Println(p.log())
	}
}
