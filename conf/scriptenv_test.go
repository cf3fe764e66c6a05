package conf

import (
	"strings"
	"syscall"
)

// fakeFile is one entry of a fake file system: mode holds the type and
// permission bits (S_IFREG|0755...), link the target of a symlink.
type fakeFile struct {
	mode     uint32
	uid, gid uint32
	link     string
}

// fakeSys is a file system and user database for the script rules.
type fakeSys struct {
	files  map[string]fakeFile
	users  map[string][2]uint32
	groups map[string]uint32
}

func newFakeSys() *fakeSys {
	f := &fakeSys{
		files:  map[string]fakeFile{},
		users:  map[string][2]uint32{"root": {0, 0}, "nobody": {65534, 65534}},
		groups: map[string]uint32{"root": 0, "nogroup": 65534, "staff": 50},
	}
	f.dir("/", 0, 0, 0o755)
	for _, d := range []string{"/bin", "/usr", "/usr/bin", "/usr/sbin", "/etc"} {
		f.dir(d, 0, 0, 0o755)
	}
	f.dir("/tmp", 0, 0, 0o1777)
	for _, p := range []string{"/bin/true", "/bin/false", "/bin/echo", "/bin/sh", "/usr/bin/true", "/bin/x", "/bin/a", "/bin/b", "/bin/c", "/bin/up", "/bin/down", "/bin/check"} {
		f.file(p, 0, 0, 0o755)
	}
	return f
}

func (f *fakeSys) dir(p string, uid, gid, perm uint32) {
	f.files[p] = fakeFile{mode: syscall.S_IFDIR | perm, uid: uid, gid: gid}
}

func (f *fakeSys) file(p string, uid, gid, perm uint32) {
	f.files[p] = fakeFile{mode: syscall.S_IFREG | perm, uid: uid, gid: gid}
}

func (f *fakeSys) symlink(p, target string) {
	f.files[p] = fakeFile{mode: syscall.S_IFLNK | 0o777, link: target}
}

func (f *fakeSys) lstat(p string) (FileStat, error) {
	p = clean(p)
	// every parent must be a directory
	for i := 1; i < len(p); i++ {
		if p[i] == '/' {
			d, ok := f.files[p[:i]]
			if !ok {
				return FileStat{}, syscall.ENOENT
			}
			if d.mode&syscall.S_IFMT == syscall.S_IFLNK {
				st, err := f.stat(p[:i])
				if err != nil {
					return FileStat{}, err
				}
				if st.Mode&syscall.S_IFMT != syscall.S_IFDIR {
					return FileStat{}, syscall.ENOTDIR
				}
				// resolve the parent symlink and retry
				rp, err := f.resolve(p[:i], 0)
				if err != nil {
					return FileStat{}, err
				}
				return f.lstat(rp + p[i:])
			}
			if d.mode&syscall.S_IFMT != syscall.S_IFDIR {
				return FileStat{}, syscall.ENOTDIR
			}
		}
	}
	e, ok := f.files[p]
	if !ok {
		return FileStat{}, syscall.ENOENT
	}
	ino := uint64(len(p))
	for _, c := range p {
		ino = ino*31 + uint64(c)
	}
	return FileStat{Mode: e.mode, UID: e.uid, GID: e.gid, Dev: 1, Ino: ino}, nil
}

func (f *fakeSys) resolve(p string, depth int) (string, error) {
	if depth > 40 {
		return "", syscall.ELOOP
	}
	p = clean(p)
	e, ok := f.files[p]
	if !ok {
		if _, err := f.lstat(p); err != nil {
			return "", err
		}
		return p, nil
	}
	if e.mode&syscall.S_IFMT != syscall.S_IFLNK {
		return p, nil
	}
	t := e.link
	if !strings.HasPrefix(t, "/") {
		t = p[:strings.LastIndexByte(p, '/')+1] + t
	}
	return f.resolve(t, depth+1)
}

func (f *fakeSys) stat(p string) (FileStat, error) {
	rp, err := f.resolve(p, 0)
	if err != nil {
		return FileStat{}, err
	}
	return f.lstat(rp)
}

func clean(p string) string {
	for strings.Contains(p, "//") {
		p = strings.ReplaceAll(p, "//", "/")
	}
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	return p
}

// env is the fake as a ScriptEnv running as root.
func (f *fakeSys) env() *ScriptEnv {
	return &ScriptEnv{
		Stat:  f.stat,
		Lstat: f.lstat,
		Readlink: func(p string) (string, error) {
			e, ok := f.files[clean(p)]
			if !ok || e.mode&syscall.S_IFMT != syscall.S_IFLNK {
				return "", syscall.EINVAL
			}
			return e.link, nil
		},
		LookupUser: func(n string) (uint32, uint32, bool) {
			u, ok := f.users[n]
			return u[0], u[1], ok
		},
		LookupGroup: func(n string) (uint32, bool) {
			g, ok := f.groups[n]
			return g, ok
		},
		Path:   "/usr/sbin:/usr/bin:/bin",
		Cwd:    "/",
		Groups: []uint32{0},
	}
}
