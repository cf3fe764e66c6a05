package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Syslog idents keepalived 2.2.7 uses per process; log greps and
// rsyslog filters key on them, so each subsystem keeps its own.
const (
	IdentParent = "Keepalived"
	IdentVRRP   = "Keepalived_vrrp"
	IdentCheck  = "Keepalived_healthcheckers"
	IdentBFD    = "Keepalived_bfd"
	IdentBGP    = "gokeepalived_bgp"
)

// identKey is the slog attribute naming the process a line belongs to.
const identKey = "ident"

// ParseFacility reads -S: 0-7 mean local0-7, as keepalived; the names
// local0-7, user and daemon are accepted too.
func ParseFacility(s string) (syslog.Priority, error) {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 7 {
		return syslog.LOG_LOCAL0 + syslog.Priority(n)<<3, nil
	}
	switch {
	case s == "user":
		return syslog.LOG_USER, nil
	case s == "daemon":
		return syslog.LOG_DAEMON, nil
	case strings.HasPrefix(s, "local") && len(s) == 6 && s[5] >= '0' && s[5] <= '7':
		return syslog.LOG_LOCAL0 + syslog.Priority(s[5]-'0')<<3, nil
	}
	return 0, fmt.Errorf("Invalid log facility '%s'", s)
}

// LogOptions mirror -l, -G, -S and -D.
type LogOptions struct {
	Console io.Writer // -l: nil means no console output
	Syslog  bool      // false with -G
	// SyslogAddr is a unixgram socket to log to instead of /dev/log
	// (benchmarks measure the syslog writes without a syslog daemon).
	SyslogAddr string
	Facility   syslog.Priority
	Detail     bool // -D: debug lines too
	// IdentSuffix follows every syslog ident ("_NAME" in a network
	// namespace: Keepalived_vrrp_NAME, as keepalived's make_syslog_ident).
	IdentSuffix string
	Now         func() time.Time
}

// NewLogger returns a logger that writes keepalived-style lines: on the
// console "Mon Nov 23 17:22:40 2026: message", and to syslog under the
// ident of the subsystem (set with With("ident", IdentVRRP)).
//
// Lines are queued and written by one goroutine: a console or syslog
// that stalls (a full pipe, journald not reading) never blocks the
// caller, the VRRP loop least of all. When the queue is full a line is
// dropped and counted, and the writer says how many it lost.
func NewLogger(o LogOptions) *slog.Logger {
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &logSink{opt: o, writers: map[string]*syslog.Writer{}, wake: make(chan struct{}, 1)}
	go s.run()
	return slog.New(&kaHandler{out: s, ident: IdentParent})
}

// LogQueue is how many bytes of lines may wait for the writer before
// lines are dropped: a reload of 37k real servers logs 37k lines at once
// and keeps them all; only a sink stalled for long loses lines.
const LogQueue = 16 << 20

// FlushLog waits until every line logged so far through l is written (at
// most 10 s: a stalled sink does not hold up an exit for good).
func FlushLog(l *slog.Logger) {
	h, ok := l.Handler().(*kaHandler)
	if !ok {
		return
	}
	done := make(chan struct{})
	h.out.push(logLine{flushed: done}, true)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
}

type logLine struct {
	ident   string
	level   slog.Level
	msg     string
	at      time.Time
	flushed chan struct{} // a flush marker, not a line
}

type logSink struct {
	opt     LogOptions
	mu      sync.Mutex
	q       []logLine
	qBytes  int
	wake    chan struct{}
	dropped atomic.Uint64
	// The rest belongs to the writer goroutine.
	writers map[string]*syslog.Writer // by ident, opened on first use
	// failed is when opening syslog last failed: retried once a second,
	// not at every line (a dial of every socket kind and path, 80 µs;
	// 37k lines at a reload took 2.9 s without a syslog daemon)
	failed time.Time
	// console line buffer and its time prefix, formatted once a second
	// (a reload of 37k real servers logs 37k lines)
	buf     []byte
	stamp   string
	stampAt int64
}

func (s *logSink) write(ident string, l slog.Level, msg string) error {
	s.push(logLine{ident: ident, level: l, msg: msg, at: s.opt.Now()}, false)
	return nil
}

