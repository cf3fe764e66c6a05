package main

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gokeepalived/gokeepalived/internal/configtestout"
	"github.com/gokeepalived/gokeepalived/internal/netnstest"
	"github.com/gokeepalived/gokeepalived/internal/testenv"
)

// TestConfigTestMatchesKeepalived243 runs keepalived 2.4.3 and
// gokeepalived with --config-test on 2.4.3's own samples (doc/samples in
// its source, beside the oracle's binary) and Debian's, in a namespace with the
// interfaces the samples name and in one with only lo: the verdicts and
// the message sets must agree.
func TestConfigTestMatchesKeepalived243(t *testing.T) {
	netnstest.Require(t)
	bin := testenv.Keepalived243(t)
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(bin), "samples", "keepalived.conf.*"))
	if len(files) < 20 {
		testenv.Unavailable(t, "keepalived 2.4.3's samples not beside %s", bin)
	}
	// and Debian's (2.2.7's) samples, which by default are checked as
	// 2.4.3 checks them (2.2.7's own verdicts: --compat 2.2.7, in
	// TestConfigTestMatchesKeepalived)
	files = append(files, testenv.SampleFiles(t)...)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var cases, verdicts, msgSets atomic.Int32
	t.Run("group", func(t *testing.T) {
		for _, ns := range []struct {
			name string
			ns   *netnstest.NS
		}{
			{"ifaces", netnstest.New(t, "gk243i", "eth0", "eth1", "eth2", "eth3", "eth0.1")},
			{"lo", netnstest.New(t, "gk243l")},
		} {
			for _, f := range files {
				from := "243"
				if strings.HasPrefix(f, testenv.DebianSamples) {
					from = "debian"
				}
				t.Run(ns.name+"/"+from+"/"+filepath.Base(f), func(t *testing.T) {
					t.Parallel()
					ka := ns.ns.Command(bin, "-t", "-f", f)
					ka.Dir = filepath.Dir(f)
					kaOut, kaErr := ka.CombinedOutput()
					ours := ns.ns.Command(self, "-t", "-f", f)
					ours.Dir = filepath.Dir(f)
					ours.Env = append(os.Environ(), "GOKEEPALIVED_AS_MAIN=1")
					ourOut, ourErr := ours.CombinedOutput()
					want, got := exitCode(kaErr), exitCode(ourErr)
					missing, extra := configtestout.Diff(configtestout.ParseKeepalived(string(kaOut)), configtestout.ParseOurs(string(ourOut)))
					cases.Add(1)
					if got == want {
						verdicts.Add(1)
					}
					if len(missing) == 0 && len(extra) == 0 {
						msgSets.Add(1)
					}
					if got != want || len(missing) > 0 || len(extra) > 0 {
						t.Errorf("keepalived 2.4.3 -t = %d, gokeepalived -t = %d\nonly keepalived: %s\nonly ours: %s\nkeepalived said:\n%s\ngokeepalived said:\n%s",
							want, got, msgs(missing), msgs(extra), indent(kaOut), indent(ourOut))
					}
				})
			}
		}
	})
	t.Logf("keepalived 2.4.3's and Debian's samples under 2.4.3: %d/%d verdicts agree, %d/%d message sets agree",
		verdicts.Load(), cases.Load(), msgSets.Load(), cases.Load())
}

// configTestAgrees runs keepalived 2.4.3 (oracle) and gokeepalived with
// -t on path in ns and reports any difference in verdict or messages;
// it says whether they agreed.
func configTestAgrees(t *testing.T, ns *netnstest.NS, oracle, path string) bool {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	kaOut, kaErr := ns.Command(oracle, "-t", "-f", path).CombinedOutput()
	ours := ns.Command(self, "-t", "-f", path)
	ours.Env = append(os.Environ(), "GOKEEPALIVED_AS_MAIN=1")
	ourOut, ourErr := ours.CombinedOutput()
	want, got := exitCode(kaErr), exitCode(ourErr)
	missing, extra := configtestout.Diff(configtestout.ParseKeepalived(string(kaOut)), configtestout.ParseOurs(string(ourOut)))
	if got != want || len(missing) > 0 || len(extra) > 0 {
		t.Errorf("keepalived 2.4.3 -t = %d, gokeepalived -t = %d\nonly keepalived: %s\nonly ours: %s\nkeepalived said:\n%s\ngokeepalived said:\n%s",
			want, got, msgs(missing), msgs(extra), indent(kaOut), indent(ourOut))
		return false
	}
	return true
}
