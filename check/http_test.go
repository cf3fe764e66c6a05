package check

import (
	"bufio"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
	"github.com/gokeepalived/gokeepalived/ipvs/reconcile"
)

// TestHTTPGetRealClock runs HTTP_GET (two urls, digest) on the poller
// with the wall clock: a page whose digest changes takes the real server
// out, the right page brings it back, and SSL_GET stays off that path.
func TestHTTPGetRealClock(t *testing.T) {
	var page atomic.Value
	page.Store("healthy\n")
	var hits atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/other" {
			io.WriteString(w, "x")
			return
		}
		io.WriteString(w, page.Load().(string))
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	sum := md5.Sum([]byte("healthy\n"))
	cfg := loadConf(t, fmt.Sprintf(`virtual_server 10.0.0.1 80 {
  delay_loop 1
  protocol TCP
  lvs_sched rr
  lvs_method NAT
  real_server 127.0.0.1 %d {
    HTTP_GET {
      url {
        path /health
        digest %s
      }
      url {
        path /other
      }
      connect_timeout 1
      retry 0
    }
  }
  real_server 127.0.0.2 443 {
    SSL_GET {
      url {
        path /
      }
    }
  }
}
`, port, hex.EncodeToString(sum[:])))
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
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	svc := ipvs.NewServiceKey(ipvs.TCP, mustAP("10.0.0.1:80"))
	rs := fmt.Sprintf("127.0.0.1:%d=1", port)
	name := fmt.Sprintf("[127.0.0.1]:tcp:%d", port)
	waitDests := func(want string) {
		t.Helper()
		for end := time.Now().Add(6 * time.Second); dests(t, kern, svc) != want; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("IPVS %q, want %q; log %q", dests(t, kern, svc), want, logs.lines)
			}
		}
	}
	// the SSL_GET server never answers: it goes; the HTTP_GET one passes
	// both urls and stays
	waitDests(rs)
	for end := time.Now().Add(6 * time.Second); !logs.has("Remote Web server " + name + " succeed on service."); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("no success logged: %q", logs.lines)
		}
	}
	e.mu.Lock()
	for _, j := range e.jobs {
		if isHTTP := j.name == name; (j.async != nil) != isHTTP {
			t.Errorf("%s: on the asynchronous path %v, want %v", j.name, j.async != nil, isHTTP)
		}
	}
	e.mu.Unlock()

	page.Store("broken\n")
	waitDests("")
	for _, l := range []string{"HTTP_CHECK on service " + name + " failed.",
		"Removing service " + name + " from VS [10.0.0.1]:tcp:80"} {
		if !logs.has(l) {
			t.Errorf("log lacks %q: %q", l, logs.lines)
		}
	}
	page.Store("healthy\n")
	waitDests(rs)
	// the url passing while down, once as the failed url, once in the
	// full pass that brings the checker up (http_handle_response)
	for _, l := range []string{"MD5 digest success to " + name + " url(/health)", "HTTP status code success to " + name + " url(/other)"} {
		if !logs.has(l) {
			t.Errorf("log lacks %q: %q", l, logs.lines)
		}
	}
	if n := hits.Load(); n < 4 {
		t.Errorf("server saw %d requests", n)
	}
}

// rawServer serves loopback TCP: serve gets each connection after the
// request head.
func rawServer(t *testing.T, serve func(c net.Conn)) int {
	t.Helper()
	return tcpServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			if l, err := br.ReadString('\n'); err != nil || l == "\r\n" {
				break
			}
		}
		serve(c)
	})
}

// The lines HTTP_GET logs under log_all_failures for each stage, as
// keepalived 2.2.7 logs them against the same servers (its --check
// with log_all_failures, connect_timeout 1): note the two spaces after
// "no data received from".
func TestHTTPStageLines(t *testing.T) {
	silent := rawServer(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	gap := rawServer(t, func(c net.Conn) {
		io.WriteString(c, "HTTP/1.0 200 OK\r\nContent-Length: 20\r\n\r\nab")
		io.Copy(io.Discard, c)
	})
	noData := rawServer(t, func(net.Conn) {})
	reset := rawServer(t, func(c net.Conn) { c.(*net.TCPConn).SetLinger(0) })
	steady := rawServer(t, func(c net.Conn) {
		io.WriteString(c, "HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\n")
		for range 10 {
			time.Sleep(150 * time.Millisecond)
			c.Write([]byte("a"))
		}
	})
	refused := closedTCPPort(t)
	var rs strings.Builder
	for _, p := range []int{silent, gap, noData, reset, steady, refused} {
		fmt.Fprintf(&rs, "  real_server 127.0.0.1 %d {\n    HTTP_GET {\n      url {\n        path /\n      }\n      connect_timeout 1\n      retry 9\n      log_all_failures\n    }\n  }\n", p)
	}
	cfg := loadConf(t, "virtual_server 10.0.0.1 80 {\n  delay_loop 30\n  lvs_sched rr\n  lvs_method NAT\n  protocol TCP\n"+rs.String()+"}\n")
	_, logs, clk := startEngineClock(t, cfg, ipvs.NewServiceKey(ipvs.TCP, netip.MustParseAddrPort("10.0.0.1:80")))
	name := func(p int) string { return fmt.Sprintf("[127.0.0.1]:tcp:%d", p) }
	want := []string{
		"Timeout WEB read server " + name(silent) + ".",
		"Timeout HTTP read server " + name(gap) + ".",
		"Read, no data received from  server " + name(noData) + ".",
		"Read error with server " + name(reset) + ".",
		"Remote Web server " + name(steady) + " succeed on service.",
		"Connection failed server " + name(refused) + ".",
	}
	for end := time.Now().Add(15 * time.Second); ; {
		missing := ""
		for _, w := range want {
			if !logs.has(w) {
				missing = w
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(end) {
			logs.mu.Lock()
			defer logs.mu.Unlock()
			t.Fatalf("no %q in\n%s", missing, strings.Join(logs.lines, "\n"))
		}
		clk.Advance(100 * time.Millisecond)
		time.Sleep(50 * time.Millisecond)
	}
}
