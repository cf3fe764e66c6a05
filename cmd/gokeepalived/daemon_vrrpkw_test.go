package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/cmd/gokeepalived/internal/netnstest"
)

// The tests here run keepalived 2.2.7 and gokeepalived on the same
// configuration in namespaces and compare what each does at run time
// with a VRRP instance keyword.

// kwDaemons are the two daemons compared: keepalived first.
func kwDaemons(t *testing.T) []string {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return []string{keepalivedBin, self}
}

func daemonName(bin string) string {
	if bin == keepalivedBin {
		return "keepalived"
	}
	return "gokeepalived"
}

// startKW starts bin in the namespace run by cmdIn with the configuration
// text in a fresh directory, whose path replaces DIR in text; it is
// stopped with TERM when the test ends.
func startKW(t *testing.T, command func(string, ...string) *exec.Cmd, bin, text string, extra ...string) (*gkProc, string) {
	t.Helper()
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(cf, []byte(strings.ReplaceAll(text, "DIR", dir)), 0o644)
	os.WriteFile(filepath.Join(dir, "notify.sh"), []byte("#!/bin/sh\necho \"$@\" >> "+dir+"/notify.out\n"), 0o755)
	args := append([]string{"-n", "-l", "-D", "-P", "-f", cf, "-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid")}, extra...)
	if bin == keepalivedBin {
		args = append(args, "-c", filepath.Join(dir, "c.pid"))
	} else {
		args = append(args, "--control-socket", filepath.Join(dir, "gk.sock"))
	}
	p := startCmd(t, command(bin, args...), []string{"TMPDIR=" + dir})
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.signal(syscall.SIGTERM)
			p.wait()
		}
	})
	return p, dir
}

// waitNotify waits until the notify script has written line.
func waitNotify(t *testing.T, p *gkProc, dir, line string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(dir, "notify.out"))
		if strings.Contains(string(b), line+"\n") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("notify never wrote %q (got %q):\n%s", line, b, p.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const kwGlobal = "global_defs {\n script_user root\n enable_script_security\n}\n"

// TestDaemonUnicastFaultNoPeer: an instance with unicast_src_ip and an
// empty unicast_peer block falls back to multicast and becomes MASTER;
// with unicast_fault_no_peer it stays in FAULT (notify FAULT, no adverts,
// no VIP), in keepalived and gokeepalived alike.
func TestDaemonUnicastFaultNoPeer(t *testing.T) {
	netnstest.Require(t, "keepalived")
	for _, bin := range kwDaemons(t) {
		for _, kw := range []bool{true, false} {
			name := daemonName(bin) + "/without"
			if kw {
				name = daemonName(bin) + "/with"
			}
			t.Run(name, func(t *testing.T) { testUnicastFaultNoPeer(t, bin, kw) })
		}
	}
}

func testUnicastFaultNoPeer(t *testing.T, bin string, kw bool) {
	ns := netnstest.New(t, "gkuf", "eth0")
	text := kwGlobal + "vrrp_instance VI_1 {\n state MASTER\n interface eth0\n virtual_router_id 61\n priority 150\n advert_int 1\n" +
		" unicast_src_ip 10.99.0.1\n unicast_peer {\n }\n notify DIR/notify.sh\n virtual_ipaddress {\n 10.99.0.231/32\n }\n"
	if kw {
		text += " unicast_fault_no_peer\n"
	}
	text += "}\n"
	adverts := captureVRRP(t, ns.Name, "gkpeer0")
	p, dir := startKW(t, ns.Command, bin, text)
	if !kw {
		p.waitFor("(VI_1) Entering MASTER STATE", 1)
		waitNotify(t, p, dir, "INSTANCE VI_1 MASTER 150")
		select {
		case <-adverts:
		case <-time.After(5 * time.Second):
			t.Fatalf("no multicast advert:\n%s", p.log())
		}
		if !hasAddr(t, ns.Name, "10.99.0.231") {
			t.Errorf("MASTER without its VIP:\n%s", p.log())
		}
		return
	}
	p.waitFor("(VI_1) Cannot use unicast without any peers - going to fault state", 1)
	waitNotify(t, p, dir, "INSTANCE VI_1 FAULT 150")
	// Longer than the master down interval (3 × 1 s + skew): a BACKUP
	// would have become MASTER and advertised by now.
	select {
	case src := <-adverts:
		t.Errorf("advert from %s while in FAULT:\n%s", src, p.log())
	case <-time.After(4500 * time.Millisecond):
	}
	if strings.Contains(p.log(), "Entering MASTER STATE") || hasAddr(t, ns.Name, "10.99.0.231") {
		t.Errorf("left FAULT:\n%s", p.log())
	}
	p.signal(syscall.SIGTERM)
	p.wait()
	b, _ := os.ReadFile(filepath.Join(dir, "notify.out"))
	if got := strings.Fields(string(b)); !strings.HasPrefix(string(b), "INSTANCE VI_1 FAULT 150\n") || strings.Contains(string(b), "MASTER") {
		t.Errorf("notifies %q", got)
	}
}
