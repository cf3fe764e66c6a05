package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/gokeepalived/gokeepalived/internal/netnstest"
	"github.com/gokeepalived/gokeepalived/internal/testenv"
)

// privateBus starts a dbus-daemon of its own with a system bus's policy
// (no name may be owned, no method called, unless a policy file says so)
// and the policy file gokeepalived ships, as the system bus has it once
// the package is installed. It returns the bus's address.
func privateBus(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	sock := filepath.Join(dir, "bus")
	policy := filepath.Join(testenv.Root(), "scripts", "dbus", "gokeepalived.conf")
	cf := filepath.Join(dir, "bus.conf")
	os.WriteFile(cf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <auth>EXTERNAL</auth>
  <listen>unix:path=`+sock+`</listen>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
  </policy>
  <include>`+policy+`</include>
</busconfig>
`), 0o644)
	// other users reach the socket: the policy decides what they may do
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	cmd := exec.Command("dbus-daemon", "--config-file="+cf, "--nofork")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() }) // by PID
	addr := "unix:path=" + sock
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := dbus.Connect(addr)
		if err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("private dbus-daemon: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// busClient is the test's connection to a private bus: it records the
// signals under /org/keepalived and calls the service.
type busClient struct {
	t    *testing.T
	conn *dbus.Conn
	mu   sync.Mutex
	sigs []*dbus.Signal
}

func newBusClient(t *testing.T, addr string) *busClient {
	t.Helper()
	c, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.AddMatchSignal(dbus.WithMatchPathNamespace("/org/keepalived")); err != nil {
		t.Fatal(err)
	}
	bc := &busClient{t: t, conn: c}
	ch := make(chan *dbus.Signal, 256)
	c.Signal(ch)
	go func() {
		for s := range ch {
			bc.mu.Lock()
			bc.sigs = append(bc.sigs, s)
			bc.mu.Unlock()
		}
	}()
	return bc
}

// signals are the recorded signals as "path member args", in order.
func (bc *busClient) signals() []string {
	bc.mu.Lock()
	defer bc.mu.Unlock()
	var out []string
	for _, s := range bc.sigs {
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %v", s.Path, s.Name[strings.LastIndex(s.Name, ".")+1:], fmtBody(s.Body))))
	}
	return out
}

func fmtBody(b []any) string {
	if len(b) == 0 {
		return ""
	}
	return fmt.Sprint(b...)
}

// waitSignal waits until sig has been recorded n times.
func (bc *busClient) waitSignal(sig string, n int, log func() string) {
	bc.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c := 0
		for _, s := range bc.signals() {
			if s == sig {
				c++
			}
		}
		if c >= n {
			return
		}
		if time.Now().After(deadline) {
			bc.t.Fatalf("no %d× signal %q; got %q\n%s", n, sig, bc.signals(), log())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// of is the normalised signal sequence of one object path.
func (bc *busClient) of(path string) []string {
	var l []string
	for _, s := range bc.signals() {
		if p, rest, _ := strings.Cut(s, " "); p == path {
			l = append(l, rest)
		}
	}
	return normSeq(l)
}

// normSeq takes out what keepalived's D-Bus thread races with its VRRP
// thread for at start-up: it tells the states it finds once connected,
// while the VRRP thread may tell the same change too (the first state
// twice), or find an instance still in INIT (a leading 0).
func normSeq(l []string) []string {
	if len(l) > 0 && l[0] == "VrrpStatusChange 0" {
		l = l[1:]
	}
	if len(l) > 1 && l[0] == l[1] && strings.HasPrefix(l[0], "VrrpStatusChange") {
		l = l[1:]
	}
	return l
}

// waitSeq waits until path's sequence is want.
func (bc *busClient) waitSeq(path string, log func() string, want ...string) {
	bc.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		got := bc.of(path)
		if strings.Join(got, ",") == strings.Join(want, ",") {
			return
		}
		if time.Now().After(deadline) {
			bc.t.Fatalf("signals of %s: %q, want %q\n%s", path, got, want, log())
		}
	}
}

const svc = "org.keepalived.Vrrp1"

func (bc *busClient) call(path, method string, args ...any) ([]any, error) {
	c := bc.conn.Object(svc, dbus.ObjectPath(path)).Call(method, 0, args...)
	return c.Body, c.Err
}

var (
	gdbusComment = regexp.MustCompile(`(?m)^<!-- .* -->\n`)
	childNode    = regexp.MustCompile(`  <node name="([^"]+)"/>\n`)
)

