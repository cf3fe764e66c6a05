package check

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/check/probe"
	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/clock"
)

// TestCompatCheckerWording runs an SSL_GET against a server that drops
// the handshake and a TCP_CHECK against a closed port, under keepalived
// 2.4.3's rules (the default) and 2.2.7's (--compat 2.2.7): the failure
// line's name, TCP_CHECK's retries while down, and which checkers a
// reload logs as activated.
func TestCompatCheckerWording(t *testing.T) {
	ssl := tcpServer(t, func(c net.Conn) {}) // closes at once: no handshake
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	text := fmt.Sprintf(`virtual_server 10.10.31.100 80 {
  delay_loop 2
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  real_server 127.0.0.1 %d {
    SSL_GET {
      url {
        path /
      }
      connect_timeout 1
      retry 0
    }
  }
  real_server 127.0.0.1 %d {
    TCP_CHECK {
      connect_timeout 1
      retry 2
      delay_before_retry 1
    }
  }
}
`, ssl, refused)
	sslName := fmt.Sprintf("[127.0.0.1]:tcp:%d", ssl)
	for _, c := range []struct {
		compat       string
		failed       string
		noRetryDown  bool
		reloadActive int
	}{
		{"", "SSL_CHECK on service " + sslName + " failed.", true, 0},
		{"2.2.7", "HTTP_CHECK on service " + sslName + " failed.", false, 2},
	} {
		t.Run("compat="+c.compat, func(t *testing.T) {
			var v conf.Version
			if c.compat != "" {
				v, _ = conf.ParseVersion(c.compat)
			}
			p := filepath.Join(t.TempDir(), "keepalived.conf")
			if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			load := func() *conf.Config { cfg, _ := conf.Load(p, conf.Options{Compat: v}); return cfg }
			clk := clock.NewFake(time.Unix(1_000_000, 0))
			logs := &logSink{}
			opt := Options{Clock: clk, Rand: func() float64 { return 0 }, Logf: logs.logf}
			e, _ := New(load(), opt)
			for _, j := range e.jobs {
				if j.typ == conf.CheckTCP && j.st.T.NoRetryWhileDown != c.noRetryDown {
					t.Errorf("TCP_CHECK NoRetryWhileDown %v, want %v", j.st.T.NoRetryWhileDown, c.noRetryDown)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { e.Run(ctx); close(done) }()
			tcpName := fmt.Sprintf("[127.0.0.1]:tcp:%d", refused)
			for end := time.Now().Add(10 * time.Second); !logs.has(c.failed) || !logs.has("TCP_CHECK on service "+tcpName+" failed."); {
				if time.Now().After(end) {
					t.Fatalf("no %q:\n%s", c.failed, strings.Join(logs.lines, "\n"))
				}
				clk.Advance(500 * time.Millisecond)
				time.Sleep(20 * time.Millisecond)
			}
			cancel()
			<-done
			logs.mu.Lock()
			logs.lines = nil
			logs.mu.Unlock()
			Reload(load(), opt, e)
			n := 0
			for _, l := range logs.lines {
				if strings.HasPrefix(l, "Activating healthchecker") {
					n++
				}
			}
			if n != c.reloadActive {
				t.Errorf("reload logged %d Activating lines, want %d:\n%s", n, c.reloadActive, strings.Join(logs.lines, "\n"))
			}
		})
	}
}

// TestCompatReloadCarry: a down HTTP checker kept over a reload goes on
// polling the url that failed, one failure from down, from keepalived
// 2.3.0 (migrate_http_check); 2.2.7 starts it again at its first url.
func TestCompatReloadCarry(t *testing.T) {
	p := filepath.Join(t.TempDir(), "keepalived.conf")
	text := `virtual_server 10.10.31.100 80 {
  delay_loop 2
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  real_server 127.0.0.1 1 {
    HTTP_GET {
      url {
        path /a
      }
      url {
        path /b
      }
      connect_timeout 1
      retry 2
    }
  }
}
`
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		compat    conf.Version
		failedURL int
		retryIt   uint32
	}{{conf.Version{}, 1, 3}, {conf.Oldest, -1, 0}} {
		load := func() *conf.Config { cfg, _ := conf.Load(p, conf.Options{Compat: c.compat}); return cfg }
		opt := Options{Clock: clock.NewFake(time.Unix(1_000_000, 0)), Rand: func() float64 { return 0 }}
		old, _ := New(load(), opt)
		j := old.jobs[0]
		j.st.Up, j.st.HasRun, j.st.FailedURL, j.st.RetryIt = false, true, 1, 0
		n := Reload(load(), opt, old).jobs[0].st
		if n.Up || n.FailedURL != c.failedURL || n.RetryIt != c.retryIt {
			t.Errorf("compat %v: after reload up %v failed url %d retry %d, want down, %d, %d",
				c.compat, n.Up, n.FailedURL, n.RetryIt, c.failedURL, c.retryIt)
		}
	}
}

// countProbe fails (or passes, while ok) and counts its checks.
type countProbe struct {
	ok    atomic.Bool
	calls atomic.Int32
}

func (p *countProbe) Check(context.Context, int) probe.Result {
	p.calls.Add(1)
	if p.ok.Load() {
		return probe.Result{OK: true}
	}
	return probe.Result{Reason: "failed"}
}

// TestUDPPingNoRetryWhileDown: UDP_CHECK and PING_CHECK retry only while
// up (udp_epilog, icmp_epilog in 2.2.7 and 2.4.3): down, they check
// once a delay_loop. PING_CHECK's "failed after N retries" names the VS.
func TestUDPPingNoRetryWhileDown(t *testing.T) {
	for _, typ := range []string{"UDP_CHECK", "PING_CHECK"} {
		t.Run(typ, func(t *testing.T) {
			text := `virtual_server 10.10.31.100 53 {
  delay_loop 5
  lvs_sched rr
  lvs_method NAT
  protocol UDP
  real_server 127.0.0.1 53 {
    ` + typ + ` {
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
}
`
			p := &countProbe{}
			p.ok.Store(true)
			clk := clock.NewFake(time.Unix(1_000_000, 0))
			logs := &logSink{}
			e, _ := New(loadConf(t, text), Options{Clock: clk, Rand: func() float64 { return 0 }, Logf: logs.logf,
				NewProbe: func(*conf.Checker, *conf.RealServer, *conf.VirtualServer) (probe.Checker, error) { return p, nil }})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { e.Run(ctx); close(done) }()
			defer func() { cancel(); <-done }()
			advance := func(d time.Duration) {
				for end := clk.Now().Add(d); clk.Now().Before(end); {
					clk.Advance(250 * time.Millisecond)
					time.Sleep(5 * time.Millisecond)
				}
			}
			advance(2 * time.Second) // the first check, a success
			p.ok.Store(false)
			want := "ICMP CHECK on service [127.0.0.1]:udp:53 of [10.10.31.100]:udp:53 failed after 1 retries."
			if typ == "UDP_CHECK" {
				want = "UDP_CHECK on service [127.0.0.1]:udp:53 failed after 1 retries."
			}
			for end := time.Now().Add(10 * time.Second); !logs.has(want); {
				if time.Now().After(end) {
					t.Fatalf("no %q:\n%s", want, strings.Join(logs.lines, "\n"))
				}
				advance(250 * time.Millisecond)
			}
			n0 := p.calls.Load()
			advance(20 * time.Second)
			if n := p.calls.Load() - n0; n > 5 {
				t.Errorf("%d checks in 20 s while down (delay_loop 5, delay_before_retry 1): retried while down", n)
			}
		})
	}
}
