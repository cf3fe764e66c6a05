package smtpalert

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"os/user"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/smtpalert/smtptest"
)

// recLog records the messages logged.
type recLog struct {
	mu    sync.Mutex
	msgs  []string
	debug bool
}

func (r *recLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo || r.debug }
func (r *recLog) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.msgs = append(r.msgs, rec.Message)
	r.mu.Unlock()
	return nil
}
func (r *recLog) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recLog) WithGroup(string) slog.Handler      { return r }
func (r *recLog) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

var fixed = time.Date(2021, 3, 1, 9, 44, 8, 0, time.FixedZone("", 0))

func newSender(t *testing.T, cfg Config, debug bool) (*Sender, *recLog) {
	rl := &recLog{debug: debug}
	s := New(cfg, slog.New(rl))
	s.Now = func() time.Time { return fixed }
	t.Cleanup(func() { s.Close(0) })
	return s, rl
}

// The session keepalived 2.2.7 holds for a VRRP alert (core/smtp.c and
// smtp.h's command formats), two recipients.
func TestSessionTranscript(t *testing.T) {
	srv, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg := Config{Server: srv.Addr().String(), Helo: "lb1.example", From: "keepalived@lb1.example",
		To: []string{"a@example.com", "b@example.com"}, Timeout: 5 * time.Second, RouterID: "LVS_1"}
	s, rl := newSender(t, cfg, true)
	s.Send(VRRPSubject(s.RouterID(), "VI_1", "Entering MASTER state"), "=> VRRP Instance is now owning VRRP VIPs <=")
	ss := srv.Wait(1, 10*time.Second)
	if len(ss) != 1 {
		t.Fatalf("sessions: %q", ss)
	}
	want := []string{
		"S: 220 smtptest ESMTP",
		"C: HELO lb1.example",
		"S: 250 smtptest",
		"C: MAIL FROM:<keepalived@lb1.example>",
		"S: 250 2.1.0 Ok",
		"C: RCPT TO:<a@example.com>",
		"S: 250 2.1.0 Ok",
		"C: RCPT TO:<b@example.com>",
		"S: 250 2.1.0 Ok",
		"C: DATA",
		"S: 354 End data with <CR><LF>.<CR><LF>",
		"C: Date: Mon, 01 Mar 2021 09:44:08 +0000",
		"C: From: keepalived@lb1.example",
		"C: Subject: [LVS_1] VRRP Instance VI_1 - Entering MASTER state",
		"C: X-Mailer: Keepalived",
		"C: To: a@example.com, b@example.com",
		"C: ",
		"C: => VRRP Instance is now owning VRRP VIPs <=",
		"C: ",
		"C: .",
		"S: 250 2.0.0 Ok: queued",
		"C: QUIT",
		"S: 221 2.0.0 Bye",
	}
	if !slices.Equal(ss[0], want) {
		t.Errorf("session:\n%s\nwant:\n%s", strings.Join(ss[0], "\n"), strings.Join(want, "\n"))
	}
	waitLog(t, rl, "SMTP alert successfully sent.")
	host := "[127.0.0.1]:" + strings.Split(cfg.Server, ":")[1]
	if got := rl.lines(); !slices.Equal(got, []string{"Remote SMTP server " + host + " connected.", "SMTP alert successfully sent."}) {
		t.Errorf("log: %q", got)
	}
	if s.Sent() != 1 {
		t.Errorf("Sent() = %d", s.Sent())
	}
}

