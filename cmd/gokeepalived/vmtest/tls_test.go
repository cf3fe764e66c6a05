package vmtest

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// alertCounter serves SSL_GET's checks over TLS 1.2 (alerts in clear
// record headers) and counts, of the finished connections, those where
// the client sent an alert record (its close_notify) after the request.
type alertCounter struct {
	done, alerts atomic.Int32
}

// tailConn keeps what the client sends once armed.
type tailConn struct {
	net.Conn
	mu    sync.Mutex
	armed bool
	tail  []byte
}

func (c *tailConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.mu.Lock()
	if c.armed {
		c.tail = append(c.tail, b[:n]...)
	}
	c.mu.Unlock()
	return n, err
}

func (a *alertCounter) serve(t *testing.T, cert tls.Certificate) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: tls.VersionTLS12}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				raw := &tailConn{Conn: c}
				tc := tls.Server(raw, cfg)
				c.SetDeadline(time.Now().Add(5 * time.Second))
				if tc.Handshake() != nil {
					return
				}
				br := bufio.NewReader(tc)
				for {
					l, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if l == "\r\n" {
						break
					}
				}
				raw.mu.Lock()
				raw.armed = true
				raw.mu.Unlock()
				io.WriteString(tc, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
				io.Copy(io.Discard, tc)
				raw.mu.Lock()
				if len(raw.tail) > 5 && raw.tail[0] == 21 {
					a.alerts.Add(1)
				}
				raw.mu.Unlock()
				a.done.Add(1)
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestSSLTLSCompliantDaemon: the daemon's SSL_GET with tls_compliant
// (keepalived 2.4) sends a close_notify on every check; the same checker
// without it sends none, as keepalived's quiet shutdown.
func TestSSLTLSCompliantDaemon(t *testing.T) {
	guard(t)
	dir := t.TempDir()
	cert := selfSigned()
	var compliant, quiet alertCounter
	pc, pq := compliant.serve(t, cert), quiet.serve(t, cert)
	conf := fmt.Sprintf(`virtual_server 10.10.61.1 443 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 127.0.0.1 %d {
        SSL_GET {
            tls_compliant
            url {
                path /
            }
            connect_timeout 3
        }
    }
    real_server 127.0.0.1 %d {
        SSL_GET {
            url {
                path /
            }
            connect_timeout 3
        }
    }
}
`, pc, pq)
	gk := startDaemon(t, "gokeepalived", dir, writeConf(t, dir, conf))
	if _, ok := poll(60*time.Second, func() bool { return compliant.done.Load() >= 3 && quiet.done.Load() >= 3 }); !ok {
		t.Fatalf("too few checks: %d and %d\n%s", compliant.done.Load(), quiet.done.Load(), gk.log())
	}
	// done first: a connection counts its alert before it is done
	cd, qd := compliant.done.Load(), quiet.done.Load()
	ca, qa := compliant.alerts.Load(), quiet.alerts.Load()
	t.Logf("tls_compliant: %d of %d checks ended with a close_notify; without: %d of %d", min(ca, cd), cd, qa, qd)
	if ca < cd || qa != 0 {
		t.Errorf("want a close_notify on every tls_compliant check and none otherwise")
	}
}
