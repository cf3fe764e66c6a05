package vmtest

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/testenv"
)

// compat227 is what gokeepalived is started with when compared with
// Debian's keepalived 2.2.7: that release's checker rules (--compat).
func compat227(prog string) []string {
	if prog == "gokeepalived" {
		return []string{"--compat", "2.2.7"}
	}
	return nil
}

// checkerCompatConf fails in known ways: .101 answers /health.cgi with
// what the test sets (200, then 500, then 200), .102 answers 404 to
// /missing, .103 refuses, SSL_GET talks TLS to .102's plain HTTP port
// (the handshake fails), PING_CHECK gets .101's echo replies and none
// from .104, which does not exist.
const checkerCompatConf = `virtual_server 10.10.31.100 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 192.168.31.101 80 {
        HTTP_GET {
            url {
                path /health.cgi
                status_code 200
            }
            connect_timeout 1
            retry 0
        }
    }
    real_server 192.168.31.102 80 {
        inhibit_on_failure
        HTTP_GET {
            url {
                path /missing
                status_code 200
            }
            connect_timeout 1
            retry 0
            log_all_failures
        }
    }
    real_server 192.168.31.103 80 {
        TCP_CHECK {
            connect_timeout 1
            retry 2
            delay_before_retry 1
        }
    }
}
virtual_server 10.10.31.100 443 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 192.168.31.102 8443 {
        inhibit_on_failure
        SSL_GET {
            url {
                path /
            }
            connect_port 80
            connect_timeout 1
            retry 0
            log_all_failures
        }
    }
    real_server 192.168.31.101 443 {
        PING_CHECK {
            connect_timeout 1
            retry 0
        }
    }
    real_server 192.168.31.104 443 {
        inhibit_on_failure
        PING_CHECK {
            connect_timeout 1
            retry 0
            log_all_failures
        }
    }
}
`

var (
	rsToken = regexp.MustCompile(`\[192\.168\.31\.\d+\]:tcp:\d+`)
	vsToken = regexp.MustCompile(`\[10\.10\.31\.100\]:tcp:\d+`)
)

// checkerLines groups a daemon's lines about the lab's real servers by
// real server and virtual server, each group in its order (across
// servers the order depends on timing), with the console's prefix cut
// at the last ": " before the address.
func checkerLines(log string) map[string][]string {
	out := map[string][]string{}
	for _, ln := range strings.Split(log, "\n") {
		loc := rsToken.FindStringIndex(ln)
		if loc == nil {
			continue
		}
		msg := ln
		if i := strings.LastIndex(ln[:loc[0]], ": "); i >= 0 {
			msg = ln[i+2:]
		}
		key := ln[loc[0]:loc[1]]
		if m := vsToken.FindString(ln); m != "" {
			key += " " + m
		} else if strings.HasSuffix(key, ":443") || strings.HasSuffix(key, ":8443") {
			key += " [10.10.31.100]:tcp:443"
		} else {
			key += " [10.10.31.100]:tcp:80"
		}
		out[key] = append(out[key], msg)
	}
	return out
}

// checkerRun is one daemon through the scenario: the tables after start,
// after .101 failed, after it came back and after SIGTERM, and its lines.
type checkerRun struct {
	tables [4]string
	lines  map[string][]string
	log    string
}

func runCheckerScenario(t *testing.T, l *lab, name string, start func() *daemon) checkerRun {
	t.Helper()
	ipvsadm(t, "-C")
	l.status("gkrs1", 200)
	d := start()
	var r checkerRun
	has101 := func() bool { return strings.Contains(table(t), "192.168.31.101:80") }
	r.tables[0] = settle(t, 4*time.Second, 3*time.Second, 40*time.Second)
	l.status("gkrs1", 500)
	if _, ok := poll(20*time.Second, func() bool { return !has101() }); !ok {
		t.Fatalf("%s: .101 still in IPVS after it answered 500:\n%s", name, d.log())
	}
	r.tables[1] = settle(t, time.Second, 2*time.Second, 30*time.Second)
	l.status("gkrs1", 200)
	if _, ok := poll(20*time.Second, has101); !ok {
		t.Fatalf("%s: .101 not back in IPVS after it answered 200:\n%s", name, d.log())
	}
	r.tables[2] = settle(t, time.Second, 2*time.Second, 30*time.Second)
	d.term()
	r.tables[3] = table(t)
	ipvsadm(t, "-C")
	r.log = d.log()
	r.lines = checkerLines(r.log)
	return r
}

