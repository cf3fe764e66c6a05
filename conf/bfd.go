package conf

import (
	"net/netip"
	"time"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

// BFDInstance is a bfd_instance block.
type BFDInstance struct {
	Pos        Pos           `json:"-"`
	Name       string        `json:"name"`
	NeighborIP netip.Addr    `json:"neighbor_ip"`
	SourceIP   netip.Addr    `json:"source_ip,omitzero"`
	MinRx      time.Duration `json:"min_rx"`
	MinTx      time.Duration `json:"min_tx"`
	IdleTx     time.Duration `json:"idle_tx"`
	Multiplier int           `json:"multiplier"`
	Passive    bool          `json:"passive,omitempty"`
	// TTL is the ttl (IPv4) or hoplimit (IPv6); 0 means the default (255
	// or 64).
	TTL     int  `json:"ttl"`
	MaxHops int  `json:"max_hops"`
	Weight  int  `json:"weight"`
	Reverse bool `json:"reverse,omitempty"`
	// VRRP and Checker say which processes use the instance; neither
	// keyword means both.
	VRRP    bool `json:"vrrp"`
	Checker bool `json:"checker"`
}

func findBFD(d *decoder, name string) *BFDInstance {
	for _, b := range d.cfg.BFDInstances {
		if b.Name == name {
			return b
		}
	}
	return nil
}

func decodeBFDInstance(d *decoder, s *syntax.Stmt) {
	name, ok := d.arg(s, 1)
	if !ok {
		return
	}
	if len(name) >= 32 {
		d.errorf(s, 1, "Configuration error: BFD instance %s name too long (maximum length is %d characters) - ignoring", name, 31)
		return
	}
	if findBFD(d, name) != nil {
		d.errorf(s, 1, "Configuration error: BFD instance %s was already defined - ignoring", name)
		return
	}
	b := &BFDInstance{Pos: s.Pos(), Name: name, MinRx: 10 * time.Millisecond, MinTx: 10 * time.Millisecond,
		IdleTx: time.Second, Multiplier: 5}
	vrrp, checker := false, false
	ms := func(c *syntax.Stmt, what string, lo, hi uint64, dst *time.Duration) {
		v, ok := d.readDecimal(c, 1, lo*1000, hi*1000, 3, false)
		if !ok {
			d.errorf(c, 1, "Configuration error: BFD instance %s %s value %s is not valid (must be in range [%d-%d]), ignoring", name, what, word(c, 1), lo, hi)
			return
		}
		*dst = time.Duration(v) * time.Microsecond
	}
	nbr := func(d *decoder, c *syntax.Stmt) {
		str, ok := d.arg(c, 1)
		if !ok {
			return
		}
		a, ok := parseSockAddr(str)
		if !ok {
			what := "neighbor"
			if c.Keyword() == "neighbour_ip" {
				what = "neighbour"
			}
			d.errorf(c, 1, "Configuration error: BFD instance %s has malformed %s address %s, ignoring instance", name, what, str)
			return
		}
		b.NeighborIP = a
	}
	d.walk("bfd_instance", s.Block, table{
		"neighbor_ip":  {fn: nbr},
		"neighbour_ip": {fn: nbr},
		"source_ip": {fn: func(d *decoder, c *syntax.Stmt) {
			str, ok := d.arg(c, 1)
			if !ok {
				return
			}
			a, ok := parseSockAddr(str)
			if !ok {
				d.errorf(c, 1, "Configuration error: BFD instance %s has malformed source address %s, ignoring", name, str)
				return
			}
			b.SourceIP = a
		}},
		"min_rx":  {fn: func(d *decoder, c *syntax.Stmt) { ms(c, "min_rx", 1, 0xffffffff/1000, &b.MinRx) }},
		"min_tx":  {fn: func(d *decoder, c *syntax.Stmt) { ms(c, "min_tx", 1, 0xffffffff/1000, &b.MinTx) }},
		"idle_tx": {fn: func(d *decoder, c *syntax.Stmt) { ms(c, "idle_tx", 1000, 0xffffffff/1000, &b.IdleTx) }},
		"multiplier": {fn: func(d *decoder, c *syntax.Stmt) {
			v, ok := d.readUnsigned(c, 1, 1, 255)
			if !ok {
				d.errorf(c, 1, "Configuration error: BFD instance %s multiplier value %s not valid (must be in range [%d-%d]), ignoring", name, word(c, 1), 1, 255)
				return
			}
			b.Multiplier = int(v)
		}},
		"passive":  {fn: func(d *decoder, c *syntax.Stmt) { b.Passive = true }},
		"ttl":      {fn: func(d *decoder, c *syntax.Stmt) { bfdTTL(d, c, b) }},
		"hoplimit": {fn: func(d *decoder, c *syntax.Stmt) { bfdTTL(d, c, b) }},
		"max_hops": {fn: func(d *decoder, c *syntax.Stmt) {
			v, ok := d.readInt(c, 1, -1, 255)
			if !ok {
				d.errorf(c, 1, "Configuration error: BFD instance %s max_hops value %s not valid (must be in range [-1-%d]), ignoring", name, word(c, 1), 255)
				return
			}
			b.MaxHops = int(v)
		}},
		"weight": {fn: func(d *decoder, c *syntax.Stmt) {
			v, ok := d.readInt(c, 1, -253, 253)
			if !ok {
				d.errorf(c, 1, "Configuration error: BFD instance %s weight value %s not valid (must be in range [%d-%d]), ignoring", name, word(c, 1), -253, 253)
			} else {
				b.Weight = int(v)
			}
			b.Reverse = d.weightReverse(c, "Configuration error: BFD instance "+name)
		}},
		"vrrp":    {fn: func(d *decoder, c *syntax.Stmt) { vrrp = true }},
		"checker": {fn: func(d *decoder, c *syntax.Stmt) { checker = true }},
	})
	if !b.NeighborIP.IsValid() {
		d.errorf(s, 1, "Configuration error: BFD instance %s has no neighbor address set, disabling instance", name)
		return
	}
	if b.SourceIP.IsValid() && b.SourceIP.Is4() != b.NeighborIP.Is4() {
		d.errorf(s, 1, "Configuration error: BFD instance %s source address %s and neighbor address %s are not of the same family, disabling instance", name, b.SourceIP, b.NeighborIP)
		return
	}
	if b.TTL == 0 {
		b.TTL = 255
		if b.NeighborIP.Is6() {
			b.TTL = 64
		}
	}
	if b.MaxHops > b.TTL {
		d.errorf(s, 1, "BFD instance %s: max_hops exceeds ttl/hoplimit - setting to ttl/hoplimit", name)
		b.MaxHops = b.TTL
	}
	if !vrrp && !checker {
		vrrp, checker = true, true
	}
	b.VRRP, b.Checker = vrrp, checker
	d.cfg.BFDInstances = append(d.cfg.BFDInstances, b)
}

func bfdTTL(d *decoder, c *syntax.Stmt, b *BFDInstance) {
	v, ok := d.readUnsigned(c, 1, 1, 255)
	if !ok {
		d.errorf(c, 1, "Configuration error: BFD instance %s ttl/hoplimit value %s not valid (must be in range [1-%d]), ignoring", b.Name, word(c, 1), 255)
		return
	}
	b.TTL = int(v)
}
