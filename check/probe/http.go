package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"regexp"
	"time"

	"github.com/gokeepalived/gokeepalived/check/probe/internal/poller"
	"github.com/gokeepalived/gokeepalived/conf"
)

// URL is one url{} block, resolved.
type URL struct {
	Path   string
	Digest string // lower-case hex MD5, "" = none
	// Status are accepted codes; empty means 200-299.
	Status      []conf.StatusRange
	Virtualhost string // already resolved: url, checker, RS, VS
	// SNIName is what enable_sni sends: url, checker, else VS
	// virtualhost (keepalived's check_ssl.c skips the RS level).
	SNIName string
	// TLSCompliant: SSL_GET ends TLS with a close_notify (keepalived
	// 2.4's tls_compliant, of the url or its checker); without it the
	// connection is closed quietly, as keepalived's quiet shutdown.
	TLSCompliant bool
	Regex        *regexp.Regexp
	RegexNoMatch bool
	// RegexMin/RegexMax bound where a match may start; RegexMax is one
	// beyond the last acceptable offset, 0 = unlimited (conf's storage).
	RegexMin, RegexMax uint64
}

// HTTP is HTTP_GET, and SSL_GET when TLS is set. Check runs an attempt
// over a net.Conn; Start runs HTTP_GET's on the shared poller. Both read
// the response with the same response reader.
type HTTP struct {
	Conn Conn
	URLs []URL
	// Proto is "1.0", "1.0C" or "1.1".
	Proto string
	TLS   *tls.Config // nil for HTTP_GET
	SNI   bool
	// MaxTime bounds one URL's whole exchange (0: none). keepalived
	// renews each read's timeout as bytes come, so a server trickling a
	// body or sending one without end holds its check for ever; here it
	// fails as a read timeout after delay_loop + connect_timeout.
	MaxTime time.Duration

	// Start's state, made on its first call and reused: one attempt in
	// flight at a time
	ready bool
	opts  poller.Opts
	reqs  [][]byte // request per url
	rd    response
	url   *URL
	done  func(Result)
	cb    func(poller.Stage, error) // h.finish, bound once
}

