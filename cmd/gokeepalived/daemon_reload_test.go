package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/netnstest"
)

// reloadConf is one VRRP instance on eth0 tracking /bin/true (a script
// without enable_script_security: keepalived -t says 6), with global
// lines and VIPs to vary; broken drops the instance's last '}'.
func reloadConf(global string, vips []string, broken bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global_defs {\n router_id LB1\n%s}\nvrrp_script chk {\n script \"/bin/true\"\n interval 1\n}\n", global)
	b.WriteString("vrrp_instance VI_1 {\n state BACKUP\n interface eth0\n virtual_router_id 53\n priority 150\n advert_int 1\n" +
		" track_script {\n  chk\n }\n virtual_ipaddress {\n")
	for _, v := range vips {
		fmt.Fprintf(&b, "  %s/32\n", v)
	}
	b.WriteString(" }\n")
	if !broken {
		b.WriteString("}\n")
	}
	return b.String()
}

type reloadStatus struct {
	Config struct {
		MatchesDisk bool `json:"matches_disk"`
		LastReload  *struct {
			Applied  bool     `json:"applied"`
			Problems []string `json:"problems"`
		} `json:"last_reload"`
		Reloads uint64 `json:"reloads_applied"`
		Refused uint64 `json:"reloads_refused"`
	} `json:"config"`
}

