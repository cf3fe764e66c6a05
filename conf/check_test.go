package conf

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// checkers loads one real server with body and returns its checkers.
func checkers(t *testing.T, body string) ([]*Checker, *Diagnostics) {
	t.Helper()
	vs, ds := oneVS(t, vsText("", body))
	return vs.RealServers[0].Checkers, ds
}

func oneChecker(t *testing.T, body string) *Checker {
	t.Helper()
	cs, ds := checkers(t, body)
	mustBeClean(t, ds)
	if len(cs) != 1 {
		t.Fatalf("%d checkers", len(cs))
	}
	return cs[0]
}

func TestConnOpts(t *testing.T) {
	c := oneChecker(t, " TCP_CHECK {\n connect_ip 10.2.2.2\n connect_port 8080\n bindto 10.3.3.3\n bind_port 1234\n bind_if eth0\n connect_timeout 2\n fwmark 9\n }")
	co := c.Conn
	if co.Dst != netip.MustParseAddrPort("10.2.2.2:8080") || co.BindTo != netip.MustParseAddr("10.3.3.3") || co.BindPort != 1234 ||
		co.BindIf != "eth0" || co.ConnectTimeout != 2*time.Second || co.FWMark != 9 || *co.ConnectTimeoutSet != 2*time.Second {
		t.Fatalf("conn %+v", co)
	}
	// defaults: the real server's address and header port
	c = oneChecker(t, " TCP_CHECK {\n }")
	if c.Conn.Dst != netip.MustParseAddrPort("192.168.1.1:80") || c.Conn.ConnectIP.IsValid() || c.Conn.ConnectPort != 0 {
		t.Fatalf("default dst %+v", c.Conn)
	}
	// connect_port alone keeps the real server address
	c = oneChecker(t, " TCP_CHECK {\n connect_port 81\n }")
	if c.Conn.Dst != netip.MustParseAddrPort("192.168.1.1:81") {
		t.Fatalf("dst %v", c.Conn.Dst)
	}
	tests := []struct {
		body string
		msgs []string
		kept bool
	}{
		{"connect_ip 10.2.2", []string{"Invalid connect_ip address 10.2.2 - ignoring"}, true},
		{"connect_port 0", []string{"number '0' outside range [1, 65535]", "Invalid checker connect_port '0'"}, true},
		{"connect_port 65536", []string{"Invalid checker connect_port '65536'"}, true},
		{"bind_port x", []string{"invalid number 'x'", "Invalid checker bind_port 'x'"}, true},
		{"bindto 2001:db8::1", []string{"bindto address 2001:db8::1 does not match address family of connect_ip - skipping"}, true},
		{"bindto 10.3.3.3\n connect_ip 2001:db8::1", []string{"connect_ip address 2001:db8::1 does not match address family of bindto - skipping"}, true},
		{"bind_if abcdefghijklmnop", []string{"Interface name abcdefghijklmnop is too long - ignoring"}, true},
		{"connect_timeout 0", []string{"connect_timeout 0 invalid - ignoring"}, true},
		{"fwmark -1", []string{"Invalid fwmark connection value '-1'"}, true},
		{"retry x", []string{"Invalid retry connection value 'x'"}, true},
		{"delay_before_retry -1", []string{"Invalid delay_before_retry connection value '-1'"}, true},
		{"warmup -1", []string{"Invalid warmup connection value '-1'"}, true},
		// read_timer ignores errors: junk after the digits is reported alone
		{"delay_before_retry x", []string{"invalid number 'x'"}, true},
		{"delay_loop 0", []string{"delay_loop '0' is invalid - ignoring"}, true},
		{"alpha x", []string{"Invalid alpha parameter x"}, true},
		{"log_all_failures x", []string{"Invalid log_all_failures parameter x"}, true},
		{"connect_ip fe80::1", []string{"Checker link local address fe80::1 requires a bind_if"}, false},
		{"misc_path /bin/x", []string{"Unknown keyword 'misc_path'"}, true},
	}
	for _, tt := range tests {
		cs, ds := checkers(t, " TCP_CHECK {\n "+tt.body+"\n }")
		for _, m := range tt.msgs {
			mustHave(t, ds, m)
		}
		if (len(cs) == 1) != tt.kept {
			t.Fatalf("%q: %d checkers", tt.body, len(cs))
		}
	}
	c = oneChecker(t, " TCP_CHECK {\n connect_ip fe80::1\n bind_if eth0\n }")
	if c.Conn.Dst.Addr() != netip.MustParseAddr("fe80::1") {
		t.Fatal("link local with bind_if")
	}
}

