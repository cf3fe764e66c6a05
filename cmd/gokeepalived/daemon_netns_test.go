package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/netnstest"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// TestDaemonNetNamespace runs keepalived 2.2.7 and gokeepalived the same
// way: under `ip netns exec OUTER`, with `net_namespace INNER` in the
// configuration. Each must put its VIP on INNER's interface and nothing in
// OUTER, send its adverts out of INNER's interface, keep its pidfiles in
// /run/keepalived/INNER/ (its own /run/keepalived), say so in its log,
// and remove that directory at exit. A missing namespace given with -s
// stops either with the same lines and status 0.
func TestDaemonNetNamespace(t *testing.T) {
	netnstest.Require(t, "keepalived")
	self, _ := os.Executable()
	for _, bin := range []string{"keepalived", self} {
		name := "gokeepalived"
		if bin == "keepalived" {
			name = bin
		}
		t.Run(name, func(t *testing.T) { testNetNamespace(t, bin) })
	}
}

func testNetNamespace(t *testing.T, bin string) {
	outer := netnstest.New(t, "gkno")
	inner := netnstest.New(t, "gkni", "eth0")
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(cf, []byte("net_namespace "+inner.Name+"\nvrrp_instance VI_1 {\n state MASTER\n interface eth0\n"+
		" virtual_router_id 61\n priority 150\n advert_int 1\n virtual_ipaddress {\n 10.99.0.230/32\n }\n}\n"), 0o644)
	piddir := "/run/keepalived/" + inner.Name
	os.RemoveAll(piddir) // a leftover of a killed run of ours
	t.Cleanup(func() { os.RemoveAll(piddir) })

	// -t checks the file in the namespace: eth0 is only there.
	for _, args := range [][]string{{"-t", "-f", cf}, {"-t", "-s", inner.Name + "-none", "-f", cf}} {
		cmd := outer.Command(bin, args...)
		cmd.Env = append(os.Environ(), "GOKEEPALIVED_AS_MAIN=1")
		if out, err := cmd.CombinedOutput(); exitCode(err) != 0 {
			t.Errorf("%v: exit %d\n%s", args, exitCode(err), out)
		}
	}

	adverts := captureVRRP(t, inner.Name, "gkpeer0")
	p := startCmd(t, outer.Command(bin, "-n", "-l", "-G", "-P", "-f", cf), []string{"TMPDIR=" + dir})
	p.waitFor("(VI_1) Entering MASTER STATE", 1)
	deadline := time.Now().Add(5 * time.Second)
	for !hasAddr(t, inner.Name, "10.99.0.230") {
		if time.Now().After(deadline) {
			t.Fatalf("VIP not on %s's eth0:\n%s", inner.Name, p.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if out, _ := exec.Command("ip", "-n", outer.Name, "-o", "addr").CombinedOutput(); strings.Contains(string(out), "10.99.0.230") {
		t.Errorf("VIP in the outer namespace:\n%s", out)
	}
	select {
	case src := <-adverts:
		if src != "10.99.0.1" {
			t.Errorf("advert from %s, want 10.99.0.1", src)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("no advert for VRID 61 on %s's eth0", inner.Name)
	}
	for _, f := range []string{"keepalived.pid", "vrrp.pid"} {
		b, err := os.ReadFile(filepath.Join(piddir, f))
		pid, perr := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || perr != nil || pid <= 0 {
			t.Errorf("%s/%s: %v %q", piddir, f, err, b)
		}
		if f == "keepalived.pid" && pid != p.cmd.Process.Pid {
			t.Errorf("%s/%s holds %d, want the daemon's %d", piddir, f, pid, p.cmd.Process.Pid)
		}
	}
	if _, err := os.Stat("/run/keepalived.pid"); err == nil {
		if b, _ := os.ReadFile("/run/keepalived.pid"); strings.TrimSpace(string(b)) == strconv.Itoa(p.cmd.Process.Pid) {
			t.Error("pidfile written to /run/keepalived.pid")
		}
	}
	if bin != "keepalived" {
		// the status socket is in the pid directory too; -s finds it
		var out bytes.Buffer
		if rc := run([]string{"status", "-s", inner.Name}, &out, os.Stderr); rc != 0 || !strings.Contains(out.String(), `"state": "MASTER"`) {
			t.Errorf("status -s %s: rc %d\n%s", inner.Name, rc, out.String())
		}
	}

	// The namespace stays what it was at start-up; the rest reloads.
	text, _ := os.ReadFile(cf)
	os.WriteFile(cf, []byte(strings.Replace(string(text), "net_namespace "+inner.Name, "net_namespace "+outer.Name, 1)), 0o644)
	p.signal(syscall.SIGHUP)
	p.waitFor("Cannot change network namespace at a reload - please restart keepalived", 1)
	time.Sleep(500 * time.Millisecond)
	if !hasAddr(t, inner.Name, "10.99.0.230") {
		t.Errorf("VIP gone from %s after a reload naming another namespace:\n%s", inner.Name, p.log())
	}
	os.WriteFile(cf, text, 0o644)

	p.signal(syscall.SIGTERM)
	if rc := p.wait(); rc != 0 {
		t.Errorf("exit %d", rc)
	}
	if !strings.Contains(p.log(), "Changing syslog ident to Keepalived_"+inner.Name+"\n") {
		t.Errorf("no syslog ident line:\n%s", p.log())
	}
	if hasAddr(t, inner.Name, "10.99.0.230") {
		t.Error("VIP left after TERM")
	}
	if _, err := os.Stat(piddir); err == nil {
		t.Errorf("%s left after exit", piddir)
	}

	// -s overrides the configuration; a namespace that does not exist is
	// not created: the daemon stops, with status 0.
	missing := inner.Name + "-none"
	cmd := outer.Command(bin, "-n", "-l", "-G", "-P", "-s", missing, "-f", cf)
	cmd.Env = append(os.Environ(), "GOKEEPALIVED_AS_MAIN=1")
	out, err := cmd.CombinedOutput()
	if exitCode(err) != 0 {
		t.Errorf("missing namespace: exit %d", exitCode(err))
	}
	for _, w := range []string{
		"Overriding config net_namespace '" + inner.Name + "' with command line namespace '" + missing + "'",
		"Failed to open /run/netns/" + missing,
		"Unable to set network namespace " + missing + " - exiting",
	} {
		if !strings.Contains(string(out), w) {
			t.Errorf("no %q in:\n%s", w, out)
		}
	}
	if _, err := os.Stat("/run/netns/" + missing); err == nil {
		exec.Command("ip", "netns", "del", missing).Run()
		t.Errorf("namespace %s created", missing)
	}
	if _, err := os.Stat("/run/keepalived/" + missing); err == nil {
		t.Errorf("/run/keepalived/%s made for a namespace that does not exist", missing)
	}
	if strings.Contains(string(out), "Entering BACKUP STATE") {
		t.Errorf("ran without its namespace:\n%s", out)
	}
}

// captureVRRP reports the source of each VRRP advert (VRID 61) that
// arrives on iface in namespace ns: the daemon's, sent out of eth0, whose
// veth peer iface is.
func captureVRRP(t *testing.T, ns, iface string) <-chan string {
	t.Helper()
	fd, err := onNetns(t, ns, func() (int, error) {
		ifi, err := net.InterfaceByName(iface)
		if err != nil {
			return -1, err
		}
		proto := int(htons(unix.ETH_P_IP))
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, proto)
		if err != nil {
			return -1, err
		}
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: ifi.Index}); err != nil {
			unix.Close(fd)
			return -1, err
		}
		return fd, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 200000})
	got := make(chan string, 64)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		b := make([]byte, 2048)
		for {
			select {
			case <-stop:
				return
			default:
			}
			n, _, err := unix.Recvfrom(fd, b, 0)
			// IPv4, protocol 112, VRRP v2 advert for VRID 61
			if err != nil || n < 28 || b[0]>>4 != 4 || b[9] != 112 {
				continue
			}
			h := int(b[0]&15) * 4
			if n < h+2 || b[h] != 0x21 || b[h+1] != 61 {
				continue
			}
			select {
			case got <- net.IP(b[12:16]).String():
			default:
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done; unix.Close(fd) })
	return got
}

// onNetns runs f on a thread in namespace ns; sockets it opens stay there.
func onNetns(t *testing.T, ns string, f func() (int, error)) (int, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		return -1, err
	}
	defer orig.Close()
	h, err := netns.GetFromName(ns)
	if err != nil {
		return -1, err
	}
	defer h.Close()
	if err := netns.Set(h); err != nil {
		return -1, err
	}
	fd, ferr := f()
	if err := netns.Set(orig); err != nil {
		// a thread left in the wrong namespace must not be reused
		runtime.LockOSThread()
		return fd, fmt.Errorf("restore namespace: %v", err)
	}
	return fd, ferr
}

func htons(v uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return binary.NativeEndian.Uint16(b[:])
}

// net_namespace_ipvs names the IPVS namespace; given no name, IPVS is in
// the default namespace (init's), as keepalived's open_ipvs_namespace().
func TestIPVSNamespaceOptions(t *testing.T) {
	named, empty := "lvs", ""
	for _, c := range []struct {
		ns   *string
		want string
	}{{nil, ""}, {&empty, "/proc/1/ns/net"}, {&named, "lvs"}} {
		if got := ipvsOptions(options{ipvsNS: c.ns}).NetNS; got != c.want {
			t.Errorf("net_namespace_ipvs %v: NetNS %q, want %q", c.ns, got, c.want)
		}
	}
}
