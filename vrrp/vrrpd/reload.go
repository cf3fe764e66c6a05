package vrrpd

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/notifyfifo"
	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/packet"
)

// Reload applies a new configuration. Instances are
// matched by Key, not by name: a matched instance keeps its state and
// counters and takes the new settings in place; an old instance with no
// match is stopped as at shutdown; a new one starts as at start-up. On an
// error nothing has changed. While Run is running the change is made in
// its loop, between events.
func (r *Runtime) Reload(cfg *conf.Config) error {
	r.mu.Lock()
	if !r.started {
		defer r.mu.Unlock()
		return r.applyReload(cfg)
	}
	r.mu.Unlock()
	req := reloadReq{cfg: cfg, done: make(chan error, 1)}
	select {
	case r.reload <- req:
	case <-r.quit:
		return errors.New("vrrp: runtime stopped")
	}
	return <-req.done
}

// planned is one configured instance of the new config.
type planned struct {
	v    *conf.VRRPInstance
	vmac *vrrp.VMAC // created for a new use_vmac instance
	fwv  [2]int     // its VMAC's IGMP rule (VMAC and base ifindex)
	ic   vrrp.Config
	key  vrrp.Key
	spec vrrp.SocketSpec
	old  *rtInst        // matched running instance, or nil
	inst *vrrp.Instance // new instance when old is nil
}

// applyReload runs with r.mu held, from the loop (or before Run).
func (r *Runtime) applyReload(cfg *conf.Config) error {
	g := &cfg.Global
	live := r.started
	now := r.deps.Clock.Now()

	// Plan and validate everything before touching anything.
	procTs := procTrackersOf(cfg)
	procUp := r.scanProcs(procTs)
	plan, byKey, demux, err := r.plan(cfg, procUp)
	if err != nil {
		return err
	}

	created, err := r.createVMACs(g, plan, demux)
	if err != nil {
		return err
	}
	socks, opened, err := r.openSockets(demux)
	if err != nil {
		r.deleteVMACs(created)
		return err
	}

	r.notifier.mail.reload(g)
	// Commit. Removed instances go first, so that a VIP moved to another
	// instance is removed before it is added again.
	r.removeUnmatched(byKey, live, now)
	r.compat = cfg.Compat
	started := r.applyPlan(plan, socks, now)
	r.swapSockets(demux, opened, g, live)

	r.garpInterval, r.gnaInterval = g.VRRPGARPInterval, g.VRRPGNAInterval
	r.fifoOnReload = g.FIFOWriteVRRPStatesOnReload
	r.reloadChecks(cfg, live, now)
	r.reloadProcs(procTs, procUp, live, now)
	if live {
		r.addr.reloadStatics(cfg)
	} else {
		r.addr.statics, r.addr.noTrack = staticsOf(cfg), noTrackOf(cfg)
	}
	r.reloadExtras(cfg, now)

	if live {
		r.startReloaded(started, now)
	}
	return nil
}

// createVMACs creates the VMACs new instances need (their sockets bind to
// them) and moves those instances to the demux table of their socket. On
// an error it deletes the ones it created.
func (r *Runtime) createVMACs(g *conf.GlobalDefs, plan []*planned, demux map[vrrp.SocketSpec]map[uint8]*vrrp.Instance) ([]*vrrp.VMAC, error) {
	var created []*vrrp.VMAC
	for _, p := range plan {
		if p.old != nil || !(p.v.UseVMAC || p.v.UseIPVLAN) {
			continue
		}
		src := p.ic.SourceAddr
		m, sockIf, err := r.setupVMAC(g, p.v, &p.ic)
		if err != nil {
			r.deleteVMACs(created)
			return nil, err
		}
		created = append(created, m)
		p.vmac = m
		if !m.IPVLAN {
			p.fwv = r.addr.fwVMAC(p.v.Name, m, p.v.Interface, p.ic.Family == packet.IPv6, g)
		}
		if p.ic.SourceAddr != src { // an ipvlan's own link-local: rebuild with it
			if p.inst, err = vrrp.New(p.ic, r.log); err != nil {
				r.deleteVMACs(created)
				return nil, err
			}
		}
		old := p.spec
		p.spec.Iface = sockIf
		// Move the instance to the demux table of its real socket.
		delete(demux[old], p.ic.VRID)
		if len(demux[old]) == 0 {
			delete(demux, old)
		}
		if demux[p.spec] == nil {
			demux[p.spec] = map[uint8]*vrrp.Instance{}
		}
		demux[p.spec][p.ic.VRID] = p.inst
	}
	return created, nil
}

