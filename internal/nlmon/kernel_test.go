package nlmon

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/gokeepalived/gokeepalived/internal/netnstest"
)

// inNS runs f on a thread moved into the namespace; the thread is not
// given back to the pool.
func inNS(name string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		h, err := netns.GetFromName(name)
		if err != nil {
			errc <- err
			return
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			errc <- err
			return
		}
		errc <- f()
	}()
	return <-errc
}

func usableLink(a *netlink.LinkAttrs) bool {
	return a.Flags&net.FlagUp != 0 && (a.OperState == netlink.OperUp || a.OperState == netlink.OperUnknown)
}

// The real kernel, in a namespace of the test's own, with a link
// monitor whose socket has a deliberately small receive buffer: while
// the consumer is held up, a burst of veth pairs overflows it and the
// tracked veth is set down, its notification dropped with the others.
// The monitor must see ENOBUFS, subscribe again and list: the tracked
// veth is reported down, from the listing. Set up again afterwards, it
// is reported up.
func TestKernelOverflowThenTrackedDown(t *testing.T) {
	netnstest.Require(t)
	ns := netnstest.New(t, "gknlmon", "trk0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var (
		mu        sync.Mutex
		state     = map[string]bool{}
		fromList  = map[string]bool{} // which state came from the last listing
		listings  int
		gate      chan struct{}
		lost, rsy []error
	)
	get := func(f func()) {
		mu.Lock()
		defer mu.Unlock()
		f()
	}
	m := &Monitor[netlink.LinkUpdate, map[string]bool]{
		Name:   "link",
		Buffer: 1,
		Source: Funcs[netlink.LinkUpdate, map[string]bool]{
			SubscribeFunc: Links(4096),
			ListFunc: func() (map[string]bool, error) {
				links, err := netlink.LinkList()
				if err != nil {
					return nil, err
				}
				now := map[string]bool{}
				for _, l := range links {
					now[l.Attrs().Name] = usableLink(l.Attrs())
				}
				return now, nil
			},
		},
		Listed: func(now map[string]bool) {
			get(func() {
				state, listings = now, listings+1
				fromList = map[string]bool{}
				for n := range now {
					fromList[n] = true
				}
			})
		},
		Update: func(u netlink.LinkUpdate) {
			var g chan struct{}
			get(func() { g = gate })
			if g != nil {
				select {
				case <-g:
				case <-ctx.Done():
					return
				}
			}
			a := u.Attrs()
			get(func() {
				state[a.Name] = usableLink(a) && u.Header.Type != unix.RTM_DELLINK
				delete(fromList, a.Name)
			})
		},
		Lost:     func(err error) { get(func() { lost = append(lost, err) }) },
		Resynced: func(err error) { get(func() { rsy = append(rsy, err) }) },
	}
	ran := make(chan error, 1)
	go func() { ran <- inNS(ns.Name, func() error { return m.Run(ctx) }) }()
	wait := func(what string, cond func() bool) {
		t.Helper()
		for end := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			var ok bool
			get(func() { ok = cond() })
			if ok {
				return
			}
			select {
			case err := <-ran:
				t.Fatalf("the monitor ended waiting for %s: %v", what, err)
			default:
			}
			if time.Now().After(end) {
				get(func() {
					t.Fatalf("timed out waiting for %s: trk0 %v, %d listings, lost %v", what, state["trk0"], listings, lost)
				})
			}
		}
	}
	wait("the first listing", func() bool { return listings == 1 && state["trk0"] })

	g := make(chan struct{})
	get(func() { gate = g })
	var batch strings.Builder
	for i := range 100 {
		fmt.Fprintf(&batch, "link add gknb%d type veth peer name gknc%d\n", i, i)
	}
	f := filepath.Join(t.TempDir(), "batch")
	if err := os.WriteFile(f, []byte(batch.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ip", "-n", ns.Name, "-batch", f).CombinedOutput(); err != nil {
		t.Fatalf("burst: %v %s", err, out)
	}
	if out, err := exec.Command("ip", "-n", ns.Name, "link", "set", "trk0", "down").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	start := time.Now()
	get(func() { gate = nil })
	close(g)

	wait("trk0 reported down", func() bool { return listings >= 2 && !state["trk0"] })
	took := time.Since(start)
	get(func() {
		enobufs := 0
		for _, err := range lost {
			if strings.Contains(err.Error(), unix.ENOBUFS.Error()) {
				enobufs++
			}
		}
		if enobufs == 0 {
			t.Errorf("no ENOBUFS among the errors %v: the burst did not overflow the socket", lost)
		}
		if len(rsy) == 0 {
			t.Error("Resynced was not told")
		}
		if !fromList["trk0"] {
			t.Error("trk0 down came from a notification, not from the listing: none was dropped")
		}
		t.Logf("trk0 down seen %v after the consumer was let go; %d listings, %d error(s), %d ENOBUFS", took, listings, len(lost), enobufs)
	})

	if out, err := exec.Command("ip", "-n", ns.Name, "link", "set", "trk0", "up").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	wait("trk0 reported up", func() bool { return state["trk0"] })
	cancel()
	select {
	case err := <-ran:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after ctx was cancelled")
	}
}