// NewHTTP resolves an HTTP_GET/SSL_GET checker.
func NewHTTP(c *conf.Checker, rs *conf.RealServer, vs *conf.VirtualServer, ssl *conf.SSLConfig) (*HTTP, error) {
	h := &HTTP{Conn: ConnFrom(c.Conn), Proto: c.HTTP.Protocol, SNI: c.HTTP.EnableSNI,
		MaxTime: c.DelayLoop + c.Conn.ConnectTimeout}
	for _, u := range c.HTTP.URLs {
		r := URL{Path: u.Path, Digest: u.Digest, Status: u.StatusCodes, RegexNoMatch: u.RegexNoMatch,
			RegexMin: u.RegexMinOffset, RegexMax: u.RegexMaxOffset, TLSCompliant: u.TLSCompliant || c.HTTP.TLSCompliant}
		r.Virtualhost = firstNonEmpty(u.Virtualhost, c.HTTP.Virtualhost, rs.Virtualhost, vs.Virtualhost)
		r.SNIName = firstNonEmpty(u.Virtualhost, c.HTTP.Virtualhost, vs.Virtualhost)
		if u.Regex != "" {
			re, err := regexp.Compile(u.Regex)
			if err != nil {
				return nil, fmt.Errorf("url %s: regex: %w", u.Path, err)
			}
			r.Regex = re
		}
		h.URLs = append(h.URLs, r)
	}
	if c.Type == conf.CheckSSL {
		cfg, err := TLSConfig(ssl)
		if err != nil {
			return nil, err
		}
		h.TLS = cfg
	}
	return h, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// TLSConfig builds the client context from the global SSL block.
// keepalived 2.2.7 loads the CA but never sets SSL_VERIFY_PEER nor
// checks the verify result, so the server certificate is not verified;
// we do the same (an unreadable CA is still an error). certificate/key
// are the client's.
func TLSConfig(ssl *conf.SSLConfig) (*tls.Config, error) {
	cfg := &tls.Config{InsecureSkipVerify: true}
	if ssl == nil {
		return cfg, nil
	}
	if ssl.CA != "" {
		pem, err := os.ReadFile(ssl.CA)
		if err != nil {
			return nil, err
		}
		if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("SSL ca %s: no certificate", ssl.CA)
		}
	}
	if ssl.Certificate != "" {
		key := ssl.Key
		if key == "" {
			key = ssl.Certificate
		}
		cert, err := tls.LoadX509KeyPair(ssl.Certificate, key)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// hostHeader is keepalived's Host value: the virtualhost, else ip:port
// (IPv6 bracketed).
func hostHeader(vhost string, dst netip.AddrPort) string {
	if vhost != "" {
		return vhost
	}
	return netip.AddrPortFrom(dst.Addr().WithZone(""), dst.Port()).String()
}

// Request returns the bytes keepalived sends for a url.
func Request(proto, path, host string) []byte {
	b := make([]byte, 0, 96+len(path)+len(host))
	b = append(b, "GET "...)
	b = append(b, path...)
	if proto == "1.1" {
		b = append(b, " HTTP/1.1\r\n"...)
	} else {
		b = append(b, " HTTP/1.0\r\n"...)
	}
	b = append(b, "User-Agent: KeepAliveClient\r\n"...)
	if proto == "1.0C" || proto == "1.1" {
		b = append(b, "Connection: close\r\n"...)
	}
	b = append(b, "Host: "...)
	b = append(b, host...)
	b = append(b, "\r\n\r\n"...)
	return b
}

// MaxRegexBody bounds how much of a body is kept for regex matching.
const MaxRegexBody = 4 << 20

// Fetched is what one GET returned.
type Fetched struct {
	Status int
	Body   []byte // only kept when a regex needs it
	Len    int64
	MD5    string
}

func (u *URL) keep() int {
	if u.Regex != nil {
		return MaxRegexBody // the digest still covers the whole body
	}
	return 0
}

// Fetch performs one GET of u over a fresh connection, each stage
// bounded by the checker's timeout as on the poller (see poller.Stage);
// SSL_GET's response after its first bytes has one timeout in all, as
// keepalived's ssl_read_thread.
func (h *HTTP) Fetch(ctx context.Context, u *URL) (*Fetched, Result) {
	rd := new(response)
	rd.reset(true, u.keep())
	stage, err := h.fetch(ctx, u, rd)
	if r := ended(rd, stage, err); !r.OK {
		return nil, r
	}
	return &Fetched{Status: rd.status, Body: rd.body, Len: rd.n, MD5: string(rd.sumHex())}, Result{OK: true}
}

// handshakeError is SSL_GET's failed handshake.
type handshakeError struct{ error }

// sslError is an SSL_GET read that ends with its own wording.
type sslError struct {
	reason string
	error
}

// rawConn is the TCP connection under SSL_GET's TLS: it sees when the
// response's first bytes arrive, and whether the peer closed (EOF) or
// only ended TLS (close_notify).
type rawConn struct {
	net.Conn
	armed, got, eof bool
	first           func() // run at the first bytes once armed
}

func (c *rawConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 && c.armed && !c.got {
		c.got = true
		c.first()
	}
	if err == io.EOF {
		c.eof = true
	}
	return n, err
}

func (h *HTTP) fetch(ctx context.Context, u *URL, rd *response) (poller.Stage, error) {
	t := h.Conn.Timeout
	if t <= 0 {
		t = time.Hour
	}
	start := time.Now()
	if h.MaxTime > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.MaxTime)
		defer cancel()
	}
	nc, err := h.Conn.connectTCP(ctx)
	if err != nil {
		return poller.Connecting, err
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(aLongTimeAgo) })
	defer stop()
	// each stage's deadline, unless ctx ended (its deadline then stands)
	until := func(d time.Time) {
		nc.SetDeadline(d)
		if ctx.Err() != nil {
			nc.SetDeadline(aLongTimeAgo)
		}
	}
	req := Request(h.Proto, u.Path, hostHeader(u.Virtualhost, h.Conn.Dst))
	buf := make([]byte, 16<<10)
	if h.TLS != nil {
		return h.fetchTLS(ctx, u, rd, nc, until, start.Add(t), t, req, buf)
	}
	until(time.Now().Add(t))
	if _, err := nc.Write(req); err != nil {
		return poller.Sending, err
	}
	stage := poller.Receiving
	until(time.Now().Add(t))
	for {
		n, err := nc.Read(buf)
		if n > 0 {
			if rd.Data(buf[:n]) {
				return stage, nil
			}
			stage = poller.Reading
			until(time.Now().Add(t))
		}
		if err == io.EOF {
			return stage, nil
		}
		if err != nil {
			return stage, err
		}
	}
}

