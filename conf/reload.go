package conf

import "github.com/gokeepalived/gokeepalived/conf/internal/syntax"

// ReloadRule is the one place that says when a reload keeps the running
// configuration instead of applying a new file. keepalived applies any
// file it can read on SIGHUP; so do we, except where the file read is not
// the file written: braces out of balance, a block skipped, a quote left
// open, an include that had to be read and could not, an interface that
// does not exist (the daemon would not start with it), or an instance,
// sync group, virtual server or address dropped as invalid. Warnings,
// fix-ups, unknown keywords and script-security notices are logged and the
// file is applied, as keepalived does.
//
// Whole is keepalived's reload_check_config (in the running
// configuration) and our --strict: then any problem that makes
// --config-test fail refuses the reload, as keepalived's check child
// exiting non-zero does.
type ReloadRule struct {
	Whole bool
}

// Refusals returns the diagnostics for which a reload is refused; none
// means the new configuration is applied.
func (r ReloadRule) Refusals(ds *Diagnostics) []Diagnostic {
	if r.Whole && ds.ExitCode() != ExitOK {
		var out []Diagnostic
		for _, d := range ds.List {
			if d.Kind > syntax.Notice || d.Loses {
				out = append(out, d)
			}
		}
		if len(out) == 0 { // all of them past MaxDiags
			out = append(out, Diagnostic{Kind: ds.Worst, Msg: "config check failed"})
		}
		return out
	}
	if ds.Losses == 0 {
		return nil
	}
	var out []Diagnostic
	for _, d := range ds.List {
		if d.Loses {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		out = append(out, Diagnostic{Kind: ds.Worst, Loses: true, Msg: "part of the configuration is lost (messages past the limit)"})
	}
	return out
}
