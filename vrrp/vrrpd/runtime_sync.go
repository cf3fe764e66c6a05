package vrrpd

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/notifyfifo"
	"github.com/gokeepalived/gokeepalived/internal/trackfile"
	"github.com/gokeepalived/gokeepalived/vrrp"
)

// extras is the runtime's state for sync groups, track files and the
// notify FIFO; all of it is used from the loop (or before Run).
type extras struct {
	groups    []*rtGroup
	files     []*fileTrack
	watchStop context.CancelFunc
	fifo      *notifyfifo.Set
	fifoCfg   [2]conf.NotifyFIFO // global, vrrp: reopened when changed
	calls     chan func(now time.Time)
	draining  bool
}

type rtGroup struct {
	g        *vrrp.SyncGroup
	notify   notifiers
	lastMail vrrp.State
}

type fileTrack struct {
	name, path string
	value      int64
}

// extraTrackers are an instance's trackers beyond InstanceConfig's: its
// track_file entries, then its sync group's track_interface, track_script
// and track_file, which apply to every member (keepalived's
// sync_group_tracking_init; the group's entry wins over the instance's).
// A group with an address owner among its members tracks unweighted.
func extraTrackers(cfg *conf.Config, v *conf.VRRPInstance) []vrrp.Tracker {
	var out []vrrp.Tracker
	for _, r := range v.TrackFiles {
		out = append(out, vrrp.Tracker{Name: vrrp.FileTracker(r.Name), Weight: r.Weight, Reverse: r.Reverse, File: true})
	}
	var sg *conf.SyncGroup
	for _, g := range cfg.SyncGroups {
		if g.Name == v.SyncGroup {
			sg = g
		}
	}
	if sg == nil {
		return out
	}
	owner := false
	for _, m := range cfg.VRRPInstances {
		if m.SyncGroup == sg.Name && m.Priority == vrrp.PriorityOwner {
			owner = true
		}
	}
	weight := func(w int) int {
		if owner {
			return 0
		}
		return w
	}
	var group []vrrp.Tracker
	for _, r := range sg.TrackInterfaces {
		group = append(group, vrrp.Tracker{Name: vrrp.InterfaceTracker(r.Name), Weight: weight(r.Weight), Reverse: r.Reverse, Up: true})
	}
	for _, r := range sg.TrackScripts {
		up := true
		for _, s := range cfg.VRRPScripts {
			if s.Name == r.Name && s.InitFail {
				up = false
			}
		}
		group = append(group, vrrp.Tracker{Name: vrrp.ScriptTracker(r.Name), Weight: weight(r.Weight), Reverse: r.Reverse, Up: up})
	}
	for _, r := range sg.TrackFiles {
		group = append(group, vrrp.Tracker{Name: vrrp.FileTracker(r.Name), Weight: weight(r.Weight), Reverse: r.Reverse, File: true})
	}
	return append(slices.DeleteFunc(out, func(t vrrp.Tracker) bool {
		return slices.ContainsFunc(group, func(g vrrp.Tracker) bool { return g.Name == t.Name })
	}), group...)
}

// groupNotifiers are a sync group's notify scripts.
func groupNotifiers(g *conf.GlobalDefs, sg *conf.SyncGroup) notifiers {
	return notifiers{master: sg.NotifyMaster, backup: sg.NotifyBackup, fault: sg.NotifyFault, stop: sg.NotifyStop, generic: sg.Notify,
		smtp: groupSMTPAlert(g, sg)}
}

// setupExtras builds the sync groups, reads the track files and opens
// the notify FIFO, after NewRuntime built the instances.
func (r *Runtime) setupExtras(cfg *conf.Config) error {
	r.calls = make(chan func(time.Time), 16)
	if err := r.buildGroups(cfg); err != nil {
		return err
	}
	r.loadFiles(cfg, false, r.deps.Clock.Now())
	r.openFIFO(&cfg.Global)
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
			r.runScript(name, c)
		}
		r.fifo.Write(notifyfifo.Group(name, st.String()))
		r.mail.group(rg, st)
	}
}

