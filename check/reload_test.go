package check

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/check/sched"
	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
	"github.com/gokeepalived/gokeepalived/ipvs/reconcile"
)

// TestReload follows §3.6: an unchanged failed real server is not
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
	clk := sched.NewFake()
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
