package faults

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// bin is the daemon under test, built once from ../ (the shipped binary,
// or a race-enabled one with GOKEEPALIVED_FAULTS_RACE=1).
var bin string

var (
	figMu   sync.Mutex
	figures []figure
)

type figure struct {
	scenario, measured, bound string
	pass                      bool
}

// record adds a row to the table printed at the end.
func record(t *testing.T, scenario, measured, bound string, pass bool) {
	figMu.Lock()
	figures = append(figures, figure{scenario, measured, bound, pass})
	figMu.Unlock()
	t.Logf("fault: %s | %s | bound %s | pass=%v", scenario, measured, bound, pass)
	if !pass {
		t.Errorf("%s: %s, bound %s", scenario, measured, bound)
	}
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
	printTable()
	os.Exit(code)
}

func printTable() {
	if len(figures) == 0 {
		return
	}
	sort.SliceStable(figures, func(i, j int) bool { return figures[i].scenario < figures[j].scenario })
	var b strings.Builder
	b.WriteString("| scenario | measured | bound | result |\n|---|---|---|---|\n")
	for _, f := range figures {
		res := "pass"
		if !f.pass {
			res = "FAIL"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", f.scenario, f.measured, f.bound, res)
	}
	fmt.Print("fault table:\n" + b.String())
}
