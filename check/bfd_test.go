package check

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/smtpalert"
	"github.com/gokeepalived/gokeepalived/internal/smtpalert/smtptest"
	"github.com/gokeepalived/gokeepalived/ipvs"
)

// TestBFDCheck: a real server whose checker is BFD_CHECK follows its BFD
// instance as keepalived 2.2.7's bfd_check_handle_event: the first state
// (BFD reports every instance Down at start) takes it out, Up brings it
// back, Down removes it again; another server with a plain check stays.
func TestBFDCheck(t *testing.T) {
	cfg := loadConf(t, `bfd_instance b1 {
    neighbor_ip 10.0.0.5
}
virtual_server 10.10.31.100 80 {
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  real_server 10.0.0.5 80 {
    BFD_CHECK {
      name b1
    }
  }
  real_server 10.0.0.6 80 {
    BFD_CHECK {
      name b1
      alpha
    }
  }
}
`)
	logs := &logSink{}
	e, err := New(cfg, Options{Logf: logs.logf})
	if err != nil {
		t.Fatal(err)
	}
	key := ipvs.NewServiceKey(ipvs.TCP, netipAP("10.10.31.100:80"))
	table := func() string {
		var out []string
		for _, vs := range e.Table() {
			if vs.Service.ServiceKey != key {
				continue
			}
			for _, d := range vs.Dests {
				out = append(out, d.Key().String())
			}
		}
		return strings.Join(out, " ")
	}
	if got := table(); got != "10.0.0.5:80" {
		t.Fatalf("start-up table %q: the non-alpha server starts up, the alpha one down", got)
	}
	if n := e.BFDNames(); len(n) != 1 || n[0] != "b1" {
		t.Fatalf("BFDNames %v", n)
	}
	e.BFDChanged("b1", false)
	if got := table(); got != "" {
		t.Fatalf("after Down: %q", got)
	}
	for _, l := range []string{"BFD check of [b1] RS([10.0.0.5]:tcp:80) is DOWN", "BFD check of [b1] RS([10.0.0.6]:tcp:80) is DOWN",
		"Removing service [10.0.0.5]:tcp:80 from VS [10.10.31.100]:tcp:80"} {
		if !logs.has(l) {
			t.Errorf("log lacks %q:\n%s", l, strings.Join(logs.lines, "\n"))
		}
	}
	e.BFDChanged("b1", false) // no change: nothing logged
	n := len(logs.lines)
	e.BFDChanged("b1", true)
	if got := table(); got != "10.0.0.5:80 10.0.0.6:80" {
		t.Fatalf("after Up: %q", got)
	}
	if !logs.has("BFD check of [b1] RS([10.0.0.6]:tcp:80) is UP") || n == len(logs.lines) {
		t.Errorf("log:\n%s", strings.Join(logs.lines, "\n"))
	}
	e.BFDChanged("other", false)
	if got := table(); got != "10.0.0.5:80 10.0.0.6:80" {
		t.Fatalf("another instance's Down changed the table: %q", got)
	}
}

// TestBFDCheckMail: a BFD_CHECK change of a real server with smtp_alert
// mails keepalived's "=> BFD CHECK NAME failed/succeeded on service <=".
func TestBFDCheckMail(t *testing.T) {
	srv, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg := loadConf(t, fmt.Sprintf(`global_defs {
  router_id R1
  notification_email {
    ops@example.com
  }
  notification_email_from ka@example.com
  smtp_server 127.0.0.1 %d
}
bfd_instance b1 {
    neighbor_ip 10.0.0.5
}
virtual_server 10.10.31.100 80 {
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  real_server 10.0.0.5 80 {
    smtp_alert
    BFD_CHECK {
      name b1
    }
  }
}
`, srv.Addr().Port))
	alerts := smtpalert.New(smtpalert.FromGlobal(&cfg.Global), nil)
	defer alerts.Close(time.Second)
	e, err := New(cfg, Options{Alerts: alerts})
	if err != nil {
		t.Fatal(err)
	}
	e.BFDChanged("b1", false)
	e.BFDChanged("b1", true)
	deadline := time.Now().Add(10 * time.Second)
	for len(srv.Sessions()) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("mails: %q", mails(srv.Sessions()))
		}
		time.Sleep(10 * time.Millisecond)
	}
	got := mails(srv.Sessions())
	want := []string{"[R1] Realserver [10.0.0.5]:tcp:80 of virtual server [10.10.31.100]:tcp:80 - DOWN | => BFD CHECK b1 failed on service <=",
		"[R1] Realserver [10.0.0.5]:tcp:80 of virtual server [10.10.31.100]:tcp:80 - UP | => BFD CHECK b1 succeeded on service <="}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("mails:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
