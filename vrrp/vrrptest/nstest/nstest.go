// Package nstest creates throw-away network namespaces for the
// integration tests (VRRP nodes joined by a veth pair or a bridge) and
// holds the root/tool check every namespace suite shares.
package nstest

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Require fails the test if GOKEEPALIVED_REQUIRE_ORACLE is set (CI) and it
// cannot run as root with tools, and skips it otherwise.
func Require(t *testing.T, tools ...string) {
	t.Helper()
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	for _, tool := range append([]string{"ip"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("needs %s (run .ci/setup as root)", strings.Join(missing, ", "))
	if os.Getenv("GOKEEPALIVED_REQUIRE_ORACLE") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// IP runs ip(8) with args.
func IP(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// NS is a namespace owned by a test; Iface is its end of the veth pair.
type NS struct {
	Name  string
	Iface string
	Addr4 netip.Prefix
}

var seq atomic.Int32

func newNS(t *testing.T, side string, n int32) *NS {
	t.Helper()
	ns := &NS{Name: fmt.Sprintf("gkv%s-%d-%d", side, os.Getpid(), n), Iface: "eth0"}
	_ = IP("netns", "del", ns.Name) // a leftover of a killed run
	if err := IP("netns", "add", ns.Name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := IP("netns", "del", ns.Name); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	if err := IP("-n", ns.Name, "link", "set", "lo", "up"); err != nil {
		t.Fatal(err)
	}
	return ns
}

// nodeSetup gives a node's eth0 its address, IPv6 DAD off (VRRPv3 sends
// from the link-local address at once), and brings it up.
func nodeSetup(ns *NS, i int) [][]string {
	ns.Addr4 = netip.MustParsePrefix(fmt.Sprintf("10.77.0.%d/24", i))
	return [][]string{
		{"netns", "exec", ns.Name, "sysctl", "-qw", "net.ipv6.conf.eth0.accept_dad=0"},
		{"-n", ns.Name, "addr", "add", ns.Addr4.String(), "dev", "eth0"},
		{"-n", ns.Name, "link", "set", "eth0", "up"},
	}
}

func run(t *testing.T, steps [][]string) {
	t.Helper()
	for _, s := range steps {
		if err := IP(s...); err != nil {
			t.Fatal(err)
		}
	}
}

// Pair creates two namespaces whose interfaces "eth0" are the two ends of
// one veth pair, up, with 10.77.0.1/24 and 10.77.0.2/24. Both are deleted
// when the test ends, even if it fails.
func Pair(t *testing.T) (a, b *NS) {
	t.Helper()
	n := seq.Add(1)
	a, b = newNS(t, "a", n), newNS(t, "b", n)
	tmp := fmt.Sprintf("gkv%d-%d", os.Getpid()%100000, n)
	t.Cleanup(func() { _ = IP("link", "del", tmp) }) // only if a step failed
	steps := [][]string{
		{"link", "add", tmp, "type", "veth", "peer", "name", tmp + "p"},
		{"link", "set", tmp, "netns", a.Name, "name", "eth0"},
		{"link", "set", tmp + "p", "netns", b.Name, "name", "eth0"},
	}
	steps = append(steps, nodeSetup(a, 1)...)
	run(t, append(steps, nodeSetup(b, 2)...))
	return a, b
}

// Bridged is Pair with a bridge namespace in the middle; partition(true)
// isolates the two bridge ports from each other (links stay up, frames
// stop), partition(false) heals.
func Bridged(t *testing.T) (a, b *NS, partition func(bool)) {
	t.Helper()
	nodes, br := BridgedN(t, 2)
	a, b = nodes[0], nodes[1]
	partition = func(on bool) {
		v := "off"
		if on {
			v = "on"
		}
		run(t, [][]string{
			{"-n", br.Name, "link", "set", "port0", "type", "bridge_slave", "isolated", v},
			{"-n", br.Name, "link", "set", "port1", "type", "bridge_slave", "isolated", v},
		})
	}
	return a, b, partition
}

// BridgedN creates n nodes whose eth0 (10.77.0.i/24, i from 1) are ports
// "port<i-1>" of bridge br0 in the namespace br.
func BridgedN(t *testing.T, n int) (nodes []*NS, br *NS) {
	t.Helper()
	k := seq.Add(1)
	br = newNS(t, "br", k)
	for i := 0; i < n; i++ {
		nodes = append(nodes, newNS(t, string(rune('a'+i)), k))
	}
	steps := [][]string{
		{"-n", br.Name, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0"},
		{"-n", br.Name, "link", "set", "br0", "up"},
	}
	for i, ns := range nodes {
		port := fmt.Sprintf("port%d", i)
		steps = append(steps,
			[]string{"-n", br.Name, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns.Name},
			[]string{"-n", br.Name, "link", "set", port, "master", "br0"},
			[]string{"-n", br.Name, "link", "set", port, "up"})
		steps = append(steps, nodeSetup(ns, i+1)...)
	}
	run(t, steps)
	return nodes, br
}

// Command returns a command that runs inside the namespace.
func (ns *NS) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns.Name, name}, args...)...)
}

// Do runs f on an OS thread inside the namespace (sockets opened there
// stay in it).
func (ns *NS) Do(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		// The thread is not returned to the pool: it may be left in ns.
		runtime.LockOSThread()
		h, err := netns.GetFromName(ns.Name)
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

// Handle is a netlink handle in the namespace, closed at the test's end.
func (ns *NS) Handle(t *testing.T) *netlink.Handle {
	t.Helper()
	h, err := netns.GetFromName(ns.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	nh, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nh.Close)
	return nh
}

// HasAddr reports whether the namespace's eth0 holds addr.
func HasAddr(h *netlink.Handle, addr netip.Addr) (bool, error) {
	l, err := h.LinkByName("eth0")
	if err != nil {
		return false, err
	}
	fam := netlink.FAMILY_V4
	if addr.Is6() {
		fam = netlink.FAMILY_V6
	}
	as, err := h.AddrList(l, fam)
	if err != nil {
		return false, err
	}
	for _, a := range as {
		if x, ok := netip.AddrFromSlice(a.IP); ok && x.Unmap() == addr {
			return true, nil
		}
	}
	return false, nil
}
