// Package script starts every script the daemon runs (vrrp_script,
// notify*, notify_up/down, quorum_up/down, MISC_CHECK, notify FIFO
// scripts) the way keepalived 2.2.7's system_call_script does: argv
// exec'd directly, the daemon's environment and working directory, its
// own process group, SIGTERM on the daemon's death, the script user's
// uid and gid with the supplementary groups cleared to that gid, stdio
// on /dev/null. A script that outlives its timeout gets SIGTERM to its
// whole group, then SIGKILL to the group after a grace period; it is
// always reaped. Nothing here blocks the caller beyond Run's own wait.
package script

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Grace is how long a timed-out script has between SIGTERM and SIGKILL
// (vrrp_script_child_thread and misc_check_child_thread: 2 s).
const Grace = 2 * time.Second

// StopGrace is the same delay when the daemon stops or reloads
// (script_killall reschedules its children 1 s later).
const StopGrace = time.Second

// Cmd is one script invocation.
type Cmd struct {
	Argv []string
	// User and Group run it; an empty User means the Runner's default
	// (global_defs script_user), an empty Group the user's own group.
	User, Group string
}

// Result is how a script ended.
type Result struct {
	Status   int            // exit status, when it exited
	Signal   syscall.Signal // non-zero: it died of this signal
	TimedOut bool           // we ended it (timeout, or the caller's context)
	Err      error          // it could not start (logged already)
}

// OK is exit status 0 of a script that ran to its end.
func (r Result) OK() bool { return r.Err == nil && !r.TimedOut && r.Signal == 0 && r.Status == 0 }

// Failure describes a failure as keepalived's script lines do (nil
// when OK).
func (r Result) Failure() error {
	switch {
	case r.Err != nil:
		return r.Err
	case r.TimedOut:
		return errors.New("timed out")
	case r.Signal != 0:
		return fmt.Errorf("due to signal %d", int(r.Signal))
	case r.Status != 0:
		return fmt.Errorf("exited with status %d", r.Status)
	}
	return nil
}

// Runner starts scripts. The zero Runner runs them as the daemon's user
// and logs nothing.
type Runner struct {
	// User and Group are the default script user (global_defs
	// script_user); empty: the daemon's own user.
	User, Group string
	// Log receives keepalived's lines (a script that cannot start, a
	// script user that does not exist).
	Log func(msg string)
	// Grace overrides Grace (tests).
	Grace time.Duration

	mu     sync.Mutex
	logged map[string]bool // user/group failures already reported
}

// Start starts c and returns at once. timeout 0 means none (notify
// scripts run as long as they like, as keepalived's notify_exec); the
// end of ctx also ends the script (shutdown). done, if set, gets the
// result from another goroutine once the script has been reaped.
func (r *Runner) Start(ctx context.Context, c Cmd, timeout time.Duration, done func(Result)) error {
	cmd, err := r.start(c)
	if err != nil {
		return err
	}
	go func() {
		res := r.wait(ctx, cmd, timeout)
		if done != nil {
			done(res)
		}
	}()
	return nil
}

// Run runs c to its end and returns how it ended; timeout (0: none) and
// the end of ctx end the script's group.
func (r *Runner) Run(ctx context.Context, c Cmd, timeout time.Duration) Result {
	cmd, err := r.start(c)
	if err != nil {
		return Result{Err: err}
	}
	return r.wait(ctx, cmd, timeout)
}

// sigpipe is a handler for SIGPIPE that nobody reads.
var sigpipe = make(chan os.Signal, 1)

func (r *Runner) start(c Cmd) (*exec.Cmd, error) {
	if len(c.Argv) == 0 || c.Argv[0] == "" {
		return nil, errors.New("empty script")
	}
	cred, err := r.credential(c)
	if err != nil {
		return nil, err
	}
	// An ignored signal stays ignored across exec; the daemon ignores
	// SIGPIPE, and keepalived's scripts start with none ignored. A
	// handler instead of SIG_IGN keeps the daemon's behaviour (EPIPE
	// from write) and gives scripts the default disposition.
	// Again at each start: a later signal.Ignore would undo it.
	signal.Notify(sigpipe, syscall.SIGPIPE)
	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	cmd.Args[0] = c.Argv[0] // argv[0] as configured, even when found by PATH
	// Pdeathsig: keepalived's PR_SET_PDEATHSIG, so a script does not
	// outlive the daemon.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM, Credential: cred}
	if err := cmd.Start(); err != nil {
		errno := syscall.ENOENT
		errors.As(err, &errno)
		r.logf("Error exec-ing command '%s', error %d: %s", c.Argv[0], int(errno), strerror(errno))
		return nil, err
	}
	waited.Store(cmd.Process.Pid, struct{}{})
	return cmd, nil
}

