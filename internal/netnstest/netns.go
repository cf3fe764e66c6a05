// Package netnstest creates throw-away network namespaces for tests that
// need real interfaces, and removes them when the test ends.
package netnstest

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// Require fails the test if GOKEEPALIVED_REQUIRE_ORACLE is set (make
// test, CI) and it cannot run as root with tools, and skips it otherwise.
var Require = nstest.Require

// NS is a network namespace owned by a test.
type NS struct{ Name string }

var ip = nstest.IP

// New creates a namespace with lo up and, for each name, a veth interface
// of that name (its peer stays in the namespace too), up with an address
// 10.99.N.1/24. The namespace is deleted when the test ends.
func New(t *testing.T, prefix string, ifaces ...string) *NS {
	t.Helper()
	ns := &NS{Name: fmt.Sprintf("%s-%d", prefix, os.Getpid())}
	_ = ip("netns", "del", ns.Name) // a leftover of a killed run of ours
	if err := ip("netns", "add", ns.Name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ip("netns", "del", ns.Name); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	if err := ip("-n", ns.Name, "link", "set", "lo", "up"); err != nil {
		t.Fatal(err)
	}
	for i, name := range ifaces {
		peer := fmt.Sprintf("gkpeer%d", i)
		steps := [][]string{
			{"-n", ns.Name, "link", "add", name, "type", "veth", "peer", "name", peer},
			{"-n", ns.Name, "addr", "add", fmt.Sprintf("10.99.%d.1/24", i), "dev", name},
			{"-n", ns.Name, "link", "set", name, "up"},
			{"-n", ns.Name, "link", "set", peer, "up"},
		}
		for _, s := range steps {
			if err := ip(s...); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ns
}

// Command returns a command that runs inside the namespace.
func (ns *NS) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns.Name, name}, args...)...)
}
