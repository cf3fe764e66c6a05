package notifyfifo

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/script"
)

func TestLines(t *testing.T) {
	for got, want := range map[string]string{
		Instance("VI_1", "MASTER", 150):                        "INSTANCE \"VI_1\" MASTER 150\n",
		Group("G 1", "FAULT"):                                  "GROUP \"G 1\" FAULT 0\n",
		VS("[10.0.0.1]:tcp:80", true):                          "VS [10.0.0.1]:tcp:80 UP\n",
		RS("[192.168.1.2]:tcp:80", "[10.0.0.1]:tcp:80", false): "RS [192.168.1.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN\n",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestOpenWriteClose(t *testing.T) {
	dir := t.TempDir()
	g, v := filepath.Join(dir, "global"), filepath.Join(dir, "vrrp")
	var started [][]string
	start := func(_ context.Context, argv []string, _, _ string, _ func()) error {
		started = append(started, argv)
		return nil
	}
	s := Open(conf.NotifyFIFO{Name: g, Script: &conf.Script{Argv: []string{"/bin/reader", "-x"}}},
		conf.NotifyFIFO{Name: v}, "vrrp_", start, nil)
	if !s.Active() {
		t.Fatal("no FIFO open")
	}
	if !slices.EqualFunc(started, [][]string{{"/bin/reader", "-x", g}}, slices.Equal) {
		t.Fatalf("scripts started: %v", started)
	}
	for _, p := range []string{g, v} {
		st, err := os.Stat(p)
		if err != nil || st.Mode()&os.ModeNamedPipe == 0 {
			t.Fatalf("%s: %v %v", p, st, err)
		}
	}
	// Readers opened after the writer see every line, in order.
	rg, _ := os.OpenFile(g, os.O_RDONLY, 0)
	rv, _ := os.OpenFile(v, os.O_RDONLY, 0)
	defer rg.Close()
	defer rv.Close()
	s.Write(Instance("VI_1", "BACKUP", 100))
	s.Write(Group("G1", "BACKUP"))
	for _, r := range []*os.File{rg, rv} {
		sc := bufio.NewScanner(r)
		for _, want := range []string{`INSTANCE "VI_1" BACKUP 100`, `GROUP "G1" BACKUP 0`} {
			if !sc.Scan() || sc.Text() != want {
				t.Fatalf("%s: read %q, want %q", r.Name(), sc.Text(), want)
			}
		}
	}
	// Nobody reading: writes are dropped once the pipe is full, never
	// blocking.
	for range 10000 {
		s.Write(Instance("VI_1", "MASTER", 150))
	}
	s.Close()
	for _, p := range []string{g, v} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Fatalf("%s left behind: %v", p, err)
		}
	}
	s.Write("after close\n") // no-op
}

func TestSameAsGlobal(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	s := Open(conf.NotifyFIFO{Name: p}, conf.NotifyFIFO{Name: p}, "vrrp_", nil, nil)
	defer s.Close()
	if len(s.fifos) != 1 {
		t.Fatalf("%d FIFOs for one path", len(s.fifos))
	}
	// An existing FIFO is used and left in place.
	s2 := Open(conf.NotifyFIFO{Name: p}, conf.NotifyFIFO{}, "vrrp_", nil, nil)
	s2.Close()
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("a FIFO we did not create was removed: %v", err)
	}
	var nilSet *Set
	nilSet.Write("x\n")
	if nilSet.Active() {
		t.Fatal("nil set active")
	}
	// An unusable path is logged, not fatal.
	if s3 := Open(conf.NotifyFIFO{Name: "/nonexistent/dir/f"}, conf.NotifyFIFO{}, "vrrp_", nil, nil); s3.Active() {
		t.Fatal("opened a FIFO in a missing directory")
	}
}

// The FIFO script through the real launcher: started with the FIFO's
// path appended, and ended (its whole process group) when the FIFO set
// closes, as keepalived's script_killall at shutdown.
func TestScriptRealStartStop(t *testing.T) {
	dir := t.TempDir()
	fifo, args := filepath.Join(dir, "fifo"), filepath.Join(dir, "args")
	sc := filepath.Join(dir, "reader.sh")
	// ignores SIGTERM and EOF: only the group SIGKILL ends it
	os.WriteFile(sc, []byte("#!/bin/sh\ntrap '' TERM\necho \"$*\" > "+args+"\nwhile :; do sleep 1; done\n"), 0o755)
	r := &script.Runner{}
	start := func(ctx context.Context, argv []string, user, group string, exited func()) error {
		return r.Start(ctx, script.Cmd{Argv: argv, User: user, Group: group}, 0, func(script.Result) { exited() })
	}
	var mu sync.Mutex
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logged}, nil))
	s := Open(conf.NotifyFIFO{}, conf.NotifyFIFO{Name: fifo, Script: &conf.Script{Argv: []string{sc, "a b"}}}, "lvs_", start, log)
	if !s.Active() {
		t.Fatal("no FIFO open")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if b, _ := os.ReadFile(args); string(b) == "a b "+fifo+"\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("script not started with the FIFO path appended")
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.Close()
	closed := time.Now()
	for {
		mu.Lock()
		done := strings.Contains(logged.String(), `msg="lvs notify fifo script terminated"`)
		mu.Unlock()
		if done {
			break
		}
		if time.Since(closed) > 5*time.Second {
			t.Fatal("FIFO script not ended by Close")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if d := time.Since(closed); d < script.StopGrace-100*time.Millisecond {
		t.Errorf("ended after %v, before the grace period", d)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