// openSockets opens the sockets the new demux tables need and keeps the
// ones still in use: socks has them all by spec, opened the new ones. On
// an error it closes the ones it opened.
func (r *Runtime) openSockets(demux map[vrrp.SocketSpec]map[uint8]*vrrp.Instance) (socks map[vrrp.SocketSpec]*rtSock, opened []*rtSock, err error) {
	socks = map[vrrp.SocketSpec]*rtSock{}
	for _, s := range r.socks {
		socks[s.spec] = s
	}
	for spec := range demux {
		if socks[spec] != nil {
			continue
		}
		sk, err := r.deps.Net.Open(spec)
		if err != nil {
			for _, s := range opened {
				s.sock.Close()
			}
			return nil, nil, err
		}
		s := &rtSock{spec: spec, sock: sk, demux: vrrp.NewDemux(spec.Iface, r.log)}
		socks[spec] = s
		opened = append(opened, s)
	}
	return socks, opened, nil
}

// removeUnmatched stops the running instances the reload left unmatched
// (byKey), as at shutdown.
func (r *Runtime) removeUnmatched(byKey map[vrrp.Key]*rtInst, live bool, now time.Time) {
	for _, ri := range r.insts {
		if byKey[ri.key] != ri {
			continue
		}
		r.log.Info(fmt.Sprintf("(%s) removed by reload", ri.inst.Name()))
		if live {
			r.deleteInstance(ri, now)
		}
		r.deleteVMAC(ri)
		delete(r.byInst, ri.inst)
	}
}

// applyPlan reconfigures the matched instances in place and builds the
// new ones (returned, to be started); r.insts becomes the plan's.
func (r *Runtime) applyPlan(plan []*planned, socks map[vrrp.SocketSpec]*rtSock, now time.Time) (started []*rtInst) {
	var insts []*rtInst
	for _, p := range plan {
		s := socks[p.spec]
		ri := p.old
		if ri == nil {
			ri = &rtInst{inst: p.inst, key: p.key, vmac: p.vmac}
			r.byInst[p.inst] = ri
			started = append(started, ri)
		}
		oldVIPs, oldRoutes, oldRules := ri.vips, ri.vroutes, ri.vrules
		ri.sock, ri.iface, ri.trackIf = s, p.v.Interface, !p.v.DontTrackPrimary
		ri.vips, ri.notify = vrrp.VIPsOf(p.v), notifiersOf(p.v)
		ri.lastMail = vrrp.StateInit // keepalived's reloaded vrrp_t starts afresh
		ri.vroutes, ri.vrules = p.v.VRoutes, p.v.VRules
		ri.garpExtraAll, ri.xmitBase = p.v.GARPExtraIfAll, p.v.VMACXmitBase
		if ri.vmac != nil {
			ri.vips = vrrp.VMACVIPs(ri.vips, p.v, &p.ic, ri.vmac.Name)
		}
		ri.dsts, ri.ttl = destinations(p.v, p.spec.Group)
		nfw := r.addr.fwOf(p.v, ri.vips)
		nfw.v6, nfw.vmac = p.ic.Family == packet.IPv6, ri.fw.vmac
		if p.old == nil {
			nfw.vmac = p.fwv
			ri.fw = nfw
		}
		if p.old != nil {
			wasMaster := ri.inst.State() == vrrp.StateMaster
			acts, err := ri.inst.Reconfigure(now, p.ic)
			if err != nil { // checked above; cannot happen
				r.log.Error("reload", "instance", p.ic.Name, "err", err)
			}
			// The drop set follows the new no_accept and VIPs, before the
			// new VIPs are added (keepalived's restore_vrrp_state).
			if ri.fw.set && (!nfw.drop || !slices.Equal(ri.fw.addrs, nfw.addrs)) {
				r.addr.fwVIPs(ri, false)
			}
			nfw.set = ri.fw.set
			ri.fw = nfw
			if wasMaster {
				r.addr.fwVIPs(ri, true)
				r.changeVIPs(ri, oldVIPs, now)
				r.addr.changeVRoutes(ri, oldRoutes, oldRules)
			}
			r.exec(ri, now, acts)
		}
		insts = append(insts, ri)
	}
	r.insts = insts
	return started
}

