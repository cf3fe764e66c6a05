package vmtest

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// use_ipvlan needs the ipvlan module, which the development kernel lacks:
// these tests run in the VM. Namespaces ipvA and ipvB share a veth pair
// (eth0 each, fixed MACs).

func ipvlanLab(t *testing.T) {
	t.Helper()
	cleanup := func() {
		exec.Command("ip", "netns", "del", "ipvA").Run()
		exec.Command("ip", "netns", "del", "ipvB").Run()
	}
	cleanup()
	t.Cleanup(cleanup)
	for _, s := range [][]string{
		{"ip", "netns", "add", "ipvA"},
		{"ip", "netns", "add", "ipvB"},
		{"ip", "link", "add", "eth0", "netns", "ipvA", "address", "02:00:00:00:0a:01", "type", "veth",
			"peer", "name", "eth0", "netns", "ipvB", "address", "02:00:00:00:0b:01"},
		{"ip", "-n", "ipvA", "link", "set", "lo", "up"},
		{"ip", "-n", "ipvB", "link", "set", "lo", "up"},
		{"ip", "-n", "ipvA", "addr", "add", "10.1.0.1/24", "dev", "eth0"},
		{"ip", "-n", "ipvB", "addr", "add", "10.1.0.2/24", "dev", "eth0"},
		{"ip", "-n", "ipvA", "link", "set", "eth0", "up"},
		{"ip", "-n", "ipvB", "link", "set", "eth0", "up"},
	} {
		run(t, s[0], s[1:]...)
	}
}

// sniff prints one line per VRRP frame seen on iface (the test binary
// run in a namespace): source MAC, source and destination address, VRID
// and priority.
func sniff(iface string) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		fmt.Println("socket:", err)
		os.Exit(1)
	}
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		fmt.Println("iface:", err)
		os.Exit(1)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
		fmt.Println("bind:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	buf := make([]byte, 2048)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			os.Exit(1)
		}
		if l := vrrpFrame(buf[:n]); l != "" {
			fmt.Println(l)
		}
	}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func vrrpFrame(b []byte) string {
	if len(b) < 14 {
		return ""
	}
	mac := net.HardwareAddr(b[6:12]).String()
	var src, dst netip.Addr
	var vrrp []byte
	switch binary.BigEndian.Uint16(b[12:14]) {
	case 0x0800:
		ip := b[14:]
		if len(ip) < 20 || ip[9] != 112 {
			return ""
		}
		src, dst = netip.AddrFrom4([4]byte(ip[12:16])), netip.AddrFrom4([4]byte(ip[16:20]))
		vrrp = ip[int(ip[0]&0xf)*4:]
	case 0x86dd:
		ip := b[14:]
		if len(ip) < 40 || ip[6] != 112 {
			return ""
		}
		src, dst = netip.AddrFrom16([16]byte(ip[8:24])), netip.AddrFrom16([16]byte(ip[24:40]))
		vrrp = ip[40:]
	default:
		return ""
	}
	if len(vrrp) < 3 {
		return ""
	}
	return fmt.Sprintf("mac %s src %s dst %s vrid %d prio %d", mac, src, dst, vrrp[1], vrrp[2])
}

type sniffer struct {
	cmd   *exec.Cmd
	lines chan string
}

func startSniffer(t *testing.T, ns string) *sniffer {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s := &sniffer{cmd: exec.Command("ip", "netns", "exec", ns, self), lines: make(chan string, 4096)}
	s.cmd.Env = append(os.Environ(), "GKVM_SNIFF=eth0")
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.cmd.Process.Kill(); s.cmd.Wait() })
	r := bufio.NewReader(out)
	if line, _ := r.ReadString('\n'); line != "ready\n" {
		t.Fatalf("sniffer in %s: %q", ns, line)
	}
	go func() {
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				close(s.lines)
				return
			}
			select {
			case s.lines <- strings.TrimSpace(l):
			default:
			}
		}
	}()
	return s
}

// seen drains the frames captured so far and returns them, each once,
// sorted.
func (s *sniffer) seen() []string {
	var out []string
	for {
		select {
		case l, ok := <-s.lines:
			if !ok {
				return out
			}
			if !slices.Contains(out, l) {
				out = append(out, l)
			}
		default:
			slices.Sort(out)
			return out
		}
	}
}