// objects walks the service's object tree from / by introspection:
// path → the introspection XML, its generator's comment left out.
func (bc *busClient) objects() map[string]string {
	out := map[string]string{}
	var walk func(p string)
	walk = func(p string) {
		body, err := bc.call(p, "org.freedesktop.DBus.Introspectable.Introspect")
		if err != nil {
			out[p] = "error: " + err.Error()
			return
		}
		x := gdbusComment.ReplaceAllString(body[0].(string), "")
		// GDBus lists the child nodes in its hash table's order
		children := childNode.FindAllString(x, -1)
		sort.Strings(children)
		out[p] = childNode.ReplaceAllString(x, "") + strings.Join(children, "\n")
		for _, m := range childNode.FindAllStringSubmatch(x, -1) {
			walk(strings.TrimSuffix(p, "/") + "/" + m[1])
		}
	}
	walk("/")
	return out
}

// props reads Name, State and GetAll of each instance object.
func (bc *busClient) props(objs map[string]string) map[string]string {
	out := map[string]string{}
	for p, x := range objs {
		if !strings.Contains(x, `<interface name="org.keepalived.Vrrp1.Instance">`) {
			continue
		}
		for _, prop := range []string{"Name", "State", "Nope"} {
			body, err := bc.call(p, "org.freedesktop.DBus.Properties.Get", "org.keepalived.Vrrp1.Instance", prop)
			out[p+" "+prop] = fmt.Sprint(body, err)
		}
		body, err := bc.call(p, "org.freedesktop.DBus.Properties.GetAll", "org.keepalived.Vrrp1.Instance")
		out[p+" GetAll"] = fmt.Sprint(body, err)
	}
	return out
}

// dbusRun is what one daemon showed on its bus.
type dbusRun struct {
	objects, objectsReloaded, props, propsFailover map[string]string
	signals                                        map[string][]string // per object path, in order
	raw                                            []string            // every signal as it came
	effects                                        []string
}

const dbusConf = `global_defs {
 enable_dbus
}
vrrp_instance VI_1 {
 state BACKUP
 interface eth0
 virtual_router_id 51
 priority 100
 advert_int 1
 virtual_ipaddress {
  10.99.0.100/32
 }
}
vrrp_instance VI_6 {
 state BACKUP
 interface eth0
 virtual_router_id 52
 priority 100
 advert_int 1
 virtual_ipaddress {
  fd00:99::100/128
 }
}
`

const dbusConfReload = dbusConf + `vrrp_instance VI_2 {
 state BACKUP
 interface eth0
 virtual_router_id 53
 priority 100
 advert_int 1
 virtual_ipaddress {
  10.99.0.102/32
 }
}
`