// TestCheckerMatchesKeepalived243 runs keepalived 2.4.3 --check and
// gokeepalived --check (its default: 2.4.3's rules) on the same checker
// config with real servers that fail in known ways (refused, wrong
// status, TLS handshake refused, down then up), and compares the IPVS
// tables at each step and the checker's lines about each real server;
// then Debian's keepalived 2.2.7 with gokeepalived --compat 2.2.7.
func TestCheckerMatchesKeepalived243(t *testing.T) {
	guard(t)
	ka243 := testenv.Keepalived243(t)
	l := newLab(t)
	l.start("gkrs1")
	l.start("gkrs2")
	conf := writeConf(t, l.dir, checkerCompatConf)
	for _, c := range []struct {
		name string
		ka   func() *daemon
		gk   []string
		want []string // lines both must have logged
	}{
		{"2.4.3", func() *daemon {
			dir := t.TempDir()
			pid := filepath.Join(dir, "check.pid")
			return spawn(t, "keepalived", pid, ka243, "--check", "-n", "-l", "-G", "-f", conf,
				"-p", filepath.Join(dir, "ka.pid"), "-c", pid)
		}, nil, []string{
			"SSL_CHECK on service [192.168.31.102]:tcp:8443 failed.",
			"HTTP_CHECK on service [192.168.31.101]:tcp:80 failed.",
			"HTTP_CHECK on service [192.168.31.102]:tcp:80 failed.",
		}},
		{"2.2.7", func() *daemon { return startDaemon(t, "keepalived", t.TempDir(), conf) }, compat227("gokeepalived"), []string{
			"HTTP_CHECK on service [192.168.31.102]:tcp:8443 failed.",
			"HTTP_CHECK on service [192.168.31.101]:tcp:80 failed.",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ka := runCheckerScenario(t, l, "keepalived "+c.name, c.ka)
			gk := runCheckerScenario(t, l, "gokeepalived", func() *daemon {
				return startDaemon(t, "gokeepalived", t.TempDir(), conf, c.gk...)
			})
			steps := []string{"settled", ".101 down", ".101 back", "after SIGTERM"}
			for i := range ka.tables {
				if ka.tables[i] != gk.tables[i] {
					t.Errorf("%s: tables differ\n%s", steps[i], lineDiff(ka.tables[i], gk.tables[i]))
				}
			}
			agree, total := 0, 0
			for key, kl := range ka.lines {
				total++
				if g := gk.lines[key]; strings.Join(kl, "\n") == strings.Join(g, "\n") {
					agree++
				} else {
					t.Errorf("%s: lines differ\nkeepalived %s:\n  %s\ngokeepalived:\n  %s", key, c.name,
						strings.Join(kl, "\n  "), strings.Join(g, "\n  "))
				}
			}
			for key := range gk.lines {
				if _, ok := ka.lines[key]; !ok {
					total++
					t.Errorf("%s: only gokeepalived logged\n  %s", key, strings.Join(gk.lines[key], "\n  "))
				}
			}
			for _, w := range c.want {
				for who, log := range map[string]string{"keepalived": ka.log, "gokeepalived": gk.log} {
					if !strings.Contains(log, w) {
						t.Errorf("%s did not log %q", who, w)
					}
				}
			}
			if t.Failed() {
				t.Logf("keepalived %s log:\n%s\ngokeepalived log:\n%s", c.name, ka.log, gk.log)
			}
			n := 0
			for _, v := range ka.lines {
				n += len(v)
			}
			t.Logf("keepalived %s: tables %d/4 equal, checker lines of %d/%d real servers equal (%d lines)",
				c.name, countEqual(ka.tables[:], gk.tables[:]), agree, total, n)
		})
	}
}

func countEqual(a, b []string) int {
	n := 0
	for i := range a {
		if a[i] == b[i] {
			n++
		}
	}
	return n
}
