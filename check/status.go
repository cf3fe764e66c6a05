package check

import (
	"time"

	"github.com/gokeepalived/gokeepalived/ipvs"
)

// RSStatus is one real server (or sorry server) of one service as the
// checkers judge it, for metrics and the checker's data dump.
type RSStatus struct {
	VSName, RSName string // keepalived's FMT_VS and FMT_RS
	Service        ipvs.ServiceKey
	Dest           ipvs.Destination // Weight: what the table holds for it
	InTable        bool             // present in the table (alive, or inhibited)
	Alive          bool             // the checkers' verdict
	Sorry          bool
	Inhibit        bool
	ConfWeight     int
	Effective      int64
	FailedCheckers int
	// Latency is the longest of its checkers' last checks (0 before one).
	Latency time.Duration
}

// Status reports every real server of every running virtual server, per
// service (a group's virtual server has one service per member).
func (e *Engine) Status() []RSStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []RSStatus
	for _, ent := range e.vss {
		if ent.st.Stopped() {
			continue
		}
		ds := ent.st.Dests()
		for _, s := range ent.svcs {
			table := map[ipvs.DestKey]ipvs.Destination{}
			for _, d := range serviceDests(s, ent.cfg.Group != "", ds) {
				table[d.Key()] = d
			}
			add := func(st RSStatus, d ipvs.Destination) {
				d = serviceDests(s, ent.cfg.Group != "", []ipvs.Destination{d})[0]
				st.VSName, st.Service = ent.st.Cfg.Name, s.ServiceKey
				st.Dest = d
				if t, ok := table[d.Key()]; ok {
					st.Dest, st.InTable = t, true
				} else {
					st.Dest.Weight = 0
				}
				out = append(out, st)
			}
			for i, r := range ent.st.RS {
				var lat time.Duration
				if i < len(ent.rsJobs) {
					for _, j := range ent.rsJobs[i] {
						lat = max(lat, time.Duration(j.latency.Load()))
					}
				}
				add(RSStatus{RSName: r.Cfg.Name, Alive: r.Alive, Inhibit: r.Cfg.Inhibit,
					ConfWeight: int(r.Cfg.Dest.Weight), Effective: r.Effective, FailedCheckers: r.Failed, Latency: lat}, r.Cfg.Dest)
			}
			if sv := ent.st.Cfg.Sorry; sv != nil {
				add(RSStatus{RSName: ent.st.Cfg.SorryName, Alive: ent.st.SorryAlive, Sorry: true,
					Inhibit: ent.st.Cfg.SorryInhibit, ConfWeight: 1, Effective: 1}, *sv)
			}
		}
	}
	return out
}
