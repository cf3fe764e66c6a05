package check

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
	"github.com/gokeepalived/gokeepalived/ipvs/reconcile"
)

// TestTCPCheckRealClock runs TCP_CHECK on the poller with the wall clock:
// a listener closed right after it accepted a check is removed when the
// next check falls due (delay_loop later), it comes back when listening
// again, and the engine stops at once with checks in flight.
func TestTCPCheckRealClock(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	accepted := make(chan time.Time, 100)
	serve := func(ln net.Listener) {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- time.Now()
			c.Close()
		}
	}
	go serve(ln)
	cfg := loadConf(t, fmt.Sprintf(`virtual_server 10.0.0.1 80 {
  delay_loop 1
  protocol TCP
  lvs_sched rr
  lvs_method NAT
  real_server 127.0.0.1 %d {
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
`, port))
	logs := &logSink{}
	kern := ipvsfake.New()
	var e *Engine
	e, err = New(cfg, Options{Logf: logs.logf, OnChange: func() {
		reconcile.Sync(kern, e.Table(), reconcile.Options{})
	}})
	if err != nil {
		t.Fatal(err)
	}
	reconcile.Sync(kern, e.Table(), reconcile.Options{})
	rs := fmt.Sprintf("127.0.0.1:%d=1", port)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	svc := ipvs.NewServiceKey(ipvs.TCP, mustAP("10.0.0.1:80"))
	if got := dests(t, kern, svc); got != rs {
		t.Fatalf("start-up table %q, want %q", got, rs)
	}

	// first check after 1 s (+ warmup share), then every second
	var last time.Time
	for range 2 {
		select {
		case last = <-accepted:
		case <-time.After(4 * time.Second):
			t.Fatal("no TCP check reached the listener")
		}
	}
	ln.Close()
	due := last.Add(time.Second)
	waitDests := func(want string) {
		t.Helper()
		for end := time.Now().Add(3 * time.Second); dests(t, kern, svc) != want; time.Sleep(time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("IPVS %q, want %q; log %q", dests(t, kern, svc), want, logs.lines)
			}
		}
	}
	waitDests("")
	lag := time.Since(due)
	name := fmt.Sprintf("[127.0.0.1]:tcp:%d", port)
	for _, l := range []string{"TCP_CHECK on service " + name + " failed.",
		"Removing service " + name + " from VS [10.0.0.1]:tcp:80"} {
		if !logs.has(l) {
			t.Errorf("log lacks %q: %q", l, logs.lines)
		}
	}
	// refused is immediate: the behaviour is that the due check removes
	// the server, before the next one (delay_loop 1 s) would be due; how
	// soon is scripts/bench's figure
	t.Logf("detected %v after the check was due", lag)
	if lag < -5*time.Millisecond || lag > time.Second {
		t.Errorf("detected %v after the due check, want before the next check (1 s)", lag)
	}

	ln2, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer ln2.Close()
	go serve(ln2)
	waitDests(rs)
	if l := "TCP connection to " + name + " success."; !logs.has(l) {
		t.Errorf("log lacks %q", l)
	}
	t0 := time.Now()
	cancel()
	<-done
	if d := time.Since(t0); d > 2*time.Second { // returns, not hangs
		t.Errorf("Run took %v to return", d)
	}
	if n := e.Checks(); n < 3 {
		t.Errorf("%d checks counted", n)
	}
}
