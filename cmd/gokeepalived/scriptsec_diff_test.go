package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/netnstest"
)

// A uid/gid with no passwd entry: a non-root owner for test files.
const otherID = 4242

// scriptFile is one entry of the test tree: a path relative to the
// tree's root with its owner and mode; link makes it a symlink.
type scriptFile struct {
	path     string
	dir      bool
	uid, gid int
	mode     os.FileMode
	link     string
}

// scriptTree is where the scripts live. Every directory down to it is
// root-owned and not writable by others, so only what the cases set up
// makes a path unsafe.
var scriptTree = []scriptFile{
	{path: "sec", dir: true, mode: 0o755},
	{path: "sec/ok", mode: 0o755},
	{path: "sec/g775root", mode: 0o775},
	{path: "sec/g775other", gid: otherID, mode: 0o775},
	{path: "sec/o777", mode: 0o777},
	{path: "sec/o757", mode: 0o757},
	{path: "sec/u700", mode: 0o700},
	{path: "sec/suid", mode: 0o4755},
	{path: "sec/suidother", uid: otherID, mode: 0o4755},
	{path: "sec/sgid", mode: 0o2755},
	{path: "sec/owned", uid: otherID, gid: otherID, mode: 0o755},
	{path: "sec/ownedg", gid: otherID, mode: 0o750},
	{path: "sec/noexec", mode: 0o644},
	{path: "sec/adir", dir: true, mode: 0o755},
	{path: "sec/link-ok", link: "ok"},
	{path: "sec/link-unsafe", link: "../gw/script"},
	{path: "sec/link-missing", link: "nothere"},
	{path: "other", dir: true, mode: 0o755},
	{path: "other/samename", mode: 0o755},
	{path: "sec/samename", link: "../other/samename"},
	{path: "gw", dir: true, gid: otherID, mode: 0o775},
	{path: "gw/script", mode: 0o755},
	{path: "gwroot", dir: true, mode: 0o775},
	{path: "gwroot/script", mode: 0o755},
	{path: "ow", dir: true, mode: 0o757},
	{path: "ow/script", mode: 0o755},
	{path: "sticky", dir: true, mode: 0o1777},
	{path: "sticky/script", mode: 0o755},
	{path: "odir", dir: true, uid: otherID, mode: 0o755},
	{path: "odir/script", mode: 0o755},
	{path: "closed", dir: true, mode: 0o700},
	{path: "closed/script", mode: 0o755},
	{path: "bin", dir: true, mode: 0o755},
	{path: "bin/gkss_tool", mode: 0o755},
	{path: "bin/gkss_noexec", mode: 0o644},
}

// scriptCmds are the commands tried; "@" is the tree's root.
var scriptCmds = []string{
	"@/sec/ok", "@/sec/g775root", "@/sec/g775other", "@/sec/o777", "@/sec/o757",
	"@/sec/u700", "@/sec/suid", "@/sec/suidother", "@/sec/sgid", "@/sec/owned", "@/sec/ownedg",
	"@/sec/noexec", "@/sec/missing", "@/sec/adir", "@/sec/link-ok", "@/sec/link-unsafe",
	"@/sec/link-missing", "@/sec/samename", "@/gw/script", "@/gwroot/script", "@/ow/script",
	"@/sticky/script", "@/odir/script", "@/closed/script", "@/sec/../sec/ok",
	"gkss_tool", "gkss_noexec", "gkss_missing", "</dev/null",
}

// a smaller set for the rarer script kinds
var someCmds = []string{"@/sec/ok", "@/sec/g775other", "@/sec/missing", "@/sec/noexec", "@/sec/suid", "gkss_tool"}

// Configs with several scripts: which pass meets the default user
// first, one violation per subsystem, order of blocks.
const (
	comboVS = `virtual_server 10.10.45.100 80 {
    protocol TCP
    lvs_sched rr
    lvs_method NAT
    real_server 192.168.45.101 80 {
        MISC_CHECK {
            misc_path "@/sec/ok"
        }
    }
}
`
	comboVI = `vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    track_script {
        chk
    }
    virtual_ipaddress {
        10.99.0.100
    }
}
`
	comboChk = `vrrp_script chk {
    script "@/sec/ok"
}
`
)

