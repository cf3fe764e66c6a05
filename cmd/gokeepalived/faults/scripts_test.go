package faults

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// proc is one process as /proc shows it to the test (host PIDs).
type proc struct {
	pid, ppid int
	state     string
	cmdline   string
	started   float64 // seconds since boot
}

func procs() []proc {
	names, _ := filepath.Glob("/proc/[0-9]*")
	var out []proc
	for _, dir := range names {
		b, err := os.ReadFile(dir + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		f := strings.Fields(s[i+2:])
		if len(f) < 20 {
			continue
		}
		p := proc{state: f[0]}
		p.pid, _ = strconv.Atoi(filepath.Base(dir))
		p.ppid, _ = strconv.Atoi(f[1])
		st, _ := strconv.ParseFloat(f[19], 64)
		p.started = st / 100 // USER_HZ
		c, _ := os.ReadFile(dir + "/cmdline")
		p.cmdline = strings.ReplaceAll(string(c), "\x00", " ")
		out = append(out, p)
	}
	return out
}

func uptime() float64 {
	b, _ := os.ReadFile("/proc/uptime")
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// childOf is the first child of pid (unshare's forked daemon).
func childOf(pid int) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	c, _ := strconv.Atoi(f[0])
	return c
}

// TestHungScripts: a vrrp_script (timeout 1 s) whose shell and children
// all ignore SIGTERM, run every 2 s for 14 s. No process of it lives
// longer than its timeout + the 2 s grace (+ 0.5 s for sampling), and no
// zombie is left, also when the daemon is PID 1 of its own PID namespace
// (it must reap the script's orphaned children itself).
func TestHungScripts(t *testing.T) {
	nstest.Require(t, "unshare")
	for _, pid1 := range []bool{false, true} {
		name := "daemon"
		if pid1 {
			name = "pid1"
		}
		t.Run(name, func(t *testing.T) { testHungScripts(t, pid1) })
	}
}

func testHungScripts(t *testing.T, pid1 bool) {
	a, _ := nstest.Pair(t)
	dir := t.TempDir()
	marker := fmt.Sprintf("hung%d", os.Getpid())
	script := filepath.Join(dir, marker+".sh")
	// Ignored signals stay ignored across exec: every child ignores TERM.
	body := "#!/bin/sh\ntrap '' TERM\nsh -c 'sleep 3131' &\n(sleep 3132; true) &\nsleep 3133\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`global_defs {
 script_user root
}
vrrp_script hung {
 script "%s"
 interval 2
 timeout 1
}
`, script) + strings.Replace(vrrpConf(150, "MASTER"), " virtual_ipaddress {", " track_script {\n  hung\n }\n virtual_ipaddress {", 1)
	var wrap []string
	if pid1 {
		wrap = []string{"unshare", "--pid", "--fork", "--kill-child", "--mount-proc"}
	}
	d := startWrapped(t, a, wrap, "node", conf, "", "-P")
	d.waitFor("(VI_1) Entering", 15*time.Second)
	daemonPid := d.cmd.Process.Pid
	if pid1 {
		for end := time.Now().Add(5 * time.Second); daemonPid == d.cmd.Process.Pid && time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			if c := childOf(d.cmd.Process.Pid); c != 0 {
				daemonPid, d.pid = c, c
			}
		}
	}
	const timeout, grace, slack = 1.0, 2.0, 0.5
	var oldest float64
	runs := map[int]bool{}
	zombieSince := map[int]time.Time{}
	var zombieMax time.Duration
	end := time.Now().Add(14 * time.Second)
	for time.Now().Before(end) {
		up := uptime()
		for _, p := range procs() {
			if strings.Contains(p.cmdline, marker) || strings.Contains(p.cmdline, "sleep 313") {
				oldest = max(oldest, up-p.started)
				if strings.Contains(p.cmdline, marker) {
					runs[p.pid] = true
				}
			}
			if p.state == "Z" && p.ppid == daemonPid {
				if _, ok := zombieSince[p.pid]; !ok {
					zombieSince[p.pid] = time.Now()
				}
				zombieMax = max(zombieMax, time.Since(zombieSince[p.pid]))
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	scenario := "5. hung vrrp_script ignoring SIGTERM, 14 s"
	if pid1 {
		scenario += ", daemon as PID 1"
	}
	record(t, scenario,
		fmt.Sprintf("%d runs; oldest process %.1f s; zombies lasting up to %.1f s", len(runs), oldest, zombieMax.Seconds()),
		fmt.Sprintf("≤ %.1f s (timeout + grace + %.1f s sampling), no zombie left over 1.5 s", timeout+grace+slack, slack),
		len(runs) >= 3 && oldest <= timeout+grace+slack && zombieMax <= 1500*time.Millisecond)
}
