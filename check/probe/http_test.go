package probe

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
)

const body = "<html>service is healthy: OK-1234</html>\n"

func md5hex(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

// httpServer serves net/http on loopback; it records the Host headers.
func httpServer(t *testing.T, tlsCfg *tls.Config) (*HTTP, *hostLog) {
	t.Helper()
	hl := &hostLog{}
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		hl.add(r.Host)
		io.WriteString(w, body)
	})
	mux.HandleFunc("/500", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		io.WriteString(w, "broken")
	})
	srv := &http.Server{Handler: mux, TLSConfig: tlsCfg}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	h := &HTTP{Conn: Conn{Dst: mustAP(ln.Addr().String()), Timeout: 2 * time.Second}, Proto: "1.0"}
	return h, hl
}

type hostLog struct {
	mu    sync.Mutex
	hosts []string
}

func (h *hostLog) add(s string) { h.mu.Lock(); h.hosts = append(h.hosts, s); h.mu.Unlock() }
func (h *hostLog) last() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.hosts) == 0 {
		return ""
	}
	return h.hosts[len(h.hosts)-1]
}

// paths are the two ways an attempt runs: Check over a net.Conn (SSL_GET,
// genhash) and Start on the poller (HTTP_GET in the engine).
var paths = []struct {
	name string
	run  func(h *HTTP, step int) Result
}{
	{"Check", func(h *HTTP, step int) Result { return h.Check(context.Background(), step) }},
	{"Start", func(h *HTTP, step int) Result {
		ch := make(chan Result, 2)
		h.Start(step, func(r Result) { ch <- r })
		r := <-ch
		select {
		case r2 := <-ch:
			panic(fmt.Sprintf("done called twice: %v, %v", r, r2))
		default:
		}
		return r
	}},
}

func TestHTTPChecks(t *testing.T) {
	h, _ := httpServer(t, nil)
	tests := []struct {
		name   string
		url    URL
		ok     bool
		reason string
	}{
		{"pass", URL{Path: "/ok"}, true, ""},
		{"digest ok", URL{Path: "/ok", Digest: md5hex(body)}, true, ""},
		{"digest mismatch", URL{Path: "/ok", Digest: md5hex("other")}, false, "MD5 digest error to"},
		{"wrong status", URL{Path: "/500"}, false, "HTTP status code error to"},
		{"status range accepts 500", URL{Path: "/500", Status: []conf.StatusRange{{Min: 200, Max: 200}, {Min: 500, Max: 599}}}, true, ""},
		{"status list rejects 200", URL{Path: "/ok", Status: []conf.StatusRange{{Min: 204, Max: 204}, {Min: 301, Max: 302}}}, false, "HTTP status code error to"},
		{"404", URL{Path: "/missing"}, false, "HTTP status code error to"},
		{"regex match", URL{Path: "/ok", Regex: regexp.MustCompile(`OK-\d+`)}, true, ""},
		{"regex miss", URL{Path: "/ok", Regex: regexp.MustCompile(`FAIL`)}, false, "Regex match failed"},
		{"regex_no_match passes on miss", URL{Path: "/ok", Regex: regexp.MustCompile(`FAIL`), RegexNoMatch: true}, true, ""},
		{"regex_no_match fails on match", URL{Path: "/ok", Regex: regexp.MustCompile(`OK`), RegexNoMatch: true}, false, "Regex match failed"},
		{"regex min offset beyond match", URL{Path: "/ok", Regex: regexp.MustCompile(`html`), RegexMin: 10}, true, ""}, // closing </html> still matches
		{"regex max offset before match", URL{Path: "/ok", Regex: regexp.MustCompile(`OK-`), RegexMax: 10}, false, "Regex match failed"},
		{"regex offsets bracket match", URL{Path: "/ok", Regex: regexp.MustCompile(`OK-`), RegexMin: 20, RegexMax: uint64(strings.Index(body, "OK-") + 1)}, true, ""},
	}
	for _, path := range paths {
		for _, tc := range tests {
			t.Run(path.name+"/"+tc.name, func(t *testing.T) {
				hc := &HTTP{Conn: h.Conn, Proto: h.Proto, URLs: []URL{tc.url}}
				r := path.run(hc, 0)
				if r.OK != tc.ok || r.Reason != tc.reason {
					t.Fatalf("got %v (reason %q), want ok=%v reason %q", r, r.Reason, tc.ok, tc.reason)
				}
			})
		}
	}
}

