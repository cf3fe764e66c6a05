package check

import (
	"context"
	"fmt"
	"github.com/gokeepalived/gokeepalived/internal/clock"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
	"github.com/gokeepalived/gokeepalived/ipvs/reconcile"
)

// backend is an HTTP server on loopback whose /health.cgi answers with
// a switchable status; status 0 closes the listener (server stopped).
type backend struct {
	status atomic.Int32
	port   int
}

func newBackend(t *testing.T) *backend {
	b := &backend{}
	b.status.Store(200)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(b.status.Load()))
		io.WriteString(w, "ok\n")
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b.port = ln.Addr().(*net.TCPAddr).Port
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return b
}

type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (l *logSink) logf(f string, a ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(f, a...))
	l.mu.Unlock()
}

func (l *logSink) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range l.lines {
		if x == s {
			return true
		}
	}
	return false
}

func loadConf(t *testing.T, text string) *conf.Config {
	t.Helper()
	p := filepath.Join(t.TempDir(), "keepalived.conf")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, diags := conf.Load(p, conf.Options{})
	if diags.Worst >= 2 {
		t.Logf("config diagnostics: %+v", diags.List)
	}
	return cfg
}

// dests renders the fake kernel's destinations of one service.
func dests(t *testing.T, f *ipvsfake.Fake, k ipvs.ServiceKey) string {
	ds, err := f.Destinations(k)
	if err != nil {
		return "no service"
	}
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s=%d", d.Key(), d.Weight))
	}
	sort.Strings(out) // the kernel dumps newest first
	return strings.Join(out, " ")
}

// TestWalkthrough is the classic walkthrough on a fake clock,
// real HTTP servers and the fake IPVS: lc, NAT, two real servers with
// HTTP_GET on /health.cgi, inhibit_on_failure, sorry_server.
func TestWalkthrough(t *testing.T) {
	for _, inhibit := range []bool{true, false} {
		t.Run(fmt.Sprintf("inhibit=%v", inhibit), func(t *testing.T) { walkthrough(t, inhibit) })
	}
}

func walkthrough(t *testing.T, inhibit bool) {
	b1, b2 := newBackend(t), newBackend(t)
	inh := ""
	if inhibit {
		inh = "inhibit_on_failure"
	}
	rs := func(b *backend) string {
		return fmt.Sprintf(`real_server 127.0.0.1 %d {
    weight 1
    %s
    HTTP_GET {
      url {
        path /health.cgi
        status_code 200
      }
      connect_timeout 1
      retry 0
      log_all_failures
    }
  }
`, b.port, inh)
	}
	cfg := loadConf(t, `virtual_server 10.10.31.100 80 {
  delay_loop 2
  lvs_sched lc
  lvs_method NAT
  protocol TCP
  sorry_server 127.0.0.9 80
  `+rs(b1)+rs(b2)+`}
`)
	clk := clock.NewFake(time.Unix(1_000_000, 0))
	kern := ipvsfake.New()
	logs := &logSink{}
	var e *Engine
	sync := func() {
		if _, err := reconcile.Sync(kern, e.Table(), reconcile.Options{}); err != nil {
			t.Error(err)
		}
	}
	var err error
	fifo := &logSink{}
	e, err = New(cfg, Options{Clock: clk, Rand: func() float64 { return 0 }, Logf: logs.logf, OnChange: sync,
		NotifyFIFO: func(l string) { fifo.logf("%s", l) }})
	if err != nil {
		t.Fatal(err)
	}
	sync()
	key := ipvs.NewServiceKey(ipvs.TCP, netipAP("10.10.31.100:80"))
	r1 := fmt.Sprintf("127.0.0.1:%d", b1.port)
	r2 := fmt.Sprintf("127.0.0.1:%d", b2.port)
	if r2 < r1 { // listed sorted
		r1, r2 = r2, r1
		b1, b2 = b2, b1
	}
	want := func(s string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			if got := dests(t, kern, key); got == s {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("kernel has %q, want %q\nlog:\n%s", dests(t, kern, key), s, strings.Join(logs.lines, "\n"))
			}
			clk.Advance(500 * time.Millisecond)
			time.Sleep(20 * time.Millisecond)
		}
	}
	both := r1 + "=1 " + r2 + "=1"
	if got := dests(t, kern, key); got != both {
		t.Fatalf("start-up table %q, want %q", got, both)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	down1 := r2 + "=1"
	if inhibit {
		down1 = r1 + "=0 " + r2 + "=1"
	}
	b1.status.Store(500)
	want(down1)
	verb, prep := "Removing", "from"
	if inhibit {
		verb, prep = "Disabling", "of"
	}
	if l := fmt.Sprintf("%s service [127.0.0.1]:tcp:%d %s VS [10.10.31.100]:tcp:80", verb, b1.port, prep); !logs.has(l) {
		t.Errorf("log lacks %q", l)
	}
	if l := fmt.Sprintf("HTTP status code error to server [127.0.0.1]:tcp:%d.", b1.port); !logs.has(l) {
		t.Errorf("log lacks %q", l)
	}
	if l := fmt.Sprintf("RS [127.0.0.1]:tcp:%d [10.10.31.100]:tcp:80 DOWN\n", b1.port); !fifo.has(l) {
		t.Errorf("notify FIFO lacks %q: %q", l, fifo.lines)
	}
	b1.status.Store(200)
	want(both)

	// both down: the sorry server serves
	b1.status.Store(500)
	b2.status.Store(404)
	sorry := "127.0.0.9:80=1"
	if inhibit {
		sorry = r1 + "=0 " + r2 + "=0 " + sorry
	}
	want(sorry)
	if !logs.has("Adding sorry server [127.0.0.9]:tcp:80 to VS [10.10.31.100]:tcp:80") {
		t.Error("sorry server addition not logged")
	}
	if !fifo.has("VS [10.10.31.100]:tcp:80 DOWN\n") {
		t.Errorf("notify FIFO lacks the quorum loss: %q", fifo.lines)
	}
	b1.status.Store(200)
	b2.status.Store(200)
	want(both)
}

func netipAP(s string) (ap netipAddrPort) { return mustAP(s) }
