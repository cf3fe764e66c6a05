package vrrp

import (
	"fmt"
	"log/slog"
	"time"
)

// SyncGroup is a vrrp_sync_group: its members change state together, as
// keepalived 2.2.7's vrrp_sync.c makes them. A member goes MASTER only
// when every other member wants to (each has timed out, or is an owner
// wanting MASTER); then all go. One member leaving MASTER for BACKUP, or
// failing, takes the others with it; the group comes back up (BACKUP)
// only when no member has a fault of its own.
//
// The group is stepped through its members: transitions of other
// members are queued in their own action lists (Instance.Flush) and the
// group's own state changes in Notifies.
type SyncGroup struct {
	name    string
	log     *slog.Logger
	members []*Instance
	state   State
	notes   []State
}

// NewSyncGroup joins members (not yet started) into a group. As
// keepalived does, a "state MASTER" is kept only if every member is an
// address owner wanting MASTER; otherwise all start wanting BACKUP.
func NewSyncGroup(name string, members []*Instance, log *slog.Logger) (*SyncGroup, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g := &SyncGroup{name: name, log: log, state: StateInit}
	for _, m := range members {
		if m.sync != nil && m.sync != g {
			return nil, fmt.Errorf("(%s) instance is already in sync group %s", m.Name(), m.sync.name)
		}
	}
	haveMaster, haveBackup := false, false
	for _, m := range members {
		m.sync = g
		g.members = append(g.members, m)
		if m.want != StateMaster || m.basePrio != PriorityOwner {
			haveBackup = true
		}
		if m.want == StateMaster {
			haveMaster = true
		}
	}
	if haveMaster && haveBackup {
		for _, m := range members {
			if m.want == StateMaster {
				m.want = StateBackup
			}
		}
	}
	return g, nil
}

// Name is the group's name.
func (g *SyncGroup) Name() string { return g.name }

// State is the group's state.
func (g *SyncGroup) State() State { return g.state }

// Members are the group's instances, in configuration order.
func (g *SyncGroup) Members() []*Instance { return g.members }

// Leave detaches every member (before a reload regroups them).
func (g *SyncGroup) Leave() {
	for _, m := range g.members {
		if m.sync == g {
			m.sync = nil
		}
	}
	g.members = nil
}

// Notifies returns and clears the group states entered since the last
// call, for the group's notify scripts and FIFO line.
func (g *SyncGroup) Notifies() []State {
	n := g.notes
	g.notes = nil
	return n
}

// Flush returns the actions a group transition queued for a member.
func (i *Instance) Flush() []Action { return i.flush() }

// SyncGroup is the instance's group, or nil.
func (i *Instance) SyncGroup() *SyncGroup { return i.sync }

func (g *SyncGroup) logf(format string, args ...any) {
	g.log.Info(fmt.Sprintf(format, args...), "group", g.name)
}

func (g *SyncGroup) enter(s State) {
	g.state = s
	g.notes = append(g.notes, s)
}

// Init sets the group's state before its members Start (vrrp_init_state):
// FAULT if a member has a fault of its own (ifUp reports each member's
// interface), MASTER if every member is an owner wanting MASTER, else
// BACKUP. FAULT and BACKUP are notified, MASTER is not (as keepalived).
func (g *SyncGroup) Init(ifUp func(*Instance) bool) {
	g.notes = nil // an Init before Run (at a reload) is redone at Run
	st := StateBackup
	if len(g.members) > 0 {
		st = StateMaster
	}
	for _, m := range g.members {
		if m.want != StateMaster || m.basePrio != PriorityOwner {
			st = StateBackup
		}
	}
	for _, m := range g.members {
		if m.fault || !ifUp(m) {
			st = StateFault
		}
	}
	g.state = st
	if st != StateMaster {
		g.notes = append(g.notes, st)
	}
}

// Adopt sets the group's state from its members' after a reload
// regrouped running instances: MASTER if all are, FAULT if any is, else
// BACKUP. It is notified only if it differs from was.
func (g *SyncGroup) Adopt(was State) {
	st := StateMaster
	for _, m := range g.members {
		switch {
		case m.state == StateFault || m.fault:
			st = StateFault
		case m.state != StateMaster && st != StateFault:
			st = StateBackup
		}
	}
	g.state = st
	if st != was {
		g.notes = append(g.notes, st)
	}
}

// Stop notifies STOP for the group, after its members stopped.
func (g *SyncGroup) Stop() {
	if g.state != StateStop {
		g.enter(StateStop)
	}
}

