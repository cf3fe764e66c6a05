package check

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
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
	if n := hits.Load(); n < 4 {
		t.Errorf("server saw %d requests", n)
	}
}
