package e2e

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

var vip4b = netip.MustParseAddr("10.78.0.100")

// syncPair is Bridged plus a second link, eth1 (10.78.0.1/24 and .2),
// through its own bridge, so that one node's link going down leaves the
// other's up.
func syncPair(t *testing.T) (a, b *nstest.NS) {
	t.Helper()
	a, b, _ = nstest.Bridged(t)
	br := fmt.Sprintf("gkvsg-%d-%d", os.Getpid(), time.Now().UnixNano()%100000)
	if err := nstest.IP("netns", "add", br); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := nstest.IP("netns", "del", br); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	steps := [][]string{
		{"-n", br, "link", "add", "br1", "type", "bridge", "mcast_snooping", "0"},
		{"-n", br, "link", "set", "br1", "up"},
	}
	for i, ns := range []*nstest.NS{a, b} {
		port := fmt.Sprintf("port%d", i)
		steps = append(steps,
			[]string{"-n", br, "link", "add", port, "type", "veth", "peer", "name", "eth1", "netns", ns.Name},
			[]string{"-n", br, "link", "set", port, "master", "br1"},
			[]string{"-n", br, "link", "set", port, "up"},
			[]string{"-n", ns.Name, "addr", "add", fmt.Sprintf("10.78.0.%d/24", i+1), "dev", "eth1"},
			[]string{"-n", ns.Name, "link", "set", "eth1", "up"})
	}
	for _, s := range steps {
		if err := nstest.IP(s...); err != nil {
			t.Fatal(err)
		}
	}
	return a, b
}

// hasOn reports whether the namespace's iface holds addr.
func hasOn(t *testing.T, h *netlink.Handle, iface string, addr netip.Addr) bool {
	l, err := h.LinkByName(iface)
	if err != nil {
		t.Fatal(err)
	}
	as, err := h.AddrList(l, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if x, ok := netip.AddrFromSlice(a.IP); ok && x.Unmap() == addr {
			return true
		}
	}
	return false
}

// fifoReader pre-creates a notify FIFO (so the node uses it and leaves it)
// and collects its lines.
type fifoReader struct {
	t     *testing.T
	name  string
	lines chan string
}

func newFIFO(t *testing.T, dir, name string) *fifoReader {
	t.Helper()
	p := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(p, os.O_RDWR, 0) // never EOF, never blocks the open
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	r := &fifoReader{t: t, name: name, lines: make(chan string, 64)}
	go func() {
		s := bufio.NewScanner(f)
		for s.Scan() {
			// A master hearing a lower priority (a peer starting up) is
			// an event line, not a state change: not asserted here.
			if !strings.Contains(s.Text(), " MASTER_RX_LOWER_PRI ") {
				r.lines <- s.Text()
			}
		}
	}()
	return r
}

// expect reads len(want) lines: the instance lines in any order (which
// member moves first depends on timing), then the group line last.
func (r *fifoReader) expect(what string, want ...string) {
	r.t.Helper()
	var got []string
	for range want {
		select {
		case l := <-r.lines:
			got = append(got, l)
		case <-time.After(8 * time.Second):
			r.t.Fatalf("%s: %s FIFO gave %q, want %q", what, r.name, got, want)
		}
	}
	n := len(want) - 1
	if got[n] != want[n] || !sameSet(got[:n], want[:n]) {
		r.t.Fatalf("%s: %s FIFO gave\n %q\nwant (instances in any order)\n %q", what, r.name, got, want)
	}
}

