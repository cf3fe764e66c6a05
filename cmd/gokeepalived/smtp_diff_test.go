package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netns"

	"github.com/gokeepalived/gokeepalived/internal/netnstest"
	"github.com/gokeepalived/gokeepalived/internal/smtpalert/smtptest"
)

// listenIn opens a TCP listener on the loopback of namespace ns: the
// socket is made on a thread moved into ns, which is never returned to
// the scheduler (it ends with its goroutine).
func listenIn(t *testing.T, ns string) net.Listener {
	t.Helper()
	type res struct {
		l   net.Listener
		err error
	}
	c := make(chan res, 1)
	go func() {
		runtime.LockOSThread()
		h, err := netns.GetFromName(ns)
		if err != nil {
			c <- res{err: err}
			return
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			c <- res{err: err}
			return
		}
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		c <- res{l, err}
	}()
	r := <-c
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.l
}

var mailDate = regexp.MustCompile(`^C: Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d [+-]\d{4}$`)

// normalise replaces the Date header (checked for keepalived's format)
// and the server's port; it returns the subject too.
func normalise(t *testing.T, who string, s []string, port string) ([]string, string) {
	out := make([]string, len(s))
	subj := ""
	for i, l := range s {
		if strings.HasPrefix(l, "C: Date: ") {
			if !mailDate.MatchString(l) {
				t.Errorf("%s: Date header %q", who, l)
			}
			l = "C: Date: <date>"
		}
		if v, ok := strings.CutPrefix(l, "C: Subject: "); ok {
			subj = v
		}
		out[i] = strings.ReplaceAll(l, port, "<port>")
	}
	return out, subj
}

// complete: the session reached QUIT's 221.
func complete(s []string) bool { return len(s) > 0 && strings.HasPrefix(s[len(s)-1], "S: 221") }

