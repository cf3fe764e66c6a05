package vrrpd

import (
	"log/slog"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/smtpalert"
	"github.com/gokeepalived/gokeepalived/vrrp"
)

// stateDeleted is VRRP_STATE_DELETED, only ever mailed (notify_deleted).
const stateDeleted vrrp.State = 255

// mailer sends keepalived's VRRP e-mail alerts (vrrp_notify.c
// vrrp_smtp_notifier and vrrp_sync_smtp_notifier); used from the loop.
type mailer struct {
	s             *smtpalert.Sender
	own           bool // made by the runtime: configured and closed by it
	noEmailFaults bool
}

func newMailer(g *conf.GlobalDefs, s *smtpalert.Sender, log *slog.Logger) mailer {
	m := mailer{s: s, noEmailFaults: g.NoEmailFaults}
	if s == nil {
		m.s, m.own = smtpalert.New(smtpalert.FromGlobal(g), log), true
	}
	return m
}

func (m *mailer) reload(g *conf.GlobalDefs) {
	m.noEmailFaults = g.NoEmailFaults
	if m.own {
		m.s.Configure(smtpalert.FromGlobal(g))
	}
}

// close gives queued alerts (the STOP ones) the second keepalived's VRRP
// process lingers after its shutdown notifies.
func (m *mailer) close() {
	if m.own {
		m.s.Close(time.Second)
	}
}

// instanceMail is the subject tail and body for an instance entering st.
func instanceMail(st vrrp.State) (string, string) {
	switch st {
	case vrrp.StateMaster:
		return "Entering MASTER state", "=> VRRP Instance is now owning VRRP VIPs <="
	case vrrp.StateBackup:
		return "Entering BACKUP state", "=> VRRP Instance is no longer owning VRRP VIPs <="
	case vrrp.StateFault:
		return "Entering FAULT state", "=> VRRP Instance is no longer owning VRRP VIPs <="
	case vrrp.StateStop:
		return "Stopping", "=> VRRP Instance stopping <="
	case stateDeleted:
		return "Deleted", "=> VRRP Deleted at reload <="
	}
	return "", ""
}

func groupMail(st vrrp.State) (string, string) {
	switch st {
	case vrrp.StateMaster:
		return "Entering MASTER state", "=> All VRRP group instances are now in MASTER state <="
	case vrrp.StateBackup:
		return "Entering BACKUP state", "=> All VRRP group instances are now in BACKUP state <="
	case vrrp.StateFault:
		return "Entering FAULT state", "=> All VRRP group instances are now in FAULT state <="
	case vrrp.StateStop:
		return "Stopping", "=> All VRRP group instances are now stopping <="
	}
	return "", ""
}

// wanted: smtp_alert on, not a FAULT under no_email_faults, and not the
// state last mailed about (remembered even when no mail can be sent).
//
// STOP is never mailed: keepalived 2.2.7 queues "Stopping" at shutdown,
// but its scheduler then only runs the shutdown timer, so the session
// stops at the server's greeting and the mail is never delivered.
func (m *mailer) wanted(on bool, last, st vrrp.State) bool {
	return on && st != vrrp.StateStop && !(m.noEmailFaults && st == vrrp.StateFault) && last != st
}

func (m *mailer) instance(ri *rtInst, st vrrp.State) {
	if !m.wanted(ri.notify.smtp, ri.lastMail, st) {
		return
	}
	subj, body := instanceMail(st)
	if subj == "" {
		return
	}
	m.s.Send(smtpalert.VRRPSubject(m.s.RouterID(), ri.inst.Name(), subj), body)
	ri.lastMail = st
}

func (m *mailer) group(rg *rtGroup, st vrrp.State) {
	if !m.wanted(rg.notify.smtp, rg.lastMail, st) {
		return
	}
	subj, body := groupMail(st)
	if subj == "" {
		return
	}
	m.s.Send(smtpalert.GroupSubject(m.s.RouterID(), rg.g.Name(), subj), body)
	rg.lastMail = st
}

// groupSMTPAlert is a sync group's smtp_alert with keepalived's defaults
// (vrrp.c: smtp_alert_vrrp, else smtp_alert, else off).
func groupSMTPAlert(g *conf.GlobalDefs, sg *conf.SyncGroup) bool {
	switch {
	case sg.SMTPAlert != nil:
		return *sg.SMTPAlert
	case g.SMTPAlertVRRP != nil:
		return *g.SMTPAlertVRRP
	case g.SMTPAlert != nil:
		return *g.SMTPAlert
	}
	return false
}
