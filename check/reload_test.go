package check

import (
	"context"
	"fmt"
	"github.com/gokeepalived/gokeepalived/internal/clock"
	"net"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
	"github.com/gokeepalived/gokeepalived/ipvs/reconcile"
)

// TestReload: an unchanged failed real server is not
// re-added by a reload, its checker state carries over (it recovers as
// it would have), and a weight change is an edit, not a remove+add.
func TestReload(t *testing.T) {
	b1, b2 := newBackend(t), newBackend(t)
	mk := func(w2 int) string {
		rs := func(b *backend, w int) string {
			return fmt.Sprintf(`real_server 127.0.0.1 %d {
    weight %d
    HTTP_GET {
      url {
        path /health.cgi
      }
      connect_timeout 1
      retry 0
    }
  }
`, b.port, w)
		}
		return `virtual_server 10.10.31.100 80 {
  delay_loop 2
  lvs_sched lc
  lvs_method NAT
  protocol TCP
  ` + rs(b1, 1) + rs(b2, w2) + "}\n"
	}
	clk := clock.NewFake(time.Unix(1_000_000, 0))
	kern := ipvsfake.New()
	logs := &logSink{}
	key := ipvs.NewServiceKey(ipvs.TCP, mustAP("10.10.31.100:80"))
	var cur *Engine
	opt := Options{Clock: clk, Rand: func() float64 { return 0 }, Logf: logs.logf,
		OnChange: func() { reconcile.Sync(kern, cur.Table(), reconcile.Options{}) }}
	run := func(e *Engine) func() {
		cur = e
		reconcile.Sync(kern, e.Table(), reconcile.Options{})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { e.Run(ctx); close(done) }()
		return func() { cancel(); <-done }
	}
	wait := func(want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for dests(t, kern, key) != want {
			if time.Now().After(deadline) {
				t.Fatalf("kernel has %q, want %q\nlog:\n%s", dests(t, kern, key), want, strings.Join(logs.lines, "\n"))
			}
			clk.Advance(500 * time.Millisecond)
			time.Sleep(20 * time.Millisecond)
		}
	}
	rsStr := func(b *backend, w int) string { return fmt.Sprintf("127.0.0.1:%d=%d", b.port, w) }
	pair := func(a, b string) string {
		s := []string{a, b}
		sort.Strings(s)
		return strings.Join(s, " ")
	}

	e1, _ := New(loadConf(t, mk(1)), opt)
	stop := run(e1)
	b1.status.Store(500)
	wait(rsStr(b2, 1))
	stop()

	logs.mu.Lock()
	logs.lines = nil
	logs.mu.Unlock()
	e2 := Reload(loadConf(t, mk(5)), opt, e1)
	if got, want := tableString(e2.Table()), rsStr(b2, 5); got != want {
		t.Fatalf("after reload the table is %q, want %q (failed RS not re-added, weight edited)", got, want)
	}
	for _, l := range logs.lines {
		if strings.Contains(l, "ing service [127.0.0.1]") && !strings.HasPrefix(l, "Activating") {
			t.Errorf("reload logged a transition: %q", l)
		}
	}
	ops, _ := reconcile.Diff(e2.Table(), dump(t, kern), reconcile.Options{})
	if len(ops) != 1 || ops[0].Kind != reconcile.EditDest {
		t.Errorf("reload ops %v, want one weight edit", ops)
	}
	stop = run(e2)
	defer stop()
	b1.status.Store(200)
	wait(pair(rsStr(b1, 1), rsStr(b2, 5)))
}

func tableString(vs []reconcile.VirtualService) string {
	var out []string
	for _, v := range vs {
		for _, d := range v.Dests {
			out = append(out, fmt.Sprintf("%s=%d", d.Key(), d.Weight))
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func dump(t *testing.T, f *ipvsfake.Fake) []reconcile.VirtualService {
	vs, err := reconcile.Dump(f)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// sameChecker decides which checker keeps its state at a reload: what
// keepalived's compare functions look at (connection and type options),
// not positions in the file or timing.
func TestSameChecker(t *testing.T) {
	base := `real_server 10.1.1.1 80 {
    HTTP_GET {
      url {
        path /health
        status_code 200
        digest 0123456789abcdef0123456789abcdef
      }
      connect_timeout 3
      %s
    }
  }`
	first := func(text string) *conf.Checker {
		t.Helper()
		cfg := loadConf(t, text)
		if len(cfg.VirtualServers) != 1 || len(cfg.VirtualServers[0].RealServers) == 0 ||
			len(cfg.VirtualServers[0].RealServers[0].Checkers) != 1 {
			t.Fatalf("config:\n%s", text)
		}
		return cfg.VirtualServers[0].RealServers[0].Checkers[0]
	}
	vs := func(rs string, pad string) string {
		return pad + "virtual_server 10.0.0.1 80 {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  " + rs + "\n}\n"
	}
	ref := first(vs(fmt.Sprintf(base, ""), ""))
	for _, c := range []struct {
		name string
		text string
		same bool
	}{
		{"moved down the file", vs(fmt.Sprintf(base, ""), "\n\n# moved\n\n"), true},
		{"other timing", vs(fmt.Sprintf(base, "delay_before_retry 7\n      retry 5"), ""), true},
		{"connect_port", vs(fmt.Sprintf(base, "connect_port 8080"), ""), false},
		{"connect_timeout", vs(strings.Replace(fmt.Sprintf(base, ""), "connect_timeout 3", "connect_timeout 4", 1), ""), false},
		{"url path", vs(strings.Replace(fmt.Sprintf(base, ""), "/health", "/ping", 1), ""), false},
		{"status code", vs(strings.Replace(fmt.Sprintf(base, ""), "status_code 200", "status_code 204", 1), ""), false},
		{"digest", vs(strings.Replace(fmt.Sprintf(base, ""), "0123456789abcdef0123", "f123456789abcdef0123", 1), ""), false},
		{"type", vs("real_server 10.1.1.1 80 {\n    TCP_CHECK {\n      connect_timeout 3\n    }\n  }", ""), false},
	} {
		if got := sameChecker(ref, first(c.text)); got != c.same {
			t.Errorf("%s: sameChecker = %v, want %v", c.name, got, c.same)
		}
	}
}

// Reloads every 300 ms for 4 s do not stop health checking: an unchanged
// checker keeps its own schedule across each reload (with keepalived's
// restart of every checker a second after each reload it would never run).
func TestReloadStormKeepsChecking(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	cfg := fmt.Sprintf(`virtual_server 10.10.31.100 80 {
  delay_loop 1
  lvs_sched rr
  protocol TCP
  real_server 127.0.0.1 %d {
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`, ln.Addr().(*net.TCPAddr).Port)
	opt := Options{Rand: func() float64 { return 0 }, Logf: func(string, ...any) {}}
	e, _ := New(loadConf(t, cfg), opt)
	for end := time.Now().Add(4 * time.Second); time.Now().Before(end); {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { e.Run(ctx); close(done) }()
		time.Sleep(300 * time.Millisecond)
		cancel()
		<-done
		e = Reload(loadConf(t, cfg), opt, e)
	}
	if n := accepted.Load(); n < 2 {
		t.Fatalf("%d checks in 4 s of reloads every 300 ms with delay_loop 1 s", n)
	}
}
