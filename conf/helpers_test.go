package conf

import (
	"io/fs"
	"path"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

// memFS adapts fstest.MapFS to the loader's FS with absolute paths.
type memFS struct{ m fstest.MapFS }

func (f memFS) rel(name string) string { return strings.TrimPrefix(path.Clean(name), "/") }

func (f memFS) ReadFile(name string) ([]byte, error)  { return fs.ReadFile(f.m, f.rel(name)) }
func (f memFS) Stat(name string) (fs.FileInfo, error) { return fs.Stat(f.m, f.rel(name)) }
func (f memFS) Glob(pattern string) ([]string, error) {
	m, err := fs.Glob(f.m, f.rel(pattern))
	for i := range m {
		m[i] = "/" + m[i]
	}
	return m, err
}

var _ syntax.FS = memFS{}

// loadFiles loads /etc/keepalived/keepalived.conf from an in-memory tree
// given as path → content (paths relative to /).
func loadFiles(t *testing.T, files map[string]string, opt Options) (*Config, *Diagnostics) {
	t.Helper()
	m := fstest.MapFS{}
	for p, c := range files {
		m[strings.TrimPrefix(p, "/")] = &fstest.MapFile{Data: []byte(c), Mode: 0o644}
	}
	opt.FS = memFS{m}
	if opt.ConfigID == "" {
		opt.ConfigID = "testhost"
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	if opt.Scripts == nil {
		// not the build machine's users and files
		opt.Scripts = newFakeSys().env()
	}
	return Load("/etc/keepalived/keepalived.conf", opt)
}

// loadString loads one config text.
func loadString(t *testing.T, text string) (*Config, *Diagnostics) {
	t.Helper()
	return loadFiles(t, map[string]string{"etc/keepalived/keepalived.conf": text}, Options{})
}

// mustHave fails unless some diagnostic contains want.
func mustHave(t *testing.T, ds *Diagnostics, want string) Diagnostic {
	t.Helper()
	for _, d := range ds.List {
		if strings.Contains(d.Msg, want) {
			return d
		}
	}
	t.Fatalf("no diagnostic containing %q; got:\n%s", want, dump(ds))
	return Diagnostic{}
}

// mustNotHave fails if some diagnostic contains unwanted.
func mustNotHave(t *testing.T, ds *Diagnostics, unwanted string) {
	t.Helper()
	for _, d := range ds.List {
		if strings.Contains(d.Msg, unwanted) {
			t.Errorf("unexpected diagnostic %s", d)
		}
	}
}

// mustBeClean fails if anything was reported but the notices of
// keywords gokeepalived does not support (keyword_coverage_test.go
// checks those).
func mustBeClean(t *testing.T, ds *Diagnostics) {
	t.Helper()
	for _, d := range ds.List {
		// lvsOpts' scripts are missing on purpose: keepalived only logs it
		if d.Kind == syntax.Info && (strings.Contains(d.Msg, " cannot be accessed - ") || strings.Contains(d.Msg, " since not found/accessible")) {
			continue
		}
		if !isUnsupportedNotice(d) {
			t.Fatalf("unexpected diagnostics:\n%s", dump(ds))
		}
	}
}

// isUnsupportedNotice says whether d is the notice of an accepted but
// unsupported keyword.
func isUnsupportedNotice(d Diagnostic) bool {
	return d.Kind == syntax.Info && strings.HasSuffix(d.Msg, "is accepted but not supported by gokeepalived")
}

func dump(ds *Diagnostics) string {
	var b strings.Builder
	for _, d := range ds.List {
		b.WriteString("  " + d.String() + "\n")
	}
	return b.String()
}
