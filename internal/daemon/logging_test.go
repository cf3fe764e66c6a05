package daemon

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Without a syslog socket, lines are dropped and the socket is tried
// again once a second, not at every line; once it exists, lines reach
// it under the subsystem's ident.
func TestSyslogRetriedOnceASecond(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	log := WithIdent(NewLogger(LogOptions{Syslog: true, SyslogAddr: path}), IdentCheck)
	log.Info("before the socket")
	FlushLog(log)
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := make(chan string, 16)
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := c.Read(b)
			if err != nil {
				return
			}
			got <- string(b[:n])
		}
	}()
	log.Info("within the second")
	select {
	case m := <-got:
		t.Fatalf("syslog opened again at the next line: %q", m)
	case <-time.After(1100 * time.Millisecond):
	}
	log.Info("Activating healthchecker after the second")
	select {
	case m := <-got:
		if !strings.Contains(m, IdentCheck+"[") || !strings.HasSuffix(strings.TrimSpace(m), "Activating healthchecker after the second") {
			t.Errorf("syslog line %q", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no line after the socket appeared")
	}
}

// blockingWriter stalls every write until released, like a console pipe
// or a journald that stopped reading.
type blockingWriter struct {
	release chan struct{}
	mu      sync.Mutex
	lines   []string
}

func (w *blockingWriter) Write(b []byte) (int, error) {
	<-w.release
	w.mu.Lock()
	w.lines = append(w.lines, string(b))
	w.mu.Unlock()
	return len(b), nil
}

// TestLoggingNeverBlocks: with the sink stalled, logging returns at once
// (the VRRP loop never waits on it); lines past the queue are dropped and
// counted, and the count is logged once the sink moves again.
func TestLoggingNeverBlocks(t *testing.T) {
	w := &blockingWriter{release: make(chan struct{})}
	log := NewLogger(LogOptions{Console: w})
	line := strings.Repeat("x", 64<<10)
	n := LogQueue/len(line) + 100
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf("line %d %s", i, line)
	}
	start := time.Now()
	for _, l := range lines {
		log.Info(l)
	}
	if el := time.Since(start); el > 30*time.Second { // would be forever if logging blocked
		t.Fatalf("%d lines took %v with the sink stalled", n, el)
	}
	close(w.release)
	FlushLog(log)
	w.mu.Lock()
	defer w.mu.Unlock()
	var dropped string
	for _, l := range w.lines {
		if strings.Contains(l, "log message(s) dropped") {
			dropped = l
		}
	}
	if dropped == "" || len(w.lines) < LogQueue/(len(line)+10) || len(w.lines) > n {
		t.Errorf("%d lines written of %d, drop note %q", len(w.lines), n, dropped)
	}
	first := ""
	for _, l := range w.lines {
		if !strings.Contains(l, "log message(s) dropped") {
			first = l
			break
		}
	}
	if !strings.Contains(first, ": line 0 x") { // what was queued is kept, in order
		t.Errorf("first line logged %.40q", first)
	}
}

// In a network namespace every ident carries its name, as keepalived's
// make_syslog_ident(): Keepalived_NAME, Keepalived_vrrp_NAME.
func TestSyslogIdentSuffix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	log := NewLogger(LogOptions{Syslog: true, SyslogAddr: path, IdentSuffix: "_ns1"})
	log.Info("parent line")
	WithIdent(log, IdentVRRP).Info("vrrp line")
	FlushLog(log)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 4096)
	for _, want := range []string{"Keepalived_ns1[", "Keepalived_vrrp_ns1["} {
		n, err := c.Read(b)
		if err != nil || !strings.Contains(string(b[:n]), want) {
			t.Errorf("syslog line %q (%v), want ident %s", b[:n], err, want)
		}
	}
}

// keepalived's -D adds lines, never a key=value tail to its event lines:
// an info line reads the same with and without -D; debug, warning and
// error lines carry their details.
func TestDetailKeepsEventLinesVerbatim(t *testing.T) {
	for _, detail := range []bool{false, true} {
		var b strings.Builder
		var mu sync.Mutex
		w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return b.Write(p) })
		log := NewLogger(LogOptions{Console: w, Detail: detail}).With("instance", "VI_1")
		log.Info("(VI_1) Entering MASTER STATE", "state", "MASTER")
		log.Warn("(VI_1) something odd", "err", "x")
		FlushLog(log)
		mu.Lock()
		out := b.String()
		mu.Unlock()
		if !strings.Contains(out, ": (VI_1) Entering MASTER STATE\n") {
			t.Errorf("detail=%v: the event line has a tail: %q", detail, out)
		}
		if !strings.Contains(out, "(VI_1) something odd instance=VI_1 err=x") {
			t.Errorf("detail=%v: the warning lost its details: %q", detail, out)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