// A process, not the kernel, sends a forged RTM_NEWLINK straight to the
// monitor's netlink socket (any local process may): it is dropped and
// counted, and it neither reaches Update nor costs a resubscription; a
// real change afterwards still arrives.
func TestKernelForeignSenderIgnored(t *testing.T) {
	netnstest.Require(t)
	ns := netnstest.New(t, "gknlfor", "trk0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu       sync.Mutex
		seen     []string
		listings int
		lost     []error
	)
	m := &Monitor[netlink.LinkUpdate, int]{
		Name: "link",
		Source: Funcs[netlink.LinkUpdate, int]{
			SubscribeFunc: Links(0),
			ListFunc:      func() (int, error) { return 0, nil },
		},
		Buffer:   16,
		Listed:   func(int) { mu.Lock(); listings++; mu.Unlock() },
		Update:   func(u netlink.LinkUpdate) { mu.Lock(); seen = append(seen, u.Attrs().Name); mu.Unlock() },
		Lost:     func(err error) { mu.Lock(); lost = append(lost, err); mu.Unlock() },
		Resynced: func(error) {},
	}
	go inNS(ns.Name, func() error { return m.Run(ctx) })
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for end := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			mu.Lock()
			ok := cond()
			mu.Unlock()
			if ok {
				return
			}
			if time.Now().After(end) {
				t.Fatalf("timed out waiting for %s (seen %v, lost %v)", what, seen, lost)
			}
		}
	}
	waitFor("the first listing", func() bool { return listings == 1 })

	// the monitor's socket: NETLINK_ROUTE, a port id, the link group
	err := inNS(ns.Name, func() error {
		b, err := os.ReadFile("/proc/thread-self/net/netlink")
		if err != nil {
			return err
		}
		var ports []uint32
		for _, l := range strings.Split(string(b), "\n")[1:] {
			var sk string
			var proto, port, groups uint32
			if n, _ := fmt.Sscanf(l, "%s %d %d %x", &sk, &proto, &port, &groups); n == 4 && proto == unix.NETLINK_ROUTE && port != 0 && groups&unix.RTMGRP_LINK != 0 {
				ports = append(ports, port)
			}
		}
		if len(ports) == 0 {
			return fmt.Errorf("no link-group netlink socket in:\n%s", b)
		}
		fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
			return err
		}
		req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, 0)
		req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
		req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated("forged0")))
		for _, p := range ports {
			if err := unix.Sendto(fd, req.Serialize(), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Pid: p}); err != nil {
				return fmt.Errorf("send to port %d: %w", p, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(5 * time.Second); m.Foreign() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the forged message was never dropped as foreign")
		}
	}
	if out, err := exec.Command("ip", "-n", ns.Name, "link", "set", "trk0", "down").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	waitFor("trk0's change after the forgery", func() bool { return slices.Contains(seen, "trk0") })
	mu.Lock()
	defer mu.Unlock()
	if slices.Contains(seen, "forged0") || len(lost) > 0 || listings != 1 {
		t.Errorf("forged message had an effect: seen %v, lost %v, %d listings", seen, lost, listings)
	}
}
