package vmtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// vmSNMP is a private snmpd (AgentX master) and snmptrapd in the VM.
type vmSNMP struct {
	t      *testing.T
	dir    string
	socket string
	traps  string
}

const (
	vmSNMPAgent = "127.0.0.1:16161"
	vmSNMPTrapd = "127.0.0.1:16162"
)

func startVMSNMP(t *testing.T) *vmSNMP {
	t.Helper()
	for _, tool := range []string{"snmpd", "snmpwalk", "snmptrapd"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s missing in the VM: %v", tool, err)
		}
	}
	s := &vmSNMP{t: t, dir: t.TempDir()}
	s.socket = filepath.Join(s.dir, "agentx")
	s.traps = filepath.Join(s.dir, "traps.log")
	conf := "master agentx\nagentXSocket " + s.socket + "\nrocommunity public default\nagentaddress udp:" + vmSNMPAgent +
		"\ntrap2sink " + vmSNMPTrapd + " public\n"
	writeFile(t, filepath.Join(s.dir, "snmpd.conf"), conf)
	writeFile(t, filepath.Join(s.dir, "snmptrapd.conf"), "disableAuthorization yes\n")
	s.spawn("snmptrapd", "-f", "-C", "-c", filepath.Join(s.dir, "snmptrapd.conf"), "-m", "", "-On", "-Lf", s.traps, "udp:"+vmSNMPTrapd)
	s.spawn("snmpd", "-f", "-C", "-c", filepath.Join(s.dir, "snmpd.conf"), "-m", "", "-Lf", filepath.Join(s.dir, "snmpd.log"))
	if _, ok := poll(10*time.Second, func() bool { _, err := os.Stat(s.socket); return err == nil }); !ok {
		t.Fatal("snmpd did not open its AgentX socket")
	}
	return s
}

func writeFile(t *testing.T, name, text string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (s *vmSNMP) spawn(name string, args ...string) {
	s.t.Helper()
	c := exec.Command(name, args...)
	c.Env = append(os.Environ(), "MIBS=", "MIBDIRS=")
	if err := c.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { c.Process.Kill(); c.Wait() }) // by PID
}

// walk is snmpwalk of KEEPALIVED-MIB: OID → "TYPE: value".
func (s *vmSNMP) walk() map[string]string {
	s.t.Helper()
	out, err := exec.Command("snmpwalk", "-m", "", "-v2c", "-c", "public", "-On", vmSNMPAgent, ".1.3.6.1.4.1.9586.100.5").CombinedOutput()
	if err != nil {
		s.t.Fatalf("snmpwalk: %v: %s", err, out)
	}
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if oid, val, ok := strings.Cut(l, " = "); ok && !strings.HasPrefix(val, "No ") {
			m[oid] = val
		}
	}
	return m
}

// rsTraps are the checker's notifications (realServerStateChange,
// virtualServerQuorumStateChange) logged since off, sysUpTime left out,
// each prefixed with its virtual server (the order between virtual
// servers depends on when each checker ran).
func (s *vmSNMP) rsTraps(off int) []string {
	b, _ := os.ReadFile(s.traps)
	var out []string
	for _, l := range strings.Split(string(b[min(off, len(b)):]), "\n") {
		if !strings.Contains(l, "OID: .1.3.6.1.4.1.9586.100.5.3.5.0.") {
			continue
		}
		var vbs []string
		vs := ""
		for _, f := range strings.Split(l, "\t") {
			if f != "" && !strings.HasPrefix(f, ".1.3.6.1.2.1.1.3.0 ") {
				vbs = append(vbs, strings.TrimSpace(f))
			}
			for _, c := range []string{".3.1.3 = ", ".3.1.4 = ", ".3.1.6 = ", ".3.1.7 = "} {
				if strings.Contains(f, ".1.3.6.1.4.1.9586.100.5.3"+c) {
					vs += " " + f[strings.Index(f, " = ")+3:]
				}
			}
		}
		out = append(out, "["+strings.TrimSpace(vs)+"] "+strings.Join(vbs, " | "))
	}
	return out
}

func (s *vmSNMP) trapOffset() int {
	b, _ := os.ReadFile(s.traps)
	return len(b)
}

