package state

import (
	"fmt"

	"github.com/gokeepalived/gokeepalived/ipvs"
)

// NotifyKind says which script or alert an event calls for.
type NotifyKind uint8

// Notifications (keepalived's do_rs_notifies / do_vs_notifies).
const (
	NoNotify NotifyKind = iota
	NotifyRSUp
	NotifyRSDown
	NotifyQuorumUp
	NotifyQuorumDown
)

// Event is one log line with keepalived's wording, and the notification
// it implies. RS is -1 for virtual-server events.
type Event struct {
	Msg    string
	Notify NotifyKind
	RS     int
	// Quorum is set on the quorum events of update_quorum_state, for
	// the e-mail alert's body.
	Quorum *QuorumChange
}

// QuorumChange is do_vs_notifies' view of a quorum change.
type QuorumChange struct {
	What      string // "Gained quorum", "Starting with quorum up", "Lost quorum", "Starting with quorum down"
	Threshold int64
	Sum       int64
}

// RSConfig is a real server as the pool needs it.
type RSConfig struct {
	// Dest carries the address, forwarding and configured weight.
	Dest    ipvs.Destination
	Inhibit bool
	// Name is keepalived's FMT_RS, e.g. "[192.168.31.102]:tcp:80".
	Name string
}

// VSConfig is a virtual server as the pool needs it.
type VSConfig struct {
	// Name is keepalived's FMT_VS, e.g. "[10.10.31.100]:tcp:80".
	Name       string
	Quorum     uint32
	Hysteresis uint32
	// Sorry is the sorry server (nil: none). Its weight is 1 as in
	// keepalived's alloc_ssvr.
	Sorry        *ipvs.Destination
	SorryName    string
	SorryInhibit bool
	// InitNotifies is global rs_init_notifies: a real server alive at
	// start-up gets its notify_up and notify FIFO line (init_service_rs).
	InitNotifies bool
}

// RS is the state of one real server.
type RS struct {
	Cfg   RSConfig
	Alive bool
	// Failed counts checkers currently down (num_failed_checkers).
	Failed int
	// Effective is the configured weight plus the dynamic contributions
	// of MISC_CHECK misc_dynamic and FILE_CHECK (effective_weight).
	Effective int64
	checkUp   []bool
	checkW    []int64
	// restored marks a real server carried over a reload.
	restored bool
}

// VS is the state of one virtual server and its real servers.
type VS struct {
	Cfg        VSConfig
	RS         []*RS
	QuorumUp   bool
	SorryAlive bool
	events     []Event
	stopped    bool
}

// NewVS returns a virtual server before start-up; add checkers with
// AddChecker, then call Init.
func NewVS(cfg VSConfig, rss []RSConfig) *VS {
	// set_quorum_states runs when the config is read, before any real
	// server is alive: quorum starts down unless quorum + hysteresis is 0,
	// so start-up gains it only with quorum + hysteresis live weight.
	v := &VS{Cfg: cfg, QuorumUp: cfg.Quorum+cfg.Hysteresis == 0}
	for _, c := range rss {
		v.RS = append(v.RS, &RS{Cfg: c, Effective: int64(c.Dest.Weight)})
	}
	return v
}

// AddChecker registers a checker of real server rs that starts up or
// down (alpha, or a FILE_CHECK already failing) and returns its id.
func (v *VS) AddChecker(rs int, up bool) int {
	r := v.RS[rs]
	r.checkUp = append(r.checkUp, up)
	r.checkW = append(r.checkW, 0)
	if !up {
		r.Failed++
	}
	return len(r.checkUp) - 1
}

// realWeight clamps an effective weight to what IPVS accepts.
func realWeight(w int64) uint32 {
	if w < 0 {
		return 0
	}
	if w > ipvs.MaxWeight {
		return ipvs.MaxWeight
	}
	return uint32(w)
}

func (v *VS) logf(rs int, n NotifyKind, format string, a ...any) {
	v.events = append(v.events, Event{Msg: fmt.Sprintf(format, a...), Notify: n, RS: rs})
}

// Stopped reports whether Shutdown ran.
func (v *VS) Stopped() bool { return v.stopped }

// Events returns and clears the pending events. An event with an empty
// Msg only carries a notification.
func (v *VS) Events() []Event {
	e := v.events
	v.events = nil
	return e
}

