package vrrp

import (
	"context"
	"log/slog"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/script"
)

// Command is one script invocation: argv is exec'd directly, never
// through a shell (keepalived only uses one for a script with shell
// syntax, which conf already split into argv).
type Command struct {
	Argv        []string
	User, Group string // empty: the global script_user
	// Ctx, if set, ends a started script when it ends (a notify FIFO
	// script when its FIFO closes); Exited, if set, is called once a
	// started script has ended.
	Ctx    context.Context
	Exited func()
}

// Scripts runs scripts: Start for notify scripts (not waited for), Run
// for vrrp_script checks (nil error = exit status 0; the timeout or the
// end of ctx ends it).
type Scripts interface {
	Start(c Command) error
	Run(ctx context.Context, c Command, timeout time.Duration) error
}

// notifiers are an instance's notify scripts.
type notifiers struct {
	master, backup, fault, stop, generic, rxLowerPri *conf.Script
	deleted                                          *conf.Script // notify_deleted's script
	notifyDeleted, prioChanges                       bool
	smtp                                             bool // smtp_alert, defaults applied
}

func notifiersOf(v *conf.VRRPInstance) notifiers {
	return notifiers{master: v.NotifyMaster, backup: v.NotifyBackup, fault: v.NotifyFault, stop: v.NotifyStop,
		generic: v.Notify, rxLowerPri: v.NotifyMasterRxLowerPri, deleted: v.NotifyDeletedScript,
		notifyDeleted: v.NotifyDeleted, prioChanges: v.NotifyPriorityChanges, smtp: v.SMTPAlert}
}

// commands for entering st: the state's own script, then the generic
// "notify" with TYPE NAME STATE PRIORITY appended.
func (n notifiers) commands(name string, st State, prio uint8) []Command {
	return n.commandsFor(st, "INSTANCE", name, st.String(), prio)
}

// ExecScripts is the real Scripts: internal/script's launcher.
type ExecScripts struct {
	Runner *script.Runner // nil: the daemon's own user, nothing logged
}

// NewExecScripts runs scripts as script_user (user, group) and logs
// keepalived's lines to log.
func NewExecScripts(user, group string, log *slog.Logger) ExecScripts {
	return ExecScripts{Runner: &script.Runner{User: user, Group: group, Log: func(m string) { log.Info(m) }}}
}

func (e ExecScripts) runner() *script.Runner {
	if e.Runner == nil {
		return &script.Runner{}
	}
	return e.Runner
}

// Start starts c with no timeout (keepalived's notify_exec) and does not
// wait; c.Ctx ending ends it.
func (e ExecScripts) Start(c Command) error {
	ctx := c.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	var done func(script.Result)
	if c.Exited != nil {
		done = func(script.Result) { c.Exited() }
	}
	return e.runner().Start(ctx, script.Cmd{Argv: c.Argv, User: c.User, Group: c.Group}, 0, done)
}

// Run runs c to completion: nil for exit status 0, else keepalived's
// reason ("exited with status 1", "timed out"). Past timeout, or when
// ctx ends, its process group gets SIGTERM, then SIGKILL.
func (e ExecScripts) Run(ctx context.Context, c Command, timeout time.Duration) error {
	return e.runner().Run(ctx, script.Cmd{Argv: c.Argv, User: c.User, Group: c.Group}, timeout).Failure()
}
