package vrrp

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
)

// Command is one script invocation: argv is exec'd directly, never
// through a shell (keepalived only uses one for a script with shell
// syntax, which conf already split into argv).
type Command struct {
	Argv        []string
	User, Group string // empty: the global script_user
}

// Scripts runs scripts: Start for notify scripts (not waited for), Run
// for vrrp_script checks (nil error = exit status 0; ctx ends it).
type Scripts interface {
	Start(c Command) error
	Run(ctx context.Context, c Command) error
}

// notifiers are an instance's notify scripts.
type notifiers struct {
	master, backup, fault, stop, generic, rxLowerPri *conf.Script
	deleted                                          *conf.Script // notify_deleted's script
	notifyDeleted, prioChanges                       bool
}

func notifiersOf(v *conf.VRRPInstance) notifiers {
	return notifiers{master: v.NotifyMaster, backup: v.NotifyBackup, fault: v.NotifyFault, stop: v.NotifyStop,
		generic: v.Notify, rxLowerPri: v.NotifyMasterRxLowerPri, deleted: v.NotifyDeletedScript,
		notifyDeleted: v.NotifyDeleted, prioChanges: v.NotifyPriorityChanges}
}

// commands for entering st: the state's own script, then the generic
// "notify" with TYPE NAME STATE PRIORITY appended (§2.8).
func (n notifiers) commands(name string, st State, prio uint8) []Command {
	return n.commandsFor(st, "INSTANCE", name, st.String(), prio)
}

// ExecScripts is the real Scripts: a child process per command, run as
// the command's user (or DefaultUser) when we are root.
type ExecScripts struct {
	DefaultUser, DefaultGroup string
}

// Start starts c and reaps it in the background.
func (e ExecScripts) Start(c Command) error {
	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	if err := e.setUser(cmd, c); err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait()
	return nil
}

// Run runs c to completion; when ctx ends (the script timeout) it gets
// SIGTERM, then SIGKILL a second later, as keepalived does.
func (e ExecScripts) Run(ctx context.Context, c Command) error {
	cmd := exec.CommandContext(ctx, c.Argv[0], c.Argv[1:]...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = time.Second
	if err := e.setUser(cmd, c); err != nil {
		return err
	}
	return cmd.Run()
}

func (e ExecScripts) setUser(cmd *exec.Cmd, c Command) error {
	u, g := c.User, c.Group
	if u == "" {
		u, g = e.DefaultUser, e.DefaultGroup
	}
	if u != "" && os.Geteuid() == 0 {
		cred, err := credential(u, g)
		if err != nil {
			return err
		}
		if cred.Uid != 0 || cred.Gid != 0 {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
	}
	return nil
}

func credential(name, group string) (*syscall.Credential, error) {
	uid, gid, err := conf.ScriptCredential(name, group)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uid, Gid: gid}, nil
}
