package vmtest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// maxOpenFiles is the soft and hard "Max open files" of /proc/PID/limits.
func maxOpenFiles(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		return err.Error()
	}
	m := regexp.MustCompile(`(?m)^Max open files\s+(\S+)\s+(\S+)`).FindStringSubmatch(string(b))
	if m == nil {
		return "no line"
	}
	return m[1] + ":" + m[2]
}

// TestFDLimitMatchesKeepalived: with more checkers than the descriptor
// limit it is started with (ulimit -n 256, 400 checkers), keepalived's
// checker raises its limit to 17 + checkers + 10 (set_max_file_limit);
// so must we, or checks and VIP changes fail on EMFILE under load.
func TestFDLimitMatchesKeepalived(t *testing.T) {
	guard(t)
	const n = 100 // of each of the 4 kinds: 400 checkers
	l := newLab(t)
	startHostile(t, n)
	conf := writeConf(t, l.dir, hostileConf(n, 3*time.Second, 4*time.Second))
	want := fmt.Sprintf("%d:%d", 17+4*n+10, 17+4*n+10)
	got := map[string]string{}
	for _, prog := range []string{"keepalived", "gokeepalived"} {
		args := []string{"sh", "-c", `ulimit -n 256 && exec "$@"`, "sh", prog, "--check", "-n", "-l", "-G", "-f", conf,
			"-p", filepath.Join(l.dir, prog+".pid"), "-c", filepath.Join(l.dir, prog+"-check.pid")}
		d := spawn(t, prog, args[len(args)-1], args...)
		if _, ok := poll(90*time.Second, func() bool { return len(strings.Split(strings.TrimSpace(table(t)), "\n")) >= 3+4+4*n }); !ok {
			t.Fatalf("%s: not all %d real servers in IPVS:\n%s", prog, 4*n, d.log())
		}
		pid := d.cmd.Process.Pid
		if prog == "keepalived" { // its checker child raises the limit
			b, err := os.ReadFile(args[len(args)-1])
			if err != nil {
				t.Fatal(err)
			}
			fmt.Sscan(string(b), &pid)
		}
		got[prog] = maxOpenFiles(pid)
		time.Sleep(4 * time.Second) // a round of checks with the limit in place
		if strings.Contains(strings.ToLower(d.log()), "too many open files") {
			t.Errorf("%s ran out of descriptors:\n%s", prog, d.log())
		}
		d.kill()
		ipvsadm(t, "-C")
	}
	t.Logf("Max open files with 400 checkers under ulimit -n 256: keepalived %s, gokeepalived %s", got["keepalived"], got["gokeepalived"])
	if got["keepalived"] != want {
		t.Errorf("keepalived's checker: %s, expected %s (its set_max_file_limit)", got["keepalived"], want)
	}
	if got["gokeepalived"] != got["keepalived"] {
		t.Errorf("gokeepalived: %s, keepalived: %s", got["gokeepalived"], got["keepalived"])
	}
}
