package vrrpd_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrpd"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest"
)

func procs(n int, comm string) []vrrp.Proc {
	var out []vrrp.Proc
	for i := range n {
		out = append(out, vrrp.Proc{PID: 1000 + i, Comm: comm, Cmdline: []string{"/usr/sbin/" + comm}})
	}
	return out
}

// track_process: the priority follows the process count against quorum
// and quorum_max; unweighted, losing quorum means FAULT.
func TestRuntimeTrackProcess(t *testing.T) {
	for _, tc := range []struct {
		name, block string
		fault       bool
	}{
		{"weighted", "weight -60\n    quorum 2\n    quorum_max 3", false},
		{"unweighted", "quorum 2\n    quorum_max 3", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hub := vrrptest.NewHub()
			cfg := "vrrp_track_process web {\n    process nginx\n    " + tc.block + "\n}\n" +
				instConf(150, "track_process {\n        web\n    }")
			a := startFull(t, hub, "a", "10.0.0.1", cfg)
			a.procs.Set(procs(2, "nginx")...)
			b := startFull(t, hub, "b", "10.0.0.2", instConf(100, ""))
			waitFor(t, 2*time.Second, "a becomes MASTER", func() bool { return a.addrs.Has(vip) })

			drop := func(what string, ps []vrrp.Proc) {
				t.Helper()
				a.procs.Set(ps...)
				waitFor(t, 2*time.Second, what+": b takes over", func() bool { return b.addrs.Has(vip) && !a.addrs.Has(vip) })
				want, prio := vrrp.StateBackup, uint8(90)
				if tc.fault {
					want, prio = vrrp.StateFault, 150
				}
				if st := a.rt.States()[0]; st.State != want || (!tc.fault && st.EffectivePriority != prio) {
					t.Errorf("%s: a is %v priority %d, want %v priority %d", what, st.State, st.EffectivePriority, want, prio)
				}
				a.procs.Set(procs(2, "nginx")...)
				waitFor(t, 2*time.Second, what+": a preempts again", func() bool { return a.addrs.Has(vip) && !b.addrs.Has(vip) })
			}
			drop("below quorum", procs(1, "nginx"))
			drop("above quorum_max", procs(4, "nginx"))
			drop("other names only", procs(3, "apache2"))
		})
	}
}

// The state at start comes from the first scan: with no process the
// instance starts with the lowered priority and never becomes master.
func TestRuntimeTrackProcessInitialAndDelay(t *testing.T) {
	hub := vrrptest.NewHub()
	cfg := "vrrp_track_process web {\n    process nginx\n    weight -60\n    delay 0.4\n}\n" +
		instConf(150, "track_process {\n        web\n    }")
	b := startFull(t, hub, "b", "10.0.0.2", instConf(100, ""))
	a := startFull(t, hub, "a", "10.0.0.1", cfg)
	waitFor(t, 2*time.Second, "b becomes MASTER", func() bool { return b.addrs.Has(vip) })
	if p := a.rt.States()[0].EffectivePriority; p != 90 {
		t.Fatalf("a starts at priority %d, want 90 (no nginx)", p)
	}
	start := time.Now()
	a.procs.Set(procs(1, "nginx")...)
	took := waitFor(t, 2*time.Second, "a takes over after fork delay", func() bool { return a.addrs.Has(vip) })
	if took < 400*time.Millisecond {
		t.Errorf("a took over %v after the process appeared, before the 0.4 s delay", took)
	}
	t.Logf("fork_delay 0.4 s: master after %v", time.Since(start))
	// A process that disappears and comes back within terminate_delay
	// changes nothing.
	a.procs.Set()
	time.Sleep(150 * time.Millisecond)
	a.procs.Set(procs(1, "nginx")...)
	time.Sleep(500 * time.Millisecond)
	if !a.addrs.Has(vip) || a.rt.States()[0].EffectivePriority != 150 {
		t.Errorf("a blip shorter than terminate_delay changed a: prio %d", a.rt.States()[0].EffectivePriority)
	}
}

// ProcFS finds a process this test starts (by comm and by argv) and
// stops finding it once it is killed.
func TestProcFSReal(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "gka-sleeper")
	if err := os.Symlink("/bin/sleep", bin); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	find := func() *vrrp.Proc {
		ps, err := vrrpd.ProcFS{}.List(map[string]bool{"gka-sleeper": true, "sh": true}, true)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ps {
			if ps[i].PID == pid {
				return &ps[i]
			}
		}
		return nil
	}
	waitFor(t, 2*time.Second, "exec done", func() bool { p := find(); return p != nil && p.Comm == "gka-sleeper" })
	p := find()
	if len(p.Cmdline) != 2 || p.Cmdline[0] != bin || p.Cmdline[1] != "300" {
		t.Errorf("cmdline %q", p.Cmdline)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if p := find(); p != nil {
		t.Errorf("pid %d still listed after kill (%+v)", pid, *p)
	}
	// A zombie is not counted.
	z := exec.Command("/bin/sh", "-c", "exit 0")
	if err := z.Start(); err != nil {
		t.Fatal(err)
	}
	zpid := z.Process.Pid
	waitFor(t, 2*time.Second, "child exits", func() bool {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(zpid) + "/stat")
		return len(b) > 0 && containsState(string(b), 'Z')
	})
	pid = zpid
	if p := find(); p != nil {
		t.Errorf("zombie %d listed", zpid)
	}
	z.Wait()
}

func containsState(stat string, s byte) bool {
	for i := len(stat) - 1; i > 0; i-- {
		if stat[i] == ')' {
			return i+2 < len(stat) && stat[i+2] == s
		}
	}
	return false
}

// The cost of one /proc scan, paid every ProcessPoll while a process is
// tracked.
func BenchmarkProcFSList(b *testing.B) {
	for _, cmd := range []bool{false, true} {
		b.Run(map[bool]string{false: "comm", true: "cmdline"}[cmd], func(b *testing.B) {
			n := 0
			// CPU time, not wall time: the shared machine is loaded.
			var r0, r1 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
			for b.Loop() {
				ps, err := vrrpd.ProcFS{}.List(map[string]bool{"nginx": true}, cmd)
				if err != nil {
					b.Fatal(err)
				}
				n = len(ps)
			}
			syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
			cpu := time.Duration(r1.Utime.Nano() + r1.Stime.Nano() - r0.Utime.Nano() - r0.Stime.Nano())
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
			b.ReportMetric(float64(n), "procs")
		})
	}
}
