package check

import (
	"context"
	"fmt"
	"github.com/gokeepalived/gokeepalived/internal/clock"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
	"github.com/gokeepalived/gokeepalived/ipvs/reconcile"
)

// run starts an engine on a fake clock reconciling into a fake kernel
// and returns a function waiting (advancing the clock) until the
// service's destinations read want.
func startEngine(t *testing.T, cfg *conf.Config, key ipvs.ServiceKey) (func(string), *logSink) {
	t.Helper()
	wait, logs, _ := startEngineClock(t, cfg, key)
	return wait, logs
}

// startEngineClock is startEngine also returning the fake clock.
func startEngineClock(t *testing.T, cfg *conf.Config, key ipvs.ServiceKey) (func(string), *logSink, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(time.Unix(1_000_000, 0))
	kern := ipvsfake.New()
	logs := &logSink{}
	var e *Engine
	sync := func() { reconcile.Sync(kern, e.Table(), reconcile.Options{}) }
	var err error
	e, err = New(cfg, Options{Clock: clk, Rand: func() float64 { return 0 }, Logf: logs.logf, OnChange: sync})
	if err != nil {
		t.Fatal(err)
	}
	sync()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return func(want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for dests(t, kern, key) != want {
			if time.Now().After(deadline) {
				logs.mu.Lock()
				defer logs.mu.Unlock()
				t.Fatalf("kernel has %q, want %q\nlog:\n%s", dests(t, kern, key), want, strings.Join(logs.lines, "\n"))
			}
			clk.Advance(500 * time.Millisecond)
			time.Sleep(20 * time.Millisecond)
		}
	}, logs, clk
}

func TestMiscDynamicAndFileCheck(t *testing.T) {
	dir := t.TempDir()
	code := filepath.Join(dir, "code")
	track := filepath.Join(dir, "track")
	os.WriteFile(code, []byte("0"), 0o644)
	os.WriteFile(track, []byte("0"), 0o644)
	script := filepath.Join(dir, "check.sh")
	os.WriteFile(script, []byte("#!/bin/sh\nexit $(cat "+code+")\n"), 0o755)
	cfg := loadConf(t, fmt.Sprintf(`track_file tf {
  file %s
  weight 1
}
virtual_server 10.0.0.1 80 {
  delay_loop 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  real_server 127.0.0.1 8080 {
    weight 3
    MISC_CHECK {
      misc_path "%s"
      misc_timeout 5
      misc_dynamic
    }
  }
  real_server 127.0.0.2 8080 {
    weight 2
    FILE_CHECK {
      track_file tf
      weight 5
    }
  }
}
`, track, script))
	wait, logs := startEngine(t, cfg, ipvs.NewServiceKey(ipvs.TCP, mustAP("10.0.0.1:80")))
	wait("127.0.0.1:8080=3 127.0.0.2:8080=2")
	// misc_dynamic: exit 7 → weight 5
	os.WriteFile(code, []byte("7"), 0o644)
	wait("127.0.0.1:8080=5 127.0.0.2:8080=2")
	if l := "Changing weight from 3 to 5 for active service [127.0.0.1]:tcp:8080 of VS [10.0.0.1]:tcp:80"; !logs.has(l) {
		t.Errorf("log lacks %q", l)
	}
	// FILE_CHECK: value 2 × weight 5 added to the configured 2
	os.WriteFile(track, []byte("2\n"), 0o644)
	wait("127.0.0.1:8080=5 127.0.0.2:8080=12")
	// exit 1: down (MISC default retry is 0)
	os.WriteFile(code, []byte("1"), 0o644)
	wait("127.0.0.2:8080=12")
	if l := "Misc check for [[127.0.0.1]:tcp:8080 VS [10.0.0.1]:tcp:80] by [" + script + "] failed with retry disabled (exited with status 1)."; !logs.has(l) {
		t.Errorf("log lacks %q", l)
	}
	// exit 0: back, with the configured weight
	os.WriteFile(code, []byte("0"), 0o644)
	wait("127.0.0.1:8080=3 127.0.0.2:8080=12")
	// FILE_CHECK with weight 5 goes down only at INT32_MIN; a huge
	// negative value does it
	os.WriteFile(track, []byte("-1000000000"), 0o644)
	wait("127.0.0.1:8080=3")
}

