package netio

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/packet"
)

// VMACs is the real vrrp.VMACs: macvlans over rtnetlink and keepalived's
// sysctls (vrrp_if_config.c) through /proc/sys, in the current namespace.
type VMACs struct {
	Log *slog.Logger

	mu   sync.Mutex
	ours map[string]*vmacState
	// base interface → its arp_ignore/arp_filter before the first VMAC,
	// and how many of our IPv4 VMACs sit on it.
	bases map[string]*baseState
	// rpFilter is all.rp_filter as found, when we had to clear it.
	rpFilter *rpState
}

type vmacState struct {
	base string
	ipv4 bool
	// insts are the instances using an ipvlan: keepalived lets an
	// instance take a matching one another instance made.
	insts map[string]bool
	// reported: a Delete of a shared ipvlan already answered success.
	reported bool
}

type baseState struct {
	arpIgnore, arpFilter string
	users                int
}

type rpState struct {
	all, dflt string // "" when default was left alone
	raised    map[string]string
}

var _ vrrp.VMACs = (*VMACs)(nil)

// NewVMACs returns a VMACs logging to log (nil: discard).
func NewVMACs(log *slog.Logger) *VMACs {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &VMACs{Log: log, ours: map[string]*vmacState{}, bases: map[string]*baseState{}}
}

const sysctlRoot = "/proc/sys/net/"

func sysctlGet(path string) (string, error) {
	b, err := os.ReadFile(sysctlRoot + path)
	return strings.TrimSpace(string(b)), err
}

func sysctlSet(path, val string) error {
	return os.WriteFile(sysctlRoot+path, []byte(val), 0o644)
}

// Create makes the VMAC as keepalived's netlink_link_add_vmac does. It
// may be called again for a VMAC it made (to restore what a link flap
// removed, such as the IPv6 link-local address).
func (m *VMACs) Create(v vrrp.VMAC) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v.IPVLAN {
		return m.createIPVLAN(v)
	}
	base, err := nl().LinkByName(v.Base)
	if err != nil {
		return "", fmt.Errorf("base interface %s: %w", v.Base, err)
	}
	name, existing := m.pickName(v, base)
	mv := &netlink.Macvlan{Mode: netlink.MACVLAN_MODE_PRIVATE}
	mv.Name, mv.ParentIndex, mv.HardwareAddr = name, base.Attrs().Index, v.MAC
	switch {
	case existing == nil:
		if err := nl().LinkAdd(mv); err != nil {
			return "", fmt.Errorf("create %s: %w", name, err)
		}
	case existing.Attrs().ParentIndex != base.Attrs().Index:
		m.Log.Info(fmt.Sprintf("Removing old VMAC interface %s due to conflicting interface", name))
		if err := nl().LinkDel(existing); err != nil {
			return "", fmt.Errorf("remove old %s: %w", name, err)
		}
		if err := nl().LinkAdd(mv); err != nil {
			return "", fmt.Errorf("create %s: %w", name, err)
		}
	case !bytes.Equal(existing.Attrs().HardwareAddr, v.MAC) || existing.(*netlink.Macvlan).Mode != netlink.MACVLAN_MODE_PRIVATE:
		m.Log.Info(fmt.Sprintf("Update old VMAC interface %s due to wrong MAC/mode", name))
		// The mode of a macvlan cannot be changed in place: recreate it.
		if err := nl().LinkDel(existing); err != nil {
			return "", fmt.Errorf("remove old %s: %w", name, err)
		}
		if err := nl().LinkAdd(mv); err != nil {
			return "", fmt.Errorf("create %s: %w", name, err)
		}
	}
	link, err := nl().LinkByName(name)
	if err != nil {
		return "", err
	}
	if m.ours[name] == nil { // not again when re-run after a link flap
		m.ours[name] = &vmacState{base: v.Base, ipv4: v.Family == packet.IPv4}
		if v.Family == packet.IPv4 {
			m.setIPv4Params(name, v.Base)
		}
	}
	// No EUI-64 link-local from the shared virtual MAC (RFC 5798);
	// this has to precede the link going up.
	if err := netlink.LinkSetIP6AddrGenMode(link, 1 /* IN6_ADDR_GEN_MODE_NONE */); err != nil {
		m.Log.Info(fmt.Sprintf("Error setting ADDR_GEN_MODE to NONE on %s", name), "err", err)
	}
	disable := "1"
	if v.IPv6 {
		disable = "0"
	}
	if err := sysctlSet("ipv6/conf/"+name+"/disable_ipv6", disable); err != nil && !errors.Is(err, os.ErrNotExist) {
		m.Log.Warn("set disable_ipv6", "iface", name, "err", err)
	}
	if err := nl().LinkSetUp(link); err != nil {
		return name, fmt.Errorf("set %s up: %w", name, err)
	}
	if v.LinkLocal.IsValid() {
		a := &netlink.Addr{IPNet: &net.IPNet{IP: v.LinkLocal.WithZone("").AsSlice(), Mask: net.CIDRMask(64, 128)},
			Flags: unix.IFA_F_NODAD}
		if err := nl().AddrAdd(link, a); err != nil && !errors.Is(err, unix.EEXIST) {
			m.Log.Info("Adding link-local address to vmac failed", "iface", name, "err", err)
		}
	}
	return name, nil
}