// Init is start-up (ipwrapper.c init_service_rs + update_quorum_state):
// every real server with no failed checker is alive at once. Real
// servers carried over a reload (Restore) keep their state; one left
// with no failed checker but not alive is brought up (migrate_checkers).
func (v *VS) Init() {
	for i, r := range v.RS {
		switch {
		case !r.restored:
			r.Alive = r.Failed == 0
			if r.Alive && v.Cfg.InitNotifies {
				// do_rs_notifies logs nothing; only up states are sent
				v.events = append(v.events, Event{Notify: NotifyRSUp, RS: i})
			}
		case r.Failed == 0 && !r.Alive:
			v.setAlive(i, true)
		case r.Failed > 0:
			r.Alive = false
		}
	}
	v.updateQuorum(true)
}

// RestoreChecker sets a checker's carried-over state without logging a
// transition (reload).
func (v *VS) RestoreChecker(rs, id int, up bool, weight int64) {
	r := v.RS[rs]
	if r.checkUp[id] != up {
		r.checkUp[id] = up
		if up {
			r.Failed--
		} else {
			r.Failed++
		}
	}
	r.Effective += weight - r.checkW[id]
	r.checkW[id] = weight
}

// Restore carries a real server's alive state over a reload: a failed
// real server is not re-added just because of the reload.
func (v *VS) Restore(rs int, alive bool) {
	v.RS[rs].Alive, v.RS[rs].restored = alive, true
}

// RestoreQuorum carries the quorum and sorry-server state over a reload.
func (v *VS) RestoreQuorum(up, sorryAlive bool) {
	v.QuorumUp, v.SorryAlive = up, sorryAlive && v.Cfg.Sorry != nil
}

// CheckerUp reports a checker's state as the pool sees it.
func (v *VS) CheckerUp(rs, id int) bool { return v.RS[rs].checkUp[id] }

func (v *VS) weightSum() int64 {
	var s int64
	for _, r := range v.RS {
		if r.Alive {
			s += int64(realWeight(r.Effective))
		}
	}
	return s
}

// poolActive is false while the sorry server replaces the real servers.
func (v *VS) poolActive() bool { return v.QuorumUp || v.Cfg.Sorry == nil || !v.SorryAlive }

func (v *VS) updateQuorum(init bool) {
	sum := v.weightSum()
	q, h := int64(v.Cfg.Quorum), int64(v.Cfg.Hysteresis)
	threshold := q + h
	if v.QuorumUp {
		threshold = q - h
	}
	switch {
	case !v.QuorumUp && sum >= threshold:
		v.QuorumUp = true
		v.logf(-1, NotifyQuorumUp, "Gained quorum %d+%d=%d <= %d for VS %s", q, h, threshold, sum, v.Cfg.Name)
		what := "Gained quorum"
		if init {
			what = "Starting with quorum up"
		}
		v.events[len(v.events)-1].Quorum = &QuorumChange{What: what, Threshold: threshold, Sum: sum}
		if v.Cfg.Sorry != nil && v.SorryAlive {
			verb := "Removing"
			if v.Cfg.SorryInhibit {
				verb = "Disabling"
			}
			v.logf(-1, NoNotify, "%s sorry server %s from VS %s", verb, v.Cfg.SorryName, v.Cfg.Name)
			v.SorryAlive = false
			v.logf(-1, NoNotify, "Adding alive servers to the pool for VS %s", v.Cfg.Name)
		}
	case (v.QuorumUp && (sum == 0 || sum < threshold)) ||
		(init && !v.QuorumUp && v.Cfg.Sorry != nil && !v.SorryAlive):
		v.QuorumUp = false
		what := "Lost quorum"
		if init {
			what = "Starting with quorum down"
		}
		v.logf(-1, NotifyQuorumDown, "%s %d-%d=%d > %d for VS %s", what, q, h, threshold, sum, v.Cfg.Name)
		v.events[len(v.events)-1].Quorum = &QuorumChange{What: what, Threshold: threshold, Sum: sum}
		if v.Cfg.Sorry != nil && !v.SorryAlive {
			verb := "Adding"
			if v.Cfg.SorryInhibit {
				verb = "Enabling"
			}
			v.logf(-1, NoNotify, "%s sorry server %s to VS %s", verb, v.Cfg.SorryName, v.Cfg.Name)
			v.logf(-1, NoNotify, "Removing alive servers from the pool for VS %s", v.Cfg.Name)
			v.SorryAlive = true
		}
	}
}