func mustAP(s string) netipAddrPort { return parseAP(s) }

// rawHTTP serves a scripted response on a raw TCP socket.
func rawHTTP(t *testing.T, respond func(c net.Conn)) *HTTP {
	return rawHTTPOn(t, "127.0.0.1:0", respond)
}

func rawHTTPOn(t *testing.T, addr string, respond func(c net.Conn)) *HTTP {
	ap := listenOn(t, addr, func(c net.Conn) {
		br := bufio.NewReader(c)
		for { // read the request head
			l, err := br.ReadString('\n')
			if err != nil || l == "\r\n" {
				break
			}
		}
		respond(c)
	})
	return &HTTP{Conn: Conn{Dst: ap, Timeout: 400 * time.Millisecond}, Proto: "1.0", URLs: []URL{{Path: "/"}}}
}

// reply answers with fixed bytes and closes (an HTTP/1.0 server).
func reply(s string) func(net.Conn) { return func(c net.Conn) { io.WriteString(c, s) } }

// TestHTTPFailureClasses checks check_http.c's wording for each stage
// (checked against keepalived 2.2.7 --check, log_all_failures), each
// stage bounded by connect_timeout, on both paths.
func TestHTTPFailureClasses(t *testing.T) {
	silent := rawHTTP(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	// a gap longer than connect_timeout after the first bytes
	gaps := rawHTTP(t, func(c net.Conn) {
		io.WriteString(c, "HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\nx")
		io.Copy(io.Discard, c)
	})
	reset := rawHTTP(t, func(c net.Conn) {
		io.WriteString(c, "HTTP/1.0 200 OK\r\nContent-Length: 1000\r\n\r\npartial")
		time.Sleep(20 * time.Millisecond)
		c.(*net.TCPConn).SetLinger(0) // RST instead of FIN
	})
	// keepalived: a read error before any head is still a read error
	resetEarly := rawHTTP(t, func(c net.Conn) { c.(*net.TCPConn).SetLinger(0) })
	garbage := rawHTTP(t, reply("SSH-2.0-OpenSSH\r\n"))
	// lib/html.c: the head ends at CRLF CRLF only
	lfOnly := rawHTTP(t, reply("HTTP/1.0 200 OK\nContent-Length: 2\n\nok"))
	// a head longer than keepalived's 4 KiB buffer is "no data"
	longHead := rawHTTP(t, reply("HTTP/1.0 200 OK\r\nX-Pad: "+strings.Repeat("x", 5000)+"\r\n\r\nok"))
	// extract_status_code wants a space after the code
	noReason := rawHTTP(t, reply("HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok"))
	to := func(ap netipAddrPort, path string) *HTTP {
		return &HTTP{Conn: Conn{Dst: ap, Timeout: 400 * time.Millisecond}, Proto: "1.0", URLs: []URL{{Path: path}}}
	}
	refused := to(closedPort(t, "tcp"), "/")
	noAnswer := to(fullBacklog(t), "/")
	// connect(2) refuses a broadcast destination itself (ENETUNREACH)
	unreachable := to(parseAP("255.255.255.255:80"), "/")
	// a request larger than both socket buffers (the server's kept
	// small) to a server that reads nothing
	stuck := to(smallRcvBuf(t), "/"+strings.Repeat("a", 8<<20))
	tests := []struct {
		name   string
		h      *HTTP
		reason string
		after  time.Duration // at least this long: a timeout
	}{
		{"refused", refused, "Connection failed", 0},
		{"connect unanswered", noAnswer, "Timeout connecting", 350 * time.Millisecond},
		{"network unreachable", unreachable, "HTTP/SSL_CHECK - network unreachable", 0},
		{"request not taken", stuck, "Timeout WEB write", 350 * time.Millisecond},
		{"accept but silent", silent, "Timeout WEB read", 350 * time.Millisecond},
		{"gap longer than timeout", gaps, "Timeout HTTP read", 350 * time.Millisecond},
		{"reset mid-response", reset, "Read error with", 0},
		{"reset before the head", resetEarly, "Read error with", 0},
		{"not HTTP", garbage, "Read, no data received from ", 0},
		{"LF-only head", lfOnly, "Read, no data received from ", 0},
		{"head over 4095 bytes", longHead, "Read, no data received from ", 0},
		{"status without reason phrase", noReason, "HTTP status code error to", 0},
	}
	for _, path := range paths {
		for _, tc := range tests {
			t.Run(path.name+"/"+tc.name, func(t *testing.T) {
				h := &HTTP{Conn: tc.h.Conn, Proto: tc.h.Proto, URLs: tc.h.URLs}
				start := time.Now()
				r := path.run(h, 0)
				el := time.Since(start)
				if r.OK || r.NoVerdict || r.Reason != tc.reason {
					t.Fatalf("got %v (reason %q), want failure %q", r, r.Reason, tc.reason)
				}
				// at least one stage's timeout; the upper bound only
				// says it ended (an 8 MiB write under -race on a loaded
				// machine takes seconds)
				if el < tc.after || el > h.Conn.Timeout+10*time.Second {
					t.Fatalf("took %v with timeout %v", el, h.Conn.Timeout)
				}
			})
		}
	}
}

// A body sent slowly but steadily passes although it takes longer than
// connect_timeout in all: keepalived bounds each read, not the whole
// response (checked with keepalived 2.2.7: 2 bytes every 300 ms against
// a 1 s timeout succeed).
func TestHTTPSlowSteadyBody(t *testing.T) {
	const n = 12
	h := rawHTTP(t, func(c net.Conn) {
		fmt.Fprintf(c, "HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n", n)
		for range n {
			time.Sleep(100 * time.Millisecond)
			if _, err := c.Write([]byte("x")); err != nil {
				return
			}
		}
	})
	h.Conn.Timeout = 400 * time.Millisecond
	h.URLs = []URL{{Path: "/", Digest: md5hex(strings.Repeat("x", n))}}
	for _, path := range paths {
		hc := &HTTP{Conn: h.Conn, Proto: h.Proto, URLs: h.URLs}
		start := time.Now()
		r := path.run(hc, 0)
		if el := time.Since(start); !r.OK || el < 1100*time.Millisecond {
			t.Fatalf("%s: %v after %v, want success after the whole body (%d x 100ms)", path.name, r, el, n)
		}
	}
}

// TestHTTPBodies checks what the digest and regex see, against servers
// that answer with fixed bytes and close, on both paths.
func TestHTTPBodies(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 64<<10) // 1 MiB, many reads
	chunked := "5\r\nhello\r\n0\r\n\r\n"
	tests := []struct {
		name, resp string
		url        URL
		reason     string // "" = success
	}{
		// Content-Length bounds the digest; bytes beyond it are ignored
		{"content-length shorter than body", "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello world", URL{Digest: md5hex("hello")}, ""},
		{"content-length shorter, digest of all", "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello world", URL{Digest: md5hex("hello world")}, "MD5 digest error to"},
		// keepalived judges what arrived before EOF (and logs the
		// mismatch); net/http, used before, failed with a read error
		{"content-length longer than body", "HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\nhello", URL{Digest: md5hex("hello")}, ""},
		// keepalived only knows "Content-Length:" (checked with its genhash)
		{"lower-case content-length is not one", "HTTP/1.0 200 OK\r\ncontent-length: 5\r\n\r\nhello world", URL{Digest: md5hex("hello world")}, ""},
		{"no content-length: to EOF", "HTTP/1.0 200 OK\r\n\r\n" + big, URL{Digest: md5hex(big)}, ""},
		{"content-length, many reads", fmt.Sprintf("HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(big), big), URL{Digest: md5hex(big)}, ""},
		// keepalived does not decode chunked coding: the digest covers
		// the raw body, framing included (net/http decoded it before;
		// keepalived 2.2.7's genhash prints this raw digest)
		{"chunked: raw digest", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked, URL{Digest: md5hex(chunked)}, ""},
		{"chunked: decoded digest fails", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked, URL{Digest: md5hex("hello")}, "MD5 digest error to"},
		{"empty body", "HTTP/1.0 204 No Content\r\nContent-Length: 0\r\n\r\n", URL{Digest: md5hex("")}, ""},
		{"regex beyond the first read", "HTTP/1.0 200 OK\r\n\r\n" + big + "NEEDLE", URL{Regex: regexp.MustCompile("NEEDLE")}, ""},
		{"regex offsets", "HTTP/1.0 200 OK\r\n\r\nabcNEEDLE", URL{Regex: regexp.MustCompile("NEEDLE"), RegexMin: 4}, "Regex match failed"},
	}
	for _, path := range paths {
		for _, tc := range tests {
			t.Run(path.name+"/"+tc.name, func(t *testing.T) {
				h := rawHTTP(t, reply(tc.resp))
				tc.url.Path = "/"
				h.URLs = []URL{tc.url}
				r := path.run(h, 0)
				if r.OK != (tc.reason == "") || r.Reason != tc.reason {
					t.Fatalf("got %v, want reason %q", r, tc.reason)
				}
			})
		}
	}
}

// A server that keeps the connection open after a Content-Length body
// (keep-alive) still passes, without waiting for the timeout.
func TestHTTPContentLengthEndsRead(t *testing.T) {
	h := rawHTTP(t, func(c net.Conn) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		io.Copy(io.Discard, c)
	})
	h.Conn.Timeout = 2 * time.Second
	for _, path := range paths {
		start := time.Now()
		hc := &HTTP{Conn: h.Conn, Proto: h.Proto, URLs: []URL{{Path: "/", Digest: md5hex("ok")}}}
		if r := path.run(hc, 0); !r.OK {
			t.Fatalf("%s: %v", path.name, r)
		}
		if el := time.Since(start); el > time.Second {
			t.Errorf("%s: took %v", path.name, el)
		}
	}
}

func TestHTTPIPv6(t *testing.T) {
	h := rawHTTPOn(t, "[::1]:0", reply("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"))
	h.URLs = []URL{{Path: "/", Digest: md5hex("ok")}}
	for _, path := range paths {
		hc := &HTTP{Conn: h.Conn, Proto: h.Proto, URLs: h.URLs}
		if r := path.run(hc, 0); !r.OK {
			t.Fatalf("%s: %v", path.name, r)
		}
	}
}

// A request larger than the socket buffer goes out in parts (EAGAIN,
// then EPOLLOUT) while the server reads it.
func TestHTTPLargeRequest(t *testing.T) {
	h := rawHTTP(t, reply("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"))
	h.Conn.Timeout = 10 * time.Second
	h.URLs = []URL{{Path: "/" + strings.Repeat("a", 16<<20)}}
	for _, path := range paths {
		hc := &HTTP{Conn: h.Conn, Proto: h.Proto, URLs: h.URLs}
		if r := path.run(hc, 0); !r.OK {
			t.Fatalf("%s: %v", path.name, r)
		}
	}
}

// Steps select the url; one HTTP runs attempt after attempt on Start.
func TestHTTPStartSteps(t *testing.T) {
	h, _ := httpServer(t, nil)
	h.URLs = []URL{{Path: "/ok", Digest: md5hex(body)}, {Path: "/500"}}
	for i := range 6 {
		r := paths[1].run(h, i%2)
		if r.OK != (i%2 == 0) {
			t.Fatalf("attempt %d step %d: %v", i, i%2, r)
		}
	}
}

func TestHTTPRequestBytes(t *testing.T) {
	for _, tc := range []struct{ proto, vhost, want string }{
		{"1.0", "", "GET /p HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: %s\r\n\r\n"},
		{"1.0C", "", "GET /p HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: %s\r\n\r\n"},
		{"1.1", "www.example.test", "GET /p HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.example.test\r\n\r\n"},
	} {
		got := make(chan string, 1)
		ap := listen(t, func(c net.Conn) {
			br := bufio.NewReader(c)
			var b strings.Builder
			for {
				l, err := br.ReadString('\n')
				b.WriteString(l)
				if err != nil || l == "\r\n" {
					break
				}
			}
			got <- b.String()
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
		})
		h := &HTTP{Conn: Conn{Dst: ap, Timeout: time.Second}, Proto: tc.proto, URLs: []URL{{Path: "/p", Virtualhost: tc.vhost}}}
		if r := h.Check(context.Background(), 0); !r.OK {
			t.Fatalf("%s: %v", tc.proto, r)
		}
		want := tc.want
		if strings.Contains(want, "%s") {
			want = fmt.Sprintf(want, ap.String())
		}
		if g := <-got; g != want {
			t.Errorf("%s: request %q, want %q", tc.proto, g, want)
		}
	}
}

func TestHTTPVirtualhostFallback(t *testing.T) {
	// Host comes from url, else checker, else RS, else VS virtualhost.
	h, hl := httpServer(t, nil)
	for _, tc := range []struct {
		url, chk, rs, vs, want string
	}{
		{"u.test", "c.test", "r.test", "v.test", "u.test"},
		{"", "c.test", "r.test", "v.test", "c.test"},
		{"", "", "r.test", "v.test", "r.test"},
		{"", "", "", "v.test", "v.test"},
		{"", "", "", "", h.Conn.Dst.String()},
	} {
		c := &conf.Checker{Type: conf.CheckHTTP, Conn: &conf.ConnOpts{Dst: h.Conn.Dst, ConnectTimeout: time.Second},
			HTTP: &conf.HTTPCheck{Protocol: "1.0", Virtualhost: tc.chk, URLs: []*conf.URLCheck{{Path: "/ok", Virtualhost: tc.url}}}}
		p, err := NewHTTP(c, &conf.RealServer{Virtualhost: tc.rs}, &conf.VirtualServer{Virtualhost: tc.vs}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r := p.Check(context.Background(), 0); !r.OK {
			t.Fatal(r)
		}
		if got := hl.last(); got != tc.want {
			t.Errorf("%+v: Host %q, want %q", tc, got, tc.want)
		}
	}
}

func TestSSLGet(t *testing.T) {
	p := newPKI(t)
	var mu sync.Mutex
	var sni []string
	srvCfg := &tls.Config{Certificates: []tls.Certificate{p.leaf}, GetConfigForClient: func(ch *tls.ClientHelloInfo) (*tls.Config, error) {
		mu.Lock()
		sni = append(sni, ch.ServerName)
		mu.Unlock()
		return nil, nil
	}}
	h, _ := httpServer(t, srvCfg)
	mk := func(ssl *conf.SSLConfig, enableSNI bool) *HTTP {
		c := &conf.Checker{Type: conf.CheckSSL, Conn: &conf.ConnOpts{Dst: h.Conn.Dst, ConnectTimeout: 2 * time.Second},
			HTTP: &conf.HTTPCheck{Protocol: "1.0", EnableSNI: enableSNI, URLs: []*conf.URLCheck{{Path: "/ok", Digest: md5hex(body), Virtualhost: "www.example.test"}}}}
		hc, err := NewHTTP(c, &conf.RealServer{}, &conf.VirtualServer{}, ssl)
		if err != nil {
			t.Fatal(err)
		}
		return hc
	}
	if r := mk(nil, false).Check(context.Background(), 0); !r.OK {
		t.Fatalf("no verification: %v", r)
	}
	if r := mk(&conf.SSLConfig{CA: p.caFile}, true).Check(context.Background(), 0); !r.OK {
		t.Fatalf("verified with SNI: %v", r)
	}
	mu.Lock()
	if got := sni[len(sni)-1]; got != "www.example.test" {
		t.Errorf("SNI %q, want www.example.test", got)
	}
	if sni[0] != "" {
		t.Errorf("SNI sent without enable_sni: %q", sni[0])
	}
	mu.Unlock()
	// keepalived 2.2.7 never verifies the server certificate
	if r := mk(&conf.SSLConfig{CA: p.otherCA}, true).Check(context.Background(), 0); !r.OK {
		t.Fatalf("CA that did not sign the server: got %v, want success as keepalived", r)
	}
	if _, err := TLSConfig(&conf.SSLConfig{CA: "/nonexistent/ca.pem"}); err == nil {
		t.Fatal("unreadable CA accepted")
	}
	// TLS server that rejects the handshake (requires a client cert)
	strict, _ := httpServer(t, &tls.Config{Certificates: []tls.Certificate{p.leaf}, ClientAuth: tls.RequireAnyClientCert})
	hs := mk(nil, false)
	hs.Conn.Dst = strict.Conn.Dst
	if r := hs.Check(context.Background(), 0); r.OK {
		t.Fatalf("handshake rejected by server: got %v, want failure", r)
	}
	// TLS checker against a plain HTTP server: handshake fails
	plain, _ := httpServer(t, nil)
	hc := mk(nil, false)
	hc.Conn.Dst = plain.Conn.Dst
	if r := hc.Check(context.Background(), 0); r.OK || r.Reason != "SSL handshake/communication error connecting to" {
		t.Fatalf("plain server: got %v, want handshake failure", r)
	}
}

func TestHostHeader(t *testing.T) {
	for _, c := range []struct{ vhost, dst, want string }{
		{"", "192.0.2.1:8080", "192.0.2.1:8080"},
		{"", "[2001:db8::1]:80", "[2001:db8::1]:80"}, // IPv6 bracketed
		{"www.example.test", "[2001:db8::1]:80", "www.example.test"},
	} {
		if got := hostHeader(c.vhost, parseAP(c.dst)); got != c.want {
			t.Errorf("hostHeader(%q, %s) = %q, want %q", c.vhost, c.dst, got, c.want)
		}
	}
}

// On the poller, a socket that cannot be set up is no verdict, with
// keepalived's HTTP wording (check_http.c http_connect_thread).
func TestHTTPStartSetupError(t *testing.T) {
	h := &HTTP{Conn: Conn{Dst: closedPort(t, "tcp"), BindIf: "nosuchif0", Timeout: time.Second}, Proto: "1.0", URLs: []URL{{Path: "/"}}}
	r := paths[1].run(h, 0)
	if !r.NoVerdict || r.Reason != "Checker can't bind to device nosuchif0: No such device\nWEB socket bind failed. Rescheduling" {
		t.Fatalf("got %+v", r)
	}
}

// rawTLS serves TLS on loopback: respond gets the TLS connection after
// the request head and the TCP connection under it.
func rawTLS(t *testing.T, cfg *tls.Config, respond func(tc *tls.Conn, raw net.Conn)) *HTTP {
	ap := listen(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		if tc.Handshake() != nil {
			return
		}
		br := bufio.NewReader(tc)
		for {
			l, err := br.ReadString('\n')
			if err != nil || l == "\r\n" {
				break
			}
		}
		respond(tc, c)
	})
	return &HTTP{Conn: Conn{Dst: ap, Timeout: 400 * time.Millisecond}, Proto: "1.0", URLs: []URL{{Path: "/"}},
		TLS: &tls.Config{InsecureSkipVerify: true}}
}

// TestSSLFailureClasses checks SSL_GET's wording per stage, as
// keepalived 2.2.7's check_http.c and check_ssl.c log them (each case
// checked against its --check with log_all_failures): the handshake
// shares the connect's timeout, the response after its first bytes has
// one timeout in all, and a read that ends in error is judged on what
// arrived.
func TestSSLFailureClasses(t *testing.T) {
	p := newPKI(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{p.leaf}}
	noTickets := &tls.Config{Certificates: []tls.Certificate{p.leaf}, SessionTicketsDisabled: true}
	head := "HTTP/1.0 200 OK\r\nContent-Length: 20\r\n\r\n"
	hang := func(tc *tls.Conn, _ net.Conn) { io.Copy(io.Discard, tc) }
	linger0 := func(raw net.Conn) { raw.(*net.TCPConn).SetLinger(0); raw.Close() }
	tests := []struct {
		name   string
		h      *HTTP
		reason string // "" = success
		after  time.Duration
	}{
		{"handshake unanswered", &HTTP{Conn: Conn{Dst: listen(t, func(c net.Conn) { io.Copy(io.Discard, c) }), Timeout: 400 * time.Millisecond},
			Proto: "1.0", URLs: []URL{{Path: "/"}}, TLS: &tls.Config{InsecureSkipVerify: true}}, "Timeout connecting", 350 * time.Millisecond},
		{"silent", rawTLS(t, noTickets, hang), "Timeout WEB read", 350 * time.Millisecond},
		// any bytes after the request start the read's timeout: with
		// OpenSSL servers, TLS 1.3 session tickets do (keepalived then
		// logs "Timeout SSL read" for a silent server)
		{"part of the head, then silent", rawTLS(t, noTickets, func(tc *tls.Conn, _ net.Conn) {
			io.WriteString(tc, "HTTP/1.0 200 OK\r\n")
			hang(tc, nil)
		}), "Timeout SSL read", 350 * time.Millisecond},
		{"slow steady body", rawTLS(t, noTickets, func(tc *tls.Conn, _ net.Conn) {
			io.WriteString(tc, head)
			for range 10 {
				time.Sleep(100 * time.Millisecond)
				if _, err := io.WriteString(tc, "ab"); err != nil {
					return
				}
			}
		}), "Timeout SSL read", 350 * time.Millisecond},
		{"close_notify before the head", rawTLS(t, cfg, func(tc *tls.Conn, _ net.Conn) { tc.Close() }), "SSL read error from", 0},
		{"TCP close before the head", rawTLS(t, noTickets, func(_ *tls.Conn, raw net.Conn) { raw.Close() }), "Read, no data received from ", 0},
		{"reset before the head", rawTLS(t, noTickets, func(_ *tls.Conn, raw net.Conn) { linger0(raw) }), "Read, no data received from ", 0},
		{"reset after the head", rawTLS(t, cfg, func(tc *tls.Conn, raw net.Conn) {
			io.WriteString(tc, head+"ab")
			time.Sleep(50 * time.Millisecond)
			linger0(raw)
		}), "", 0},
		{"complete", rawTLS(t, cfg, func(tc *tls.Conn, _ net.Conn) { io.WriteString(tc, head+strings.Repeat("x", 20)) }), "", 0},
	}
	for _, path := range paths {
		for _, tc := range tests {
			t.Run(path.name+"/"+tc.name, func(t *testing.T) {
				h := &HTTP{Conn: tc.h.Conn, Proto: tc.h.Proto, URLs: tc.h.URLs, TLS: tc.h.TLS}
				if tc.after == 0 {
					// not a timeout case: a loaded machine may take more
					// than 400 ms over the handshake, which would read
					// as "Timeout connecting"
					h.Conn.Timeout = 5 * time.Second
				}
				start := time.Now()
				r := path.run(h, 0)
				el := time.Since(start)
				if r.OK != (tc.reason == "") || r.Reason != tc.reason {
					t.Fatalf("got %v (reason %q), want %q", r, r.Reason, tc.reason)
				}
				if el < tc.after || el > h.Conn.Timeout+2*time.Second {
					t.Fatalf("took %v with timeout %v", el, h.Conn.Timeout)
				}
			})
		}
	}
}

// smallRcvBuf is a loopback listener whose connections have a small
// receive buffer (no autotuning) and never read.
func smallRcvBuf(t *testing.T) netipAddrPort {
	t.Helper()
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { time.Sleep(3 * time.Second); c.Close() }()
		}
	}()
	return parseAP(ln.Addr().String())
}

