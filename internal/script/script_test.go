package script

import (
	"context"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/testenv"
)

// sh writes an executable shell script into a fresh directory.
func sh(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) log(m string) { l.mu.Lock(); l.lines = append(l.lines, m); l.mu.Unlock() }
func (l *logs) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// groupLeft lists the live (not zombie) processes of process group pgid.
func groupLeft(t *testing.T, pgid int) []string {
	t.Helper()
	ents, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // state ppid pgrp ...
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" {
			out = append(out, e.Name()+" "+f[0])
		}
	}
	return out
}

// ourZombies lists zombie children of the test process.
func ourZombies() []string {
	ents, _ := os.ReadDir("/proc")
	var out []string
	me := strconv.Itoa(os.Getpid())
	for _, e := range ents {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+2:])
		if len(f) > 1 && f[0] == "Z" && f[1] == me {
			out = append(out, e.Name())
		}
	}
	return out
}

// gone waits up to a second (SIGKILL is not instant) for pid to be dead:
// absent, or a zombie left to init (its parent died first).
func gone(pid int) bool {
	for range 100 {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || strings.Contains(string(b), ") Z ") {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

func readPid(t *testing.T, p string) int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(p)
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && strings.HasSuffix(string(b), "\n") {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pid in %s", p)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A hung script that ignores SIGTERM and leaves a child ignoring it
// too: after the timeout and the grace period nothing of its group is
// alive, it was reaped, and the result says timed out.
func TestTimeoutKillsWholeGroup(t *testing.T) {
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	s := sh(t, "trap '' TERM\n(trap '' TERM; exec sleep 60) &\necho $$ > "+pids+".main\necho $! > "+pids+".child\nwhile :; do sleep 1; done")
	r := &Runner{Grace: 300 * time.Millisecond}
	start := time.Now()
	res := r.Run(context.Background(), Cmd{Argv: []string{s}}, 200*time.Millisecond)
	took := time.Since(start)
	if !res.TimedOut || res.OK() || res.Failure() == nil || res.Failure().Error() != "timed out" {
		t.Fatalf("result %+v, want timed out", res)
	}
	if took < 500*time.Millisecond || took > 3*time.Second {
		t.Errorf("took %v, want timeout 200ms + grace 300ms", took)
	}
	main, child := readPid(t, pids+".main"), readPid(t, pids+".child")
	if !gone(child) {
		t.Errorf("child %d alive", child)
	}
	if left := groupLeft(t, main); len(left) > 0 {
		t.Errorf("group %d still has %v", main, left)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(main)); err == nil {
		t.Errorf("script %d not reaped", main)
	}
	if z := ourZombies(); len(z) > 0 {
		t.Errorf("unreaped children: %v", z)
	}
}

// A script that dies of its SIGTERM: its group gets SIGKILL at once,
// not after the grace period.
func TestTimeoutKillsLeftoversAtOnce(t *testing.T) {
	dir := t.TempDir()
	pidf := filepath.Join(dir, "child")
	s := sh(t, "(trap '' TERM; exec sleep 60) &\necho $! > "+pidf+"\nwait")
	r := &Runner{Grace: 10 * time.Second}
	start := time.Now()
	res := r.Run(context.Background(), Cmd{Argv: []string{s}}, 200*time.Millisecond)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v: waited for the grace period", took)
	}
	if !res.TimedOut || res.Signal != syscall.SIGTERM {
		t.Errorf("result %+v, want timed out by SIGTERM", res)
	}
	if child := readPid(t, pidf); !gone(child) {
		t.Errorf("child %d left", child)
	}
}

// Start returns at once; the end of ctx (daemon stop) ends the group
// after StopGrace; done gets the result.
func TestStartAsyncAndStop(t *testing.T) {
	s := sh(t, "trap '' TERM\nwhile :; do sleep 1; done")
	r := &Runner{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Result, 1)
	start := time.Now()
	if err := r.Start(ctx, Cmd{Argv: []string{s}}, 0, func(res Result) { done <- res }); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Start blocked %v", d)
	}
	select {
	case res := <-done:
		t.Fatalf("ended by itself: %+v", res)
	case <-time.After(300 * time.Millisecond):
	}
	cancel()
	stopped := time.Now()
	select {
	case res := <-done:
		if !res.TimedOut || res.Signal != syscall.SIGKILL {
			t.Errorf("result %+v, want killed", res)
		}
		if d := time.Since(stopped); d < StopGrace-100*time.Millisecond || d > StopGrace+2*time.Second {
			t.Errorf("stop took %v, want about %v", d, StopGrace)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("not ended")
	}
	if z := ourZombies(); len(z) > 0 {
		t.Errorf("unreaped children: %v", z)
	}
}

func TestExitStatus(t *testing.T) {
	r := &Runner{}
	for _, tc := range []struct {
		body string
		ok   bool
		want string
	}{
		{"exit 0", true, ""},
		{"exit 3", false, "exited with status 3"},
		{"kill -USR1 $$", false, "due to signal 10"},
	} {
		res := r.Run(context.Background(), Cmd{Argv: []string{sh(t, tc.body)}}, 5*time.Second)
		got := ""
		if res.Failure() != nil {
			got = res.Failure().Error()
		}
		if res.OK() != tc.ok || got != tc.want {
			t.Errorf("%q: ok %v %q, want %v %q", tc.body, res.OK(), got, tc.ok, tc.want)
		}
	}
}

// What keepalived 2.2.7 gives a notify script (seen by running it with a
// script dumping env, id and /proc/self/status): argv as configured, the
// daemon's environment and working directory, its own process group,
// stdio on /dev/null, no signal ignored or blocked.
func TestProcessSetup(t *testing.T) {
	t.Setenv("GOKA_SCRIPT_ENV", "kept value")
	// What the test process inherited ignored (a CI harness may ignore
	// signal 32, which Go leaves as it finds it) passes to scripts, as
	// keepalived's would; our own SIGPIPE ignore must not.
	inherited := "0000000000000000"
	if st, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(st), "\n") {
			if v, ok := strings.CutPrefix(l, "SigIgn:\t"); ok {
				inherited = v
			}
		}
	}
	signal.Ignore(syscall.SIGPIPE) // as the daemon does
	defer signal.Reset(syscall.SIGPIPE)
	out := filepath.Join(t.TempDir(), "out")
	s := sh(t, `{
echo "argv=$0|$1|$2"
echo "env=$GOKA_SCRIPT_ENV"
echo "pwd=$(pwd)"
echo "pid=$$ pgid=$(cut -d' ' -f5 /proc/$$/stat)"
echo "stdin=$(readlink /proc/$$/fd/0) stdout=$(readlink /proc/$$/fd/1)"
grep -E '^(SigIgn|SigBlk)' /proc/self/status
} > `+out)
	res := (&Runner{}).Run(context.Background(), Cmd{Argv: []string{s, "INSTANCE", "VI 1"}}, 5*time.Second)
	if !res.OK() {
		t.Fatal(res.Failure())
	}
	b, _ := os.ReadFile(out)
	got := string(b)
	wd, _ := os.Getwd()
	for _, want := range []string{"argv=" + s + "|INSTANCE|VI 1\n", "env=kept value\n", "pwd=" + wd + "\n",
		"stdin=/dev/null stdout=" + out + "\n", "SigIgn:\t" + inherited + "\n", "SigBlk:\t0000000000000000\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	var pid, pgid int
	for _, l := range strings.Split(got, "\n") {
		if strings.HasPrefix(l, "pid=") {
			f := strings.Fields(l)
			pid, _ = strconv.Atoi(strings.TrimPrefix(f[0], "pid="))
			pgid, _ = strconv.Atoi(strings.TrimPrefix(f[1], "pgid="))
		}
	}
	if pid == 0 || pid != pgid {
		t.Errorf("pid %d pgid %d: not its own process group", pid, pgid)
	}
}

// The script user's uid and gid, with the supplementary groups cleared to
// that gid as 2.2.7's set_script_env does (no initgroups).
func TestCredentials(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Unavailable(t, "needs root to switch user")
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		testenv.Unavailable(t, "no user nobody")
	}
	g, err := user.LookupGroup("daemon")
	if err != nil {
		testenv.Unavailable(t, "no group daemon")
	}
	// t.TempDir's parent is 0700: nobody could not reach it
	dir, err := os.MkdirTemp("", "gokeepalived-script")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777)
	for _, tc := range []struct {
		name string
		r    *Runner
		c    Cmd
		want string
	}{
		{"default script_user", &Runner{User: "nobody"}, Cmd{}, u.Uid + " " + u.Gid + " " + u.Gid},
		{"the script own user and group", &Runner{User: "root"}, Cmd{User: "nobody", Group: "daemon"}, u.Uid + " " + g.Gid + " " + g.Gid},
		{"root", &Runner{}, Cmd{}, "0 0 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			tc.c.Argv = []string{"/bin/sh", "-c", `echo "$(id -u) $(id -g) $(id -G)" > ` + out + `; grep ^Groups: /proc/self/status >> ` + out}
			res := tc.r.Run(context.Background(), tc.c, 5*time.Second)
			if !res.OK() {
				t.Fatal(res.Failure())
			}
			b, _ := os.ReadFile(out)
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			if len(lines) != 2 || lines[0] != tc.want {
				t.Fatalf("id: %q, want %q", b, tc.want)
			}
			gid := strings.Fields(tc.want)[1]
			if f := strings.Fields(lines[1]); len(f) != 2 || f[1] != gid {
				t.Errorf("supplementary groups %q, want just %s", lines[1], gid)
			}
		})
	}
}