// swapSockets swaps the demux tables, then closes the sockets nothing
// uses; a packet already queued from one finds no instance there.
func (r *Runtime) swapSockets(demux map[vrrp.SocketSpec]map[uint8]*vrrp.Instance, opened []*rtSock, g *conf.GlobalDefs, live bool) {
	// packet already queued from one finds no instance there.
	var kept []*rtSock
	for _, s := range r.socks {
		if m, ok := demux[s.spec]; ok {
			s.demux.Replace(m)
			kept = append(kept, s)
			continue
		}
		s.demux.Replace(nil)
		if s.cancel != nil {
			s.cancel()
		}
		s.sock.Close()
	}
	for _, s := range opened {
		s.demux.Replace(demux[s.spec])
		kept = append(kept, s)
		if live {
			r.startReader(s)
		}
	}
	r.socks = kept
	for _, s := range r.socks {
		s.demux.LogUnknownVRIDs = g.LogUnknownVRIDs
	}
}

// startReloaded notifies the kept instances as keepalived re-initialises
// them, then starts the new ones.
func (r *Runtime) startReloaded(started []*rtInst, now time.Time) {
	for _, ri := range r.insts {
		if !slices.Contains(started, ri) { // the new ones are notified as they start
			r.reinitKept(ri, now)
		}
	}
	for _, ri := range started {
		r.log.Info(fmt.Sprintf("(%s) added by reload", ri.inst.Name()))
		up := true
		if info, err := r.deps.Net.Interface(ri.iface); err == nil && ri.trackIf {
			up = info.Up
		}
		r.exec(ri, now, ri.inst.Start(now, up))
	}
	for _, ri := range r.insts {
		r.releaseUnset(ri)
	}
}

// plan validates cfg and matches its instances with the running ones by
// Key. It changes nothing: new instances are built but not started.
// byKey is left holding the running instances with no match (to be
// removed); demux is the VRID table per socket. Runs with r.mu held.
func (r *Runtime) plan(cfg *conf.Config, procUp map[string]bool) (plan []*planned, byKey map[vrrp.Key]*rtInst, demux map[vrrp.SocketSpec]map[uint8]*vrrp.Instance, err error) {
	g := &cfg.Global
	byKey = map[vrrp.Key]*rtInst{}
	for _, ri := range r.insts {
		byKey[ri.key] = ri
	}
	demux = map[vrrp.SocketSpec]map[uint8]*vrrp.Instance{}
	for _, v := range cfg.VRRPInstances {
		if v.Interface == "" {
			return nil, nil, nil, fmt.Errorf("(%s) an interface is required", v.Name)
		}
		info, err := r.deps.Net.Interface(v.Interface)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("(%s) interface %s: %w", v.Name, v.Interface, err)
		}
		ic, err := vrrp.InstanceConfig(g, cfg.VRRPScripts, v, info)
		if err != nil {
			return nil, nil, nil, err
		}
		ic.Trackers = append(ic.Trackers, procTrackerRefs(v, procUp)...)
		ic.Trackers = append(ic.Trackers, vrrp.ExtraTrackers(cfg, v)...)
		if err := vrrp.CheckConfig(&ic); err != nil {
			return nil, nil, nil, err
		}
		p := &planned{v: v, ic: ic, key: vrrp.KeyOf(g, v), spec: specOf(g, v, &ic, v.Interface)}
		if old := byKey[p.key]; old != nil && old.vmac != nil && !v.VMACXmitBase {
			p.spec.Iface = old.vmac.Name // a matched instance keeps its VMAC
		}
		// A version change is not made in place: that instance is
		// rebuilt (stopped, then started again as new).
		if old := byKey[p.key]; old != nil && old.inst.Config().Version == ic.Version {
			p.old = old
			delete(byKey, p.key)
		} else if p.inst, err = vrrp.New(ic, r.log); err != nil {
			return nil, nil, nil, err
		}
		m := demux[p.spec]
		if m == nil {
			m = map[uint8]*vrrp.Instance{}
			demux[p.spec] = m
		}
		if o := m[ic.VRID]; o != nil {
			return nil, nil, nil, fmt.Errorf("VRID %d used by both %s and %s on %s", ic.VRID, o.Name(), v.Name, v.Interface)
		}
		m[ic.VRID] = p.inst
		if p.old != nil {
			m[ic.VRID] = p.old.inst
		}
		plan = append(plan, p)
	}
	return plan, byKey, demux, nil
}