var comboCases = map[string]string{
	"vrrp-then-misc-secure":     "global_defs {\n    enable_script_security\n}\n" + comboChk + comboVI + comboVS,
	"misc-then-vrrp-secure":     "global_defs {\n    enable_script_security\n}\n" + comboVS + comboChk + comboVI,
	"vrrp-and-misc-insecure":    comboChk + comboVI + comboVS,
	"vrrp-and-misc-unsafe":      strings.ReplaceAll(comboChk+comboVI+comboVS, "@/sec/ok", "@/sec/g775other"),
	"fifo-name-secure":          "global_defs {\n    enable_script_security\n    notify_fifo @/fifo\n}\n" + comboChk + comboVI,
	"fifo-name-before-security": "global_defs {\n    notify_fifo @/fifo\n    enable_script_security\n}\n" + comboChk + comboVI,
	"startup-before-security":   "global_defs {\n    startup_script @/sec/ok\n    enable_script_security\n}\n" + comboChk + comboVI,
	"startup-and-shutdown":      "global_defs {\n    startup_script @/sec/ok\n    shutdown_script @/sec/o777\n}\n",
	"startup-system":            "global_defs {\n    startup_script \"</dev/null\"\n}\n",
	"script-after-instance":     "global_defs {\n    enable_script_security\n}\n" + comboVI + comboChk,
	"global-defs-last":          comboChk + comboVI + "global_defs {\n    enable_script_security\n}\n",
	"unused-vrrp-script":        "global_defs {\n    enable_script_security\n    script_user root\n}\n" + comboChk + strings.ReplaceAll(comboVI, "chk\n", "\n"),
	"two-scripts-one-unsafe": "vrrp_script chk {\n    script \"@/sec/o777\"\n}\nvrrp_script chk2 {\n    script \"@/sec/ok\"\n}\n" +
		strings.ReplaceAll(comboVI, "chk\n", "chk\n        chk2\n"),
	"script-user-bad-then-good": "global_defs {\n    script_user gkss_nosuch\n    script_user nobody\n    enable_script_security\n}\n" + comboChk + comboVI,
	"sync-group-notify": "global_defs {\n    enable_script_security\n    script_user root\n}\nvrrp_sync_group G {\n    group {\n        VI_1\n    }\n    notify_master @/sec/o777\n    notify_backup @/sec/ok\n}\n" +
		strings.ReplaceAll(comboVI, "chk\n", "\n"),
	"notify-unquoted-arg":   strings.ReplaceAll(comboVI, "    track_script {\n        chk\n    }\n", "    notify @/sec/ok arg\n    notify_deleted @/sec/ok\n"),
	"notify-deleted-unsafe": "global_defs {\n    enable_script_security\n    script_user root\n}\n" + strings.ReplaceAll(comboVI, "    track_script {\n        chk\n    }\n", "    notify_deleted @/sec/o757\n"),
	"rs-notify-down-quorum-down": strings.ReplaceAll(comboVS, "        MISC_CHECK {\n            misc_path \"@/sec/ok\"\n        }\n",
		"        notify_down @/sec/ok root\n        TCP_CHECK {\n        }\n") + "",
	"lvs-fifo-script":   "global_defs {\n    lvs_notify_fifo @/fifo\n    lvs_notify_fifo_script @/sec/ok\n    vrrp_notify_fifo @/fifo2\n    vrrp_notify_fifo_script @/sec/o777\n}\n" + comboVS + comboChk + comboVI,
	"misc-user-no-path": "global_defs {\n    enable_script_security\n}\n" + strings.ReplaceAll(comboVS, "            misc_path \"@/sec/ok\"\n", "            user nobody\n            misc_path \"@/sec/ok\"\n"),
	"misc-args-quoted":  strings.ReplaceAll(comboVS, "misc_path \"@/sec/ok\"", "misc_path \"@/sec/ok a 'b c'\"\n            user gkss_nosuch"),
}

type userCase struct {
	name   string
	global string // script_user
	own    string // the script's own user
}

var userCases = []userCase{
	{name: "default"},
	{name: "global-nobody", global: "nobody"},
	{name: "global-missing", global: "gkss_nosuch"},
	{name: "own-nobody", own: "nobody"},
	{name: "own-missing", own: "gkss_nosuch"},
	{name: "global-root-group", global: "nobody root"},
	{name: "own-bad-group", own: "nobody gkss_nogroup"},
}

