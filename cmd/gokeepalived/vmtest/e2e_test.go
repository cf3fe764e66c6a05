package vmtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The timing of the walkthrough config. retry 0: one failed check marks
// a server down, so detection is bounded by delay_loop + connect_timeout.
// delay_before_retry 1 (< delay_loop): a down checker polls its failed
// URL every delay_loop.
const (
	delayLoop      = 2 * time.Second
	connectTimeout = 1 * time.Second
	// slack covers the 100 ms poll, ipvsadm runs and scheduling under
	// TCG emulation on a shared host.
	slack = 1500 * time.Millisecond
)

func walkthrough(inhibit bool) string {
	inh := ""
	if inhibit {
		inh = "\n        inhibit_on_failure"
	}
	var rs strings.Builder
	for _, a := range []string{"192.168.31.101", "192.168.31.102"} {
		fmt.Fprintf(&rs, `    real_server %s 80 {
        weight 1%s
        HTTP_GET {
            url {
                path /health.cgi
                status_code 200
            }
            connect_timeout 1
            retry 0
            delay_before_retry 1
            log_all_failures
        }
    }
`, a, inh)
	}
	return fmt.Sprintf(`global_defs {
    router_id LVS_WALKTHROUGH
}
virtual_server 10.10.31.100 80 {
    delay_loop %d
    lb_algo lc
    lb_kind NAT
    protocol TCP
    sorry_server 192.168.31.200 80
%s}
`, delayLoop/time.Second, rs.String())
}

