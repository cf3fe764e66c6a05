package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/internal/testenv"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// dumps243Config uses keepalived 2.4.3's dump keywords: the state dump
// under a directory of its own with a file name of its own, json_version
// 2, and stats and JSON paths (which 2.4.3 parses but does not use).
func dumps243Config(dir string) string {
	return `global_defs {
 router_id d243
 state_dump_file ` + dir + `/state/ka-state.txt
 stats_dump_file ` + dir + `/stats/
 json_dump_file vrrp.json
 json_version 2
}
vrrp_instance VI_1 {
 state MASTER
 interface eth0
 virtual_router_id 61
 priority 100
 advert_int 1
 authentication {
  auth_type PASS
  auth_pass secret
 }
 virtual_ipaddress {
  10.78.0.100/24
 }
}
`
}

// only243 are JSON stats keepalived 2.4.3 writes that come with
// auth_hmac (another piece of the 2.4.3 work), not with the dump format.
var only243 = map[string]bool{"auth_ext_missing": true, "auth_ext_malformed": true, "auth_ext_unknown_key": true,
	"auth_ext_invalid_hmac": true, "auth_ext_stale": true, "auth_ext_replay": true}

// TestDumpFiles243 runs keepalived 2.4.3 and gokeepalived on the same
// config with state_dump_file, stats_dump_file, json_dump_file and
// json_version 2, asks each for its three dumps, and compares where the
// files went and what they hold: the state dumps at the configured path
// (the parent's with "_parent" before the dot), the version 2 JSON
// object {"vrrp":[…]} with the same keys, the password masked in both.
// The stats and JSON paths are ours alone: 2.4.3 writes those files to
// the temporary directory whatever is set (docs/differences.md).
func TestDumpFiles243(t *testing.T) {
	nstest.Require(t)
	bin := testenv.Keepalived243(t)
	type side struct {
		dir             string
		data, parent    []byte
		stats, js       []byte
		statsAt, jsonAt string
	}
	run := func(t *testing.T, ours bool) side {
		a, _ := nstest.Pair(t)
		dir := t.TempDir()
		for _, d := range []string{"state", "stats", "tmp"} {
			if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		cf := filepath.Join(dir, "keepalived.conf")
		os.WriteFile(cf, []byte(dumps243Config(dir)), 0o644)
		tmp := filepath.Join(dir, "tmp")
		var p *gkProc
		if ours {
			self, _ := os.Executable()
			p = startCmd(t, a.Command(self, "-n", "-l", "-D", "-P", "-f", cf, "-p", filepath.Join(dir, "k.pid"),
				"-r", filepath.Join(dir, "v.pid"), "--control-socket", filepath.Join(dir, "gk.sock")), []string{"TMPDIR=" + tmp})
		} else {
			p = startCmd(t, a.Command(bin, "-n", "-l", "-D", "-P", "-f", cf, "-p", filepath.Join(dir, "k.pid"),
				"-r", filepath.Join(dir, "v.pid"), "-c", filepath.Join(dir, "c.pid")), []string{"TMPDIR=" + tmp})
		}
		t.Cleanup(func() { p.signal(syscall.SIGTERM); p.wait() })
		p.waitFor("(VI_1) Entering MASTER STATE", 1)
		s := side{dir: dir, statsAt: filepath.Join(tmp, "keepalived.stats"), jsonAt: filepath.Join(tmp, "keepalived.json")}
		if ours {
			s.statsAt, s.jsonAt = filepath.Join(dir, "stats", "keepalived.stats"), filepath.Join(tmp, "vrrp.json")
		}
		p.signal(syscall.SIGUSR1)
		s.data = waitContent(t, filepath.Join(dir, "state", "ka-state.txt"), "VRRP Topology")
		s.parent = waitContent(t, filepath.Join(dir, "state", "ka-state_parent.txt"), "Global definitions")
		p.signal(syscall.SIGUSR2)
		s.stats = waitContent(t, s.statsAt, "VRRP Instance: VI_1")
		p.signal(daemon.SigJSON)
		s.js = waitContent(t, s.jsonAt, "]}")
		for _, f := range []string{"keepalived.data", "keepalived_parent.data"} {
			if _, err := os.Stat(filepath.Join(tmp, f)); err == nil {
				t.Errorf("%s written to the temporary directory despite state_dump_file", f)
			}
		}
		return s
	}
	ka := run(t, false)
	gk := run(t, true)

	for _, s := range []struct {
		who string
		side
	}{{"keepalived 2.4.3", ka}, {"gokeepalived", gk}} {
		if !strings.Contains(string(s.data), "Password = ********") || strings.Contains(string(s.data), "secret") {
			t.Errorf("%s: state dump does not mask the password:\n%s", s.who, s.data)
		}
		if !strings.Contains(string(s.parent), "Global definitions") {
			t.Errorf("%s: parent dump:\n%s", s.who, s.parent)
		}
		if !strings.Contains(string(s.stats), "VRRP Instance: VI_1") {
			t.Errorf("%s: stats dump:\n%s", s.who, s.stats)
		}
	}

	// JSON: the version 2 object, the same keys, the password masked.
	keys := func(who string, b []byte) (top []string, data, stats map[string]any) {
		var v map[string][]map[string]map[string]any
		if err := json.Unmarshal(b, &v); err != nil || len(v["vrrp"]) != 1 {
			t.Fatalf("%s json: %v\n%s", who, err, b)
		}
		for k := range v {
			top = append(top, k)
		}
		return top, v["vrrp"][0]["data"], v["vrrp"][0]["stats"]
	}
	kTop, kData, kStats := keys("keepalived 2.4.3", ka.js)
	gTop, gData, gStats := keys("gokeepalived", gk.js)
	if strings.Join(kTop, ",") != strings.Join(gTop, ",") {
		t.Errorf("json top-level keys: keepalived %v, ours %v", kTop, gTop)
	}
	for _, part := range []struct {
		name string
		k, g map[string]any
	}{{"data", kData, gData}, {"stats", kStats, gStats}} {
		var onlyK, onlyG []string
		for k := range part.k {
			if _, ok := part.g[k]; !ok && !only243[k] {
				onlyK = append(onlyK, k)
			}
		}
		for k := range part.g {
			if _, ok := part.k[k]; !ok {
				onlyG = append(onlyG, k)
			}
		}
		sort.Strings(onlyK)
		sort.Strings(onlyG)
		if len(onlyK)+len(onlyG) > 0 {
			t.Errorf("json %s keys: only keepalived %v, only ours %v", part.name, onlyK, onlyG)
		}
		t.Logf("json %s: %d keys keepalived, %d ours", part.name, len(part.k), len(part.g))
	}
	for who, d := range map[string]map[string]any{"keepalived 2.4.3": kData, "gokeepalived": gData} {
		if d["auth_data"] != "********" {
			t.Errorf("%s json auth_data = %v, want masked", who, d["auth_data"])
		}
	}
	for _, k := range []string{"iname", "vrid", "state", "base_priority", "effective_priority", "auth_type", "vips"} {
		if !jsonEqual(kData[k], gData[k]) {
			t.Errorf("json data %s: keepalived %v, ours %v", k, kData[k], gData[k])
		}
	}
}

// waitContent waits for path to hold want: keepalived renames its file
// into place before it has written it.
func waitContent(t *testing.T, path, want string) []byte {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(b), want) {
			time.Sleep(50 * time.Millisecond) // the rest of the file
			b, _ = os.ReadFile(path)
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %q after 5s (%v):\n%s", path, want, err, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
