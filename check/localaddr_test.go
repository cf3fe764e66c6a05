package check

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// LocalAddrs in a namespace of its own: the listing counts what is
// there, an address added by hand is reported, the same address on a
// second interface counts twice, and it is gone only when both are.
func TestLocalAddrsFollowsTheKernel(t *testing.T) {
	nstest.Require(t)
	ns, _ := nstest.Pair(t)
	type ev struct {
		a netip.Addr
		n int
	}
	evs := make(chan ev, 64)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var l *LocalAddrs
	if err := ns.Do(func() (err error) {
		l, err = WatchLocalAddrs(ctx, func(a netip.Addr, n int) { evs <- ev{a, n} }, nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n := l.Count(netip.MustParseAddr("127.0.0.1")); n != 1 {
		t.Fatalf("127.0.0.1 counted %d times at start", n)
	}
	vip := netip.MustParseAddr("10.254.77.1")
	if n := l.Count(vip); n != 0 {
		t.Fatalf("%v counted %d times before it was added", vip, n)
	}
	want := func(n int) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case e := <-evs:
				if e.a != vip {
					continue
				}
				if e.n != n {
					t.Fatalf("%v reported %d times present, want %d", vip, e.n, n)
				}
				if c := l.Count(vip); c != n {
					t.Fatalf("Count %d after the event said %d", c, n)
				}
				return
			case <-timeout:
				t.Fatalf("no event for %v (want count %d)", vip, n)
			}
		}
	}
	ip := func(args ...string) {
		t.Helper()
		if err := nstest.IP(append([]string{"-n", ns.Name}, args...)...); err != nil {
			t.Fatal(err)
		}
	}
	ip("addr", "add", "10.254.77.1/32", "dev", "lo")
	want(1)
	ip("link", "add", "gkckw0", "type", "veth", "peer", "name", "gkckw1")
	ip("addr", "add", "10.254.77.1/32", "dev", "gkckw0")
	want(2)
	ip("addr", "del", "10.254.77.1/32", "dev", "lo")
	want(1)
	ip("link", "del", "gkckw0")
	want(0)
}