// TestSNMPCheckerMatchesKeepalived runs keepalived 2.2.7 --check and
// gokeepalived --check with enable_snmp_checker and enable_traps against
// one snmpd: a NAT virtual server with two real servers up (quorum 2).
// It walks
// KEEPALIVED-MIB, then stops one real server's httpd and starts it
// again. Every object gokeepalived serves must equal keepalived's (the
// figure says how many of keepalived's it serves), and the notifications
// must be the same: realServerStateChange and quorum lost, then up and
// quorum met, and those sent at the stop.
func TestSNMPCheckerMatchesKeepalived(t *testing.T) {
	guard(t)
	l := newLab(t)
	l.start("gkrs1")
	l.start("gkrs2")
	snmp := startVMSNMP(t)
	conf := filepath.Join(l.dir, "snmp.conf")
	writeFile(t, conf, "global_defs {\n router_id gkvm\n enable_snmp_checker\n enable_traps\n snmp_socket unix:"+snmp.socket+"\n}\n"+
		"virtual_server_group GS {\n 10.10.36.1-3 80\n 10.10.36.9 8080\n fwmark 7\n}\n"+
		virtualServer("10.10.31.100 80", []string{" lb_algo rr", " lb_kind NAT", " protocol TCP", " snmp_name web", " quorum 2"},
			rs("192.168.31.101", 80, tcpCheck, "weight 2", "snmp_name rs1"),
			rs("192.168.31.102", 80, tcpCheck))+
		virtualServer("group GS", []string{" lb_algo wlc", " lb_kind DR", " protocol TCP", " persistence_timeout 30"},
			rs("192.168.31.102", 80, tcpCheck, "inhibit_on_failure")))
	// rsUp waits until the walk shows 192.168.31.102 (both virtual
	// servers' real server 2 and 1) in state want.
	rsUp := func(prog, want string) map[string]string {
		var w map[string]string
		if _, ok := poll(30*time.Second, func() bool {
			w = snmp.walk()
			return w[".1.3.6.1.4.1.9586.100.5.3.4.1.6.1.2"] == want && w[".1.3.6.1.4.1.9586.100.5.3.4.1.6.2.1"] == want &&
				w[".1.3.6.1.4.1.9586.100.5.3.4.1.6.1.1"] == "INTEGER: 1"
		}); !ok {
			t.Fatalf("%s: real servers not %s in the walk: %v", prog, want, w)
		}
		return w
	}
	type result struct {
		walk  map[string]string
		traps []string
	}
	do := func(prog string) result {
		ipvsadm(t, "-C")
		off := snmp.trapOffset()
		d := startDaemon(t, prog, l.dir, conf, compat227(prog)...)
		w := rsUp(prog, "INTEGER: 1")
		l.stop("gkrs2")
		rsUp(prog, "INTEGER: 2")
		l.start("gkrs2")
		rsUp(prog, "INTEGER: 1")
		time.Sleep(time.Second) // the notification's sampling, snmptrapd's log
		d.term()
		ipvsadm(t, "-C")
		_ = d
		return result{w, snmp.rsTraps(off)}
	}
	ka := do("keepalived")
	gk := do("gokeepalived")

	var wrong, missing []string
	same := 0
	for o, kv := range ka.walk {
		gv, ok := gk.walk[o]
		switch {
		case !ok:
			missing = append(missing, o)
		case gv == kv:
			same++
		default:
			wrong = append(wrong, fmt.Sprintf("%s: keepalived %q, gokeepalived %q", o, kv, gv))
		}
	}
	for o, gv := range gk.walk {
		if _, ok := ka.walk[o]; !ok {
			wrong = append(wrong, fmt.Sprintf("%s: only gokeepalived, %q", o, gv))
		}
	}
	sort.Strings(wrong)
	sort.Strings(missing)
	t.Logf("SNMP checker walk: %d/%d of keepalived's objects served identically; %d not served", same, len(ka.walk), len(missing))
	for _, w := range wrong {
		t.Errorf("differs: %s", w)
	}
	for _, o := range missing {
		t.Logf("not served: %s = %s", o, ka.walk[o])
	}
	// per virtual server, in order
	sort.SliceStable(ka.traps, func(i, j int) bool { return vsOf(ka.traps[i]) < vsOf(ka.traps[j]) })
	sort.SliceStable(gk.traps, func(i, j int) bool { return vsOf(gk.traps[i]) < vsOf(gk.traps[j]) })
	if len(ka.traps) < 2 || strings.Join(ka.traps, "\n") != strings.Join(gk.traps, "\n") {
		t.Errorf("checker notifications differ:\nkeepalived:\n  %s\ngokeepalived:\n  %s",
			strings.Join(ka.traps, "\n  "), strings.Join(gk.traps, "\n  "))
	} else {
		t.Logf("checker notifications: %d/%d identical", len(gk.traps), len(ka.traps))
	}
}

func vsOf(trap string) string { return trap[:strings.Index(trap, "]")+1] }
