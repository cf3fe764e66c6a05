package conf

import (
	"net/netip"
	"reflect"
	"strings"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

// Checker keyword tables (check_api.c, check_http.c, check_tcp.c,
// check_smtp.c, check_dns.c, check_misc.c, check_udp.c, check_ping.c,
// check_file.c, check_bfd.c).

// checkerKeywords are the checker block keywords of a real_server; they
// work on d.lvs.vs and d.lvs.rs.
var checkerKeywords = map[string]handler{
	"TCP_CHECK":  func(d *decoder, s *syntax.Stmt) { d.decodeSimpleChecker(s, CheckTCP) },
	"PING_CHECK": func(d *decoder, s *syntax.Stmt) { d.decodeSimpleChecker(s, CheckPing) },
	"UDP_CHECK":  func(d *decoder, s *syntax.Stmt) { d.decodeSimpleChecker(s, CheckUDP) },
	"DNS_CHECK":  func(d *decoder, s *syntax.Stmt) { d.decodeSimpleChecker(s, CheckDNS) },
	"HTTP_GET":   func(d *decoder, s *syntax.Stmt) { d.decodeHTTPChecker(s, CheckHTTP) },
	"SSL_GET":    func(d *decoder, s *syntax.Stmt) { d.decodeHTTPChecker(s, CheckSSL) },
	"SMTP_CHECK": func(d *decoder, s *syntax.Stmt) { d.decodeSMTPChecker(s) },
	"MISC_CHECK": func(d *decoder, s *syntax.Stmt) { d.decodeMiscChecker(s) },
	"FILE_CHECK": func(d *decoder, s *syntax.Stmt) { d.decodeFileChecker(s) },
	"BFD_CHECK":  func(d *decoder, s *syntax.Stmt) { d.decodeBFDChecker(s) },
}

// Checker block tables, built once by init; their handlers work on
// d.lvs.c, d.lvs.conn and d.lvs.url.
var (
	simpleCheckTable, udpCheckTable, dnsCheckTable table
	httpCheckTable, urlTable                       table
	sslCheckTable, sslURLTable                     table
	smtpCheckTable, smtpHostTable                  table
	miscCheckTable, fileCheckTable, bfdCheckTable  table
)

// Indexes of the tables of the checkers a big config has by the thousand.
var (
	simpleCheckIndex = indexOf(&simpleCheckTable)
	udpCheckIndex    = indexOf(&udpCheckTable)
	dnsCheckIndex    = indexOf(&dnsCheckTable)
	httpCheckIndex   = indexOf(&httpCheckTable)
	urlIndex         = indexOf(&urlTable)
	sslCheckIndex    = indexOf(&sslCheckTable)
	sslURLIndex      = indexOf(&sslURLTable)
)

// merged is a new table with the keywords of all ts.
func merged(ts ...table) table {
	out := table{}
	for _, t := range ts {
		for k, v := range t {
			out[k] = v
		}
	}
	return out
}

func init() {
	conn, timing := connKeywords(), timingKeywords()
	simpleCheckTable = merged(conn, timing)
	udpCheckTable = merged(conn, timing, udpKeywords())
	dnsCheckTable = merged(conn, timing, dnsKeywords())
	httpCheckTable = merged(conn, timing, httpKeywords())
	urlTable = urlKeywords()
	// keepalived 2.4 installs tls_compliant in SSL_GET and its urls only
	sslCheckTable = merged(httpCheckTable, table{"tls_compliant": {fn: func(d *decoder, s *syntax.Stmt) {
		if v, ok := d.boolArg(s, 1, "Invalid tls_compliant option %s"); ok {
			d.lvs.c.HTTP.TLSCompliant = v
		}
	}}})
	sslURLTable = merged(urlTable, table{"tls_compliant": {fn: func(d *decoder, s *syntax.Stmt) {
		if v, ok := d.boolArg(s, 1, "Invalid tls_compliant option %s"); ok {
			d.lvs.url.TLSCompliant = v
		}
	}}})
	smtpCheckTable = merged(conn, timing, smtpKeywords())
	// the timing keywords of a host block set the checker's
	smtpHostTable = merged(conn, timing)
	miscCheckTable = merged(timing, miscKeywords())
	fileCheckTable = fileKeywords()
	bfdCheckTable = bfdKeywords()
}

// enterChecker makes c the checker the tables work on, with its own
// connection options, and clears the per-checker state.
func (d *decoder) enterChecker(c *Checker, connFamily LVSFamily) {
	l := &d.lvs
	l.c, l.conn, l.connFamily = c, c.Conn, connFamily
	l.dnsNameSet, l.removed, l.miscUserSet, l.heloSet, l.smtpHosts = false, false, false, false, nil
}

// newChecker is queue_checker: a checker of type t.
func (d *decoder) newChecker(s *syntax.Stmt, t CheckerType) *Checker {
	c := d.mem.checkers.new() // zeroed: filled field by field, see decodeVirtualServer
	c.Pos, c.Type = s.Pos(), t
	if t.hasConn() {
		c.Conn = d.mem.conns.new()
		c.Conn.pos = c.Pos
	}
	return c
}

// connFamily is the family bindto is checked against: connect_ip's, or
// before connect_ip is given the real server's, or none for the main
// SMTP_CHECK connection (which keepalived leaves unset).
func connFamily(co *ConnOpts, dflt LVSFamily) LVSFamily {
	if co.ConnectIP.IsValid() {
		return lvsFamilyOf(co.ConnectIP)
	}
	return dflt
}

// connKeywords are the connection keywords; they work on d.lvs.conn.
func connKeywords() table {
	t := table{}
	t["connect_ip"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		str, ok := d.arg(s, 1)
		if !ok {
			return
		}
		a, ok := kaParseIP(str)
		if !ok {
			d.errorf(s, 1, "Invalid connect_ip address %s - ignoring", str)
			return
		}
		if d.lvs.conn.BindTo.IsValid() && lvsFamilyOf(d.lvs.conn.BindTo) != lvsFamilyOf(a) {
			d.errorf(s, 1, "connect_ip address %s does not match address family of bindto - skipping", str)
			return
		}
		d.lvs.conn.ConnectIP = a
	}}
	t["connect_port"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		if v, ok := d.readUnsigned(s, 1, 1, 65535); ok {
			d.lvs.conn.ConnectPort = uint16(v)
		} else if len(s.Words) > 1 {
			d.errorf(s, 1, "Invalid checker connect_port '%s'", s.Words[1].Text)
		}
	}}
	t["bindto"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		str, ok := d.arg(s, 1)
		if !ok {
			return
		}
		a, ok := kaParseIP(str)
		if !ok {
			d.errorf(s, 1, "Invalid bindto address %s - ignoring", str)
			return
		}
		if f := connFamily(d.lvs.conn, d.lvs.connFamily); f != "" && f != lvsFamilyOf(a) {
			d.errorf(s, 1, "bindto address %s does not match address family of connect_ip - skipping", str)
			d.lvs.conn.BindTo = netip.Addr{}
			return
		}
		d.lvs.conn.BindTo = a
	}}
	t["bind_port"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		if v, ok := d.readUnsigned(s, 1, 1, 65535); ok {
			d.lvs.conn.BindPort = uint16(v)
		} else if len(s.Words) > 1 {
			d.errorf(s, 1, "Invalid checker bind_port '%s'", s.Words[1].Text)
		}
	}}
	t["bind_if"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		str, ok := d.arg(s, 1)
		if !ok {
			return
		}
		if len(str) > 15 { // IFNAMSIZ - 1
			d.errorf(s, 1, "Interface name %s is too long - ignoring", str)
			return
		}
		d.lvs.conn.BindIf = str
	}}
	t["connect_timeout"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		if v, ok := d.lvsTimer(s, 1, lvsTimerUintMax, "connect_timeout %s invalid - ignoring"); ok {
			d.lvs.conn.ConnectTimeoutSet = d.mem.dur(v)
		}
	}}
	t["fwmark"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		if v, ok := d.readUnsigned(s, 1, 0, kaUintMax); ok {
			d.lvs.conn.FWMark = uint32(v)
		} else if len(s.Words) > 1 {
			d.errorf(s, 1, "Invalid fwmark connection value '%s'", s.Words[1].Text)
		}
	}}
	return t
}

