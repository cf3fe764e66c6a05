package vrrpd

import (
	"errors"
	"fmt"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/vrrp"
)

// setupVMAC creates an instance's VMAC; it returns the interface its
// socket uses (the VMAC, or the base with vmac_xmit_base).
func (r *Runtime) setupVMAC(g *conf.GlobalDefs, v *conf.VRRPInstance, c *vrrp.Config) (*vrrp.VMAC, string, error) {
	if r.deps.VMACs == nil {
		return nil, "", errors.New("(" + v.Name + ") use_vmac: no VMAC support in this runtime")
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

// deleteVMAC removes an instance's VMAC, if it has one.
func (r *Runtime) deleteVMAC(ri *rtInst) {
	if ri.vmac == nil || r.deps.VMACs == nil {
		return
	}
	r.addr.fwVMACGone(ri)
	if err := r.deps.VMACs.Delete(ri.vmac.Name); err != nil {
		r.log.Info(fmt.Sprintf("(%s) Error removing VMAC interface %s", ri.inst.Name(), ri.vmac.Name), "err", err)
	}
	ri.vmac = nil
}

// vmacLinkUp restores an IPv6 VMAC's link-local source address, which
// the kernel flushes when the VMAC itself is set down.
func (r *Runtime) vmacLinkUp(iface string) {
	for _, ri := range r.insts {
		if ri.vmac == nil || ri.vmac.Name != iface || !ri.vmac.LinkLocal.IsValid() {
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
		if err := r.deps.VMACs.Delete(m.Name); err != nil {
			r.log.Warn("remove VMAC", "name", m.Name, "err", err)
		}
	}
}
