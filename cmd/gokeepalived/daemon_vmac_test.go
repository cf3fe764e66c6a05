package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/netnstest"
)

func ipOut(t *testing.T, args ...string) string {
	t.Helper()
	out, _ := exec.Command("ip", args...).CombinedOutput()
	return string(out)
}

// The daemon wires use_vmac, virtual_routes and static_routes: the VIP
// goes on vrrp.53 with the virtual MAC, the routes are set, and TERM
// removes the VMAC and the routes.
func TestDaemonVRRPUseVMACAndRoutes(t *testing.T) {
	netnstest.Require(t)
	ns := netnstest.New(t, "gkdm", "eth0")
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(cf, []byte("static_routes {\n 10.98.0.0/24 dev eth0 rtt 2s rttvar 500ms rto_min 300ms\n}\n"+
		"vrrp_instance VI_1 {\n interface eth0\n use_vmac\n virtual_router_id 53\n priority 150\n advert_int 1\n"+
		" virtual_ipaddress {\n 10.99.0.220/32\n }\n virtual_routes {\n 10.97.0.0/24 dev eth0\n }\n}\n"), 0o644)
	self, _ := os.Executable()
	p := startCmd(t, ns.Command(self, "-n", "-l", "-G", "-P", "-f", cf, "-p", filepath.Join(dir, "k.pid"),
		"-r", filepath.Join(dir, "v.pid"), "--control-socket", filepath.Join(dir, "gk.sock")),
		[]string{"TMPDIR=" + dir})
	p.waitFor("(VI_1) Entering MASTER STATE", 1)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(ipOut(t, "-n", ns.Name, "-o", "addr", "show", "dev", "vrrp.53"), " 10.99.0.220/32") {
		if time.Now().After(deadline) {
			t.Fatalf("VIP not on vrrp.53:\n%s", p.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	link := ipOut(t, "-n", ns.Name, "-d", "link", "show", "vrrp.53")
	if !strings.Contains(link, "link/ether 00:00:5e:00:01:35") || !strings.Contains(link, "macvlan mode private") {
		t.Errorf("vrrp.53:\n%s", link)
	}
	var out bytes.Buffer
	if rc := run([]string{"status", "--control-socket", filepath.Join(dir, "gk.sock")}, &out, os.Stderr); rc != 0 ||
		!strings.Contains(out.String(), `"10.99.0.220 dev vrrp.53 scope global set"`) {
		t.Errorf("status (rc %d) does not show the VIP on vrrp.53:\n%s", rc, out.String())
	}
	routes := ipOut(t, "-n", ns.Name, "route")
	// rtt and rttvar go in the kernel's units (1/8000 s, 1/4000 s), as keepalived sends them
	if !strings.Contains(routes, "10.97.0.0/24 dev eth0") || !strings.Contains(routes, "10.98.0.0/24 dev eth0") ||
		!strings.Contains(routes, "rtt 2s rttvar 500ms rto_min 300ms") {
		t.Errorf("routes:\n%s", routes)
	}
	p.signal(syscall.SIGTERM)
	if rc := p.wait(); rc != 0 {
		t.Errorf("exit %d", rc)
	}
	if out := ipOut(t, "-n", ns.Name, "link", "show", "vrrp.53"); !strings.Contains(out, "does not exist") {
		t.Errorf("vrrp.53 left after TERM:\n%s", out)
	}
	if routes := ipOut(t, "-n", ns.Name, "route"); strings.Contains(routes, "10.97.0.0") || strings.Contains(routes, "10.98.0.0") {
		t.Errorf("routes left after TERM:\n%s", routes)
	}
}
