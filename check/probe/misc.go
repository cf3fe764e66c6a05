package probe

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
)

// Misc is MISC_CHECK: run misc_path; exit 0 is up, 1 down; with
// misc_dynamic 2..255 is up with weight exit−2. On misc_timeout the
// process group gets SIGTERM, then SIGKILL 2 s later, as keepalived.
type Misc struct {
	Argv    []string
	Timeout time.Duration
	Dynamic bool
	// User/Group run the script as script_user (or the checker's user).
	User  string
	Group string
	// KillGrace is the SIGTERM→SIGKILL delay (2 s when zero).
	KillGrace time.Duration
}

// Credential resolves a script user and group ("" group: the user's
// primary group). It returns nil for "" and for root with no group, so
// nothing changes for the default script_user.
func Credential(user, group string) (*syscall.Credential, error) {
	if user == "" || (user == "root" && group == "") {
		return nil, nil
	}
	uid, gid, err := conf.ScriptCredential(user, group)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uid, Gid: gid}, nil
}

func (m *Misc) Check(ctx context.Context, _ int) Result {
	if len(m.Argv) == 0 {
		return fail("failed", errors.New("no script"))
	}
	cred, err := Credential(m.User, m.Group)
	if err != nil {
		return fail("failed", err)
	}
	cmd := exec.Command(m.Argv[0], m.Argv[1:]...)
	cmd.Dir = "/"
	// own process group so a timeout reaches the script's children
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	if err := cmd.Start(); err != nil {
		return fail("failed", err)
	}
	pgid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var timeout <-chan time.Time
	if m.Timeout > 0 {
		t := time.NewTimer(m.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	grace := m.KillGrace
	if grace == 0 {
		grace = 2 * time.Second
	}
	timedOut := false
	select {
	case err = <-done:
	case <-ctx.Done():
		timedOut = true
	case <-timeout:
		timedOut = true
	}
	if timedOut {
		syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case err = <-done:
		case <-time.After(grace):
			syscall.Kill(-pgid, syscall.SIGKILL)
			err = <-done
		}
		syscall.Kill(-pgid, syscall.SIGKILL)
		return fail("timed out", nil)
	}
	syscall.Kill(-pgid, syscall.SIGKILL) // leftover children
	rc := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return fail("failed", err)
		}
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return fail("failed", fmt.Errorf("due to signal %d", int(ws.Signal())))
		}
		rc = ee.ExitCode()
	}
	return MiscExit(rc, m.Dynamic)
}

// MiscExit maps an exit status to a result (check_misc.c rules). A
// failure's Reason is "failed" or "timed out" and its Err the reason
// keepalived prints ("exited with status 1").
func MiscExit(rc int, dynamic bool) Result {
	switch {
	case rc == 0:
		r := Result{OK: true}
		if dynamic {
			w := int64(0)
			r.Weight = &w
		}
		return r
	case dynamic && rc >= 2 && rc <= 255:
		w := int64(rc - 2)
		return Result{OK: true, Weight: &w, Absolute: true}
	}
	return fail("failed", fmt.Errorf("exited with status %d", rc))
}
