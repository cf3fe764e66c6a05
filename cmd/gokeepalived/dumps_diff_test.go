package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

const keepalivedBin = "/usr/sbin/keepalived"

// dumpsTarget is the node under test: a tracked script whose result the
// test flips through the file "ok" next to it.
func dumpsTarget(dir string) string {
	return `global_defs {
 router_id diff
 script_user root
}
vrrp_script chk {
 script "/bin/sh ` + dir + `/chk.sh"
 interval 1
 fall 1
 rise 1
 weight -20
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
  chk
 }
 track_interface {
  dum0 weight -10
 }
 notify_backup "/bin/true backup"
 notify "/bin/true"
}
`
}

// dumpsPeer preempts the target once started.
const dumpsPeer = `global_defs {
 router_id peer
}
vrrp_instance VI_1 {
 state BACKUP
 interface eth0
 virtual_router_id 51
 priority 200
 advert_int 1
 authentication {
  auth_type PASS
  auth_pass secret
 }
 virtual_ipaddress {
  10.77.0.100/24
 }
}
`

// dataDeliberate are keepalived.data lines (by key) keepalived writes and
// we do not, with why. Each is counted, not compared.
var dataDeliberate = map[string]string{
	"Flags":                   "keepalived prints its option bitfield: \"none\" only when no option bit is set",
	"Number of config faults": "keepalived's internal fault counters; we keep the state, not the counts",
	"Number of interface and track script faults": "as above",
	"Number of track scripts init":                "as above",
	"Total priority":                              "keepalived's pre-clamp sum; we keep the effective priority only",
	"fd_in":                                       "file descriptor numbers",
	"Insecure":                                    "script security verdict not kept per script",
	"Password":                                    "masked, as keepalived 2.4.3 does",
}

// dumpsNode is one side: the target and its peer, in their namespaces.
type dumpsNode struct {
	name   string
	dir    string
	target *gkProc
}

func startDumpsNode(t *testing.T, name string, ours bool) *dumpsNode {
	a, b := nstest.Pair(t)
	for _, s := range [][]string{{"-n", a.Name, "link", "add", "dum0", "type", "veth", "peer", "name", "dum1"}, {"-n", a.Name, "link", "set", "dum0", "up"}, {"-n", a.Name, "link", "set", "dum1", "up"}} {
		if err := nstest.IP(s...); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ok"), []byte("0\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "chk.sh"), []byte("exit $(cat "+dir+"/ok)\n"), 0o755)
	cf := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(cf, []byte(dumpsTarget(dir)), 0o644)
	n := &dumpsNode{name: name, dir: dir}
	env := []string{"TMPDIR=" + dir}
	if ours {
		self, _ := os.Executable()
		n.target = startCmd(t, a.Command(self, "-n", "-l", "-D", "-P", "-f", cf, "-p", filepath.Join(dir, "k.pid"),
			"-r", filepath.Join(dir, "v.pid"), "--control-socket", filepath.Join(dir, "gk.sock")), env)
	} else {
		n.target = startCmd(t, a.Command(keepalivedBin, "-n", "-l", "-D", "-P", "-f", cf, "-p", filepath.Join(dir, "k.pid"),
			"-r", filepath.Join(dir, "v.pid"), "-c", filepath.Join(dir, "c.pid")), env)
	}
	t.Cleanup(func() { n.target.signal(syscall.SIGTERM); n.target.wait() })
	n.target.waitFor("(VI_1) Entering MASTER STATE", 1)
	pdir := t.TempDir()
	pcf := filepath.Join(pdir, "keepalived.conf")
	os.WriteFile(pcf, []byte(dumpsPeer), 0o644)
	peer := startCmd(t, b.Command(keepalivedBin, "-n", "-l", "-D", "-P", "-f", pcf, "-p", filepath.Join(pdir, "k.pid"),
		"-r", filepath.Join(pdir, "v.pid"), "-c", filepath.Join(pdir, "c.pid")), []string{"TMPDIR=" + pdir})
	t.Cleanup(func() { peer.signal(syscall.SIGTERM); peer.wait() })
	n.target.waitFor("(VI_1) Entering BACKUP STATE", 2) // init, then preempted
	return n
}

