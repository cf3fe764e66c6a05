package check

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/ipvs"
)

// fullBacklog returns a loopback port whose accept queue is full, so a
// connect to it times out.
func fullBacklog(t *testing.T) int {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	port := sa.(*syscall.SockaddrInet4).Port
	for range 4 {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
		if err != nil {
			break
		}
		t.Cleanup(func() { c.Close() })
	}
	return port
}

func closedTCPPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (l *logSink) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, x := range l.lines {
		if x == s {
			n++
		}
	}
	return n
}

// log_all_failures: each failed attempt's reason is logged, in keepalived
// 2.2.7's words, only with the keyword (or global
// checker_log_all_failures), and only while the checker is up (HTTP:
// also before its first result). Checked against keepalived 2.2.7 run
// on the same configs (scripts/bench/fakeipvs.c lets it run here).
func TestLogAllFailures(t *testing.T) {
	b500 := newBackend(t)
	b500.status.Store(500)
	refused, refused2, silent := closedTCPPort(t), closedTCPPort(t), fullBacklog(t)
	rs := func(port int, check string) string {
		return fmt.Sprintf("  real_server 127.0.0.1 %d {\n%s  }\n", port, check)
	}
	tcp := func(laf string) string {
		return "    TCP_CHECK {\n      connect_timeout 1\n      retry 0\n" + laf + "    }\n"
	}
	http := func(laf string) string {
		return "    HTTP_GET {\n      url {\n        path /\n        status_code 200\n      }\n      connect_timeout 1\n      retry 0\n" + laf + "    }\n"
	}
	const laf = "      log_all_failures\n"
	for _, global := range []bool{false, true} {
		t.Run(fmt.Sprintf("global=%v", global), func(t *testing.T) {
			g := ""
			if global {
				g = "global_defs {\n  checker_log_all_failures\n}\n"
			}
			cfg := loadConf(t, g+`virtual_server 10.0.0.1 80 {
  delay_loop 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
`+rs(refused, tcp(laf))+rs(refused2, tcp(""))+rs(silent, tcp(laf))+`}
virtual_server 10.0.0.2 80 {
  delay_loop 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
`+rs(b500.port, http(""))+`}
virtual_server 10.0.0.3 80 {
  delay_loop 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
`+rs(b500.port, http(laf))+`}
`)
			wait, logs, clk := startEngineClock(t, cfg, ipvs.NewServiceKey(ipvs.TCP, netip.MustParseAddrPort("10.0.0.1:80")))
			wait("")
			tick := func() {
				clk.Advance(500 * time.Millisecond)
				time.Sleep(20 * time.Millisecond)
			}
			for _, vs := range []string{"10.0.0.2", "10.0.0.3"} {
				for end := time.Now().Add(10 * time.Second); !logs.has(fmt.Sprintf("Removing service [127.0.0.1]:tcp:%d from VS [%s]:tcp:80", b500.port, vs)); tick() {
					if time.Now().After(end) {
						t.Fatalf("VS %s: HTTP server not removed", vs)
					}
				}
			}
			// more failed attempts while down (the timeout one takes 1 s
			// of real time each): not logged
			for range 8 {
				tick()
			}
			time.Sleep(1200 * time.Millisecond)
			for range 4 {
				tick()
			}
			name := func(p int) string { return fmt.Sprintf("[127.0.0.1]:tcp:%d", p) }
			type want struct {
				line string
				n    int
			}
			http500 := "HTTP status code error to server " + name(b500.port) + "."
			checks := []want{
				{"TCP connection to " + name(refused) + " failed.", 1},
				{"TCP connection to " + name(silent) + " timeout.", 1},
				{"TCP_CHECK on service " + name(refused) + " failed.", 1},
				{"TCP_CHECK on service " + name(silent) + " failed.", 1},
				{"TCP connection to " + name(refused2) + " failed.", 0},
				{http500, 1}, // VS 10.0.0.3 only
			}
			if global {
				checks[4].n = 1
				checks[5].n = 2
			}
			for _, w := range checks {
				if got := logs.count(w.line); got != w.n {
					t.Errorf("%q logged %d times, want %d", w.line, got, w.n)
				}
			}
		})
	}
}