// TestHTTPEndlessBodyEnds: a body without Content-Length that never ends,
// fast or trickled, keeps renewing each read's timeout; MaxTime (delay_loop
// + connect_timeout in a checker) ends the check as a read timeout, on both
// paths.
func TestHTTPEndlessBodyEnds(t *testing.T) {
	for _, server := range []struct {
		name  string
		pause time.Duration
	}{{"streaming", 0}, {"trickling", 50 * time.Millisecond}} {
		h := rawHTTP(t, func(c net.Conn) {
			io.WriteString(c, "HTTP/1.0 200 OK\r\n\r\n")
			chunk := bytes.Repeat([]byte("x"), 32<<10)
			if server.pause > 0 {
				chunk = chunk[:1]
			}
			for {
				if _, err := c.Write(chunk); err != nil {
					return
				}
				time.Sleep(server.pause)
			}
		})
		for _, path := range paths {
			hc := &HTTP{Conn: h.Conn, Proto: h.Proto, URLs: h.URLs, MaxTime: 600 * time.Millisecond}
			start := time.Now()
			r := path.run(hc, 0)
			el := time.Since(start)
			if r.OK || !strings.Contains(r.Reason, "Timeout HTTP read") {
				t.Errorf("%s body, %s: %+v, want a read timeout", server.name, path.name, r)
			}
			if el < 600*time.Millisecond || el > 5*time.Second { // ended by MaxTime, not by a stage timeout
				t.Errorf("%s body, %s: ended after %v, want MaxTime 600ms", server.name, path.name, el)
			}
		}
	}
}