// runDBus runs bin on dbusConf in a namespace of its own with a private
// bus, and goes through a start, a failover (a peer with a higher
// priority appears), the service's methods, a ReloadConfig that adds an
// instance, and a stop.
func runDBus(t *testing.T, bin, prefix string) dbusRun {
	ns := netnstest.New(t, prefix, "eth0")
	peerNS := netnstest.New(t, prefix+"p")
	for _, args := range [][]string{
		{"-n", ns.Name, "link", "set", "gkpeer0", "netns", peerNS.Name},
		{"-n", peerNS.Name, "addr", "add", "10.99.0.2/24", "dev", "gkpeer0"},
		{"-n", peerNS.Name, "link", "set", "gkpeer0", "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v %s", args, err, out)
		}
	}
	addr := privateBus(t)
	bc := newBusClient(t, addr)
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(cf, []byte(dbusConf), 0o644)
	args := []string{"-n", "-l", "-D", "-P", "-f", cf, "-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid")}
	if bin == keepalivedBin {
		args = append(args, "-c", filepath.Join(dir, "c.pid"))
	} else {
		args = append(args, "--control-socket", filepath.Join(dir, "gk.sock"))
	}
	p := startCmd(t, ns.Command(bin, args...), []string{"TMPDIR=" + dir, "DBUS_SYSTEM_BUS_ADDRESS=" + addr})
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.signal(syscall.SIGTERM)
			p.wait()
		}
	})
	i1, i6, i2 := "/org/keepalived/Vrrp1/Instance/eth0/51/IPv4", "/org/keepalived/Vrrp1/Instance/eth0/52/IPv6", "/org/keepalived/Vrrp1/Instance/eth0/53/IPv4"
	bc.waitSeq(i1, p.log, "VrrpStatusChange 1", "VrrpStatusChange 2")
	bc.waitSeq(i6, p.log, "VrrpStatusChange 1", "VrrpStatusChange 2")
	var r dbusRun
	r.objects = bc.objects()
	r.props = bc.props(r.objects)

	// Failover: a peer with priority 200 takes VI_1 over.
	pdir := t.TempDir()
	pcf := filepath.Join(pdir, "keepalived.conf")
	os.WriteFile(pcf, []byte("vrrp_instance VI_1 {\n state BACKUP\n interface gkpeer0\n virtual_router_id 51\n priority 200\n advert_int 1\n"+
		" virtual_ipaddress {\n  10.99.0.100/32\n }\n}\n"), 0o644)
	peer := startCmd(t, peerNS.Command(keepalivedBin, "-n", "-l", "-D", "-P", "-f", pcf, "-p", filepath.Join(pdir, "k.pid"),
		"-r", filepath.Join(pdir, "v.pid"), "-c", filepath.Join(pdir, "c.pid")), []string{"TMPDIR=" + pdir})
	t.Cleanup(func() {
		if peer.cmd.ProcessState == nil {
			peer.signal(syscall.SIGTERM)
			peer.wait()
		}
	})
	bc.waitSeq(i1, p.log, "VrrpStatusChange 1", "VrrpStatusChange 2", "VrrpStatusChange 1")
	r.propsFailover = bc.props(r.objects)

	// The methods and what they do.
	for _, m := range []struct{ method, file, want string }{
		{"PrintData", "keepalived.data", "VRRP Instance = VI_1"},
		{"PrintStats", "keepalived.stats", "VRRP Instance: VI_1"},
	} {
		os.Remove(filepath.Join(dir, m.file))
		_, err := bc.call("/org/keepalived/Vrrp1/Vrrp", "org.keepalived.Vrrp1.Vrrp."+m.method)
		b, rerr := os.ReadFile(filepath.Join(dir, m.file)) // written before the reply
		r.effects = append(r.effects, fmt.Sprintf("%s: err %v, file written %v, has %q: %v", m.method, err, rerr == nil, m.want,
			strings.Contains(string(b), m.want)))
	}
	_, err := bc.call(i6, "org.keepalived.Vrrp1.Instance.SendGarp")
	time.Sleep(100 * time.Millisecond) // keepalived logs from its main thread
	r.effects = append(r.effects, fmt.Sprintf("SendGarp: err %v, logged %v", err, strings.Contains(p.log(), "Sending garps on VI_6 on DBus request")))
	_, err = bc.call("/org/keepalived/Vrrp1", "org.keepalived.Vrrp1.Vrrp.PrintData")
	r.effects = append(r.effects, fmt.Sprintf("PrintData on /org/keepalived/Vrrp1 fails: %v", err != nil))
	// The policy: any user reads properties, only root calls methods.
	asNobody := func(args ...string) string {
		out, err := exec.Command("setpriv", append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", "dbus-send",
			"--bus=" + addr, "--print-reply", "--dest=" + svc}, args...)...).CombinedOutput()
		if f := strings.Fields(string(out)); err != nil && len(f) > 1 {
			return "error " + f[1] // the D-Bus error's name
		} else if err != nil {
			return fmt.Sprintf("error %v %s", err, out)
		}
		return "ok"
	}
	r.effects = append(r.effects, "nobody: Get "+asNobody(i1, "org.freedesktop.DBus.Properties.Get", "string:org.keepalived.Vrrp1.Instance", "string:Name")+
		", PrintData "+asNobody("/org/keepalived/Vrrp1/Vrrp", "org.keepalived.Vrrp1.Vrrp.PrintData"))

	// ReloadConfig applies a file with one more instance: its object
	// appears and it goes through its states.
	os.WriteFile(cf, []byte(dbusConfReload), 0o644)
	_, err = bc.call("/org/keepalived/Vrrp1/Vrrp", "org.keepalived.Vrrp1.Vrrp.ReloadConfig")
	r.effects = append(r.effects, fmt.Sprintf("ReloadConfig: err %v", err))
	bc.waitSignal("/org/keepalived/Vrrp1/Vrrp VrrpReloaded", 1, p.log)
	bc.waitSeq(i2, p.log, "VrrpStatusChange 1", "VrrpStatusChange 2")
	r.objectsReloaded = bc.objects()

	p.signal(syscall.SIGTERM)
	p.wait()
	bc.waitSignal("/org/keepalived/Vrrp1/Vrrp VrrpStopped", 1, p.log)
	r.signals, r.raw = map[string][]string{}, bc.signals()
	for _, s := range r.raw {
		path, _, _ := strings.Cut(s, " ")
		r.signals[path] = bc.of(path)
	}
	return r
}

