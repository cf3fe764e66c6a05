package check

import (
	"github.com/gokeepalived/gokeepalived/check/state"
	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/smtpalert"
)

// addBFDJob adds a BFD_CHECK checker: no probe, its state follows the
// BFD instance it names (BFDChanged). It starts up, or down with alpha,
// and not run, as keepalived's.
func (e *Engine) addBFDJob(ent *vsEntry, i int, rs *conf.RealServer, c *conf.Checker, vsName string) {
	j := &job{e: e, vs: ent, rs: i, typ: c.Type, name: ent.st.RS[i].Cfg.Name, iw: int64(rs.Weight), vsName: vsName, cfg: c}
	j.enabled.Store(true)
	j.st = state.NewChecker(state.Timing{Alpha: c.Alpha})
	j.st.Up = !c.Alpha
	j.id = ent.st.AddChecker(i, j.st.Up)
	e.bfdJobs = append(e.bfdJobs, j)
	ent.rsJobs[i] = append(ent.rsJobs[i], j)
}

// BFDNames are the BFD instances the BFD_CHECK checkers follow.
func (e *Engine) BFDNames() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, j := range e.bfdJobs {
		if n := j.cfg.BFD.Name; !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// BFDChanged applies a BFD instance's state to the BFD_CHECK checkers
// naming it, as keepalived's bfd_check_handle_event: a checker that has
// not run yet takes the first state given (BFD reports every instance
// Down as it starts), then only changes.
func (e *Engine) BFDChanged(name string, up bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ended {
		return
	}
	for _, j := range e.bfdJobs {
		if j.cfg.BFD.Name != name || (up == j.st.Up && j.st.HasRun) {
			continue
		}
		word := "DOWN"
		if up {
			word = "UP"
		}
		e.opt.Logf("BFD check of [%s] RS(%s) is %s", name, j.name, word)
		wasUp, wasAlive := j.st.Up, j.vs.st.RS[j.rs].Alive
		j.st.Up, j.st.HasRun = up, true
		j.vs.st.SetChecker(j.rs, j.id, up)
		e.emit(j.vs)
		j.mailBFD(name, wasUp, wasAlive)
	}
}

// mailBFD is bfd_check_handle_event's alert: on a change of the
// checker, unless no_checker_emails and the server's state stayed.
func (j *job) mailBFD(name string, wasUp, wasAlive bool) {
	e := j.e
	if e.opt.Alerts == nil || !j.vs.cfg.RealServers[j.rs].SMTPAlert || wasUp == j.st.Up {
		return
	}
	alive := j.vs.st.RS[j.rs].Alive
	if alive == wasAlive && e.noCheckerEmails {
		return
	}
	verb := "failed"
	if j.st.Up {
		verb = "succeeded"
	}
	e.opt.Alerts.Send(smtpalert.RSSubject(e.opt.Alerts.RouterID(), j.name, j.vsName, upDown(alive)),
		"=> BFD CHECK "+name+" "+verb+" on service <=")
}