// TestDaemonReloadRule: the daemon started on a file that keepalived 2.2.7
// and we rate 5/6 at -t (an unknown keyword, a script without
// enable_script_security) applies reloads of such files, as keepalived
// does; a file missing a '}' is refused with the running configuration
// kept, and status and /metrics say the running configuration is not the
// file on disk; reload_check_config in the running configuration makes
// any -t failure refuse, writing the messages to its log file.
func TestDaemonReloadRule(t *testing.T) {
	netnstest.Require(t, "keepalived")
	ns := netnstest.New(t, "gkrr", "eth0")
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	const warn = " foo_bar 1\n"
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(cf, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(reloadConf(warn, []string{"10.99.0.200"}, false))

	self, _ := os.Executable()
	ka, kaErr := ns.Command("keepalived", "-t", "-f", cf).CombinedOutput()
	ours := ns.Command(self, "--compat", "2.2.7", "-t", "-f", cf)
	ours.Env = append(os.Environ(), "GOKEEPALIVED_AS_MAIN=1")
	ourOut, ourErr := ours.CombinedOutput()
	if k, o := exitCode(kaErr), exitCode(ourErr); k < 5 || k != o {
		t.Fatalf("-t on the start-up file: keepalived %d, ours %d (want the same, 5 or 6)\nkeepalived:\n%s\nours:\n%s",
			k, o, indent(ka), indent(ourOut))
	}

	sock := filepath.Join(dir, "gk.sock")
	const metricsAddr = "127.0.0.1:9651" // the namespace's own loopback
	p := startCmd(t, ns.Command(self, "-n", "-l", "-G", "-P", "-f", cf, "-p", filepath.Join(dir, "k.pid"),
		"-r", filepath.Join(dir, "v.pid"), "--control-socket", sock, "--metrics-address", metricsAddr),
		[]string{"TMPDIR=" + dir})
	p.waitFor("(VI_1) Entering MASTER STATE", 1)
	waitAddr := func(addr string, want bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for hasAddr(t, ns.Name, addr) != want {
			if time.Now().After(deadline) {
				t.Fatalf("VIP %s present=%v, want %v:\n%s", addr, !want, want, p.log())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitAddr("10.99.0.200", true)
	status := func() reloadStatus {
		t.Helper()
		var out bytes.Buffer
		if rc := run([]string{"status", "--control-socket", sock}, &out, os.Stderr); rc != 0 {
			t.Fatalf("status rc %d", rc)
		}
		var st reloadStatus
		if err := json.Unmarshal(out.Bytes(), &st); err != nil {
			t.Fatalf("status: %v\n%s", err, out.String())
		}
		return st
	}
	metric := func(name string) string {
		t.Helper()
		out, err := ns.Command("curl", "-sf", "http://"+metricsAddr+"/metrics").Output()
		if err != nil {
			t.Fatalf("scrape: %v", err)
		}
		for _, l := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(l, name+" "); ok {
				return v
			}
		}
		t.Fatalf("no %s in:\n%s", name, out)
		return ""
	}

	// A file with warnings and a security notice is applied.
	write(reloadConf(warn, []string{"10.99.0.200", "10.99.0.201"}, false))
	p.signal(syscall.SIGHUP)
	p.waitFor("Reload complete", 1)
	waitAddr("10.99.0.201", true)
	if st := status(); !st.Config.MatchesDisk || st.Config.Reloads != 1 || st.Config.LastReload == nil || !st.Config.LastReload.Applied {
		t.Errorf("status after an applied reload: %+v", st.Config)
	}

	// A missing '}' is refused; the running configuration stays.
	write(reloadConf(warn, []string{"10.99.0.200", "10.99.0.201", "10.99.0.202"}, true))
	p.signal(syscall.SIGHUP)
	p.waitFor("keeping the running configuration", 1)
	if !strings.Contains(p.log(), "Reload refused: ") || !strings.Contains(p.log(), cf+":") {
		t.Errorf("refusal not logged with the position:\n%s", p.log())
	}
	time.Sleep(300 * time.Millisecond)
	if hasAddr(t, ns.Name, "10.99.0.202") || !hasAddr(t, ns.Name, "10.99.0.201") {
		t.Errorf("a refused reload changed the VIPs:\n%s", p.log())
	}
	st := status()
	if st.Config.MatchesDisk || st.Config.Refused != 1 || st.Config.LastReload == nil || st.Config.LastReload.Applied ||
		len(st.Config.LastReload.Problems) == 0 || !strings.HasPrefix(st.Config.LastReload.Problems[0], cf+":") {
		t.Errorf("status after a refused reload: %+v", st.Config)
	}
	for name, want := range map[string]string{
		"gokeepalived_config_matches_disk":                    "0",
		"gokeepalived_config_last_reload_successful":          "0",
		`gokeepalived_config_reloads_total{result="refused"}`: "1",
		`gokeepalived_config_reloads_total{result="applied"}`: "1",
	} {
		if got := metric(name); got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}

	// Mended, it is applied; reload_check_config now runs.
	checkLog := filepath.Join(dir, "check.log")
	write(reloadConf(" reload_check_config "+checkLog+"\n", []string{"10.99.0.200", "10.99.0.201", "10.99.0.202"}, false))
	p.signal(syscall.SIGHUP)
	p.waitFor("Reload complete", 2)
	waitAddr("10.99.0.202", true)
	if got := metric("gokeepalived_config_matches_disk"); got != "1" {
		t.Errorf("matches_disk after the mended reload = %s", got)
	}

	// With reload_check_config running, an unknown keyword refuses.
	write(reloadConf(" reload_check_config "+checkLog+"\n"+warn, []string{"10.99.0.200", "10.99.0.203"}, false))
	p.signal(syscall.SIGHUP)
	p.waitFor("New config failed validation, see "+checkLog+" for details", 1)
	if b, err := os.ReadFile(checkLog); err != nil || !strings.Contains(string(b), "Unknown keyword 'foo_bar'") {
		t.Errorf("reload_check_config log: %v %q", err, b)
	}
	time.Sleep(300 * time.Millisecond)
	if hasAddr(t, ns.Name, "10.99.0.203") || !hasAddr(t, ns.Name, "10.99.0.202") {
		t.Errorf("a reload refused by reload_check_config changed the VIPs:\n%s", p.log())
	}
	if strings.Count(p.log(), "Entering") != 2 {
		t.Errorf("a reload caused a transition:\n%s", p.log())
	}
	p.signal(syscall.SIGTERM)
	if rc := p.wait(); rc != 0 {
		t.Errorf("exit %d", rc)
	}
}

// TestDaemonReloadStrict: with --strict the daemon refuses a reload onto
// a file with any problem, where without it the file is applied.
func TestDaemonReloadStrict(t *testing.T) {
	netnstest.Require(t)
	ns := netnstest.New(t, "gkrs", "eth0")
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(cf, []byte(reloadConf("", []string{"10.99.0.200"}, false)), 0o644)
	self, _ := os.Executable()
	p := startCmd(t, ns.Command(self, "-n", "-l", "-G", "-P", "--strict", "-f", cf, "-p", filepath.Join(dir, "k.pid"),
		"-r", filepath.Join(dir, "v.pid"), "--control-socket", filepath.Join(dir, "gk.sock")),
		[]string{"TMPDIR=" + dir})
	p.waitFor("(VI_1) Entering MASTER STATE", 1)
	os.WriteFile(cf, []byte(reloadConf(" foo_bar 1\n", []string{"10.99.0.200", "10.99.0.201"}, false)), 0o644)
	p.signal(syscall.SIGHUP)
	p.waitFor("keeping the running configuration", 1)
	if !strings.Contains(p.log(), "Unknown keyword 'foo_bar'") {
		t.Errorf("refusal does not name the problem:\n%s", p.log())
	}
	time.Sleep(300 * time.Millisecond)
	if hasAddr(t, ns.Name, "10.99.0.201") {
		t.Errorf("--strict applied a file with an unknown keyword:\n%s", p.log())
	}
	p.signal(syscall.SIGTERM)
	if rc := p.wait(); rc != 0 {
		t.Errorf("exit %d", rc)
	}
}

// TestConfigTestStrict: --strict turns what keepalived only logs or fixes
// up into errors (exit 5, kind "error"), and leaves a clean file at 0.
func TestConfigTestStrict(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, text       string
		plain, strict    int
		strictMsgContain string
	}{
		{"clean", "global_defs {\n router_id A\n}\n", 0, 0, ""},
		// A glob that matches nothing is only logged by keepalived.
		{"empty glob", "include " + filepath.Join(dir, "none", "*.conf") + "\nglobal_defs {\n router_id A\n}\n", 0, 5, ": error: "},
		{"unknown keyword", "global_defs {\n foo_bar 1\n}\n", 5, 5, ": error: Unknown keyword 'foo_bar'"},
		{"missing brace", "global_defs {\n router_id A\n", 5, 5, "missing '}'"},
	}
	for _, c := range cases {
		f := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".conf")
		os.WriteFile(f, []byte(c.text), 0o644)
		for _, strict := range []bool{false, true} {
			args := []string{"-t", "-f", f}
			want := c.plain
			if strict {
				args, want = append(args, "--strict"), c.strict
			}
			var errb bytes.Buffer
			rc := run(args, &bytes.Buffer{}, &errb)
			if rc != want {
				t.Errorf("%s %v: exit %d, want %d\n%s", c.name, args, rc, want, errb.String())
			}
			if strict && c.strictMsgContain != "" && !strings.Contains(errb.String(), c.strictMsgContain) {
				t.Errorf("%s --strict: no %q in\n%s", c.name, c.strictMsgContain, errb.String())
			}
		}
	}
	if _, err := exec.LookPath("keepalived"); err == nil {
		// The plain verdicts are keepalived's.
		for _, c := range cases {
			f := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".conf")
			if rc := exitCode(exec.Command("keepalived", "-t", "-f", f).Run()); rc != c.plain {
				t.Errorf("%s: keepalived 2.2.7 -t = %d, the table says %d", c.name, rc, c.plain)
			}
		}
	}
}
