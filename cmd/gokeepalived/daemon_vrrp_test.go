package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/internal/netnstest"
)

func hasAddr(t *testing.T, ns, addr string) bool {
	out, err := exec.Command("ip", "-n", ns, "-o", "addr", "show", "dev", "eth0").CombinedOutput()
	if err != nil {
		t.Fatalf("ip addr: %v %s", err, out)
	}
	return strings.Contains(string(out), " "+addr+"/")
}

// TestDaemonVRRP runs the daemon with one VRRP instance in a namespace:
// it becomes MASTER and adds the VIP, reports itself through the status
// socket and keepalived's dump files, reloads an unchanged VRRP config
// without a transition, and at TERM sends priority 0 and removes the VIP.
func TestDaemonVRRP(t *testing.T) {
	netnstest.Require(t)
	ns := netnstest.New(t, "gkdv", "eth0")
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	confWith := func(rid, prio, vips string) string {
		return "global_defs {\n router_id " + rid + "\n}\nvrrp_instance VI_1 {\n state BACKUP\n interface eth0\n virtual_router_id 51\n priority " + prio + "\n advert_int 1\n" +
			" authentication {\n auth_type PASS\n auth_pass secret\n }\n virtual_ipaddress {\n" + vips + " }\n}\n"
	}
	conf := func(rid string) string { return confWith(rid, "150", " 10.99.0.200/32\n") }
	os.WriteFile(cf, []byte(conf("LB1")), 0o644)
	self, _ := os.Executable()
	sock := filepath.Join(dir, "gk.sock")
	p := startCmd(t, ns.Command(self, "-n", "-l", "-G", "-P", "-f", cf, "-p", filepath.Join(dir, "k.pid"),
		"-r", filepath.Join(dir, "v.pid"), "--control-socket", sock),
		[]string{"TMPDIR=" + dir})
	p.waitFor("(VI_1) Entering MASTER STATE", 1)
	deadline := time.Now().Add(5 * time.Second)
	for !hasAddr(t, ns.Name, "10.99.0.200") {
		if time.Now().After(deadline) {
			t.Fatalf("VIP not added:\n%s", p.log())
		}
		time.Sleep(20 * time.Millisecond)
	}

	var out bytes.Buffer
	if rc := run([]string{"status", "--control-socket", sock}, &out, os.Stderr); rc != 0 {
		t.Fatalf("status rc %d", rc)
	}
	var st struct {
		Instances []struct {
			Name, State string
			Priority    int
			VIPs        []string
		} `json:"vrrp_instances"`
	}
	if err := json.Unmarshal(out.Bytes(), &st); err != nil || len(st.Instances) != 1 || st.Instances[0].State != "MASTER" ||
		st.Instances[0].Priority != 150 || len(st.Instances[0].VIPs) != 1 || st.Instances[0].VIPs[0] != "10.99.0.200 dev eth0 scope global set" {
		t.Errorf("status: %v\n%s", err, out.String())
	}

	p.signal(syscall.SIGUSR2)
	// The log line comes before the file, as in keepalived.
	stats := waitFile(t, filepath.Join(dir, "keepalived.stats"))
	if !strings.Contains(string(stats), "VRRP Instance: VI_1\n  Advertisements:\n") || !strings.Contains(string(stats), "Became master: 1\n") {
		t.Errorf("stats:\n%s", stats)
	}
	p.signal(daemon.SigJSON)
	js := waitFile(t, filepath.Join(dir, "keepalived.json"))
	var j []struct {
		Data struct {
			Iname    string `json:"iname"`
			State    int    `json:"state"`
			AuthType int    `json:"auth_type"`
			AuthData string `json:"auth_data"`
		} `json:"data"`
	}
	if err := json.Unmarshal(js, &j); err != nil || len(j) != 1 || j[0].Data.State != 2 || j[0].Data.AuthType != 1 || j[0].Data.AuthData != "********" { // masked, as keepalived 2.4 does
		t.Errorf("json: %v\n%s", err, js)
	}

	// A reload that changes only router_id keeps the instance as it is.
	os.WriteFile(cf, []byte(conf("LB2")), 0o644)
	p.signal(syscall.SIGHUP)
	p.waitFor("Reload complete", 1)
	if strings.Count(p.log(), "Entering") != 2 { // BACKUP (init) and MASTER, nothing more
		t.Errorf("reload caused a transition:\n%s", p.log())
	}

	// A reload that adds a VIP and changes the priority is applied in
	// place: the MASTER adds the VIP and stays MASTER.
	os.WriteFile(cf, []byte(confWith("LB2", "160", " 10.99.0.200/32\n 10.99.0.201/32\n")), 0o644)
	p.signal(syscall.SIGHUP)
	p.waitFor("Reload complete", 2)
	deadline = time.Now().Add(5 * time.Second)
	for !hasAddr(t, ns.Name, "10.99.0.201") {
		if time.Now().After(deadline) {
			t.Fatalf("new VIP not added at reload:\n%s", p.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !hasAddr(t, ns.Name, "10.99.0.200") {
		t.Error("the old VIP went away at reload")
	}
	if strings.Count(p.log(), "Entering") != 2 {
		t.Errorf("reload caused a transition:\n%s", p.log())
	}
	out.Reset()
	if rc := run([]string{"status", "--control-socket", sock}, &out, os.Stderr); rc != 0 {
		t.Fatalf("status rc %d", rc)
	}
	st.Instances = nil
	if err := json.Unmarshal(out.Bytes(), &st); err != nil || len(st.Instances) != 1 || st.Instances[0].State != "MASTER" ||
		st.Instances[0].Priority != 160 || len(st.Instances[0].VIPs) != 2 {
		t.Errorf("status after reload: %v\n%s", err, out.String())
	}

	p.signal(syscall.SIGTERM)
	if rc := p.wait(); rc != 0 {
		t.Errorf("exit %d", rc)
	}
	if hasAddr(t, ns.Name, "10.99.0.200") || hasAddr(t, ns.Name, "10.99.0.201") {
		t.Error("VIP left after TERM")
	}
	for _, w := range []string{"(VI_1) sent 0 priority", "(VI_1) removing VIPs.", "Stopped Keepalived v2.2.7"} {
		if !strings.Contains(p.log(), w) {
			t.Errorf("no %q in log:\n%s", w, p.log())
		}
	}
}

// waitFile returns a dump file once it exists (dumps are renamed into
// place whole, so an existing file is complete).
func waitFile(t *testing.T, path string) []byte {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not written: %v", path, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestDaemonVRRPDontRelease: with -V the MASTER still sends priority 0 at
// TERM but leaves its VIP on the interface.
func TestDaemonVRRPDontRelease(t *testing.T) {
	netnstest.Require(t)
	ns := netnstest.New(t, "gkdr", "eth0")
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(cf, []byte("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 52\n priority 150\n advert_int 1\n"+
		" virtual_ipaddress {\n 10.99.0.210/32\n }\n}\n"), 0o644)
	self, _ := os.Executable()
	p := startCmd(t, ns.Command(self, "-n", "-l", "-G", "-P", "-V", "-f", cf, "-p", filepath.Join(dir, "k.pid"),
		"-r", filepath.Join(dir, "v.pid"), "--control-socket", filepath.Join(dir, "gk.sock")),
		[]string{"TMPDIR=" + dir})
	p.waitFor("(VI_1) Entering MASTER STATE", 1)
	p.signal(syscall.SIGTERM)
	if rc := p.wait(); rc != 0 {
		t.Errorf("exit %d", rc)
	}
	if !hasAddr(t, ns.Name, "10.99.0.210") {
		t.Errorf("-V: VIP removed at TERM:\n%s", p.log())
	}
	if !strings.Contains(p.log(), "(VI_1) sent 0 priority") || strings.Contains(p.log(), "(VI_1) removing VIPs.") {
		t.Errorf("-V: want priority 0 sent and no VIP removal:\n%s", p.log())
	}
}
