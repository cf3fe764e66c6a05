package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gokeepalived/gokeepalived/internal/netnstest"
	"github.com/gokeepalived/gokeepalived/internal/testenv"
)

// The test binary doubles as gokeepalived so the differential test runs
// the real command line without a separate build.
func TestMain(m *testing.M) {
	if os.Getenv("GOKEEPALIVED_AS_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// divergences are configs where gokeepalived deliberately gives another
// verdict than keepalived 2.2.7, with the reason (README, differences).
var divergences = map[string]struct {
	code   int
	reason string
}{
	"include-missing-named.conf": {5, "a named include file that does not exist is an error; keepalived ignores it"},
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestConfigTestMatchesKeepalived runs Debian's keepalived 2.2.7 and
// gokeepalived with --config-test on every upstream sample and every
// config under testdata/configtest, in a namespace that has the
// interfaces the samples name, and compares the verdicts.
func TestConfigTestMatchesKeepalived(t *testing.T) {
	netnstest.Require(t, "keepalived")
	ns := netnstest.New(t, "gkct", "eth0", "eth1", "eth2", "eth3", "eth0.1")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	files := testenv.SampleFiles(t)
	extra, _ := filepath.Glob(filepath.Join(testenv.Root(), "testdata", "samples-extra", "*.conf"))
	ours, _ := filepath.Glob("../../testdata/configtest/*.conf")
	files = append(append(files, extra...), ours...)
	sort.Strings(files)
	if len(extra) < 2 || len(ours) < 40 {
		t.Fatalf("%d extra samples, %d of our configs: want ≥ 2 and ≥ 40", len(extra), len(ours))
	}
	for _, f := range files {
		abs, _ := filepath.Abs(f)
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ka := ns.Command("keepalived", "-t", "-f", abs)
			kaOut, kaErr := ka.CombinedOutput()
			want := exitCode(kaErr)
			ours := ns.Command(self, "--compat", "2.2.7", "-t", "-f", abs)
			ours.Env = append(os.Environ(), "GOKEEPALIVED_AS_MAIN=1")
			ourOut, ourErr := ours.CombinedOutput()
			got := exitCode(ourErr)
			if dv, ok := divergences[name]; ok {
				if got != dv.code {
					t.Errorf("gokeepalived -t = %d, want %d (%s)\n%s", got, dv.code, dv.reason, ourOut)
				}
				return
			}
			if got != want {
				t.Errorf("verdict differs: keepalived 2.2.7 -t = %d, gokeepalived -t = %d\nkeepalived said:\n%s\ngokeepalived said:\n%s",
					want, got, indent(kaOut), indent(ourOut))
			}
		})
	}
}

func indent(b []byte) string {
	s := strings.TrimRight(string(b), "\n")
	if s == "" {
		return "  (nothing)"
	}
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}
