package conf

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

// Drain is gokeepalived's `drain` extension block (keepalived has none):
// how long a real server that a reload removes from the configuration
// keeps its connections, at weight 0, before it is deleted from IPVS.
//
//	drain {
//	    timeout SECONDS
//	    virtual_server IP PORT [TCP|UDP|SCTP] timeout SECONDS
//	    virtual_server fwmark N timeout SECONDS
//	    virtual_server group NAME timeout SECONDS
//	}
type Drain struct {
	Pos Pos `json:"-"`
	// Timeout applies to every virtual server not listed; 0 deletes at
	// once, as keepalived does.
	Timeout        time.Duration `json:"timeout"`
	VirtualServers []DrainVS     `json:"virtual_servers,omitempty"`
}

// DrainVS is one virtual server's own drain timeout.
type DrainVS struct {
	VSRef
	Timeout time.Duration `json:"timeout"`
}

// DrainTimeout is how long a real server removed from vs by a reload is
// drained; 0 (no drain block): deleted at once.
func (c *Config) DrainTimeout(vs *VirtualServer) time.Duration {
	if c.Drain == nil || vs == nil {
		return 0
	}
	for i := range c.Drain.VirtualServers {
		if r := &c.Drain.VirtualServers[i]; r.Matches(vs) {
			return r.Timeout
		}
	}
	return c.Drain.Timeout
}

// maxDrainTimeout bounds a drain timeout (a day).
const maxDrainTimeout = 86400

func decodeDrain(d *decoder, s *syntax.Stmt) {
	if d.cfg.Drain != nil {
		d.errorf(s, 0, "drain block already specified - ignoring this one")
		return
	}
	dr := &Drain{Pos: s.Pos()}
	for _, c := range s.Block {
		switch c.Keyword() {
		case "timeout":
			if v, ok := d.drainTimeout(c, 1); ok {
				dr.Timeout = v
			}
			if len(c.Words) > 2 {
				d.errorf(c, 2, "drain: extra word '%s' after timeout", word(c, 2))
			}
		case "virtual_server":
			if r, ok := d.drainVS(c); ok {
				dr.VirtualServers = append(dr.VirtualServers, r)
			}
		default:
			d.errorf(c, 0, "drain: unknown keyword '%s' (timeout, virtual_server)", c.Keyword())
		}
		if c.HasBlock {
			d.errorf(c, 0, "drain: '%s' takes no block", c.Keyword())
		}
	}
	d.cfg.Drain = dr
}

// drainTimeout reads whole seconds in [0, maxDrainTimeout] at word i.
func (d *decoder) drainTimeout(s *syntax.Stmt, i int) (time.Duration, bool) {
	str, ok := d.arg(s, i)
	if !ok {
		d.errorf(s, i-1, "drain: timeout needs a number of seconds")
		return 0, false
	}
	v, err := strconv.ParseUint(str, 10, 32)
	if err != nil || v > maxDrainTimeout {
		d.errorf(s, i, "drain: timeout '%s' must be whole seconds in [0, %d]", str, maxDrainTimeout)
		return 0, false
	}
	return secondsDur(v), true
}

// drainVS reads `virtual_server ... timeout N`.
func (d *decoder) drainVS(c *syntax.Stmt) (DrainVS, bool) {
	r := DrainVS{VSRef: VSRef{Pos: c.Pos(), Protocol: LVSTCP}}
	next := 3
	switch p1 := word(c, 1); p1 {
	case "":
		d.errorf(c, 0, "drain: virtual_server needs IP PORT [TCP|UDP|SCTP], fwmark N or group NAME")
		return r, false
	case "group":
		if r.Group = word(c, 2); r.Group == "" {
			d.errorf(c, 1, "drain: virtual_server group needs a name")
			return r, false
		}
	case "fwmark":
		v, err := strconv.ParseUint(word(c, 2), 10, 32)
		if err != nil || v == 0 {
			d.errorf(c, 2, "drain: invalid fwmark '%s'", word(c, 2))
			return r, false
		}
		r.FWMark = uint32(v)
	default:
		a, err := netip.ParseAddr(p1)
		if err != nil || a.Zone() != "" {
			d.errorf(c, 1, "drain: invalid virtual server address '%s'", p1)
			return r, false
		}
		port, err := strconv.ParseUint(word(c, 2), 10, 16)
		if err != nil || port == 0 {
			d.errorf(c, 2, "drain: invalid virtual server port '%s'", word(c, 2))
			return r, false
		}
		r.Addr, r.Port = a.Unmap(), uint16(port)
		switch p := LVSProtocol(strings.ToUpper(word(c, 3))); p {
		case LVSTCP, LVSUDP, LVSSCTP:
			r.Protocol, next = p, 4
		}
	}
	if word(c, next) != "timeout" {
		d.errorf(c, min(next, len(c.Words)-1), "drain: expected 'timeout SECONDS' after the virtual server")
		return r, false
	}
	v, ok := d.drainTimeout(c, next+1)
	if !ok {
		return r, false
	}
	if len(c.Words) > next+2 {
		d.errorf(c, next+2, "drain: extra word '%s'", word(c, next+2))
	}
	r.Timeout = v
	return r, true
}

// validateDrain reports drain entries that name no virtual server.
func (d *decoder) validateDrain() {
	if d.cfg.Drain == nil {
		return
	}
	for i := range d.cfg.Drain.VirtualServers {
		r := &d.cfg.Drain.VirtualServers[i]
		found := false
		for _, vs := range d.cfg.VirtualServers {
			if r.Matches(vs) {
				found = true
				break
			}
		}
		if !found {
			d.add(r.Pos, syntax.GeneralError, "drain: no virtual server %s in the configuration", r)
		}
	}
}
