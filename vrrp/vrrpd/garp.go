package vrrpd

import (
	"context"
	"fmt"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/packet"
)

// sendGARP sends repeat rounds of one GARP/NA per address. Without an
// interval the rounds go out at once, as keepalived does by default;
// with one they are paced off the loop.
func (r *Runtime) sendGARP(ri *rtInst, repeat int) { r.sendGARPFor(ri, ri.vips, repeat) }

// releaseUnset is -X (--release-vips). keepalived 2.2.7 then runs its
// VIP removal (vrrp_restore_interface) for each instance it initialises
// other than as MASTER, at start and at every reload, even though none
// of its VIPs is set. That removal only deletes the addresses it has
// marked as set, which such an instance has none of: the VIPs on the
// interface stay, and what -X changes is this log line.
func (r *Runtime) releaseUnset(ri *rtInst) {
	if r.deps.ReleaseVIPs && ri.inst.State() != vrrp.StateMaster && len(ri.vips) > 0 {
		r.log.Info(fmt.Sprintf("(%s) removing VIPs.", ri.inst.Name()))
	}
}

// extraGARPVIPs is what garp_extra_if announces (vrrp_send_vmac_update):
// the first VIP/eVIP on each interface other than the instance's own
// (its VMAC if it has one; that one too with vmac_xmit_base), counting
// only our VMACs unless "all". keepalived turns the timer off when no
// VIP is on another interface that counts; then nothing is sent.
func (r *Runtime) extraGARPVIPs(ri *rtInst) []vrrp.VIP {
	own := ri.iface
	if ri.vmac != nil {
		own = ri.vmac.Name
	}
	ours := map[string]bool{}
	for _, o := range r.insts {
		if o.vmac != nil {
			ours[o.vmac.Name] = true
		}
	}
	var out []vrrp.VIP
	seen, extra := map[string]bool{}, false
	for _, v := range ri.vips {
		counts := ours[v.Dev] || ri.garpExtraAll
		extra = extra || (v.Dev != own && counts)
		if !counts || (v.Dev == own && !ri.xmitBase) || seen[v.Dev] {
			continue
		}
		seen[v.Dev] = true
		out = append(out, v)
	}
	if !extra {
		return nil
	}
	return out
}

func (r *Runtime) sendGARPFor(ri *rtInst, vips []vrrp.VIP, repeat int) {
	for _, v := range vips {
		what := "gratuitous ARPs"
		if v.Prefix.Addr().Is6() {
			what = "Unsolicited Neighbour Adverts"
		}
		// keepalived logs this with -D only.
		r.log.Debug(fmt.Sprintf("(%s) Sending/queueing %s on %s for %s", ri.inst.Name(), what, v.Dev, v.Prefix.Addr()))
	}
	send := func() {
		for _, v := range vips {
			if err := r.deps.Announcer.Announce(v.Dev, v.Prefix.Addr()); err != nil {
				r.log.Warn("gratuitous ARP/NA", "instance", ri.inst.Name(), "addr", v.Prefix.Addr(), "err", err)
			}
		}
	}
	gap := r.garpInterval
	if ri.inst.Config().Family == packet.IPv6 {
		gap = r.gnaInterval
	}
	if gap <= 0 {
		for range repeat {
			send()
		}
		return
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for n := range repeat {
			if n > 0 {
				select {
				case <-time.After(gap):
				case <-r.quit:
					return
				}
			}
			send()
		}
	}()
}

// changeVIPs makes a MASTER's addresses follow its new VIP list at once:
// the dropped ones are removed, the new ones added, and all announced as
// keepalived's reload does.
func (r *Runtime) changeVIPs(ri *rtInst, old []vrrp.VIP, now time.Time) {
	added := r.addr.changeVIPs(ri, old)
	cfg := ri.inst.Config()
	n := cfg.GARPMasterRepeat
	// keepalived announces every VIP, not only the added ones; from 2.3.2
	// also with garp_master_refresh set, and a second block follows
	// garp_master_delay later when VIPs were added
	since232 := r.compat.AtLeast(2, 3, 2)
	if n > 0 && (len(added) > 0 || (since232 && cfg.GARPMasterRefresh > 0)) {
		r.sendGARP(ri, n)
	}
	if n > 0 && len(added) > 0 && since232 && cfg.GARPMasterDelay > 0 {
		r.timers.addGARP(ri, now.Add(cfg.GARPMasterDelay), n)
	}
}

// SendGARPNow sends one round of GARPs/NAs for instance's addresses if
// it has them set (keepalived's D-Bus SendGarp, vrrp_send_link_update);
// false if no instance has that name. It runs on the loop; ctx bounds
// the wait.
func (r *Runtime) SendGARPNow(ctx context.Context, instance string) (bool, error) {
	res := make(chan bool, 1)
	fn := func(time.Time) {
		for _, ri := range r.insts {
			if ri.inst.Name() == instance {
				if ri.inst.VIPSet() {
					r.sendGARP(ri, 1)
				}
				res <- true
				return
			}
		}
		res <- false
	}
	select {
	case r.calls <- fn:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	select {
	case ok := <-res:
		return ok, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}