func (r *fifoReader) none(what string) {
	r.t.Helper()
	select {
	case l := <-r.lines:
		r.t.Fatalf("%s: unexpected %s FIFO line %q", what, r.name, l)
	default:
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func syncGroupConf(dir string, prio int) string {
	inst := func(n int, iface, vip string) string {
		return fmt.Sprintf(`vrrp_instance VI_%d {
    interface %s
    virtual_router_id %d
    priority %d
    version 3
    advert_int 0.5
    virtual_ipaddress {
        %s
    }
}
`, n, iface, 60+n, prio, vip)
	}
	return fmt.Sprintf(`global_defs {
    notify_fifo %[1]s/fifo
}
track_file tf {
    file %[1]s/val
    weight 60
    init_file 0 overwrite
}
vrrp_sync_group G1 {
    group {
        VI_1
        VI_2
    }
    track_file {
        tf
    }
}
`, dir) + inst(1, "eth0", "10.77.0.100/24") + inst(2, "eth1", "10.78.0.100/24")
}

// TestSyncGroupFailover: two nodes, a sync group of two instances on two
// links. One link of the master going down takes both instances to the
// backup together; its return brings both back (preemption); a group
// track_file value raising the backup's priority moves both again. Each
// node's notify FIFO shows keepalived's lines.
func TestSyncGroupFailover(t *testing.T) {
	nstest.Require(t)
	a, b := syncPair(t)
	ha, hb := a.Handle(t), b.Handle(t)
	onA := func() [2]bool { return [2]bool{hasOn(t, ha, "eth0", vip4), hasOn(t, ha, "eth1", vip4b)} }
	onB := func() [2]bool { return [2]bool{hasOn(t, hb, "eth0", vip4), hasOn(t, hb, "eth1", vip4b)} }
	// until waits for f()==want, polling every 5 ms, and returns when each
	// of the two VIPs got there.
	until := func(f func() [2]bool, want [2]bool, limit time.Duration, what string) [2]time.Duration {
		t.Helper()
		start := time.Now()
		var at [2]time.Duration
		done := [2]bool{}
		for !done[0] || !done[1] {
			got := f()
			for i := range 2 {
				if !done[i] && got[i] == want[i] {
					done[i], at[i] = true, time.Since(start)
				}
			}
			if time.Since(start) > limit {
				t.Fatalf("%s: VIPs %v, want %v within %v", what, got, want, limit)
			}
			time.Sleep(5 * time.Millisecond)
		}
		return at
	}
	dirA, dirB := t.TempDir(), t.TempDir()
	fa, fb := newFIFO(t, dirA, "a"), newFIFO(t, dirB, "b")
	os.WriteFile(filepath.Join(dirA, "val"), []byte("5\n"), 0o644) // init_file overwrite resets it
	// b starts once a is master, so that it hears a from the start.
	startGo(t, a, "a", syncGroupConf(dirA, 150))
	until(onA, [2]bool{true, true}, 6*time.Second, "a becomes master of both")
	startGo(t, b, "b", syncGroupConf(dirB, 100))
	fa.expect("a starts", `GROUP "G1" BACKUP 0`, `INSTANCE "VI_1" BACKUP 150`, `INSTANCE "VI_2" BACKUP 150`)
	fa.expect("a elected", `INSTANCE "VI_1" MASTER 150`, `INSTANCE "VI_2" MASTER 150`, `GROUP "G1" MASTER 0`)
	fb.expect("b starts", `GROUP "G1" BACKUP 0`, `INSTANCE "VI_1" BACKUP 100`, `INSTANCE "VI_2" BACKUP 100`)
	until(onB, [2]bool{false, false}, time.Second, "b stays backup")
	time.Sleep(3 * adv05)
	fb.none("b stays backup")
	if b, _ := os.ReadFile(filepath.Join(dirA, "val")); string(b) != "0\n" {
		t.Fatalf("init_file overwrite left %q", b)
	}

	// a's eth1 goes down: VI_2 faults, the group takes VI_1 to FAULT
	// (priority 0 on eth0). b's VI_1 waits for VI_2, whose down timer
	// runs out 3 × 0.5 s + skew after a's last advert on eth1.
	if err := nstest.IP("-n", a.Name, "link", "set", "eth1", "down"); err != nil {
		t.Fatal(err)
	}
	rel := until(onA, [2]bool{false, false}, 2*time.Second, "a releases both VIPs")
	took := until(onB, [2]bool{true, true}, 5*time.Second, "b takes both VIPs")
	bound := 3*adv05 + skew(100, adv05) + 50*time.Millisecond
	t.Logf("eth1 down on a: a released VI_1/VI_2 after %v/%v; b held them after %v/%v (bound %v)", rel[0], rel[1], took[0], took[1], bound)
	if took[0] > bound || took[1] > bound {
		t.Errorf("group takeover %v > bound %v", took, bound)
	}
	if d := took[0] - took[1]; d > 50*time.Millisecond || d < -50*time.Millisecond {
		t.Errorf("b's VIPs arrived %v apart: the group did not move together", d)
	}
	fa.expect("a faults", `INSTANCE "VI_2" FAULT 150`, `INSTANCE "VI_1" FAULT 150`, `GROUP "G1" FAULT 0`)
	fb.expect("b takes over", `INSTANCE "VI_1" MASTER 100`, `INSTANCE "VI_2" MASTER 100`, `GROUP "G1" MASTER 0`)

	// The link returns: a goes BACKUP as a group, then preempts both.
	if err := nstest.IP("-n", a.Name, "link", "set", "eth1", "up"); err != nil {
		t.Fatal(err)
	}
	until(onA, [2]bool{true, true}, 3*adv05+skew(150, adv05)+2*time.Second, "a preempts both after the link returns")
	until(onB, [2]bool{false, false}, time.Second, "b yields both")
	fa.expect("a recovers", `INSTANCE "VI_2" BACKUP 150`, `INSTANCE "VI_1" BACKUP 150`, `GROUP "G1" BACKUP 0`)
	fa.expect("a preempts", `INSTANCE "VI_1" MASTER 150`, `INSTANCE "VI_2" MASTER 150`, `GROUP "G1" MASTER 0`)
	fb.expect("b yields", `INSTANCE "VI_1" BACKUP 100`, `INSTANCE "VI_2" BACKUP 100`, `GROUP "G1" BACKUP 0`)

	// b's track file: 1 × weight 60 lifts both of b's instances to 160,
	// above a's 150: b preempts both.
	start := time.Now()
	if err := os.WriteFile(filepath.Join(dirB, "val"), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	took = until(onB, [2]bool{true, true}, 3*adv05+skew(160, adv05)+2*time.Second, "b preempts after its track file")
	until(onA, [2]bool{false, false}, time.Second, "a yields both")
	t.Logf("track_file 1 × 60 on b: b master of both after %v/%v (master-down %v)", took[0], took[1], 3*adv05+skew(160, adv05))
	fb.expect("b preempts", `INSTANCE "VI_1" MASTER 160`, `INSTANCE "VI_2" MASTER 160`, `GROUP "G1" MASTER 0`)
	fa.expect("a yields", `INSTANCE "VI_1" BACKUP 150`, `INSTANCE "VI_2" BACKUP 150`, `GROUP "G1" BACKUP 0`)
	if time.Since(start) > 10*time.Second {
		t.Fatal("too slow")
	}
	fa.none("end")
	fb.none("end")
}

// fifoConf is a single-node sync group with a group track_file; without
// the group it is VI_1 alone (the reload that deletes VI_2).
func fifoConf(dir string, group bool) string {
	s := fmt.Sprintf(`global_defs {
    notify_fifo %[1]s/fifo
}
track_file tf {
    file %[1]s/val
}
`, dir)
	inst := func(n int, iface, extra, vip string) string {
		return fmt.Sprintf(`vrrp_instance VI_%d {
    interface %s
    virtual_router_id %d
    priority 100
    version 3
    advert_int 0.2
%s    virtual_ipaddress {
        %s
    }
}
`, n, iface, 70+n, extra, vip)
	}
	if group {
		s += `vrrp_sync_group G1 {
    group {
        VI_2
        VI_1
    }
    track_file {
        tf weight 0
    }
}
` + inst(2, "eth1", "    notify_deleted\n", "10.78.0.100/24")
	}
	return s + inst(1, "eth0", "", "10.77.0.100/24")
}

// TestSyncGroupFIFOMatchesKeepalived runs the same single-node scenario
// under keepalived 2.2.7 and gokeepalived and compares their notify FIFO
// lines: start-up, election, a track_file fault and its end, a reload
// deleting a member (notify_deleted) and the stop.
func TestSyncGroupFIFOMatchesKeepalived(t *testing.T) {
	nstest.Require(t, keepalived)
	run := func(start func(*testing.T, *nstest.NS, string, string) *proc, name string) []string {
		a, _ := nstest.Pair(t)
		for _, s := range [][]string{
			{"-n", a.Name, "link", "add", "eth1", "type", "veth", "peer", "name", "p1"},
			{"-n", a.Name, "link", "set", "p1", "up"},
			{"-n", a.Name, "addr", "add", "10.78.0.1/24", "dev", "eth1"},
			{"-n", a.Name, "link", "set", "eth1", "up"},
		} {
			if err := nstest.IP(s...); err != nil {
				t.Fatal(err)
			}
		}
		dir := t.TempDir()
		val := filepath.Join(dir, "val")
		os.WriteFile(val, []byte("0\n"), 0o644)
		f := newFIFO(t, dir, name)
		p := start(t, a, name, fifoConf(dir, true))
		var got []string
		read := func(n int) {
			for range n {
				select {
				case l := <-f.lines:
					got = append(got, l)
				case <-time.After(6 * time.Second):
					t.Logf("%s: FIFO lines so far %q", name, got)
					return
				}
			}
		}
		read(6) // BACKUP ×3, MASTER ×3
		os.WriteFile(val, []byte("1\n"), 0o644)
		read(3)
		os.WriteFile(val, []byte("0\n"), 0o644)
		read(6)
		// The reload rewrites the file the node was started with.
		cfg, _ := filepath.Glob(filepath.Join(filepath.Dir(p.log), "keepalived.conf"))
		if len(cfg) != 1 {
			t.Fatalf("%s: config file not found", name)
		}
		os.WriteFile(cfg[0], []byte(fifoConf(dir, false)), 0o644)
		p.cmd.Process.Signal(syscall.SIGHUP)
		read(1)
		p.term()
		read(1)
		p.wait()
		return got
	}
	want := run(startKeepalived, "keepalived")
	got := run(startGo, "gokeepalived")
	t.Logf("keepalived 2.2.7 FIFO:\n%s", strings.Join(want, "\n"))
	if len(want) != 17 {
		t.Fatalf("keepalived wrote %d lines, the scenario expects 17", len(want))
	}
	if !slices.Equal(got, want) {
		t.Errorf("gokeepalived FIFO differs:\n got %q\nwant %q", got, want)
	}
}
