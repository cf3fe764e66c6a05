// Package nft programs keepalived 2.2.7's VRRP nftables table (the
// global `nftables [TABLE]` keyword): per family a table with filter
// chains "in" and "out" dropping traffic to and from the VIPs of
// no_accept MASTERs (set "vips"; IPv6 link-local VIPs are matched with
// their interface in "vips_link_local"/"vips_link_local_name"), and for
// use_vmac interfaces rules that resend IGMP/MLD reports leaving a VMAC
// through its base interface (map "vmac_map") so that they do not carry
// the shared virtual MAC. Layout, names, hooks and priorities follow
// keepalived's vrrp_nftables.c so operators' `nft list` output matches.
package nft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// Config is the global nftables configuration.
type Config struct {
	Table    string // nftables TABLE (keepalived's default "keepalived")
	Priority int    // nftables_priority (-1)
	Counters bool   // nftables_counters
	Ifindex  bool   // nftables_ifindex: link-local VIPs always by ifindex
	Log      *slog.Logger
	NetNS    int // network namespace fd; 0: the current one
}

// Addr is a VIP to drop. Link-local IPv6 VIPs need their interface:
// ByName matches it by name (keepalived does so for dont_track_primary
// instances unless nftables_ifindex), otherwise by index.
type Addr struct {
	IP      netip.Addr
	Ifindex int
	Ifname  string
	ByName  bool
}

// Firewall is what the VRRP runtime needs; Client is the kernel's,
// Fake a recording one for tests.
type Firewall interface {
	AddVIPs([]Addr) error
	DelVIPs([]Addr) error
	// AddVMAC/DelVMAC: IGMP (v4) and MLD (v6) reports leaving VMAC
	// ifindex vmac go out through base instead.
	AddVMAC(vmac, base int, v4, v6 bool) error
	DelVMAC(vmac, base int, v4, v6 bool) error
	// Close deletes the tables created (keepalived does so at stop).
	Close() error
}

// Client is the netlink nf_tables implementation.
type Client struct {
	cfg  Config
	conn *nftables.Conn
	log  *slog.Logger
	fam  [2]famState // 0: ip, 1: ip6
	// checked: residue of an earlier run was looked for (once, as
	// keepalived does before its first table).
	checked bool
}

type famState struct {
	table   *nftables.Table
	in, out *nftables.Chain
	vips    *nftables.Set
	llIdx   *nftables.Set
	llName  *nftables.Set
	vmacMap *nftables.Set
	vmacSet *nftables.Set
}

// Open returns a client; nothing is sent until the first rule is needed.
func Open(cfg Config) (*Client, error) {
	if cfg.Table == "" {
		return nil, errors.New("nftables: no table name")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	opts := []nftables.ConnOption{nftables.AsLasting()}
	if cfg.NetNS > 0 {
		opts = append(opts, nftables.WithNetNSFd(cfg.NetNS))
	}
	c, err := nftables.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	return &Client{cfg: cfg, conn: c, log: cfg.Log}, nil
}

var families = [2]nftables.TableFamily{nftables.TableFamilyIPv4, nftables.TableFamilyIPv6}

func famIdx(a netip.Addr) int {
	if a.Unmap().Is4() {
		return 0
	}
	return 1
}

// deleteResidue removes tables left by a killed run before our first one.
func (c *Client) deleteResidue() {
	if c.checked {
		return
	}
	c.checked = true
	for i, f := range families {
		if t, err := c.conn.ListTableOfFamily(c.cfg.Table, f); err == nil && t != nil {
			c.log.Info(fmt.Sprintf("Deleting old ip%s %s table", map[int]string{0: "", 1: "6"}[i], c.cfg.Table))
			c.conn.DelTable(&nftables.Table{Name: c.cfg.Table, Family: f})
		}
	}
}

func (c *Client) baseChain(t *nftables.Table, name string, hook *nftables.ChainHook) *nftables.Chain {
	accept := nftables.ChainPolicyAccept
	return c.conn.AddChain(&nftables.Chain{Name: name, Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: hook, Priority: nftables.ChainPriorityRef(nftables.ChainPriority(c.cfg.Priority)), Policy: &accept})
}

// setupTable: the table and its "out" chain (keepalived's nft_setup_ipv4/6).
func (c *Client) setupTable(i int) *famState {
	fs := &c.fam[i]
	if fs.table != nil {
		return fs
	}
	c.deleteResidue()
	fs.table = c.conn.AddTable(&nftables.Table{Name: c.cfg.Table, Family: families[i]})
	fs.out = c.baseChain(fs.table, "out", nftables.ChainHookOutput)
	return fs
}

func (c *Client) rule(t *nftables.Table, ch *nftables.Chain, es ...expr.Any) {
	out := make([]expr.Any, 0, len(es)+1)
	for _, e := range es {
		if v, ok := e.(*expr.Verdict); ok && c.cfg.Counters {
			out = append(out, &expr.Counter{})
			out = append(out, v)
			continue
		}
		out = append(out, e)
	}
	c.conn.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: out})
}