// commandsFor is commands with the generic script's words given.
func (n notifiers) commandsFor(st vrrp.State, typ, name, state string, prio uint8) []vrrp.Command {
	var out []vrrp.Command
	add := func(s *conf.Script, extra ...string) {
		if s == nil || s.Disabled || len(s.Argv) == 0 {
			return
		}
		argv := append(append([]string(nil), s.Argv...), extra...)
		out = append(out, vrrp.Command{Argv: argv, User: s.User, Group: s.Group})
	}
	switch st {
	case vrrp.StateMaster:
		add(n.master)
	case vrrp.StateBackup:
		add(n.backup)
	case vrrp.StateFault:
		add(n.fault)
	case vrrp.StateStop:
		add(n.stop)
	}
	add(n.generic, typ, name, state, strconv.Itoa(int(prio)))
	return out
}

// stopGroups notifies STOP for every group, after the instances stopped.
func (r *Runtime) stopGroups() {
	for _, rg := range r.groups {
		rg.g.Stop()
		r.groupNotifies(rg)
	}
}

func (r *Runtime) fifoInstance(ri *rtInst, state string) {
	r.fifo.Write(notifyfifo.Instance(ri.inst.Name(), state, ri.inst.EffectivePriority()))
}

// deleteInstance stops an instance a reload removed (clear_diff_vrrp):
// a MASTER sends priority 0 and drops its VIPs; then, unless it was in
// FAULT, or always with notify_deleted, it is notified as DELETED (with
// notify_deleted) or as FAULT (keepalived's default) — not as STOP.
func (r *Runtime) deleteInstance(ri *rtInst, now time.Time) {
	was := ri.inst.State()
	acts := slices.DeleteFunc(ri.inst.Step(now, vrrp.EventShutdown{}), func(a vrrp.Action) bool { _, ok := a.(vrrp.Notify); return ok })
	r.exec(ri, now, acts)
	if r.deps.OnState != nil {
		r.deps.OnState(ri.inst.Name(), vrrp.StateStop)
	}
	n := ri.notify
	if !n.notifyDeleted && was == vrrp.StateFault {
		return
	}
	name, state := ri.inst.Name(), "FAULT"
	if n.notifyDeleted {
		// notify_deleted's script takes notify_fault's place.
		n, state = notifiers{fault: n.deleted, generic: n.generic}, "DELETED"
	}
	for _, c := range n.commandsFor(vrrp.StateFault, "INSTANCE", name, state, ri.inst.EffectivePriority()) {
		r.runScript(name, c)
	}
	r.fifoInstance(ri, state)
	if state == "DELETED" {
		r.mail.instance(ri, stateDeleted)
	} else {
		r.mail.instance(ri, vrrp.StateFault)
	}
}

// openFIFO opens notify_fifo and vrrp_notify_fifo; their scripts run as
// notify scripts do.
func (r *Runtime) openFIFO(g *conf.GlobalDefs) {
	r.fifoCfg = [2]conf.NotifyFIFO{g.NotifyFIFO, g.VRRPNotifyFIFO}
	r.fifo = notifyfifo.Open(g.NotifyFIFO, g.VRRPNotifyFIFO, "vrrp_", func(ctx context.Context, argv []string, user, group string, exited func()) error {
		return r.deps.Scripts.Start(vrrp.Command{Argv: argv, User: user, Group: group, Ctx: ctx, Exited: exited})
	}, r.log)
}

// loadFiles sets up the track files that instances or groups track:
// init_file first, then each file's value is read and given to the
// instances (silently before they start, as a tracker event after).
func (r *Runtime) loadFiles(cfg *conf.Config, reload bool, now time.Time) {
	used := map[string]bool{}
	for _, v := range cfg.VRRPInstances {
		for _, t := range extraTrackers(cfg, v) {
			if t.File {
				used[t.Name] = true
			}
		}
	}
	old := r.files
	r.files = nil
	for _, tf := range cfg.TrackFiles {
		if !used[vrrp.FileTracker(tf.Name)] {
			continue
		}
		if tf.InitFile {
			if err := trackfile.Init(tf.File, tf.InitValue, tf.Overwrite, reload); err != nil {
				r.log.Warn(fmt.Sprintf("Unable to initialise track file %s", tf.Name), "err", err)
			}
		}
		path, err := trackfile.Resolve(tf.File)
		if err != nil {
			r.log.Warn(fmt.Sprintf("Track file directory for %s does not exist - removing", tf.Name), "err", err)
			continue
		}
		ft := &fileTrack{name: vrrp.FileTracker(tf.Name), path: path}
		if i := slices.IndexFunc(old, func(o *fileTrack) bool { return o.name == ft.name && o.path == ft.path }); i >= 0 {
			ft.value = old[i].value
		}
		if v, ok := trackfile.Read(path); ok {
			ft.value = v
		} else {
			r.log.Info(fmt.Sprintf("Invalid number %d read from %s - ignoring", v, path))
		}
		r.files = append(r.files, ft)
	}
	for _, ft := range r.files {
		r.fileValue(now, ft)
	}
}

