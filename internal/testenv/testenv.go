// Package testenv finds the inputs the tests share (the repository root,
// keepalived's upstream samples) and gates the tests that need what a
// machine may lack: under CI (GOKEEPALIVED_REQUIRE_ORACLE set) a missing
// input fails the test, elsewhere it skips with one line saying why.
package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// RequireVar is set by `make test` and CI: a test that cannot run fails.
const RequireVar = "GOKEEPALIVED_REQUIRE_ORACLE"

// DebianSamples is where Debian's keepalived package (the 2.2.7 oracle,
// installed by .ci/setup) puts upstream's doc/samples.
const DebianSamples = "/usr/share/doc/keepalived/samples"

// Unavailable fails the test under CI and skips it elsewhere.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...) + " (run .ci/setup as root)"
	if os.Getenv(RequireVar) != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Root is the repository root: the directory of go.mod above this file.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// SampleFiles returns upstream's sample configs (keepalived.conf.*) as
// Debian ships them; none installed makes the test unavailable.
func SampleFiles(t testing.TB) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(DebianSamples, "keepalived.conf.*"))
	if len(m) < 20 {
		Unavailable(t, "keepalived's samples not in %s: install Debian's keepalived", DebianSamples)
	}
	return m
}

// Sample returns the path of one upstream sample config.
func Sample(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(DebianSamples, name)
	if _, err := os.Stat(p); err != nil {
		Unavailable(t, "keepalived sample %s: %v", name, err)
	}
	return p
}

// SeedFiles globs inputs for fuzz seeds: upstream's samples and the
// repository's own test configs, whatever is there.
func SeedFiles() []string {
	var out []string
	for _, pat := range []string{
		filepath.Join(DebianSamples, "keepalived.conf.*"),
		filepath.Join(Root(), "testdata", "*.conf"),
		filepath.Join(Root(), "testdata", "configtest", "*.conf"),
		filepath.Join(Root(), "testdata", "samples-extra", "*"),
	} {
		m, _ := filepath.Glob(pat)
		out = append(out, m...)
	}
	return out
}

// Keepalived243Var names a keepalived 2.4.3 binary to use instead of the
// one .ci/setup builds (scripts/oracle/build, cached under OracleCache).
const Keepalived243Var = "GOKEEPALIVED_KEEPALIVED243"

// OracleCache is where the oracle build script caches its binaries;
// ORACLE_CACHE overrides it, as it does for the script.
func OracleCache() string {
	if d := os.Getenv("ORACLE_CACHE"); d != "" {
		return d
	}
	return "/var/cache/gokeepalived-oracles"
}

// Keepalived243 returns the path of the keepalived 2.4.3 oracle (the
// second oracle, beside Debian's 2.2.7 at /usr/sbin/keepalived).
func Keepalived243(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(Keepalived243Var); p != "" {
		return p
	}
	m, _ := filepath.Glob(filepath.Join(OracleCache(), "keepalived-2.4.3-*", "keepalived"))
	for _, p := range m {
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	Unavailable(t, "keepalived 2.4.3 oracle not built in %s", OracleCache())
	return ""
}
