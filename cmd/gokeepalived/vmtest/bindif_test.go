package vmtest

import (
	"os"
	"strings"
	"testing"
	"time"
)

// pingBindIfConf: the same server checked by PING_CHECK through bind_if
// va (port 80) and without it (port 81).
const pingBindIfConf = `virtual_server 10.10.62.1 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 10.77.9.9 80 {
        PING_CHECK {
            bind_if va
            connect_timeout 1
            retry 0
        }
    }
    real_server 10.77.9.9 81 {
        PING_CHECK {
            connect_timeout 1
            retry 0
        }
    }
}
`

// TestPingBindIfDaemon: 10.77.9.9 answers through "va" only, while the
// preferred route goes through "vb" to a namespace that drops it. The
// daemon's PING_CHECK with bind_if va keeps its server; without bind_if
// the server goes. keepalived 2.2.7 accepts bind_if in PING_CHECK but
// does not apply it: both its servers go.
func TestPingBindIfDaemon(t *testing.T) {
	guard(t)
	for _, ns := range []string{"gkbis", "gkbix"} {
		run(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { run(t, "ip", "netns", "del", ns) })
	}
	for _, s := range [][]string{
		{"link", "add", "va", "type", "veth", "peer", "name", "sa", "netns", "gkbis"},
		{"link", "add", "vb", "type", "veth", "peer", "name", "xb", "netns", "gkbix"},
		{"addr", "add", "10.77.1.1/24", "dev", "va"},
		{"addr", "add", "10.77.2.1/24", "dev", "vb"},
		{"-n", "gkbis", "addr", "add", "10.77.1.2/24", "dev", "sa"},
		{"-n", "gkbis", "addr", "add", "10.77.9.9/32", "dev", "lo"},
		{"-n", "gkbix", "addr", "add", "10.77.2.2/24", "dev", "xb"},
		{"link", "set", "va", "up"},
		{"link", "set", "vb", "up"},
		{"-n", "gkbis", "link", "set", "lo", "up"},
		{"-n", "gkbis", "link", "set", "sa", "up"},
		{"-n", "gkbix", "link", "set", "xb", "up"},
		{"route", "add", "10.77.9.9/32", "via", "10.77.2.2", "dev", "vb", "metric", "10"},
		{"route", "add", "10.77.9.9/32", "via", "10.77.1.2", "dev", "va", "metric", "100"},
	} {
		run(t, "ip", s...)
	}
	// keepalived's ICMP socket is a datagram one: open it to root
	const pgr = "/proc/sys/net/ipv4/ping_group_range"
	old, err := os.ReadFile(pgr)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(pgr, []byte("0 2147483647"), 0o644)
	t.Cleanup(func() { os.WriteFile(pgr, old, 0o644) })

	for _, c := range []struct {
		prog       string
		keep, gone []string
	}{
		{"gokeepalived", []string{"10.77.9.9:80"}, []string{"10.77.9.9:81"}},
		{"keepalived", nil, []string{"10.77.9.9:80", "10.77.9.9:81"}},
	} {
		ipvsadm(t, "-C")
		dir := t.TempDir()
		d := startDaemon(t, c.prog, dir, writeConf(t, dir, pingBindIfConf), compat227(c.prog)...)
		settled := func() bool {
			tbl := table(t)
			if !strings.Contains(tbl, "10.10.62.1:80") {
				return false
			}
			for _, g := range c.gone {
				if strings.Contains(tbl, g) {
					return false
				}
			}
			for _, k := range c.keep {
				if !strings.Contains(tbl, k) {
					return false
				}
			}
			return true
		}
		if _, ok := poll(30*time.Second, settled); !ok {
			t.Fatalf("%s: want %v kept and %v gone:\n%s\n%s", c.prog, c.keep, c.gone, table(t), d.log())
		}
		time.Sleep(3 * time.Second) // a few more checks
		if !settled() {
			t.Fatalf("%s: did not stay so:\n%s\n%s", c.prog, table(t), d.log())
		}
		t.Logf("%s: PING_CHECK with bind_if va kept %v, gone %v:\n%s", c.prog, c.keep, c.gone, table(t))
		d.term()
	}
	ipvsadm(t, "-C")
}
