package vrrpd

import (
	"context"
	"log/slog"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/script"
	"github.com/gokeepalived/gokeepalived/vrrp"
)

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
func (n notifiers) commands(name string, st vrrp.State, prio uint8) []vrrp.Command {
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
func (e ExecScripts) Start(c vrrp.Command) error {
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
func (e ExecScripts) Run(ctx context.Context, c vrrp.Command, timeout time.Duration) error {
	return e.runner().Run(ctx, script.Cmd{Argv: c.Argv, User: c.User, Group: c.Group}, timeout).Failure()
}
