// Package smtptest is a recording SMTP server for tests: it answers
// 220/250/354/221 and keeps every session's lines, both directions.
package smtptest

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"time"
)

// Server records sessions on a listener.
type Server struct {
	l        net.Listener
	mu       sync.Mutex
	sessions []*[]string // in accept order; nil until the session ends
	finished int
	changed  chan struct{}
	wg       sync.WaitGroup
	greeting string
	replies  map[string]string
}

// Start serves on 127.0.0.1:0.
func Start() (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return Serve(l), nil
}

// Serve serves on l (e.g. one made inside a network namespace).
func Serve(l net.Listener) *Server { return ServeReplies(l, nil) }

// ServeReplies is Serve with some replies replaced: by command verb
// ("HELO", "MAIL", "RCPT", "DATA", "." for the end of the data, "QUIT")
// or "" for the greeting.
func ServeReplies(l net.Listener, replies map[string]string) *Server {
	s := &Server{l: l, changed: make(chan struct{}, 1), greeting: "220 smtptest ESMTP", replies: replies}
	if g, ok := replies[""]; ok {
		s.greeting = g
	}
	s.wg.Add(1)
	go s.accept()
	return s
}

// Addr is the listening address.
func (s *Server) Addr() *net.TCPAddr { return s.l.Addr().(*net.TCPAddr) }

// Close stops listening and waits for the sessions to end.
func (s *Server) Close() {
	s.l.Close()
	s.wg.Wait()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.l.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		slot := new([]string)
		s.sessions = append(s.sessions, nil)
		i := len(s.sessions) - 1
		s.mu.Unlock()
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.serve(c, i, slot) }()
	}
}

// serve records "S: line" for what it sends and "C: line" for what it
// reads; a session is stored, in its accept slot, once it ends.
func (s *Server) serve(c net.Conn, i int, slot *[]string) {
	defer c.Close()
	var rec []string
	defer func() {
		s.mu.Lock()
		*slot = rec
		s.sessions[i] = slot
		s.finished++
		s.mu.Unlock()
		select {
		case s.changed <- struct{}{}:
		default:
		}
	}()
	say := func(l string) {
		rec = append(rec, "S: "+l)
		c.Write([]byte(l + "\r\n"))
	}
	reply := func(verb, def string) {
		if r, ok := s.replies[verb]; ok {
			def = r
		}
		say(def)
	}
	r := bufio.NewReader(c)
	say(s.greeting)
	data := false
	for {
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		line, err := r.ReadString('\n')
		if err != nil {
			if line != "" {
				rec = append(rec, "C: "+line+" (unterminated)")
			}
			return
		}
		line = strings.TrimSuffix(line, "\n")
		if !strings.HasSuffix(line, "\r") {
			rec = append(rec, "C: "+line+" (bare LF)")
		}
		line = strings.TrimSuffix(line, "\r")
		rec = append(rec, "C: "+line)
		switch {
		case data:
			if line == "." {
				data = false
				reply(".", "250 2.0.0 Ok: queued")
			}
		case strings.HasPrefix(line, "HELO") || strings.HasPrefix(line, "EHLO"):
			reply("HELO", "250 smtptest")
		case strings.HasPrefix(line, "MAIL"):
			reply("MAIL", "250 2.1.0 Ok")
		case strings.HasPrefix(line, "RCPT"):
			reply("RCPT", "250 2.1.0 Ok")
		case line == "DATA":
			data = true
			reply("DATA", "354 End data with <CR><LF>.<CR><LF>")
		case line == "QUIT":
			reply("QUIT", "221 2.0.0 Bye")
			return
		default:
			say("502 5.5.2 Error: command not recognized")
		}
	}
}

// Sessions returns the finished sessions in the order they were
// accepted (the order of the client's connects).
func (s *Server) Sessions() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out [][]string
	for _, p := range s.sessions {
		if p != nil {
			out = append(out, *p)
		}
	}
	return out
}

// Idle waits, at most d, until every accepted session has ended, and
// says whether they had.
func (s *Server) Idle(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		s.mu.Lock()
		idle := s.finished == len(s.sessions)
		s.mu.Unlock()
		if idle {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Wait waits until n sessions have finished, or d passed; it returns
// the sessions either way.
func (s *Server) Wait(n int, d time.Duration) [][]string {
	deadline := time.After(d)
	for {
		if ss := s.Sessions(); len(ss) >= n {
			return ss
		}
		select {
		case <-s.changed:
		case <-deadline:
			return s.Sessions()
		}
	}
}