// fetchTLS is fetch's SSL_GET, as check_http.c with check_ssl.c: the
// handshake has what is left of the connect's time; after the first
// response bytes the rest has one timeout; a read that ends in error
// is judged on what arrived, as at EOF, except a close_notify before
// any head.
func (h *HTTP) fetchTLS(ctx context.Context, u *URL, rd *response, nc net.Conn, until func(time.Time), connDL time.Time,
	t time.Duration, req, buf []byte) (poller.Stage, error) {
	rc := &rawConn{Conn: nc}
	rc.first = func() { until(time.Now().Add(t)) }
	cfg := h.TLS.Clone()
	if h.SNI {
		cfg.ServerName = u.SNIName
	}
	if cfg.ServerName == "" && !cfg.InsecureSkipVerify {
		cfg.ServerName = h.Conn.Dst.Addr().String() // verification needs a name
	}
	until(connDL)
	tc := tls.Client(rc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return poller.Connecting, handshakeError{err}
	}
	until(time.Now().Add(t))
	if _, err := tc.Write(req); err != nil {
		return poller.Sending, err
	}
	until(time.Now().Add(t))
	rc.armed = true
	stage, shutdown, err := readTLS(tc, rc, rd, buf)
	if shutdown && u.TLSCompliant {
		// keepalived 2.4's SSL_shutdown: a close_notify, sent unless the
		// read ended in a TLS or socket error
		until(time.Now().Add(t))
		tc.CloseWrite()
	}
	return stage, err
}

// readTLS reads SSL_GET's response; shutdown says whether TLS may be
// ended with a close_notify: the response complete, the peer's
// close_notify, or a timeout.
func readTLS(tc *tls.Conn, rc *rawConn, rd *response, buf []byte) (stage poller.Stage, shutdown bool, err error) {
	for {
		n, err := tc.Read(buf)
		if n > 0 && rd.Data(buf[:n]) {
			return poller.Reading, true, nil
		}
		switch {
		case err == nil:
			continue
		case isTimeout(err) && !rc.got:
			return poller.Receiving, true, err
		case isTimeout(err):
			return poller.Reading, true, sslError{"Timeout SSL read", err}
		case err == io.EOF && !rc.eof && !rd.headDone:
			return poller.Reading, true, sslError{"SSL read error from", err}
		}
		return poller.Reading, err == io.EOF && !rc.eof, nil
	}
}

var errNoHead = errors.New("no HTTP response head")

// ended maps how an exchange ended to keepalived's failure (check_http.c),
// or to OK when there is a response to judge. As keepalived, a response
// cut short of its Content-Length by EOF is judged on what arrived (it
// logs the mismatch), while a reset is a read error.
func ended(rd *response, stage poller.Stage, err error) Result {
	if err == nil {
		if !rd.headDone {
			return fail("Read, no data received from ", errNoHead)
		}
		return Result{OK: true}
	}
	return failed(stage, err)
}

// NetUnreachable is keepalived 2.2.8's and later's wording; 2.2.7 says
// "HTTP_CHECK - network unreachable" (the engine follows --compat).
const NetUnreachable = "HTTP/SSL_CHECK - network unreachable"

// failed is ended's error case, apart: its targets for errors.As live
// on the heap. The wording is check_http.c's for each stage.
func failed(stage poller.Stage, err error) Result {
	if r, ok := setupResult(err, "WEB connection fail to create socket. Rescheduling.", "WEB socket bind failed. Rescheduling"); ok {
		return r
	}
	var he handshakeError
	var se sslError
	var cf *poller.ConnectFail
	var soe *poller.SockoptError
	timeout := isTimeout(err)
	switch {
	case errors.As(err, &se):
		return fail(se.reason, se.error)
	case errors.As(err, &he) && isTimeout(he.error):
		return fail("Timeout connecting", he.error)
	case errors.As(err, &he):
		return fail("SSL handshake/communication error connecting to", he.error)
	case stage == poller.Connecting && errors.As(err, &cf):
		return fail(NetUnreachable, err)
	case stage == poller.Connecting && errors.As(err, &soe):
		return fail("Error connecting", err)
	case stage == poller.Connecting && timeout: // no answer, or SO_ERROR ETIMEDOUT
		return fail("Timeout connecting", err)
	case stage == poller.Connecting:
		return fail("Connection failed", err)
	case stage == poller.Sending && timeout:
		return fail("Timeout WEB write", err)
	case stage == poller.Sending:
		return fail("Cannot send get request to", err)
	case stage == poller.Receiving && timeout:
		return fail("Timeout WEB read", err)
	case timeout:
		return fail("Timeout HTTP read", err)
	}
	return fail("Read error with", err)
}

