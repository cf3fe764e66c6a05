package probe

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"regexp"

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

// HTTP is HTTP_GET, and SSL_GET when TLS is set.
type HTTP struct {
	Conn Conn
	URLs []URL
	// Proto is "1.0", "1.0C" or "1.1".
	Proto string
	TLS   *tls.Config // nil for HTTP_GET
	SNI   bool
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

// Fetch performs one GET of u over a fresh connection; the checker's
// timeout bounds the whole exchange, so a body trickled slower than
// that fails.
func (h *HTTP) Fetch(ctx context.Context, u *URL) (*Fetched, Result) {
	ctx, cancel := withTimeout(ctx, h.Conn.Timeout)
	defer cancel()
	nc, err := h.Conn.dial(ctx, "tcp")
	if err != nil {
		return nil, fail("Error connecting", err)
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
			return nil, fail("SSL handshake/communication error connecting to", err)
		}
		c = tc
	}
	if _, err := c.Write(Request(h.Proto, u.Path, hostHeader(u.Virtualhost, h.Conn.Dst))); err != nil {
		return nil, fail("Cannot send get request to", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return nil, fail(readReason(err, "Read, no data received from"), err)
	}
	defer resp.Body.Close()
	sum := md5.New()
	var body []byte
	var n int64
	if u.Regex != nil {
		// keep at most MaxRegexBody bytes for the regex; the digest
		// still covers the whole body
		body, err = io.ReadAll(io.LimitReader(io.TeeReader(resp.Body, sum), MaxRegexBody))
		n = int64(len(body))
		if err == nil {
			var rest int64
			rest, err = io.Copy(sum, resp.Body)
			n += rest
		}
	} else {
		n, err = io.Copy(sum, resp.Body)
	}
	if err != nil {
		return nil, fail(readReason(err, "Read error with"), err)
	}
	return &Fetched{Status: resp.StatusCode, Body: body, Len: n, MD5: hex.EncodeToString(sum.Sum(nil))}, Result{OK: true}
}

func readReason(err error, other string) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "Timeout HTTP read"
	}
	return other
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

// Judge applies the url's success rules to a fetched response.
func (u *URL) Judge(f *Fetched) Result {
	if !u.acceptsStatus(f.Status) {
		return fail("HTTP status code error to", fmt.Errorf("url(%s), status_code [%d]", u.Path, f.Status))
	}
	if u.Digest != "" && f.MD5 != u.Digest {
		return fail("MD5 digest error to", fmt.Errorf("url(%s), digest(%s)", u.Path, f.MD5))
	}
	if u.Regex != nil && u.regexMatches(f.Body) == u.RegexNoMatch {
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