func TestHTTPGet(t *testing.T) {
	c := oneChecker(t, ` HTTP_GET {
   url {
     path /health
     digest 640205B7B0FC66C1EA91C463FAC6334D
     status_code 200 301-302
     virtualhost u.example
     regex "ok\tyes"
     regex_no_match
     regex_options caseless multiline bogus
     regex_min_offset 2
     regex_max_offset 100
     regex_stack 1000 20000
   }
   url {
     path /b
   }
   virtualhost c.example
   http_protocol 1.0c
   enable_sni
   fast_recovery yes
 }`)
	h := c.HTTP
	if c.Type != CheckHTTP || h.Virtualhost != "c.example" || h.Protocol != "1.0C" || !h.EnableSNI || !h.FastRecovery || len(h.URLs) != 2 {
		t.Fatalf("http %+v", h)
	}
	u := h.URLs[0]
	if u.Path != "/health" || u.Digest != "640205b7b0fc66c1ea91c463fac6334d" || u.Virtualhost != "u.example" ||
		len(u.StatusCodes) != 2 || u.StatusCodes[1] != (StatusRange{301, 302}) || !u.AcceptsStatus(301) || u.AcceptsStatus(250) {
		t.Fatalf("url %+v", u)
	}
	if u.Regex != "ok\tyes" || !u.RegexNoMatch || strings.Join(u.RegexOptions, ",") != "caseless,multiline" ||
		u.RegexMinOffset != 2 || u.RegexMaxOffset != 101 || *u.RegexStack != [2]uint64{1000, 20000} {
		t.Fatalf("regex %+v", u)
	}
	if b := h.URLs[1]; len(b.StatusCodes) != 1 || b.StatusCodes[0] != (StatusRange{200, 299}) || !b.AcceptsStatus(299) || b.AcceptsStatus(300) {
		t.Fatalf("default status codes %+v", b.StatusCodes)
	}

	c = oneChecker(t, " SSL_GET {\n url {\n path /\n }\n }")
	if c.Type != CheckSSL || c.HTTP.Protocol != "1.0" || c.DelayBeforeRetry != 3*time.Second {
		t.Fatalf("ssl %+v", c)
	}
	// keepalived 2.4's tls_compliant: SSL_GET and its urls only
	c = oneChecker(t, " SSL_GET {\n tls_compliant\n url {\n path /\n tls_compliant no\n }\n url {\n path /b\n tls_compliant yes\n }\n }")
	if !c.HTTP.TLSCompliant || c.HTTP.URLs[0].TLSCompliant || !c.HTTP.URLs[1].TLSCompliant {
		t.Fatalf("tls_compliant %v %v %v", c.HTTP.TLSCompliant, c.HTTP.URLs[0].TLSCompliant, c.HTTP.URLs[1].TLSCompliant)
	}
	cs, ds := checkers(t, " SSL_GET {\n tls_compliant maybe\n url {\n path /\n tls_compliant 2\n }\n }")
	mustHave(t, ds, "Invalid tls_compliant option maybe")
	mustHave(t, ds, "Invalid tls_compliant option 2")
	if len(cs) != 1 || cs[0].HTTP.TLSCompliant || cs[0].HTTP.URLs[0].TLSCompliant {
		t.Fatalf("invalid tls_compliant set it")
	}

	// one-line url: brace splitting makes the body one statement
	c = oneChecker(t, " HTTP_GET {\n url { path /x status_code 200-299 3xx }\n }")
	if u := c.HTTP.URLs[0]; u.Path != "/x" || u.StatusCodes[0] != (StatusRange{200, 299}) || len(u.StatusCodes) != 1 {
		t.Fatalf("one-line url %+v", u)
	}

	tests := []struct {
		body string
		msgs []string
		kept bool
	}{
		{"url {\n status_code 200\n }", []string{"HTTP/SSL_GET checker url has no path - ignoring", "HTTP/SSL_GET checker has no urls specified - ignoring"}, false},
		{"", []string{"HTTP/SSL_GET checker has no urls specified - ignoring"}, false},
		{"url {\n path /\n status_code 99 600 300-200 2x 200-\n }", []string{"Invalid HTTP_GET status code '99'", "Invalid HTTP_GET status code '600'",
			"Invalid HTTP_GET status code '300-200'", "Invalid HTTP_GET status code '2x'", "Invalid HTTP_GET status code '200-'"}, true},
		{"url {\n path /\n digest abc\n }", []string{"digest 'abc' character length should be 32 rather than 3"}, true},
		{"url {\n path /\n digest 640205b7b0fc66c1ea91c463fac6334g\n }", []string{"Unable to interpret hex digit in '640205b7b0fc66c1ea91c463fac6334g' at offset 30/31"}, true},
		{"url {\n path /\n digest 640205b7b0fc66c1ea91c463fac6334d\n digest 640205b7b0fc66c1ea91c463fac6334d\n }", []string{"Digest '640205b7b0fc66c1ea91c463fac6334d' is a duplicate"}, true},
		{"url {\n path /\n }\n http_protocol 2", []string{"Invalid http_protocol version 2"}, true},
		{"url {\n path /\n }\n http_protocol", []string{"Missing http_protocol version"}, true},
		{"url {\n path /\n }\n enable_sni x", []string{"Invalid enable_sni parameter x"}, true},
		{"url {\n path /\n }\n fast_recovery x", []string{"Invalid fast_recovery parameter x"}, true},
		{"url {\n path /\n }\n virtualhost", []string{"HTTP_GET virtualhost name missing"}, true},
		{"url {\n path /\n virtualhost\n }", []string{"Missing HTTP_GET virtualhost name"}, true},
		{"url {\n path /\n }\n nb_get_retry x", []string{"nb_get_retry is deprecated - please use 'retry'", "Invalid nb_get_retry value 'x'"}, true},
		{"url {\n path /\n }\n tls_compliant", []string{"Unknown keyword 'tls_compliant'"}, true},
		{"url {\n path /\n }\n sni_name x", []string{"Unknown keyword 'sni_name'"}, true},
	}
	for _, tt := range tests {
		cs, ds := checkers(t, " HTTP_GET {\n "+tt.body+"\n }")
		for _, m := range tt.msgs {
			mustHave(t, ds, m)
		}
		if (len(cs) == 1) != tt.kept {
			t.Fatalf("%q: %d checkers", tt.body, len(cs))
		}
		if ds.ExitCode() != 5 {
			t.Fatalf("%q: rc %d", tt.body, ds.ExitCode())
		}
	}

	// nb_get_retry sets retry, with a deprecation that counts (rc 5)
	cs, ds = checkers(t, " HTTP_GET {\n url {\n path /\n }\n nb_get_retry 3\n }")
	d := mustHave(t, ds, "nb_get_retry is deprecated - please use 'retry'")
	wantPos(t, d, 11, 2)
	if cs[0].Retry != 3 || ds.ExitCode() != 5 {
		t.Fatalf("nb_get_retry: retry %d rc %d", cs[0].Retry, ds.ExitCode())
	}

	// regex keywords only logged (rc 0)
	cs, ds = checkers(t, " HTTP_GET {\n url {\n path /\n regex_no_match\n regex_min_offset 5\n regex_max_offset 3\n }\n }")
	mustHave(t, ds, "regex parameters specified without regex")
	if ds.ExitCode() != 0 || cs[0].HTTP.URLs[0].RegexNoMatch {
		t.Fatalf("regex without regex: rc %d", ds.ExitCode())
	}
	cs, ds = checkers(t, " HTTP_GET {\n url {\n path /\n regex x\n regex_min_offset 5\n regex_max_offset 3\n regex_stack 5 1\n }\n }")
	mustHave(t, ds, "regex min offset 5 > regex_max_offset 3 - ignoring")
	mustHave(t, ds, "regex stack start cannot exceed max value")
	if u := cs[0].HTTP.URLs[0]; u.RegexMinOffset != 0 || u.RegexMaxOffset != 0 || ds.ExitCode() != 0 {
		t.Fatalf("offsets %+v", u)
	}
}

