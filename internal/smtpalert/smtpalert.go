// Package smtpalert sends keepalived 2.2.7's e-mail alerts (core/smtp.c):
// one SMTP session per alert — HELO, MAIL FROM, one RCPT TO per address,
// DATA with Date/From/Subject/X-Mailer/To headers and the body, QUIT —
// with keepalived's log lines.
//
// Alerts are queued and sent by one goroutine, so the VRRP loop and the
// checker never wait for a mail server; a full queue drops the alert and
// counts it.
package smtpalert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
)

// keepalived's buffer sizes (smtp.h): a subject is cut to 255 bytes, a
// body to 511, a reply that fills 1024 bytes ends the session, and the
// To header holds what fits in 1023.
const (
	maxSubject = 256 - 1
	maxBody    = 512 - 1
	bufMax     = 1024
)

// QueueLen is how many alerts may wait for the sender.
const QueueLen = 256

// Config is what global_defs says about alerts.
type Config struct {
	Server   string // host:port; "" sends nothing
	Helo     string // smtp_helo_name
	From     string // notification_email_from
	To       []string
	Timeout  time.Duration // smtp_connect_timeout: connect, and each read
	RouterID string
}

// Enabled: keepalived only sends with addresses and a server.
func (c *Config) Enabled() bool { return c != nil && c.Server != "" && len(c.To) > 0 }

// FromGlobal applies keepalived's defaults (init_global_data): router_id
// is the local name; with an smtp_server, the HELO name is the local name
// and the sender is user@localname (the daemon's user).
func FromGlobal(g *conf.GlobalDefs) Config {
	c := Config{Helo: g.SMTPHeloName, From: g.NotificationEmailFrom, To: g.NotificationEmail,
		Timeout: g.SMTPConnectTimeout, RouterID: g.RouterID}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if g.SMTPServer == nil || len(c.To) == 0 {
		return c // nothing is sent: no name to look up
	}
	needName := c.RouterID == "" || c.Helo == "" || c.From == ""
	name := ""
	if needName {
		name = LocalName()
	}
	if c.RouterID == "" {
		c.RouterID = name
	}
	c.Server = net.JoinHostPort(g.SMTPServer.Host, strconv.Itoa(int(g.SMTPServer.Port)))
	if name != "" {
		if c.From == "" {
			if u, err := user.LookupId(strconv.Itoa(os.Getuid())); err == nil {
				c.From = u.Username + "@" + name
			}
		}
		if c.Helo == "" {
			c.Helo = name
		}
	}
	return c
}

// LocalName is keepalived's get_local_name: the canonical name of the
// node name ("" if it cannot be resolved).
func LocalName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return ""
	}
	cn, err := net.LookupCNAME(h)
	if err != nil || cn == "" {
		if _, err := net.LookupHost(h); err != nil {
			return ""
		}
		return h
	}
	return strings.TrimSuffix(cn, ".")
}

// Message is one alert: Subject is the whole subject line.
type Message struct {
	Subject, Body string
	cfg           *Config
}

// VRRPSubject and the others format the subjects of smtp_alert().
func VRRPSubject(routerID, instance, what string) string {
	return fmt.Sprintf("[%s] VRRP Instance %s - %s", routerID, instance, what)
}

// GroupSubject is a sync group's.
func GroupSubject(routerID, group, what string) string {
	return fmt.Sprintf("[%s] VRRP Group %s - %s", routerID, group, what)
}

// RSSubject is a real server's: rs and vs as FMT_RS/FMT_VS, what "UP" or "DOWN".
func RSSubject(routerID, rs, vs, what string) string {
	return fmt.Sprintf("[%s] Realserver %s of virtual server %s - %s", routerID, rs, vs, what)
}

// VSSubject is a virtual server's.
func VSSubject(routerID, vs, what string) string {
	return fmt.Sprintf("[%s] Virtualserver %s - %s", routerID, vs, what)
}

// Sender sends queued alerts, one at a time.
type Sender struct {
	log     *slog.Logger
	cfg     atomic.Pointer[Config]
	q       chan Message
	dropped atomic.Uint64
	sent    atomic.Uint64
	// Now and Dial are replaceable by tests; Dial gives the socket's
	// descriptor (-1 if none was made) for keepalived's error line.
	Now  func() time.Time
	Dial func(network, addr string, timeout time.Duration) (net.Conn, int, error)

	once    sync.Once
	stop    chan struct{}
	done    chan struct{}
	pending sync.WaitGroup
}

// New starts a sender; log gets keepalived's lines.
func New(cfg Config, log *slog.Logger) *Sender {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Sender{log: log, q: make(chan Message, QueueLen), Now: time.Now, Dial: dial,
		stop: make(chan struct{}), done: make(chan struct{})}
	s.cfg.Store(&cfg)
	go s.run()
	return s
}

