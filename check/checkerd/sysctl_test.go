package checkerd

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
)

// fakeSysctl is net.ipv4.vs.* with the writes made to it.
type fakeSysctl struct {
	mu     sync.Mutex
	v      map[string]int
	writes []string
}

func (f *fakeSysctl) Read(name string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.v[name], nil
}

func (f *fakeSysctl) Write(name string, v int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.v[name] = v
	f.writes = append(f.writes, name+"="+string(rune('0'+v)))
	return nil
}

func (f *fakeSysctl) take() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := strings.Join(f.writes, " ")
	f.writes = nil
	return s
}

// TestIPVSSysctl: ipvs_sysctl is set at start, follows a reload, puts
// back the value found at start when dropped and at stop, and -I keeps it.
func TestIPVSSysctl(t *testing.T) {
	load := func(body string) string {
		return "ipvs_sysctl {\n" + body + "}\n"
	}
	for _, keep := range []bool{false, true} {
		sc := &fakeSysctl{v: map[string]int{"sloppy_tcp": 0, "sloppy_sctp": 1}}
		var logb syncWriter
		c := New(daemon.NewLogger(daemon.LogOptions{Console: &logb}), Options{KeepIPVS: keep, Sysctl: sc},
			func() (Handle, error) { return &fakeHandle{Fake: ipvsfake.New()}, nil })
		cfg, diags := loadString(t, load(" sloppy_tcp\n sloppy_sctp off\n"))
		if diags.ExitCode() != 0 {
			t.Fatal(diags.List)
		}
		ctx := context.Background()
		if err := c.Start(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		if got := sc.take(); got != "sloppy_sctp=0 sloppy_tcp=1" {
			t.Errorf("start wrote %q", got)
		}
		cfg, _ = loadString(t, load(" sloppy_tcp on\n"))
		if err := c.Reload(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		if got := sc.take(); got != "sloppy_sctp=1" {
			t.Errorf("reload without sloppy_sctp wrote %q, want it restored", got)
		}
		cfg, _ = loadString(t, load(" sloppy_tcp\n"))
		c.Reload(ctx, cfg)
		if got := sc.take(); got != "" {
			t.Errorf("unchanged reload wrote %q", got)
		}
		c.Stop(ctx)
		want := "sloppy_tcp=0"
		if keep {
			want = ""
		}
		if got := sc.take(); got != want {
			t.Errorf("stop (-I %v) wrote %q, want %q", keep, got, want)
		}
		if !strings.Contains(logb.String(), "ipvs_sysctl: net.ipv4.vs.sloppy_tcp = 1 (was 0)") {
			t.Errorf("log:\n%s", logb.String())
		}
	}
}
