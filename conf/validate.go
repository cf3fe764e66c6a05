package conf

import (
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

func secondsDur(v uint64) time.Duration { return time.Duration(v) * time.Second }

// validate runs the cross-block checks once everything is decoded.
func (d *decoder) validate() {
	d.validateVRRP()
	d.validateLVS()
	d.validateScripts()
}

// addScript registers a script for the security check and returns it.
func (d *decoder) addScript(s *syntax.Stmt) (*Script, bool) {
	sc, ok := d.script(s)
	if !ok {
		return nil, false
	}
	p := &sc
	d.cfg.scripts = append(d.cfg.scripts, p)
	return p, true
}

// validateScripts follows keepalived: a script whose program does not
// exist is silently disabled; if any remaining script would run without
// enable_script_security that is a security violation (exit 6); with it,
// scripts writable by non-root users are refused.
func (d *decoder) validateScripts() {
	stat := d.opt.FileInfo
	if stat == nil {
		stat = os.Stat
	}
	live := 0
	for _, sc := range d.cfg.scripts {
		path := sc.Argv[0]
		if !filepath.IsAbs(path) {
			if p, err := exec.LookPath(path); err == nil {
				path = p
			}
		}
		fi, err := stat(path)
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			sc.Disabled = true
			continue
		}
		if d.cfg.Global.EnableScriptSecurity && fi.Mode()&0o022 != 0 {
			d.add(sc.Pos, syntax.SecurityError, "Unsafe permissions found for script '%s' - disabling.", path)
			sc.Disabled = true
			continue
		}
		live++
	}
	if live > 0 && !d.cfg.Global.EnableScriptSecurity {
		d.add(d.cfg.scripts[0].Pos, syntax.SecurityError, "SECURITY VIOLATION - scripts are being executed but script_security not enabled.")
	}
}