// pickName is keepalived's choice of name: the configured one unless a
// non-macvlan has it; else a macvlan already on the base with our MAC;
// else the first of PREFIX.VRID, PREFIX1.VRID, ... (IPv6 tries
// PREFIX6.VRID second) that no interface has.
func (m *VMACs) pickName(v vrrp.VMAC, base netlink.Link) (string, netlink.Link) {
	if v.Name != "" {
		l, err := nl().LinkByName(v.Name)
		if err != nil {
			return v.Name, nil
		}
		if _, ok := l.(*netlink.Macvlan); ok {
			return v.Name, l
		}
		m.Log.Error(fmt.Sprintf("VMAC interface name %s already exists as a non VMAC interface. ignoring configured name", v.Name))
	}
	if links, err := nl().LinkList(); err == nil {
		for _, l := range links {
			if mv, ok := l.(*netlink.Macvlan); ok && mv.ParentIndex == base.Attrs().Index &&
				bytes.Equal(mv.HardwareAddr, v.MAC) && m.ours[mv.Name] == nil {
				return mv.Name, l
			}
		}
	}
	return m.freeName(v), nil
}

// freeName is keepalived's create_vmac_name: the first of PREFIX.VRID,
// PREFIX1.VRID, ... (IPv6 tries PREFIX6.VRID second) that no interface
// has.
func (m *VMACs) freeName(v vrrp.VMAC) string {
	for num := 0; ; {
		name := fmt.Sprintf("%s.%d", v.Prefix, v.VRID)
		if num > 0 {
			name = fmt.Sprintf("%s%d.%d", v.Prefix, num, v.VRID)
		}
		if len(name) >= unix.IFNAMSIZ {
			name = name[:len(v.Prefix)-(len(name)-unix.IFNAMSIZ+1)] + name[len(v.Prefix):]
		}
		if _, err := nl().LinkByName(name); err != nil {
			return name
		}
		switch {
		case v.Family == packet.IPv6 && num == 0:
			num = 6
		case v.Family == packet.IPv6 && num == 6:
			num = 1
		default:
			num++
			if v.Family == packet.IPv6 && num == 6 {
				num++
			}
		}
	}
}

// setIPv4Params sets what keepalived's set_interface_parameters does:
// on the VMAC arp_ignore=1, accept_local=1, rp_filter=0,
// promote_secondaries=1; on the base arp_ignore=1 and arp_filter=1
// (restored when its last VMAC goes); and all.rp_filter 0 so that the
// VMAC's rp_filter counts, raising default and every interface to the
// old value first so that nothing else changes behaviour.
func (m *VMACs) setIPv4Params(name, base string) {
	m.clearRPFilter()
	for k, v := range map[string]string{"arp_ignore": "1", "accept_local": "1", "rp_filter": "0", "promote_secondaries": "1"} {
		if err := sysctlSet("ipv4/conf/"+name+"/"+k, v); err != nil {
			m.Log.Info(fmt.Sprintf("Unable to set parameters for %s", name), "sysctl", k, "err", err)
		}
	}
	b := m.bases[base]
	if b == nil {
		b = &baseState{}
		b.arpIgnore, _ = sysctlGet("ipv4/conf/" + base + "/arp_ignore")
		b.arpFilter, _ = sysctlGet("ipv4/conf/" + base + "/arp_filter")
		for k := range map[string]bool{"arp_ignore": true, "arp_filter": true} {
			if err := sysctlSet("ipv4/conf/"+base+"/"+k, "1"); err != nil {
				m.Log.Info(fmt.Sprintf("Set base flags on %s failed for VMAC %s", base, name), "err", err)
			}
		}
		m.bases[base] = b
	}
	b.users++
}