// Configure replaces the configuration (a reload); queued alerts keep
// the one they were made with.
func (s *Sender) Configure(cfg Config) { s.cfg.Store(&cfg) }

// Config returns the current configuration.
func (s *Sender) Config() Config { return *s.cfg.Load() }

// Enabled reports whether an alert would be sent at all.
func (s *Sender) Enabled() bool { return s != nil && s.cfg.Load().Enabled() }

// RouterID is the router_id subjects carry.
func (s *Sender) RouterID() string { return s.cfg.Load().RouterID }

// Send queues an alert and returns at once: nothing happens without
// addresses or a server, and a full queue drops it.
func (s *Sender) Send(subject, body string) {
	if s == nil {
		return
	}
	cfg := s.cfg.Load()
	if !cfg.Enabled() {
		return
	}
	s.pending.Add(1)
	select {
	case s.q <- Message{Subject: subject, Body: body, cfg: cfg}:
	default:
		s.pending.Done()
		if s.dropped.Add(1) == 1 || s.dropped.Load()%100 == 0 {
			s.log.Warn(fmt.Sprintf("SMTP alert queue full: %d alert(s) dropped", s.dropped.Load()))
		}
	}
}

// Dropped is how many alerts a full queue dropped; Sent how many
// sessions reached the 250 after the message.
func (s *Sender) Dropped() uint64 { return s.dropped.Load() }
func (s *Sender) Sent() uint64    { return s.sent.Load() }

// Close sends what is queued for at most wait (keepalived gives its
// shutdown alerts the second its VRRP process lingers), then stops.
func (s *Sender) Close(wait time.Duration) {
	if s == nil {
		return
	}
	idle := make(chan struct{})
	go func() { s.pending.Wait(); close(idle) }()
	select {
	case <-idle:
	case <-time.After(wait):
	}
	s.once.Do(func() { close(s.stop) })
	<-s.done
}

func (s *Sender) run() {
	defer close(s.done)
	for {
		select {
		case <-s.stop:
			return
		case m := <-s.q:
			s.session(m)
			s.pending.Done()
		}
	}
}

// Payload is what follows DATA: headers, body and the terminating dot.
func Payload(cfg *Config, subject, body string, now time.Time) string {
	return "Date: " + now.Format("Mon, 02 Jan 2006 15:04:05 -0700") + "\r\n" +
		"From: " + cfg.From + "\r\n" +
		"Subject: " + cut(subject, maxSubject) + "\r\n" +
		"X-Mailer: Keepalived\r\n" +
		"To: " + toHeader(cfg.To) + "\r\n\r\n" +
		cut(body, maxBody) + "\r\n" +
		"\r\n.\r\n"
}

func cut(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// toHeader joins the addresses with ", " while they fit keepalived's buffer.
func toHeader(to []string) string {
	var b strings.Builder
	avail := bufMax - 1
	for i, a := range to {
		if i > 0 {
			if avail < 2 {
				break
			}
			b.WriteString(", ")
			avail -= 2
		}
		if avail < len(a) {
			break
		}
		b.WriteString(a)
		avail -= len(a)
	}
	return b.String()
}

// dial connects, noting the socket's descriptor.
func dial(network, addr string, timeout time.Duration) (net.Conn, int, error) {
	fd := -1
	d := net.Dialer{Timeout: timeout, Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(f uintptr) { fd = int(f) })
	}}
	c, err := d.Dial(network, addr)
	return c, fd, err
}

// hostPair is FMT_SMTP_HOST: "[addr]:port".
func hostPair(addr string) string {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if a, err := netip.ParseAddr(h); err == nil {
		h = a.String()
	}
	return "[" + h + "]:" + p
}

type stage struct {
	name string // for "Error processing %s cmd"
	code int
}

var (
	stGreeting = stage{"(E)SMTP", 220}
	stHelo     = stage{"HELO", 250}
	stMail     = stage{"MAIL", 250}
	stRcpt     = stage{"RCPT", 250}
	stData     = stage{"DATA", 354}
	stBody     = stage{"BODY", 250}
	stQuit     = stage{"QUIT", 221}
)

var errClosed = errors.New("closed")

