package snmp

import (
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/dumps"
	"github.com/gokeepalived/gokeepalived/internal/metrics"
	"github.com/gokeepalived/gokeepalived/internal/snmp/agentx"
	"github.com/gokeepalived/gokeepalived/internal/testenv"
)

const checkerConf = `global_defs {
 router_id rs-test
 enable_snmp_checker
 enable_traps
}
virtual_server 10.1.1.1 80 {
 lb_algo rr
 lb_kind NAT
 protocol TCP
 snmp_name web
 real_server 10.2.2.2 8080 {
  weight 3
  snmp_name rs-a
  TCP_CHECK {
  }
 }
 real_server 10.2.2.3 8080 {
  TCP_CHECK {
  }
 }
}
`

func load(t *testing.T, text string) *conf.Config {
	t.Helper()
	f := filepath.Join(t.TempDir(), "keepalived.conf")
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := conf.Load(f, conf.Options{})
	for _, d := range diags.List {
		t.Logf("%s: %s", d.Kind, d.Msg)
	}
	return cfg
}

func noIfaces(string) (int, net.HardwareAddr, []netip.Addr) { return 0, nil, nil }

func get(v View, oid string) agentx.VarBind {
	return v.get(agentx.MustOID(oid))
}

func TestCheckerRows(t *testing.T) {
	cfg := load(t, checkerConf)
	snap := metrics.Snapshot{RealServers: []metrics.RealServer{
		{VS: "TCP 10.1.1.1:80", RS: "10.2.2.2:8080", Up: true, Weight: 3},
		{VS: "TCP 10.1.1.1:80", RS: "10.2.2.3:8080", Up: false, Weight: 0},
	}}
	v := Build(cfg, &snap, WhichOf(&cfg.Global), Env{Iface: noIfaces})
	for oid, want := range map[string]any{
		".1.3.6.1.4.1.9586.100.5.1.2.0":        []byte("rs-test"),
		".1.3.6.1.4.1.9586.100.5.3.3.1.2.1":    int32(2),
		".1.3.6.1.4.1.9586.100.5.3.3.1.6.1":    []byte{10, 1, 1, 1},
		".1.3.6.1.4.1.9586.100.5.3.3.1.7.1":    uint32(80),
		".1.3.6.1.4.1.9586.100.5.3.3.1.21.1":   uint32(1),
		".1.3.6.1.4.1.9586.100.5.3.3.1.71.1":   []byte("web"),
		".1.3.6.1.4.1.9586.100.5.3.4.1.4.1.1":  []byte{10, 2, 2, 2},
		".1.3.6.1.4.1.9586.100.5.3.4.1.6.1.1":  int32(1),
		".1.3.6.1.4.1.9586.100.5.3.4.1.6.1.2":  int32(2),
		".1.3.6.1.4.1.9586.100.5.3.4.1.7.1.1":  int32(3),
		".1.3.6.1.4.1.9586.100.5.3.4.1.55.1.1": []byte("rs-a"),
	} {
		vb := get(v, oid)
		if vb.Value == nil {
			t.Errorf("%s: %v", oid, vb.Type)
			continue
		}
		if got, ok := vb.Value.([]byte); ok {
			if string(got) != string(want.([]byte)) {
				t.Errorf("%s = %q, want %q", oid, got, want)
			}
		} else if vb.Value != want {
			t.Errorf("%s = %v, want %v", oid, vb.Value, want)
		}
	}
}