// compareMaps counts the keys whose values agree, and reports the rest.
func compareMaps(t *testing.T, what string, ka, gk map[string]string) (int, int) {
	t.Helper()
	keys := map[string]bool{}
	for k := range ka {
		keys[k] = true
	}
	for k := range gk {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	n := 0
	for _, k := range sorted {
		a, aok := ka[k]
		b, bok := gk[k]
		if aok && bok && a == b {
			n++
			continue
		}
		t.Errorf("%s %s:\nkeepalived (%v):\n%s\ngokeepalived (%v):\n%s", what, k, aok, a, bok, b)
	}
	return n, len(sorted)
}

// TestDBusDifferential runs keepalived 2.2.7 and gokeepalived on the same
// configuration, each in namespaces of its own with a private system bus,
// and compares what a D-Bus client sees: the object tree and its
// introspection, the properties before and after a failover, the signals
// of every object through start, failover, reload and stop, and what the
// methods do.
func TestDBusDifferential(t *testing.T) {
	netnstest.Require(t, "keepalived", "dbus-daemon")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	runs := map[string]dbusRun{}
	t.Run("daemons", func(t *testing.T) {
		for _, d := range []struct{ name, bin, prefix string }{{"keepalived", keepalivedBin, "gkdbk"}, {"gokeepalived", self, "gkdbg"}} {
			t.Run(d.name, func(t *testing.T) {
				t.Parallel() // own namespaces, bus and directories
				r := runDBus(t, d.bin, d.prefix)
				mu.Lock()
				runs[d.name] = r
				mu.Unlock()
			})
		}
	})
	ka, gk := runs["keepalived"], runs["gokeepalived"]
	if ka.objects == nil || gk.objects == nil {
		t.Fatal("a run failed")
	}
	on, om := compareMaps(t, "object", ka.objects, gk.objects)
	rn, rm := compareMaps(t, "object after reload", ka.objectsReloaded, gk.objectsReloaded)
	pn, pm := compareMaps(t, "property", ka.props, gk.props)
	fn, fm := compareMaps(t, "property after failover", ka.propsFailover, gk.propsFailover)
	join := func(m map[string][]string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = strings.Join(v, "\n")
		}
		return out
	}
	sn, sm := compareMaps(t, "signals of", join(ka.signals), join(gk.signals))
	nsig := 0
	for _, l := range gk.signals {
		nsig += len(l)
	}
	if nsig != len(gk.raw) { // normSeq is for keepalived's race; ours has none
		t.Errorf("gokeepalived's signals needed normalising: %q", gk.raw)
	}
	byKey := func(l []string) map[string]string {
		out := map[string]string{}
		for _, e := range l {
			k, _, _ := strings.Cut(e, ":")
			out[k] = e
		}
		return out
	}
	en, em := compareMaps(t, "effect", byKey(ka.effects), byKey(gk.effects))
	want := []string{
		`PrintData: err <nil>, file written true, has "VRRP Instance = VI_1": true`,
		`PrintStats: err <nil>, file written true, has "VRRP Instance: VI_1": true`,
		`SendGarp: err <nil>, logged true`,
		`PrintData on /org/keepalived/Vrrp1 fails: true`,
		`nobody: Get ok, PrintData error org.freedesktop.DBus.Error.AccessDenied:`,
		`ReloadConfig: err <nil>`,
	}
	if got := strings.Join(gk.effects, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("gokeepalived's method effects:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	for _, k := range []string{"/org/keepalived/Vrrp1/Vrrp", "/org/keepalived/Vrrp1/Instance/eth0/51/IPv4"} {
		t.Logf("signals of %s: %q", k, gk.signals[k])
	}
	t.Logf("D-Bus against keepalived 2.2.7: objects %d/%d, after reload %d/%d, properties %d/%d, after failover %d/%d, "+
		"signal sequences %d/%d objects (%d signals), method effects %d/%d", on, om, rn, rm, pn, pm, fn, fm, sn, sm, nsig, en, em)
}

// TestDBusBusAway: with enable_dbus and no bus to connect to, or a bus
// whose policy lets no one own dbus_service_name, the daemon says so in
// keepalived's words and VRRP runs on.
func TestDBusBusAway(t *testing.T) {
	netnstest.Require(t, "dbus-daemon")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, addr, service string }{
		{"no bus", "unix:path=/nonexistent/bus", "org.keepalived.Vrrp1"},
		{"name refused", "", "org.example.NotAllowed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ns := netnstest.New(t, "gkdba", "eth0")
			addr := c.addr
			if addr == "" {
				addr = privateBus(t)
			}
			dir := t.TempDir()
			cf := filepath.Join(dir, "keepalived.conf")
			os.WriteFile(cf, []byte("global_defs {\n enable_dbus\n dbus_service_name "+c.service+"\n}\n"+
				"vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority 100\n advert_int 1\n virtual_ipaddress {\n  10.99.0.100/32\n }\n}\n"), 0o644)
			p := startCmd(t, ns.Command(self, "-n", "-l", "-D", "-P", "-f", cf, "-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid"),
				"--control-socket", filepath.Join(dir, "gk.sock")), []string{"TMPDIR=" + dir, "DBUS_SYSTEM_BUS_ADDRESS=" + addr})
			p.waitFor("Lost the name "+c.service+" on the session bus", 1)
			p.waitFor("(VI_1) Entering MASTER STATE", 1)
			p.signal(syscall.SIGTERM)
			if rc := p.wait(); rc != 0 {
				t.Errorf("exit %d:\n%s", rc, p.log())
			}
		})
	}
}
