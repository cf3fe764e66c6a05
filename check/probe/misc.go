package probe

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	launcher "github.com/gokeepalived/gokeepalived/internal/script"
)

// Misc is MISC_CHECK: run misc_path; exit 0 is up, 1 down; with
// misc_dynamic 2..255 is up with weight exit−2. On misc_timeout the
// process group gets SIGTERM, then SIGKILL 2 s later, as keepalived
// (internal/script).
type Misc struct {
	Argv    []string
	Timeout time.Duration
	Dynamic bool
	// User/Group run the script as script_user (or the checker's user).
	User  string
	Group string
	// KillGrace is the SIGTERM→SIGKILL delay (2 s when zero).
	KillGrace time.Duration
	// Log receives the launcher's keepalived lines (script cannot
	// start, unknown user); nil: dropped.
	Log func(string)

	once   sync.Once
	runner *launcher.Runner
}

func (m *Misc) Check(ctx context.Context, _ int) Result {
	if len(m.Argv) == 0 {
		return fail("failed", errors.New("no script"))
	}
	m.once.Do(func() { m.runner = &launcher.Runner{User: m.User, Group: m.Group, Log: m.Log, Grace: m.KillGrace} })
	res := m.runner.Run(ctx, launcher.Cmd{Argv: m.Argv}, m.Timeout)
	switch {
	case res.Err != nil:
		return fail("failed", res.Err)
	case res.TimedOut:
		return fail("timed out", nil)
	case res.Signal != 0:
		return fail("failed", fmt.Errorf("due to signal %d", int(res.Signal)))
	}
	return MiscExit(res.Status, m.Dynamic)
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
