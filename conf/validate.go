package conf

import (
	"slices"
	"time"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

func secondsDur(v uint64) time.Duration { return time.Duration(v) * time.Second }

// validate runs the cross-block checks once everything is decoded.
func (d *decoder) validate() {
	d.settleDefaultUsers()
	d.validateVRRP()
	d.validateLVS()
	d.validateDrain()
	d.validateScripts()
	d.validateBGP()
}

// validateScripts is keepalived's script-security pass, in its order:
// the start-up/shutdown scripts (main process), the checker's scripts,
// then the VRRP scripts. A script that is missing, not executable by its
// user, or insecure is disabled (keepalived frees it; only a vrrp_script
// says so); any script that exists without enable_script_security is a
// security violation (exit 6), once per subsystem.
func (d *decoder) validateScripts() {
	g := &d.cfg.Global
	sec := g.EnableScriptSecurity
	// check runs one notify-type script; keepalived frees it unless it
	// exists and its user may execute it.
	check := func(sc *Script, system bool) int {
		if sc == nil || sc.Disabled {
			return 0
		}
		f := d.secure(sc)
		ok := scExecutable
		if system {
			ok |= scSystem
		}
		if f&(scInhibit|scNotFound) != 0 || f&ok == 0 {
			sc.Disabled = true
		}
		return f
	}
	violation := func(f int, what string, pos Pos) {
		if !sec && f&scIsScript != 0 {
			extra := ""
			if f&scInsecure != 0 {
				extra = " There are insecure scripts."
			}
			d.add(pos, syntax.SecurityError, "SECURITY VIOLATION - %sscripts are being executed but script_security not enabled.%s", what, extra)
		}
	}

	if g.StartupScript != nil || g.ShutdownScript != nil {
		f := check(g.StartupScript, true) | check(g.ShutdownScript, true)
		violation(f, "start/shutdown ", firstScript(g.StartupScript, g.ShutdownScript).Pos)
	}

	if len(d.cfg.VirtualServers) > 0 {
		f := 0
		var first *Script
		for _, vs := range d.cfg.VirtualServers {
			for _, rs := range vs.RealServers {
				for _, c := range rs.Checkers {
					if c.Misc == nil || c.Misc.Script == nil {
						continue
					}
					sc := c.Misc.Script
					first = firstScript(first, sc)
					ff := d.secure(sc)
					f |= ff
					// keepalived only logs these, with the command as
					// it resolved it
					switch {
					case ff&scInhibit != 0:
						d.vlogInfo(sc.Pos, "Disabling misc script %s due to insecure", cmdStr(sc.resolved))
					case ff&scNotFound != 0:
						d.vlogInfo(sc.Pos, "Disabling misc script %s since not found/accessible", cmdStr(sc.resolved))
					}
					if ff&scInhibit != 0 || ff&scNotFound != 0 || ff&(scExecutable|scSystem) == 0 {
						sc.Disabled = true
					}
				}
			}
		}
		for _, vs := range d.cfg.VirtualServers {
			f |= check(vs.QuorumUp, false) | check(vs.QuorumDown, false)
			first = firstScript(first, vs.QuorumUp, vs.QuorumDown)
			for _, rs := range vs.RealServers {
				f |= check(rs.NotifyUp, false) | check(rs.NotifyDown, false)
				first = firstScript(first, rs.NotifyUp, rs.NotifyDown)
			}
		}
		f |= check(g.NotifyFIFO.Script, false) | check(g.LVSNotifyFIFO.Script, false)
		first = firstScript(first, g.NotifyFIFO.Script, g.LVSNotifyFIFO.Script)
		if first != nil {
			violation(f, "check ", first.Pos)
		}
	}

	if len(d.cfg.VRRPInstances) > 0 {
		// keepalived's VRRP process stops at a missing interface before
		// vrrp_complete_init, which checks its scripts: they are still
		// disabled here as it would, but nothing is reported.
		if d.vst().missingIf {
			d.quiet()
			defer func() { d.diags, d.loud = d.loud, nil }()
		}
		f := 0
		var first *Script
		gone := map[string]bool{}
		kept := d.cfg.VRRPScripts[:0]
		for _, vs := range d.cfg.VRRPScripts {
			ff := d.secure(vs.Script)
			f |= ff
			first = firstScript(first, vs.Script)
			switch {
			case ff&scInhibit != 0:
				d.add(vs.Script.Pos, syntax.GeneralError, "Disabling track script %s due to insecure", vs.Name)
			case ff&scNotFound != 0:
				d.add(vs.Script.Pos, syntax.GeneralError, "Disabling track script %s since not found/accessible", vs.Name)
			case ff&(scExecutable|scSystem) == 0:
			default:
				kept = append(kept, vs)
				continue
			}
			vs.Script.Disabled = true
			gone[vs.Name] = true
		}
		d.cfg.VRRPScripts = kept
		for _, v := range d.cfg.VRRPInstances {
			for _, sc := range []*Script{v.NotifyBackup, v.NotifyMaster, v.NotifyFault, v.NotifyStop, v.NotifyDeletedScript, v.Notify, v.NotifyMasterRxLowerPri} {
				f |= check(sc, false)
				first = firstScript(first, sc)
			}
			v.TrackScripts = dropRefs(v.TrackScripts, gone)
		}
		for _, sg := range slices.Concat(d.cfg.SyncGroups, d.droppedSyncGroups) {
			for _, sc := range []*Script{sg.NotifyBackup, sg.NotifyMaster, sg.NotifyFault, sg.NotifyStop, sg.Notify} {
				f |= check(sc, false)
				first = firstScript(first, sc)
			}
			sg.TrackScripts = dropRefs(sg.TrackScripts, gone)
		}
		f |= check(g.NotifyFIFO.Script, false) | check(g.VRRPNotifyFIFO.Script, false)
		first = firstScript(first, g.NotifyFIFO.Script, g.VRRPNotifyFIFO.Script)
		if first != nil {
			violation(f, "", first.Pos)
		}
	}
}

// secure checks one script as the user it runs as, keeps keepalived's
// log lines as info messages. The command is left as written (keepalived
// rewrites it to the resolved path; the file run is the same).
func (d *decoder) secure(sc *Script) int {
	if len(sc.Argv) == 0 {
		return 0
	}
	r := d.env().checkScript(sc.Argv[0], sc.cred, d.cfg.Global.EnableScriptSecurity)
	for _, l := range r.logs {
		d.vlogInfo(sc.Pos, "%s", l)
	}
	sc.Shell = r.flags&scSystem != 0
	sc.resolved = append([]string{r.argv0}, sc.Argv[1:]...)
	return r.flags
}

// firstScript is the first non-nil script, for the position of a
// message keepalived prints without one.
func firstScript(l ...*Script) *Script {
	for _, s := range l {
		if s != nil {
			return s
		}
	}
	return nil
}

// dropRefs removes references to disabled track scripts.
func dropRefs(refs []TrackedRef, gone map[string]bool) []TrackedRef {
	if len(gone) == 0 {
		return refs
	}
	out := refs[:0]
	for _, r := range refs {
		if !gone[r.Name] {
			out = append(out, r)
		}
	}
	return out
}
