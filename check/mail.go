package check

import (
	"fmt"

	"github.com/gokeepalived/gokeepalived/check/probe"
	"github.com/gokeepalived/gokeepalived/check/state"
	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/smtpalert"
)

// Alerts at shutdown (clear_services: "=> Shutting down <=") are not
// sent: keepalived 2.2.7's checker process ends before its scheduler
// runs those sessions, so they are never delivered.

// mailBodies are each checker type's alert bodies (check_*.c), success
// then failure (keepalived 2.2.7's; HTTP_GET and SSL_GET's failure says
// "HTTP/SSL request failed" from 2.2.8); SMTP_CHECK's failure names its error, MISC_CHECK's is
// made from the script's exit, FILE_CHECK sends none.
var mailBodies = map[conf.CheckerType][2]string{
	conf.CheckTCP:  {"=> TCP CHECK succeed on service <=", "=> TCP CHECK failed on service <="},
	conf.CheckHTTP: {"=> CHECK succeed on service <=", "=> CHECK failed on service : HTTP request failed <="},
	conf.CheckSSL:  {"=> CHECK succeed on service <=", "=> CHECK failed on service : HTTP request failed <="},
	conf.CheckUDP:  {"=> UDP CHECK succeed on service <=", "=> UDP CHECK failed on service <="},
	conf.CheckPing: {"=> ICMP CHECK succeed on service <=", "=> ICMP CHECK failed on service <="},
	conf.CheckDNS:  {"=> DNS_CHECK: succeed on service <=", "=> DNS_CHECK: failed on service <="},
	conf.CheckSMTP: {"=> CHECK succeed on service <=", "=> CHECK failed on service <="},
}

// mail sends the real server's alert for one checker result, as each
// check_*.c does after update_svr_checker_state: on the checker's
// transition (MISC_CHECK: on every result it acts on), with the real
// server's smtp_alert, and under no_checker_emails only when the real
// server's state changed.
func (j *job) mail(res probe.Result, wasUp, hadRun, final, wasAlive bool) {
	e := j.e
	rs := j.vs.cfg.RealServers[j.rs]
	if e.opt.Alerts == nil || !rs.SMTPAlert || res.NoVerdict {
		return
	}
	var body string
	if j.typ == conf.CheckMisc {
		switch {
		case res.OK && (!wasUp || !hadRun):
			body = "=> MISC CHECK succeeded on service <="
		case !res.OK && (wasUp || !hadRun) && final:
			body = "=> MISC CHECK " + res.Reason + " on service <="
		default:
			return
		}
	} else {
		b, ok := mailBodies[j.typ]
		if !ok || wasUp == j.st.Up {
			return
		}
		body = b[0]
		if !j.st.Up {
			body = b[1]
			if (j.typ == conf.CheckHTTP || j.typ == conf.CheckSSL) && e.compat.AtLeast(2, 2, 8) {
				body = "=> CHECK failed on service : HTTP/SSL request failed <="
			}
			if j.typ == conf.CheckSMTP && res.Reason != "" {
				body = "=> CHECK failed on service : " + res.Reason + " <="
			}
		}
	}
	alive := j.vs.st.RS[j.rs].Alive
	if alive == wasAlive && e.noCheckerEmails {
		return
	}
	e.opt.Alerts.Send(smtpalert.RSSubject(e.opt.Alerts.RouterID(), j.name, j.vsName, upDown(alive)), body)
}

// mailQuorum is do_vs_notifies' alert.
func (e *Engine) mailQuorum(ent *vsEntry, q *state.QuorumChange, up bool) {
	if e.opt.Alerts == nil {
		return
	}
	body := fmt.Sprintf("=> %s %d+%d=%d <= %d <=", q.What, ent.cfg.Quorum, ent.cfg.Hysteresis, q.Threshold, q.Sum)
	e.opt.Alerts.Send(smtpalert.VSSubject(e.opt.Alerts.RouterID(), ent.st.Cfg.Name, upDown(up)), body)
}

func upDown(up bool) string {
	if up {
		return "UP"
	}
	return "DOWN"
}
