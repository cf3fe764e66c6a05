package vmtest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Keywords of the checker compared with keepalived 2.2.7 on real IPVS:
// rs_init_notifies, lvs_flush_on_stop VS and ha_suspend.

// recorder is a notify script that appends its arguments to a file, and
// the lvs_notify_fifo script that copies the FIFO's lines to the same file.
func recorder(t *testing.T, dir string) (script, fifoScript, record string) {
	t.Helper()
	record = filepath.Join(dir, "record")
	script = filepath.Join(dir, "rec.sh")
	fifoScript = filepath.Join(dir, "fifo.sh")
	files := map[string]string{
		script:     "#!/bin/sh\necho \"script $*\" >>" + record + "\n",
		fifoScript: "#!/bin/sh\nwhile read -r l; do echo \"fifo $l\" >>" + record + "; done <\"$1\"\n",
	}
	for p, body := range files {
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return script, fifoScript, record
}

func readLines(p string) []string {
	b, _ := os.ReadFile(p)
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	sort.Strings(out) // scripts run concurrently: the order is not kept
	return out
}

// TestRSInitNotifiesMatchesKeepalived runs keepalived and gokeepalived
// --check with and without rs_init_notifies on a virtual server whose
// rs1 answers and rs3 refuses, with notify_up/notify_down scripts and
// an lvs_notify_fifo, and compares what was run and written up to the
// point where rs3's first check has failed.
func TestRSInitNotifiesMatchesKeepalived(t *testing.T) {
	guard(t)
	l := newLab(t)
	l.start("gkrs1")
	for _, on := range []bool{false, true} {
		dir := filepath.Join(l.dir, fmt.Sprint(on))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		script, fifoScript, record := recorder(t, dir)
		kw := ""
		if on {
			kw = "    rs_init_notifies\n"
		}
		var rs strings.Builder
		for _, r := range []struct{ name, addr string }{{"rs1", "192.168.31.101"}, {"rs3", "192.168.31.103"}} {
			fmt.Fprintf(&rs, `    real_server %s 80 {
        notify_up "%s up %s"
        notify_down "%s down %s"
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
`, r.addr, script, r.name, script, r.name)
		}
		conf := writeConf(t, dir, fmt.Sprintf(`global_defs {
    router_id RSINIT
%s    lvs_notify_fifo %s
    lvs_notify_fifo_script %s
}
virtual_server 10.10.31.100 80 {
    delay_loop 2
    lb_algo rr
    lb_kind NAT
    protocol TCP
%s}
`, kw, filepath.Join(dir, "fifo"), fifoScript, rs.String()))
		got := map[string][]string{}
		for _, prog := range []string{"keepalived", "gokeepalived"} {
			os.Remove(record)
			ipvsadm(t, "-C")
			d := startDaemon(t, prog, dir, conf, compat227(prog)...)
			// rs3's first check fails within 1 s + connect_timeout
			if _, ok := poll(20*time.Second, func() bool {
				return strings.Contains(strings.Join(readLines(record), "\n"), "script down rs3")
			}); !ok {
				t.Fatalf("%s: no notify_down of rs3; record %q\n%s", prog, readLines(record), d.log())
			}
			time.Sleep(time.Second) // the FIFO line and anything late
			got[prog] = readLines(record)
			d.term()
			t.Logf("rs_init_notifies %v, %s: %q", on, prog, got[prog])
		}
		want := []string{
			"fifo RS [192.168.31.103]:tcp:80 [10.10.31.100]:tcp:80 DOWN",
			"fifo VS [10.10.31.100]:tcp:80 UP",
			"script down rs3",
		}
		if on {
			want = append(want,
				"fifo RS [192.168.31.101]:tcp:80 [10.10.31.100]:tcp:80 UP",
				"fifo RS [192.168.31.103]:tcp:80 [10.10.31.100]:tcp:80 UP",
				"script up rs1", "script up rs3")
			sort.Strings(want)
		}
		if k, g := strings.Join(got["keepalived"], "\n"), strings.Join(got["gokeepalived"], "\n"); k != g {
			t.Errorf("rs_init_notifies %v: keepalived\n%s\ngokeepalived\n%s", on, k, g)
		}
		if g := strings.Join(got["gokeepalived"], "\n"); g != strings.Join(want, "\n") {
			t.Errorf("rs_init_notifies %v: gokeepalived\n%s\nwant\n%s", on, g, strings.Join(want, "\n"))
		}
	}
}

// TestLVSFlushOnStopMatchesKeepalived stops keepalived and gokeepalived
// --check under each lvs_flush_on_stop with a foreign service added by
// hand, and compares the table left and the shutdown lines.
func TestLVSFlushOnStopMatchesKeepalived(t *testing.T) {
	guard(t)
	l := newLab(t)
	l.start("gkrs1")
	l.start("gkrs2")
	foreign := "TCP  10.10.31.200:80 rr\n" + dest("192.168.31.101:80", "Masq", 1)
	ours := vs + dest("192.168.31.101:80", "Masq", 1) + dest("192.168.31.102:80", "Masq", 1)
	for _, mode := range []struct{ name, kw, left, flag string }{
		{"default", "", header + foreign, ""},
		{"VS", "    lvs_flush_on_stop VS\n", header + foreign, ""},
		{"FULL", "    lvs_flush_on_stop\n", header, ""},
		// -I: keepalived skips clear_services, lines included
		{"VS with -I", "    lvs_flush_on_stop VS\n", header + ours + foreign, "-I"},
	} {
		conf := writeConf(t, l.dir, fmt.Sprintf(`global_defs {
    router_id FLUSH
%s}
virtual_server 10.10.31.100 80 {
    delay_loop 2
    lb_algo lc
    lb_kind NAT
    protocol TCP
    real_server 192.168.31.101 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 192.168.31.102 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
`, mode.kw))
		left := map[string]string{}
		for _, prog := range []string{"keepalived", "gokeepalived"} {
			ipvsadm(t, "-C")
			ipvsadm(t, "-A", "-t", "10.10.31.200:80", "-s", "rr")
			ipvsadm(t, "-a", "-t", "10.10.31.200:80", "-r", "192.168.31.101:80", "-m")
			var extra []string
			if mode.flag != "" {
				extra = append(extra, mode.flag)
			}
			d := startDaemon(t, prog, l.dir, conf, append(extra, compat227(prog)...)...)
			// foreign sorts after ours
			waitTable(t, 20*time.Second, header+ours+foreign)
			d.term()
			left[prog] = table(t)
			shut := strings.Count(d.log(), "Shutting down service")
			if want := map[bool]int{true: 2, false: 0}[mode.kw == "" && mode.flag == ""]; shut != want {
				t.Errorf("%s, %s: %d 'Shutting down service' lines, want %d:\n%s", mode.name, prog, shut, want, d.log())
			}
		}
		if left["keepalived"] != left["gokeepalived"] {
			t.Errorf("%s: after stop keepalived left\n%s\ngokeepalived\n%s", mode.name, left["keepalived"], left["gokeepalived"])
		}
		if left["gokeepalived"] != mode.left {
			t.Errorf("%s: gokeepalived left\n%s\nwant\n%s", mode.name, left["gokeepalived"], mode.left)
		}
		t.Logf("lvs_flush_on_stop %s: both left %d service(s)", mode.name, strings.Count(left["gokeepalived"], "TCP  "))
	}
	ipvsadm(t, "-C")
}

// countd runs a TCP listener in the namespace that prints a line per
// connection; the returned counter follows them.
func (l *lab) countd(ns, addr string) *atomic.Int64 {
	t := l.t
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", ns, self)
	cmd.Env = append(os.Environ(), "GKVM_COUNTD="+addr)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	r := bufio.NewReader(out)
	if line, _ := r.ReadString('\n'); line != "ready\n" {
		t.Fatalf("countd in %s: %q", ns, line)
	}
	n := new(atomic.Int64)
	go func() {
		for {
			if _, err := r.ReadString('\n'); err != nil {
				return
			}
			n.Add(1)
		}
	}()
	return n
}

// TestHASuspendMatchesKeepalived: a virtual server with ha_suspend whose
// address is not on the host. Its TCP_CHECK (counted at the real
// server) does not run; the address added by hand starts it, removed
// stops it, added again resumes it. keepalived and gokeepalived in turn;
// the healthchecker lines and the pattern of checks are compared.
func TestHASuspendMatchesKeepalived(t *testing.T) {
	guard(t)
	l := newLab(t)
	const vip = "10.10.31.150"
	conns := l.countd("gkrs1", "192.168.31.101:80")
	conf := writeConf(t, l.dir, fmt.Sprintf(`global_defs {
    router_id SUSPEND
}
virtual_server %s 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    ha_suspend
    real_server 192.168.31.101 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
`, vip))
	addVIP := func() { run(t, "ip", "addr", "add", vip+"/32", "dev", "gkbr") }
	delVIP := func() { run(t, "ip", "addr", "del", vip+"/32", "dev", "gkbr") }
	t.Cleanup(func() { exec.Command("ip", "addr", "del", vip+"/32", "dev", "gkbr").Run() })
	name := "service [192.168.31.101]:tcp:80 for VS [" + vip + "]:tcp:80"
	lines := map[string][]string{}
	for _, prog := range []string{"keepalived", "gokeepalived"} {
		ipvsadm(t, "-C")
		d := startDaemon(t, prog, l.dir, conf, compat227(prog)...)
		d.waitLog("Deactivating healthchecker for "+name, 1, 20*time.Second)
		// first check due 1 s after start; give it 3 delay_loops
		n0 := conns.Load()
		time.Sleep(3 * time.Second)
		if n := conns.Load() - n0; n != 0 {
			t.Errorf("%s: %d checks while %s is absent", prog, n, vip)
		}
		addVIP()
		el := d.waitLog("Activating healthchecker for "+name, 1, 20*time.Second)
		at := conns.Load()
		first, ok := poll(20*time.Second, func() bool { return conns.Load() > at })
		if _, ok2 := poll(20*time.Second, func() bool { return conns.Load() >= at+2 }); !ok || !ok2 {
			t.Fatalf("%s: no checks after %s was added:\n%s", prog, vip, d.log())
		}
		t.Logf("%s: address added: line after %v, first check %v later (delay_loop 1 s)", prog,
			el.Round(time.Millisecond), first.Round(time.Millisecond))
		delVIP()
		d.waitLog("Suspending healthchecker for "+name, 1, 20*time.Second)
		time.Sleep(1500 * time.Millisecond) // a check under way may still connect
		at = conns.Load()
		time.Sleep(3 * time.Second)
		if n := conns.Load() - at; n != 0 {
			t.Errorf("%s: %d checks after %s was removed", prog, n, vip)
		}
		t.Logf("%s: %d checks while present, 0 in 3 s absent", prog, at-n0)
		addVIP()
		d.waitLog("Activating healthchecker for "+name, 2, 20*time.Second)
		at = conns.Load()
		if _, ok := poll(20*time.Second, func() bool { return conns.Load() >= at+2 }); !ok {
			t.Fatalf("%s: checks did not resume:\n%s", prog, d.log())
		}
		delVIP()
		d.waitLog("Suspending healthchecker for "+name, 2, 20*time.Second)
		d.term()
		for _, ln := range strings.Split(d.log(), "\n") {
			for _, w := range []string{"Deactivating healthchecker", "Activating healthchecker", "Suspending healthchecker"} {
				if i := strings.Index(ln, w); i >= 0 {
					lines[prog] = append(lines[prog], ln[i:])
					break
				}
			}
		}
		t.Logf("%s: %q", prog, lines[prog])
	}
	if k, g := strings.Join(lines["keepalived"], "\n"), strings.Join(lines["gokeepalived"], "\n"); k != g {
		t.Errorf("healthchecker lines differ: keepalived\n%s\ngokeepalived\n%s", k, g)
	}
}

// TestHASuspendReload: a reload that adds a ha_suspend virtual server
// whose address is already on the host. gokeepalived activates its
// checkers; keepalived 2.2.7 lists the addresses only when its netlink
// monitor opens, so the new virtual server counts none and stays
// deactivated until its address is added again (docs/differences.md).
// A virtual server kept over the reload keeps its state in both.
func TestHASuspendReload(t *testing.T) {
	guard(t)
	l := newLab(t)
	l.start("gkrs1")
	vsConf := func(addr string) string {
		return fmt.Sprintf(`virtual_server %s 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    ha_suspend
    real_server 192.168.31.101 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
`, addr)
	}
	for _, a := range []string{"10.10.31.150", "10.10.31.151"} {
		run(t, "ip", "addr", "add", a+"/32", "dev", "gkbr")
		t.Cleanup(func() { exec.Command("ip", "addr", "del", a+"/32", "dev", "gkbr").Run() })
	}
	kept := "healthchecker for service [192.168.31.101]:tcp:80 for VS [10.10.31.150]:tcp:80"
	added := "healthchecker for service [192.168.31.101]:tcp:80 for VS [10.10.31.151]:tcp:80"
	for _, prog := range []string{"keepalived", "gokeepalived"} {
		ipvsadm(t, "-C")
		conf := writeConf(t, l.dir, "global_defs {\n    router_id SUSPEND\n}\n"+vsConf("10.10.31.150"))
		d := startDaemon(t, prog, l.dir, conf, compat227(prog)...)
		d.waitLog("Activating "+kept, 1, 20*time.Second)
		writeConf(t, l.dir, "global_defs {\n    router_id SUSPEND\n}\n"+vsConf("10.10.31.150")+vsConf("10.10.31.151"))
		d.cmd.Process.Signal(syscall.SIGHUP)
		want := map[string]string{"keepalived": "Deactivating ", "gokeepalived": "Activating "}[prog]
		d.waitLog(want+added, 1, 30*time.Second)
		d.waitLog("Activating "+kept, 2, 30*time.Second)
		if prog == "keepalived" {
			// the address added again wakes it
			run(t, "ip", "addr", "add", "10.10.31.151/32", "dev", "lo")
			d.waitLog("Activating "+added, 1, 20*time.Second)
			run(t, "ip", "addr", "del", "10.10.31.151/32", "dev", "lo")
		}
		d.term()
		t.Logf("%s: the virtual server added by the reload: %q", prog, want+added)
	}
}
