package conf

import (
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

var (
	asRoot   = scriptCred{0, 0}
	asNobody = scriptCred{65534, 65534}
)

func TestIsExecutable(t *testing.T) {
	for _, c := range []struct {
		mode     uint32
		uid, gid uint32
		cred     scriptCred
		want     bool
	}{
		{0o100, 5, 5, asRoot, true}, // root: any x bit
		{0o001, 5, 5, asRoot, true},
		{0o644, 0, 0, asRoot, false},
		{0o700, 65534, 0, asNobody, true},  // owner bit
		{0o070, 65534, 0, asNobody, false}, // owner without u+x
		{0o010, 0, 65534, asNobody, true},  // group bit
		{0o001, 0, 65534, asNobody, false}, // in the group: other bit does not apply
		{0o001, 0, 0, asNobody, true},      // other bit
		{0o010, 0, 0, scriptCred{65534, 0}, true},
	} {
		st := FileStat{Mode: syscall.S_IFREG | c.mode, UID: c.uid, GID: c.gid}
		if got := isExecutable(st, c.cred); got != c.want {
			t.Errorf("mode %o %d:%d as %v: %v, want %v", c.mode, c.uid, c.gid, c.cred, got, c.want)
		}
	}
}

// secTree is a fake tree with every case of the path rules.
func secTree() *fakeSys {
	f := newFakeSys()
	f.dir("/s", 0, 0, 0o755)
	f.file("/s/ok", 0, 0, 0o755)
	f.file("/s/g775root", 0, 0, 0o775)
	f.file("/s/g775other", 0, 50, 0o775)
	f.file("/s/o777", 0, 0, 0o777)
	f.file("/s/o757", 0, 0, 0o757)
	f.file("/s/u700", 0, 0, 0o700)
	f.file("/s/suid", 0, 0, 0o4755)
	f.file("/s/sgid", 0, 0, 0o2755)
	f.file("/s/owned", 4242, 4242, 0o755)
	f.file("/s/noexec", 0, 0, 0o644)
	f.dir("/s/adir", 0, 0, 0o755)
	f.symlink("/s/link-ok", "ok")
	f.symlink("/s/link-unsafe", "/gw/script")
	f.symlink("/s/samename", "/o/samename")
	f.dir("/o", 0, 0, 0o755)
	f.file("/o/samename", 0, 0, 0o755)
	f.dir("/gw", 0, 50, 0o775)
	f.file("/gw/script", 0, 0, 0o755)
	f.dir("/gwroot", 0, 0, 0o775)
	f.file("/gwroot/script", 0, 0, 0o755)
	f.dir("/ow", 0, 0, 0o757)
	f.file("/ow/script", 0, 0, 0o755)
	f.dir("/sticky", 0, 0, 0o1777)
	f.file("/sticky/script", 0, 0, 0o755)
	f.dir("/odir", 4242, 0, 0o755)
	f.file("/odir/script", 0, 0, 0o755)
	f.dir("/closed", 0, 0, 0o700)
	f.file("/closed/script", 0, 0, 0o755)
	f.dir("/pbin", 0, 0, 0o755)
	f.file("/pbin/tool", 0, 0, 0o755)
	f.file("/pbin/noexec", 0, 0, 0o644)
	return f
}

func TestCheckScriptPathRules(t *testing.T) {
	const (
		ok       = scIsScript | scExecutable
		insecure = ok | scInsecure
		inhibit  = insecure | scInhibit
	)
	e := secTree().env()
	e.Path = "/pbin:/usr/bin"
	for _, c := range []struct {
		argv0  string
		cred   scriptCred
		sec    bool
		want   int
		log    string // a line keepalived logs, if any
		argv0R string // the command keepalived runs, if not argv0
	}{
		{"/s/ok", asRoot, true, ok, "", ""},
		{"/s/g775root", asRoot, true, ok, "", ""}, // group root may write
		{"/s/g775other", asRoot, true, inhibit, "Unsafe permissions found for script '/s/g775other' - disabling.", ""},
		{"/s/g775other", asRoot, false, insecure, "Unsafe permissions found for script '/s/g775other'.", ""},
		{"/s/o777", asRoot, true, inhibit, "", ""},
		{"/s/o757", asRoot, true, inhibit, "", ""},
		{"/s/u700", asRoot, true, ok, "", ""},
		{"/s/owned", asRoot, true, inhibit, "", ""},
		{"/gw/script", asRoot, true, inhibit, "Unsafe permissions found for script '/gw/script' - disabling.", ""},
		{"/gwroot/script", asRoot, true, ok, "", ""},
		{"/ow/script", asRoot, true, inhibit, "", ""},
		{"/sticky/script", asRoot, true, ok, "", ""}, // a sticky directory may be world-writable
		{"/odir/script", asRoot, true, inhibit, "", ""},
		{"/s/link-ok", asRoot, true, ok, "", ""},
		{"/s/link-unsafe", asRoot, true, inhibit, "", "/gw/script"},
		{"/s/samename", asRoot, true, ok, "", "/o/samename"},
		{"/s/../s/ok", asRoot, true, ok, "", "/s/ok"},
		{"/s/missing", asRoot, true, scNotFound, "Script /s/missing cannot be accessed - No such file or directory", ""},
		{"/s/noexec", asRoot, true, scIsScript, "WARNING - script '/s/noexec' is not executable for uid:gid 0:0 - disabling.", ""},
		{"/s/adir", asRoot, true, ok | scInhibit, "Wrong file type found in script path '/s/adir'.", ""},
		// another user: only setuid/setgid root files are checked
		{"/s/g775other", asNobody, true, ok, "", ""},
		{"/s/o777", asNobody, true, ok, "", ""},
		{"/s/u700", asNobody, true, scIsScript, "", ""},
		{"/s/suid", asNobody, true, ok, "", ""},
		{"/s/sgid", asNobody, true, ok, "", ""},
		{"/closed/script", asNobody, true, scNotFound, "Script /closed/script cannot be accessed - Permission denied", ""},
		{"/closed/script", asRoot, true, ok, "", ""},
		// PATH search
		{"tool", asRoot, true, ok, "WARNING - script `tool` resolved by path search to `/pbin/tool`. Please specify full path.", "/pbin/tool"},
		{"noexec", asRoot, true, scNotFound, "Permissions failure for script noexec in path - disabling", ""},
		{"nothere", asRoot, true, scNotFound, "Cannot find script nothere in path - disabling", ""},
		{"tool", asNobody, true, scNotFound, "Permissions failure for script tool in path - disabling", ""},
		// "</file" only tests that a file opens
		{"</dev/null", asRoot, true, scSystem, "", ""},
		{"< /x", asRoot, true, scSystem, "", ""},
	} {
		r := e.checkScript(c.argv0, c.cred, c.sec)
		if r.flags != c.want {
			t.Errorf("%s as %v sec=%v: flags %b, want %b (%q)", c.argv0, c.cred, c.sec, r.flags, c.want, r.logs)
		}
		if c.log != "" && !strings.Contains(strings.Join(r.logs, "\n"), c.log) {
			t.Errorf("%s: logs %q, want %q", c.argv0, r.logs, c.log)
		}
		want := c.argv0R
		if want == "" {
			want = c.argv0
		}
		if r.argv0 != want {
			t.Errorf("%s: runs %q, want %q", c.argv0, r.argv0, want)
		}
	}
	// setuid root as another user is checked like root's own scripts
	f := secTree()
	f.dir("/gw2", 0, 50, 0o775)
	f.file("/gw2/suid", 0, 0, 0o4755)
	f.file("/gw2/plain", 0, 0, 0o755)
	e = f.env()
	if r := e.checkScript("/gw2/suid", asNobody, true); r.flags&scInhibit == 0 {
		t.Errorf("setuid root in a group-writable directory: %b", r.flags)
	}
	if r := e.checkScript("/gw2/plain", asNobody, true); r.flags&scInhibit != 0 {
		t.Errorf("plain file as nobody: %b", r.flags)
	}
}

func TestLookupScriptUser(t *testing.T) {
	e := newFakeSys().env()
	if uid, gid, _, ok := e.LookupScriptUser("nobody", ""); !ok || uid != 65534 || gid != 65534 {
		t.Errorf("nobody: %d:%d %v", uid, gid, ok)
	}
	if _, gid, _, ok := e.LookupScriptUser("nobody", "root"); !ok || gid != 0 {
		t.Errorf("nobody root: %d %v", gid, ok)
	}
	for _, c := range [][3]string{
		{"nosuch", "", "Script user 'nosuch' does not exist"},
		{"nobody", ":nogroup", "Script group ':nogroup' does not exist"},
	} {
		if _, _, msg, ok := e.LookupScriptUser(c[0], c[1]); ok || msg != c[2] {
			t.Errorf("%s %s: %q %v", c[0], c[1], msg, ok)
		}
	}
}

func TestCmdStr(t *testing.T) {
	for argv, want := range map[string]string{
		"/bin/x":      "'/bin/x'",
		"/bin/x a b":  "'/bin/x' 'a' 'b'",
		"</dev/tcp/x": "</dev/tcp/x",
		">/tmp/f":     ">/tmp/f",
	} {
		if got := cmdStr(strings.Fields(argv)); got != want {
			t.Errorf("%s: %s, want %s", argv, got, want)
		}
	}
	if got := cmdStr([]string{strings.Repeat("x", 1100)}); got != "(null)" {
		t.Errorf("long: %s", got)
	}
}

const secInstance = `vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 track_script {
  chk
 }
 virtual_ipaddress {
  10.0.0.1
 }
}
`

const secVS = `virtual_server 10.0.0.1 80 {
 protocol TCP
 lvs_sched rr
 lvs_method NAT
 real_server 10.0.0.2 80 {
  MISC_CHECK {
   misc_path /s/ok
  }
 }
}
`

func loadSec(t *testing.T, text string, f *fakeSys) (*Config, *Diagnostics) {
	t.Helper()
	return loadFiles(t, map[string]string{"etc/keepalived/keepalived.conf": text},
		Options{Scripts: f.env(), InterfaceExists: func(string) bool { return true }})
}

// errs are the messages keepalived -t would print, as "line: text".
func errs(ds *Diagnostics) []string {
	var out []string
	for _, d := range ds.List {
		if d.Kind != syntax.Info {
			out = append(out, strings.Join([]string{strconv.Itoa(d.Pos.Line), d.Msg}, ": "))
		}
	}
	return out
}

func sameList(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("messages:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestDefaultScriptUser(t *testing.T) {
	chk := "vrrp_script chk {\n script /s/ok\n}\n"
	// no keepalived_script, script security: the vrrp_script goes
	cfg, ds := loadSec(t, "global_defs {\n enable_script_security\n}\n"+chk+secInstance, secTree())
	sameList(t, errs(ds),
		"6: Unable to set default user for vrrp script chk - removing",
		"11: (VI_1) track script chk not found, ignoring...",
		"6: Unable to set default user keepalived_script for script")
	if len(cfg.VRRPScripts) != 0 || ds.ExitCode() != 5 {
		t.Errorf("scripts %d, rc %d", len(cfg.VRRPScripts), ds.ExitCode())
	}
	// without script security keepalived runs it as root: a violation
	_, ds = loadSec(t, chk+secInstance, secTree())
	sameList(t, errs(ds), "2: SECURITY VIOLATION - scripts are being executed but script_security not enabled.")
	// keepalived_script exists: it is the user
	f := secTree()
	f.users["keepalived_script"] = [2]uint32{990, 990}
	cfg, ds = loadSec(t, "global_defs {\n enable_script_security\n}\n"+chk+secInstance, f)
	sameList(t, errs(ds))
	if cfg.VRRPScripts[0].Script.cred != (scriptCred{990, 990}) || cfg.Global.ScriptUser != "keepalived_script" {
		t.Errorf("cred %v user %s", cfg.VRRPScripts[0].Script.cred, cfg.Global.ScriptUser)
	}
	// a bad script_user makes every default fail, with or without security
	_, ds = loadSec(t, "global_defs {\n script_user nosuch\n}\n"+chk+secInstance, secTree())
	sameList(t, errs(ds),
		"2: Error setting global script uid/gid",
		"6: Unable to set default user for vrrp script chk - removing",
		"11: (VI_1) track script chk not found, ignoring...")
	// the checker pass comes first: the one message is at the MISC_CHECK
	_, ds = loadSec(t, "global_defs {\n enable_script_security\n}\n"+chk+secInstance+secVS, secTree())
	sameList(t, errs(ds),
		"6: Unable to set default user for vrrp script chk - removing",
		"11: (VI_1) track script chk not found, ignoring...",
		"24: Unable to set default user for misc script '/s/ok' - removing",
		"24: Unable to set default user keepalived_script for script")
	// a notify script is dropped silently
	cfg, ds = loadSec(t, "global_defs {\n enable_script_security\n}\n"+strings.Replace(secInstance, " track_script {\n  chk\n }\n", " notify_master /s/ok\n", 1), secTree())
	sameList(t, errs(ds), "7: Unable to set default user keepalived_script for script")
	if cfg.VRRPInstances[0].NotifyMaster != nil {
		t.Errorf("notify_master kept")
	}
	// resolved before enable_script_security in global_defs: root, no failure
	cfg, ds = loadSec(t, "global_defs {\n notify_fifo /tmp/f\n enable_script_security\n}\n"+chk+secInstance, secTree())
	sameList(t, errs(ds))
	if len(cfg.VRRPScripts) != 1 {
		t.Errorf("vrrp_script removed")
	}
}

func TestScriptSecurityVerdicts(t *testing.T) {
	chk := func(cmd string) string { return "vrrp_script chk {\n script " + cmd + "\n}\n" }
	sec := "global_defs {\n enable_script_security\n script_user root\n}\n"
	// 0775 root:root is accepted
	cfg, ds := loadSec(t, sec+chk("/s/g775root")+secInstance, secTree())
	sameList(t, errs(ds))
	if len(cfg.VRRPInstances[0].TrackScripts) != 1 {
		t.Errorf("track script dropped")
	}
	// unsafe: disabled, dropped from the instance, reported
	cfg, ds = loadSec(t, sec+chk("/s/g775other")+secInstance, secTree())
	sameList(t, errs(ds), "6: Disabling track script chk due to insecure")
	if len(cfg.VRRPScripts) != 0 || len(cfg.VRRPInstances[0].TrackScripts) != 0 {
		t.Errorf("insecure script kept")
	}
	// missing
	_, ds = loadSec(t, sec+chk("/s/missing")+secInstance, secTree())
	sameList(t, errs(ds), "6: Disabling track script chk since not found/accessible")
	// not executable: dropped without a word
	cfg, ds = loadSec(t, sec+chk("/s/noexec")+secInstance, secTree())
	sameList(t, errs(ds))
	if len(cfg.VRRPInstances[0].TrackScripts) != 0 {
		t.Errorf("non-executable script kept")
	}
	// without security: insecure scripts say so in the violation
	_, ds = loadSec(t, "global_defs {\n script_user root\n}\n"+chk("/s/o777")+secInstance, secTree())
	sameList(t, errs(ds), "5: SECURITY VIOLATION - scripts are being executed but script_security not enabled. There are insecure scripts.")
	if ds.ExitCode() != 6 {
		t.Errorf("rc %d", ds.ExitCode())
	}
	// one violation per subsystem, each with its own text
	_, ds = loadSec(t, "global_defs {\n script_user root\n startup_script /s/ok\n}\n"+chk("/s/ok")+secInstance+secVS, secTree())
	sameList(t, errs(ds),
		"3: SECURITY VIOLATION - start/shutdown scripts are being executed but script_security not enabled.",
		"24: SECURITY VIOLATION - check scripts are being executed but script_security not enabled.",
		"6: SECURITY VIOLATION - scripts are being executed but script_security not enabled.")
	// a MISC_CHECK that cannot run is disabled, silently
	cfg, ds = loadSec(t, sec+strings.Replace(secVS, "/s/ok", "/s/o777", 1), secTree())
	sameList(t, errs(ds))
	if !cfg.VirtualServers[0].RealServers[0].Checkers[0].Misc.Script.Disabled {
		t.Errorf("insecure misc script not disabled")
	}
}

// A "</file" script runs through the shell, as keepalived's system().
func TestShellScriptExec(t *testing.T) {
	cfg, ds := loadSec(t, "global_defs {\n enable_script_security\n script_user root\n}\nvrrp_script chk {\n script \"</dev/null\"\n}\n"+secInstance, secTree())
	sameList(t, errs(ds))
	sc := cfg.VRRPScripts[0].Script
	if !sc.Shell || sc.Disabled || strings.Join(sc.Exec(), "|") != "/bin/sh|-c|</dev/null" {
		t.Fatalf("script %+v exec %q", sc, sc.Exec())
	}
	for file, ok := range map[string]bool{"/dev/null": true, "/nonexistent/x": false} {
		s := Script{Argv: []string{"<" + file}, Shell: true}
		argv := s.Exec()
		err := exec.Command(argv[0], argv[1:]...).Run()
		if (err == nil) != ok {
			t.Errorf("%s: %v", file, err)
		}
	}
	// a plain script runs as written
	if s := (Script{Argv: []string{"/bin/x", "a"}}); strings.Join(s.Exec(), "|") != "/bin/x|a" {
		t.Errorf("exec %q", s.Exec())
	}
	// a notify script cannot be "</file": keepalived drops it
	cfg, _ = loadSec(t, "global_defs {\n enable_script_security\n script_user root\n}\n"+strings.Replace(secInstance, " track_script {\n  chk\n }\n", " notify_master \"</dev/null\"\n", 1), secTree())
	if n := cfg.VRRPInstances[0].NotifyMaster; n == nil || !n.Disabled {
		t.Errorf("notify_master %+v", n)
	}
}

// keepalived reads global_defs in its main pass, before the VRRP and
// checker passes: where the block sits in the file does not matter.
func TestGlobalDefsLast(t *testing.T) {
	chk := "vrrp_script chk {\n script /s/ok\n}\n"
	text := chk + secInstance + strings.Replace(secVS, "virtual_server", "\nvirtual_server", 1) + "global_defs {\n enable_script_security\n}\n"
	cfg, ds := loadSec(t, text, secTree())
	sameList(t, errs(ds),
		"22: Unable to set default user for misc script '/s/ok' - removing",
		"3: Unable to set default user for vrrp script chk - removing",
		"8: (VI_1) track script chk not found, ignoring...",
		"22: Unable to set default user keepalived_script for script")
	if len(cfg.VRRPScripts) != 0 || len(cfg.VRRPInstances[0].TrackScripts) != 0 || len(cfg.VirtualServers[0].RealServers[0].Checkers) != 0 {
		t.Errorf("scripts kept: %d %d %d", len(cfg.VRRPScripts), len(cfg.VRRPInstances[0].TrackScripts), len(cfg.VirtualServers[0].RealServers[0].Checkers))
	}
	// a later script_user gives the uid:gid
	f := secTree()
	cfg, ds = loadSec(t, chk+secInstance+"global_defs {\n script_user nobody\n}\n", f)
	if c := cfg.VRRPScripts[0].Script.cred; c != asNobody {
		t.Errorf("cred %v\n%s", c, dump(ds))
	}
	// a notify script before global_defs is dropped too
	cfg, _ = loadSec(t, strings.Replace(secInstance, " track_script {\n  chk\n }\n", " notify_master /s/ok\n", 1)+"global_defs {\n enable_script_security\n}\n", secTree())
	if n := cfg.VRRPInstances[0].NotifyMaster; n == nil || !n.Disabled {
		t.Errorf("notify_master %+v", n)
	}
}