func TestSMTPCheck(t *testing.T) {
	c := oneChecker(t, " SMTP_CHECK {\n }")
	if c.SMTP.HeloName != "smtpchecker.keepalived.org" || c.Conn.Dst != netip.MustParseAddrPort("192.168.1.1:80") || c.Retry != 1 {
		t.Fatalf("smtp defaults %+v %+v", c.SMTP, c.Conn)
	}
	_, ds := checkers(t, " SMTP_CHECK {\n helo_name\n }")
	mustHave(t, ds, "SMTP_CHECK helo name missing")

	// host blocks: without connection options on the checker, the first
	// host replaces it; each further host is another checker sharing
	// the checker's other settings (timing keywords of a host block set
	// the checker's).
	cs, ds := checkers(t, ` SMTP_CHECK {
  retry 2
  helo_name foo
  host {
   connect_ip 10.5.5.5
   connect_port 25
   delay_loop 7
  }
  host {
   connect_ip 10.6.6.6
   bindto 10.0.0.9
  }
 }`)
	mustHave(t, ds, "The SMTP_CHECK host block is deprecated. Please define additional checkers.")
	if ds.ExitCode() != 0 || len(cs) != 2 {
		t.Fatalf("rc %d, %d checkers\n%s", ds.ExitCode(), len(cs), dump(ds))
	}
	if cs[0].Conn.Dst != netip.MustParseAddrPort("10.5.5.5:25") || cs[1].Conn.Dst != netip.MustParseAddrPort("10.6.6.6:80") ||
		cs[1].Conn.BindTo != netip.MustParseAddr("10.0.0.9") {
		t.Fatalf("host dsts %v %v", cs[0].Conn, cs[1].Conn)
	}
	for _, c := range cs {
		if !c.FromSMTPHost || c.Retry != 2 || c.DelayLoop != 7*time.Second || c.SMTP.HeloName != "foo" {
			t.Fatalf("host checker %+v", c)
		}
	}
	// a connection option on the checker keeps it as well
	cs, _ = checkers(t, " SMTP_CHECK {\n connect_timeout 10\n host {\n connect_ip 10.5.5.5\n }\n }")
	if len(cs) != 2 || cs[0].FromSMTPHost || cs[0].Conn.Dst != netip.MustParseAddrPort("192.168.1.1:80") || cs[0].Conn.ConnectTimeout != 10*time.Second {
		t.Fatalf("smtp + host: %d %+v", len(cs), cs[0].Conn)
	}
}