// fileValue gives a file's value to the instances tracking it.
func (r *Runtime) fileValue(now time.Time, ft *fileTrack) {
	for _, ri := range r.insts {
		if !slices.ContainsFunc(ri.inst.Config().Trackers, func(t vrrp.Tracker) bool { return t.Name == ft.name }) {
			continue
		}
		if ri.inst.State() == vrrp.StateInit {
			ri.inst.SetTrackValue(ft.name, ft.value)
		} else {
			r.exec(ri, now, ri.inst.Step(now, vrrp.EventTrackValue{Name: ft.name, Value: ft.value}))
		}
	}
}

// startFiles watches the track files (inotify on their directories) and
// feeds changes to the loop.
func (r *Runtime) startFiles() {
	if r.watchStop != nil {
		r.watchStop()
		r.watchStop = nil
	}
	if len(r.files) == 0 || r.rctx == nil {
		return
	}
	var paths []string
	for _, ft := range r.files {
		paths = append(paths, ft.path)
	}
	w, err := trackfile.NewWatcher(paths)
	if err != nil {
		r.log.Error("Unable to monitor track files", "err", err)
		return
	}
	ctx, cancel := context.WithCancel(r.rctx)
	r.watchStop = cancel
	r.readers.Add(1)
	go func() {
		defer r.readers.Done()
		err := w.Run(ctx, func(path string, gone bool) {
			v, ok := int64(0), true
			if !gone {
				v, ok = trackfile.Read(path)
			}
			if !ok {
				r.log.Info(fmt.Sprintf("Invalid number %d read from %s - ignoring", v, path))
				return
			}
			select {
			case r.calls <- func(now time.Time) { r.fileChanged(now, path, v) }:
			case <-ctx.Done():
			}
		})
		if err != nil && ctx.Err() == nil {
			r.log.Error("track file monitor", "err", err)
		}
	}()
}

func (r *Runtime) fileChanged(now time.Time, path string, v int64) {
	for _, ft := range r.files {
		if ft.path == path && ft.value != v {
			ft.value = v
			r.fileValue(now, ft)
		}
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
	if !fifoSame(r.fifoCfg, g) {
		r.fifo.Close()
		r.openFIFO(g)
	}
	if r.started && r.fifoOnReload {
		for _, rg := range same {
			r.fifo.Write(notifyfifo.Group(rg.g.Name(), rg.g.State().String()))
		}
	}
}

// fifoSame compares the FIFO settings including their scripts.
func fifoSame(old [2]conf.NotifyFIFO, g *conf.GlobalDefs) bool {
	eq := func(a, b conf.NotifyFIFO) bool {
		if a.Name != b.Name || a.User != b.User || a.Group != b.Group || (a.Script == nil) != (b.Script == nil) {
			return false
		}
		return a.Script == nil || slices.Equal(a.Script.Argv, b.Script.Argv)
	}
	return eq(old[0], g.NotifyFIFO) && eq(old[1], g.VRRPNotifyFIFO)
}

func (r *Runtime) closeExtras() {
	if r.watchStop != nil {
		r.watchStop()
		r.watchStop = nil
	}
	r.fifo.Close()
}

// Ping returns once the event loop has run a no-op, so a caller (the
// systemd watchdog) knows the loop is not stuck; ctx bounds the wait.
func (r *Runtime) Ping(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case r.calls <- func(time.Time) { close(done) }:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
