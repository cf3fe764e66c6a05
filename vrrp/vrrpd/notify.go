package vrrpd

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/notifyfifo"
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

// notifier tells of state changes: notify scripts (counted, so that a
// stop can wait for them), the notify FIFOs and the e-mail alerts. Used
// from the loop (or before Run), as the Runtime it is part of.
type notifier struct {
	scripts vrrp.Scripts
	log     *slog.Logger
	running atomic.Int64 // notify scripts running
	fifo    *notifyfifo.Set
	fifoCfg [2]conf.NotifyFIFO // global, vrrp: reopened when changed
	mail    mailer
}

// reloadFIFO reopens the FIFOs if their settings changed.
func (nt *notifier) reloadFIFO(g *conf.GlobalDefs) {
	if !fifoSame(nt.fifoCfg, g) {
		nt.fifo.Close()
		nt.openFIFO(g)
	}
}

// shutdownNotifyWait is how long a stop waits for the notify scripts
// still running (the STOP ones it just started): keepalived's shutdown
// timer gives them a second before it exits.
const shutdownNotifyWait = time.Second

// await waits until no notify script runs, or for d at most: the
// scripts would get SIGTERM (PR_SET_PDEATHSIG) when the daemon exits.
func (nt *notifier) await(d time.Duration) {
	for end := time.Now().Add(d); nt.running.Load() > 0 && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
}

// run starts a notify script of instance (or group) inst.
func (nt *notifier) run(inst string, c vrrp.Command) {
	nt.running.Add(1)
	exited := c.Exited
	c.Exited = func() {
		if exited != nil {
			exited()
		}
		nt.running.Add(-1)
	}
	if err := nt.scripts.Start(c); err != nil {
		nt.running.Add(-1)
		// the launcher logged keepalived's line
		nt.log.Debug("notify script", "instance", inst, "argv", c.Argv, "err", err)
	}
}

// commandsFor is commands with the generic script's words given.
func (n notifiers) commandsFor(st vrrp.State, typ, name, state string, prio uint8) []vrrp.Command {
	var out []vrrp.Command
	add := func(s *conf.Script, extra ...string) {
		if s == nil || s.Disabled || len(s.Argv) == 0 {
			return
		}
		argv := append(append([]string(nil), s.Argv...), extra...)
		out = append(out, vrrp.Command{Argv: argv, User: s.User, Group: s.Group})
	}
	switch st {
	case vrrp.StateMaster:
		add(n.master)
	case vrrp.StateBackup:
		add(n.backup)
	case vrrp.StateFault:
		add(n.fault)
	case vrrp.StateStop:
		add(n.stop)
	}
	add(n.generic, typ, name, state, strconv.Itoa(int(prio)))
	return out
}

// fifoInstance writes an instance's line to the FIFOs.
func (nt *notifier) fifoInstance(ri *rtInst, state string) {
	nt.fifo.Write(notifyfifo.Instance(ri.inst.Name(), state, ri.inst.EffectivePriority()))
}

// onNotify hands a state notification to Deps.OnNotify.
func (r *Runtime) onNotify(instance, state string) {
	if r.deps.OnNotify != nil {
		r.deps.OnNotify(instance, state)
	}
}

// openFIFO opens notify_fifo and vrrp_notify_fifo; their scripts run as
// notify scripts do.
func (nt *notifier) openFIFO(g *conf.GlobalDefs) {
	nt.fifoCfg = [2]conf.NotifyFIFO{g.NotifyFIFO, g.VRRPNotifyFIFO}
	nt.fifo = notifyfifo.Open(g.NotifyFIFO, g.VRRPNotifyFIFO, "vrrp_", func(ctx context.Context, argv []string, user, group string, exited func()) error {
		return nt.scripts.Start(vrrp.Command{Argv: argv, User: user, Group: group, Ctx: ctx, Exited: exited})
	}, nt.log)
}

// fifoSame compares the FIFO settings including their scripts.
func fifoSame(old [2]conf.NotifyFIFO, g *conf.GlobalDefs) bool {
	eq := func(a, b conf.NotifyFIFO) bool {
		if a.Name != b.Name || a.User != b.User || a.Group != b.Group || (a.Script == nil) != (b.Script == nil) {
			return false
		}
		return a.Script == nil || slices.Equal(a.Script.Argv, b.Script.Argv)
	}
	return eq(old[0], g.NotifyFIFO) && eq(old[1], g.VRRPNotifyFIFO)
}