// scriptConfig writes one config: kind says where the command goes.
func scriptConfig(kind, cmd string, security bool, u userCase) string {
	var b strings.Builder
	b.WriteString("global_defs {\n")
	if security {
		b.WriteString("    enable_script_security\n")
	}
	if u.global != "" {
		b.WriteString("    script_user " + u.global + "\n")
	}
	own := ""
	if u.own != "" {
		own = " " + u.own
	}
	switch kind {
	case "startup_script":
		b.WriteString("    startup_script \"" + cmd + "\"" + own + "\n")
	case "notify_fifo_script":
		b.WriteString("    notify_fifo /tmp/gkss.fifo\n    notify_fifo_script \"" + cmd + "\"" + own + "\n")
	}
	b.WriteString("}\n")
	switch kind {
	case "vrrp_script":
		b.WriteString("vrrp_script chk {\n    script \"" + cmd + "\"\n")
		if u.own != "" {
			b.WriteString("    user " + u.own + "\n")
		}
		b.WriteString("}\n")
	case "MISC_CHECK", "quorum_up", "notify_up":
		b.WriteString("virtual_server 10.10.45.100 80 {\n    protocol TCP\n    lvs_sched rr\n    lvs_method NAT\n")
		if kind == "quorum_up" {
			b.WriteString("    quorum_up \"" + cmd + "\"" + own + "\n")
		}
		b.WriteString("    real_server 192.168.45.101 80 {\n")
		switch kind {
		case "notify_up":
			b.WriteString("        notify_up \"" + cmd + "\"" + own + "\n        TCP_CHECK {\n        }\n")
		case "quorum_up":
			b.WriteString("        TCP_CHECK {\n        }\n")
		default:
			b.WriteString("        MISC_CHECK {\n            misc_path \"" + cmd + "\"\n")
			if u.own != "" {
				b.WriteString("            user " + u.own + "\n")
			}
			b.WriteString("        }\n")
		}
		b.WriteString("    }\n}\n")
		return b.String()
	}
	b.WriteString("vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n")
	if kind == "vrrp_script" {
		b.WriteString("    track_script {\n        chk\n    }\n")
	}
	if kind == "notify_master" {
		b.WriteString("    notify_master \"" + cmd + "\"" + own + "\n")
	}
	b.WriteString("    virtual_ipaddress {\n        10.99.0.100\n    }\n}\n")
	return b.String()
}

// message is one config message: line 0 for one keepalived prints
// without a line.
type message struct {
	line int
	text string
}

var (
	kaLine   = regexp.MustCompile(`^\((?:[^:]*: )?Line (\d+)\) (.*)$`)
	ourLine  = regexp.MustCompile(`^.*?:(\d+):\d+: (\w+): (.*)$`)
	dedupSep = "\x00"
)

func kaMessages(out []byte) []message {
	seen := map[string]bool{}
	var ms []message
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l == "" {
			continue
		}
		m := message{text: l}
		if g := kaLine.FindStringSubmatch(l); g != nil {
			m.line, _ = strconv.Atoi(g[1])
			m.text = g[2]
		}
		if k := strconv.Itoa(m.line) + dedupSep + m.text; !seen[k] {
			seen[k] = true
			ms = append(ms, m)
		}
	}
	return ms
}

// ourMessages are gokeepalived's messages that keepalived -t would
// print: the info ones are what keepalived only logs.
func ourMessages(out []byte) []message {
	seen := map[string]bool{}
	var ms []message
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		g := ourLine.FindStringSubmatch(l)
		if g == nil || g[2] == "info" {
			continue
		}
		n, _ := strconv.Atoi(g[1])
		m := message{n, g[3]}
		if k := strconv.Itoa(m.line) + dedupSep + m.text; !seen[k] {
			seen[k] = true
			ms = append(ms, m)
		}
	}
	return ms
}

// sameMessages compares the sets; keepalived's line-less messages match
// on their text. With prefix, keepalived stopped half-way and only its
// messages must be among ours.
func sameMessages(ka, ours []message, prefix bool) bool {
	match := func(a, b message) bool { return a.text == b.text && (a.line == 0 || a.line == b.line) }
	for _, k := range ka {
		found := false
		for _, o := range ours {
			found = found || match(k, o)
		}
		if !found {
			return false
		}
	}
	if prefix {
		return true
	}
	for _, o := range ours {
		found := false
		for _, k := range ka {
			found = found || match(k, o)
		}
		if !found {
			return false
		}
	}
	return true
}

// scriptVocabulary starts every keepalived line about script users and
// script security, logged or reported.
var scriptVocabulary = []string{
	"Disabling track script ", "Disabling misc script ", "SECURITY VIOLATION", "Unable to set default user",
	"Unsafe permissions found for script", "Script ", "WARNING - script ", "Cannot find script ",
	"Permissions failure for script ", "Wrong file type found in script path", "check_script_secure",
	"Unable to access script", "Unable to set uid/gid for script", "Failed to set uid/gid for misc",
	"Invalid user/group for", "Failed to set default user for", "Error setting global script uid/gid",
}