func writeConf(t *testing.T, dir, text string) string {
	t.Helper()
	p := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const vs = "TCP  10.10.31.100:80 lc\n"

// detect waits for the table to become want within rounds × delay_loop
// + connect_timeout (+ slack) and logs the measured time. A failure takes
// one round; a recovery two, as in keepalived's check_http.c: the failed
// URL passes, then a full pass over all URLs one delay_loop later.
func detect(t *testing.T, what string, rounds int, want string) {
	t.Helper()
	bound := time.Duration(rounds)*delayLoop + connectTimeout + slack
	el := waitTable(t, 3*bound, want)
	t.Logf("%s: seen after %v (bound %v = %d × delay_loop %v + connect_timeout %v + slack %v)",
		what, el.Round(10*time.Millisecond), bound, rounds, delayLoop, connectTimeout, slack)
	if el > bound {
		t.Errorf("%s took %v, more than %v", what, el, bound)
	}
}

// TestWalkthroughInhibit is issue #4's end-to-end case: lc, NAT, two
// HTTP_GET real servers, inhibit_on_failure and a sorry server.
func TestWalkthroughInhibit(t *testing.T) {
	guard(t)
	l := newLab(t)
	l.start("gkrs1")
	l.start("gkrs2")
	gk := startDaemon(t, "gokeepalived", l.dir, writeConf(t, l.dir, walkthrough(true)))
	both := header + vs + dest("192.168.31.101:80", "Masq", 1) + dest("192.168.31.102:80", "Masq", 1)
	waitTable(t, 10*time.Second, both)
	// A few checks pass without changing anything.
	time.Sleep(delayLoop + time.Second)
	if got := table(t); got != both {
		t.Fatalf("with both servers up:\n%s", got)
	}

	l.stop("gkrs2")
	detect(t, "rs2 stopped -> weight 0", 1, header+vs+dest("192.168.31.101:80", "Masq", 1)+dest("192.168.31.102:80", "Masq", 0))
	l.start("gkrs2")
	detect(t, "rs2 restarted -> weight 1", 2, both)

	l.status("gkrs1", 500)
	detect(t, "rs1 answers 500 -> weight 0", 1, header+vs+dest("192.168.31.101:80", "Masq", 0)+dest("192.168.31.102:80", "Masq", 1))
	l.status("gkrs1", 200)
	detect(t, "rs1 answers 200 -> weight 1", 2, both)

	l.stop("gkrs1")
	l.stop("gkrs2")
	detect(t, "both stopped -> sorry server", 1, header+vs+dest("192.168.31.101:80", "Masq", 0)+
		dest("192.168.31.102:80", "Masq", 0)+dest("192.168.31.200:80", "Masq", 1))
	l.start("gkrs1")
	l.start("gkrs2")
	detect(t, "both restarted -> sorry server gone", 2, both)

	for _, s := range []string{
		"Disabling service [192.168.31.102]:tcp:80 of VS [10.10.31.100]:tcp:80",
		"Enabling service [192.168.31.102]:tcp:80 of VS [10.10.31.100]:tcp:80",
		// keepalived 2.2.7's wording (check_http.c timeout_epilog),
		// logged under log_all_failures.
		"HTTP status code error to server [192.168.31.101]:tcp:80.",
		"Adding sorry server [192.168.31.200]:tcp:80 to VS [10.10.31.100]:tcp:80",
		"Removing sorry server [192.168.31.200]:tcp:80 from VS [10.10.31.100]:tcp:80",
	} {
		if !strings.Contains(gk.log(), s) {
			t.Errorf("log lacks %q", s)
		}
	}
	if t.Failed() {
		t.Logf("gokeepalived log:\n%s", gk.log())
	}
	gk.term()
	if got := table(t); got != header {
		t.Errorf("after SIGTERM:\n%s", got)
	}
}

// TestWalkthroughRemove: without inhibit_on_failure a failed server
// leaves the table and comes back.
func TestWalkthroughRemove(t *testing.T) {
	guard(t)
	l := newLab(t)
	l.start("gkrs1")
	l.start("gkrs2")
	gk := startDaemon(t, "gokeepalived", l.dir, writeConf(t, l.dir, walkthrough(false)))
	both := header + vs + dest("192.168.31.101:80", "Masq", 1) + dest("192.168.31.102:80", "Masq", 1)
	waitTable(t, 10*time.Second, both)
	l.stop("gkrs1")
	detect(t, "rs1 stopped -> removed", 1, header+vs+dest("192.168.31.102:80", "Masq", 1))
	l.start("gkrs1")
	detect(t, "rs1 restarted -> re-added", 2, both)
	l.status("gkrs2", 500)
	detect(t, "rs2 answers 500 -> removed", 1, header+vs+dest("192.168.31.101:80", "Masq", 1))
	l.stop("gkrs1")
	detect(t, "both down -> only the sorry server", 1, header+vs+dest("192.168.31.200:80", "Masq", 1))
	l.status("gkrs2", 200)
	detect(t, "rs2 answers 200 -> sorry server gone", 2, header+vs+dest("192.168.31.102:80", "Masq", 1))
	if t.Failed() {
		t.Logf("gokeepalived log:\n%s", gk.log())
	}
}

// TestShutdownAndAdoption: SIGTERM removes our services, -I keeps them,
// and a restart after kill -9 adopts the kernel's entries instead of
// recreating them (their counters survive).
func TestShutdownAndAdoption(t *testing.T) {
	guard(t)
	l := newLab(t)
	l.start("gkrs1")
	l.start("gkrs2")
	conf := writeConf(t, l.dir, walkthrough(true))
	both := header + vs + dest("192.168.31.101:80", "Masq", 1) + dest("192.168.31.102:80", "Masq", 1)

	gk := startDaemon(t, "gokeepalived", l.dir, conf, "-I")
	waitTable(t, 10*time.Second, both)
	gk.term()
	if got := table(t); got != both {
		t.Fatalf("after SIGTERM with -I:\n%s\nwant\n%s", got, both)
	}

	gk = startDaemon(t, "gokeepalived", l.dir, conf)
	time.Sleep(delayLoop + time.Second)
	if got := table(t); got != both {
		t.Fatalf("after a restart over a kept table:\n%s", got)
	}
	// Traffic through the VIP, so the counters are not zero.
	for i := 0; i < 4; i++ {
		out := run(t, "ip", "netns", "exec", "gkcl", "timeout", "10", "wget", "-q", "-O", "-", "http://10.10.31.100/ok")
		if out != "ok\n" {
			t.Fatalf("GET through the VIP: %q", out)
		}
	}
	// The kernel folds per-CPU counters into what it reports every 2 s
	// (the rate estimator), so wait for them to show, then to stop moving.
	var stats string
	if _, ok := poll(10*time.Second, func() bool { stats = ipvsadm(t, "-Ln", "--stats"); return vsConns(stats) >= 4 }); !ok {
		t.Fatalf("4 GETs not counted:\n%s", stats)
	}
	time.Sleep(2500 * time.Millisecond)
	stats = ipvsadm(t, "-Ln", "--stats")
	gk.cmd.Process.Signal(syscall.SIGKILL)
	<-gk.done
	if got := ipvsadm(t, "-Ln", "--stats"); got != stats {
		t.Fatalf("kill -9 changed the table:\n%s\nwas\n%s", got, stats)
	}
	gk = startDaemon(t, "gokeepalived", l.dir, conf)
	// Several check rounds and estimator runs: a flush-and-recreate
	// would zero the counters.
	time.Sleep(2*delayLoop + time.Second)
	if got := ipvsadm(t, "-Ln", "--stats"); got != stats {
		t.Fatalf("restart changed the table (flushed or recreated?):\n%s\nwas\n%s\nlog:\n%s", got, stats, gk.log())
	}
	t.Logf("stats kept over kill -9 and restart:\n%s", stats)
	gk.term()
	if got := table(t); got != header {
		t.Errorf("after SIGTERM:\n%s", got)
	}
}

// vsConns is the Conns column of the VIP's line in `ipvsadm -Ln --stats`.
func vsConns(stats string) int {
	for _, ln := range strings.Split(stats, "\n") {
		if f := strings.Fields(ln); len(f) > 2 && f[0] == "TCP" && f[1] == "10.10.31.100:80" {
			var n int
			fmt.Sscan(f[2], &n)
			return n
		}
	}
	return -1
}
