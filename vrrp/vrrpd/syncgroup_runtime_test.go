package vrrpd_test

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/testenv"
	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrpd"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest"
)

func syncConf(dir string, withVI2 bool) string {
	s := fmt.Sprintf(`global_defs {
    enable_script_security
    script_user root
    notify_fifo %[1]s/fifo
}
track_file tf {
    file %[1]s/val
}
`, dir)
	if withVI2 {
		s += fmt.Sprintf(`vrrp_sync_group G1 {
    group {
        VI_1
        VI_2
    }
    track_file {
        tf weight 0
    }
    notify_master %[1]s/gmaster.sh
    notify %[1]s/gnotify.sh
}
vrrp_instance VI_2 {
    interface eth1
    virtual_router_id 52
    priority 100
    version 3
    advert_int 0.1
    notify_deleted %[1]s/deleted.sh
    virtual_ipaddress {
        10.0.1.100/32
    }
}
`, dir)
	}
	return s + instConf(100, "")
}

// TestRuntimeSyncGroupFIFO drives a sync group of two instances on one
// node: start-up, both MASTER together, a group track_file fault taking
// both down and back, then a reload deleting one (notify_deleted) and
// the stop; the notify FIFO must show keepalived's lines in order.
func TestRuntimeSyncGroupFIFO(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Unavailable(t, "needs root: its scripts run as script_user root")
	}
	dir := t.TempDir()
	for _, n := range []string{"gmaster.sh", "gnotify.sh", "deleted.sh"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	val := filepath.Join(dir, "val")
	os.WriteFile(val, []byte("0\n"), 0o644)
	sc := &vrrptest.Scripts{}
	fn := &vrrptest.Net{Hub: vrrptest.NewHub(), Node: "a", Ifaces: map[string]vrrp.IfaceInfo{
		"eth0": {Up: true, Addr4: netip.MustParseAddr("10.0.0.1")},
		"eth1": {Up: true, Addr4: netip.MustParseAddr("10.0.1.1")}}}
	addrs := &vrrptest.Addrs{}
	rt, err := vrrpd.NewRuntime(loadConf(t, syncConf(dir, true)), vrrpd.Deps{Net: fn, Addrs: addrs, Announcer: &vrrptest.Announcer{}, Scripts: sc})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "fifo"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := make(chan string, 64)
	go func() {
		s := bufio.NewScanner(f)
		for s.Scan() {
			lines <- s.Text()
		}
	}()
	expect := func(what string, want ...string) {
		t.Helper()
		var got []string
		for range want {
			select {
			case l := <-lines:
				got = append(got, l)
			case <-time.After(3 * time.Second):
				t.Fatalf("%s: FIFO lines %q, want %q", what, got, want)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s: FIFO lines\n got %q\nwant %q", what, got, want)
		}
	}
	done := make(chan error, 1)
	go func() { done <- rt.Run(context.Background()) }()
	defer rt.Stop()

	expect("start", `GROUP "G1" BACKUP 0`, `INSTANCE "VI_2" BACKUP 100`, `INSTANCE "VI_1" BACKUP 100`)
	// VI_2 (first in the file) times out first and waits for VI_1.
	expect("election", `INSTANCE "VI_1" MASTER 100`, `INSTANCE "VI_2" MASTER 100`, `GROUP "G1" MASTER 0`)
	if !addrs.Has(vip) || !addrs.Has(netip.MustParsePrefix("10.0.1.100/32")) {
		t.Fatal("VIPs not set on MASTER")
	}

	os.WriteFile(val, []byte("1\n"), 0o644) // unweighted: non-zero is a fault
	expect("track_file fault", `INSTANCE "VI_2" FAULT 100`, `INSTANCE "VI_1" FAULT 100`, `GROUP "G1" FAULT 0`)
	os.WriteFile(val, []byte("0\n"), 0o644)
	expect("track_file clear", `INSTANCE "VI_1" BACKUP 100`, `INSTANCE "VI_2" BACKUP 100`, `GROUP "G1" BACKUP 0`)
	// VI_1 recovered last and re-armed first: it times out first and
	// waits (keepalived 2.2.7 gives the same sequence).
	expect("re-election", `INSTANCE "VI_2" MASTER 100`, `INSTANCE "VI_1" MASTER 100`, `GROUP "G1" MASTER 0`)

	if err := rt.Reload(loadConf(t, syncConf(dir, false))); err != nil {
		t.Fatal(err)
	}
	expect("reload", `INSTANCE "VI_2" DELETED 100`)
	if addrs.Has(netip.MustParsePrefix("10.0.1.100/32")) || !addrs.Has(vip) {
		t.Fatal("after reload: the deleted instance's VIP must go, VI_1's stay")
	}
	rt.Stop()
	expect("stop", `INSTANCE "VI_1" STOP 100`)
	<-done

	want := []string{
		dir + "/gnotify.sh GROUP G1 BACKUP 0",
		dir + "/gmaster.sh", dir + "/gnotify.sh GROUP G1 MASTER 0",
		dir + "/gnotify.sh GROUP G1 FAULT 0",
		dir + "/gnotify.sh GROUP G1 BACKUP 0",
		dir + "/gmaster.sh", dir + "/gnotify.sh GROUP G1 MASTER 0",
		dir + "/deleted.sh",
	}
	if got := sc.Argvs(); !slices.Equal(got, want) {
		t.Errorf("scripts run:\n got %q\nwant %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "fifo")); !os.IsNotExist(err) {
		t.Errorf("FIFO left behind: %v", err)
	}
}

// A group's track_script applies to every member; an instance a reload
// removes without notify_deleted is notified as FAULT (keepalived's
// default), and not at all if it was already in FAULT.
func TestRuntimeGroupScriptAndDeletedDefault(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Unavailable(t, "needs root: its scripts run as script_user root")
	}
	dir := t.TempDir()
	for _, n := range []string{"chk.sh", "fault.sh", "any.sh"} {
		os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755)
	}
	text := func(vi2, group bool) string {
		s := fmt.Sprintf(`global_defs {
    enable_script_security
    script_user root
}
vrrp_script chk {
    script %[1]s/chk.sh
    interval 1
}
`, dir)
		if group {
			s += `vrrp_sync_group G1 {
    group {
        VI_1
        VI_2
    }
    track_script {
        chk
    }
}
`
		}
		if vi2 {
			s += fmt.Sprintf(`vrrp_instance VI_2 {
    interface eth1
    virtual_router_id 52
    priority 100
    version 3
    advert_int 0.1
    notify_fault %[1]s/fault.sh
    notify %[1]s/any.sh
    virtual_ipaddress {
        10.0.1.100/32
    }
}
`, dir)
		}
		return s + instConf(100, "")
	}
	sc := &vrrptest.Scripts{}
	fn := &vrrptest.Net{Hub: vrrptest.NewHub(), Node: "a", Ifaces: map[string]vrrp.IfaceInfo{
		"eth0": {Up: true, Addr4: netip.MustParseAddr("10.0.0.1")},
		"eth1": {Up: true, Addr4: netip.MustParseAddr("10.0.1.1")}}}
	addrs := &vrrptest.Addrs{}
	rt, err := vrrpd.NewRuntime(loadConf(t, text(true, true)), vrrpd.Deps{Net: fn, Addrs: addrs, Announcer: &vrrptest.Announcer{}, Scripts: sc})
	if err != nil {
		t.Fatal(err)
	}
	go rt.Run(context.Background())
	defer rt.Stop()
	st := func(name string) vrrp.State {
		for _, s := range rt.States() {
			if s.Name == name {
				return s.State
			}
		}
		return vrrp.StateInit
	}
	waitFor(t, 3*time.Second, "both MASTER", func() bool { return st("VI_1") == vrrp.StateMaster && st("VI_2") == vrrp.StateMaster })
	sc.SetFail(dir+"/chk.sh", true)
	waitFor(t, 5*time.Second, "the group's failing script faults both", func() bool {
		return st("VI_1") == vrrp.StateFault && st("VI_2") == vrrp.StateFault
	})
	sc.SetFail(dir+"/chk.sh", false)
	waitFor(t, 5*time.Second, "both MASTER again", func() bool { return st("VI_1") == vrrp.StateMaster && st("VI_2") == vrrp.StateMaster })

	before := len(sc.Argvs())
	if err := rt.Reload(loadConf(t, text(false, false))); err != nil {
		t.Fatal(err)
	}
	got := sc.Argvs()[before:]
	want := []string{dir + "/fault.sh", dir + "/any.sh INSTANCE VI_2 FAULT 100"}
	if !slices.Equal(got, want) {
		t.Errorf("removed MASTER without notify_deleted: scripts %q, want %q", got, want)
	}

	// Added back with its interface down it starts in FAULT; removed
	// again from FAULT, nothing is run.
	fn.Ifaces["eth1"] = vrrp.IfaceInfo{Up: false, Addr4: netip.MustParseAddr("10.0.1.1")}
	if err := rt.Reload(loadConf(t, text(true, false))); err != nil {
		t.Fatal(err)
	}
	if st("VI_2") != vrrp.StateFault {
		t.Fatalf("VI_2 added with eth1 down: %v", st("VI_2"))
	}
	before = len(sc.Argvs())
	if err := rt.Reload(loadConf(t, text(false, false))); err != nil {
		t.Fatal(err)
	}
	if got := sc.Argvs()[before:]; len(got) != 0 {
		t.Errorf("removed in FAULT: scripts %q, want none", got)
	}
	if st("VI_1") != vrrp.StateMaster || !addrs.Has(vip) {
		t.Error("VI_1 lost MASTER over the reloads")
	}
}
