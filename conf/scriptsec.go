package conf

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"syscall"
)

// ScriptEnv is what the script-security rules see of the system: file
// metadata, users and groups, PATH and the daemon's own credentials. It
// is a value so that tests can give a fake file system.
type ScriptEnv struct {
	// Stat follows symbolic links, Lstat does not; errors are
	// syscall.Errno values (ENOENT, EACCES, ENOTDIR, ...).
	Stat, Lstat func(path string) (FileStat, error)
	Readlink    func(path string) (string, error)
	// LookupUser gives a user's uid and primary gid; LookupGroup a
	// group's gid. ok false: no such name.
	LookupUser  func(name string) (uid, gid uint32, ok bool)
	LookupGroup func(name string) (gid uint32, ok bool)
	// Path is the PATH searched for a bare command name.
	Path string
	// Cwd resolves a relative script path.
	Cwd string
	// UID, GID and Groups are the daemon's own credentials (root).
	UID, GID uint32
	Groups   []uint32
}

// FileStat is the part of struct stat the rules use; Mode holds the
// raw st_mode (type and permission bits).
type FileStat struct {
	Mode     uint32
	UID, GID uint32
	Dev, Ino uint64
}

func (f FileStat) isDir() bool { return f.Mode&syscall.S_IFMT == syscall.S_IFDIR }
func (f FileStat) isReg() bool { return f.Mode&syscall.S_IFMT == syscall.S_IFREG }
func (f FileStat) isLnk() bool { return f.Mode&syscall.S_IFMT == syscall.S_IFLNK }

// OSScriptEnv is the real system.
func OSScriptEnv() *ScriptEnv {
	conv := func(err error, st *syscall.Stat_t) (FileStat, error) {
		if err != nil {
			return FileStat{}, err
		}
		return FileStat{Mode: st.Mode, UID: st.Uid, GID: st.Gid, Dev: uint64(st.Dev), Ino: st.Ino}, nil
	}
	e := &ScriptEnv{
		Stat: func(p string) (FileStat, error) {
			var st syscall.Stat_t
			return conv(syscall.Stat(p, &st), &st)
		},
		Lstat: func(p string) (FileStat, error) {
			var st syscall.Stat_t
			return conv(syscall.Lstat(p, &st), &st)
		},
		Readlink:    os.Readlink,
		LookupUser:  lookupOSUser,
		LookupGroup: lookupOSGroup,
		Path:        os.Getenv("PATH"),
		UID:         uint32(os.Geteuid()),
		GID:         uint32(os.Getegid()),
	}
	if e.Path == "" {
		e.Path = "/bin:/usr/bin" // confstr(_CS_PATH)
	}
	e.Cwd, _ = os.Getwd()
	if gs, err := os.Getgroups(); err == nil {
		for _, g := range gs {
			e.Groups = append(e.Groups, uint32(g))
		}
	}
	return e
}

func lookupOSUser(name string) (uint32, uint32, bool) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, 0, false
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	return uint32(uid), uint32(gid), err1 == nil && err2 == nil
}

func lookupOSGroup(name string) (uint32, bool) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, false
	}
	gid, err := strconv.ParseUint(g.Gid, 10, 32)
	return uint32(gid), err == nil
}

// scriptCred is the uid:gid a script runs as.
type scriptCred struct{ uid, gid uint32 }

// LookupScriptUser resolves "user [group]" the way keepalived's
// set_uid_gid does: the user's uid and primary gid, the group (taken
// literally) replacing the gid. It is the one lookup behind script_user,
// vrrp_script and MISC_CHECK "user", notify scripts' user words and the
// default keepalived_script user. msg is what keepalived logs on failure.
func (e *ScriptEnv) LookupScriptUser(name, group string) (uid, gid uint32, msg string, ok bool) {
	uid, gid, ok = e.LookupUser(name)
	if !ok {
		return 0, 0, "Script user '" + name + "' does not exist", false
	}
	if group != "" {
		g, ok := e.LookupGroup(group)
		if !ok {
			return 0, 0, "Script group '" + group + "' does not exist", false
		}
		gid = g
	}
	return uid, gid, "", true
}

// Flags of a script check (keepalived's SC_*).
const (
	scOK         = 0
	scSystem     = 1 << iota // "</file": only opened, never run
	scNotFound               // missing or not accessible
	scInhibit                // must not run
	scInsecure               // writable by non-root somewhere on its path
	scIsScript               // an existing file
	scExecutable             // executable by its user
)

// scriptCheck is the outcome of checking one script.
type scriptCheck struct {
	flags int
	argv0 string   // the command keepalived would execute
	logs  []string // what keepalived logs (LOG_INFO) meanwhile
}

