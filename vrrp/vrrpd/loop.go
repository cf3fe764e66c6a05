package vrrpd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/validate"
)

// Run starts the instances and drives them until ctx ends or Stop is
// called; either way it shuts down gracefully (priority 0, VIPs removed).
func (r *Runtime) Run(ctx context.Context) error {
	if err := r.start(); err != nil {
		return err
	}
	rctx, cancel := context.WithCancel(context.Background())
	deletions := r.startWatchers(rctx)
	defer func() {
		cancel()
		close(r.quit)
		r.closeSockets()
		r.closeExtras()
		r.readers.Wait()
		r.wg.Wait()
		r.notifier.mail.close()
		close(r.stopped)
	}()

	var bfdC <-chan struct{}
	if r.deps.BFD != nil {
		bfdC = r.deps.BFD.C()
		r.mu.Lock()
		r.bfdEvents()
		r.mu.Unlock()
	}
	timer := r.newTimer()
	defer timer.Stop()
	if c, ok := timer.(io.Closer); ok {
		defer c.Close()
	}
	for {
		r.mu.Lock()
		r.rearm(timer)
		r.mu.Unlock()
		select {
		case it := <-r.rx:
			r.mu.Lock()
			r.received(it)
			r.mu.Unlock()
		case ev := <-r.links:
			r.mu.Lock()
			r.linkChanged(ev)
			r.mu.Unlock()
		case req := <-r.reload:
			r.mu.Lock()
			req.done <- r.applyReload(req.cfg)
			r.mu.Unlock()
		case res := <-r.results:
			r.mu.Lock()
			r.checkDone(res)
			r.mu.Unlock()
		case d := <-deletions:
			r.mu.Lock()
			r.addr.restoreDeleted(d)
			r.mu.Unlock()
		case res := <-r.procResults:
			r.mu.Lock()
			r.procChanged(res)
			r.mu.Unlock()
		case <-timer.C():
			r.mu.Lock()
			r.fireDue()
			r.mu.Unlock()
		case <-bfdC:
			r.mu.Lock()
			r.bfdEvents()
			r.mu.Unlock()
		case fn := <-r.calls:
			r.mu.Lock()
			fn(r.deps.Clock.Now())
			r.mu.Unlock()
		case <-ctx.Done():
			r.shutdown()
			r.notifier.await(shutdownNotifyWait)
			return nil
		case <-r.stopReq:
			r.shutdown()
			r.notifier.await(shutdownNotifyWait)
			return nil
		}
	}
}

// start puts the kernel in its start-up state (stale VIPs removed, static
// addresses set) and starts the groups and instances.
func (r *Runtime) start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		return errors.New("vrrp: runtime already run")
	}
	r.started = true
	now := r.deps.Clock.Now()
	for _, ri := range r.insts {
		r.addr.removeStale(ri)
	}
	r.addr.addStatics(&r.addr.statics)
	r.initGroups()
	for _, ri := range r.insts {
		up := true
		if info, err := r.deps.Net.Interface(ri.iface); err == nil && ri.trackIf {
			up = info.Up
		}
		r.exec(ri, now, ri.inst.Start(now, up))
		r.releaseUnset(ri)
	}
	return nil
}

// startWatchers starts the goroutines that feed the loop: socket readers,
// checks, the process and track file watchers, the link and the
// address/route monitors (the deletions they report come on the channel
// returned). rctx ends them all.
func (r *Runtime) startWatchers(rctx context.Context) <-chan vrrp.Deletion {
	r.mu.Lock()
	r.rctx = rctx
	for _, s := range r.socks {
		r.startReader(s)
	}
	for _, sc := range r.checks {
		r.startCheck(sc)
	}
	r.startProcWatch()
	r.startFiles()
	r.mu.Unlock()
	deletions := make(chan vrrp.Deletion, 16)
	if dw, ok := r.deps.Links.(vrrp.DeletionWatcher); ok {
		r.readers.Add(1)
		go func() {
			defer r.readers.Done()
			if err := dw.WatchDeletions(rctx, deletions); err != nil && rctx.Err() == nil {
				r.log.Error("address/route monitor", "err", err)
			}
		}()
	}
	if r.deps.Links != nil {
		r.readers.Add(1)
		go func() {
			defer r.readers.Done()
			if err := r.deps.Links.Watch(rctx, r.links); err != nil && rctx.Err() == nil {
				r.log.Error("link monitor", "err", err)
			}
		}()
	}
	return deletions
}

// received steps the instance an advert is for.
func (r *Runtime) received(it rxItem) {
	now := r.deps.Clock.Now()
	inst, acts, reason := r.dispatch(it.s, now, it.rx)
	if inst != nil {
		r.exec(r.byInst[inst], now, acts)
	}
	if reason == validate.TooShort || reason == validate.UnknownVRID {
		// the instance's checker logs the other reasons
		r.debugDrop(it.s.spec.Iface, reason, now)
	}
}

