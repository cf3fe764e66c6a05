package conf

import (
	"net/netip"
	"strings"
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
	// Multihop (keepalived 2.4): RFC 5883's port 4784, to send to and
	// to be matched on, instead of 3784.
	Multihop bool `json:"multihop,omitempty"`
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
	// keepalived -t runs the VRRP, checker and BFD parsers on the block:
	// these are the messages it prints
	if len(name) >= 32 {
		d.errorf(s, 1, "BFD name %s too long", name)
		d.errorf(s, 1, "Configuration error: BFD instance %s name too long (maximum length is %d characters) - ignoring", name, 31)
		return
	}
	if findBFD(d, name) != nil {
		d.errorf(s, 1, "BFD %s already specified", name)
		d.errorf(s, 1, "Configuration error: BFD instance %s already configured - ignoring", name)
		return
	}
	b := &BFDInstance{Pos: s.Pos(), Name: name, MinRx: 10 * time.Millisecond, MinTx: 10 * time.Millisecond,
		IdleTx: time.Second, Multiplier: 5}
	bd := &bfdDecode{b: b}
	d.walk("bfd_instance", s.Block, boundKeywords{bfdInstanceTable, bd})
	if bd.dropped {
		return
	}
	// keepalived checks the instance as the block closes
	end := s.Close()
	if end.Line == 0 {
		end = s.Pos()
	}
	nbr := "neighbor"
	if d.bfdNeighbour { // keepalived's spelling sticks once seen
		nbr = "neighbour"
	}
	if !b.NeighborIP.IsValid() {
		d.add(end, syntax.GeneralError, "Configuration error: BFD instance %s has no %s address set, disabling instance", name, nbr)
		return
	}
	if b.SourceIP.IsValid() && b.SourceIP.Is4() != b.NeighborIP.Is4() {
		// keepalived formats both addresses into one static buffer: the
		// source address is printed twice
		d.add(end, syntax.GeneralError, "Configuration error: BFD instance %s source address %s and %s address %s are not of the same family, disabling instance", name, b.SourceIP, nbr, b.SourceIP)
		return
	}
	for _, o := range d.cfg.BFDInstances {
		if o.NeighborIP == b.NeighborIP && o.SourceIP == b.SourceIP && o.Multihop == b.Multihop {
			if b.SourceIP.IsValid() {
				d.add(end, syntax.GeneralError, "Configuration error: BFD instance %s has duplicate source/%s address %s/%s, ignoring instance", name, nbr, b.SourceIP, b.NeighborIP)
			} else {
				d.add(end, syntax.GeneralError, "Configuration error: BFD instance %s has duplicate %s address %s, ignoring instance", name, nbr, b.NeighborIP)
			}
			return
		}
	}
	if b.TTL == 0 {
		b.TTL = 255
		if b.NeighborIP.Is6() {
			b.TTL = 64
		}
	}
	if b.MaxHops > b.TTL {
		d.add(end, syntax.GeneralError, "BFD instance %s: max_hops exceeds ttl/hoplimit - setting to ttl/hoplimit", name)
		b.MaxHops = b.TTL
	}
	vrrp, checker := bd.vrrp, bd.checker
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

// bfdDecode is a bfd_instance being decoded, with its vrrp and checker
// keywords.
type bfdDecode struct {
	b             *BFDInstance
	vrrp, checker bool
	dropped       bool // a malformed neighbor: the rest of the block is skipped
}

var bfdInstanceTable = skipDropped(bfdInstanceKeywords())

// skipDropped makes every keyword a no-op once the instance is dropped,
// as keepalived skips the rest of its block.
func skipDropped(t table) table {
	for k, e := range t {
		fn := e.fn
		e.fn = func(d *decoder, s *syntax.Stmt) {
			if !d.obj.(*bfdDecode).dropped {
				fn(d, s)
			}
		}
		t[k] = e
	}
	return t
}

// bfdInstanceKeywords decodes a bfd_instance block:
//
//	neighbor_ip|neighbour_ip ADDRESS
//	source_ip ADDRESS
//	min_rx|min_tx|idle_tx MILLISECONDS
//	multiplier 1..255
//	passive
//	multihop [BOOL]
//	ttl|hoplimit 1..255
//	max_hops -1..255 (-1: any, as 255)
//	weight -253..253 [reverse]
//	vrrp
//	checker
func bfdInstanceKeywords() table {
	return table{
		"neighbor_ip":  objKw(decodeBFDNeighbor),
		"neighbour_ip": objKw(decodeBFDNeighbor),
		"source_ip": objKw(func(d *decoder, bd *bfdDecode, c *syntax.Stmt) {
			str, ok := d.arg(c, 1)
			if !ok {
				return
			}
			a, ok := parseSockAddr(str)
			if !ok {
				d.errorf(c, 1, "Configuration error: BFD instance %s has malformed source address %s, ignoring", bd.b.Name, str)
				return
			}
			bd.b.SourceIP = a
		}),
		"min_rx": objKw(func(d *decoder, bd *bfdDecode, c *syntax.Stmt) {
			bfdMs(d, bd.b, c, "min_rx", 1, 0xffffffff/1000, &bd.b.MinRx)
		}),
		"min_tx": objKw(func(d *decoder, bd *bfdDecode, c *syntax.Stmt) {
			bfdMs(d, bd.b, c, "min_tx", 1, 0xffffffff/1000, &bd.b.MinTx)
		}),
		"idle_tx": objKw(func(d *decoder, bd *bfdDecode, c *syntax.Stmt) {
			bfdMs(d, bd.b, c, "idle_tx", 1000, 0xffffffff/1000, &bd.b.IdleTx)
		}),
		"multiplier": objKw(func(d *decoder, bd *bfdDecode, c *syntax.Stmt) {
			v, ok := d.readUnsigned(c, 1, 1, 255)
			if !ok {
				d.errorf(c, 1, "Configuration error: BFD instance %s multiplier value %s not valid (must be in range [%d-%d]), ignoring", bd.b.Name, word(c, 1), 1, 255)
				return
			}
			bd.b.Multiplier = int(v)
		}),
		"passive": objKw(func(d *decoder, bd *bfdDecode, c *syntax.Stmt) { bd.b.Passive = true }),
		"multihop": objKw(func(d *decoder, bd *bfdDecode, c *syntax.Stmt) {
			if v, ok := d.boolArg(c, 1, "Configuration error: BFD instance "+strings.ReplaceAll(bd.b.Name, "%", "%%")+" multihop setting not valid - %s"); ok {
				bd.b.Multihop = v
			}
		}),
		"ttl":      objKw(func(d *decoder, bd *bfdDecode, c *syntax.Stmt) { bfdTTL(d, c, bd.b) }),
		"hoplimit": objKw(func(d *decoder, bd *bfdDecode, c *syntax.Stmt) { bfdTTL(d, c, bd.b) }),
		"max_hops": objKw(func(d *decoder, bd *bfdDecode, c *syntax.Stmt) {
			v, ok := d.readInt(c, 1, -1, 255)
			if !ok {
				d.errorf(c, 1, "Configuration error: BFD instance %s max_hops value %s not valid (must be in range [-1-%d]), ignoring", bd.b.Name, word(c, 1), 255)
				return
			}
			bd.b.MaxHops = int(v)
			if v == -1 {
				bd.b.MaxHops = 255 // keepalived stores it in a uint8: no hop limit
			}
		}),
		"weight": objKw(func(d *decoder, bd *bfdDecode, c *syntax.Stmt) {
			v, ok := d.readInt(c, 1, -253, 253)
			if !ok {
				d.errorf(c, 1, "Configuration error: BFD instance %s weight value %s not valid (must be in range [%d-%d]), ignoring", bd.b.Name, word(c, 1), -253, 253)
			} else {
				bd.b.Weight = int(v)
			}
			bd.b.Reverse = d.weightReverse(c, "Configuration error: BFD instance "+bd.b.Name)
		}),
		"vrrp":    objKw(func(d *decoder, bd *bfdDecode, c *syntax.Stmt) { bd.vrrp = true }),
		"checker": objKw(func(d *decoder, bd *bfdDecode, c *syntax.Stmt) { bd.checker = true }),
	}
}

// bfdMs reads a bfd_instance interval in milliseconds, in [lo, hi].
func bfdMs(d *decoder, b *BFDInstance, c *syntax.Stmt, what string, lo, hi uint64, dst *time.Duration) {
	v, ok := d.readDecimal(c, 1, lo*1000, hi*1000, 3, false)
	if !ok {
		d.errorf(c, 1, "Configuration error: BFD instance %s %s value %s is not valid (must be in range [%d-%d]), ignoring", b.Name, what, word(c, 1), lo, hi)
		return
	}
	*dst = time.Duration(v) * time.Microsecond
}

// decodeBFDNeighbor reads neighbor_ip (or neighbour_ip).
func decodeBFDNeighbor(d *decoder, bd *bfdDecode, c *syntax.Stmt) {
	str, ok := d.arg(c, 1)
	if !ok {
		return
	}
	if c.Keyword() == "neighbour_ip" {
		d.bfdNeighbour = true
	}
	a, ok := parseSockAddr(str)
	if !ok {
		what := "neighbor"
		if d.bfdNeighbour {
			what = "neighbour"
		}
		d.errorf(c, 1, "Configuration error: BFD instance %s has malformed %s address %s, ignoring instance", bd.b.Name, what, str)
		bd.dropped = true
		return
	}
	bd.b.NeighborIP = a
}