// timingKeywords are the common check keywords; they work on d.lvs.c.
func timingKeywords() table {
	t := table{}
	t["retry"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		ts := &d.lvs.c.Configured
		if v, ok := d.readUnsigned(s, 1, 0, kaUintMax); ok {
			ts.Retry = d.mem.u32(uint32(v))
		} else if len(s.Words) > 1 {
			d.errorf(s, 1, "Invalid retry connection value '%s'", s.Words[1].Text)
		}
	}}
	t["delay_before_retry"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		ts := &d.lvs.c.Configured
		if v, ok := d.lvsTimer(s, 0, 0, "Invalid delay_before_retry connection value '%s'"); ok {
			ts.DelayBeforeRetry = d.mem.dur(v)
		}
	}}
	t["warmup"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		ts := &d.lvs.c.Configured
		if v, ok := d.lvsTimer(s, 0, 0, "Invalid warmup connection value '%s'"); ok {
			ts.Warmup = d.mem.dur(v)
		}
	}}
	t["delay_loop"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		ts := &d.lvs.c.Configured
		if v, ok := d.lvsTimer(s, 1, 0, "delay_loop '%s' is invalid - ignoring"); ok {
			ts.DelayLoop = d.mem.dur(v)
		}
	}}
	t["alpha"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		ts := &d.lvs.c.Configured
		if v, ok := d.boolArg(s, 1, "Invalid alpha parameter %s"); ok {
			ts.Alpha = &v
		}
	}}
	t["log_all_failures"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		ts := &d.lvs.c.Configured
		if v, ok := d.boolArg(s, 1, "Invalid log_all_failures parameter %s"); ok {
			ts.LogAllFailures = &v
		}
	}}
	return t
}

