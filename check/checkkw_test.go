package check

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fifoSink struct {
	mu    sync.Mutex
	lines []string
}

func (f *fifoSink) write(l string) {
	f.mu.Lock()
	f.lines = append(f.lines, strings.TrimSuffix(l, "\n"))
	f.mu.Unlock()
}

func (f *fifoSink) get() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.lines...)
}

// rs_init_notifies: at start-up every real server that starts alive gets
// its notify FIFO "UP" line (init_service_rs); an alpha one, starting
// down, gets nothing; without the keyword nobody does.
func TestRSInitNotifies(t *testing.T) {
	for _, on := range []bool{false, true} {
		g := ""
		if on {
			g = "global_defs {\n  rs_init_notifies\n}\n"
		}
		text := g + `virtual_server 10.0.0.1 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  real_server 127.0.0.1 8080 {
    TCP_CHECK {
    }
  }
  real_server 127.0.0.2 8080 {
    TCP_CHECK {
      alpha
    }
  }
}
`
		cfg := loadConf(t, text)
		fifo := &fifoSink{}
		logs := &logSink{}
		e, err := New(cfg, Options{NotifyFIFO: fifo.write, Logf: logs.logf})
		if err != nil {
			t.Fatal(err)
		}
		// the quorum's start-up notify is sent either way
		want := []string{"VS [10.0.0.1]:tcp:80 UP"}
		if on {
			want = append([]string{"RS [127.0.0.1]:tcp:8080 [10.0.0.1]:tcp:80 UP"}, want...)
		}
		if got := fifo.get(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("rs_init_notifies %v: FIFO lines %q, want %q", on, got, want)
		}
		for _, l := range logs.lines {
			if strings.Contains(l, "127.0.0.1") && !strings.HasPrefix(l, "Activating healthchecker") {
				t.Errorf("rs_init_notifies %v: start-up logged %q (keepalived logs no notify)", on, l)
			}
		}
		// a reload: the kept servers are not notified again, a new one is
		fifo.lines = nil
		next := loadConf(t, strings.Replace(text, "  real_server 127.0.0.2", "  real_server 127.0.0.3 8080 {\n    TCP_CHECK {\n    }\n  }\n  real_server 127.0.0.2", 1))
		Reload(next, Options{NotifyFIFO: fifo.write, Logf: logs.logf}, e)
		want = nil
		if on {
			want = []string{"RS [127.0.0.3]:tcp:8080 [10.0.0.1]:tcp:80 UP"}
		}
		if got := fifo.get(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("rs_init_notifies %v: FIFO lines at reload %q, want %q", on, got, want)
		}
	}
}

// lvs_flush_on_stop VS (and FULL): the stop logs no "Shutting down service" line and
// runs no real server notify (omega), only the quorum's; the services go.
func TestShutdownFlushedVS(t *testing.T) {
	for _, mode := range []string{"", "VS", "FULL"} {
		g := ""
		switch mode {
		case "VS":
			g = "global_defs {\n  lvs_flush_on_stop VS\n}\n"
		case "FULL":
			g = "global_defs {\n  lvs_flush_on_stop\n}\n"
		}
		cfg := loadConf(t, g+`virtual_server 10.0.0.1 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  omega
  real_server 127.0.0.1 8080 {
    TCP_CHECK {
    }
  }
}
`)
		fifo := &fifoSink{}
		logs := &logSink{}
		e, err := New(cfg, Options{NotifyFIFO: fifo.write, Logf: logs.logf})
		if err != nil {
			t.Fatal(err)
		}
		fifo.lines = nil
		e.Shutdown()
		lines := "Shutting down service [127.0.0.1]:tcp:8080 from VS [10.0.0.1]:tcp:80"
		want := []string{"VS [10.0.0.1]:tcp:80 DOWN"}
		if mode == "" {
			want = append([]string{"RS [127.0.0.1]:tcp:8080 [10.0.0.1]:tcp:80 DOWN"}, want...)
		}
		if logs.has(lines) != (mode == "") {
			t.Errorf("lvs_flush_on_stop %q: %q logged: %v", mode, lines, logs.has(lines))
		}
		if got := fifo.get(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("lvs_flush_on_stop %q: FIFO %q, want %q", mode, got, want)
		}
		if tab := e.Table(); len(tab) != 0 {
			t.Errorf("lvs_flush_on_stop %q: table after shutdown %+v", mode, tab)
		}
	}
}

// countingServer accepts on loopback and counts connections.
func countingServer(t *testing.T) (port int, n *atomic.Int64) {
	n = new(atomic.Int64)
	port = tcpServer(t, func(c net.Conn) { n.Add(1) })
	return port, n
}

// ha_suspend: the checkers of a virtual server whose address is not on
// the host do not run; they start when it appears and stop when it goes.
// A virtual server without ha_suspend is checked throughout.
func TestHASuspend(t *testing.T) {
	susPort, sus := countingServer(t)
	plainPort, plain := countingServer(t)
	cfg := loadConf(t, fmt.Sprintf(`virtual_server 10.9.9.9 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  delay_loop 1
  ha_suspend
  real_server 127.0.0.1 %d {
    TCP_CHECK {
    }
  }
}
virtual_server 10.9.9.10 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  delay_loop 1
  real_server 127.0.0.1 %d {
    TCP_CHECK {
    }
  }
}
`, susPort, plainPort))
	vip := netip.MustParseAddr("10.9.9.9")
	logs := &logSink{}
	e, err := New(cfg, Options{Logf: logs.logf, LocalAddrCount: func(netip.Addr) int { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("[127.0.0.1]:tcp:%d for VS [10.9.9.9]:tcp:80", susPort)
	for _, l := range []string{"Deactivating healthchecker for service " + name,
		fmt.Sprintf("Activating healthchecker for service [127.0.0.1]:tcp:%d for VS [10.9.9.10]:tcp:80", plainPort)} {
		if !logs.has(l) {
			t.Fatalf("start-up lacks %q: %q", l, logs.lines)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	waitFor := func(what string, f func() bool) {
		t.Helper()
		for end := time.Now().Add(20 * time.Second); !f(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("%s: not within 20 s (suspended %d, plain %d checks)", what, sus.Load(), plain.Load())
			}
		}
	}
	// the plain one is checked twice while the suspended one is not
	waitFor("plain checks", func() bool { return plain.Load() >= 2 })
	if n := sus.Load(); n != 0 {
		t.Fatalf("%d checks while the address is absent", n)
	}
	e.AddrChanged(vip, 1)
	if !logs.has("Activating healthchecker for service " + name) {
		t.Fatalf("no activation line: %q", logs.lines)
	}
	waitFor("checks after the address came", func() bool { return sus.Load() >= 2 })
	e.AddrChanged(vip, 2) // a second copy: no line
	e.AddrChanged(vip, 1) // one copy left: still active
	if logs.count("Suspending healthchecker for service "+name) != 0 {
		t.Fatalf("suspended with one copy left: %q", logs.lines)
	}
	e.AddrChanged(vip, 0)
	if !logs.has("Suspending healthchecker for service " + name) {
		t.Fatalf("no suspension line: %q", logs.lines)
	}
	// a check already under way may still connect
	time.Sleep(1500 * time.Millisecond)
	at, p0 := sus.Load(), plain.Load()
	waitFor("plain checks while suspended", func() bool { return plain.Load() >= p0+2 })
	if n := sus.Load(); n != at {
		t.Fatalf("%d checks after the address went", n-at)
	}
	t.Logf("suspended VS: %d checks while present, 0 while absent; plain VS %d checks", at, plain.Load())
}