func TestDNSCheck(t *testing.T) {
	c := oneChecker(t, " DNS_CHECK {\n }")
	if c.DNS.Type != "SOA" || c.DNS.TypeCode != 6 || c.DNS.Name != "" || c.Retry != 3 {
		t.Fatalf("dns defaults %+v", c.DNS)
	}
	c = oneChecker(t, " DNS_CHECK {\n type aaaa\n name www.example.com.\n }")
	if c.DNS.Type != "AAAA" || c.DNS.TypeCode != 28 || c.DNS.Name != "www.example.com." {
		t.Fatalf("dns %+v", c.DNS)
	}
	for body, msg := range map[string]string{
		"type PTR":             "Unknown DNS check type PTR - ignoring",
		"name a..b":            "DNS_CHECK name 'a..b' has empty label - ignoring",
		"name .a":              "DNS_CHECK name '.a' has empty label - ignoring",
		"name a\n name b":      "DNS_CHECK name already specified - ignoring",
		"name ab..":            "DNS_CHECK name 'ab..' has empty label - ignoring",
		"type A\n payload 00":  "Unknown keyword 'payload'",
		"type A\n helo_name x": "Unknown keyword 'helo_name'",
	} {
		_, ds := checkers(t, " DNS_CHECK {\n "+body+"\n }")
		mustHave(t, ds, msg)
	}
	c = oneChecker(t, " DNS_CHECK {\n name .\n }")
	if c.DNS.Name != "." {
		t.Fatal("root name")
	}
}