func waitLog(t *testing.T, rl *recLog, line string) {
	t.Helper()
	for range 500 {
		if slices.Contains(rl.lines(), line) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %q in %q", line, rl.lines())
}

// Without -D keepalived logs nothing for a good session.
func TestQuietWithoutDetail(t *testing.T) {
	srv, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	s, rl := newSender(t, Config{Server: srv.Addr().String(), From: "f@x", To: []string{"t@x"}, Timeout: 5 * time.Second}, false)
	s.Send("x", "y")
	if ss := srv.Wait(1, 10*time.Second); len(ss) != 1 {
		t.Fatal("no session")
	}
	s.Close(time.Second)
	if got := rl.lines(); len(got) != 0 {
		t.Errorf("log: %q", got)
	}
	// HELO without smtp_helo_name is "localhost"
	if got := srv.Sessions()[0][1]; got != "C: HELO localhost" {
		t.Errorf("HELO line %q", got)
	}
}

// scripted serves one connection with the given replies, one per line
// read (the first before reading), recording what it read.
func scripted(t *testing.T, replies ...string) (addr string, got func() []string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var lines []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := l.Accept()
		l.Close()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		for i, rep := range replies {
			if i > 0 {
				ln, err := r.ReadString('\n')
				mu.Lock()
				lines = append(lines, strings.TrimRight(ln, "\r\n"))
				mu.Unlock()
				if err != nil {
					return
				}
			}
			if rep == "<hang>" {
				time.Sleep(3 * time.Second)
				continue
			}
			c.Write([]byte(rep))
		}
		// drain the rest until the client closes
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			ln, err := r.ReadString('\n')
			if ln != "" {
				mu.Lock()
				lines = append(lines, strings.TrimRight(ln, "\r\n"))
				mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { l.Close() })
	return l.Addr().String(), func() []string {
		<-done
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(lines)
	}
}

func TestRejectedRecipientQuits(t *testing.T) {
	addr, got := scripted(t, "220-first\r\n220 second\r\n", "250 hi\r\n", "250 ok\r\n", "550 no such user\r\n", "221 bye\r\n")
	s, rl := newSender(t, Config{Server: addr, From: "f@x", To: []string{"t@x", "u@x"}, Timeout: 5 * time.Second}, false)
	s.Send("subj", "body")
	lines := got()
	if want := []string{"HELO localhost", "MAIL FROM:<f@x>", "RCPT TO:<t@x>", "QUIT"}; !slices.Equal(lines, want) {
		t.Errorf("client sent %q, want %q", lines, want)
	}
	s.Close(time.Second)
	if want := "Error processing RCPT cmd on SMTP server [127.0.0.1]:" + strings.Split(addr, ":")[1] + ". SMTP status code = 550"; !slices.Equal(rl.lines(), []string{want}) {
		t.Errorf("log %q, want %q", rl.lines(), want)
	}
}

func TestReadTimeoutQuits(t *testing.T) {
	addr, got := scripted(t, "220 hi\r\n", "<hang>", "221 bye\r\n")
	s, rl := newSender(t, Config{Server: addr, From: "f@x", To: []string{"t@x"}, Timeout: time.Second}, false)
	s.Send("subj", "body")
	lines := got()
	if want := []string{"HELO localhost", "QUIT"}; !slices.Equal(lines, want) {
		t.Errorf("client sent %q, want %q", lines, want)
	}
	s.Close(time.Second)
	host := "[127.0.0.1]:" + strings.Split(addr, ":")[1]
	if want := "Timeout reading data to remote SMTP server " + host + "."; !slices.Contains(rl.lines(), want) {
		t.Errorf("log %q, want %q", rl.lines(), want)
	}
}

// A reply that fills keepalived's 1024-byte buffer ends the exchange.
func TestOverflowQuits(t *testing.T) {
	addr, got := scripted(t, strings.Repeat("x", 1100), "221 bye\r\n")
	s, rl := newSender(t, Config{Server: addr, From: "f@x", To: []string{"t@x"}, Timeout: 2 * time.Second}, false)
	s.Send("subj", "body")
	if lines := got(); !slices.Equal(lines, []string{"QUIT"}) {
		t.Errorf("client sent %q", lines)
	}
	s.Close(time.Second)
	host := "[127.0.0.1]:" + strings.Split(addr, ":")[1]
	if want := "Received buffer from remote SMTP server " + host + " overflow our get read buffer length."; !slices.Contains(rl.lines(), want) {
		t.Errorf("log %q, want %q", rl.lines(), want)
	}
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s, rl := newSender(t, Config{Server: addr, From: "f@x", To: []string{"t@x"}, Timeout: time.Second}, false)
	s.Send("subj", "body")
	// keepalived: connect() under way, then epoll's error event
	for range 500 {
		if l := rl.lines(); len(l) == 1 {
			if !regexp.MustCompile(`^smtp fd \d+ returned write error$`).MatchString(l[0]) {
				t.Errorf("log %q", l)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("log %q", rl.lines())
}

// Send never waits for the server: with the sender stuck, the queue
// fills, further alerts are dropped and counted.
func TestFullQueueDrops(t *testing.T) {
	block := make(chan struct{})
	rl := &recLog{}
	s := New(Config{Server: "192.0.2.1:25", From: "f@x", To: []string{"t@x"}, Timeout: time.Second}, slog.New(rl))
	s.Dial = func(string, string, time.Duration) (net.Conn, int, error) { <-block; return nil, -1, net.ErrClosed }
	start := time.Now()
	for range QueueLen + 10 {
		s.Send("s", "b")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Send blocked for %v", d)
	}
	// one alert is being sent, QueueLen wait, the rest are dropped
	if got := s.Dropped(); got < 9 || got > 10 {
		t.Errorf("Dropped() = %d, want 9 or 10", got)
	}
	close(block)
	s.Close(5 * time.Second)
}

func TestDisabledSendsNothing(t *testing.T) {
	for _, cfg := range []Config{{Server: "127.0.0.1:1"}, {To: []string{"a@b"}}} {
		s := New(cfg, nil)
		called := false
		s.Dial = func(string, string, time.Duration) (net.Conn, int, error) {
			called = true
			return nil, -1, net.ErrClosed
		}
		s.Send("s", "b")
		s.Close(time.Second)
		if called {
			t.Errorf("%+v: dialled", cfg)
		}
	}
}

func TestPayloadLimits(t *testing.T) {
	cfg := &Config{From: "f@x", To: []string{strings.Repeat("a", 1000), strings.Repeat("b", 30)}}
	p := Payload(cfg, strings.Repeat("s", 300), strings.Repeat("b", 600), fixed)
	lines := strings.Split(p, "\r\n")
	if got := lines[2]; got != "Subject: "+strings.Repeat("s", 255) {
		t.Errorf("subject %d bytes", len(got))
	}
	// the second address does not fit keepalived's To buffer: only the comma does
	if got := lines[4]; got != "To: "+strings.Repeat("a", 1000)+", " {
		t.Errorf("To header %q", got[len(got)-5:])
	}
	if got := lines[6]; got != strings.Repeat("b", 511) {
		t.Errorf("body %d bytes", len(got))
	}
}

func TestSubjects(t *testing.T) {
	for _, c := range [][2]string{
		{VRRPSubject("R", "VI_1", "Entering BACKUP state"), "[R] VRRP Instance VI_1 - Entering BACKUP state"},
		{GroupSubject("R", "G", "Stopping"), "[R] VRRP Group G - Stopping"},
		{RSSubject("R", "[10.0.0.2]:tcp:80", "[10.0.0.1]:tcp:80", "DOWN"), "[R] Realserver [10.0.0.2]:tcp:80 of virtual server [10.0.0.1]:tcp:80 - DOWN"},
		{VSSubject("R", "[10.0.0.1]:tcp:80", "UP"), "[R] Virtualserver [10.0.0.1]:tcp:80 - UP"},
	} {
		if c[0] != c[1] {
			t.Errorf("%q, want %q", c[0], c[1])
		}
	}
}

// keepalived's defaults with an smtp_server: router_id, the HELO name
// and the sender's domain are the local name, the sender the daemon's
// user; explicit settings stay.
func TestFromGlobalDefaults(t *testing.T) {
	name := LocalName()
	if name == "" {
		t.Skip("this host's name does not resolve")
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	g := &conf.GlobalDefs{SMTPServer: &conf.SMTPServer{Host: "127.0.0.1", Port: 2525}, NotificationEmail: []string{"a@b"}}
	c := FromGlobal(g)
	want := Config{Server: "127.0.0.1:2525", Helo: name, From: u.Username + "@" + name, To: []string{"a@b"}, Timeout: 30 * time.Second, RouterID: name}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults %+v, want %+v", c, want)
	}
	g.RouterID, g.SMTPHeloName, g.NotificationEmailFrom, g.SMTPConnectTimeout = "R", "h", "f@x", 5*time.Second
	c = FromGlobal(g)
	want = Config{Server: "127.0.0.1:2525", Helo: "h", From: "f@x", To: []string{"a@b"}, Timeout: 5 * time.Second, RouterID: "R"}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("explicit %+v, want %+v", c, want)
	}
	// no server: nothing is sent
	if c := FromGlobal(&conf.GlobalDefs{NotificationEmail: []string{"a@b"}}); c.Enabled() {
		t.Errorf("enabled without smtp_server: %+v", c)
	}
	if got := hostPair("[::1]:25"); got != "[::1]:25" {
		t.Errorf("hostPair = %q", got)
	}
}