const ipvlanConf = `global_defs {
 router_id ipv
}
vrrp_instance VI_2 {
 interface eth0
 use_ipvlan 10.1.0.12/24
 virtual_router_id 52
 priority 150
 advert_int 1
 virtual_ipaddress {
  10.1.0.102/32
 }
}
vrrp_instance VI_3 {
 interface eth0
 use_ipvlan
 virtual_router_id 53
 priority 150
 advert_int 1
 virtual_ipaddress {
  10.1.0.103/32
 }
}
vrrp_instance VI_6 {
 interface eth0
 use_ipvlan fd00::7/64
 virtual_router_id 61
 priority 150
 advert_int 1
 virtual_ipaddress {
  fd00::100/128
 }
}
vrrp_instance VI_7 {
 interface eth0
 use_ipvlan
 virtual_router_id 62
 priority 150
 advert_int 1
 virtual_ipaddress {
  fd00::101/128
 }
}
vrrp_instance VI_1 {
 interface eth0
 use_ipvlan ipvl1 10.1.0.11/24 private
 virtual_router_id 51
 priority 150
 advert_int 1
 virtual_ipaddress {
  10.1.0.100/32
 }
}
`

var (
	ifIndexRe = regexp.MustCompile(`(?m)^\d+: `)
	lftRe     = regexp.MustCompile(`\\\s+valid_lft.*$`)
	// eth0's link-local may still be in DAD when the lab is new.
	tentRe = regexp.MustCompile(` tentative`)
)

// ipvlanState is what a daemon made in namespace ns: the ipvlan links
// (ip -d), the addresses of every link, and the sysctls keepalived sets
// on VMACs (on eth0 and on each ipvlan), with ifindexes removed.
func ipvlanState(t *testing.T, ns string) string {
	t.Helper()
	var b strings.Builder
	links := run(t, "ip", "-n", ns, "-d", "-o", "link", "show", "type", "ipvlan")
	b.WriteString(ifIndexRe.ReplaceAllString(links, ""))
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(ifIndexRe.ReplaceAllString(links, "")), "\n") {
		if n, _, ok := strings.Cut(l, "@"); ok {
			names = append(names, n)
		}
	}
	for _, l := range strings.Split(run(t, "ip", "-n", ns, "-o", "addr", "show"), "\n") {
		l = tentRe.ReplaceAllString(lftRe.ReplaceAllString(ifIndexRe.ReplaceAllString(l, ""), ""), "")
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "lo ") {
			b.WriteString(l + "\n")
		}
	}
	script := "cd /proc/sys/net; for i in all " + strings.Join(append([]string{"eth0"}, names...), " ") + "; do " +
		"for k in arp_ignore arp_filter accept_local rp_filter promote_secondaries; do echo $i $k $(cat ipv4/conf/$i/$k); done; " +
		"echo $i disable_ipv6 $(cat ipv6/conf/$i/disable_ipv6); done"
	b.WriteString(run(t, "ip", "netns", "exec", ns, "sh", "-c", script))
	return b.String()
}

type ipvlanRun struct {
	state, after, frames, log string
}

// runIPVLAN runs prog on ipvlanConf in ipvA, with -D, until VI_1 and VI_6
// are MASTER and a few adverts went out, then stops it.
func runIPVLAN(t *testing.T, prog, dir string) ipvlanRun {
	t.Helper()
	conf := writeConf(t, dir, ipvlanConf)
	before := ipvlanState(t, "ipvA")
	sn := startSniffer(t, "ipvB")
	d := spawn(t, prog, filepath.Join(dir, prog+"-vrrp.pid"), "ip", "netns", "exec", "ipvA", prog, "-n", "-l", "-D", "-P",
		"-f", conf, "-p", filepath.Join(dir, prog+".pid"), "-r", filepath.Join(dir, prog+"-vrrp.pid"))
	d.waitLog("(VI_1) Entering MASTER STATE", 1, 20*time.Second)
	d.waitLog("(VI_6) Entering MASTER STATE", 1, 20*time.Second)
	d.waitLog("(VI_7) Entering MASTER STATE", 1, 20*time.Second)
	time.Sleep(3 * time.Second) // adverts at advert_int 1
	r := ipvlanRun{state: ipvlanState(t, "ipvA")}
	d.term()
	time.Sleep(500 * time.Millisecond)
	var fr []string
	for _, l := range sn.seen() {
		if !strings.HasSuffix(l, " prio 0") { // the shutdown's are timing-dependent
			fr = append(fr, l)
		}
	}
	r.frames, r.after, r.log = strings.Join(fr, "\n"), ipvlanState(t, "ipvA"), d.log()
	if r.after != before {
		t.Errorf("%s left the namespace changed after TERM:\nbefore\n%s\nafter\n%s", prog, before, r.after)
	}
	return r
}