func (r *scriptCheck) log(format string, args ...any) {
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

// isExecutable is keepalived's test: root needs any x bit; others the
// owner, group or other bit that applies to them (supplementary groups
// are not considered).
func isExecutable(st FileStat, c scriptCred) bool {
	m := st.Mode
	return (c.uid == 0 && m&0o111 != 0) ||
		(c.uid == st.UID && m&0o100 != 0) ||
		(c.uid != st.UID && ((c.gid == st.GID && m&0o010 != 0) || (c.gid != st.GID && m&0o001 != 0)))
}

// canSearch is the kernel's search (x) permission on a directory for
// uid/gid with the given supplementary groups; uid 0 may always search.
func canSearch(st FileStat, uid, gid uint32, groups []uint32) bool {
	if uid == 0 {
		return true
	}
	if uid == st.UID {
		return st.Mode&0o100 != 0
	}
	in := gid == st.GID
	for _, g := range groups {
		in = in || g == st.GID
	}
	if in {
		return st.Mode&0o010 != 0
	}
	return st.Mode&0o001 != 0
}

// realpath resolves p as realpath(3) run with the given credentials:
// every symlink followed, each directory walked through needing search
// permission.
func (e *ScriptEnv) realpath(p string, uid, gid uint32, groups []uint32) (string, error) {
	if p == "" {
		return "", syscall.ENOENT
	}
	if p[0] != '/' {
		p = e.Cwd + "/" + p
	}
	resolved := "/"
	rest := p
	links := 0
	for rest != "" {
		var comp string
		comp, rest, _ = strings.Cut(strings.TrimLeft(rest, "/"), "/")
		switch comp {
		case "", ".":
			continue
		case "..":
			if i := strings.LastIndexByte(resolved, '/'); i > 0 {
				resolved = resolved[:i]
			} else {
				resolved = "/"
			}
			continue
		}
		dir, err := e.Stat(resolved)
		if err != nil {
			return "", err
		}
		if !dir.isDir() {
			return "", syscall.ENOTDIR
		}
		if !canSearch(dir, uid, gid, groups) {
			return "", syscall.EACCES
		}
		next := strings.TrimSuffix(resolved, "/") + "/" + comp
		st, err := e.Lstat(next)
		if err != nil {
			return "", err
		}
		if st.isLnk() {
			if links++; links > 40 {
				return "", syscall.ELOOP
			}
			target, err := e.Readlink(next)
			if err != nil {
				return "", err
			}
			if strings.HasPrefix(target, "/") {
				resolved = "/"
			}
			rest = target + "/" + rest
			continue
		}
		if !st.isDir() && strings.Trim(rest, "/") != "" {
			return "", syscall.ENOTDIR
		}
		resolved = next
	}
	return resolved, nil
}

// statAs is stat(2) as uid/gid: the path walk needs search permission.
func (e *ScriptEnv) statAs(p string, uid, gid uint32, groups []uint32) (FileStat, error) {
	rp, err := e.realpath(p, uid, gid, groups)
	if err != nil {
		return FileStat{}, err
	}
	return e.Stat(rp)
}

// findPath searches PATH for a bare command name as keepalived's
// find_path does, as the script's user. It returns the path found or
// EACCES (something found but not executable) or ENOENT.
func (e *ScriptEnv) findPath(file string, c scriptCred) (string, error) {
	if file == "" {
		return "", syscall.ENOENT
	}
	groups := e.Groups
	uid, gid := e.UID, e.GID
	if c.uid != e.UID || c.gid != e.GID {
		// keepalived switches euid first, then setgroups(), which a
		// non-root euid may not do: the search fails as a permission
		// failure for any other user
		if c.uid != e.UID {
			return "", syscall.EACCES
		}
		uid, gid, groups = c.uid, c.gid, []uint32{c.gid}
	}
	gotEACCES := false
	for _, dir := range strings.Split(e.Path, ":") {
		cand := file
		if dir != "" {
			cand = dir + "/" + file
		}
		st, err := e.statAs(cand, uid, gid, groups)
		if err != nil {
			continue
		}
		if !st.isReg() || !isExecutable(st, c) {
			gotEACCES = true
			continue
		}
		return cand, nil
	}
	if gotEACCES {
		return "", syscall.EACCES
	}
	return "", syscall.ENOENT
}

// checkScript is keepalived's check_script_secure for a command run as
// c, security being enable_script_security.
func (e *ScriptEnv) checkScript(argv0 string, c scriptCred, security bool) scriptCheck {
	r := scriptCheck{argv0: argv0}
	if strings.HasPrefix(argv0, "<") && strings.HasPrefix(strings.TrimLeft(argv0[1:], " \t"), "/") {
		r.flags = scSystem
		return r
	}
	if !strings.Contains(argv0, "/") {
		p, err := e.findPath(argv0, c)
		if err != nil {
			if err == syscall.EACCES {
				r.log("Permissions failure for script %s in path - disabling", argv0)
			} else {
				r.log("Cannot find script %s in path - disabling", argv0)
			}
			r.flags = scNotFound
			return r
		}
		r.log("WARNING - script `%s` resolved by path search to `%s`. Please specify full path.", argv0, p)
		r.argv0 = p
	}
	// realpath runs with the script's euid/egid but keeps the daemon's
	// supplementary groups.
	newPath, err := e.realpath(r.argv0, c.uid, c.gid, e.Groups)
	if err != nil {
		r.log("Script %s cannot be accessed - %s", r.argv0, errText(err))
		r.flags = scNotFound
		return r
	}
	realFile := ""
	if r.argv0 != newPath {
		// keep the name the script was called by when it is the same
		// file: some programs act on their name
		orig := r.argv0[strings.LastIndexByte(r.argv0, '/')+1:]
		i := strings.LastIndexByte(newPath, '/')
		if orig != newPath[i+1:] {
			realFile = newPath
			newPath = newPath[:i+1] + orig
			rs, errR := e.Stat(realFile)
			ns, errN := e.Stat(newPath)
			if errR == nil && (errN != nil || rs.Dev != ns.Dev || rs.Ino != ns.Ino) {
				newPath, realFile = realFile, ""
			}
		}
		r.argv0 = newPath
	}
	target := r.argv0
	if realFile != "" {
		target = realFile
	}
	st, err := e.Stat(target)
	if err != nil {
		r.log("Unable to access script `%s` - disabling", r.argv0)
		r.flags = scNotFound
		return r
	}
	r.flags = scIsScript
	protect := false
	if isExecutable(st, c) {
		r.flags |= scExecutable
		protect = c.uid == 0 || c.gid == 0 ||
			(st.UID == 0 && st.Mode&0o100 != 0 && st.Mode&syscall.S_ISUID != 0) ||
			(st.GID == 0 && st.Mode&0o010 != 0 && st.Mode&syscall.S_ISGID != 0)
	} else {
		r.log("WARNING - script '%s' is not executable for uid:gid %d:%d - disabling.", r.argv0, c.uid, c.gid)
	}
	if !protect {
		return r
	}
	r.flags |= e.checkPathSecurity(&r, r.argv0, security)
	if realFile != "" {
		r.flags |= e.checkPathSecurity(&r, realFile, security)
	}
	return r
}

// checkPathSecurity is keepalived's check_security: every directory of
// the path and the file itself must be owned by root and not writable by
// a non-root group or by others (a sticky directory may be).
func (e *ScriptEnv) checkPathSecurity(r *scriptCheck, filename string, security bool) int {
	for i := 0; i <= len(filename); i++ {
		last := i == len(filename)
		if !last && filename[i] != '/' {
			continue
		}
		p := filename[:i]
		if i == 0 {
			p = "/"
		}
		st, err := e.Lstat(p)
		if err != nil {
			var en syscall.Errno
			if errors.As(err, &en) && en != syscall.EACCES && en != syscall.ELOOP && en != syscall.ENOENT && en != syscall.ENOTDIR {
				r.log("check_script_secure('%s') returned errno %d - %s - disabling", filename, int(en), errText(err))
			} else {
				r.log("check_script_secure could not find script '%s' - disabling", filename)
			}
			return scNotFound
		}
		if (!last && !st.isDir()) || (last && !st.isReg() && !st.isLnk()) {
			r.log("Wrong file type found in script path '%s'.", filename)
			return scInhibit
		}
		if st.UID != 0 || (((st.isDir() && st.Mode&syscall.S_ISVTX == 0) || st.isReg()) &&
			((st.GID != 0 && st.Mode&0o020 != 0) || st.Mode&0o002 != 0)) {
			if security {
				r.log("Unsafe permissions found for script '%s' - disabling.", filename)
				return scInsecure | scInhibit
			}
			r.log("Unsafe permissions found for script '%s'.", filename)
			return scInsecure
		}
	}
	return scOK
}

// errText is strerror's text for an errno.
func errText(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		s := en.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	return err.Error()
}

// cmdStr is keepalived's cmd_str, how messages show a command: every
// word in single quotes, except a first word that is a redirection
// ("</file"); "(null)" when it does not fit its 1024-byte buffer.
func cmdStr(argv []string) string {
	n := 0
	for _, a := range argv {
		n += len(a) + 3
	}
	if n > 1024 {
		return "(null)"
	}
	var b strings.Builder
	for i, a := range argv {
		if b.Len()+len(a)+2+min(i, 1) >= 1024 {
			return "(null)"
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		q := i > 0 || !(strings.HasPrefix(a, "<") || strings.HasPrefix(a, ">"))
		if q {
			b.WriteByte('\'')
		}
		b.WriteString(a)
		if q {
			b.WriteByte('\'')
		}
	}
	return b.String()
}