// finishConn resolves the destination (connect_ip/connect_port, else the
// real server's address and header port) and applies check_conn_opts:
// a link-local IPv6 destination needs bind_if.
func (d *decoder) finishConn(co *ConnOpts, rs *RealServer) bool {
	a := rs.Addr
	if co.ConnectIP.IsValid() {
		a = co.ConnectIP
	}
	p := rs.ConfiguredPort
	if co.ConnectPort != 0 {
		p = co.ConnectPort
	}
	co.Dst = netip.AddrPortFrom(a, p)
	if a.Is6() && a.IsLinkLocalUnicast() && co.BindIf == "" {
		d.add(co.pos, syntax.GeneralError, "Checker link local address %s requires a bind_if", a)
		return false
	}
	return true
}

// decodeSimpleChecker handles TCP_CHECK, PING_CHECK, UDP_CHECK, DNS_CHECK.
func (d *decoder) decodeSimpleChecker(s *syntax.Stmt, typ CheckerType) {
	rs := d.lvs.rs
	c := d.newChecker(s, typ)
	t := simpleCheckIndex
	switch typ {
	case CheckUDP:
		c.UDP = &UDPCheck{MaxReplyLength: 255}
		t = udpCheckIndex
	case CheckDNS:
		c.DNS = &DNSCheck{Type: "SOA", TypeCode: 6}
		t = dnsCheckIndex
	}
	d.enterChecker(c, lvsFamilyOf(rs.Addr))
	d.walk(string(typ), s.Block, t)
	if !d.finishConn(c.Conn, rs) {
		return
	}
	if u := c.UDP; u != nil && u.MinReplyLength > u.MaxReplyLength {
		d.errorf(s, 0, "UDP_CHECK min_reply length %d > max_reply_length %d - will always fail", u.MinReplyLength, u.MaxReplyLength)
	}
	rs.Checkers = d.mem.cLists.append(rs.Checkers, c)
}

// ---------------------------------------------------------------------
// UDP_CHECK

func udpKeywords() table {
	t := table{}
	t["payload"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		u := d.lvs.c.UDP
		if len(s.Words) == 1 {
			d.errorf(s, 0, "UDP_CHECK payload requires a payload")
			return
		}
		data, _, ok := readHexStr(joinWords(s.Words[1:]), false)
		if !ok {
			d.errorf(s, 1, "Invalid hex string for UDP_CHECK payload")
			return
		}
		u.Payload = data
	}}
	t["require_reply"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		u := d.lvs.c.UDP
		u.RequireReply = true
		if len(s.Words) == 1 {
			return
		}
		data, mask, ok := readHexStr(joinWords(s.Words[1:]), true)
		if !ok {
			d.errorf(s, 1, "Invalid hex string for UDP_CHECK reply")
			return
		}
		u.Reply, u.ReplyMask = data, mask
	}}
	t["min_reply_length"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		u := d.lvs.c.UDP
		if v, ok := d.readUnsigned(s, 1, 0, 65535); ok {
			u.MinReplyLength = uint16(v)
		} else if len(s.Words) > 1 {
			d.errorf(s, 1, "UDP_CHECK min length %s not valid - must be between 0 & %d", s.Words[1].Text, 65535)
		}
	}}
	t["max_reply_length"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		u := d.lvs.c.UDP
		if v, ok := d.readUnsigned(s, 1, 0, 65535); ok {
			u.MaxReplyLength = uint16(v)
		} else if len(s.Words) > 1 {
			d.errorf(s, 1, "UDP_CHECK max length %s not valid - must be between 0 & %d", s.Words[1].Text, 65535)
		}
	}}
	return t
}

func joinWords(ws []syntax.Word) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = w.Text
	}
	return strings.Join(parts, " ")
}

// readHexStr is keepalived's read_hex_str: hex octets, optionally
// separated by spaces (a lone digit before a space is one octet); with
// wildcards, x/X nibbles match anything and are flagged in the mask.
func readHexStr(str string, wildcards bool) (data, mask []byte, ok bool) {
	val := func(c byte) int {
		if v := lvsHexDigit(c); v >= 0 {
			return v
		}
		if wildcards && (c == 'x' || c == 'X') {
			return 0xfe
		}
		return 0xff
	}
	usingMask := false
	p := 0
	for {
		for p < len(str) && (str[p] == ' ' || str[p] == '\t') {
			p++
		}
		if p == len(str) {
			break
		}
		v := val(str[p])
		p++
		if v == 0xff {
			return nil, nil, false
		}
		m := 0
		if v == 0xfe {
			v, m, usingMask = 0, 0x0f, true
		}
		if p < len(str) && str[p] != ' ' {
			hi, mhi := v<<4, m<<4
			v = val(str[p])
			p++
			if v == 0xff {
				return nil, nil, false
			}
			m = 0
			if v == 0xfe {
				v, m, usingMask = 0, 0x0f, true
			}
			v |= hi
			m |= mhi
		}
		data = append(data, byte(v))
		mask = append(mask, byte(m))
	}
	if len(data) == 0 {
		return nil, nil, false
	}
	if !usingMask {
		mask = nil
	}
	return data, mask, true
}