var daemonStamp = regexp.MustCompile(`^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}: `)

// scriptTexts are the distinct script lines of a log, text only.
func scriptTexts(lines []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lines {
		for _, v := range scriptVocabulary {
			if strings.HasPrefix(l, v) && !seen[l] {
				seen[l] = true
				out = append(out, l)
			}
		}
	}
	sort.Strings(out)
	return out
}

// daemonLog runs keepalived as the daemon (-n -l) until its VRRP or
// checker process has checked its scripts ("Startup complete",
// "Initializing ipvs") and returns what it logged, without time stamps.
// It is the oracle where -t kills itself.
func daemonLog(ns *netnstest.NS, env []string, conf, dir string) ([]string, error) {
	args := append(env, "keepalived", "-n", "-l", "-f", conf,
		"-p", dir+"/k.pid", "-r", dir+"/v.pid", "-c", dir+"/c.pid", "-b", dir+"/b.pid")
	cmd := ns.Command("env", args...)
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = w, w
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		return nil, err
	}
	var lines []string
	ready := make(chan struct{})
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(r)
		signalled := false
		for sc.Scan() {
			l := daemonStamp.ReplaceAllString(sc.Text(), "")
			lines = append(lines, l)
			if !signalled && (l == "Startup complete" || l == "Initializing ipvs") {
				signalled = true
				close(ready)
			}
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	exited := false
	select {
	case <-done:
		exited = true // it stopped by itself: done is spent
	case <-ready:
	case <-time.After(30 * time.Second):
	}
	if !exited {
		// ip netns exec and env exec keepalived: this PID is its parent
		// process, which stops its children
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	<-read
	r.Close()
	return lines, nil
}

// daemonCase says which cases -t cannot judge are run as the daemon: by
// default vrrp_script with its own user or script_user "nobody root",
// and the other kinds with their own user.
func daemonCase(name string, full bool) bool {
	k := strings.SplitN(name, "/", 2)[0]
	if k != "vrrp_script" && k != "notify_master" && k != "MISC_CHECK" {
		return false
	}
	return full || strings.HasSuffix(name, "/own-nobody") || (k == "vrrp_script" && strings.HasSuffix(name, "/global-root-group"))
}

// ourTexts are all of gokeepalived's message texts, info included.
func ourTexts(out []byte) []string {
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if g := ourLine.FindStringSubmatch(l); g != nil {
			lines = append(lines, g[3])
		}
	}
	return lines
}