// TestIPVLANMatchesKeepalived: the same use_ipvlan config run by
// keepalived 2.2.7 and by gokeepalived in ipvA: the ipvlan interfaces
// (name, mode, flags, MAC), every address (the ipvlan's own, the VIPs on
// eth0), the sysctls, and the adverts seen from ipvB (source MAC and
// address) are the same; TERM removes the ipvlans.
func TestIPVLANMatchesKeepalived(t *testing.T) {
	guard(t)
	ipvlanLab(t)
	ka := runIPVLAN(t, "keepalived", t.TempDir())
	gk := runIPVLAN(t, "gokeepalived", t.TempDir())
	if ka.state != gk.state {
		t.Errorf("interfaces, addresses and sysctls differ:\n%s", lineDiff(ka.state, gk.state))
	}
	if ka.frames != gk.frames {
		t.Errorf("adverts differ:\nkeepalived:\n%s\ngokeepalived:\n%s", ka.frames, gk.frames)
	}
	t.Logf("state (both):\n%s\nadverts (both):\n%s", gk.state, gk.frames)
	kl, gl := ipvlanLines(ka.log), ipvlanLines(gk.log)
	if !slices.Equal(kl, gl) {
		t.Errorf("ipvlan log lines differ:\nkeepalived:\n%s\ngokeepalived:\n%s\n\ngokeepalived's log:\n%s",
			strings.Join(kl, "\n"), strings.Join(gl, "\n"), gk.log)
	}
	t.Logf("ipvlan log lines (both):\n%s", strings.Join(gl, "\n"))
}

