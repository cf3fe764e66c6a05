package check

import (
	"context"
	"fmt"
	"github.com/gokeepalived/gokeepalived/internal/clock"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/check/probe"
	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/smtpalert"
	"github.com/gokeepalived/gokeepalived/internal/smtpalert/smtptest"
)

// switchProbe answers what it is set to.
type switchProbe struct{ ok atomic.Bool }

func (p *switchProbe) Check(context.Context, int) probe.Result {
	if p.ok.Load() {
		return probe.Result{OK: true}
	}
	return probe.Result{Reason: "down"}
}

// mails returns "subject | body" of each session.
func mails(ss [][]string) []string {
	var out []string
	for _, s := range ss {
		subj, body := "", ""
		for i, l := range s {
			if v, ok := strings.CutPrefix(l, "C: Subject: "); ok {
				subj = v
			}
			if l == "C: " && body == "" && i+1 < len(s) {
				body = strings.TrimPrefix(s[i+1], "C: ")
			}
		}
		out = append(out, subj+" | "+body)
	}
	return out
}

// TestCheckerMail: a virtual server with quorum 2 and two real servers
// (the first with two TCP checkers, the second with smtp_alert off).
// Each checker transition of a real server with smtp_alert mails (the
// quorum's alert first), the virtual server's smtp_alert mails its
// quorum changes; with no_checker_emails a checker going down while
// its real server is already down mails nothing.
func TestCheckerMail(t *testing.T) {
	for _, noChecker := range []bool{false, true} {
		t.Run(fmt.Sprint("no_checker_emails=", noChecker), func(t *testing.T) { checkerMail(t, noChecker) })
	}
}

func checkerMail(t *testing.T, noChecker bool) {
	srv, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	g := ""
	if noChecker {
		g = "no_checker_emails"
	}
	tcp := "TCP_CHECK {\n connect_timeout 1\n retry 0\n delay_before_retry 1\n }\n"
	cfg := loadConf(t, fmt.Sprintf(`global_defs {
  router_id R1
  notification_email {
    ops@example.com
  }
  notification_email_from ka@example.com
  smtp_server 127.0.0.1 %d
  %s
}
virtual_server 10.0.0.1 80 {
  delay_loop 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  quorum 2
  smtp_alert
  real_server 127.0.0.1 8001 {
    weight 1
    %s
    %s
  }
  real_server 127.0.0.1 8002 {
    weight 1
    smtp_alert off
    %s
  }
}
`, srv.Addr().Port, g, tcp, tcp, tcp))
	var probes []*switchProbe
	var mu sync.Mutex
	newProbe := func(*conf.Checker, *conf.RealServer, *conf.VirtualServer) (probe.Checker, error) {
		mu.Lock()
		defer mu.Unlock()
		p := &switchProbe{}
		p.ok.Store(true)
		probes = append(probes, p)
		return p, nil
	}
	alerts := smtpalert.New(smtpalert.FromGlobal(&cfg.Global), nil)
	clk := clock.NewFake(time.Unix(1_000_000, 0))
	e, err := New(cfg, Options{Clock: clk, Rand: func() float64 { return 0 }, NewProbe: newProbe, Alerts: alerts})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	rs1a, rs1b, rs2 := probes[0], probes[1], probes[2]
	n := 0
	step := func(what string, more int) {
		t.Helper()
		n += more
		deadline := time.Now().Add(10 * time.Second)
		for len(srv.Sessions()) < n {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d mails, want %d: %q", what, len(srv.Sessions()), n, mails(srv.Sessions()))
			}
			clk.Advance(500 * time.Millisecond)
			time.Sleep(5 * time.Millisecond)
		}
		// nothing more comes
		for range 10 {
			clk.Advance(500 * time.Millisecond)
			time.Sleep(5 * time.Millisecond)
		}
		srv.Idle(5 * time.Second)
	}
	rs := func(port int, ud, body string) string {
		return fmt.Sprintf("[R1] Realserver [127.0.0.1]:tcp:%d of virtual server [10.0.0.1]:tcp:80 - %s | %s", port, ud, body)
	}
	vs := func(ud, body string) string { return "[R1] Virtualserver [10.0.0.1]:tcp:80 - " + ud + " | " + body }
	var want []string
	step("start", 1)
	want = append(want, vs("UP", "=> Starting with quorum up 2+0=2 <= 2 <="))
	// the first results of checkers that start up are no transitions
	rs1a.ok.Store(false)
	step("rs1 first checker down", 2)
	want = append(want, vs("DOWN", "=> Lost quorum 2+0=2 <= 1 <="), rs(8001, "DOWN", "=> TCP CHECK failed on service <="))
	rs1b.ok.Store(false)
	if noChecker {
		step("rs1 second checker down", 0)
	} else {
		step("rs1 second checker down", 1)
		want = append(want, rs(8001, "DOWN", "=> TCP CHECK failed on service <="))
	}
	rs2.ok.Store(false)
	step("rs2 down (smtp_alert off)", 0)
	rs1a.ok.Store(true)
	if noChecker {
		step("rs1 first checker up, rs1 still down", 0)
	} else {
		step("rs1 first checker up, rs1 still down", 1)
		want = append(want, rs(8001, "DOWN", "=> TCP CHECK succeed on service <="))
	}
	rs1b.ok.Store(true)
	step("rs1 up", 1)
	want = append(want, rs(8001, "UP", "=> TCP CHECK succeed on service <="))
	rs2.ok.Store(true)
	step("rs2 up: quorum", 1)
	want = append(want, vs("UP", "=> Gained quorum 2+0=2 <= 2 <="))
	alerts.Close(5 * time.Second)
	if got := mails(srv.Sessions()); !slices.Equal(got, want) {
		t.Errorf("mails:\n got %q\nwant %q", got, want)
	}
}