// failScript makes the tracked script fail and waits until it has.
func (n *dumpsNode) failScript(t *testing.T) {
	os.WriteFile(filepath.Join(n.dir, "ok"), []byte("1\n"), 0o644)
	n.target.waitFor("VRRP_Script(chk) failed", 1)
}

// dumps asks for the three dumps and returns them.
func (n *dumpsNode) dumps(t *testing.T) (data, stats, js []byte) {
	for _, f := range []string{"keepalived.data", "keepalived.stats", "keepalived.json"} {
		os.Remove(filepath.Join(n.dir, f))
	}
	n.target.signal(syscall.SIGUSR1)
	data = waitFile(t, filepath.Join(n.dir, "keepalived.data"))
	n.target.signal(syscall.SIGUSR2)
	stats = waitFile(t, filepath.Join(n.dir, "keepalived.stats"))
	n.target.signal(daemon.SigJSON)
	js = waitFile(t, filepath.Join(n.dir, "keepalived.json"))
	time.Sleep(100 * time.Millisecond) // keepalived writes in place: let it finish
	data, _ = os.ReadFile(filepath.Join(n.dir, "keepalived.data"))
	stats, _ = os.ReadFile(filepath.Join(n.dir, "keepalived.stats"))
	js, _ = os.ReadFile(filepath.Join(n.dir, "keepalived.json"))
	return data, stats, js
}

// dataSections returns the VRRP Topology and VRRP Scripts sections of a
// keepalived.data, normalised, and the names of the other sections.
func dataSections(b []byte, dir string) (lines []string, other []string) {
	sec := ""
	lt := regexp.MustCompile(`= \d+\.\d{6} \(.*\)$`)
	for _, l := range strings.Split(strings.ReplaceAll(string(b), dir, "$DIR"), "\n") {
		if strings.HasPrefix(l, "------<") {
			sec = l
			if sec != "------< VRRP Topology >------" && sec != "------< VRRP Scripts >------" {
				other = append(other, sec)
			}
			continue
		}
		if l == "" || (sec != "------< VRRP Topology >------" && sec != "------< VRRP Scripts >------") {
			continue
		}
		l = lt.ReplaceAllString(l, "= TIME")
		// whether the 1 s script is running at the instant of the dump
		// is timing (a loaded machine forks it slower), not state
		if sec == "------< VRRP Scripts >------" && (strings.TrimSpace(l) == "State = running" || strings.TrimSpace(l) == "State = idle") {
			l = "   State = idle or running"
		}
		lines = append(lines, sec+l)
	}
	return lines, other
}

func dataKey(l string) string {
	l = strings.TrimSpace(l[strings.Index(l, ">------")+len(">------"):])
	k, _, _ := strings.Cut(l, " = ")
	k, _, _ = strings.Cut(k, ":")
	if strings.HasPrefix(k, "Multicast address ") {
		return "Multicast address"
	}
	if strings.HasPrefix(k, "fd_in") {
		return "fd_in"
	}
	return k
}

// TestDumpsDifferential runs keepalived 2.2.7 and gokeepalived on the same
// VRRP configuration, each in its own pair of namespaces with a keepalived
// peer, through the same events (start as MASTER, preempted by a priority
// 200 peer, a tracked script failing), then compares keepalived.data's
// VRRP sections, keepalived.stats and keepalived.json field by field.
func TestDumpsDifferential(t *testing.T) {
	nstest.Require(t, keepalivedBin)
	kd := startDumpsNode(t, "keepalived", false)
	gd := startDumpsNode(t, "gokeepalived", true)
	t.Run("preempted", func(t *testing.T) { compareDumps(t, kd, gd) })
	kd.failScript(t)
	gd.failScript(t)
	t.Run("script failed", func(t *testing.T) { compareDumps(t, kd, gd) })
}

