package checkerd

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/bfd"
	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
)

// TestCheckerBFDCheck: the subsystem follows the BFD mailbox. A real
// server whose only checker is BFD_CHECK is kept out of IPVS while its
// BFD instance is not known Up, enters when it comes Up and leaves when
// it goes Down; a reload keeps it in while Up, without a new log line.
func TestCheckerBFDCheck(t *testing.T) {
	text := "bfd_instance b1 {\n neighbor_ip 10.0.0.5\n}\nvirtual_server 10.0.0.1 80 {\n lb_algo rr\n lb_kind NAT\n protocol TCP\n" +
		" real_server 10.0.0.5 80 {\n  BFD_CHECK {\n   name b1\n  }\n }\n real_server 10.0.0.6 80 {\n  weight 3\n }\n}\n"
	cfg, diags := loadString(t, text)
	if diags.ExitCode() != 0 {
		t.Fatal(diags.List)
	}
	fake := &fakeHandle{Fake: ipvsfake.New()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logb syncWriter
	log := daemon.NewLogger(daemon.LogOptions{Console: &logb})
	hub := bfd.NewHub()
	c := New(log, Options{BFD: hub.Checker}, func() (Handle, error) { return fake, nil })
	if err := c.Start(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(ctx)
	waitListing(t, fake.Fake, "10.0.0.6:80")
	if l := listing(t, fake.Fake); strings.Contains(l, "10.0.0.5:80") {
		t.Fatalf("the BFD_CHECK server is in before its BFD instance came up:\n%s", l)
	}
	hub.BFDChanged("b1", true, false, true)
	waitListing(t, fake.Fake, "10.0.0.5:80")
	if err := c.Reload(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if l := listing(t, fake.Fake); !strings.Contains(l, "10.0.0.5:80") {
		t.Fatalf("a reload took the server out:\n%s", l)
	}
	hub.BFDChanged("b1", false, false, true)
	deadline := time.Now().Add(5 * time.Second)
	for strings.Contains(listing(t, fake.Fake), "10.0.0.5:80") {
		if time.Now().After(deadline) {
			t.Fatalf("BFD Down left the server in:\n%s\n%s", listing(t, fake.Fake), logb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	out := logb.String()
	for _, want := range []string{"BFD check of [b1] RS([10.0.0.5]:tcp:80) is DOWN", "BFD check of [b1] RS([10.0.0.5]:tcp:80) is UP"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "is UP"); n != 1 {
		t.Errorf("%d UP lines (a reload must not log one):\n%s", n, out)
	}
}