// TestSMTPAlertsMatchKeepalived runs keepalived 2.2.7 and then gokeepalived
// on the same configuration in a namespace — a sync group of two
// instances going MASTER (smtp_alert from global_defs), a third alone, a
// fourth with smtp_alert off, the HELO name and sender left to their
// defaults, then a reload with a new router_id deleting the third — with
// smtp_server on the namespace's loopback, where this test records the
// SMTP sessions; they must match line by line (Date normalised).
//
// Two behaviours of keepalived 2.2.7 are allowed for: its start-up
// alerts ("Entering BACKUP state") race its own start-up and mostly fail
// ("smtp fd N returned write error"), so those are left out on both
// sides; and its "Stopping" alerts at shutdown never get past the
// server's greeting (its scheduler only runs the shutdown timer then),
// which ours reproduces by not sending them.
func TestSMTPAlertsMatchKeepalived(t *testing.T) {
	netnstest.Require(t, "keepalived")
	ns := netnstest.New(t, "gksm", "eth0")
	srv := smtptest.Serve(listenIn(t, ns.Name))
	defer srv.Close()
	port := fmt.Sprint(srv.Addr().Port)
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	inst := func(name string, vrid int, extra string) string {
		return fmt.Sprintf("vrrp_instance %s {\n state BACKUP\n interface eth0\n virtual_router_id %d\n priority 150\n advert_int 1\n%s virtual_ipaddress {\n  10.99.0.%d/32\n }\n}\n",
			name, vrid, extra, 150+vrid)
	}
	text := func(rid string, vi3 bool) string {
		s := "global_defs {\n router_id " + rid + "\n notification_email {\n  a@example.com\n  b@example.com\n }\n smtp_server 127.0.0.1 " + port +
			"\n smtp_connect_timeout 5\n smtp_alert true\n}\n" +
			"vrrp_sync_group G1 {\n group {\n  VI_1\n  VI_2\n }\n}\n" +
			inst("VI_1", 51, "") + inst("VI_2", 52, "") + inst("VI_4", 54, " smtp_alert false\n")
		if vi3 {
			s += inst("VI_3", 53, "")
		}
		return s
	}

	type run struct {
		sessions [][]string
		log      string
	}
	// each daemon runs until its three MASTER alerts are in, then stops
	// wait until n complete sessions since before carry subjects
	// containing sub
	waitMails := func(who string, before, n int, sub string, p *gkProc) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got := 0
			for _, s := range srv.Sessions()[before:] {
				if _, subj := normalise(t, who, s, port); strings.Contains(subj, sub) && complete(s) {
					got++
				}
			}
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d %q alerts, want %d; sessions %q\nlog:\n%s", who, got, sub, n, srv.Sessions()[before:], p.log())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	do := func(who string, argv0 string, env []string) run {
		if err := os.WriteFile(cf, []byte(text("LB1", true)), 0o644); err != nil {
			t.Fatal(err)
		}
		before := len(srv.Sessions())
		args := []string{"-n", "-l", "-D", "-P", "-f", cf, "-p", filepath.Join(dir, who+".pid"), "-r", filepath.Join(dir, who+"-vrrp.pid")}
		if argv0 != "keepalived" {
			args = append(args, "--control-socket", filepath.Join(dir, who+".sock"))
		}
		p := startCmd(t, ns.Command(argv0, args...), env)
		p.waitFor("(VI_3) Entering MASTER STATE", 1)
		p.waitFor("(VI_4) Entering MASTER STATE", 1)
		waitMails(who, before, 4, "MASTER", p)
		// a reload with a new router_id deletes VI_3: keepalived reads
		// global_defs first, and mails the deletion as FAULT
		if err := os.WriteFile(cf, []byte(text("LB2", false)), 0o644); err != nil {
			t.Fatal(err)
		}
		p.signal(syscall.SIGHUP)
		waitMails(who, before, 1, "FAULT", p)
		p.signal(syscall.SIGTERM)
		if rc := p.wait(); rc != 0 {
			t.Errorf("%s exit %d", who, rc)
		}
		if !srv.Idle(10 * time.Second) {
			t.Fatalf("%s: sessions still open after exit", who)
		}
		return run{sessions: srv.Sessions()[before:], log: p.log()}
	}
	ka := do("keepalived", "keepalived", nil)
	self, _ := os.Executable()
	gk := do("gokeepalived", self, []string{"TMPDIR=" + dir})

	// compared: the complete sessions but the start-up ones
	pick := func(who string, r run) (out [][]string, subjects []string) {
		for _, s := range r.sessions {
			n, subj := normalise(t, who, s, port)
			if !complete(s) {
				if who == "gokeepalived" {
					t.Errorf("%s: incomplete session %q", who, s)
				}
				continue
			}
			if strings.Contains(subj, "Stopping") {
				t.Errorf("%s: a Stopping alert was delivered (keepalived 2.2.7 never does)", who)
			}
			if strings.Contains(subj, "Entering BACKUP state") {
				continue
			}
			out, subjects = append(out, n), append(subjects, subj)
		}
		return
	}
	kaS, kaSubj := pick("keepalived", ka)
	gkS, _ := pick("gokeepalived", gk)
	wantSubj := []string{"[LB1] VRRP Instance VI_2 - Entering MASTER state", "[LB1] VRRP Instance VI_1 - Entering MASTER state",
		"[LB1] VRRP Group G1 - Entering MASTER state", "[LB1] VRRP Instance VI_3 - Entering MASTER state",
		"[LB2] VRRP Instance VI_3 - Entering FAULT state"}
	if !slices.Equal(kaSubj, wantSubj) {
		t.Errorf("keepalived's alerts %q, want %q", kaSubj, wantSubj)
	}
	if !slices.EqualFunc(kaS, gkS, slices.Equal) {
		t.Errorf("sessions differ:\nkeepalived:\n%s\ngokeepalived:\n%s", join(kaS), join(gkS))
	}
	// ours also sends the start-up alerts keepalived means to send
	for _, w := range []string{"[LB1] VRRP Group G1 - Entering BACKUP state", "[LB1] VRRP Instance VI_1 - Entering BACKUP state",
		"[LB1] VRRP Instance VI_2 - Entering BACKUP state", "[LB1] VRRP Instance VI_3 - Entering BACKUP state"} {
		found := false
		for _, s := range gk.sessions {
			found = found || slices.Contains(s, "C: Subject: "+w)
		}
		if !found {
			t.Errorf("gokeepalived did not send %q", w)
		}
	}
	// -D: one "connected" and one "successfully sent" line per complete session
	for _, r := range []struct {
		who string
		run run
	}{{"keepalived", ka}, {"gokeepalived", gk}} {
		done := 0
		for _, s := range r.run.sessions {
			if complete(s) {
				done++
			}
		}
		if got := strings.Count(r.run.log, "SMTP alert successfully sent."); got != done {
			t.Errorf("%s: %d 'SMTP alert successfully sent.' lines for %d sessions:\n%s", r.who, got, done, r.run.log)
		}
		if got := strings.Count(r.run.log, "Remote SMTP server [127.0.0.1]:"+port+" connected."); got != done {
			t.Errorf("%s: %d 'connected' lines for %d sessions", r.who, got, done)
		}
	}
}

func join(ss [][]string) string {
	var b strings.Builder
	for _, s := range ss {
		b.WriteString(strings.Join(s, "\n") + "\n--\n")
	}
	return b.String()
}