func compareDumps(t *testing.T, kd, gd *dumpsNode) {
	time.Sleep(1500 * time.Millisecond) // the priority change reaches both
	kData, kStats, kJSON := kd.dumps(t)
	gData, gStats, gJSON := gd.dumps(t)
	var compared, equal, deliberate int
	var diffs []string

	// keepalived.data
	kl, kother := dataSections(kData, kd.dir)
	gl, gother := dataSections(gData, gd.dir)
	gl = slices.DeleteFunc(gl, func(l string) bool { return dataKey(l) == "Password" }) // ours is masked
	var kf []string
	for _, l := range kl {
		if why, ok := dataDeliberate[dataKey(l)]; ok {
			deliberate++
			t.Logf("deliberate: data %q: %s", strings.TrimSpace(l[strings.Index(l, ">------")+7:]), why)
			continue
		}
		kf = append(kf, l)
	}
	for i := 0; i < max(len(kf), len(gl)); i++ {
		compared++
		k, g := "(none)", "(none)"
		if i < len(kf) {
			k = kf[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if k == g {
			equal++
		} else {
			diffs = append(diffs, fmt.Sprintf("data line %d: keepalived %q, ours %q", i, k, g))
		}
	}
	for _, s := range kother {
		deliberate++
		t.Logf("deliberate: data section %s: keepalived_parent.data/other subsystems hold what we write of it", s)
	}
	if len(gother) > 0 {
		diffs = append(diffs, fmt.Sprintf("data: sections only we write: %q", gother))
	}

	// keepalived.stats: "Section: Key" → value; advert counts depend on timing.
	stats := func(b []byte) map[string]string {
		m := map[string]string{}
		sec := ""
		for _, l := range strings.Split(string(b), "\n") {
			k, v, _ := strings.Cut(strings.TrimSpace(l), ":")
			if v = strings.TrimSpace(v); v == "" {
				if !strings.HasPrefix(l, "    ") {
					sec = k
				}
				continue
			}
			if strings.HasPrefix(l, "    ") {
				k = sec + "/" + k
			}
			m[k] = v
		}
		return m
	}
	timing := map[string]bool{"Advertisements/Received": true, "Advertisements/Sent": true,
		"advert_rcvd": true, "advert_sent": true}
	cmpField := func(what, k string, kv, gv any) {
		compared++
		if timing[k] {
			if fmt.Sprint(kv) != "0" && fmt.Sprint(gv) != "0" && gv != nil {
				equal++
				return
			}
		} else if reflect.DeepEqual(kv, gv) {
			equal++
			return
		}
		diffs = append(diffs, fmt.Sprintf("%s %s: keepalived %v, ours %v", what, k, kv, gv))
	}
	ks, gs := stats(kStats), stats(gStats)
	keys := func(m map[string]string) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	for _, k := range keys(ks) {
		gv, ok := gs[k]
		if !ok {
			cmpField("stats", k, ks[k], nil)
			continue
		}
		cmpField("stats", k, ks[k], gv)
	}
	for _, k := range keys(gs) {
		if _, ok := ks[k]; !ok {
			diffs = append(diffs, "stats: only ours has "+k)
		}
	}

	// keepalived.json
	var kj, gj []map[string]map[string]any
	if err := json.Unmarshal(kJSON, &kj); err != nil || len(kj) != 1 {
		t.Fatalf("keepalived json: %v\n%s", err, kJSON)
	}
	if err := json.Unmarshal([]byte(strings.ReplaceAll(string(gJSON), gd.dir, kd.dir)), &gj); err != nil || len(gj) != 1 {
		t.Fatalf("our json: %v\n%s", err, gJSON)
	}
	for _, part := range []string{"data", "stats"} {
		km, gm := kj[0][part], gj[0][part]
		for k, kv := range km {
			gv, ok := gm[k]
			if k == "auth_data" {
				deliberate++ // masked, as keepalived 2.4.3 does
				continue
			}
			if k == "last_transition" && ok {
				compared++
				equal++ // a time: present on both
				continue
			}
			if !ok {
				gv = nil
			}
			cmpField("json "+part, k, kv, gv)
		}
		for k := range gm {
			if _, ok := km[k]; !ok {
				diffs = append(diffs, fmt.Sprintf("json %s: only ours has %s", part, k))
			}
		}
	}
	sort.Strings(diffs)
	for _, d := range diffs {
		t.Error(d)
	}
	t.Logf("dumps differential: %d fields compared, %d equal, %d deliberate differences", compared, equal, deliberate)
	if t.Failed() {
		t.Logf("keepalived.data (keepalived):\n%s\nkeepalived.data (ours):\n%s", kData, gData)
	}
}