// setAlive is perform_svr_state.
func (v *VS) setAlive(rs int, alive bool) {
	r := v.RS[rs]
	if r.Alive == alive {
		return
	}
	verb, prep := "Adding", "to"
	switch {
	case alive && r.Cfg.Inhibit:
		verb, prep = "Enabling", "of"
	case !alive && r.Cfg.Inhibit:
		verb, prep = "Disabling", "of"
	case !alive:
		verb, prep = "Removing", "from"
	}
	n := NotifyRSDown
	if alive {
		n = NotifyRSUp
	}
	v.logf(rs, n, "%s service %s %s VS %s", verb, r.Cfg.Name, prep, v.Cfg.Name)
	r.Alive = alive
	v.updateQuorum(false)
}

// SetChecker records a checker going up or down (update_svr_checker_
// state): the real server goes down with its first failed checker and
// comes back with its last.
func (v *VS) SetChecker(rs, id int, up bool) {
	r := v.RS[rs]
	if r.checkUp[id] == up {
		return
	}
	if up && r.Failed <= 1 {
		v.setAlive(rs, true)
	} else if !up && r.Failed == 0 {
		v.setAlive(rs, false)
	}
	r.checkUp[id] = up
	if up {
		r.Failed--
	} else {
		r.Failed++
	}
}

// SetCheckerWeight sets a checker's contribution to the real server's
// weight (MISC_CHECK misc_dynamic: rc-2 minus the configured weight;
// FILE_CHECK: value×weight) and logs the change as update_svr_wgt.
func (v *VS) SetCheckerWeight(rs, id int, w int64) {
	r := v.RS[rs]
	old := realWeight(r.Effective)
	r.Effective += w - r.checkW[id]
	r.checkW[id] = w
	if nw := realWeight(r.Effective); nw != old {
		in := ""
		if !r.Alive {
			in = "in"
		}
		v.logf(rs, NoNotify, "Changing weight from %d to %d for %sactive service %s of VS %s", old, nw, in, r.Cfg.Name, v.Cfg.Name)
		v.updateQuorum(false)
	}
}

// CheckerWeight returns a checker's current weight contribution.
func (v *VS) CheckerWeight(rs, id int) int64 { return v.RS[rs].checkW[id] }

// Dests returns the destinations the kernel should hold for this
// virtual server, real servers first, then the sorry server.
func (v *VS) Dests() []ipvs.Destination {
	if v.stopped {
		return nil
	}
	active := v.poolActive()
	out := make([]ipvs.Destination, 0, len(v.RS)+1)
	for _, r := range v.RS {
		d := r.Cfg.Dest
		switch {
		case r.Alive && active:
			d.Weight = realWeight(r.Effective)
		case r.Cfg.Inhibit:
			d.Weight = 0
		default:
			continue
		}
		out = append(out, d)
	}
	if s := v.Cfg.Sorry; s != nil && !v.sorryIsRS() {
		d := *s
		switch {
		case v.SorryAlive:
			d.Weight = 1
			out = append(out, d)
		case v.Cfg.SorryInhibit:
			d.Weight = 0
			out = append(out, d)
		}
	}
	return out
}

// sorryIsRS: a sorry server that is also a real server is not added
// twice (keepalived's s_svr_duplicates_rs).
func (v *VS) sorryIsRS() bool {
	for _, r := range v.RS {
		if r.Cfg.Dest.Key() == v.Cfg.Sorry.Key() {
			return true
		}
	}
	return false
}

// Shutdown is keepalived's clear_service_rs at stop: every real server
// is logged as shut down and is no longer alive. With omega the
// notify_down of alive servers and quorum_down are due (events carry
// them); without, they are not. Dests is empty afterwards.
func (v *VS) Shutdown(omega bool) { v.shutdown(omega, true) }

// ShutdownFlushed is the stop under lvs_flush_on_stop (FULL or VS):
// the service goes whole, so keepalived's clear_service_vs skips its
// real servers (no lines, no notify_down); only quorum_down is due,
// with omega.
func (v *VS) ShutdownFlushed(omega bool) { v.shutdown(omega, false) }

func (v *VS) shutdown(omega, servers bool) {
	for i, r := range v.RS {
		if !servers {
			r.Alive = false
			continue
		}
		inh := ""
		if r.Cfg.Inhibit && !r.Alive {
			inh = "(inhibited) "
		}
		n := NoNotify
		if r.Alive && omega {
			n = NotifyRSDown
		}
		v.logf(i, n, "Shutting down %sservice %s from VS %s", inh, r.Cfg.Name, v.Cfg.Name)
		r.Alive = false
	}
	if omega {
		// keepalived logs nothing for this one
		v.events = append(v.events, Event{Notify: NotifyQuorumDown, RS: -1})
	}
	v.QuorumUp, v.SorryAlive, v.stopped = false, false, true
}
