package vmtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Real servers of the differential configs (see newLab): rs1 and rs2
// answer HTTP on port 80 (200 on /health.cgi and /ok, 404 elsewhere),
// rs3 has no listener (refused), .104 and .105 do not exist.
const (
	httpUp   = "HTTP_GET {\n url {\n path /health.cgi\n status_code 200\n }\n connect_timeout 1\n retry 0\n }"
	http404  = "HTTP_GET {\n url {\n path /missing\n status_code 200\n }\n connect_timeout 1\n retry 0\n }"
	tcpCheck = "TCP_CHECK {\n connect_timeout 1\n retry 0\n }"
)

func rs(addr string, port int, body string, opts ...string) string {
	return fmt.Sprintf("  real_server %s %d {\n%s\n%s\n  }\n", addr, port, strings.Join(opts, "\n"), body)
}

func virtualServer(head string, opts []string, servers ...string) string {
	return fmt.Sprintf("virtual_server %s {\n delay_loop 1\n%s\n%s}\n", head, strings.Join(opts, "\n"), strings.Join(servers, ""))
}

// diffConfigs returns the differential configs by name; dir holds the
// MISC_CHECK scripts.
func diffConfigs(dir string) map[string]string {
	var sched strings.Builder
	kinds := []string{"NAT", "DR", "TUN"}
	for i, s := range []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "mh", "sed", "nq", "fo", "ovf"} {
		opts := []string{" lb_algo " + s, " lb_kind " + kinds[i%3], " protocol TCP"}
		inh := ""
		if i%2 == 1 {
			inh = "inhibit_on_failure"
		}
		if i%4 == 2 {
			opts = append(opts, " persistence_timeout 60")
		}
		sched.WriteString(virtualServer(fmt.Sprintf("10.10.32.%d 80", i+1), opts,
			rs("192.168.31.101", 80, httpUp, "weight 2"),
			rs("192.168.31.102", 80, http404, "weight 3", inh),
			rs("192.168.31.103", 80, tcpCheck, inh),
			// DR/TUN reset this one's port to 80: a duplicate of .102:80
			rs("192.168.31.102", 8080, tcpCheck, "weight 4", inh),
			// no such host: connect timeout
			rs("192.168.31.104", 80, tcpCheck, inh)))
	}
	// mh's flags (active/active directors): keepalived takes them only
	// after lvs_sched mh, and ignores one before it.
	for i, opts := range [][]string{
		{" lb_algo mh", " mh-port", " lb_kind DR", " protocol TCP"},
		{" lvs_sched mh", " mh-fallback", " mh-port", " lb_kind NAT", " protocol TCP"},
		{" lvs_sched mh", " mh-fallback", " lb_kind DR", " protocol UDP"},
		{" mh-port", " lvs_sched mh", " lb_kind DR", " protocol TCP"},
	} {
		sched.WriteString(virtualServer(fmt.Sprintf("10.10.32.%d 80", 20+i), opts,
			rs("192.168.31.101", 80, tcpCheck, "weight 2"),
			rs("192.168.31.102", 80, tcpCheck),
			rs("192.168.31.103", 80, tcpCheck, "inhibit_on_failure")))
	}

	groups := `virtual_server_group G4 {
 10.10.33.1-3 80
 10.10.33.10 8080
}
virtual_server_group G6 {
 fd00:33::1-2 80
}
virtual_server_group GF {
 fwmark 7
 fwmark 8
}
` + virtualServer("group G4", []string{" lb_algo wrr", " lb_kind NAT", " protocol TCP"},
		rs("192.168.31.101", 80, httpUp, "weight 5"),
		rs("192.168.31.103", 80, tcpCheck, "inhibit_on_failure")) +
		virtualServer("group G6", []string{" lb_algo rr", " lb_kind DR", " protocol TCP"},
			rs("fd00:31::101", 80, httpUp),
			rs("fd00:31::102", 80, http404)) +
		virtualServer("group GF", []string{" lb_algo wlc", " lb_kind DR"},
			rs("192.168.31.101", 80, tcpCheck),
			rs("192.168.31.103", 80, tcpCheck)) +
		virtualServer("fwmark 9", []string{" lb_algo sh", " lb_kind TUN", " persistence_timeout 30"},
			rs("192.168.31.102", 80, tcpCheck, "weight 7"),
			rs("192.168.31.103", 80, tcpCheck, "inhibit_on_failure")) +
		virtualServer("fd00:33::100 443", []string{" lb_algo lc", " lb_kind NAT", " protocol TCP"},
			rs("fd00:31::101", 80, httpUp),
			rs("fd00:31::103", 80, tcpCheck),
			rs("fd00:31::102", 80, http404, "inhibit_on_failure"))

	misc := func(args string, extra ...string) string {
		return fmt.Sprintf("MISC_CHECK {\n misc_path \"%s %s\"\n misc_timeout 2\n%s\n }",
			filepath.Join(dir, "rc.sh"), args, strings.Join(extra, "\n"))
	}
	udp := "global_defs {\n script_user root\n}\n" +
		virtualServer("10.10.34.1 53", []string{" lb_algo rr", " lb_kind NAT", " protocol UDP"},
			rs("192.168.31.101", 53, misc("0")),
			rs("192.168.31.102", 53, misc("1")),
			rs("192.168.31.103", 53, misc("6", "misc_dynamic")),
			rs("192.168.31.104", 53, misc("1"), "inhibit_on_failure"),
			rs("192.168.31.105", 53, misc("0", "misc_dynamic"), "weight 3")) +
		virtualServer("10.10.34.2 5060", []string{" lb_algo sh", " lb_kind DR", " protocol UDP", " ops"},
			rs("192.168.31.101", 5060, misc("0")),
			rs("192.168.31.102", 5060, misc("2", "misc_dynamic"), "weight 9")) +
		virtualServer("10.10.34.3 53", []string{" lb_algo wrr", " lb_kind NAT", " protocol UDP"},
			rs("192.168.31.101", 53, "UDP_CHECK {\n connect_timeout 1\n retry 0\n }"),
			rs("192.168.31.102", 53, misc("0")))

	up1 := func(o ...string) string { return rs("192.168.31.101", 80, httpUp, o...) }
	up2 := func(o ...string) string { return rs("192.168.31.102", 80, httpUp, o...) }
	down3 := func(o ...string) string { return rs("192.168.31.103", 80, tcpCheck, o...) }
	down4 := func(o ...string) string { return rs("192.168.31.102", 81, tcpCheck, o...) }
	nat := []string{" lb_algo rr", " lb_kind NAT", " protocol TCP"}
	with := func(o ...string) []string { return append(append([]string{}, nat...), o...) }
	quorum := virtualServer("10.10.35.1 80", with(" quorum 2", " sorry_server 192.168.31.200 80"), up1(), up2(), down3()) +
		virtualServer("10.10.35.2 80", with(" quorum 3", " hysteresis 1", " sorry_server 192.168.31.200 80"), up1(), up2(), down3()) +
		virtualServer("10.10.35.3 80", with(" quorum 4", " sorry_server 192.168.31.200 80"), up1("weight 2"), up2(), down3("weight 2")) +
		virtualServer("10.10.35.4 80", with(" quorum 4", " hysteresis 2", " sorry_server 192.168.31.200 80", " sorry_server_inhibit"),
			up1("weight 2", "inhibit_on_failure"), up2(), down3("weight 2", "inhibit_on_failure")) +
		virtualServer("10.10.35.5 80", with(" alpha"), up1(), down3(), down4("inhibit_on_failure")) +
		virtualServer("10.10.35.6 80", with(" sorry_server 192.168.31.200 8080", " sorry_server_lvs_method DR"), down3(), down4()) +
		virtualServer("10.10.35.7 80", with(" sorry_server 192.168.31.200 80", " sorry_server_inhibit"),
			down3("inhibit_on_failure"), down4("inhibit_on_failure")) +
		virtualServer("10.10.35.8 80", with(" sorry_server 192.168.31.200 80", " sorry_server_inhibit"), up1(), down3()) +
		virtualServer("10.10.35.9 80", with(" alpha", " omega", " quorum 2", " sorry_server 192.168.31.200 80"),
			up1("inhibit_on_failure"), up2("alpha"), down3("weight 3")) +
		virtualServer("10.10.35.10 80", with(" sorry_server 192.168.31.101 80"), up1(), down3())
	return map[string]string{"schedulers": sched.String(), "groups-fwmark-ipv6": groups, "udp-misc": udp, "quorum-sorry-alpha": quorum}
}