// ---------------------------------------------------------------------
// DNS_CHECK

var dnsTypes = []struct {
	name string
	code uint16
}{
	{"A", 1}, {"NS", 2}, {"CNAME", 5}, {"SOA", 6}, {"MX", 15}, {"TXT", 16},
	{"AAAA", 28}, {"RRSIG", 46}, {"DNSKEY", 48},
}

func dnsKeywords() table {
	t := table{}
	t["type"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		dc := d.lvs.c.DNS
		str, ok := d.arg(s, 1)
		if !ok {
			return
		}
		for _, dt := range dnsTypes {
			if strings.EqualFold(str, dt.name) {
				dc.Type, dc.TypeCode = dt.name, dt.code
				return
			}
		}
		d.errorf(s, 1, "Unknown DNS check type %s - ignoring", str)
	}}
	t["name"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		dc := d.lvs.c.DNS
		if d.lvs.dnsNameSet {
			d.errorf(s, 0, "DNS_CHECK name already specified - ignoring")
			return
		}
		name, ok := d.arg(s, 1)
		if !ok {
			return
		}
		invalid := false
		if len(name) > 1 && name[0] == '.' {
			invalid = true
		} else {
			// no empty label: no ".." anywhere (keepalived only looks
			// from the first character and at each '.').
			for p := 0; p >= 0 && p < len(name); {
				if p+1 < len(name) && name[p+1] == '.' {
					invalid = true
					break
				}
				n := strings.IndexByte(name[p+1:], '.')
				if n < 0 {
					break
				}
				p += 1 + n
			}
		}
		if invalid {
			d.errorf(s, 1, "DNS_CHECK name '%s' has empty label - ignoring", name)
			return
		}
		dc.Name, d.lvs.dnsNameSet = name, true
	}}
	return t
}

// ---------------------------------------------------------------------
// HTTP_GET / SSL_GET

func (d *decoder) decodeHTTPChecker(s *syntax.Stmt, typ CheckerType) {
	rs := d.lvs.rs
	c := d.newChecker(s, typ)
	h := d.mem.https.new()
	h.Protocol = "1.0"
	c.HTTP = h
	d.enterChecker(c, lvsFamilyOf(rs.Addr))
	if typ == CheckSSL {
		d.walk(string(typ), s.Block, sslCheckIndex)
	} else {
		d.walk(string(typ), s.Block, httpCheckIndex)
	}
	if len(h.URLs) == 0 {
		d.errorf(s, 0, "HTTP/SSL_GET checker has no urls specified - ignoring")
		return
	}
	if !d.finishConn(c.Conn, rs) {
		return
	}
	rs.Checkers = d.mem.cLists.append(rs.Checkers, c)
}

// httpKeywords are HTTP_GET's and SSL_GET's own keywords.
func httpKeywords() table {
	t := table{}
	t["nb_get_retry"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		d.deprecated(s, "nb_get_retry is deprecated - please use 'retry'")
		if v, ok := d.readUnsigned(s, 1, 0, kaUintMax); ok {
			d.lvs.c.Configured.Retry = d.mem.u32(uint32(v))
		} else if len(s.Words) > 1 {
			d.errorf(s, 1, "Invalid nb_get_retry value '%s'", s.Words[1].Text)
		}
	}}
	t["virtualhost"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		if len(s.Words) < 2 {
			d.errorf(s, 0, "HTTP_GET virtualhost name missing")
			return
		}
		d.setString(&d.lvs.c.HTTP.Virtualhost, s, "virtualhost")
	}}
	t["http_protocol"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		h := d.lvs.c.HTTP
		if len(s.Words) < 2 {
			d.errorf(s, 0, "Missing http_protocol version")
			return
		}
		switch v := s.Words[1].Text; v {
		case "1.0", "1.1":
			h.Protocol = v
		case "1.0C", "1.0c":
			h.Protocol = "1.0C"
		default:
			d.errorf(s, 1, "Invalid http_protocol version %s", v)
		}
	}}
	t["enable_sni"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		if v, ok := d.boolArg(s, 1, "Invalid enable_sni parameter %s"); ok {
			d.lvs.c.HTTP.EnableSNI = v
		}
	}}
	t["fast_recovery"] = kw{fn: func(d *decoder, s *syntax.Stmt) {
		if v, ok := d.boolArg(s, 1, "Invalid fast_recovery parameter %s"); ok {
			d.lvs.c.HTTP.FastRecovery = v
		}
	}}
	t["url"] = kw{fn: decodeURL, block: true}
	return t
}

