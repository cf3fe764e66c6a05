package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/netnstest"
)

// snmpRig is a private net-snmp in a test namespace: snmpd as AgentX
// master on a socket in a temporary directory, answering v2c on the
// namespace's loopback and sending traps to snmptrapd there.
type snmpRig struct {
	t      *testing.T
	ns     *netnstest.NS
	dir    string
	socket string
	snmpd  *exec.Cmd
	traps  string
}

const (
	snmpAgent = "127.0.0.1:16161"
	snmpTrapd = "127.0.0.1:16162"
)

// The subtrees walked: KEEPALIVED-MIB, VRRP-MIB, VRRPv3-MIB.
var snmpSubtrees = []string{".1.3.6.1.4.1.9586.100.5", ".1.3.6.1.2.1.68", ".1.3.6.1.2.1.207"}

func newSNMPRig(t *testing.T, ns *netnstest.NS) *snmpRig {
	t.Helper()
	r := &snmpRig{t: t, ns: ns, dir: t.TempDir()}
	r.socket = filepath.Join(r.dir, "agentx")
	r.traps = filepath.Join(r.dir, "traps.log")
	conf := "master agentx\nagentXSocket " + r.socket + "\nagentXPerms 0700 0700\nrocommunity public default\n" +
		"agentaddress udp:" + snmpAgent + "\ntrap2sink " + snmpTrapd + " public\n"
	if err := os.WriteFile(filepath.Join(r.dir, "snmpd.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.dir, "snmptrapd.conf"), []byte("disableAuthorization yes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	trapd := r.start("snmptrapd", "-f", "-C", "-c", filepath.Join(r.dir, "snmptrapd.conf"), "-m", "", "-On",
		"-Lf", r.traps, "udp:"+snmpTrapd)
	t.Cleanup(func() { stopProc(trapd) })
	r.startSNMPD()
	return r
}

func (r *snmpRig) start(name string, args ...string) *exec.Cmd {
	r.t.Helper()
	c := r.ns.Command(name, args...)
	c.Env = append(os.Environ(), "MIBS=", "MIBDIRS=")
	if err := c.Start(); err != nil {
		r.t.Fatal(err)
	}
	return c
}

// stopProc ends a process this test started, by its PID.
func stopProc(c *exec.Cmd) {
	if c.ProcessState != nil {
		return
	}
	c.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { c.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		c.Process.Kill()
		<-done
	}
}

func (r *snmpRig) startSNMPD() {
	r.t.Helper()
	r.snmpd = r.start("snmpd", "-f", "-C", "-c", filepath.Join(r.dir, "snmpd.conf"), "-m", "",
		"-Lf", filepath.Join(r.dir, "snmpd.log"), "-p", filepath.Join(r.dir, "snmpd.pid"))
	c := r.snmpd
	r.t.Cleanup(func() { stopProc(c) })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(r.socket); err == nil {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatal("snmpd did not open its AgentX socket")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// snmp runs snmpwalk or snmpget, numeric OIDs, no MIB files.
func (r *snmpRig) snmp(tool string, oids ...string) (string, error) {
	args := append([]string{"-m", "", "-v2c", "-c", "public", "-On", "-t", "2", "-r", "1", snmpAgent}, oids...)
	out, err := r.ns.Command(tool, args...).CombinedOutput()
	return string(out), err
}

// walk walks the three subtrees: OID → "TYPE: value".
func (r *snmpRig) walk() map[string]string {
	r.t.Helper()
	m := map[string]string{}
	for _, s := range snmpSubtrees {
		out, err := r.snmp("snmpwalk", s)
		if err != nil {
			r.t.Fatalf("snmpwalk %s: %v: %s", s, err, out)
		}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			oid, val, ok := strings.Cut(l, " = ")
			if !ok || strings.HasPrefix(val, "No Such") || strings.HasPrefix(val, "No more") {
				continue
			}
			m[oid] = val
		}
	}
	return m
}

// waitRegistered waits until the subagent answers for KEEPALIVED-MIB.
func (r *snmpRig) waitRegistered(within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		out, err := r.snmp("snmpget", ".1.3.6.1.4.1.9586.100.5.1.1.0")
		if err == nil && strings.Contains(out, "STRING") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer for the version scalar: %v %s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var ticks = regexp.MustCompile(`^Timeticks: .*`)

// normaliseSNMP hides what is a matter of time: uptimes.
func normaliseSNMP(v string) string { return ticks.ReplaceAllString(v, "Timeticks: <t>") }

// trapsFrom reads the notifications snmptrapd logged from offset on,
// each as "trapOID | varbinds" with sysUpTime left out, keyed by what
// they are about (an instance name, or the RFC row) so that the order
// between instances does not matter.
func (r *snmpRig) trapsFrom(off int) map[string][]string {
	r.t.Helper()
	b, err := os.ReadFile(r.traps)
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[string][]string{}
	for _, l := range strings.Split(string(b[off:]), "\n") {
		// keepalived's notifications only (not snmpd's own coldStart)
		if !strings.Contains(l, ".1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.4.1.9586.") &&
			!strings.Contains(l, ".1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.2.1.68.") &&
			!strings.Contains(l, ".1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.2.1.207.") {
			continue
		}
		var vbs []string
		key := ""
		for _, f := range strings.Split(l, "\t") {
			if strings.HasPrefix(f, ".1.3.6.1.2.1.1.3.0 ") || f == "" {
				continue
			}
			vbs = append(vbs, normaliseSNMP(strings.TrimSpace(f)))
			if strings.HasPrefix(f, ".1.3.6.1.4.1.9586.100.5.2.3.1.2 = ") || strings.HasPrefix(f, ".1.3.6.1.4.1.9586.100.5.2.1.1.2 = ") {
				key = f
			}
		}
		if key == "" && len(vbs) > 1 {
			key, _, _ = strings.Cut(vbs[1], " = ")
		}
		out[key] = append(out[key], strings.Join(vbs, " | "))
	}
	return out
}

func (r *snmpRig) trapOffset() int {
	b, _ := os.ReadFile(r.traps)
	return len(b)
}

const snmpDiffConf = `global_defs {
 router_id gksnmp
 notification_email {
  a@example.com
  b@example.com
 }
 notification_email_from ka@example.com
 smtp_server 127.0.0.1 2525
 smtp_connect_timeout 7
 enable_snmp_vrrp
 enable_snmp_rfc
 enable_traps
 snmp_socket unix:%s
}
static_ipaddress {
 10.98.0.1/24 dev eth0
}
static_routes {
 10.95.0.0/24 via 10.99.0.254 dev eth0
}
static_rules {
 from 10.99.0.0/24 table 100
}
vrrp_script chk {
 script "/bin/true"
 interval 1
 weight -10
 rise 2
 fall 3
}
vrrp_sync_group G1 {
 group {
  VI_1
  VI_2
 }
}
vrrp_instance VI_1 {
 state BACKUP
 interface eth0
 virtual_router_id 51
 priority 100
 advert_int 1
 virtual_ipaddress {
  10.99.0.100/24
  10.99.0.101/32 dev eth0 scope link
 }
 virtual_ipaddress_excluded {
  10.99.0.102/32
 }
 track_script {
  chk
 }
 virtual_routes {
  10.97.0.0/24 via 10.99.0.254 dev eth0
  10.96.0.0/16 dev eth0 scope link metric 7 table 100
 }
 virtual_rules {
  to 10.94.0.0/16 table 101
  from 10.93.0.0/16 to 10.92.0.0/16 fwmark 5 priority 200 table 102
 }
}
vrrp_instance VI_2 {
 state MASTER
 interface eth0
 virtual_router_id 52
 priority 150
 advert_int 2
 garp_master_delay 3
 virtual_ipaddress {
  10.99.0.110/24
 }
}
vrrp_instance VI_3 {
 state BACKUP
 interface eth0
 virtual_router_id 53
 version 3
 priority 90
 advert_int 0.5
 nopreempt
 virtual_ipaddress {
  10.99.0.120/24
 }
 track_script {
  chk
 }
}
`

// TestSNMPMatchesKeepalived runs keepalived 2.2.7 and then gokeepalived
// on the same configuration in a namespace with one snmpd (AgentX
// master) and snmptrapd: three instances (a sync group of two, a VRRPv3
// one) become MASTER; KEEPALIVED-MIB, VRRP-MIB and VRRPv3-MIB are walked
// and compared value by value (uptimes normalised; VI_1's tracked
// script is dropped, as it is in a sync group; VI_3's runs); then eth0
// goes down and up (FAULT, then back to MASTER) and the daemon stops, and the
// notifications snmptrapd received are compared per instance.
func TestSNMPMatchesKeepalived(t *testing.T) {
	netnstest.Require(t, "keepalived", "snmpd", "snmpwalk", "snmptrapd")
	ns := netnstest.New(t, "gksnmp", "eth0")
	rig := newSNMPRig(t, ns)
	cf := filepath.Join(rig.dir, "keepalived.conf")
	if err := os.WriteFile(cf, []byte(fmt.Sprintf(snmpDiffConf, rig.socket)), 0o644); err != nil {
		t.Fatal(err)
	}
	type result struct {
		walk  map[string]string
		traps map[string][]string
	}
	do := func(who, argv0 string) result {
		off := rig.trapOffset()
		args := []string{"-n", "-l", "-D", "-P", "-f", cf, "-p", filepath.Join(rig.dir, who+".pid"), "-r", filepath.Join(rig.dir, who+"-vrrp.pid")}
		var env []string
		if argv0 != "keepalived" {
			args = append(args, "--control-socket", filepath.Join(rig.dir, who+".sock"))
			env = []string{"TMPDIR=" + rig.dir}
		}
		p := startCmd(t, ns.Command(argv0, args...), env)
		for _, in := range []string{"VI_1", "VI_2", "VI_3"} {
			p.waitFor("("+in+") Entering MASTER STATE", 1)
		}
		if err := rig.waitRegistered(10 * time.Second); err != nil {
			t.Fatalf("%s: %v\n%s", who, err, p.log())
		}
		time.Sleep(time.Second) // past the notifications' sampling
		w := rig.walk()
		if err := ipIn(ns, "link", "set", "eth0", "down"); err != nil {
			t.Fatal(err)
		}
		p.waitFor("(VI_3) Entering FAULT STATE", 1)
		time.Sleep(time.Second)
		if err := ipIn(ns, "link", "set", "eth0", "up"); err != nil {
			t.Fatal(err)
		}
		for _, in := range []string{"VI_1", "VI_2", "VI_3"} {
			p.waitFor("("+in+") Entering MASTER STATE", 2)
		}
		time.Sleep(time.Second)
		p.signal(syscall.SIGTERM)
		if rc := p.wait(); rc != 0 {
			t.Errorf("%s exit %d", who, rc)
		}
		time.Sleep(500 * time.Millisecond) // snmptrapd writes its log
		return result{walk: w, traps: rig.trapsFrom(off)}
	}
	ka := do("keepalived", "keepalived")
	self, _ := os.Executable()
	gk := do("gokeepalived", self)

	oids := map[string]bool{}
	for o := range ka.walk {
		oids[o] = true
	}
	for o := range gk.walk {
		oids[o] = true
	}
	var diffs, explained []string
	agree := 0
	for o := range oids {
		kv, kok := ka.walk[o]
		gv, gok := gk.walk[o]
		if kok && gok && normaliseSNMP(kv) == normaliseSNMP(gv) {
			agree++
			continue
		}
		if why := knownSNMPDifference(o, kok); why != "" {
			explained = append(explained, o+": "+why)
			continue
		}
		diffs = append(diffs, fmt.Sprintf("%s: keepalived %q, gokeepalived %q", o, kv, gv))
	}
	sort.Strings(diffs)
	t.Logf("SNMP walk agreement: %d/%d objects; %d differ where keepalived 2.2.7 is wrong (docs/differences.md)", agree, len(oids), len(explained))
	sort.Strings(explained)
	for _, e := range explained {
		t.Logf("  %s", e)
	}
	if len(ka.walk) < 100 {
		t.Errorf("keepalived's walk has only %d objects", len(ka.walk))
	}
	for _, d := range diffs {
		t.Errorf("walk differs at %s", d)
	}

	keys := map[string]bool{}
	for k := range ka.traps {
		keys[k] = true
	}
	for k := range gk.traps {
		keys[k] = true
	}
	n, same := 0, 0
	for k := range keys {
		n += max(len(ka.traps[k]), len(gk.traps[k]))
		if slices.Equal(ka.traps[k], gk.traps[k]) {
			same += len(ka.traps[k])
			continue
		}
		t.Errorf("notifications for %s differ:\nkeepalived:\n  %s\ngokeepalived:\n  %s", k,
			strings.Join(ka.traps[k], "\n  "), strings.Join(gk.traps[k], "\n  "))
	}
	t.Logf("SNMP notifications matched: %d/%d", same, n)
	if n < 9 {
		t.Errorf("only %d notifications", n)
	}
}

// TestSNMPSubagentReconnects kills snmpd under a running gokeepalived
// and starts a new one: the subagent connects and registers again (its
// backoff is 1 s doubling to 30 s, so within 30 s plus slack). Then a
// reload drops enable_snmp_rfc: VRRP-MIB is no longer served.
func TestSNMPSubagentReconnects(t *testing.T) {
	netnstest.Require(t, "snmpd", "snmpwalk", "snmptrapd")
	ns := netnstest.New(t, "gksnmpr", "eth0")
	rig := newSNMPRig(t, ns)
	cf := filepath.Join(rig.dir, "keepalived.conf")
	if err := os.WriteFile(cf, []byte(fmt.Sprintf(snmpDiffConf, rig.socket)), 0o644); err != nil {
		t.Fatal(err)
	}
	self, _ := os.Executable()
	p := startCmd(t, ns.Command(self, "-n", "-l", "-D", "-P", "-f", cf, "-p", filepath.Join(rig.dir, "gk.pid"),
		"-r", filepath.Join(rig.dir, "gk-vrrp.pid"), "--control-socket", filepath.Join(rig.dir, "gk.sock")), []string{"TMPDIR=" + rig.dir})
	if err := rig.waitRegistered(10 * time.Second); err != nil {
		t.Fatalf("%v\n%s", err, p.log())
	}
	before := len(rig.walk())
	stopProc(rig.snmpd)
	p.waitFor("SNMP: AgentX master went away", 1)
	time.Sleep(2 * time.Second) // a few refused attempts
	os.Remove(rig.socket)
	rig.startSNMPD()
	start := time.Now()
	if err := rig.waitRegistered(35 * time.Second); err != nil {
		t.Fatalf("not registered again: %v\n%s", err, p.log())
	}
	t.Logf("registered again %v after snmpd restarted", time.Since(start).Round(100*time.Millisecond))
	if after := len(rig.walk()); after != before {
		t.Errorf("walk after the restart has %d objects, before %d", after, before)
	}
	p.waitFor("SNMP: AgentX subagent connected", 2)

	// A reload without enable_snmp_rfc: the subagent registers again,
	// without VRRP-MIB and VRRPv3-MIB.
	if err := os.WriteFile(cf, []byte(strings.Replace(fmt.Sprintf(snmpDiffConf, rig.socket), " enable_snmp_rfc\n", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	p.signal(syscall.SIGHUP)
	p.waitFor("SNMP: AgentX subagent connected", 3)
	if err := rig.waitRegistered(10 * time.Second); err != nil {
		t.Fatalf("after the reload: %v\n%s", err, p.log())
	}
	if out, _ := rig.snmp("snmpwalk", ".1.3.6.1.2.1.68"); !strings.Contains(out, "No Such Object") {
		t.Errorf("VRRP-MIB still served after the reload: %s", out)
	}
	p.signal(syscall.SIGTERM)
	if rc := p.wait(); rc != 0 {
		t.Errorf("exit %d", rc)
	}
}

func ipIn(ns *netnstest.NS, args ...string) error {
	out, err := exec.Command("ip", append([]string{"-n", ns.Name}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// knownSNMPDifference says why an object may differ: where keepalived
// 2.2.7 has a bug we do not reproduce (docs/differences.md).
func knownSNMPDifference(oid string, inKeepalived bool) string {
	// snmp_rfcv2_header_list_table's "optimisation" test reads
	// "ifp ? ifindex : (0 < target)" and skips every row when the
	// request names one: a walk shows only the first row of
	// vrrpOperTable and vrrpRouterStatsTable.
	for _, col := range []string{".1.3.6.1.2.1.68.1.3.1.", ".1.3.6.1.2.1.68.2.4.1."} {
		if strings.HasPrefix(oid, col) && !inKeepalived {
			return "keepalived serves only the first row of this VRRP-MIB table"
		}
	}
	// vrrp_header_ar_table sets "advertising" for the first instance's
	// VIPs only; the VIPs of every other instance show false(2).
	if strings.HasPrefix(oid, ".1.3.6.1.4.1.9586.100.5.2.6.1.11.") && !strings.HasPrefix(oid, ".1.3.6.1.4.1.9586.100.5.2.6.1.11.1.") {
		return "keepalived shows only the first instance's VIPs as advertised"
	}
	return ""
}