// session is one alert's SMTP conversation (smtp.c's FSM).
func (s *Sender) session(m Message) {
	cfg := m.cfg
	host := hostPair(cfg.Server)
	detail := s.log.Enabled(context.Background(), slog.LevelDebug) // -D: keepalived's LOG_DETAIL
	conn, fd, err := s.Dial("tcp", cfg.Server, cfg.Timeout)
	if err != nil {
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			s.log.Info(fmt.Sprintf("Timeout opening connection to remote SMTP server %s.", host))
		case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM),
			errors.Is(err, syscall.EADDRNOTAVAIL), fd < 0:
			// connect() failed at once: keepalived closes without a word
		default:
			// refused or unreachable once under way: epoll's error event
			s.log.Info(fmt.Sprintf("smtp fd %d returned write error", fd))
		}
		return
	}
	defer conn.Close()
	if ra := conn.RemoteAddr(); ra != nil {
		host = hostPair(ra.String()) // a server named by host name, as keepalived resolved it
	}
	if detail {
		s.log.Info(fmt.Sprintf("Remote SMTP server %s connected.", host))
	}
	c := &smtpConn{conn: conn, timeout: cfg.Timeout}
	helo := cfg.Helo
	if helo == "" {
		helo = "localhost"
	}
	// each step: what to send (nil: the greeting), what must answer
	type step struct {
		st  stage
		out string
	}
	steps := []step{{stGreeting, ""}, {stHelo, "HELO " + helo + "\r\n"}, {stMail, "MAIL FROM:<" + cfg.From + ">\r\n"}}
	for _, a := range cfg.To {
		steps = append(steps, step{stRcpt, "RCPT TO:<" + a + ">\r\n"})
	}
	steps = append(steps, step{stData, "DATA\r\n"}, step{stBody, Payload(cfg, m.Subject, m.Body, s.Now())})
	for _, st := range steps {
		if st.out != "" && !s.write(c, host, st.out) {
			return
		}
		code, err := s.reply(c, host)
		if err != nil {
			if errors.Is(err, errClosed) {
				return
			}
			break // timeout, read error, overflow: QUIT
		}
		if code != st.st.code {
			s.log.Info(fmt.Sprintf("Error processing %s cmd on SMTP server %s. SMTP status code = %d", st.st.name, host, code))
			break
		}
		if st.st == stBody {
			s.sent.Add(1)
			if detail {
				s.log.Info("SMTP alert successfully sent.")
			}
		}
	}
	if !s.write(c, host, "QUIT\r\n") {
		return
	}
	// keepalived would QUIT again on an unexpected answer; one is enough
	if code, err := s.reply(c, host); err == nil && code != stQuit.code {
		s.log.Info(fmt.Sprintf("Error processing %s cmd on SMTP server %s. SMTP status code = %d", stQuit.name, host, code))
	}
}

func (s *Sender) write(c *smtpConn, host, out string) bool {
	c.conn.SetWriteDeadline(time.Now().Add(c.timeout))
	if _, err := c.conn.Write([]byte(out)); err != nil {
		s.log.Info(fmt.Sprintf("Cannot send data to remote SMTP server %s.", host))
		return false
	}
	return true
}

// reply reads up to a reply's last line ("NNN text", not "NNN-text") and
// returns its code; errClosed when the server closed (nothing more to
// do), other errors mean QUIT.
func (s *Sender) reply(c *smtpConn, host string) (int, error) {
	for {
		if code, ok := c.parse(); ok {
			return code, nil
		}
		if len(c.buf) >= bufMax-1 {
			s.log.Info(fmt.Sprintf("Received buffer from remote SMTP server %s overflow our get read buffer length.", host))
			c.buf = c.buf[:0]
			return 0, errors.New("overflow")
		}
		c.conn.SetReadDeadline(time.Now().Add(c.timeout))
		var tmp [bufMax]byte
		n, err := c.conn.Read(tmp[:bufMax-len(c.buf)])
		if n > 0 {
			if len(c.buf)+n >= bufMax {
				s.log.Info(fmt.Sprintf("Received buffer from remote SMTP server %s overflow our get read buffer length.", host))
				c.buf = c.buf[:0]
				return 0, errors.New("overflow")
			}
			c.buf = append(c.buf, tmp[:n]...)
			continue
		}
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			s.log.Info(fmt.Sprintf("Timeout reading data to remote SMTP server %s.", host))
			return 0, err
		case err != nil && !errors.Is(err, net.ErrClosed) && !isEOF(err):
			s.log.Info(fmt.Sprintf("Error reading data from remote SMTP server %s.", host))
			return 0, err
		default:
			s.log.Info(fmt.Sprintf("Remote SMTP server %s has closed the connection.", host))
			return 0, errClosed
		}
	}
}

func isEOF(err error) bool { return errors.Is(err, io.EOF) }

type smtpConn struct {
	conn    net.Conn
	timeout time.Duration
	buf     []byte
}

// parse takes complete lines off buf: continuation lines ("250-...") are
// skipped, the first final line gives the code.
func (c *smtpConn) parse() (int, bool) {
	for {
		i := bytes.Index(c.buf, []byte("\r\n"))
		if i < 0 {
			return 0, false
		}
		line := c.buf[:i]
		cont := len(line) > 3 && line[3] == '-'
		code := -1
		if len(line) >= 3 {
			code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
		}
		c.buf = append(c.buf[:0], c.buf[i+2:]...) // line is overwritten
		if cont {
			continue
		}
		return code, true
	}
}