// canGotoMaster is vrrp_sync_can_goto_master: every other member must
// want MASTER; if not, i's down timer restarts while it waits for them.
func (g *SyncGroup) canGotoMaster(now time.Time, i *Instance) bool {
	if g.state == StateMaster {
		return true
	}
	for _, m := range g.members {
		if m != i && m.want != StateMaster {
			i.msDown = i.MasterDownInterval()
			i.initSands(now)
			return false
		}
	}
	return true
}

// transition is keepalived's TSM, run after a timer or an advert moved
// i from prev: to MASTER syncs the group to MASTER, MASTER to BACKUP
// syncs it to BACKUP.
func (g *SyncGroup) transition(now time.Time, i *Instance, prev State) {
	switch {
	case i.state == StateMaster && (prev == StateBackup || prev == StateMaster || prev == StateFault):
		g.syncMaster(now, i)
	case prev == StateMaster && i.state == StateBackup:
		g.syncBackup(now, i)
	}
}

// syncMaster is vrrp_sync_master.
func (g *SyncGroup) syncMaster(now time.Time, i *Instance) {
	if g.state == StateMaster || !g.canGotoMaster(now, i) {
		return
	}
	g.logf("VRRP_Group(%s) Syncing instances to MASTER state", g.name)
	for _, m := range g.members {
		if m != i && m.state != StateMaster {
			m.want = StateMaster
			m.gotoMaster(now)
		}
	}
	g.enter(StateMaster)
}

// syncBackup is vrrp_sync_backup.
func (g *SyncGroup) syncBackup(now time.Time, i *Instance) {
	if g.state == StateBackup {
		return
	}
	g.logf("VRRP_Group(%s) Syncing instances to BACKUP state", g.name)
	for _, m := range g.members {
		if m == i || m.state == StateBackup {
			continue
		}
		m.want = StateBackup
		if m.state == StateFault || m.state == StateInit {
			m.leaveFault(now)
		} else {
			m.leaveMasterAdv(now, StateBackup, false)
		}
	}
	g.enter(StateBackup)
}

// syncFault is vrrp_sync_fault.
func (g *SyncGroup) syncFault(now time.Time, i *Instance) {
	if g.state == StateFault {
		return
	}
	g.logf("VRRP_Group(%s) Syncing instances to FAULT state", g.name)
	for _, m := range g.members {
		if m == i || m.state == StateFault {
			continue
		}
		m.want = StateFault
		switch m.state {
		case StateMaster:
			m.leaveMasterAdv(now, StateFault, false)
		case StateBackup, StateInit:
			// keepalived sets FAULT first, so this is not logged as
			// "Entering FAULT STATE", but it is notified.
			m.state = StateFault
			m.leaveFault(now)
		}
	}
	g.enter(StateFault)
}

// faulty counts members with a fault of their own.
func (g *SyncGroup) faulty() int {
	n := 0
	for _, m := range g.members {
		if m.fault {
			n++
		}
	}
	return n
}

// memberDown is the sync part of down_instance: the first member to
// fail takes the group to FAULT.
func (g *SyncGroup) memberDown(now time.Time, i *Instance) {
	if g.faulty() == 1 {
		g.syncFault(now, i)
	}
}

// memberUp is try_up_instance for a member whose own fault cleared: it
// stays in FAULT while another member has one; the last to recover
// leaves FAULT and takes the group with it.
func (g *SyncGroup) memberUp(now time.Time, i *Instance) {
	want := StateBackup
	if i.cfg.WantMaster && i.basePrio == PriorityOwner {
		want = StateMaster
	}
	i.want = StateBackup
	i.msDown = i.MasterDownInterval()
	if g.faulty() > 0 {
		return
	}
	i.want = want
	if want == StateMaster && !g.canGotoMaster(now, i) {
		i.want = StateBackup
	}
	i.leaveFault(now)
	i.want = want
	if i.state == StateMaster {
		g.syncMaster(now, i)
	} else {
		g.syncBackup(now, i)
	}
}

// leaveFault is vrrp_state_leave_fault: to MASTER if wanted, else to the
// wanted state (BACKUP, or FAULT for a member its group failed).
func (i *Instance) leaveFault(now time.Time) {
	if i.want == StateMaster {
		i.gotoMaster(now)
	} else {
		if i.state != i.want {
			i.logf("(%s) Entering %s STATE", i.cfg.Name, i.want)
		}
		if i.want == StateFault && i.state == StateMaster {
			i.emit(SendAdvert{Priority: 0})
			i.releaseVIPs()
		}
		i.state = i.want
		i.emit(Notify{State: i.state})
		if i.state == StateBackup {
			i.preemptTime = time.Time{}
		}
	}
	i.masterAdverInt = i.cfg.AdverInt
	i.msDown = i.MasterDownInterval()
	i.initSands(now)
}