func (c *Client) addSet(s *nftables.Set, elems []nftables.SetElement) (*nftables.Set, error) {
	if err := c.conn.AddSet(s, elems); err != nil {
		return nil, err
	}
	return s, nil
}

const (
	v4Src, v4Dst = 12, 16
	v6Src, v6Dst = 8, 24
)

func addrLoad(i int, src bool) *expr.Payload {
	p := &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: v4Dst, Len: 4}
	switch {
	case i == 0 && src:
		p.Offset = v4Src
	case i == 1:
		p.Offset, p.Len = v6Dst, 16
		if src {
			p.Offset = v6Src
		}
	}
	return p
}

func drop() *expr.Verdict { return &expr.Verdict{Kind: expr.VerdictDrop} }

// setupVIPs: chain "in", set "vips" and the drop rules (nft_setup_ipv*_vips).
func (c *Client) setupVIPs(i int) (*famState, error) {
	fs := c.setupTable(i)
	if fs.vips != nil {
		return fs, nil
	}
	t := fs.table
	fs.in = c.baseChain(t, "in", nftables.ChainHookInput)
	if i == 0 {
		s, err := c.addSet(&nftables.Set{Table: t, Name: "vips", KeyType: nftables.TypeIPAddr}, nil)
		if err != nil {
			return nil, err
		}
		fs.vips = s
		c.rule(t, fs.in, addrLoad(0, false), &expr.Lookup{SourceRegister: 1, SetName: s.Name, SetID: s.ID}, drop())
		c.rule(t, fs.out, addrLoad(0, true), &expr.Lookup{SourceRegister: 1, SetName: s.Name, SetID: s.ID}, drop())
		return fs, nil
	}
	inLL := c.conn.AddChain(&nftables.Chain{Name: "in_link_local", Table: t})
	outLL := c.conn.AddChain(&nftables.Chain{Name: "out_link_local", Table: t})
	s, err := c.addSet(&nftables.Set{Table: t, Name: "vips", KeyType: nftables.TypeIP6Addr}, nil)
	if err != nil {
		return nil, err
	}
	nd, err := c.addSet(&nftables.Set{Table: t, Name: "neighbor-discovery", KeyType: nftables.TypeICMP6Type, Constant: true},
		[]nftables.SetElement{{Key: []byte{135}}, {Key: []byte{136}}}) // nd-neighbor-solicit, -advert
	if err != nil {
		return nil, err
	}
	ndAccept := []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 6, Len: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_ICMPV6}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 1},
		&expr.Lookup{SourceRegister: 1, SetName: nd.Name, SetID: nd.ID},
		&expr.Verdict{Kind: expr.VerdictAccept},
	}
	llGoto := func(src bool, to string) []expr.Any {
		mask := netip.MustParseAddr("ffc0::").As16()
		ll := netip.MustParseAddr("fe80::").As16()
		return []expr.Any{addrLoad(1, src),
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 16, Mask: mask[:], Xor: make([]byte, 16)},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ll[:]},
			&expr.Verdict{Kind: expr.VerdictGoto, Chain: to}}
	}
	c.rule(t, fs.in, ndAccept...)
	c.rule(t, fs.in, llGoto(false, inLL.Name)...)
	c.rule(t, fs.out, ndAccept...)
	c.rule(t, fs.out, llGoto(true, outLL.Name)...)
	c.rule(t, fs.in, addrLoad(1, false), &expr.Lookup{SourceRegister: 1, SetName: s.Name, SetID: s.ID}, drop())
	c.rule(t, fs.out, addrLoad(1, true), &expr.Lookup{SourceRegister: 1, SetName: s.Name, SetID: s.ID}, drop())
	fs.vips = s
	return fs, nil
}

