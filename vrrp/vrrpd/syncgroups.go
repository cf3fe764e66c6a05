package vrrpd

import (
	"slices"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/notifyfifo"
	"github.com/gokeepalived/gokeepalived/vrrp"
)

// syncGroups are the runtime's sync groups; used from the loop (or
// before Run).
type syncGroups struct {
	groups   []*rtGroup
	draining bool // afterExec is running the members' transitions
}

type rtGroup struct {
	g        *vrrp.SyncGroup
	notify   notifiers
	lastMail vrrp.State
}

// groupNotifiers are a sync group's notify scripts.
func groupNotifiers(g *conf.GlobalDefs, sg *conf.SyncGroup) notifiers {
	return notifiers{master: sg.NotifyMaster, backup: sg.NotifyBackup, fault: sg.NotifyFault, stop: sg.NotifyStop, generic: sg.Notify,
		smtp: groupSMTPAlert(g, sg)}
}

// setupExtras builds the sync groups, reads the track files and opens
// the notify FIFO, after NewRuntime built the instances.
func (r *Runtime) setupExtras(cfg *conf.Config) error {
	if err := r.buildGroups(cfg); err != nil {
		return err
	}
	r.loadFiles(cfg, false, r.deps.Clock.Now())
	r.notifier.openFIFO(&cfg.Global)
	return nil
}

func (r *Runtime) buildGroups(cfg *conf.Config) error {
	byName := map[string]*rtInst{}
	for _, ri := range r.insts {
		byName[ri.inst.Name()] = ri
	}
	for _, sg := range cfg.SyncGroups {
		var members []*vrrp.Instance
		for _, n := range sg.Instances {
			if ri := byName[n]; ri != nil {
				members = append(members, ri.inst)
			}
		}
		if len(members) == 0 {
			continue
		}
		g, err := vrrp.NewSyncGroup(sg.Name, members, r.log)
		if err != nil {
			return err
		}
		r.groups = append(r.groups, &rtGroup{g: g, notify: groupNotifiers(&cfg.Global, sg)})
	}
	return nil
}

// initGroups sets each group's start-up state and notifies it, before
// the members start (vrrp_init_state).
func (r *Runtime) initGroups() {
	for _, rg := range r.groups {
		rg.g.Init(r.ifUp)
		r.groupNotifies(rg)
	}
}

func (r *Runtime) ifUp(i *vrrp.Instance) bool {
	ri := r.byInst[i]
	if ri == nil || !ri.trackIf {
		return true
	}
	info, err := r.deps.Net.Interface(ri.iface)
	return err != nil || info.Up
}

// afterExec performs what a member's step made its group do: the other
// members' transitions, then the group's own notifies.
func (r *Runtime) afterExec(ri *rtInst, now time.Time) {
	g := ri.inst.SyncGroup()
	if g == nil || r.draining {
		return
	}
	r.draining = true
	for again := true; again; {
		again = false
		for _, m := range g.Members() {
			if acts := m.Flush(); len(acts) > 0 {
				if mi := r.byInst[m]; mi != nil {
					r.exec(mi, now, acts)
					again = true
				}
			}
		}
	}
	r.draining = false
	for _, rg := range r.groups {
		if rg.g == g {
			r.groupNotifies(rg)
		}
	}
}

// groupNotifies runs a group's notify scripts for each state it entered:
// the state's script, then "notify" with GROUP NAME STATE 0, then the
// FIFO line (send_group_notifies).
func (r *Runtime) groupNotifies(rg *rtGroup) {
	name := rg.g.Name()
	for _, st := range rg.g.Notifies() {
		r.log.Debug("group state change", "group", name, "state", st.String())
		for _, c := range rg.notify.commandsFor(st, "GROUP", name, st.String(), 0) {
			r.notifier.run(name, c)
		}
		r.notifier.fifo.Write(notifyfifo.Group(name, st.String()))
		r.notifier.mail.group(rg, st)
	}
}

// stopGroups notifies STOP for every group, after the instances stopped.
func (r *Runtime) stopGroups() {
	for _, rg := range r.groups {
		rg.g.Stop()
		r.groupNotifies(rg)
	}
}

// reloadExtras regroups the instances, reloads the track files and, if
// its settings changed, reopens the FIFO. Runs in applyReload after the
// instances were matched, before new ones start.
func (r *Runtime) reloadExtras(cfg *conf.Config, now time.Time) {
	was := map[string]vrrp.State{}
	for _, rg := range r.groups {
		was[rg.g.Name()] = rg.g.State()
		rg.g.Leave()
	}
	r.groups = nil
	if err := r.buildGroups(cfg); err != nil { // validated by conf: cannot happen
		r.log.Error("reload sync groups", "err", err)
	}
	var same []*rtGroup // kept in their state: fifo_write_vrrp_states_on_reload
	for _, rg := range r.groups {
		fresh := slices.ContainsFunc(rg.g.Members(), func(m *vrrp.Instance) bool { return m.State() == vrrp.StateInit })
		if fresh {
			rg.g.Init(r.ifUp)
		} else {
			st, ok := was[rg.g.Name()]
			if !ok {
				st = vrrp.StateInit
			}
			rg.g.Adopt(st)
			if ok && rg.g.State() == st {
				same = append(same, rg)
			}
		}
		if r.started {
			r.groupNotifies(rg)
		}
	}
	r.loadFiles(cfg, true, now)
	if r.started {
		r.startFiles()
	}
	g := &cfg.Global
	r.notifier.reloadFIFO(g)
	if r.started && r.fifoOnReload {
		for _, rg := range same {
			r.notifier.fifo.Write(notifyfifo.Group(rg.g.Name(), rg.g.State().String()))
		}
	}
}

func (r *Runtime) closeExtras() {
	if r.watchStop != nil {
		r.watchStop()
		r.watchStop = nil
	}
	r.notifier.fifo.Close()
}
