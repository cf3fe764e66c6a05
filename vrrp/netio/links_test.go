package netio

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// TestLinkWatchSurvivesOverflow: while the monitor is held up, 2,000
// links are created in a burst; the kernel drops notifications it cannot
// queue (ENOBUFS). The monitor must subscribe again and resync, so the
// tracked interface going up afterwards is still seen (before, the
// monitor ended there and interface tracking stopped for good).
func TestLinkWatchSurvivesOverflow(t *testing.T) {
	nstest.Require(t)
	a, _ := nstest.Pair(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := make(chan vrrp.LinkEvent)
	var resyncs atomic.Int32
	l := Links{Resynced: func(string, error) { resyncs.Add(1) }}
	go a.Do(func() error { return l.Watch(ctx, ch) })
	time.Sleep(200 * time.Millisecond) // subscribed and listed

	// eth0 down: the monitor blocks sending it, as a busy VRRP loop would.
	if err := nstest.IP("-n", a.Name, "link", "set", "eth0", "down"); err != nil {
		t.Fatal(err)
	}
	var batch strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&batch, "link add gkb%d type veth peer name gkc%d\n", i, i)
	}
	f := filepath.Join(t.TempDir(), "batch")
	os.WriteFile(f, []byte(batch.String()), 0o644)
	if out, err := exec.Command("ip", "-n", a.Name, "-batch", f).CombinedOutput(); err != nil {
		t.Fatalf("burst: %v %s", err, out)
	}
	got := make(chan vrrp.LinkEvent, 4096)
	go func() {
		for ev := range ch {
			got <- ev
		}
	}()
	wait := func(name string, up bool) time.Time {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case ev := <-got:
				if ev.Name == name && ev.Up == up {
					return time.Now()
				}
			case <-deadline:
				t.Fatalf("no event %s up=%v (resyncs %d)", name, up, resyncs.Load())
			}
		}
	}
	wait("eth0", false)
	for end := time.Now().Add(5 * time.Second); resyncs.Load() == 0 && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
	if resyncs.Load() == 0 {
		t.Fatal("the burst did not overflow the monitor's socket: the test shows nothing")
	}
	start := time.Now()
	if err := nstest.IP("-n", a.Name, "link", "set", "eth0", "up"); err != nil {
		t.Fatal(err)
	}
	at := wait("eth0", true)
	t.Logf("after %d resync(s), eth0 up seen %v after the command returned", resyncs.Load(), at.Sub(start))
}