// reloadChecks keeps the vrrp_script checks whose settings did not change
// (with their state), stops the ones no longer used and starts new ones.
func (r *Runtime) reloadChecks(cfg *conf.Config, live bool, now time.Time) {
	next := scriptChecks(cfg)
	var kept []*scriptCheck
	for i, n := range next {
		for _, o := range r.checks {
			if o.sameAs(n) && !slices.Contains(kept, o) {
				next[i] = o
				kept = append(kept, o)
				break
			}
		}
	}
	for _, o := range r.checks {
		if !slices.Contains(kept, o) && o.cancel != nil {
			o.cancel()
		}
	}
	r.checks = next
	for _, sc := range next {
		if slices.Contains(kept, sc) {
			// Instances that newly track it learn its current state.
			r.tracker(now, vrrp.ScriptTracker(sc.name), sc.up)
		} else if live {
			r.startCheck(sc)
		}
	}
}

func (s *scriptCheck) sameAs(o *scriptCheck) bool {
	return s.name == o.name && slices.Equal(s.cmd.Argv, o.cmd.Argv) && s.cmd.User == o.cmd.User &&
		s.cmd.Group == o.cmd.Group && s.interval == o.interval && s.timeout == o.timeout &&
		s.rise == o.rise && s.fall == o.fall
}

// reinitKept is what keepalived's vrrp_init_state does at a reload for an
// instance the reload kept in its state. keepalived carries no FAULT over
// a reload and finds a config fault anew, so such an instance is notified
// FAULT again (scripts, FIFO, mail); otherwise, with
// fifo_write_vrrp_states_on_reload, the state of an instance other than a
// MASTER (which is taken over on another path) goes to the FIFO.
func (r *Runtime) reinitKept(ri *rtInst, now time.Time) {
	st := ri.inst.State()
	switch {
	case st == vrrp.StateFault && slices.ContainsFunc(ri.inst.Config().Trackers, func(t vrrp.Tracker) bool { return t.Name == vrrp.ConfigFaultTracker }):
		r.exec(ri, now, []vrrp.Action{vrrp.Notify{State: vrrp.StateFault}})
	case r.fifoOnReload && st != vrrp.StateMaster:
		r.notifier.fifoInstance(ri, st.String())
	}
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
		r.notifier.run(name, c)
	}
	r.notifier.fifoInstance(ri, state)
	r.onNotify(name, state)
	if state == "DELETED" {
		r.notifier.mail.instance(ri, stateDeleted)
	} else {
		r.notifier.mail.instance(ri, vrrp.StateFault)
	}
}

type reloadReq struct {
	cfg  *conf.Config
	done chan error
}

// ReloadUnchanged is what a reload that leaves the VRRP configuration as
// it was still does, since keepalived re-initialises its instances at any
// reload: the unicast checksum mode back to its configured one,
// fifo_write_vrrp_states_on_reload, the config faults notified again,
// -X's log lines.
func (r *Runtime) ReloadUnchanged() {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.deps.Clock.Now()
	if r.fifoOnReload {
		for _, rg := range r.groups {
			r.notifier.fifo.Write(notifyfifo.Group(rg.g.Name(), rg.g.State().String()))
		}
	}
	for _, ri := range r.insts {
		c := ri.inst.Checker()
		c.SetConfig(c.Config())
		r.reinitKept(ri, now)
	}
	for _, ri := range r.insts {
		r.releaseUnset(ri)
	}
}
