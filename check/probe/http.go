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
	SNIName      string
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
	h := &HTTP{Conn: ConnFrom(c.Conn), Proto: c.HTTP.Protocol, SNI: c.HTTP.EnableSNI}
	for _, u := range c.HTTP.URLs {
		r := URL{Path: u.Path, Digest: u.Digest, Status: u.StatusCodes, RegexNoMatch: u.RegexNoMatch,
			RegexMin: u.RegexMinOffset, RegexMax: u.RegexMaxOffset}
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

// Fetch performs one GET of u over a fresh connection; the checker's
// timeout bounds the whole exchange, so a body trickled slower than
// that fails.
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

func (h *HTTP) fetch(ctx context.Context, u *URL, rd *response) (poller.Stage, error) {
	ctx, cancel := withTimeout(ctx, h.Conn.Timeout)
	defer cancel()
	nc, err := h.Conn.dial(ctx, "tcp")
	if err != nil {
		return poller.Connecting, err
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(aLongTimeAgo) })
	defer stop()
	deadline(ctx, nc)
	var c net.Conn = nc
	if h.TLS != nil {
		cfg := h.TLS.Clone()
		if h.SNI {
			cfg.ServerName = u.SNIName
		}
		if cfg.ServerName == "" && !cfg.InsecureSkipVerify {
			cfg.ServerName = h.Conn.Dst.Addr().String() // verification needs a name
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return poller.Connecting, handshakeError{err}
		}
		c = tc
	}
	if _, err := c.Write(Request(h.Proto, u.Path, hostHeader(u.Virtualhost, h.Conn.Dst))); err != nil {
		return poller.Sending, err
	}
	buf := make([]byte, 16<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 && rd.Data(buf[:n]) || err == io.EOF {
			return poller.Receiving, nil
		}
		if err != nil {
			return poller.Receiving, err
		}
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
			return fail("Read, no data received from", errNoHead)
		}
		return Result{OK: true}
	}
	return failed(stage, err)
}

// failed is ended's error case, apart: its targets for errors.As live
// on the heap.
func failed(stage poller.Stage, err error) Result {
	var se *poller.SetupError
	var he handshakeError
	switch {
	case errors.As(err, &se) && se.Socket:
		return Result{NoVerdict: true, Reason: "WEB connection fail to create socket. Rescheduling.", Err: err}
	case errors.As(err, &se):
		r := Result{NoVerdict: true, Reason: "WEB socket bind failed. Rescheduling", Err: err}
		if se.Msg != "" {
			r.Reason = se.Msg + "\n" + r.Reason
		}
		return r
	case errors.As(err, &he):
		return fail("SSL handshake/communication error connecting to", he.error)
	case stage == poller.Connecting:
		return fail("Error connecting", err)
	case stage == poller.Sending:
		return fail("Cannot send get request to", err)
	case isTimeout(err):
		return fail("Timeout HTTP read", err)
	}
	return fail("Read error with", err)
}

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
		done(fail("Error connecting", err))
		return
	}
	if !h.ready {
		h.opts = h.Conn.pollOpts(false)
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
