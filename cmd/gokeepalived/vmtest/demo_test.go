package vmtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// demoScript is scripts/demo/demo.sh: in the repository next to this
// package, and in the VM where `make vmtest` copies it (/work/scripts/demo).
func demoScript(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "..", "scripts", "demo", "demo.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("demo script: %v (make vmtest passes it into the VM with --file)", err)
	}
	return p
}

// runDemo runs the demo script as `make demo` does inside the VM, with
// the gokeepalived in PATH and the extra environment.
func runDemo(t *testing.T, env ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", demoScript(t))
	cmd.Env = append(os.Environ(), append([]string{"DEMO_DIR=" + t.TempDir()}, env...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// A summary row: what, measured s, bound s, the VM's stall during the
// step (host load; the demo adds it to the bound), failed requests.
var demoRow = regexp.MustCompile(`(?m)^ +(\S.*?) +(\d+\.\d\d) s  \(bound +(\d+\.\d\d) s(?: \+ (\d+\.\d\d) s VM stall)?\)(?: +(\d+) failed requests)?$`)

type demoFigure struct {
	s, bound, stall float64
	failed          int // -1: not given
}

// TestDemo is `make demo`'s story (issue #6), asserted: the script must
// pass, and the figures of its summary must be those of the protocol.
func TestDemo(t *testing.T) {
	guard(t)
	out, err := runDemo(t)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	i := strings.Index(out, "==== gokeepalived demo: summary")
	if i < 0 || !strings.Contains(out[i:], "==== PASS") {
		t.Fatalf("no summary:\n%s", out)
	}
	summary := out[i:]
	t.Logf("\n%s", summary)

	rows := map[string][]demoFigure{}
	for _, m := range demoRow.FindAllStringSubmatch(summary, -1) {
		s, _ := strconv.ParseFloat(m[2], 64)
		b, _ := strconv.ParseFloat(m[3], 64)
		st, _ := strconv.ParseFloat(m[4], 64) // 0 when absent
		f := -1
		if m[5] != "" {
			f, _ = strconv.Atoi(m[5])
		}
		rows[m[1]] = append(rows[m[1]], demoFigure{s, b, st, f})
	}
	// Lower bounds come from the config (delay_loop 2, advert_int 1,
	// priorities 150/100), upper ones allow for qemu TCG on a loaded host,
	// plus the time the host did not run the VM at all.
	want := []struct {
		row    string
		n      int // which occurrence
		lo, hi float64
	}{
		// BACKUP first: master down interval 3 + (256-150)/256 s.
		{"lb1 start -> MASTER", 0, 3.0, 15},
		// A refused connect fails the next check: at most one delay_loop.
		{"rs1 stopped -> out of rotation", 0, 0.05, 6},
		// Recovery takes two passes one delay_loop apart.
		{"rs1 restored -> back in rotation", 0, 1.5, 8},
		// 3 × advert_int + skew 0.61 s, from the last advert (≤ 1 s before the kill).
		{"lb1 crash -> lb2 MASTER (VIP moved)", 0, 2.5, 8},
		// lb1's links are cut: nothing answers until lb2 has the VIP.
		{"client without an answer", 0, 2.5, 12},
		// lb1 starts as BACKUP and waits out its master down interval.
		{"lb1 back -> preempts", 0, 3.0, 12},
		{"client without an answer", 1, 0, 12},
	}
	failed := 0
	for _, w := range want {
		figs := rows[w.row]
		if len(figs) <= w.n {
			t.Errorf("summary lacks %q (#%d)", w.row, w.n+1)
			continue
		}
		f := figs[w.n]
		if f.s < w.lo || f.s > w.hi+f.stall || f.s > f.bound+f.stall {
			t.Errorf("%s: %.2f s, want %.2f–%.2f s (+%.2f s VM stall) and within the demo's bound %.2f s",
				w.row, f.s, w.lo, w.hi, f.stall, f.bound)
		}
		if f.failed > 0 {
			failed += f.failed
		}
	}
	if f := rows["rs1 restored -> back in rotation"]; len(f) > 0 && f[0].failed != 0 {
		t.Errorf("%d requests failed while rs1 came back (it is added only once it passes)", f[0].failed)
	}

	var stall float64
	if m := regexp.MustCompile(`VM stalled by host load: (\d+\.\d\d) s in all`).FindStringSubmatch(summary); m != nil {
		stall, _ = strconv.ParseFloat(m[1], 64)
	} else {
		t.Errorf("summary lacks the VM stall line")
	}
	m := regexp.MustCompile(`requests: (\d+) total, (\d+) answered \(rs1 (\d+), rs2 (\d+)\), (\d+) failed`).FindStringSubmatch(summary)
	if m == nil {
		t.Fatalf("no request counts in the summary")
	}
	n := make([]int, 5)
	for k := range n {
		n[k], _ = strconv.Atoi(m[k+1])
	}
	total, answered, rs1, rs2, fails := n[0], n[1], n[2], n[3], n[4]
	if total < 40 || answered != rs1+rs2 || total != answered+fails {
		t.Errorf("request counts do not add up or too few: %s", m[0])
	}
	if rs1 < 10 || rs2 < 10 {
		t.Errorf("traffic not spread over both servers: %s", m[0])
	}
	// Failures happen only while a step is under way, and some must:
	// requests sent to the dead lb1 before lb2 took over. A stalled VM
	// fails requests of its own (the demo says so).
	if fails < failed || (stall == 0 && fails != failed) {
		t.Errorf("%d failed requests in all, but the steps account for %d (VM stall %.2f s)", fails, failed, stall)
	}
	if fails == 0 || (stall == 0 && fails > 12) {
		t.Errorf("%d failed requests, want 1–12 (VM stall %.2f s)", fails, stall)
	}
	if ns := run(t, "ip", "netns", "list"); strings.Contains(ns, "gkd-") {
		t.Errorf("namespaces left behind:\n%s", ns)
	}
}

// TestDemoFailsWhenAStepFails: without health checks rs1 is never taken
// out of rotation, and the demo must say so and exit non-zero.
func TestDemoFailsWhenAStepFails(t *testing.T) {
	guard(t)
	out, err := runDemo(t, "DEMO_FAULT=nocheck")
	if err == nil {
		t.Fatalf("demo passed without health checks:\n%s", out)
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("demo: %v, want exit 1\n%s", err, out)
	}
	if !strings.Contains(out, "DEMO FAILED: rs1 was never removed from lb1's IPVS table") {
		t.Fatalf("demo output lacks the failed step:\n%s", out)
	}
	if strings.Contains(out, "==== PASS") {
		t.Fatalf("demo printed PASS after a failure:\n%s", out)
	}
	// The cleanup removed every namespace the demo made.
	if ns := run(t, "ip", "netns", "list"); strings.Contains(ns, "gkd-") {
		t.Fatalf("namespaces left behind:\n%s", ns)
	}
}