func TestServices(t *testing.T) {
	cfg := loadConf(t, `virtual_server_group g {
  10.1.0.1-3 80
  fwmark 9
}
virtual_server group g {
  protocol TCP
  lvs_sched wrr
  persistence_timeout 50
  real_server 10.2.0.1 80 {
    TCP_CHECK {
    }
  }
}
virtual_server fwmark 7 {
  lvs_sched sh
  sh-port
  lvs_method DR
  real_server 10.2.0.2 {
    TCP_CHECK {
    }
  }
}
`)
	var got []string
	for _, vs := range cfg.VirtualServers {
		for _, s := range services(vs) {
			got = append(got, fmt.Sprintf("%v %s %#x %d", s.ServiceKey, s.Scheduler, s.Flags, s.Timeout))
		}
	}
	want := []string{
		"TCP 10.1.0.1:80 wrr 0x1 50", "TCP 10.1.0.2:80 wrr 0x1 50", "TCP 10.1.0.3:80 wrr 0x1 50", "FWM 9 inet wrr 0x1 50",
		"FWM 7 inet sh 0x10 0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("services\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	e, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tab := e.Table()
	if len(tab) != 5 || tab[4].Dests[0].Fwd != ipvs.Route || tab[0].Dests[0].Fwd != ipvs.Masq {
		t.Fatalf("table %+v", tab)
	}
}

func TestShutdownRemovesEverything(t *testing.T) {
	cfg := loadConf(t, `virtual_server 10.0.0.1 80 {
  protocol TCP
  lvs_sched rr
  lvs_method NAT
  real_server 127.0.0.1 8080 {
    TCP_CHECK {
    }
  }
}
`)
	logs := &logSink{}
	e, err := New(cfg, Options{Logf: logs.logf})
	if err != nil {
		t.Fatal(err)
	}
	kern := ipvsfake.New()
	owned := map[ipvs.ServiceKey]bool{}
	for _, vs := range e.Table() {
		owned[vs.Service.ServiceKey] = true
	}
	if _, err := reconcile.Sync(kern, e.Table(), reconcile.Options{}); err != nil {
		t.Fatal(err)
	}
	e.Shutdown()
	if _, err := reconcile.Sync(kern, e.Table(), reconcile.Options{PrevOwned: owned}); err != nil {
		t.Fatal(err)
	}
	if svcs, _ := kern.Services(); len(svcs) != 0 {
		t.Fatalf("%d services left after shutdown", len(svcs))
	}
	if l := "Shutting down service [127.0.0.1]:tcp:8080 from VS [10.0.0.1]:tcp:80"; !logs.has(l) {
		t.Errorf("log lacks %q: %q", l, logs.lines)
	}
}

func TestUnbuildableCheckerIsReported(t *testing.T) {
	// (?=…) is PCRE-only: RE2 cannot compile it
	cfg := loadConf(t, `virtual_server 10.0.0.1 80 {
  protocol TCP
  lvs_sched rr
  lvs_method NAT
  real_server 127.0.0.1 8080 {
    HTTP_GET {
      url {
        path /
        regex "a(?=b)"
      }
    }
  }
}
`)
	logs := &logSink{}
	e, err := New(cfg, Options{Logf: logs.logf})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.jobs) != 0 {
		t.Fatalf("%d checkers, want the broken one left out", len(e.jobs))
	}
	found := false
	for _, l := range logs.lines {
		found = found || strings.HasPrefix(l, "HTTP_GET checker for service [127.0.0.1]:tcp:8080 of VS [10.0.0.1]:tcp:80 ignored: ")
	}
	if !found {
		t.Errorf("not reported: %q", logs.lines)
	}
}
