package daemon

import (
	"path/filepath"
	"strings"
)

// DumpPath is where a dump goes, as keepalived 2.4.3's open_dump_file
// places the state dumps: setting is state_dump_file (or stats_dump_file,
// json_dump_file); empty, the file is tmp/def. An absolute setting names
// the directory (all of it when it ends in /, else up to its last /),
// otherwise the directory is tmp. Unless the setting ends in /, its last
// element names the file. suffix ("_check", "_bfd", "_parent") goes in
// before the file name's last dot.
func DumpPath(tmp, setting, def, suffix string) string {
	dir, name := tmp, def
	if strings.HasPrefix(setting, "/") {
		dir = setting
		if !strings.HasSuffix(setting, "/") {
			dir = setting[:strings.LastIndex(setting, "/")]
		}
	}
	if setting != "" && !strings.HasSuffix(setting, "/") {
		name = setting[strings.LastIndex(setting, "/")+1:]
	}
	stem, ext := name, ""
	if i := strings.LastIndex(name, "."); i >= 0 {
		stem, ext = name[:i], name[i:]
	}
	return filepath.Join(dir, stem+suffix+ext)
}

// dumpSettings are the configured dump paths; zero before a config.
func (d *Daemon) dumpSettings() (state, stats, json string) {
	if d.cfg == nil {
		return "", "", ""
	}
	g := d.cfg.Global.V243
	return g.StateDumpFile, g.StatsDumpFile, g.JSONDumpFile
}

func (d *Daemon) statePath(suffix string) string {
	s, _, _ := d.dumpSettings()
	return DumpPath(d.o.TmpDir, s, "keepalived.data", suffix)
}

func (d *Daemon) statsPath() string {
	_, s, _ := d.dumpSettings()
	return DumpPath(d.o.TmpDir, s, "keepalived.stats", "")
}

func (d *Daemon) jsonPath() string {
	_, _, s := d.dumpSettings()
	return DumpPath(d.o.TmpDir, s, "keepalived.json", "")
}

// jsonVersion is json_version: 1 unless set to 2.
func (d *Daemon) jsonVersion() int {
	if d.cfg != nil && d.cfg.Global.V243.JSONVersion == 2 {
		return 2
	}
	return 1
}