func TestUDPCheck(t *testing.T) {
	c := oneChecker(t, " UDP_CHECK {\n payload 0a0B 1 ff\n require_reply 0aXx 1x\n min_reply_length 2\n max_reply_length 10\n }")
	u := c.UDP
	if !bytes.Equal(u.Payload, []byte{0x0a, 0x0b, 0x01, 0xff}) || !u.RequireReply ||
		!bytes.Equal(u.Reply, []byte{0x0a, 0x00, 0x10}) || !bytes.Equal(u.ReplyMask, []byte{0x00, 0xff, 0x0f}) ||
		u.MinReplyLength != 2 || u.MaxReplyLength != 10 {
		t.Fatalf("udp %+v", u)
	}
	c = oneChecker(t, " UDP_CHECK {\n require_reply\n }")
	if !c.UDP.RequireReply || c.UDP.Reply != nil || c.UDP.MaxReplyLength != 255 || c.UDP.MinReplyLength != 0 {
		t.Fatalf("udp defaults %+v", c.UDP)
	}
	for body, msg := range map[string]string{
		"payload":                "UDP_CHECK payload requires a payload",
		"payload 0g":             "Invalid hex string for UDP_CHECK payload",
		"payload 0x":             "Invalid hex string for UDP_CHECK payload",
		"require_reply zz":       "Invalid hex string for UDP_CHECK reply",
		"min_reply_length 65536": "UDP_CHECK min length 65536 not valid - must be between 0 & 65535",
		"max_reply_length x":     "UDP_CHECK max length x not valid - must be between 0 & 65535",
		"min_reply_length 10\n max_reply_length 5": "UDP_CHECK min_reply length 10 > max_reply_length 5 - will always fail",
	} {
		_, ds := checkers(t, " UDP_CHECK {\n "+body+"\n }")
		mustHave(t, ds, msg)
	}
}

func TestMiscCheck(t *testing.T) {
	cs, ds := checkers(t, " MISC_CHECK {\n misc_path \"/usr/local/bin/check.sh arg1 'arg 2'\" ignored\n misc_timeout 5\n misc_dynamic\n }")
	mustBeClean(t, ds)
	m := cs[0].Misc
	if strings.Join(m.Script.Argv, "|") != "/usr/local/bin/check.sh|arg1|arg 2" || m.Script.User != "" || !m.Dynamic ||
		*m.TimeoutSet != 5*time.Second || m.Timeout != 5*time.Second || cs[0].Conn != nil || cs[0].Retry != 0 {
		t.Fatalf("misc %+v %+v", m, m.Script)
	}
	for body, msg := range map[string]string{
		"misc_timeout 4295":                 "Invalid misc_timeout value '4295'",
		"":                                  "No script path has been specified for MISC_CHECKER - skipping",
		"misc_path /bin/x\n user":           "No user specified for misc checker script '/bin/x'",
		"misc_path /bin/x\n user bob":       "Failed to set uid/gid for misc checker script '/bin/x' - removing",
		"misc_path /bin/x\n bindto 1.1.1.1": "Unknown keyword 'bindto'",
	} {
		_, ds := checkers(t, " MISC_CHECK {\n "+body+"\n }")
		mustHave(t, ds, msg)
	}
	// user with an existing user
	opt := lvsOpts()
	cfg, ds := loadFiles(t, map[string]string{"etc/keepalived/keepalived.conf": vsText("", " MISC_CHECK {\n misc_path /bin/x\n user nobody nogroup\n }")}, opt)
	mustBeClean(t, ds)
	m = cfg.VirtualServers[0].RealServers[0].Checkers[0].Misc
	if m.User != "nobody" || m.Group != "nogroup" || m.Script.User != "nobody" || m.Script.Group != "nogroup" {
		t.Fatalf("user %+v", m)
	}
	// the group is taken literally, as getgrnam does: ":nogroup" is no group
	_, ds = loadFiles(t, map[string]string{"etc/keepalived/keepalived.conf": vsText("", " MISC_CHECK {\n misc_path /bin/x\n user nobody :nogroup\n }")}, opt)
	mustHave(t, ds, "Failed to set uid/gid for misc checker script '/bin/x' - removing")
}