func TestAnswer(t *testing.T) {
	cfg := load(t, checkerConf)
	v := Build(cfg, &metrics.Snapshot{}, WhichOf(&cfg.Global), Env{Iface: noIfaces})
	if got := get(v, ".1.3.6.1.4.1.9586.100.5.3.4.1.4.1.9"); got.Type != agentx.NoSuchInstance {
		t.Errorf("missing row: %d", got.Type)
	}
	if got := get(v, ".1.3.6.1.4.1.9586.100.5.1.3.0"); got.Type != agentx.NoSuchObject {
		t.Errorf("missing object: %d", got.Type)
	}
	// GetNext from the subtree's root is its first object; past the end
	// of the view is endOfMibView; an end bound is respected.
	first := v.next(agentx.SearchRange{Start: KeepalivedOID})
	if agentx.Compare(first.Name, agentx.MustOID(".1.3.6.1.4.1.9586.100.5.1.1.0")) != 0 {
		t.Errorf("first: %s", first.Name)
	}
	if got := v.next(agentx.SearchRange{Start: first.Name, Include: true}); agentx.Compare(got.Name, first.Name) != 0 {
		t.Errorf("include: %s", got.Name)
	}
	if got := v.next(agentx.SearchRange{Start: agentx.MustOID("1.3.6.1.4.1.9587")}); got.Type != agentx.EndOfMibView {
		t.Errorf("past the end: %d", got.Type)
	}
	if got := v.next(agentx.SearchRange{Start: KeepalivedOID, End: agentx.MustOID("1.3.6.1.4.1.9586.100.5.1.1")}); got.Type != agentx.EndOfMibView {
		t.Errorf("end bound: %d %s", got.Type, got.Name)
	}
	bulk := v.Answer(&agentx.PDU{Header: agentx.Header{Type: agentx.TypeGetBulk}, NonRepeaters: 1, MaxRepetitions: 3,
		Ranges: []agentx.SearchRange{{Start: KeepalivedOID}, {Start: checkOID}}})
	if len(bulk) != 4 || !bulk[1].Name.HasPrefix(checkOID) || agentx.Compare(bulk[1].Name, bulk[2].Name) >= 0 {
		t.Errorf("bulk: %v", bulk)
	}
}

// TestVRRPRowsFromSnapshot: the instance table's live columns come from
// the VRRP snapshot, the rest from the configuration.
func TestVRRPRowsFromSnapshot(t *testing.T) {
	cfg := &conf.Config{Global: conf.GlobalDefs{EnableSNMPVRRP: true}, VRRPInstances: []*conf.VRRPInstance{{Name: "VI_1", State: "MASTER",
		Interface: "eth9", VRID: 7, Version: 2, AdvertInt: time.Second, VIPs: []conf.IPAddress{{Prefix: netip.MustParsePrefix("10.9.9.9/24")}}}}}
	snap := metrics.Snapshot{VRRP: []dumps.Instance{{Name: "VI_1", State: 2, WantState: 2, BasePriority: 200, EffectivePriority: 190, VIPSet: true}}}
	v := Build(cfg, &snap, WhichOf(&cfg.Global), Env{Iface: noIfaces})
	for oid, want := range map[string]any{
		".1.3.6.1.4.1.9586.100.5.2.3.1.3.1":   uint32(7),
		".1.3.6.1.4.1.9586.100.5.2.3.1.4.1":   int32(2),
		".1.3.6.1.4.1.9586.100.5.2.3.1.5.1":   int32(2),
		".1.3.6.1.4.1.9586.100.5.2.3.1.8.1":   int32(190),
		".1.3.6.1.4.1.9586.100.5.2.6.1.5.1.1": uint32(24),
	} {
		if got := get(v, oid).Value; got != want {
			t.Errorf("%s = %v, want %v", oid, got, want)
		}
	}
}