// A check that cannot bind its socket gives no verdict: keepalived logs
// why and tries again after delay_loop, the server stays (checked
// against keepalived 2.2.7 with bind_if naming a missing interface).
func TestTCPBindFailureNoVerdict(t *testing.T) {
	port := closedTCPPort(t)
	cfg := loadConf(t, fmt.Sprintf(`virtual_server 10.0.0.1 80 {
  delay_loop 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  real_server 127.0.0.1 %d {
    TCP_CHECK {
      bind_if nosuchif0
      retry 0
    }
  }
}
`, port))
	wait, logs, clk := startEngineClock(t, cfg, ipvs.NewServiceKey(ipvs.TCP, netip.MustParseAddrPort("10.0.0.1:80")))
	up := fmt.Sprintf("127.0.0.1:%d=1", port)
	for end := time.Now().Add(10 * time.Second); logs.count("TCP socket bind failed. Rescheduling.") < 3; {
		wait(up)
		if time.Now().After(end) {
			t.Fatalf("log %q", logs.lines)
		}
		clk.Advance(500 * time.Millisecond)
		time.Sleep(20 * time.Millisecond)
	}
	wait(up)
	if n := logs.count("Checker can't bind to device nosuchif0: No such device"); n < 3 {
		t.Errorf("bind error logged %d times", n)
	}
	if logs.has(fmt.Sprintf("TCP_CHECK on service [127.0.0.1]:tcp:%d failed.", port)) {
		t.Error("a bind failure counted as a failed check")
	}
}

// smtpMode is what smtpResponder does with a connection.
type smtpMode int32

const (
	smtpOK smtpMode = iota
	smtpBadGreeting
	smtpBadHelo
	smtpSilent
)

// smtpResponder is an SMTP server on loopback behaving as *mode says.
func smtpResponder(t *testing.T, mode *atomic.Int32) int {
	t.Helper()
	return tcpServer(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(c)
		switch smtpMode(mode.Load()) {
		case smtpSilent:
			io.Copy(io.Discard, c)
			return
		case smtpBadGreeting:
			io.WriteString(c, "554 no service\r\n")
			io.Copy(io.Discard, c)
			return
		}
		io.WriteString(c, "220 mx.test ESMTP\r\n")
		br.ReadString('\n')
		if smtpMode(mode.Load()) == smtpBadHelo {
			io.WriteString(c, "501 bad HELO\r\n")
			io.Copy(io.Discard, c)
			return
		}
		io.WriteString(c, "250 mx.test\r\n")
		br.ReadString('\n')
		io.WriteString(c, "221 bye\r\n")
	})
}

// dnsResponder is a DNS server on loopback answering every query with
// RCODE *rcode, or not at all when it is negative; *queries counts them.
func dnsResponder(t *testing.T, rcode, queries *atomic.Int32) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			queries.Add(1)
			rc := rcode.Load()
			if n < 12 || rc < 0 {
				continue
			}
			// the question echoed with QR, RD, RA and the RCODE set
			r := append([]byte(nil), buf[:n]...)
			r[2], r[3] = 0x81, 0x80|byte(rc)
			pc.WriteTo(r, from)
		}
	}()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

