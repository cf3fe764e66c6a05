package conf

import (
	"sort"

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
	failPos   Pos // where resolving keepalived_script failed
	failSeen  bool
	// requests of the checker and VRRP passes, answered provisionally
	// while decoding and settled once global_defs is known whole
	pending []*userRequest
}

// userRequest is a default-user request of a subsystem pass. fail undoes
// what a provisional success let through; ok sets the final uid:gid.
type userRequest struct {
	pos   Pos
	phase scriptPhase
	gotOK bool
	fail  func()
	ok    func(scriptCred)
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

// resolveDefault is get_default_script_user on the state: the first
// request settles the default for good.
func (d *decoder) resolveDefault(pos Pos) (scriptCred, bool) {
	u := &d.users
	if u.fail {
		return scriptCred{}, false
	}
	if !u.set {
		u.set = true
		e := d.env()
		u.cred = scriptCred{e.UID, e.GID}
		if uid, gid, _, ok := e.LookupScriptUser("keepalived_script", ""); ok {
			u.cred = scriptCred{uid, gid}
		} else if d.cfg.Global.EnableScriptSecurity {
			u.fail, u.failSeen, u.failPos = true, true, pos
			return scriptCred{}, false
		}
	}
	return u.cred, true
}

// defaultUser is get_default_script_user asked at pos during pass ph. The
// main pass (global_defs) asks in file order. keepalived's checker and
// VRRP passes come after the whole of global_defs, so their requests get
// an answer from what is known now and are settled by
// settleDefaultUsers; fail and ok apply a different final answer.
func (d *decoder) defaultUser(pos Pos, ph scriptPhase, fail func(), ok func(scriptCred)) (scriptCred, bool) {
	if ph == phaseGlobal {
		return d.resolveDefault(pos)
	}
	saved := d.users
	c, good := d.resolveDefault(pos)
	pending := d.users.pending
	d.users = saved
	d.users.pending = append(pending, &userRequest{pos: pos, phase: ph, gotOK: good, fail: fail, ok: ok})
	return c, good
}

// settleDefaultUsers answers the subsystem passes' requests in
// keepalived's order (checker pass, then VRRP pass) now that global_defs
// is complete, and gives keepalived's one message for a missing
// keepalived_script user under enable_script_security.
func (d *decoder) settleDefaultUsers() {
	u := &d.users
	sort.SliceStable(u.pending, func(i, j int) bool { return u.pending[i].phase < u.pending[j].phase })
	for _, r := range u.pending {
		c, good := d.resolveDefault(r.pos)
		switch {
		case good && r.ok != nil:
			r.ok(c)
		case !good && r.gotOK && r.fail != nil:
			// global_defs came later in the file than the script
			r.fail()
		}
	}
	u.pending = nil
	if u.failSeen {
		d.add(u.failPos, syntax.GeneralError, "Unable to set default user keepalived_script for script")
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
		return &sc
	}
	p := &sc
	drop := func() {
		d.vlogInfo(s.Pos(), "Failed to set default user for %s script %s - ignoring", typ, sc.Argv[0])
	}
	c, ok := d.defaultUser(s.Pos(), ph, func() { drop(); p.Disabled = true }, func(c scriptCred) { p.cred = c })
	if !ok {
		drop()
		return nil
	}
	p.cred = c
	return p
}