// linkChanged steps the instances on the interface and those tracking
// it; one coming up gets its VMAC and static addresses back.
func (r *Runtime) linkChanged(ev vrrp.LinkEvent) {
	now := r.deps.Clock.Now()
	for _, ri := range r.insts {
		if ri.trackIf && ri.iface == ev.Name {
			r.log.Info(fmt.Sprintf("Netlink reports %s %s", ev.Name, map[bool]string{true: "up", false: "down"}[ev.Up]), "instance", ri.inst.Name())
			r.exec(ri, now, ri.inst.Step(now, vrrp.EventInterface{Up: ev.Up && !ri.ipvlanDown}))
		} else if ri.trackIf && ri.vmac != nil && ri.vmac.IPVLAN && ri.vmac.Name == ev.Name {
			r.ipvlanChanged(ri, ev.Up, now)
		}
	}
	r.tracker(now, vrrp.InterfaceTracker(ev.Name), ev.Up)
	if ev.Up {
		r.vmacLinkUp(ev.Name)
		r.addr.reinstateStatics(ev.Name)
	}
}

func (r *Runtime) shutdown() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down = true // no timer step after the priority-0 adverts
	now := r.deps.Clock.Now()
	for _, ri := range r.insts {
		acts := ri.inst.Step(now, vrrp.EventShutdown{})
		if r.deps.KeepVIPs {
			acts = slices.DeleteFunc(acts, func(a vrrp.Action) bool { _, ok := a.(vrrp.RemoveVIPs); return ok })
		}
		r.exec(ri, now, acts)
	}
	r.stopGroups()
	// As keepalived: static entries go even with -V; VMACs stay with it.
	r.addr.delStatics(&r.addr.statics)
	if !r.deps.KeepVIPs {
		for _, ri := range r.insts {
			r.deleteVMAC(ri)
		}
	}
	r.addr.closeFirewall()
}

// newTimer is the loop's timer. A clock that can run the expiry on the
// timer's own goroutine (SystemClock) gets fireDue there, under r.mu as
// every loop step; its C then never delivers.
func (r *Runtime) newTimer() vrrp.Timer {
	if fc, ok := r.deps.Clock.(funcClock); ok {
		var t vrrp.Timer
		t, ok = fc.NewFuncTimer(func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			if !r.down {
				r.fireDue()
				r.rearm(t)
			}
		})
		if ok {
			return t
		}
	}
	return r.deps.Clock.NewTimer(time.Hour)
}

// rearm sets t to the next deadline; with r.mu held, so that the loop and
// an expiry running on the timer's goroutine cannot arm it out of order.
func (r *Runtime) rearm(t vrrp.Timer) {
	if next := r.timers.next(); !next.IsZero() {
		t.Reset(max(next.Sub(r.deps.Clock.Now()), 0))
	} else {
		t.Reset(time.Hour)
	}
}

// exec performs an instance's actions in order.
func (r *Runtime) exec(ri *rtInst, now time.Time, acts []vrrp.Action) {
	name := ri.inst.Name()
	for _, a := range acts {
		switch a := a.(type) {
		case vrrp.SendAdvert:
			if err := r.sendAdvert(ri, a.Priority); err != nil {
				r.log.Warn("send advert", "instance", name, "err", err)
			} else if a.Priority == 0 {
				r.log.Info(fmt.Sprintf("(%s) sent 0 priority", name))
			}
		case vrrp.AddVIPs:
			r.addr.addVIPs(ri)
		case vrrp.RemoveVIPs:
			r.addr.removeVIPs(ri)
		case vrrp.SendGARP:
			r.sendGARP(ri, a.Repeat)
		case vrrp.ScheduleGARP:
			r.timers.addGARP(ri, now.Add(a.After), a.Repeat)
		case vrrp.SendExtraGARP:
			if vips := r.extraGARPVIPs(ri); len(vips) > 0 {
				r.sendGARPFor(ri, vips, 1)
			}
		case vrrp.SetTimer:
			r.timers.set(ri, a.At)
		case vrrp.Notify:
			ri.lastTransition = now
			r.log.Debug("state change", "instance", name, "state", a.State.String())
			if r.deps.OnState != nil {
				r.deps.OnState(name, a.State)
			}
			for _, c := range ri.notify.commands(name, a.State, ri.inst.EffectivePriority()) {
				r.notifier.run(name, c)
			}
			r.notifier.fifoInstance(ri, a.State.String())
			r.onNotify(name, a.State.String())
			r.notifier.mail.instance(ri, a.State)
		case vrrp.PriorityChanged:
			r.log.Debug("priority change", "instance", name, "from", a.From, "to", a.To)
			if ri.notify.prioChanges {
				r.notifier.fifoInstance(ri, ri.inst.State().String()+"_PRIORITY")
			}
		case vrrp.NotifyMasterRxLowerPri:
			if s := ri.notify.rxLowerPri; s != nil && !s.Disabled && len(s.Argv) > 0 {
				r.notifier.run(name, vrrp.Command{Argv: s.Argv, User: s.User, Group: s.Group})
			}
			r.notifier.fifoInstance(ri, "MASTER_RX_LOWER_PRI")
		}
	}
	r.afterExec(ri, now)
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