func TestLVSScriptSecurity(t *testing.T) {
	text := vsText(" quorum_up /bin/up", " notify_down /bin/down\n MISC_CHECK {\n misc_path /bin/check\n }")
	_, ds := loadFiles(t, map[string]string{"etc/keepalived/keepalived.conf": text}, Options{})
	mustHave(t, ds, "SECURITY VIOLATION - check scripts are being executed but script_security not enabled.")
	if ds.ExitCode() != 6 {
		t.Fatalf("rc %d\n%s", ds.ExitCode(), dump(ds))
	}
	// a removed MISC_CHECK (bad user) and a replaced misc_path (the
	// first one missing) do not count
	f := newFakeSys()
	delete(f.files, "/bin/b")
	text = vsText("", " MISC_CHECK {\n misc_path /bin/a\n user nosuch\n }\n MISC_CHECK {\n misc_path /bin/b\n misc_path /bin/c\n }")
	cfg, ds := loadFiles(t, map[string]string{"etc/keepalived/keepalived.conf": text}, Options{Scripts: f.env()})
	cs := cfg.VirtualServers[0].RealServers[0].Checkers
	if len(cs) != 1 || cs[0].Misc.Script.Argv[0] != "/bin/c" || cs[0].Misc.Script.Disabled {
		t.Fatalf("checkers %+v", cs)
	}
	mustHave(t, ds, "SECURITY VIOLATION - check scripts")
}

func TestPingFileBFDChecks(t *testing.T) {
	c := oneChecker(t, " PING_CHECK {\n retry 2\n }")
	if c.Type != CheckPing || c.Retry != 2 || c.Conn == nil {
		t.Fatalf("ping %+v", c)
	}
	text := "track_file tf1 {\n file /tmp/x\n}\n" + vsText("", " FILE_CHECK {\n track_file tf1\n weight -10 reverse\n }\n FILE_CHECK {\n track_file tf1\n }")
	cfg, ds := lvsLoad(t, text)
	noDiag(t, ds, "FILE_CHECK")
	noDiag(t, ds, "track_file")
	cs := cfg.VirtualServers[0].RealServers[0].Checkers
	if len(cs) != 2 || cs[0].File.TrackFile != "tf1" || *cs[0].File.Weight != -10 || !cs[0].File.Reverse || cs[1].File.Weight != nil || cs[0].Conn != nil {
		t.Fatalf("file checkers %+v", cs)
	}
	for body, msg := range map[string]string{
		"track_file tf1\n weight 1 sideways": "unknown track file weight option sideways - ignoring",
		"track_file tf1\n weight 2147483648": "weight for track file must be in [-2147483647..2147483647] inclusive. Ignoring...",
		"track_file tf1\n weight":            "track file weight missing",
		"weight 1":                           "FILE_CHECK has no track_file specified - ignoring",
		"track_file tf1\n retry 1":           "Unknown keyword 'retry'",
	} {
		_, ds := lvsLoad(t, "track_file tf1 {\n file /tmp/x\n}\n"+vsText("", " FILE_CHECK {\n "+body+"\n }"))
		mustHave(t, ds, msg)
	}
	// the track_file must be defined before (keepalived looks it up while
	// parsing) - only checked when the VRRP side's model has names
	if found, known := lvsFindNamed(cfg.TrackFiles, "tf1"); known {
		if !found {
			t.Fatal("tf1 not found")
		}
		_, ds = lvsLoad(t, vsText("", " FILE_CHECK {\n track_file nope\n }"))
		mustHave(t, ds, "track_file nope not found")
	}

	text = "bfd_instance b1 {\n neighbor_ip 10.0.0.2\n}\n" + vsText("", " BFD_CHECK {\n name b1\n alpha\n }")
	cfg, ds = lvsLoad(t, text)
	noDiag(t, ds, "BFD_CHECK")
	cs = cfg.VirtualServers[0].RealServers[0].Checkers
	if len(cs) != 1 || cs[0].BFD.Name != "b1" || !cs[0].Alpha {
		t.Fatalf("bfd %+v", cs)
	}
	_, ds = lvsLoad(t, vsText("", " BFD_CHECK {\n }"))
	mustHave(t, ds, "([192.168.1.1]:tcp:80) No name has been specified for BFD_CHECKER - skipping")
	_, ds = lvsLoad(t, vsText("", " BFD_CHECK {\n name a b\n }"))
	mustHave(t, ds, "([192.168.1.1]:tcp:80) BFD_CHECK - No or too many names specified - skipping checker")
	if _, known := lvsFindNamed(cfg.BFDInstances, "b1"); known {
		_, ds = lvsLoad(t, vsText("", " BFD_CHECK {\n name nope\n }"))
		mustHave(t, ds, "([192.168.1.1]:tcp:80) BFD_CHECK - BFD nope not configured")
		_, ds = lvsLoad(t, "bfd_instance b1 {\n neighbor_ip 10.0.0.2\n}\n"+vsText("", " BFD_CHECK {\n name b1\n }\n BFD_CHECK {\n name b1\n }"))
		mustHave(t, ds, "BFD_CHECK - RS already monitoring b1")
	}
}

