package conf

import (
	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

// IPVSSysctl is the ipvs_sysctl extension block (gokeepalived only): IPVS
// sysctls of the IPVS namespace the checker sets at start and reload. A
// nil field leaves the kernel's value alone.
//
//	ipvs_sysctl {
//	    sloppy_tcp  [on|off]
//	    sloppy_sctp [on|off]
//	}
type IPVSSysctl struct {
	Pos Pos `json:"-"`
	// SloppyTCP is net.ipv4.vs.sloppy_tcp: IPVS creates a connection
	// for any TCP packet, not only a SYN, so a director that gets a flow
	// mid-stream (an ECMP change) forwards it.
	SloppyTCP *bool `json:"sloppy_tcp,omitempty"`
	// SloppySCTP is net.ipv4.vs.sloppy_sctp, the same for SCTP (not
	// only INIT).
	SloppySCTP *bool `json:"sloppy_sctp,omitempty"`
}

// Values lists the sysctls the block sets, by their name under
// net.ipv4.vs, with 1 or 0.
func (s *IPVSSysctl) Values() map[string]int {
	out := map[string]int{}
	if s == nil {
		return out
	}
	for name, p := range map[string]*bool{"sloppy_tcp": s.SloppyTCP, "sloppy_sctp": s.SloppySCTP} {
		if p != nil {
			out[name] = b2i(*p)
		}
	}
	return out
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

var ipvsSysctlTable table

func init() {
	flag := func(name string, get func(*IPVSSysctl) **bool) kw {
		return kw{fn: func(d *decoder, s *syntax.Stmt) {
			x := d.obj.(*IPVSSysctl)
			if len(s.Words) > 2 {
				d.errorf(s, 2, "ipvs_sysctl: extra parameter '%s' after %s", s.Words[2].Text, name)
				return
			}
			v, ok := d.boolArg(s, 1, "ipvs_sysctl: invalid value '%s' for "+name+" (on|off|true|false|yes|no)")
			if ok {
				*get(x) = &v
			}
		}}
	}
	ipvsSysctlTable = table{
		"sloppy_tcp":  flag("sloppy_tcp", func(x *IPVSSysctl) **bool { return &x.SloppyTCP }),
		"sloppy_sctp": flag("sloppy_sctp", func(x *IPVSSysctl) **bool { return &x.SloppySCTP }),
	}
}

// decodeIPVSSysctl reads an ipvs_sysctl block; a second block adds to
// the first (a later value wins), as global_defs does.
func decodeIPVSSysctl(d *decoder, s *syntax.Stmt) {
	if len(s.Words) > 1 {
		d.errorf(s, 1, "ipvs_sysctl: unexpected parameter '%s'", s.Words[1].Text)
	}
	x := d.cfg.IPVSSysctl
	if x == nil {
		x = &IPVSSysctl{Pos: s.Pos()}
		d.cfg.IPVSSysctl = x
	}
	d.walk("ipvs_sysctl", s.Block, boundKeywords{ipvsSysctlTable, x})
}
