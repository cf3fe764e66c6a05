package conf

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
	"github.com/gokeepalived/gokeepalived/internal/testenv"
)

// katestIfs are the interfaces of the katest namespace of
// samples-config-test.md.
func katestIfs(name string) bool {
	switch name {
	case "eth0", "eth1", "eth2", "eth3", "eth0.1":
		return true
	}
	return false
}

func loadSample(t *testing.T, name string, opt Options) (*Config, *Diagnostics) {
	t.Helper()
	var p string
	if extra, ok := strings.CutPrefix(name, "extra/"); ok {
		p = filepath.Join(testenv.Root(), "testdata", "samples-extra", extra)
	} else {
		p = testenv.Sample(t, name)
	}
	if opt.ConfigID == "" {
		opt.ConfigID = "testhost"
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	return Load(p, opt)
}

// TestVRRPSamplesVerdict checks the --config-test class of the VRRP-side
// samples against keepalived 2.2.7 (column "rc katest").
func TestVRRPSamplesVerdict(t *testing.T) {
	// Scripts in the samples must look present or absent as on the test
	// host: only system binaries exist there.
	cases := []struct {
		name string
		rc   int
	}{
		{"keepalived.conf.sample", 0},
		{"keepalived.conf.vrrp", 0},
		{"keepalived.conf.vrrp.localcheck", 6},
		{"keepalived.conf.vrrp.lvs_syncd", 5},
		{"keepalived.conf.vrrp.routes", 5},
		{"keepalived.conf.vrrp.rules", 5},
		{"keepalived.conf.vrrp.scripts", 0},
		{"keepalived.conf.vrrp.static_ipaddress", 5},
		{"keepalived.conf.vrrp.sync", 0},
		{"keepalived.conf.conditional_conf", 5},
		{"keepalived.conf.track_interface", 5},
		{"keepalived.conf.SSL_GET", 5},
		{"extra/docker-keepalived.conf", 0},
		{"extra/etc-keepalived.conf", 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, ds := loadSample(t, c.name, Options{InterfaceExists: katestIfs, Compat: Oldest}) // Debian's samples, 2.2.7's verdicts
			if got := ds.ExitCode(); got != c.rc {
				t.Errorf("rc = %d, want %d; diagnostics:\n%s", got, c.rc, dump(ds))
			}
		})
	}
}

// TestVRRPSamplesMissingInterfaces is the kaempty namespace: only lo.
func TestVRRPSamplesMissingInterfaces(t *testing.T) {
	for _, name := range []string{"keepalived.conf.sample", "keepalived.conf.vrrp", "keepalived.conf.vrrp.sync", "extra/docker-keepalived.conf"} {
		t.Run(name, func(t *testing.T) {
			_, ds := loadSample(t, name, Options{InterfaceExists: func(string) bool { return false }})
			if got := ds.ExitCode(); got != 5 {
				t.Errorf("rc = %d, want 5; diagnostics:\n%s", got, dump(ds))
			}
			mustHave(t, ds, "for vrrp_instance")
			d := mustHave(t, ds, "Non-existent interface specified in configuration")
			if d.Kind != syntax.BadInterface {
				t.Errorf("kind = %v, want BadInterface", d.Kind)
			}
		})
	}
}