// tailConn records what a TLS server's peer sends once armed.
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

// TestSSLTLSCompliant: with tls_compliant (keepalived 2.4) SSL_GET ends
// TLS with a close_notify, which the server sees as one alert record
// (TLS 1.2: content type 21) after its response; without it the client
// sends nothing more before closing, as keepalived's quiet shutdown.
// Both for a response complete by its Content-Length and for a server
// that ends with its own close_notify and waits for the client's.
func TestSSLTLSCompliant(t *testing.T) {
	p := newPKI(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{p.leaf}, MaxVersion: tls.VersionTLS12}
	for _, bidir := range []bool{false, true} {
		for _, compliant := range []bool{false, true} {
			tails := make(chan []byte, 1)
			ap := listen(t, func(c net.Conn) {
				tc0 := &tailConn{Conn: c}
				tc := tls.Server(tc0, cfg)
				if tc.Handshake() != nil {
					return
				}
				br := bufio.NewReader(tc)
				for {
					l, err := br.ReadString('\n')
					if err != nil || l == "\r\n" {
						break
					}
				}
				tc0.mu.Lock()
				tc0.armed = true
				tc0.mu.Unlock()
				if bidir {
					io.WriteString(tc, "HTTP/1.0 200 OK\r\n\r\nhello")
					tc.CloseWrite() // our close_notify; wait for the client's
				} else {
					io.WriteString(tc, "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello")
				}
				c.SetReadDeadline(time.Now().Add(2 * time.Second))
				io.Copy(io.Discard, tc)
				tc0.mu.Lock()
				tails <- tc0.tail
				tc0.mu.Unlock()
			})
			h := &HTTP{Conn: Conn{Dst: ap, Timeout: time.Second}, Proto: "1.0",
				URLs: []URL{{Path: "/", TLSCompliant: compliant}}, TLS: &tls.Config{InsecureSkipVerify: true}}
			if r := h.Check(context.Background(), 0); !r.OK {
				t.Fatalf("bidir %v compliant %v: %v", bidir, compliant, r)
			}
			tail := <-tails
			alert := len(tail) > 5 && tail[0] == 21 && int(tail[3])<<8|int(tail[4]) == len(tail)-5
			t.Logf("server ends with its close_notify %v, tls_compliant %v: the client sent %d bytes after the request (% x)", bidir, compliant, len(tail), tail)
			if compliant != alert || (!compliant && len(tail) != 0) {
				t.Errorf("bidir %v tls_compliant %v: client sent % x after the request", bidir, compliant, tail)
			}
		}
	}
}

// TestSSLTLSCompliantFromConf: a url's tls_compliant or its checker's
// makes the url's.
func TestSSLTLSCompliantFromConf(t *testing.T) {
	c := &conf.Checker{Type: conf.CheckSSL, Conn: &conf.ConnOpts{}, HTTP: &conf.HTTPCheck{
		URLs: []*conf.URLCheck{{Path: "/a"}, {Path: "/b", TLSCompliant: true}}}}
	rs, vs := &conf.RealServer{}, &conf.VirtualServer{}
	h, err := NewHTTP(c, rs, vs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h.URLs[0].TLSCompliant || !h.URLs[1].TLSCompliant {
		t.Fatalf("url only: %v %v", h.URLs[0].TLSCompliant, h.URLs[1].TLSCompliant)
	}
	c.HTTP.TLSCompliant = true
	if h, _ = NewHTTP(c, rs, vs, nil); !h.URLs[0].TLSCompliant {
		t.Fatal("the checker's tls_compliant is not the url's")
	}
}