// TestRealServerTrapThroughSnmpd runs the agent against a real snmpd
// (AgentX master on a socket in a temporary directory, loopback ports)
// with snmptrapd: a walk shows the real server table, and a real server
// going down in the snapshot arrives as realServerStateChange.
func TestRealServerTrapThroughSnmpd(t *testing.T) {
	for _, tool := range []string{"snmpd", "snmptrapd", "snmpwalk"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Unavailable(t, "needs %s (run .ci/setup)", tool)
		}
	}
	dir := t.TempDir()
	port := func(network string) string {
		c, err := net.ListenPacket(network, "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().String()
	}
	agentAddr, trapAddr := port("udp4"), port("udp4")
	sock := filepath.Join(dir, "agentx")
	trapLog := filepath.Join(dir, "traps.log")
	os.WriteFile(filepath.Join(dir, "snmpd.conf"), []byte("master agentx\nagentXSocket "+sock+"\nrocommunity public 127.0.0.1\nagentaddress udp:"+agentAddr+"\ntrap2sink "+trapAddr+" public\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "trapd.conf"), []byte("disableAuthorization yes\n"), 0o600)
	start := func(name string, args ...string) {
		c := exec.Command(name, args...)
		c.Env = append(os.Environ(), "MIBS=", "MIBDIRS=")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Process.Kill(); c.Wait() }) // by PID
	}
	start("snmptrapd", "-f", "-C", "-c", filepath.Join(dir, "trapd.conf"), "-m", "", "-On", "-Lf", trapLog, "udp:"+trapAddr)
	start("snmpd", "-f", "-C", "-c", filepath.Join(dir, "snmpd.conf"), "-m", "", "-Lf", filepath.Join(dir, "snmpd.log"),
		"-p", filepath.Join(dir, "snmpd.pid"))

	cfg := load(t, checkerConf)
	up := make(chan bool, 1)
	up <- true
	cur := true
	src := func(bool) (*conf.Config, metrics.Snapshot) {
		select {
		case cur = <-up:
		default:
		}
		return cfg, metrics.Snapshot{RealServers: []metrics.RealServer{
			{VS: "TCP 10.1.1.1:80", RS: "10.2.2.2:8080", Up: cur, Weight: 3},
			{VS: "TCP 10.1.1.1:80", RS: "10.2.2.3:8080", Up: true, Weight: 1},
		}}
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("snmpd did not open its AgentX socket")
		}
	}
	a := Start(Options{Log: slog.New(slog.DiscardHandler), Source: src, Socket: "unix:" + sock, Which: WhichOf(&cfg.Global), Poll: 50 * time.Millisecond})
	defer a.Stop()
	var out string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		b, _ := exec.Command("snmpwalk", "-m", "", "-v2c", "-c", "public", "-On", agentAddr, ".1.3.6.1.4.1.9586.100.5.3.4").CombinedOutput()
		out = string(b)
		if strings.Contains(out, ".1.3.6.1.4.1.9586.100.5.3.4.1.6.1.1 = INTEGER: 1") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("walk: %s", out)
		}
	}
	up <- false
	want := ".1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.4.1.9586.100.5.3.5.0.1\t.1.3.6.1.4.1.9586.100.5.3.4.1.3 = INTEGER: 1\t" +
		".1.3.6.1.4.1.9586.100.5.3.4.1.4 = Hex-STRING: 0A 02 02 02 \t.1.3.6.1.4.1.9586.100.5.3.4.1.5 = Gauge32: 8080\t" +
		".1.3.6.1.4.1.9586.100.5.3.4.1.6 = INTEGER: 2"
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		b, _ := os.ReadFile(trapLog)
		if strings.Contains(string(b), want) {
			if !strings.Contains(string(b), `.1.3.6.1.4.1.9586.100.5.3.3.1.21 = Gauge32: 1`) {
				t.Errorf("realUp not 1 in %s", b)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no realServerStateChange; traps:\n%s", b)
		}
	}
}

// TestViewSorted: the view is in strictly increasing OID order (GetNext
// depends on it), the checker's part made by columnOrder included.
func TestViewSorted(t *testing.T) {
	cfg := load(t, checkerConf+strings.Replace(checkerConf[strings.Index(checkerConf, "virtual_server"):], "10.1.1.1 80", "10.1.1.1 81", 1))
	cfg.Global.EnableSNMPVRRP, cfg.Global.EnableSNMPRFCv2, cfg.Global.EnableSNMPRFCv3 = true, true, true
	cfg.VRRPInstances = []*conf.VRRPInstance{{Name: "VI_1", State: "BACKUP", Interface: "eth9", VRID: 7, Version: 2,
		AdvertInt: time.Second, VIPs: []conf.IPAddress{{Prefix: netip.MustParsePrefix("10.9.9.9/24")}}}}
	snap := metrics.Snapshot{VRRP: []dumps.Instance{{Name: "VI_1", State: 1}}}
	v := Build(cfg, &snap, WhichOf(&cfg.Global), Env{Iface: noIfaces})
	if len(cfg.VirtualServers) != 2 || len(v) < 200 {
		t.Fatalf("%d virtual servers, %d objects", len(cfg.VirtualServers), len(v))
	}
	for i := 1; i < len(v); i++ {
		if agentx.Compare(v[i-1].Name, v[i].Name) >= 0 {
			t.Fatalf("not increasing at %d: %s then %s", i, v[i-1].Name, v[i].Name)
		}
	}
}