func (m *VMACs) clearRPFilter() {
	if m.rpFilter != nil {
		return
	}
	all, err := sysctlGet("ipv4/conf/all/rp_filter")
	if err != nil {
		m.Log.Info("Unable to read sysctl net.ipv4.conf.all.rp_filter")
		return
	}
	if all == "0" {
		return
	}
	st := &rpState{all: all, raised: map[string]string{}}
	allN, _ := strconv.Atoi(all)
	if d, _ := sysctlGet("ipv4/conf/default/rp_filter"); d != "" {
		if n, _ := strconv.Atoi(d); n < allN {
			m.Log.Info(fmt.Sprintf("NOTICE: setting sysctl net.ipv4.conf.default.rp_filter from %s to %s", d, all))
			_ = sysctlSet("ipv4/conf/default/rp_filter", all)
			st.dflt = d
		}
	}
	if links, err := nl().LinkList(); err == nil {
		for _, l := range links {
			n := l.Attrs().Name
			if v, err := sysctlGet("ipv4/conf/" + n + "/rp_filter"); err == nil {
				if x, _ := strconv.Atoi(v); x < allN {
					_ = sysctlSet("ipv4/conf/"+n+"/rp_filter", all)
					st.raised[n] = v
				}
			}
		}
	}
	m.Log.Info(fmt.Sprintf("NOTICE: setting sysctl net.ipv4.conf.all.rp_filter from %s to 0", all))
	_ = sysctlSet("ipv4/conf/all/rp_filter", "0")
	m.rpFilter = st
}

// restoreRPFilter undoes clearRPFilter where nobody changed our values.
func (m *VMACs) restoreRPFilter() {
	st := m.rpFilter
	if st == nil {
		return
	}
	m.rpFilter = nil
	if v, _ := sysctlGet("ipv4/conf/all/rp_filter"); v == "0" {
		m.Log.Info(fmt.Sprintf("NOTICE: resetting sysctl net.ipv4.conf.all.rp_filter to %s", st.all))
		_ = sysctlSet("ipv4/conf/all/rp_filter", st.all)
	}
	if st.dflt != "" {
		if v, _ := sysctlGet("ipv4/conf/default/rp_filter"); v == st.all {
			m.Log.Info(fmt.Sprintf("NOTICE: resetting sysctl net.ipv4.conf.default.rp_filter to %s", st.dflt))
			_ = sysctlSet("ipv4/conf/default/rp_filter", st.dflt)
		}
	}
	for n, old := range st.raised {
		if v, err := sysctlGet("ipv4/conf/" + n + "/rp_filter"); err == nil && v == st.all {
			_ = sysctlSet("ipv4/conf/"+n+"/rp_filter", old)
		}
	}
}

// Delete removes a VMAC we created and restores the base's settings;
// when the last one goes, all.rp_filter is restored too.
func (m *VMACs) Delete(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.ours[name]
	if st == nil {
		return fmt.Errorf("BUG - Attempt to remove VMAC interface %s which we didn't create", name)
	}
	for i := range st.insts { // any one: only their number matters
		delete(st.insts, i)
		break
	}
	if len(st.insts) > 0 { // still used by another instance
		if st.reported {
			return vrrp.ErrVMACGone
		}
		st.reported = true
		return nil
	}
	delete(m.ours, name)
	if b := m.bases[st.base]; st.ipv4 && b != nil {
		if b.users--; b.users == 0 {
			delete(m.bases, st.base)
			for k, v := range map[string]string{"arp_ignore": b.arpIgnore, "arp_filter": b.arpFilter} {
				if v != "" {
					if err := sysctlSet("ipv4/conf/"+st.base+"/"+k, v); err != nil {
						m.Log.Info(fmt.Sprintf("reset interface flags on %s failed", st.base), "err", err)
					}
				}
			}
		}
	}
	var err error
	if l, lerr := nl().LinkByName(name); lerr == nil {
		err = nl().LinkDel(l)
	}
	if len(m.ours) == 0 {
		m.restoreRPFilter()
	}
	if err == nil && st.reported {
		return vrrp.ErrVMACGone
	}
	return err
}
