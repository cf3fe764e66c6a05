package check

import (
	"encoding/json"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/ipvs"
)

// checkerSig is what keepalived's per-type compare functions look at:
// the type, connection options and type options, not the timing.
func checkerSig(c *conf.Checker) string {
	b, _ := json.Marshal(struct {
		T    conf.CheckerType
		Conn *conf.ConnOpts
		HTTP *conf.HTTPCheck
		SMTP *conf.SMTPCheck
		DNS  *conf.DNSCheck
		Misc *conf.MiscCheck
		UDP  *conf.UDPCheck
		File *conf.FileCheck
	}{c.Type, c.Conn, c.HTTP, c.SMTP, c.DNS, c.Misc, c.UDP, c.File})
	return string(b)
}

// carry is ipwrapper.c's clear_diff_services + migrate_checkers, before
// start(): state of unchanged virtual servers, real servers and
// checkers moves from old to e.
func (e *Engine) carry(old *Engine) {
	oldVS := make(map[string]*vsEntry, len(old.vss))
	for _, o := range old.vss {
		oldVS[o.key] = o
	}
	type rsID struct {
		vs string
		rs ipvs.DestKey
	}
	oldJobs := map[rsID][]*job{}
	for _, j := range old.jobs {
		k := rsID{j.vs.key, j.vs.st.RS[j.rs].Cfg.Dest.Key()}
		oldJobs[k] = append(oldJobs[k], j)
	}
	newJobs := map[rsID][]*job{}
	for _, j := range e.jobs {
		k := rsID{j.vs.key, j.vs.st.RS[j.rs].Cfg.Dest.Key()}
		newJobs[k] = append(newJobs[k], j)
	}
	kept := map[string]bool{}
	for _, ent := range e.vss {
		o := oldVS[ent.key]
		if o == nil {
			continue
		}
		kept[ent.key] = true
		oldRS := map[ipvs.DestKey]int{}
		for i, r := range o.st.RS {
			oldRS[r.Cfg.Dest.Key()] = i
		}
		for i, r := range ent.st.RS {
			oi, ok := oldRS[r.Cfg.Dest.Key()]
			if !ok {
				continue
			}
			id := rsID{ent.key, r.Cfg.Dest.Key()}
			cands := append([]*job(nil), oldJobs[id]...)
			jobs := newJobs[id]
			// a reloaded RS's new checkers start up and unrun, even alpha
			// ones (check_new_rs_state skips reloaded servers)
			for _, nj := range jobs {
				nj.st.Up, nj.st.RetryIt = true, 0
				ent.st.RestoreChecker(i, nj.id, true, 0)
			}
			anyRun, failed := false, 0
			for _, nj := range jobs {
				for ci, oj := range cands {
					if oj == nil || oj.sig != nj.sig {
						continue
					}
					cands[ci] = nil
					if oj.st.HasRun {
						nj.st.Up = oj.st.Up
					}
					nj.st.HasRun = oj.st.HasRun
					if oj.st.RetryIt > 0 && nj.st.T.Retry > 0 {
						nj.st.RetryIt = min(oj.st.RetryIt, nj.st.T.Retry-1)
					}
					nj.st.URL, nj.st.FailedURL = oj.st.URL, oj.st.FailedURL
					ent.st.RestoreChecker(i, nj.id, nj.st.Up, o.st.CheckerWeight(oi, oj.id))
					break
				}
				if nj.st.HasRun {
					anyRun = true
					if !nj.st.Up {
						failed++
					}
				}
			}
			if failed > 0 || (!o.st.RS[oi].Alive && !anyRun) {
				for _, nj := range jobs {
					if !nj.st.HasRun {
						if nj.st.T.Alpha {
							nj.st.Up = false
							ent.st.RestoreChecker(i, nj.id, false, 0)
						}
						nj.st.RetryIt = nj.st.T.Retry // one failure is enough
					}
				}
			}
			ent.st.Restore(i, o.st.RS[oi].Alive)
		}
		ent.st.RestoreQuorum(o.st.QuorumUp, o.st.SorryAlive)
	}
	for _, o := range old.vss {
		if !kept[o.key] {
			e.opt.Logf("Removing Virtual Server %s", o.st.Cfg.Name)
		}
	}
}