func closedUDPPort(t *testing.T) int {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// SMTP_CHECK, DNS_CHECK and MISC_CHECK under log_all_failures, in the
// words and on the conditions of keepalived 2.2.7 (smtp_final,
// dns_final, misc_check_child_thread), checked against it on the same
// configuration: with the keyword every failed attempt while up is
// logged; without it only the one that takes the checker down; never
// anything while down. SMTP retries even at start-up (its retry count
// restarts at every check); DNS and MISC go down at the first start-up
// failure.
func TestLogAllFailuresSMTPDNSMisc(t *testing.T) {
	for _, global := range []bool{false, true} {
		t.Run(fmt.Sprintf("global=%v", global), func(t *testing.T) { logAllSMTPDNSMisc(t, global) })
	}
}

func logAllSMTPDNSMisc(t *testing.T, global bool) {
	var smtpA, smtpB, smtpC atomic.Int32
	var dnsA, dnsB, qA, qB, qC atomic.Int32
	sA, sB, sC := smtpResponder(t, &smtpA), smtpResponder(t, &smtpB), smtpResponder(t, &smtpC)
	sD, sE, sF, sG := closedTCPPort(t), closedTCPPort(t), closedTCPPort(t), closedTCPPort(t)
	dA, dB := dnsResponder(t, &dnsA, &qA), dnsResponder(t, &dnsB, &qB)
	var dnsOK atomic.Int32
	dOK, dC := dnsResponder(t, &dnsOK, &qC), closedUDPPort(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "check.sh")
	os.WriteFile(script, []byte("#!/bin/sh\nm=$(cat "+dir+"/mode-$1)\n[ \"$m\" = sleep ] && exec sleep 10\nexit $m\n"), 0o755)
	setMisc := func(rs, mode string) { os.WriteFile(filepath.Join(dir, "mode-"+rs), []byte(mode), 0o644) }
	for _, m := range []string{"a", "b", "c"} {
		setMisc(m, "0")
	}
	const laf = "      log_all_failures\n"
	rs := func(port int, typ, extra string) string {
		common := "      retry 2\n      delay_before_retry 1\n"
		if typ != "MISC_CHECK" {
			common += "      connect_timeout 1\n"
		}
		return fmt.Sprintf("  real_server 127.0.0.1 %d {\n    %s {\n%s%s    }\n  }\n", port, typ, common, extra)
	}
	dns := "      type A\n      name example.test\n"
	misc := func(m string) string {
		return fmt.Sprintf("      misc_path \"%s %s\"\n      misc_timeout 1\n", script, m)
	}
	vs := func(port int, proto, body string) string {
		return fmt.Sprintf("virtual_server 10.0.0.1 %d {\n  delay_loop 3\n  lvs_sched rr\n  lvs_method NAT\n  protocol %s\n%s}\n", port, proto, body)
	}
	g := ""
	if global {
		g = "global_defs {\n  checker_log_all_failures\n}\n"
	}
	cfg := loadConf(t, g+
		vs(25, "TCP", rs(sA, "SMTP_CHECK", laf)+rs(sB, "SMTP_CHECK", "")+rs(sC, "SMTP_CHECK", laf)+
			rs(sD, "SMTP_CHECK", laf)+rs(sE, "SMTP_CHECK", "")+
			rs(sF, "SMTP_CHECK", "      alpha\n"+laf)+rs(sG, "SMTP_CHECK", "      alpha\n"))+
		vs(53, "UDP", rs(dA, "DNS_CHECK", dns+laf)+rs(dB, "DNS_CHECK", dns)+rs(dC, "DNS_CHECK", dns+laf)+
			rs(dOK, "DNS_CHECK", dns+laf))+
		vs(80, "TCP", rs(8001, "MISC_CHECK", misc("a")+laf)+rs(8002, "MISC_CHECK", misc("b"))+
			rs(8003, "MISC_CHECK", misc("c")+laf)))
	_, logs, clk := startEngineClock(t, cfg, ipvs.NewServiceKey(ipvs.TCP, mustAP("10.0.0.1:80")))
	tick := func() {
		clk.Advance(500 * time.Millisecond)
		time.Sleep(20 * time.Millisecond)
	}
	tcp := func(p int) string { return fmt.Sprintf("[127.0.0.1]:tcp:%d", p) }
	udp := func(p int) string { return fmt.Sprintf("[127.0.0.1]:udp:%d", p) }
	pair := func(p int) string { return fmt.Sprintf("[127.0.0.1]:%d", p) }
	miscHead := func(p int) string {
		return fmt.Sprintf("Misc check for [%s VS [10.0.0.1]:tcp:80] by [%s]", tcp(p), script)
	}
	until := func(what string, cond func() bool) {
		t.Helper()
		for end := time.Now().Add(20 * time.Second); !cond(); tick() {
			if time.Now().After(end) {
				logs.mu.Lock()
				defer logs.mu.Unlock()
				t.Fatalf("%s: never happened; log:\n%s", what, strings.Join(logs.lines, "\n"))
			}
		}
	}
	// all up (DNS logs nothing on success: count its queries)
	until("first successes", func() bool {
		for _, l := range []string{"Remote SMTP server " + tcp(sA) + " succeed on service.",
			"Remote SMTP server " + tcp(sB) + " succeed on service.", "Remote SMTP server " + tcp(sC) + " succeed on service.",
			miscHead(8001) + " succeeded.", miscHead(8002) + " succeeded.", miscHead(8003) + " succeeded."} {
			if !logs.has(l) {
				return false
			}
		}
		return qA.Load() > 0 && qB.Load() > 0 && qC.Load() > 0
	})
	smtpA.Store(int32(smtpBadGreeting))
	smtpB.Store(int32(smtpBadHelo))
	smtpC.Store(int32(smtpSilent))
	dnsA.Store(3) // NXDOMAIN
	dnsB.Store(-1)
	setMisc("a", "1")
	setMisc("b", "1")
	setMisc("c", "sleep")
	until("all down", func() bool {
		for _, l := range []string{
			"Removing service " + tcp(sA) + " from VS [10.0.0.1]:tcp:25",
			"Removing service " + tcp(sB) + " from VS [10.0.0.1]:tcp:25",
			"Removing service " + tcp(sC) + " from VS [10.0.0.1]:tcp:25",
			"Removing service " + udp(dA) + " from VS [10.0.0.1]:udp:53",
			"Removing service " + udp(dB) + " from VS [10.0.0.1]:udp:53",
			"Removing service " + tcp(8001) + " from VS [10.0.0.1]:tcp:80",
			"Removing service " + tcp(8002) + " from VS [10.0.0.1]:tcp:80",
			"Removing service " + tcp(8003) + " from VS [10.0.0.1]:tcp:80",
		} {
			if !logs.has(l) {
				return false
			}
		}
		return true
	})
	// more failed attempts while down (timeouts take 1 s of real time):
	// not logged
	for range 8 {
		tick()
	}
	time.Sleep(1200 * time.Millisecond)
	for range 8 {
		tick()
	}
	// laf: the checker has log_all_failures; n: times logged with it
	// (or the global keyword), nWithout: without either
	type want struct {
		line        string
		laf         bool
		n, nWithout int
	}
	dnsHead := func(p int) string { return "DNS_CHECK (" + udp(p) + ") " }
	checks := []want{
		// smtp_final: every failure while up, the last even without
		{"SMTP_CHECK Bad greeting banner from server " + pair(sA), true, 3, 1},
		{"SMTP_CHECK Bad HELO response from server " + pair(sB), false, 3, 1},
		{"SMTP_CHECK Read timeout from server " + pair(sC), true, 3, 1},
		// down at start-up: retried all the same
		{"SMTP_CHECK Could not connect to server " + pair(sD), true, 3, 1},
		{"SMTP_CHECK Could not connect to server " + pair(sE), false, 3, 1},
		// alpha: down already, but unrun until its first check concludes
		{"SMTP_CHECK Could not connect to server " + pair(sF), true, 3, 1},
		{"SMTP_CHECK Could not connect to server " + pair(sG), false, 3, 1},
		// dns_final: " after N retries" on the last once it has run
		{dnsHead(dA) + "read error occurred. (rcode = 3)", true, 2, 0},
		{dnsHead(dA) + "read error occurred. (rcode = 3) after 2 retries", true, 1, 1},
		{dnsHead(dB) + "read timeout from socket", false, 2, 0},
		{dnsHead(dB) + "read timeout from socket after 2 retries", false, 1, 1},
		{dnsHead(dC) + "failed to read socket; errno 111 (Connection refused)", true, 1, 1},
		// misc_check_child_thread: message_only lines while retries remain
		{miscHead(8001) + " failed, will do 2 retries (exited with status 1).", true, 1, 0},
		{miscHead(8001) + " failed on retry 1/2 (exited with status 1).", true, 1, 0},
		{miscHead(8001) + " failed after 2 retries (exited with status 1).", true, 1, 1},
		{miscHead(8002) + " failed, will do 2 retries (exited with status 1).", false, 1, 0},
		{miscHead(8002) + " failed on retry 1/2 (exited with status 1).", false, 1, 0},
		{miscHead(8002) + " failed after 2 retries (exited with status 1).", false, 1, 1},
		{miscHead(8003) + " timed out, will do 2 retries.", true, 1, 0},
		{miscHead(8003) + " timed out on retry 1/2.", true, 1, 0},
		{miscHead(8003) + " timed out after 2 retries.", true, 1, 1},
	}
	for _, w := range checks {
		n := w.nWithout
		if w.laf || global {
			n = w.n
		}
		if got := logs.count(w.line); got != n {
			t.Errorf("%q logged %d times, want %d", w.line, got, n)
		}
	}
	// none of them has TCP_CHECK's "<type> on service ... failed" line,
	// and DNS_CHECK no success line
	logs.mu.Lock()
	defer logs.mu.Unlock()
	for _, l := range logs.lines {
		if strings.Contains(l, "_CHECK on service") {
			t.Errorf("unexpected %q", l)
		}
	}
}

// SMTP_CHECK and DNS_CHECK give no verdict when their socket cannot be
// set up (bindto not local, bind_if of a missing interface): layer4.c's
// line, then the checker's, again after each delay_loop, and the real
// servers stay as they are. Wording checked against keepalived 2.2.7.
func TestSMTPDNSBindFailureNoVerdict(t *testing.T) {
	for _, tc := range []struct {
		typ, proto string
		ipvsProto  ipvs.Protocol
		line       func(port int) string
	}{
		{"SMTP_CHECK", "TCP", ipvs.TCP, func(int) string { return "SMTP_CHECK socket bind failed. Rescheduling." }},
		{"DNS_CHECK", "UDP", ipvs.UDP, func(port int) string {
			return fmt.Sprintf("DNS_CHECK ([127.0.0.1]:udp:%d) UDP socket bind failed. Rescheduling.", port)
		}},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			pA, pB := closedTCPPort(t), closedTCPPort(t)
			cfg := loadConf(t, fmt.Sprintf(`virtual_server 10.0.0.1 80 {
  delay_loop 4
  lvs_sched rr
  lvs_method NAT
  protocol %[1]s
  real_server 127.0.0.1 %[3]d {
    %[2]s {
      connect_timeout 1
      retry 0
      bindto 192.0.2.77
    }
  }
  real_server 127.0.0.1 %[4]d {
    %[2]s {
      connect_timeout 1
      retry 0
      bind_if nosuchif0
    }
  }
}
`, tc.proto, tc.typ, pA, pB))
			wait, logs, clk := startEngineClock(t, cfg, ipvs.NewServiceKey(tc.ipvsProto, netip.MustParseAddrPort("10.0.0.1:80")))
			up := fmt.Sprintf("127.0.0.1:%d=1 127.0.0.1:%d=1", pA, pB)
			if pA > pB {
				up = fmt.Sprintf("127.0.0.1:%d=1 127.0.0.1:%d=1", pB, pA)
			}
			lineA, lineB := tc.line(pA), tc.line(pB)
			// when each attempt was logged, on the fake clock
			var seen []time.Duration
			start := clk.Now()
			for end := time.Now().Add(20 * time.Second); len(seen) < 3; {
				if time.Now().After(end) {
					t.Fatalf("log %q", logs.lines)
				}
				if n := logs.count("Checker bind failed: Cannot assign requested address"); n > len(seen) {
					seen = append(seen, clk.Now().Sub(start))
				}
				clk.Advance(250 * time.Millisecond)
				time.Sleep(20 * time.Millisecond)
			}
			wait(up)
			for i := 1; i < len(seen); i++ {
				if d := seen[i] - seen[i-1]; d < 4*time.Second || d > 4500*time.Millisecond {
					t.Errorf("attempts %v apart, want delay_loop (4s): %v", d, seen)
				}
			}
			if n := logs.count("Checker can't bind to device nosuchif0: No such device"); n < 2 {
				t.Errorf("bind_if error logged %d times", n)
			}
			logs.mu.Lock()
			defer logs.mu.Unlock()
			for _, l := range logs.lines {
				if strings.HasPrefix(l, tc.typ) && l != lineA && l != lineB || strings.Contains(l, "Removing") {
					t.Errorf("unexpected line %q", l)
				}
			}
			// each failed set-up line is followed by the checker's
			for i, l := range logs.lines {
				if strings.HasPrefix(l, "Checker ") && (i+1 == len(logs.lines) || logs.lines[i+1] != lineA && logs.lines[i+1] != lineB) {
					t.Errorf("line %d %q not followed by the checker's: %q", i, l, logs.lines)
				}
			}
		})
	}
}
