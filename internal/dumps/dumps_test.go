package dumps

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// ka227 is the instance keepalived 2.2.7 dumped into testdata (one VRRPv2
// master on eth0, VIP 10.9.9.9, after two adverts).
func ka227() Instance {
	return Instance{
		Name: "VI_1", Interface: "eth0", VRID: 51, Version: 2,
		State: StateMaster, WantState: StateMaster, BasePriority: 100, EffectivePriority: 100,
		LastTransition: time.UnixMicro(1795454563998482),
		ReadTimeout:    time.UnixMicro(1795454565998821), MasterDownTimer: 3609375 * time.Microsecond,
		MulticastAddr: "224.0.0.18", DownTimerAdverts: 3,
		AdverInt: time.Second, MasterAdverInt: time.Second,
		GARPDelay: 5 * time.Second, GARPRepeat: 5, GARPRefreshRepeat: 1,
		GARPLowerDelay: 5 * time.Second, GARPLowerRepeat: 5,
		VIPSet: true, Accept: true, SourceIP: "10.1.1.1",
		VIPs:  []string{"10.9.9.9 dev eth0 scope global set"},
		Stats: Stats{AdvertSent: 2, BecomeMaster: 1},
	}
}

func TestStatsMatchKeepalived(t *testing.T) {
	want, err := os.ReadFile("testdata/ka227.stats")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	WriteStats(&b, []Instance{ka227()})
	if b.String() != string(want) {
		t.Errorf("stats differ from keepalived 2.2.7's:\n%s\nwant:\n%s", b.String(), want)
	}
}

// TestJSONMatchesKeepalived compares key order and values with the file
// keepalived wrote (its advert_sent was 3 when it wrote the JSON).
func TestJSONMatchesKeepalived(t *testing.T) {
	want, err := os.ReadFile("testdata/ka227.json")
	if err != nil {
		t.Fatal(err)
	}
	in := ka227()
	in.Stats.AdvertSent = 3
	var b bytes.Buffer
	if err := WriteJSON(&b, []Instance{in}, 1); err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("json differs from keepalived 2.2.7's:\n got %s\nwant %s", b.String(), want)
	}
	var parsed []map[string]map[string]any
	if err := json.Unmarshal(b.Bytes(), &parsed); err != nil {
		t.Fatal(err)
	}
}

// TestDataLinesKeepalivedWrote: every line we write for the instance is a
// line keepalived 2.2.7 wrote for the same instance, in the same order.
func TestDataLinesKeepalivedWrote(t *testing.T) {
	ka, err := os.ReadFile("testdata/ka227-topology.data")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	WriteData(&b, []Instance{ka227()}, nil)
	theirs := strings.Split(strings.TrimRight(string(ka), "\n"), "\n")
	ours := b.String()
	at := 0
	sc := bufio.NewScanner(strings.NewReader(ours))
	n := 0
	for sc.Scan() {
		line := sc.Text()
		for at < len(theirs) && theirs[at] != line {
			at++
		}
		if at == len(theirs) {
			t.Errorf("line %q is not in keepalived's dump (or out of order)", line)
			return
		}
		n++
	}
	// The lines keepalived-exporter keys on must all be there.
	for _, k := range []string{" VRRP Instance = VI_1", "   State = MASTER", "   Wantstate = MASTER", "   Interface = eth0",
		"   Virtual Router ID = 51", "   Virtual IP (1):", "   Gratuitous ARP delay = 5"} {
		if !strings.Contains(ours, k+"\n") {
			t.Errorf("no %q", k)
		}
	}
	if n < 15 {
		t.Errorf("only %d lines written", n)
	}
}

func TestDataScripts(t *testing.T) {
	var b bytes.Buffer
	WriteData(&b, nil, []Script{{Name: "chk", Command: "/bin/true", Interval: 2 * time.Second, Timeout: 2 * time.Second,
		Weight: -10, Reverse: true, Rise: 1, Fall: 3, Good: true, Users: []string{"VI_1, weight -10"}}})
	got := b.String()
	for _, want := range []string{" VRRP Script = chk\n", "   Command = /bin/true\n", "   Weight = -10 reverse\n", "   Status = GOOD\n", "   State = idle\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in\n%s", want, got)
		}
	}
}

func TestAdvertInterval(t *testing.T) {
	for _, c := range []struct {
		v    int
		d    time.Duration
		want string
	}{{2, time.Second, "1 sec"}, {3, 50 * time.Millisecond, "50 milli-sec"}, {3, time.Second, "1000 milli-sec"}} {
		if got := advertInterval(c.v, c.d); got != c.want {
			t.Errorf("advertInterval(%d, %v) = %q, want %q", c.v, c.d, got, c.want)
		}
	}
}

// TestHMACDumpsKeepalived243: with auth_hmac, the data dump's extension
// lines and the stats file's extension section are keepalived 2.4.3's
// (testdata: excerpts of its dumps of the same settings); without, the
// dumps stay 2.2.7's.
func TestHMACDumpsKeepalived243(t *testing.T) {
	in := ka227()
	in.AuthType = 0
	in.HMAC = &HMAC{Keys: 2, ActiveKey: 2, Mode: "permissive", AntiReplayTime: true, Window: 5}
	for _, c := range []struct {
		file  string
		write func(*bytes.Buffer, Instance)
	}{
		{"testdata/ka243-hmac.data", func(b *bytes.Buffer, in Instance) { WriteData(b, []Instance{in}, nil) }},
		{"testdata/ka243-hmac.stats", func(b *bytes.Buffer, in Instance) { WriteStats(b, []Instance{in}) }},
	} {
		want, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		c.write(&b, in)
		if !strings.Contains(b.String(), string(want)) {
			t.Errorf("%s: not in our dump:\n%s", c.file, b.String())
		}
		b.Reset()
		c.write(&b, ka227())
		if strings.Contains(b.String(), "xtension") {
			t.Errorf("%s: extension lines without auth_hmac", c.file)
		}
	}
	var b bytes.Buffer
	in.Stats.AuthExtReplay = 3
	if err := WriteJSON(&b, []Instance{in}, 1); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"auth_failure":0,"auth_ext_missing":0,"auth_ext_malformed":0,"auth_ext_unknown_key":0,"auth_ext_invalid_hmac":0,"auth_ext_stale":0,"auth_ext_replay":3,"pri_zero_rcvd"`) {
		t.Errorf("JSON stats: %s", b.String())
	}
}