// regexOptions are the PCRE2 options regex_options accepts.
var regexOptions = map[string]bool{
	"allow_empty_class": true, "alt_bsux": true, "auto_callout": true, "caseless": true,
	"dollar_endonly": true, "dotall": true, "dupnames": true, "extended": true,
	"firstline": true, "match_unset_backref": true, "multiline": true, "never_ucp": true,
	"never_utf": true, "no_auto_capture": true, "no_auto_possess": true,
	"no_dotstar_anchor": true, "no_start_optimize": true, "ucp": true, "ungreedy": true,
	"utf": true, "never_backslash_c": true, "alt_circumflex": true, "alt_verbnames": true,
	"use_offset_limit": true,
}

// info logs what keepalived only logs (no effect on the verdict).
func (d *decoder) info(s *syntax.Stmt, format string, args ...any) {
	d.add(s.Pos(), syntax.Info, format, args...)
}

func decodeURL(d *decoder, s *syntax.Stmt) {
	h := d.lvs.c.HTTP
	u := d.mem.urls.new()
	u.Pos = s.Pos()
	d.lvs.url, d.lvs.digestSet, d.lvs.haveRegex = u, false, false
	if d.lvs.c.Type == CheckSSL {
		d.walk("url", s.Block, sslURLIndex)
	} else {
		d.walk("url", s.Block, urlIndex)
	}
	haveRegex := d.lvs.haveRegex

	// url_check
	if u.Path == "" {
		// keepalived checks when the block closes
		pos := s.Close()
		if pos.Line == 0 {
			pos = s.Pos()
		}
		d.add(pos, syntax.GeneralError, "HTTP/SSL_GET checker url has no path - ignoring")
		return
	}
	if len(u.StatusCodes) == 0 {
		u.StatusCodes = d.mem.codes.one(StatusRange{Min: 200, Max: 299})
	}
	if !haveRegex && (len(u.RegexOptions) > 0 || u.RegexNoMatch || u.RegexMinOffset != 0 || u.RegexMaxOffset != 0 || u.RegexStack != nil) {
		d.info(s, "regex parameters specified without regex")
		u.RegexOptions, u.RegexNoMatch, u.RegexMinOffset, u.RegexMaxOffset, u.RegexStack = nil, false, 0, 0, nil
	}
	if u.RegexMaxOffset != 0 && u.RegexMinOffset >= u.RegexMaxOffset {
		d.info(s, "regex min offset %d > regex_max_offset %d - ignoring", u.RegexMinOffset, u.RegexMaxOffset-1)
		u.RegexMinOffset, u.RegexMaxOffset = 0, 0
	}
	h.URLs = d.mem.urlLists.append(h.URLs, u)
}

// urlKeywords are the url block's keywords; they work on d.lvs.url.
func urlKeywords() table {
	return table{
		"path": {fn: func(d *decoder, s *syntax.Stmt) {
			u := d.lvs.url
			if _, ok := d.arg(s, 1); ok {
				d.setString(&u.Path, s, "path")
			}
		}},
		"digest": {fn: func(d *decoder, s *syntax.Stmt) {
			u := d.lvs.url
			dg, ok := d.arg(s, 1)
			if !ok {
				return
			}
			if d.lvs.digestSet {
				d.errorf(s, 1, "Digest '%s' is a duplicate", dg)
				return
			}
			if len(dg) != 32 {
				d.errorf(s, 1, "digest '%s' character length should be %d rather than %d", dg, 32, len(dg))
				return
			}
			for i := 15; i >= 0; i-- {
				if lvsHexDigit(dg[2*i]) < 0 || lvsHexDigit(dg[2*i+1]) < 0 {
					d.errorf(s, 1, "Unable to interpret hex digit in '%s' at offset %d/%d", dg[:2*i+2], 2*i, 2*i+1)
					return
				}
			}
			u.Digest, d.lvs.digestSet = strings.ToLower(dg), true
		}},
		"status_code": {fn: func(d *decoder, s *syntax.Stmt) {
			u := d.lvs.url
			for i := 1; i < len(s.Words); i++ {
				str := s.Words[i].Text
				lo, rest, _ := cStrtoul(str, 10)
				hi := lo
				if strings.HasPrefix(rest, "-") {
					hi, rest, _ = cStrtoul(rest[1:], 10)
				}
				if rest != "" || lo < 100 || lo > 599 || hi < 100 || hi > 599 || lo > hi {
					d.errorf(s, i, "Invalid HTTP_GET status code '%s'", str)
					continue
				}
				u.StatusCodes = d.mem.codes.append(u.StatusCodes, StatusRange{Min: int(lo), Max: int(hi)})
			}
		}},
		"virtualhost": {fn: func(d *decoder, s *syntax.Stmt) {
			u := d.lvs.url
			if len(s.Words) < 2 {
				d.errorf(s, 0, "Missing HTTP_GET virtualhost name")
				return
			}
			d.setString(&u.Virtualhost, s, "url virtualhost")
		}},
		"regex": {fn: func(d *decoder, s *syntax.Stmt) {
			u := d.lvs.url
			argv, err := syntax.ShellWordsFor(syntax.Version(d.opt.Compat), s.Raw)
			if err != nil || len(argv) != 2 {
				d.info(s, "regex missing or too many fields")
				return
			}
			u.Regex, d.lvs.haveRegex = argv[1], true
		}},
		"regex_no_match": {fn: func(d *decoder, s *syntax.Stmt) { d.lvs.url.RegexNoMatch = true }},
		"regex_options": {fn: func(d *decoder, s *syntax.Stmt) {
			u := d.lvs.url
			for _, w := range s.Words[1:] {
				if regexOptions[w.Text] && !containsStr(u.RegexOptions, w.Text) {
					u.RegexOptions = append(u.RegexOptions, w.Text)
				}
			}
		}},
		"regex_min_offset": {fn: func(d *decoder, s *syntax.Stmt) {
			d.lvs.url.RegexMinOffset = d.regexOffset(s, "min")
		}},
		"regex_max_offset": {fn: func(d *decoder, s *syntax.Stmt) {
			d.lvs.url.RegexMaxOffset = d.regexOffset(s, "max") + 1
		}},
		"regex_stack": {fn: func(d *decoder, s *syntax.Stmt) {
			u := d.lvs.url
			if len(s.Words) != 3 {
				d.info(s, "regex_stack requires start and max values")
				return
			}
			start, rest, _ := cStrtoul(s.Words[1].Text, 10)
			if rest != "" {
				d.info(s, "regex_stack invalid start value")
				return
			}
			max, rest, _ := cStrtoul(s.Words[2].Text, 10)
			if rest != "" {
				d.info(s, "regex_stack invalid max value")
				return
			}
			if start > max {
				d.info(s, "regex stack start cannot exceed max value")
				return
			}
			u.RegexStack = &[2]uint64{start, max}
		}},
	}
}