// wait waits for cmd, ending its group on timeout or ctx, and reaps it.
func (r *Runner) wait(ctx context.Context, cmd *exec.Cmd, timeout time.Duration) Result {
	pid := cmd.Process.Pid
	exited := make(chan struct{})
	go func() {
		// Wait without reaping: while the zombie exists its pid, which
		// is the group id, cannot be reused, so killing the group
		// afterwards cannot reach a stranger.
		var info unix.Siginfo
		for unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil) == unix.EINTR {
		}
		close(exited)
	}()
	var expire <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expire = t.C
	}
	grace := time.Duration(0)
	select {
	case <-exited:
	case <-expire:
		grace = r.Grace
		if grace <= 0 {
			grace = Grace
		}
	case <-ctx.Done():
		grace = StopGrace
	}
	if grace > 0 {
		unix.Kill(-pid, unix.SIGTERM)
		t := time.NewTimer(grace)
		select {
		case <-exited:
		case <-t.C:
			unix.Kill(-pid, unix.SIGKILL)
			<-exited
		}
		t.Stop()
		// The script is gone; what it started in its group goes too
		// (keepalived sends the group SIGKILL once the script died of
		// its SIGTERM).
		unix.Kill(-pid, unix.SIGKILL)
	}
	res := Result{TimedOut: grace > 0}
	err := cmd.Wait()
	waited.Delete(pid)
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			res.Err = err
			return res
		}
		ws, _ := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			res.Signal = ws.Signal()
		} else {
			res.Status = ws.ExitStatus()
		}
	}
	return res
}

// credential is c's user and group when the daemon is root (otherwise
// it cannot switch and the script runs as the daemon does). As
// set_script_env in 2.2.7, the supplementary groups become just the
// script's gid (2.2.7 has no initgroups; root scripts get [0] too).
func (r *Runner) credential(c Cmd) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	name, group := c.User, c.Group
	if name == "" {
		name, group = r.User, r.Group
	}
	uid, gid, kind, err := lookup(name, group)
	if err != nil {
		return nil, r.refuse(kind, map[string]string{"user": name, "group": group}[kind], err)
	}
	return &syscall.Credential{Uid: uid, Gid: gid, Groups: []uint32{gid}}, nil
}

// Lookup resolves a script user and group: an empty name is the
// daemon's own user, an empty group the user's primary group.
func Lookup(name, group string) (uid, gid uint32, err error) {
	uid, gid, _, err = lookup(name, group)
	return uid, gid, err
}

func lookup(name, group string) (uid, gid uint32, kind string, err error) {
	uid, gid = uint32(os.Geteuid()), uint32(os.Getegid())
	if name != "" {
		u, err := user.Lookup(name)
		if err != nil {
			return 0, 0, "user", err
		}
		uid, gid = atou(u.Uid), atou(u.Gid)
	}
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return 0, 0, "group", err
		}
		gid = atou(g.Gid)
	}
	return uid, gid, "", nil
}

// refuse logs set_uid_gid's line for a script user or group that cannot
// be resolved, once per name, and returns the refusal: such a script
// never runs (never as root instead).
func (r *Runner) refuse(kind, name string, err error) error {
	var msg string
	var uerr user.UnknownUserError
	var gerr user.UnknownGroupError
	switch {
	case kind == "user" && errors.As(err, &uerr):
		msg = fmt.Sprintf("Script user '%s' does not exist", name)
	case kind == "user":
		msg = fmt.Sprintf("Unable to resolve script username '%s' - ignoring", name)
	case errors.As(err, &gerr):
		msg = fmt.Sprintf("Script group '%s' does not exist", name)
	default:
		msg = fmt.Sprintf("Unable to resolve script group name '%s' - ignoring", name)
	}
	r.mu.Lock()
	first := !r.logged[msg]
	if first {
		if r.logged == nil {
			r.logged = map[string]bool{}
		}
		r.logged[msg] = true
	}
	r.mu.Unlock()
	if first {
		r.logf("%s", msg)
	}
	return errors.New(msg)
}

func (r *Runner) logf(format string, a ...any) {
	if r.Log != nil {
		r.Log(fmt.Sprintf(format, a...))
	}
}

func atou(s string) uint32 {
	n, _ := strconv.ParseUint(s, 10, 32)
	return uint32(n)
}

// strerror is glibc's text for errno (%m): Go's, capitalised.
func strerror(e syscall.Errno) string {
	s := e.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}