// linkLocalSet: "vips_link_local" (address . ifindex) or
// "vips_link_local_name" (address . ifname) with its two rules.
func (c *Client) linkLocalSet(byName bool) (*nftables.Set, error) {
	fs := &c.fam[1]
	p := &fs.llIdx
	name, kt, in, out := "vips_link_local", nftables.TypeIFIndex, expr.MetaKeyIIF, expr.MetaKeyOIF
	if byName {
		p, name, kt, in, out = &fs.llName, "vips_link_local_name", nftables.TypeIFName, expr.MetaKeyIIFNAME, expr.MetaKeyOIFNAME
	}
	if *p != nil {
		return *p, nil
	}
	t := fs.table
	s, err := c.addSet(&nftables.Set{Table: t, Name: name, KeyType: nftables.MustConcatSetType(nftables.TypeIP6Addr, kt)}, nil)
	if err != nil {
		return nil, err
	}
	for _, d := range []struct {
		chain string
		src   bool
		key   expr.MetaKey
	}{{"in_link_local", false, in}, {"out_link_local", true, out}} {
		c.rule(t, &nftables.Chain{Name: d.chain, Table: t}, addrLoad(1, d.src), &expr.Meta{Key: d.key, Register: 2},
			&expr.Lookup{SourceRegister: 1, SetName: s.Name, SetID: s.ID}, drop())
	}
	*p = s
	return s, nil
}

func ifnameKey(n string) []byte {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, n)
	return b
}

func ifindexKey(i int) []byte {
	b := make([]byte, 4)
	binary.NativeEndian.PutUint32(b, uint32(i))
	return b
}

// elements groups addrs into their sets, creating what is missing.
func (c *Client) elements(addrs []Addr) (map[*nftables.Set][]nftables.SetElement, []*nftables.Set, error) {
	m := map[*nftables.Set][]nftables.SetElement{}
	var order []*nftables.Set
	for _, a := range addrs {
		ip := a.IP.Unmap()
		i := famIdx(ip)
		fs, err := c.setupVIPs(i)
		if err != nil {
			return nil, nil, err
		}
		s, key := fs.vips, ip.AsSlice()
		if ip.Is6() && ip.IsLinkLocalUnicast() {
			byName := a.ByName && !c.cfg.Ifindex
			if s, err = c.linkLocalSet(byName); err != nil {
				return nil, nil, err
			}
			if byName {
				key = append(key, ifnameKey(a.Ifname)...)
			} else {
				key = append(key, ifindexKey(a.Ifindex)...)
			}
		}
		if _, ok := m[s]; !ok {
			order = append(order, s)
		}
		m[s] = append(m[s], nftables.SetElement{Key: key})
	}
	return m, order, nil
}

// AddVIPs puts addrs into the drop sets (nft_add_addresses).
func (c *Client) AddVIPs(addrs []Addr) (err error) {
	defer c.undoOnError(c.fam)(&err)
	m, order, err := c.elements(addrs)
	if err != nil {
		return err
	}
	for _, s := range order {
		if err := c.conn.SetAddElements(s, m[s]); err != nil {
			return err
		}
	}
	return c.flush()
}

// DelVIPs takes addrs out of the drop sets (nft_remove_addresses).
func (c *Client) DelVIPs(addrs []Addr) (err error) {
	if c.fam[0].table == nil && c.fam[1].table == nil {
		return nil
	}
	defer c.undoOnError(c.fam)(&err)
	m, order, err := c.elements(addrs)
	if err != nil {
		return err
	}
	for _, s := range order {
		if err := c.conn.SetDeleteElements(s, m[s]); err != nil {
			return err
		}
	}
	return c.flush()
}

// NFT_META_OIFKIND (not in x/sys).
const metaOIFKind expr.MetaKey = 27