// regexOffset reads regex_min_offset / regex_max_offset.
func (d *decoder) regexOffset(s *syntax.Stmt, typ string) uint64 {
	if len(s.Words) != 2 {
		d.info(s, "Missing or too may options for regex_%s_offset", typ)
		return 0
	}
	v, rest, _ := cStrtoul(s.Words[1].Text, 10)
	if rest != "" {
		d.info(s, "Invalid regex_%s_offset %s specified", typ, s.Words[1].Text)
		return 0
	}
	return v
}

func containsStr(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------
// SMTP_CHECK

func (d *decoder) decodeSMTPChecker(s *syntax.Stmt) {
	rs := d.lvs.rs
	c := d.newChecker(s, CheckSMTP)
	c.SMTP = &SMTPCheck{}
	// the main connection has no default family to check bindto against
	d.enterChecker(c, "")
	d.walk(string(CheckSMTP), s.Block, smtpCheckTable)
	hosts := d.lvs.smtpHosts
	d.lvs.smtpHosts = nil
	if !d.lvs.heloSet {
		c.SMTP.HeloName = "smtpchecker.keepalived.org"
	}
	if len(hosts) > 0 {
		d.info(s, "The SMTP_CHECK host block is deprecated. Please define additional checkers.")
	}
	co := c.Conn
	anySet := co.ConnectIP.IsValid() || co.ConnectPort != 0 || co.BindTo.IsValid() || co.BindPort != 0 ||
		co.BindIf != "" || co.FWMark != 0 || co.ConnectTimeoutSet != nil
	if anySet || len(hosts) == 0 {
		if !d.finishConn(co, rs) {
			return
		}
	} else {
		c.Conn, hosts = hosts[0], hosts[1:]
		c.FromSMTPHost = true
	}
	rs.Checkers = d.mem.cLists.append(rs.Checkers, c)
	for _, h := range hosts {
		nc := *c
		nc.Conn = h
		nc.SMTP = &SMTPCheck{HeloName: c.SMTP.HeloName}
		nc.FromSMTPHost = true
		rs.Checkers = d.mem.cLists.append(rs.Checkers, &nc)
	}
}

// smtpKeywords are SMTP_CHECK's own keywords.
func smtpKeywords() table {
	return table{
		"helo_name": {fn: func(d *decoder, s *syntax.Stmt) {
			if len(s.Words) < 2 {
				d.errorf(s, 0, "SMTP_CHECK helo name missing")
				return
			}
			if d.lvs.heloSet && d.opt.Compat.AtLeast(2, 2, 8) {
				d.errorf(s, 1, "SMTP_CHECK helo name already specified")
			}
			d.lvs.c.SMTP.HeloName, d.lvs.heloSet = s.Words[1].Text, true
		}},
		"host": {fn: decodeSMTPHost, block: true},
	}
}

// decodeSMTPHost decodes a host block of SMTP_CHECK: its connection
// keywords set the host's options, its timing keywords the checker's.
func decodeSMTPHost(d *decoder, s *syntax.Stmt) {
	l := &d.lvs
	co := &ConnOpts{pos: s.Pos()}
	l.conn, l.connFamily = co, lvsFamilyOf(l.rs.Addr)
	d.walk("host", s.Block, smtpHostTable)
	l.conn, l.connFamily = l.c.Conn, ""
	if d.finishConn(co, l.rs) {
		l.smtpHosts = append(l.smtpHosts, co)
	}
}

// ---------------------------------------------------------------------
// MISC_CHECK

func (d *decoder) decodeMiscChecker(s *syntax.Stmt) {
	rs := d.lvs.rs
	c := d.newChecker(s, CheckMisc)
	m := &MiscCheck{}
	c.Misc = m
	d.enterChecker(c, "")
	d.walk(string(CheckMisc), s.Block, miscCheckTable)
	if d.lvs.removed {
		return
	}
	if m.Script == nil {
		d.errorf(s, 0, "No script path has been specified for MISC_CHECKER - skipping")
		return
	}
	if d.lvs.miscUserSet {
		m.Script.User, m.Script.Group = m.User, m.Group
		m.Script.cred = d.lvs.miscCred
	} else {
		end := s.Close()
		if end.Line == 0 {
			end = s.Pos()
		}
		removing := func() {
			d.add(end, syntax.GeneralError, "Unable to set default user for misc script %s - removing", miscCmd(m))
		}
		checker := c
		cred, ok := d.defaultUser(end, phaseCheck, func() {
			removing()
			var kept []*Checker // a fresh slice: rs.Checkers lives in a shared slab
			for _, x := range rs.Checkers {
				if x != checker {
					kept = append(kept, x)
				}
			}
			rs.Checkers = kept
		}, func(cr scriptCred) { m.Script.cred = cr })
		if !ok {
			removing()
			return
		}
		m.Script.cred = cred
	}
	rs.Checkers = d.mem.cLists.append(rs.Checkers, c)
}

// miscKeywords are MISC_CHECK's own keywords; once the checker is
// removed (a bad user) they do nothing.
func miscKeywords() table {
	return table{
		"misc_path": {fn: func(d *decoder, s *syntax.Stmt) {
			m := d.lvs.c.Misc
			if d.lvs.removed {
				return
			}
			sc, ok := d.script(s)
			if !ok {
				return
			}
			// words after the command are ignored (the user comes from
			// the "user" keyword)
			sc.User, sc.Group = "", ""
			m.Script = &sc
		}},
		"misc_timeout": {fn: func(d *decoder, s *syntax.Stmt) {
			if d.lvs.removed {
				return
			}
			if v, ok := d.readUnsigned(s, 1, 0, kaUintMax/1000000); ok {
				d.lvs.c.Misc.TimeoutSet = lvsPtr(secondsDur(v))
			} else if len(s.Words) > 1 {
				d.errorf(s, 1, "Invalid misc_timeout value '%s'", s.Words[1].Text)
			}
		}},
		"misc_dynamic": {fn: func(d *decoder, s *syntax.Stmt) {
			if !d.lvs.removed {
				d.lvs.c.Misc.Dynamic = true
			}
		}},
		"user": {fn: func(d *decoder, s *syntax.Stmt) {
			m := d.lvs.c.Misc
			if d.lvs.removed {
				return
			}
			if len(s.Words) < 2 {
				d.errorf(s, 0, "No user specified for misc checker script %s", miscCmd(m))
				return
			}
			user := s.Words[1].Text
			c, ok := d.lookupUser(s.Pos(), user, word(s, 2))
			if !ok {
				d.errorf(s, 1, "Failed to set uid/gid for misc checker script %s - removing", miscCmd(m))
				d.lvs.removed = true
				return
			}
			m.User, m.Group = user, word(s, 2)
			d.lvs.miscUserSet = true
			d.lvs.miscCred = c
		}},
	}
}

func miscCmd(m *MiscCheck) string {
	if m.Script == nil {
		return ""
	}
	return cmdStr(m.Script.Argv)
}

// ---------------------------------------------------------------------
// FILE_CHECK

func (d *decoder) decodeFileChecker(s *syntax.Stmt) {
	rs := d.lvs.rs
	c := d.newChecker(s, CheckFile)
	f := &FileCheck{}
	c.File = f
	d.enterChecker(c, "")
	d.walk(string(CheckFile), s.Block, fileCheckTable)
	if f.TrackFile == "" {
		d.errorf(s, 0, "FILE_CHECK has no track_file specified - ignoring")
		return
	}
	rs.Checkers = d.mem.cLists.append(rs.Checkers, c)
}

func fileKeywords() table {
	return table{
		"track_file": {fn: func(d *decoder, s *syntax.Stmt) {
			name, ok := d.arg(s, 1)
			if !ok {
				return
			}
			if found, known := lvsFindNamed(d.cfg.TrackFiles, name); known && !found {
				d.errorf(s, 1, "track_file %s not found", name)
				return
			}
			d.lvs.c.File.TrackFile = name
		}},
		"weight": {fn: func(d *decoder, s *syntax.Stmt) {
			if len(s.Words) < 2 {
				d.errorf(s, 0, "track file weight missing")
				return
			}
			v, ok := d.readIntStr(s.WordPos(1), s.Words[1].Text, -lvsWeightLimit, lvsWeightLimit)
			if !ok {
				d.errorf(s, 1, "weight for track file must be in [%d..%d] inclusive. Ignoring...", -lvsWeightLimit, lvsWeightLimit)
				return
			}
			reverse := false
			if len(s.Words) >= 3 {
				switch s.Words[2].Text {
				case "reverse":
					reverse = true
				case "noreverse":
				default:
					d.errorf(s, 2, "unknown track file weight option %s - ignoring", s.Words[2].Text)
					return
				}
			}
			f := d.lvs.c.File
			f.Weight, f.Reverse = lvsPtr(int32(v)), reverse
		}},
	}
}

// ---------------------------------------------------------------------
// BFD_CHECK

func (d *decoder) decodeBFDChecker(s *syntax.Stmt) {
	rs := d.lvs.rs
	c := d.newChecker(s, CheckBFD)
	b := &BFDCheck{}
	c.BFD = b
	d.enterChecker(c, "")
	d.walk(string(CheckBFD), s.Block, bfdCheckTable)
	if d.lvs.removed {
		return
	}
	if b.Name == "" {
		end := s.Close() // keepalived checks as the block closes
		if end.Line == 0 {
			end = s.Pos()
		}
		d.add(end, syntax.GeneralError, "(%s) No name has been specified for BFD_CHECKER - skipping", d.bfdRS())
		return
	}
	rs.Checkers = d.mem.cLists.append(rs.Checkers, c)
}

// bfdRS names the real server in BFD_CHECK messages.
func (d *decoder) bfdRS() string {
	return kaTrio(d.lvs.rs.Addr, d.lvs.vs.Protocol, d.lvs.rs.Port)
}

// bfdKeywords are BFD_CHECK's keywords; once the checker is removed (a
// bad name) they do nothing.
func bfdKeywords() table {
	return table{
		"name": {fn: func(d *decoder, s *syntax.Stmt) {
			if d.lvs.removed {
				return
			}
			b := d.lvs.c.BFD
			switch {
			case len(s.Words) != 2:
				d.errorf(s, 0, "(%s) BFD_CHECK - No or too many names specified - skipping checker", d.bfdRS())
			case !lvsBFDKnown(d, s.Words[1].Text):
				d.errorf(s, 1, "(%s) BFD_CHECK - BFD %s not configured", d.bfdRS(), s.Words[1].Text)
			case b.Name != "":
				d.errorf(s, 1, "(%s) BFD_CHECK - BFD %s already specified as %s", d.bfdRS(), s.Words[1].Text, b.Name)
			case len(s.Words[1].Text) >= 32:
				d.errorf(s, 1, "(%s) BFD_CHECK - BFD name %s too long", d.bfdRS(), s.Words[1].Text)
			case rsTracksBFD(d.lvs.rs, s.Words[1].Text):
				d.errorf(s, 1, "(%s) BFD_CHECK - RS already monitoring %s", d.bfdRS(), s.Words[1].Text)
			default:
				b.Name = s.Words[1].Text
				return
			}
			d.lvs.removed = true
		}},
		"alpha": {fn: func(d *decoder, s *syntax.Stmt) {
			if d.lvs.removed {
				return
			}
			if v, ok := d.boolArg(s, 1, "Invalid alpha parameter %s"); ok {
				d.lvs.c.Configured.Alpha = &v
			}
		}},
	}
}

func rsTracksBFD(rs *RealServer, name string) bool {
	for _, c := range rs.Checkers {
		if c.BFD != nil && c.BFD.Name == name {
			return true
		}
	}
	return false
}

// lvsBFDKnown reports whether a bfd_instance of that name was defined
// before (keepalived looks it up while parsing). If the BFD model has no
// Name field to look at, every name is accepted.
func lvsBFDKnown(d *decoder, name string) bool {
	// only an instance for the checker (the checker keyword, or neither)
	b := findBFD(d, name)
	return b != nil && b.Checker
}

// lvsFindNamed looks for an element with a string field Name equal to
// name in a slice of (pointers to) structs owned by the VRRP side. known
// is false when the elements have no such field.
func lvsFindNamed(list any, name string) (found, known bool) {
	v := reflect.ValueOf(list)
	if v.Kind() != reflect.Slice {
		return false, false
	}
	et := v.Type().Elem()
	if et.Kind() == reflect.Pointer {
		et = et.Elem()
	}
	if et.Kind() != reflect.Struct {
		return false, false
	}
	if f, ok := et.FieldByName("Name"); !ok || f.Type.Kind() != reflect.String {
		return false, false
	}
	for i := 0; i < v.Len(); i++ {
		e := v.Index(i)
		if e.Kind() == reflect.Pointer {
			if e.IsNil() {
				continue
			}
			e = e.Elem()
		}
		if e.FieldByName("Name").String() == name {
			return true, true
		}
	}
	return false, true
}
