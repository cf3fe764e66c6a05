package testenv

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"
)

// FaultTable collects the fault suites' rows: one per scenario, with what
// was measured against its bound.
type FaultTable struct {
	mu   sync.Mutex
	rows []faultRow
}

type faultRow struct {
	scenario, measured, bound string
	pass                      bool
}

// Record adds a row, logs it, and fails t when the bound was not met.
func (ft *FaultTable) Record(t testing.TB, scenario, measured, bound string, pass bool) {
	t.Helper()
	ft.mu.Lock()
	ft.rows = append(ft.rows, faultRow{scenario, measured, bound, pass})
	ft.mu.Unlock()
	t.Logf("fault: %s | %s | bound %s | pass=%v", scenario, measured, bound, pass)
	if !pass {
		t.Errorf("%s: %s, bound %s", scenario, measured, bound)
	}
}

// Print writes the rows, sorted by scenario, as a Markdown table under
// title; nothing when there are none.
func (ft *FaultTable) Print(w io.Writer, title string) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	if len(ft.rows) == 0 {
		return
	}
	sort.SliceStable(ft.rows, func(i, j int) bool { return ft.rows[i].scenario < ft.rows[j].scenario })
	var b strings.Builder
	b.WriteString(title + "\n| scenario | measured | bound | result |\n|---|---|---|---|\n")
	for _, r := range ft.rows {
		res := "pass"
		if !r.pass {
			res = "FAIL"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.scenario, r.measured, r.bound, res)
	}
	io.WriteString(w, b.String())
}