// push queues a line, or drops and counts it when LogQueue bytes wait;
// a flush marker always goes in.
func (s *logSink) push(ln logLine, always bool) {
	s.mu.Lock()
	if !always && s.qBytes+len(ln.msg) > LogQueue {
		s.mu.Unlock()
		s.dropped.Add(1)
		return
	}
	s.q = append(s.q, ln)
	s.qBytes += len(ln.msg)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *logSink) run() {
	var batch []logLine
	for range s.wake {
		s.mu.Lock()
		batch, s.q = s.q, batch[:0]
		s.mu.Unlock()
		for i, ln := range batch {
			if n := s.dropped.Swap(0); n > 0 {
				s.emit(logLine{ident: ln.ident, level: slog.LevelWarn, at: s.opt.Now(),
					msg: fmt.Sprintf("%d log message(s) dropped: the log could not keep up", n)})
			}
			if ln.flushed != nil {
				close(ln.flushed)
			} else {
				s.emit(ln)
			}
			// a line counts against LogQueue until it is written
			s.mu.Lock()
			s.qBytes -= len(ln.msg)
			s.mu.Unlock()
			batch[i] = logLine{} // no message kept alive by the reused slice
		}
	}
}

type kaHandler struct {
	out   *logSink
	ident string
	attrs string // pre-formatted " k=v" pairs
}

func (h *kaHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || h.out.opt.Detail
}

func (h *kaHandler) Handle(_ context.Context, r slog.Record) error {
	// keepalived's event lines carry no key=value tail, with or without
	// -D, and greps or alerts may match whole lines; details show on
	// debug lines (-D) and on warnings and errors.
	if r.Level == slog.LevelInfo {
		return h.out.write(h.ident, r.Level, r.Message) // the common line, no copy
	}
	var b strings.Builder
	b.WriteString(r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		writeAttr(&b, a)
		return true
	})
	return h.out.write(h.ident, r.Level, b.String())
}

func writeAttr(b *strings.Builder, a slog.Attr) {
	fmt.Fprintf(b, " %s=%v", a.Key, a.Value.Any())
}

func (h *kaHandler) WithAttrs(as []slog.Attr) slog.Handler {
	n := *h
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range as {
		if a.Key == identKey {
			n.ident = a.Value.String()
			continue
		}
		writeAttr(&b, a)
	}
	n.attrs = b.String()
	return &n
}

// Groups are flattened: keepalived's lines have no structure to nest.
func (h *kaHandler) WithGroup(string) slog.Handler { return h }

func (s *logSink) emit(ln logLine) {
	ident, l, msg := ln.ident, ln.level, ln.msg
	if s.opt.Console != nil {
		now := ln.at
		if sec := now.Unix(); sec != s.stampAt || s.stamp == "" {
			s.stamp, s.stampAt = now.Format("Mon Jan _2 15:04:05 2006"), sec
		}
		s.buf = append(append(append(append(s.buf[:0], s.stamp...), ": "...), msg...), '\n')
		s.opt.Console.Write(s.buf)
		if cap(s.buf) > 64<<10 {
			s.buf = nil // one huge line does not stay allocated
		}
	}
	if !s.opt.Syslog {
		return
	}
	w := s.writers[ident]
	if w == nil {
		tag := ident + s.opt.IdentSuffix
		if time.Since(s.failed) < time.Second {
			return
		}
		var err error
		// No syslog daemon is not fatal: keepalived runs on without one.
		if s.opt.SyslogAddr != "" {
			w, err = syslog.Dial("unixgram", s.opt.SyslogAddr, s.opt.Facility|syslog.LOG_INFO, tag)
		} else {
			w, err = syslog.New(s.opt.Facility|syslog.LOG_INFO, tag)
		}
		if err != nil {
			s.failed = time.Now()
			return
		}
		s.writers[ident] = w
	}
	switch {
	case l >= slog.LevelError:
		w.Err(msg)
	case l >= slog.LevelWarn:
		w.Warning(msg)
	case l >= slog.LevelInfo:
		w.Info(msg)
	default:
		w.Debug(msg)
	}
}

// WithIdent returns a logger whose lines go to syslog under ident.
func WithIdent(l *slog.Logger, ident string) *slog.Logger {
	return l.With(identKey, ident)
}
