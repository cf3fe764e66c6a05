package vrrpd

import (
	"context"
	"slices"
	"sync/atomic"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/vrrp"
)

// scriptCheck is a vrrp_script that some instance tracks, with its
// rise/fall hysteresis. result is only called from the runtime loop.
type scriptCheck struct {
	name              string
	cmd               vrrp.Command
	interval, timeout time.Duration
	rise, fall        int
	up                bool
	count             int // consecutive results against the current state
	cancel            func()
	running           atomic.Bool // the script is executing, for the data dump
	initFail          bool
	reported          bool // a result came in (keepalived's init_state DONE)
}

func scriptChecks(cfg *conf.Config) []*scriptCheck {
	used := map[string]bool{}
	for _, v := range cfg.VRRPInstances {
		for _, r := range v.TrackScripts {
			used[r.Name] = true
		}
	}
	for _, sg := range cfg.SyncGroups {
		for _, r := range sg.TrackScripts {
			used[r.Name] = true
		}
	}
	var out []*scriptCheck
	for _, s := range cfg.VRRPScripts {
		if !used[s.Name] || s.Script == nil || s.Script.Disabled || len(s.Script.Argv) == 0 {
			continue
		}
		sc := &scriptCheck{name: s.Name, cmd: vrrp.Command{Argv: s.Script.Exec(), User: s.User, Group: s.Group},
			interval: s.Interval, timeout: s.Timeout, rise: max(s.Rise, 1), fall: max(s.Fall, 1), up: !s.InitFail, initFail: s.InitFail}
		if sc.interval <= 0 {
			sc.interval = time.Second
		}
		if sc.timeout <= 0 {
			sc.timeout = sc.interval
		}
		out = append(out, sc)
	}
	return out
}

// result records one run and reports the state and whether it changed:
// fall consecutive failures take an up script down, rise consecutive
// successes bring a down one up.
func (s *scriptCheck) result(ok bool) (up, changed bool) {
	s.reported = true
	if ok == s.up {
		s.count = 0
		return s.up, false
	}
	s.count++
	need := s.fall
	if !s.up {
		need = s.rise
	}
	if s.count < need {
		return s.up, false
	}
	s.up, s.count = ok, 0
	return s.up, true
}

type scriptResult struct {
	check *scriptCheck
	err   error // nil: exit status 0
}

// scriptLine is vrrp_script_child_thread's line for a script whose state
// changed: "VRRP_Script(chk) succeeded", "... failed (exited with status
// 1)", "... timed_out".
func scriptLine(name string, err error) string {
	switch {
	case err == nil:
		return "VRRP_Script(" + name + ") succeeded"
	case err.Error() == "timed out":
		return "VRRP_Script(" + name + ") timed_out"
	}
	return "VRRP_Script(" + name + ") failed (" + err.Error() + ")"
}

// runCheck runs the script every interval until ctx ends.
func (r *Runtime) runCheck(ctx context.Context, s *scriptCheck) {
	for {
		s.running.Store(true)
		err := r.deps.Scripts.Run(ctx, s.cmd, s.timeout)
		s.running.Store(false)
		if ctx.Err() != nil {
			return
		}
		select {
		case r.results <- scriptResult{check: s, err: err}:
		case <-ctx.Done():
			return
		}
		select {
		case <-time.After(s.interval):
		case <-ctx.Done():
			return
		}
	}
}

func (r *Runtime) startCheck(sc *scriptCheck) {
	ctx, cancel := context.WithCancel(r.rctx)
	sc.cancel = cancel
	r.readers.Add(1)
	go func() {
		defer r.readers.Done()
		r.runCheck(ctx, sc)
	}()
}

// checkDone takes a check's result: the instances tracking it are stepped
// when it changes its state.
func (r *Runtime) checkDone(res scriptResult) {
	if !slices.Contains(r.checks, res.check) {
		return // a check a reload removed
	}
	if up, changed := res.check.result(res.err == nil); changed {
		r.log.Info(scriptLine(res.check.name, res.err))
		r.tracker(r.deps.Clock.Now(), vrrp.ScriptTracker(res.check.name), up)
	}
}
