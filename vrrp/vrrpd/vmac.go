package vrrpd

import (
	"errors"
	"fmt"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/packet"
)

// setupVMAC creates an instance's VMAC; it returns the interface its
// socket uses (the VMAC, or the base with vmac_xmit_base).
func (r *Runtime) setupVMAC(g *conf.GlobalDefs, v *conf.VRRPInstance, c *vrrp.Config) (*vrrp.VMAC, string, error) {
	if r.deps.VMACs == nil {
		return nil, "", errors.New("(" + v.Name + ") use_vmac: no VMAC support in this runtime")
	}
	if v.UseIPVLAN {
		return r.setupIPVLAN(g, v, c)
	}
	m, err := vrrp.VMACOf(g, v, c)
	if err != nil {
		return nil, "", err
	}
	name, err := r.deps.VMACs.Create(m)
	if err != nil {
		return nil, "", fmt.Errorf("(%s): Unable to create VMAC interface %s: %w", v.Name, m.Name, err)
	}
	m.Name = name
	if v.VMACXmitBase {
		return &m, v.Interface, nil
	}
	return &m, name, nil
}

// setupIPVLAN creates an instance's ipvlan, which its socket uses. An
// IPv6 instance without an ipvlan address sends from the ipvlan's own
// link-local address, as keepalived does, so c.SourceAddr is set here.
func (r *Runtime) setupIPVLAN(g *conf.GlobalDefs, v *conf.VRRPInstance, c *vrrp.Config) (*vrrp.VMAC, string, error) {
	m := vrrp.IPVLANOf(g, v, c)
	name, err := r.deps.VMACs.Create(m)
	if err != nil {
		return nil, "", fmt.Errorf("(%s): Unable to create ipvlan interface %s: %w", v.Name, m.Name, err)
	}
	m.Name = name
	if c.Family == packet.IPv6 && !v.SrcIP.IsValid() {
		if info, err := r.deps.Net.Interface(name); err == nil && info.LinkLocal6.IsValid() {
			c.SourceAddr = info.LinkLocal6
		}
	}
	return &m, name, nil
}

// ipvlanChanged follows an instance's ipvlan as keepalived follows the
// instance's interface: set down, the instance goes to FAULT. Its going
// down with the base (lower layer down) is the base's event, not its own.
func (r *Runtime) ipvlanChanged(ri *rtInst, up bool, now time.Time) {
	baseUp := true
	if info, err := r.deps.Net.Interface(ri.iface); err == nil {
		baseUp = info.Up
	}
	if !up && !baseUp || up == !ri.ipvlanDown {
		return
	}
	ri.ipvlanDown = !up
	r.log.Info(fmt.Sprintf("Netlink reports %s %s", ri.vmac.Name, map[bool]string{true: "up", false: "down"}[up]), "instance", ri.inst.Name())
	r.exec(ri, now, ri.inst.Step(now, vrrp.EventInterface{Up: up && baseUp}))
}

// deleteVMAC removes an instance's VMAC, if it has one.
func (r *Runtime) deleteVMAC(ri *rtInst) {
	if ri.vmac == nil || r.deps.VMACs == nil {
		return
	}
	r.addr.fwVMACGone(ri)
	if err := r.deps.VMACs.Delete(ri.vmac.Name); errors.Is(err, vrrp.ErrVMACGone) {
		// shared with another instance, which reported it
	} else if err != nil {
		r.log.Info(fmt.Sprintf("(%s) Error removing VMAC interface %s", ri.inst.Name(), ri.vmac.Name), "err", err)
	} else {
		r.log.Debug(fmt.Sprintf("(%s) Success removing VMAC interface %s", ri.inst.Name(), ri.vmac.Name))
	}
	ri.vmac = nil
}

// vmacLinkUp restores an IPv6 VMAC's link-local source address (or an
// ipvlan's IPv6 address), which the kernel flushes when the link itself
// is set down.
func (r *Runtime) vmacLinkUp(iface string) {
	for _, ri := range r.insts {
		if ri.vmac == nil || ri.vmac.Name != iface || !(ri.vmac.LinkLocal.IsValid() || ri.vmac.Addr.Addr().Is6()) {
			continue
		}
		if _, err := r.deps.VMACs.Create(*ri.vmac); err != nil {
			r.log.Warn("restore VMAC", "instance", ri.inst.Name(), "name", ri.vmac.Name, "err", err)
		}
	}
}

// deleteVMACs deletes VMACs created for instances that did not start.
func (r *Runtime) deleteVMACs(ms []*vrrp.VMAC) {
	for _, m := range ms {
		if err := r.deps.VMACs.Delete(m.Name); err != nil && !errors.Is(err, vrrp.ErrVMACGone) {
			r.log.Warn("remove VMAC", "name", m.Name, "err", err)
		}
	}
}