// capture is what a daemon left in IPVS: after the checks settled and
// after SIGTERM.
type capture struct{ settled, stopped string }

func runCheck(t *testing.T, l *lab, prog, conf string) (capture, string) {
	t.Helper()
	ipvsadm(t, "-C")
	d := startDaemon(t, prog, l.dir, conf, compat227(prog)...)
	start := time.Now()
	// delay_loop 1, connect_timeout 1, retry 0: a few seconds quiet after
	// the first checks means settled.
	c := capture{settled: settle(t, 4*time.Second, 3*time.Second, 40*time.Second)}
	settledAt := time.Since(start)
	d.term()
	c.stopped = table(t)
	t.Logf("%s settled in %v", prog, settledAt.Round(100*time.Millisecond))
	ipvsadm(t, "-C")
	return c, d.log()
}

// TestDifferentialKeepalived runs Debian's keepalived 2.2.7 --check and
// gokeepalived --check on the same configs and compares the IPVS tables.
func TestDifferentialKeepalived(t *testing.T) {
	guard(t)
	l := newLab(t)
	l.start("gkrs1")
	l.start("gkrs2")
	script := filepath.Join(l.dir, "rc.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexit \"$1\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfgs := diffConfigs(l.dir)
	for _, name := range []string{"schedulers", "groups-fwmark-ipv6", "udp-misc", "quorum-sorry-alpha"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			conf := writeConf(t, dir, cfgs[name])
			ka, kaLog := runCheck(t, l, "keepalived", conf)
			gk, gkLog := runCheck(t, l, "gokeepalived", conf)
			if ka.settled == header {
				t.Fatalf("keepalived programmed nothing:\n%s", kaLog)
			}
			if gk.settled != ka.settled {
				t.Errorf("settled tables differ\n%s", lineDiff(ka.settled, gk.settled))
			}
			if gk.stopped != ka.stopped {
				t.Errorf("tables after SIGTERM differ\n%s", lineDiff(ka.stopped, gk.stopped))
			}
			if t.Failed() {
				t.Logf("keepalived table:\n%s\ngokeepalived table:\n%s\nkeepalived log:\n%s\ngokeepalived log:\n%s",
					ka.settled, gk.settled, kaLog, gkLog)
			} else {
				t.Logf("identical: %d lines settled, %d after SIGTERM", strings.Count(ka.settled, "\n"), strings.Count(ka.stopped, "\n"))
			}
		})
	}
}

// lineDiff lists the lines only keepalived (-) or only gokeepalived (+)
// printed, each destination prefixed with its service.
func lineDiff(ka, gk string) string {
	qualify := func(tab string) []string {
		var out []string
		svc := ""
		for _, l := range strings.Split(tab, "\n") {
			if strings.HasPrefix(l, "  -> ") && svc != "" {
				l = svc + " | " + strings.TrimSpace(l)
			} else if f := strings.Fields(l); len(f) > 1 && (f[0] == "TCP" || f[0] == "UDP" || f[0] == "FWM") {
				svc = f[0] + " " + f[1]
			}
			out = append(out, l)
		}
		return out
	}
	count := map[string]int{}
	for _, l := range qualify(ka) {
		count[l]++
	}
	for _, l := range qualify(gk) {
		count[l]--
	}
	var b strings.Builder
	for _, l := range qualify(ka) {
		if count[l] > 0 {
			fmt.Fprintf(&b, "- keepalived:   %s\n", l)
			count[l]--
		}
	}
	for _, l := range qualify(gk) {
		if count[l] < 0 {
			fmt.Fprintf(&b, "+ gokeepalived: %s\n", l)
			count[l]++
		}
	}
	return b.String()
}