// TestSMTPAlertRefusedMatchesKeepalived: with nothing listening on
// smtp_server each alert is one "smtp fd N returned write error" line,
// for keepalived 2.2.7 and for us (the descriptor differs).
func TestSMTPAlertRefusedMatchesKeepalived(t *testing.T) {
	netnstest.Require(t, "keepalived")
	ns := netnstest.New(t, "gksr", "eth0")
	l := listenIn(t, ns.Name)
	port := fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
	l.Close() // the port is closed: connections are refused
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	text := "global_defs {\n router_id LB1\n notification_email {\n  a@example.com\n }\n smtp_server 127.0.0.1 " + port + "\n}\n" +
		"vrrp_instance VI_1 {\n state BACKUP\n interface eth0\n virtual_router_id 51\n priority 150\n advert_int 1\n smtp_alert\n" +
		" virtual_ipaddress {\n  10.99.0.200/32\n }\n}\n"
	if err := os.WriteFile(cf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	writeErr := regexp.MustCompile(`(?m): smtp fd \d+ returned write error$`)
	self, _ := os.Executable()
	for _, who := range []string{"keepalived", self} {
		args := []string{"-n", "-l", "-D", "-P", "-f", cf, "-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid")}
		if who != "keepalived" {
			args = append(args, "--control-socket", filepath.Join(dir, "gk.sock"))
		}
		p := startCmd(t, ns.Command(who, args...), []string{"TMPDIR=" + dir})
		p.waitFor("(VI_1) Entering MASTER STATE", 1)
		// BACKUP at start-up, then MASTER: two attempts
		deadline := time.Now().Add(10 * time.Second)
		for len(writeErr.FindAllString(p.log(), -1)) < 2 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond) // nothing more
		p.signal(syscall.SIGTERM)
		if rc := p.wait(); rc != 0 {
			t.Errorf("%s exit %d", who, rc)
		}
		if n := len(writeErr.FindAllString(p.log(), -1)); n != 2 {
			t.Errorf("%s: %d write error lines, want 2:\n%s", who, n, p.log())
		}
		if strings.Contains(p.log(), "SMTP connection ERROR") || strings.Contains(p.log(), "SMTP alert successfully sent") {
			t.Errorf("%s: unexpected SMTP lines:\n%s", who, p.log())
		}
	}
}

// TestSMTPAlertRejectedMatchesKeepalived: a server refusing the
// recipient gets QUIT next, and the error line names the command and
// code, for keepalived 2.2.7 and for us alike.
func TestSMTPAlertRejectedMatchesKeepalived(t *testing.T) {
	netnstest.Require(t, "keepalived")
	ns := netnstest.New(t, "gksj", "eth0")
	srv := smtptest.ServeReplies(listenIn(t, ns.Name), map[string]string{"RCPT": "550 5.1.1 no such user"})
	defer srv.Close()
	port := fmt.Sprint(srv.Addr().Port)
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	text := "global_defs {\n router_id LB1\n notification_email {\n  a@example.com\n  b@example.com\n }\n smtp_helo_name lb1.example\n" +
		" notification_email_from ka@example.com\n smtp_server 127.0.0.1 " + port + "\n}\n" +
		"vrrp_instance VI_1 {\n state BACKUP\n interface eth0\n virtual_router_id 51\n priority 150\n advert_int 1\n smtp_alert\n" +
		" virtual_ipaddress {\n  10.99.0.200/32\n }\n}\n"
	if err := os.WriteFile(cf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	errLine := "Error processing RCPT cmd on SMTP server [127.0.0.1]:" + port + ". SMTP status code = 550"
	self, _ := os.Executable()
	var got [2][]string
	for i, who := range []string{"keepalived", self} {
		before := len(srv.Sessions())
		args := []string{"-n", "-l", "-D", "-P", "-f", cf, "-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid")}
		if who != "keepalived" {
			args = append(args, "--control-socket", filepath.Join(dir, "gk.sock"))
		}
		p := startCmd(t, ns.Command(who, args...), []string{"TMPDIR=" + dir})
		p.waitFor("(VI_1) Entering MASTER STATE", 1)
		p.waitFor(errLine, 1) // the MASTER alert (the start-up one may fail first in keepalived)
		// its QUIT follows the error line: let it finish before the TERM
		srv.Idle(10 * time.Second)
		atTerm := srv.Sessions()
		p.signal(syscall.SIGTERM)
		if rc := p.wait(); rc != 0 {
			t.Errorf("%s exit %d", who, rc)
		}
		srv.Idle(10 * time.Second)
		// the MASTER alert's: the one that reached RCPT before the TERM
		// (keepalived's shutdown alert, on a loaded machine, can reach
		// RCPT too before the process exits and cuts it)
		for _, s := range atTerm[before:] {
			if slices.ContainsFunc(s, func(l string) bool { return strings.HasPrefix(l, "C: RCPT TO:") }) {
				got[i] = s
			}
		}
		if strings.Contains(p.log(), "SMTP alert successfully sent") {
			t.Errorf("%s: a rejected alert logged as sent", who)
		}
	}
	want := []string{"S: 220 smtptest ESMTP", "C: HELO lb1.example", "S: 250 smtptest", "C: MAIL FROM:<ka@example.com>", "S: 250 2.1.0 Ok",
		"C: RCPT TO:<a@example.com>", "S: 550 5.1.1 no such user", "C: QUIT", "S: 221 2.0.0 Bye"}
	if !slices.Equal(got[0], want) {
		t.Errorf("keepalived's session %q, want %q", got[0], want)
	}
	if !slices.Equal(got[1], got[0]) {
		t.Errorf("sessions differ:\nkeepalived   %q\ngokeepalived %q", got[0], got[1])
	}
}