func buildScriptTree(t *testing.T) string {
	root, err := os.MkdirTemp("", "gkss")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	// MkdirTemp makes it 0700: open it so that nobody can walk through
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range scriptTree {
		p := filepath.Join(root, f.path)
		switch {
		case f.link != "":
			err = os.Symlink(f.link, p)
		case f.dir:
			err = os.Mkdir(p, 0o700)
		default:
			err = os.WriteFile(p, []byte("#!/bin/sh\nexit 0\n"), 0o600)
		}
		if err != nil {
			t.Fatal(err)
		}
		if f.link != "" {
			continue
		}
		if err := os.Chown(p, f.uid, f.gid); err != nil {
			t.Fatal(err)
		}
		// after chown, which clears the setuid/setgid bits
		if err := os.Chmod(p, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestScriptSecurityMatchesKeepalived runs keepalived 2.2.7 and
// gokeepalived with --config-test on scripts of every kind, owner, mode
// and user, on real files in a namespace, and compares the verdicts and
// the messages keepalived prints (line and text).
func TestScriptSecurityMatchesKeepalived(t *testing.T) {
	netnstest.Require(t, "keepalived")
	ns := netnstest.New(t, "gkss", "eth0")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	root := buildScriptTree(t)
	// both see the same PATH, with the tree's bin first
	env := []string{"PATH=" + filepath.Join(root, "bin") + ":/usr/sbin:/usr/bin:/sbin:/bin"}

	type tc struct {
		name, text string
	}
	var cases []tc
	// The whole matrix takes minutes (keepalived runs twice per case,
	// the daemon for a second): by default vrrp_script gets every
	// command and user, the other kinds fewer;
	// GOKEEPALIVED_SCRIPTSEC_FULL=1 runs them all.
	full := os.Getenv("GOKEEPALIVED_SCRIPTSEC_FULL") == "1"
	for _, kind := range []string{"vrrp_script", "notify_master", "MISC_CHECK", "quorum_up", "notify_up", "startup_script", "notify_fifo_script"} {
		cmds := scriptCmds
		users := userCases
		switch {
		case kind != "vrrp_script" && kind != "notify_master" && kind != "MISC_CHECK":
			cmds = someCmds
			users = userCases[:5]
			if !full {
				users = []userCase{userCases[0], userCases[2]}
			}
		case kind != "vrrp_script" && !full:
			users = []userCase{userCases[0], userCases[3]}
		}
		for _, cmd := range cmds {
			for _, sec := range []bool{false, true} {
				for _, u := range users {
					c := strings.ReplaceAll(cmd, "@", root)
					name := fmt.Sprintf("%s/%s/sec=%v/%s", kind, strings.ReplaceAll(strings.TrimPrefix(cmd, "@/"), "/", "_"), sec, u.name)
					cases = append(cases, tc{name, scriptConfig(kind, c, sec, u)})
				}
			}
		}
	}

	// keepalived 2.2.7 -t kills itself (SIGTERM) when it checks a script
	// that runs as another user than root: check_script_secure's
	// parent-death test compares getppid() with main_pid, which in -t
	// is its own pid. The daemon's children pass that test, so
	// gokeepalived -t says what the daemon does; only the messages
	// keepalived printed before dying are compared.
	for name, text := range comboCases {
		cases = append(cases, tc{"combo/" + name, strings.ReplaceAll(text, "@", root)})
	}
	// GOKEEPALIVED_SCRIPTSEC_CASES=substring narrows the run (debugging)
	if f := os.Getenv("GOKEEPALIVED_SCRIPTSEC_CASES"); f != "" {
		var some []tc
		for _, c := range cases {
			if strings.Contains(c.name, f) {
				some = append(some, c)
			}
		}
		cases = some
	}
	var verdictOK, msgOK, killed, daemonRuns, daemonOK, daemonSaid atomic.Int64
	var mu sync.Mutex
	var failures []string
	sem := make(chan struct{}, 6)
	var wg sync.WaitGroup
	for i, c := range cases {
		f := filepath.Join(root, fmt.Sprintf("c%04d.conf", i))
		if err := os.WriteFile(f, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ka := ns.Command("env", append(env, "keepalived", "-t", "-f", f)...)
			kaOut, kaErr := ka.CombinedOutput()
			ours := ns.Command("env", append(env, "GOKEEPALIVED_AS_MAIN=1", self, "--compat", "2.2.7", "-t", "-f", f)...)
			ourOut, ourErr := ours.CombinedOutput()
			want, got := exitCode(kaErr), exitCode(ourErr)
			died := want == -1 // a signal
			km, om := kaMessages(kaOut), ourMessages(ourOut)
			sameMsgs := sameMessages(km, om, died)
			daemonSame := true
			var daemonLines []string
			if died {
				killed.Add(1)
				want = got
				// where keepalived -t died, the daemon says what it does
				// with the script: compare every script line, logged
				// ones included, by text
				if daemonCase(c.name, full) {
					dir := f + ".d"
					if err := os.Mkdir(dir, 0o755); err != nil {
						t.Error(err)
						return
					}
					lines, err := daemonLog(ns, env, f, dir)
					if err != nil {
						t.Error(err)
						return
					}
					daemonRuns.Add(1)
					daemonLines = scriptTexts(lines)
					if len(daemonLines) > 0 {
						daemonSaid.Add(1)
					}
					daemonSame = strings.Join(daemonLines, "\n") == strings.Join(scriptTexts(ourTexts(ourOut)), "\n")
					if daemonSame {
						daemonOK.Add(1)
					}
				}
			}
			if want == got {
				verdictOK.Add(1)
			}
			if sameMsgs {
				msgOK.Add(1)
			}
			if want != got || !sameMsgs || !daemonSame {
				mu.Lock()
				failures = append(failures, fmt.Sprintf("%s: keepalived -t = %d (killed: %v), gokeepalived -t = %d\nconfig:\n%s\nkeepalived said:\n%s\nkeepalived daemon's script lines:\n%s\ngokeepalived said:\n%s",
					c.name, exitCode(kaErr), died, got, indent([]byte(c.text)), indent(kaOut), indent([]byte(strings.Join(daemonLines, "\n"))), indent(ourOut)))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sort.Strings(failures)
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("%d script cases: verdict agrees in %d, message set agrees in %d; keepalived -t killed itself in %d (messages before that compared, verdict not); "+
		"of those, run as the daemon %d (%d with script lines), script lines (logged ones included) agree in %d",
		len(cases), verdictOK.Load()-killed.Load(), msgOK.Load(), killed.Load(), daemonRuns.Load(), daemonSaid.Load(), daemonOK.Load())
}