// ipvlanLines are the log lines about the ipvlans, from the instance name
// on, sorted.
func ipvlanLines(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		i := strings.Index(l, "(VI_")
		if i < 0 {
			continue
		}
		if l = strings.TrimSpace(l[i:]); strings.Contains(strings.ToLower(l), "ipvlan") || strings.Contains(l, "VMAC") ||
			strings.Contains(l, "Found matching") {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return out
}

// TestIPVLANFailover: keepalived and gokeepalived, each with use_ipvlan
// on its own node, as MASTER and BACKUP in turn: the backup hears the
// master's adverts through its ipvlan (it stays BACKUP), and takes the
// VIP within 3 s of the master's TERM (priority 0: skew time, 0.4 s).
func TestIPVLANFailover(t *testing.T) {
	guard(t)
	ipvlanLab(t)
	conf := func(addr string, prio int) string {
		return fmt.Sprintf("vrrp_instance VI_1 {\n interface eth0\n use_ipvlan %s/24\n virtual_router_id 51\n"+
			" priority %d\n advert_int 1\n virtual_ipaddress {\n  10.1.0.100/32\n }\n}\n", addr, prio)
	}
	for _, c := range []struct{ master, backup string }{{"keepalived", "gokeepalived"}, {"gokeepalived", "keepalived"}} {
		t.Run(c.master+"-master", func(t *testing.T) {
			dm, db := t.TempDir(), t.TempDir()
			start := func(prog, ns, dir, text string) *daemon {
				return spawn(t, prog, filepath.Join(dir, "v.pid"), "ip", "netns", "exec", ns, prog, "-n", "-l", "-P",
					"-f", writeConf(t, dir, text), "-p", filepath.Join(dir, "p.pid"), "-r", filepath.Join(dir, "v.pid"))
			}
			m := start(c.master, "ipvA", dm, conf("10.1.0.11", 150))
			m.waitLog("(VI_1) Entering MASTER STATE", 1, 20*time.Second)
			b := start(c.backup, "ipvB", db, conf("10.1.0.21", 100))
			b.waitLog("(VI_1) Entering BACKUP STATE", 1, 20*time.Second)
			time.Sleep(5 * time.Second) // more than the master down interval
			if strings.Contains(b.log(), "Entering MASTER STATE") || !strings.Contains(ipOutNS("ipvA"), "10.1.0.100/32") {
				t.Fatalf("the backup did not hear the master through its ipvlan:\n%s\n%s", b.log(), m.log())
			}
			t0 := time.Now()
			m.term()
			b.waitLog("(VI_1) Entering MASTER STATE", 1, 3*time.Second)
			el := time.Since(t0)
			if _, ok := poll(3*time.Second, func() bool { return strings.Contains(ipOutNS("ipvB"), "10.1.0.100/32 scope global eth0") }); !ok {
				t.Fatalf("VIP not on ipvB's eth0:\n%s", ipOutNS("ipvB"))
			}
			t.Logf("%s took over %v after %s's TERM", c.backup, el.Round(time.Millisecond), c.master)
			b.term()
		})
	}
}

func ipOutNS(ns string) string {
	out, _ := exec.Command("ip", "-n", ns, "-o", "addr", "show").CombinedOutput()
	return string(out)
}

// TestIPVLANReload: a reload that adds use_ipvlan to a running instance
// creates the ipvlan and moves the adverts onto it; one that takes it
// away deletes it. keepalived 2.2.7 and gokeepalived run the same
// sequence; the interfaces, addresses and adverts are compared at each
// step.
func TestIPVLANReload(t *testing.T) {
	guard(t)
	ipvlanLab(t)
	plain := "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority 150\n advert_int 1\n" +
		" virtual_ipaddress {\n  10.1.0.100/32\n }\n}\n"
	withIPVLAN := strings.Replace(plain, " priority 150\n", " priority 150\n use_ipvlan ipvl1 10.1.0.11/24\n", 1)
	steps := func(prog string) []string {
		dir := t.TempDir()
		conf := writeConf(t, dir, plain)
		sn := startSniffer(t, "ipvB")
		d := spawn(t, prog, filepath.Join(dir, "v.pid"), "ip", "netns", "exec", "ipvA", prog, "-n", "-l", "-D", "-P",
			"-f", conf, "-p", filepath.Join(dir, "p.pid"), "-r", filepath.Join(dir, "v.pid"))
		d.waitLog("(VI_1) Entering MASTER STATE", 1, 20*time.Second)
		var out []string
		snap := func() {
			time.Sleep(3 * time.Second)
			sn.seen()
			time.Sleep(2500 * time.Millisecond)
			out = append(out, ipvlanState(t, "ipvA")+strings.Join(sn.seen(), "\n"))
		}
		snap()
		for _, text := range []string{withIPVLAN, plain} {
			writeConf(t, dir, text)
			d.cmd.Process.Signal(syscall.SIGHUP)
			snap()
		}
		d.term()
		return out
	}
	ka, gk := steps("keepalived"), steps("gokeepalived")
	for i, what := range []string{"start", "reload adding use_ipvlan", "reload removing it"} {
		if ka[i] != gk[i] {
			t.Errorf("after %s:\n%s", what, lineDiff(ka[i], gk[i]))
		} else {
			t.Logf("after %s (both):\n%s", what, gk[i])
		}
	}
}

// TestIPVLANLinkFlap: the ipvlan set down and up, then its parent: the
// instance goes to FAULT and back to MASTER with the same "Netlink
// reports" and state lines under keepalived 2.2.7 and gokeepalived (the
// parent's going down is not reported for the ipvlan too).
func TestIPVLANLinkFlap(t *testing.T) {
	guard(t)
	ipvlanLab(t)
	text := "vrrp_instance VI_1 {\n interface eth0\n use_ipvlan 10.1.0.11/24\n virtual_router_id 51\n priority 150\n" +
		" advert_int 1\n virtual_ipaddress {\n  10.1.0.100/32\n }\n}\n"
	flap := func(prog string) []string {
		dir := t.TempDir()
		d := spawn(t, prog, filepath.Join(dir, "v.pid"), "ip", "netns", "exec", "ipvA", prog, "-n", "-l", "-P",
			"-f", writeConf(t, dir, text), "-p", filepath.Join(dir, "p.pid"), "-r", filepath.Join(dir, "v.pid"))
		d.waitLog("(VI_1) Entering MASTER STATE", 1, 20*time.Second)
		for i, link := range []string{"vrrp.51", "eth0"} {
			run(t, "ip", "-n", "ipvA", "link", "set", link, "down")
			d.waitLog("(VI_1) Entering FAULT STATE", i+1, 10*time.Second)
			time.Sleep(time.Second)
			run(t, "ip", "-n", "ipvA", "link", "set", link, "up")
			d.waitLog("(VI_1) Entering MASTER STATE", i+2, 20*time.Second)
		}
		d.term()
		var out []string
		for _, l := range strings.Split(d.log(), "\n") {
			for _, k := range []string{"Netlink reports", "(VI_1) Entering"} {
				if i := strings.Index(l, k); i >= 0 {
					out = append(out, strings.TrimSpace(l[i:]))
				}
			}
		}
		return out
	}
	ka, gk := flap("keepalived"), flap("gokeepalived")
	if !slices.Equal(ka, gk) {
		t.Errorf("link and state lines differ:\nkeepalived:\n%s\ngokeepalived:\n%s", strings.Join(ka, "\n"), strings.Join(gk, "\n"))
	} else {
		t.Logf("link and state lines (both):\n%s", strings.Join(gk, "\n"))
	}
}

// TestIPVLANv6AddressRestored: the kernel flushes an ipvlan's IPv6
// address when it is set down; gokeepalived puts it back when it comes
// up, and the adverts leave from it again (keepalived 2.2.7 does not, and
// fails every advert with EINVAL: docs/differences.md).
func TestIPVLANv6AddressRestored(t *testing.T) {
	guard(t)
	ipvlanLab(t)
	dir := t.TempDir()
	text := "vrrp_instance VI_6 {\n interface eth0\n use_ipvlan fd00::7/64\n virtual_router_id 61\n priority 150\n" +
		" advert_int 1\n virtual_ipaddress {\n  fd00::100/128\n }\n}\n"
	d := spawn(t, "gokeepalived", filepath.Join(dir, "v.pid"), "ip", "netns", "exec", "ipvA", "gokeepalived", "-n", "-l", "-P",
		"-f", writeConf(t, dir, text), "-p", filepath.Join(dir, "p.pid"), "-r", filepath.Join(dir, "v.pid"))
	d.waitLog("(VI_6) Entering MASTER STATE", 1, 20*time.Second)
	run(t, "ip", "-n", "ipvA", "link", "set", "vrrp.61", "down")
	d.waitLog("(VI_6) Entering FAULT STATE", 1, 10*time.Second)
	if a := run(t, "ip", "-n", "ipvA", "-o", "addr", "show", "dev", "vrrp.61"); strings.Contains(a, "fd00::7/64") {
		t.Fatalf("the kernel kept fd00::7 on the ipvlan set down:\n%s", a)
	}
	run(t, "ip", "-n", "ipvA", "link", "set", "vrrp.61", "up")
	d.waitLog("(VI_6) Entering MASTER STATE", 2, 20*time.Second)
	if a := run(t, "ip", "-n", "ipvA", "-o", "addr", "show", "dev", "vrrp.61"); !strings.Contains(a, "inet6 fd00::7/64 scope global nodad") {
		t.Errorf("fd00::7 not back on vrrp.61:\n%s", a)
	}
	sn := startSniffer(t, "ipvB")
	time.Sleep(2500 * time.Millisecond)
	want := "mac 02:00:00:00:0a:01 src fd00::7 dst ff02::12 vrid 61 prio 150"
	if got := sn.seen(); !slices.Contains(got, want) {
		t.Errorf("adverts after the flap: %q, want %q\n%s", got, want, d.log())
	}
	// Sends fail while it is down (the priority 0 on entering FAULT),
	// not after.
	log := d.log()
	if after := log[strings.LastIndex(log, "(VI_6) Entering MASTER STATE"):]; strings.Contains(after, "send advert") {
		t.Errorf("send errors after the flap:\n%s", log)
	}
	d.term()
}
