package conf

import (
	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

// scriptPhase is the keepalived parse pass that meets a script: the main
// pass reads global_defs, then the checker pass, then the VRRP pass. The
// default script user is resolved once per process, so the pass decides
// where its failure is reported.
type scriptPhase int

const (
	phaseGlobal scriptPhase = iota
	phaseCheck
	phaseVRRP
)

// scriptUsers is keepalived's default-script-user state (notify.c):
// set by script_user, else keepalived_script if it exists, else the
// daemon's own uid/gid; once it failed every later default fails.
type scriptUsers struct {
	set, fail bool
	cred      scriptCred
	// the first default-user failure is reported at the first request
	// in pass order
	failPos   Pos
	failPhase scriptPhase
	failSeen  bool
}

func (d *decoder) env() *ScriptEnv {
	if d.opt.Scripts == nil {
		d.opt.Scripts = OSScriptEnv()
	}
	return d.opt.Scripts
}

// lookupUser is set_uid_gid: on failure keepalived's log line is kept as
// an info message at pos.
func (d *decoder) lookupUser(pos Pos, name, group string) (scriptCred, bool) {
	uid, gid, msg, ok := d.env().LookupScriptUser(name, group)
	if !ok {
		d.vlogInfo(pos, "%s", msg)
		return scriptCred{}, false
	}
	return scriptCred{uid, gid}, true
}

// setDefaultUser is global_defs script_user; it reports whether it failed.
func (d *decoder) setDefaultUser(pos Pos, name, group string) bool {
	u := &d.users
	u.set = true
	c, ok := d.lookupUser(pos, name, group)
	if !ok {
		u.fail = true
		return true
	}
	u.cred = c
	return u.fail
}

// defaultUser is get_default_script_user, asked at pos during pass ph.
func (d *decoder) defaultUser(pos Pos, ph scriptPhase) (scriptCred, bool) {
	u := &d.users
	if u.fail {
		if u.failSeen && ph < u.failPhase {
			u.failPos, u.failPhase = pos, ph
		}
		return scriptCred{}, false
	}
	if !u.set {
		u.set = true
		e := d.env()
		u.cred = scriptCred{e.UID, e.GID}
		if uid, gid, _, ok := e.LookupScriptUser("keepalived_script", ""); ok {
			u.cred = scriptCred{uid, gid}
		} else if d.cfg.Global.EnableScriptSecurity {
			u.fail, u.failSeen, u.failPos, u.failPhase = true, true, pos, ph
			return scriptCred{}, false
		}
	}
	return u.cred, true
}

// reportDefaultUserFailure gives keepalived's one message for a missing
// keepalived_script user under enable_script_security.
func (d *decoder) reportDefaultUserFailure() {
	if d.users.failSeen {
		d.add(d.users.failPos, syntax.GeneralError, "Unable to set default user keepalived_script for script")
	}
}

// notifyScript is notify_script_init: the command of a notify-type
// keyword, run as the user (and group) written after it or as the
// default script user. A user that cannot be resolved drops the script,
// which keepalived only logs. typ names the script in those logs.
func (d *decoder) notifyScript(s *syntax.Stmt, typ string, ph scriptPhase) *Script {
	sc, ok := d.script(s)
	if !ok {
		return nil
	}
	if sc.User != "" {
		c, ok := d.lookupUser(s.Pos(), sc.User, sc.Group)
		if !ok {
			d.vlogInfo(s.Pos(), "Invalid user/group for %s script %s - ignoring", typ, sc.Argv[0])
			return nil
		}
		sc.cred = c
	} else {
		c, ok := d.defaultUser(s.Pos(), ph)
		if !ok {
			d.vlogInfo(s.Pos(), "Failed to set default user for %s script %s - ignoring", typ, sc.Argv[0])
			return nil
		}
		sc.cred = c
	}
	return &sc
}
