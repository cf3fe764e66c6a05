package metrics

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// MaxConns is how many /metrics connections are served at once; past it
// a new connection is closed at once, so idle or slow clients cannot
// hold the daemon's file descriptors (any local user can connect).
const MaxConns = 64

// NewServer is the /metrics HTTP server with every timeout set: a client
// that connects and says nothing, or reads slowly, is dropped.
func NewServer(snap func() Snapshot) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("/metrics", Handler(snap))
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
}

// ShedListener accepts from ln but closes a connection at once when max
// are already open.
func ShedListener(ln net.Listener, max int) net.Listener {
	return &shedListener{Listener: ln, max: max}
}

type shedListener struct {
	net.Listener
	mu   sync.Mutex
	open int
	max  int
	shed uint64
}

func (l *shedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.mu.Lock()
		if l.open >= l.max {
			l.shed++
			l.mu.Unlock()
			c.Close()
			continue
		}
		l.open++
		l.mu.Unlock()
		return &countedConn{Conn: c, l: l}, nil
	}
}

type countedConn struct {
	net.Conn
	l    *shedListener
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		c.l.open--
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}