// setupIGMP: map "vmac_map" (VMAC ifindex → base ifindex) and the rule
// duplicating IGMP/MLD reports to the base interface and dropping the
// original; for IPv6 also "vmac_set" and a rule dropping router
// solicitations from VMACs (nft_setup_igmp with dup and oifkind).
func (c *Client) setupIGMP(i int) (*famState, error) {
	fs := c.setupTable(i)
	if fs.vmacMap != nil {
		return fs, nil
	}
	t := fs.table
	mp, err := c.addSet(&nftables.Set{Table: t, Name: "vmac_map", IsMap: true, KeyType: nftables.TypeIFIndex, DataType: nftables.TypeIFIndex}, nil)
	if err != nil {
		return nil, err
	}
	kind := ifnameKey("macvlan")
	viaVMAC := []expr.Any{
		&expr.Meta{Key: metaOIFKind, Register: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 2, Data: kind},
		&expr.Meta{Key: expr.MetaKeyOIF, Register: 2},
	}
	var match []expr.Any
	if i == 0 {
		match = []expr.Any{
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 9, Len: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_IGMP}},
		}
	} else {
		match = icmp6Type(143) // MLDv2 report
	}
	match = append(match, addrLoad(i, false))
	match = append(match, viaVMAC...)
	match = append(match, &expr.Lookup{SourceRegister: 2, DestRegister: 2, IsDestRegSet: true, SetName: mp.Name, SetID: mp.ID},
		&expr.Dup{RegAddr: 1, RegDev: 2, IsRegDevSet: true}, drop())
	c.rule(t, fs.out, match...)
	fs.vmacMap = mp
	if i == 1 {
		s, err := c.addSet(&nftables.Set{Table: t, Name: "vmac_set", KeyType: nftables.TypeIFIndex}, nil)
		if err != nil {
			return nil, err
		}
		rs := append(icmp6Type(133), viaVMAC...)
		rs = append(rs, &expr.Lookup{SourceRegister: 2, SetName: s.Name, SetID: s.ID}, drop())
		c.rule(t, fs.out, rs...)
		fs.vmacSet = s
	}
	return fs, nil
}

func icmp6Type(typ byte) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_ICMPV6}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{typ}},
	}
}

func (c *Client) vmac(vmac, base int, v4, v6, add bool) (err error) {
	defer c.undoOnError(c.fam)(&err)
	for i, on := range []bool{v4, v6} {
		if !on {
			continue
		}
		fs, err := c.setupIGMP(i)
		if err != nil {
			return err
		}
		op := c.conn.SetAddElements
		if !add {
			op = c.conn.SetDeleteElements
		}
		if err := op(fs.vmacMap, []nftables.SetElement{{Key: ifindexKey(vmac), Val: ifindexKey(base)}}); err != nil {
			return err
		}
		if fs.vmacSet != nil {
			if err := op(fs.vmacSet, []nftables.SetElement{{Key: ifindexKey(vmac)}}); err != nil {
				return err
			}
		}
	}
	return c.flush()
}

// AddVMAC: reports leaving vmac are resent through base (nft_add_vmac).
func (c *Client) AddVMAC(vmac, base int, v4, v6 bool) error { return c.vmac(vmac, base, v4, v6, true) }

// DelVMAC undoes AddVMAC (nft_remove_vmac).
func (c *Client) DelVMAC(vmac, base int, v4, v6 bool) error {
	if c.fam[0].table == nil && c.fam[1].table == nil {
		return nil
	}
	return c.vmac(vmac, base, v4, v6, false)
}

// undoOnError forgets tables and sets created by a failed batch: the
// kernel applied none of it.
func (c *Client) undoOnError(before [2]famState) func(*error) {
	return func(err *error) {
		if *err != nil {
			c.fam = before
		}
	}
}

func (c *Client) flush() error {
	if err := c.conn.Flush(); err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	return nil
}

// Close deletes our tables (nft_end) and closes the socket.
func (c *Client) Close() error {
	var err error
	if c.fam[0].table != nil || c.fam[1].table != nil {
		for i := range c.fam {
			if c.fam[i].table != nil {
				c.conn.DelTable(c.fam[i].table)
			}
			c.fam[i] = famState{}
		}
		err = c.flush()
	}
	if cerr := c.conn.CloseLasting(); err == nil {
		err = cerr
	}
	return err
}
