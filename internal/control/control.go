// Package control is the daemon's local status and control socket
// (/run/gokeepalived.sock): one request line in, one JSON document out.
// Only root may use it: the socket is mode 0600 and every peer's
// credentials are checked, so a loosened mode does not open it up.
package control

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// DefaultPath is where the daemon listens.
const DefaultPath = "/run/gokeepalived.sock"

// Handler answers one request ("status", ...) with a value to encode.
type Handler func(req string) (any, error)

// Server serves a Handler on a unix socket.
type Server struct {
	ln      *net.UnixListener
	handle  Handler
	allowed func(uid uint32) bool
	slots   chan struct{} // connections served at once
	accept  func() (*net.UnixConn, error)
}

// MaxConns bounds the connections served at once; one more is closed at
// once. Each is bounded by requestTimeout for its request and 10 s in all.
const MaxConns = 32

// requestTimeout bounds the wait for a client's request line.
const requestTimeout = 2 * time.Second

// Listen creates the socket with mode 0600. A stale socket at the path is
// replaced; one a daemon still answers on, or anything that is not a
// socket, is left alone and is an error.
func Listen(path string, h Handler) (*Server, error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	case fi.Mode()&os.ModeSocket == 0:
		return nil, fmt.Errorf("%s exists and is not a socket", path)
	default:
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("%s: another daemon answers on it", path)
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	old := syscall.Umask(0o177)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	syscall.Umask(old)
	if err != nil {
		return nil, err
	}
	return &Server{ln: ln, handle: h, allowed: func(uid uint32) bool { return uid == 0 },
		slots: make(chan struct{}, MaxConns), accept: ln.AcceptUnix}, nil
}

// Serve answers connections until Close. Other accept errors (out of file
// descriptors) are waited out, never the end of the socket.
func (s *Server) Serve() {
	backoff := 5 * time.Millisecond
	for {
		c, err := s.accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(backoff)
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		// Busy: closed at once rather than left in the backlog, so that
		// connections that never speak cannot queue up ahead of real
		// requests for minutes.
		select {
		case s.slots <- struct{}{}:
		default:
			c.Close()
			continue
		}
		go func() {
			defer func() { <-s.slots }()
			s.serveConn(c)
		}()
	}
}

// Close stops serving and removes the socket.
func (s *Server) Close() error { return s.ln.Close() }

type reply struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	Data  any    `json:"data,omitempty"`
}

func (s *Server) serveConn(c *net.UnixConn) {
	defer c.Close()
	// A request is one short line: a client that has not sent it within
	// requestTimeout is holding a slot for nothing.
	c.SetDeadline(time.Now().Add(requestTimeout))
	enc := json.NewEncoder(c)
	enc.SetIndent("", "  ")
	// Read the request before refusing, so the client sees the answer
	// rather than a broken pipe.
	line, err := bufio.NewReader(io.LimitReader(c, 4096)).ReadString('\n')
	if err != nil && line == "" {
		return
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	uid, err := peerUID(c)
	if err != nil || !s.allowed(uid) {
		enc.Encode(reply{Error: "permission denied: the control socket is for root only"})
		return
	}
	data, err := s.handle(strings.TrimSpace(line))
	if err != nil {
		enc.Encode(reply{Error: err.Error()})
		return
	}
	enc.Encode(reply{OK: true, Data: data})
}

func peerUID(c *net.UnixConn) (uint32, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var cred *syscall.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return 0, err
	}
	if cerr != nil {
		return 0, cerr
	}
	return cred.Uid, nil
}

// Request sends one request and returns the raw JSON data of the answer.
func Request(path, req string) (json.RawMessage, error) {
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the daemon at %s: %w", path, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := fmt.Fprintf(c, "%s\n", req); err != nil {
		return nil, err
	}
	var r struct {
		OK    bool            `json:"ok"`
		Error string          `json:"error"`
		Data  json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(c).Decode(&r); err != nil {
		return nil, err
	}
	if !r.OK {
		return nil, errors.New(r.Error)
	}
	return r.Data, nil
}