func TestSSLBlock(t *testing.T) {
	cfg, ds := lvsLoad(t, "SSL {\n password secret\n ca /etc/ca.pem\n certificate /etc/c.pem\n key /etc/k.pem\n}\n")
	mustBeClean(t, ds)
	if s := cfg.SSL; s == nil || s.Password != "secret" || s.CA != "/etc/ca.pem" || s.Certificate != "/etc/c.pem" || s.Key != "/etc/k.pem" {
		t.Fatalf("ssl %+v", cfg.SSL)
	}
	twice := "SSL {\n ca /a\n ca /b\n key\n}\nSSL {\n password p\n}\n"
	_, ds = loadFiles(t, map[string]string{"etc/keepalived/keepalived.conf": twice}, Options{Compat: Oldest})
	mustHave(t, ds, "SSL cafile already specified - replacing")
	cfg, ds = lvsLoad(t, twice)
	mustHave(t, ds, "Duplicate SSL - overwriting /a with /b") // 2.2.8 and later
	mustHave(t, ds, "SSL keyfile missing")
	mustHave(t, ds, "SSL context already specified - replacing")
	if cfg.SSL.CA != "" || cfg.SSL.Password != "p" {
		t.Fatalf("replaced ssl %+v", cfg.SSL)
	}
}

func TestLVSJSONAndDump(t *testing.T) {
	text := "SSL {\n ca /etc/ca.pem\n}\nvirtual_server_group G {\n 10.0.0.1-5 80\n fwmark 3 inet\n}\n" +
		"virtual_server group G {\n protocol TCP\n lb_algo sh\n sh-port\n lb_kind TUN type gue port 6080\n persistence_granularity 255.255.255.0\n sorry_server 10.9.9.9 80\n" +
		" real_server 10.1.1.1 80 {\n UDP_CHECK {\n payload 01 02\n require_reply 0x\n }\n HTTP_GET {\n url {\n path /\n regex x\n regex_stack 1 2\n }\n }\n" +
		" MISC_CHECK {\n misc_path /bin/true\n }\n DNS_CHECK {\n }\n SMTP_CHECK {\n }\n }\n}\n"
	cfg, _ := lvsLoad(t, text)
	var b bytes.Buffer
	if err := WriteJSON(&b, cfg); err != nil {
		t.Fatal(err)
	}
	js := b.String()
	for _, want := range []string{`"virtual_server_groups"`, `"first": "10.0.0.1"`, `"last": "10.0.0.5"`, `"payload": "0102"`,
		`"reply_mask": "0f"`, `"tunnel_type": "gue"`, `"sh_port": true`, `"type": "DNS_CHECK"`, `"ca": "/etc/ca.pem"`, `"mask": "255.255.255.0"`} {
		if !strings.Contains(js, want) {
			t.Fatalf("JSON lacks %s:\n%s", want, js)
		}
	}
	b.Reset()
	Dump(&b, cfg)
	if !strings.Contains(b.String(), "10.1.1.1") {
		t.Fatalf("dump lacks the real server:\n%s", b.String())
	}
}