// isTimeout: a deadline passed (net's, a context's, or ETIMEDOUT, all
// net.Errors).
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Check fetches url number step and applies status, digest and regex.
func (h *HTTP) Check(ctx context.Context, step int) Result {
	if step < 0 || step >= len(h.URLs) {
		return fail("no such url", fmt.Errorf("url index %d", step))
	}
	u := &h.URLs[step]
	f, r := h.Fetch(ctx, u)
	if !r.OK {
		return r
	}
	return u.Judge(f)
}

// Start runs one HTTP_GET attempt of url number step on the poller and
// calls done with its result, usually from the poller's goroutine.
// Attempts of one HTTP must not overlap. SSL_GET has no poller path: it
// runs Check on a goroutine (New keeps it off the asynchronous path).
func (h *HTTP) Start(step int, done func(Result)) {
	if h.TLS != nil || step < 0 || step >= len(h.URLs) {
		go func() { done(h.Check(context.Background(), step)) }()
		return
	}
	p, err := poller.Default()
	if err != nil {
		done(fail("WEB connection fail to create socket. Rescheduling.", err)) // no epoll: no socket either
		return
	}
	if !h.ready {
		h.opts = h.Conn.pollOpts(false)
		h.opts.MaxTime = h.MaxTime
		for _, u := range h.URLs {
			h.reqs = append(h.reqs, Request(h.Proto, u.Path, hostHeader(u.Virtualhost, h.Conn.Dst)))
		}
		h.cb = h.finish
		h.ready = true
	}
	u := &h.URLs[step]
	h.url, h.done = u, done
	h.rd.reset(u.Digest != "", u.keep())
	p.Exchange(&h.opts, h.reqs[step], &h.rd, h.cb)
}

func (h *HTTP) finish(stage poller.Stage, err error) {
	done, u := h.done, h.url
	h.done = nil
	r := ended(&h.rd, stage, err)
	if r.OK {
		var sum []byte
		if u.Digest != "" {
			sum = h.rd.sumHex()
		}
		r = u.judge(h.rd.status, sum, h.rd.body)
	}
	done(r)
}

// Judge applies the url's success rules to a fetched response.
func (u *URL) Judge(f *Fetched) Result { return u.judge(f.Status, []byte(f.MD5), f.Body) }

// judge is Judge on a response's parts; sum (hex) is needed only with a
// digest.
func (u *URL) judge(status int, sum, body []byte) Result {
	if !u.acceptsStatus(status) {
		return fail("HTTP status code error to", fmt.Errorf("url(%s), status_code [%d]", u.Path, status))
	}
	if u.Digest != "" && string(sum) != u.Digest {
		return fail("MD5 digest error to", fmt.Errorf("url(%s), digest(%s)", u.Path, sum))
	}
	if u.Regex != nil && u.regexMatches(body) == u.RegexNoMatch {
		return fail("Regex match failed", fmt.Errorf("url(%s)", u.Path))
	}
	return Result{OK: true}
}

func (u *URL) acceptsStatus(code int) bool {
	if len(u.Status) == 0 {
		return code >= 200 && code <= 299
	}
	for _, r := range u.Status {
		if code >= r.Min && code <= r.Max {
			return true
		}
	}
	return false
}

// regexMatches finds a match starting in [RegexMin, RegexMax).
func (u *URL) regexMatches(body []byte) bool {
	if u.RegexMin > uint64(len(body)) {
		return false
	}
	loc := u.Regex.FindIndex(body[u.RegexMin:])
	if loc == nil {
		return false
	}
	start := u.RegexMin + uint64(loc[0])
	return u.RegexMax == 0 || start < u.RegexMax
}
