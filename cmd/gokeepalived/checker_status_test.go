package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/check/probe"
	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/internal/metrics"
	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
)

// fixedProbe answers ok after a delay.
type fixedProbe struct {
	ok    bool
	delay time.Duration
}

func (p fixedProbe) Check(context.Context, int) probe.Result {
	time.Sleep(p.delay)
	return probe.Result{OK: p.ok, Reason: "test"}
}

// TestCheckerReportsVerdict: real_server_up is the checkers' verdict, not
// the IPVS weight (an inhibited failed server is in IPVS with weight 0 and
// down; an alive server of weight 0 is up), sorry servers are not listed,
// the latency is the last check's duration, and keepalived_check.data
// says the same.
func TestCheckerReportsVerdict(t *testing.T) {
	cfg, diags := loadString(t, `virtual_server 10.10.31.100 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 192.168.31.1 80 {
    weight 2
    inhibit_on_failure
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
  real_server 192.168.31.2 80 {
    weight 0
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
  real_server 192.168.31.3 80 {
    weight 3
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
virtual_server 10.10.31.101 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  sorry_server 192.168.31.9 80
  real_server 192.168.31.4 80 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
`)
	if diags.ExitCode() != 0 {
		t.Fatalf("config: %v", diags.List)
	}
	probes := map[string]fixedProbe{
		"192.168.31.1": {ok: false},
		"192.168.31.2": {ok: true},
		"192.168.31.3": {ok: true, delay: 40 * time.Millisecond},
		"192.168.31.4": {ok: false},
	}
	fake := &fakeHandle{Fake: ipvsfake.New()}
	c := newChecker(daemon.NewLogger(daemon.LogOptions{Console: io.Discard}), options{}, func() (ipvsHandle, error) { return fake, nil })
	c.newProbe = func(_ *conf.Checker, rs *conf.RealServer, _ *conf.VirtualServer) (probe.Checker, error) {
		return probes[rs.Addr.String()], nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := c.Start(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())

	type rs struct {
		up     bool
		weight int
	}
	want := map[string]rs{
		"192.168.31.1:80": {false, 0}, // inhibited: in IPVS at weight 0
		"192.168.31.2:80": {true, 0},  // alive at its configured weight 0
		"192.168.31.3:80": {true, 3},
		"192.168.31.4:80": {false, 0},
	}
	var got []metrics.RealServer
	deadline := time.Now().Add(10 * time.Second)
	for {
		got = c.RealServers()
		ok := len(got) == len(want)
		for _, r := range got {
			w, in := want[r.RS]
			ok = ok && in && r.Up == w.up && r.Weight == w.weight && r.Latency > 0
		}
		if ok || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, r := range got {
		w, in := want[r.RS]
		if !in {
			t.Errorf("listed %s (a sorry server is not a real server)", r.RS)
			continue
		}
		if r.Up != w.up || r.Weight != w.weight {
			t.Errorf("%s: up %v weight %d, want up %v weight %d", r.RS, r.Up, r.Weight, w.up, w.weight)
		}
		if r.Latency <= 0 {
			t.Errorf("%s: latency %v, want the last check's", r.RS, r.Latency)
		}
		if r.RS == "192.168.31.3:80" && r.Latency < 0.04 {
			t.Errorf("%s: latency %v, the check takes 40ms", r.RS, r.Latency)
		}
	}
	if len(got) != len(want) {
		t.Errorf("RealServers = %+v", got)
	}
	// The sorry server is in IPVS: the pool of 10.10.31.101 is down.
	waitListing(t, fake.Fake, "  -> 192.168.31.9:80")

	var m bytes.Buffer
	metrics.Write(&m, metrics.Snapshot{RealServers: got})
	for _, l := range []string{
		`gokeepalived_real_server_up{rs="192.168.31.1:80",vs="TCP 10.10.31.100:80"} 0`,
		`gokeepalived_real_server_up{rs="192.168.31.2:80",vs="TCP 10.10.31.100:80"} 1`,
		`gokeepalived_real_server_weight{rs="192.168.31.2:80",vs="TCP 10.10.31.100:80"} 0`,
	} {
		if !strings.Contains(m.String(), l+"\n") {
			t.Errorf("no %q in metrics:\n%s", l, m.String())
		}
	}

	var d bytes.Buffer
	c.WriteData(&d)
	for _, l := range []string{
		"   RIP = 192.168.31.1, RPORT = 80, WEIGHT = 0 EFF WEIGHT = 2\n   Inhibit on failure is ON\n   initial weight = 2\n   effective weight = 2\n   alive = 0\n   num failed checkers = 1\n   RS set = 1\n",
		"   RIP = 192.168.31.3, RPORT = 80, WEIGHT = 3 EFF WEIGHT = 3\n   Inhibit on failure is OFF\n   initial weight = 3\n   effective weight = 3\n   alive = 1\n",
		"   RIP = 192.168.31.4, RPORT = 80, WEIGHT = 0 EFF WEIGHT = 1\n   Inhibit on failure is OFF\n   initial weight = 1\n   effective weight = 1\n   alive = 0\n   num failed checkers = 1\n   RS set = 0\n",
		"   sorry server in use = yes\n",
	} {
		if !strings.Contains(d.String(), l) {
			t.Errorf("no %q in keepalived_check.data:\n%s", l, d.String())
		}
	}
}
