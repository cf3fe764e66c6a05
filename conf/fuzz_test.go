package conf

import (
	"github.com/gokeepalived/gokeepalived/internal/testenv"
	"os"
	"testing"
)

// FuzzLoad runs the whole pipeline (syntax, keyword tables, validation) on
// arbitrary text: it must never panic, and one of keepalived's verdicts
// must come out (2 is its abort on a missing parameter, as for a bare
// "virtual_server").
func FuzzLoad(f *testing.F) {
	for _, p := range testenv.SeedFiles() {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	f.Fuzz(func(t *testing.T, in string) {
		_, ds := loadString(t, in)
		switch ds.ExitCode() {
		case ExitOK, ExitConfig, ExitCantRun, ExitErrors, ExitSecurity:
		default:
			t.Fatalf("exit code %d", ds.ExitCode())
		}
	})
}
