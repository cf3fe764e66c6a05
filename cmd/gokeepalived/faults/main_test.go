package faults

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gokeepalived/gokeepalived/internal/testenv"
)

// bin is the daemon under test, built once from ../ (the shipped binary,
// or a race-enabled one with GOKEEPALIVED_FAULTS_RACE=1).
var bin string

// faults is the table TestMain prints.
var faults testenv.FaultTable

// record adds a row to the table, failing t past the bound.
func record(t *testing.T, scenario, measured, bound string, pass bool) {
	t.Helper()
	faults.Record(t, scenario, measured, bound, pass)
}

func TestMain(m *testing.M) {
	if os.Geteuid() != 0 {
		// The tests themselves fail or skip through nstest.Require.
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "gkfaults")
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "gokeepalived")
	args := []string{"build", "-trimpath", "-o", bin}
	env := append(os.Environ(), "CGO_ENABLED=0")
	if os.Getenv("GOKEEPALIVED_FAULTS_RACE") != "" {
		args = append(args, "-race")
		env = append(os.Environ(), "CGO_ENABLED=1")
	}
	cmd := exec.Command("go", append(args, "..")...)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Printf("building gokeepalived: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	faults.Print(os.Stdout, "fault table:")
	os.Exit(code)
}