// A script user or group that does not resolve: set_uid_gid's line,
// once, and the script never runs (not as root either).
func TestUnknownUserRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Unavailable(t, "needs root to switch user")
	}
	marker := filepath.Join(t.TempDir(), "ran")
	l := &logs{}
	r := &Runner{User: "gokeepalived-no-such-user", Log: l.log}
	c := Cmd{Argv: []string{"/bin/sh", "-c", "touch " + marker}}
	for range 2 {
		if res := r.Run(context.Background(), c, time.Second); res.Err == nil {
			t.Fatalf("ran: %+v", res)
		}
		if err := r.Start(context.Background(), c, 0, nil); err == nil {
			t.Fatal("started")
		}
	}
	res := r.Run(context.Background(), Cmd{Argv: c.Argv, User: "nobody", Group: "gokeepalived-no-such-group"}, time.Second)
	if res.Err == nil {
		t.Fatal("ran with an unknown group")
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := os.Stat(marker); err == nil {
		t.Error("the script ran")
	}
	want := []string{"Script user 'gokeepalived-no-such-user' does not exist", "Script group 'gokeepalived-no-such-group' does not exist"}
	if got := l.all(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("log %q, want %q", got, want)
	}
}

// A script that cannot start: the caller's error and keepalived's line.
func TestCannotStart(t *testing.T) {
	noexec := filepath.Join(t.TempDir(), "noexec")
	os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0o644)
	for _, tc := range []struct{ argv0, want string }{
		{"/nonexistent/notify.sh", "Error exec-ing command '/nonexistent/notify.sh', error 2: No such file or directory"},
		{"gokeepalived-not-in-path", "Error exec-ing command 'gokeepalived-not-in-path', error 2: No such file or directory"},
	} {
		l := &logs{}
		r := &Runner{Log: l.log}
		if err := r.Start(context.Background(), Cmd{Argv: []string{tc.argv0}}, 0, nil); err == nil {
			t.Errorf("%s started", tc.argv0)
		}
		if got := l.all(); len(got) != 1 || got[0] != tc.want {
			t.Errorf("log %q, want %q", got, tc.want)
		}
	}
	// execve needs an x bit, root or not
	l := &logs{}
	res := (&Runner{Log: l.log}).Run(context.Background(), Cmd{Argv: []string{noexec}}, time.Second)
	want := "Error exec-ing command '" + noexec + "', error 13: Permission denied"
	if res.Err == nil || len(l.all()) != 1 || l.all()[0] != want {
		t.Errorf("non-executable: %+v %q, want %q", res, l.all(), want)
	}
}
