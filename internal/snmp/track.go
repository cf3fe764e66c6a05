package snmp

import (
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/dumps"
)

// scriptResult is vrrpScriptResult: init 1, bad 2, good 3, initfailed 5.
func scriptResult(s *dumps.Script) int {
	switch {
	case s.InitState == "INIT":
		return 1
	case s.InitState == "INIT/FAILED":
		return 5
	case s.Good:
		return 3
	}
	return 2
}

// scripts is vrrpScriptTable: the vrrp_scripts that run, in order.
func (b *builder) scripts(cfg *conf.Config, snap []dumps.Script) {
	byName := map[string]*dumps.Script{}
	for i := range snap {
		byName[snap[i].Name] = &snap[i]
	}
	row := uint32(0)
	for _, s := range cfg.VRRPScripts {
		// keepalived drops a script nothing tracks
		st := byName[s.Name]
		if st == nil || len(st.Users) == 0 {
			continue
		}
		row++
		e := vrrpOID.Append(9, 1)
		b.str(e.Append(2, row), s.Name)
		b.str(e.Append(3, row), st.Command)
		b.int(e.Append(4, row), int(s.Interval/time.Second))
		b.int(e.Append(5, row), s.Weight)
		b.int(e.Append(6, row), scriptResult(st))
		b.gauge(e.Append(7, row), s.Rise)
		b.gauge(e.Append(8, row), s.Fall)
		b.truth(e.Append(9, row), s.Reverse)
	}
}

// trackedScripts is vrrpTrackedScriptTable: an instance's track_script.
// (keepalived 2.2.7 serves no row of vrrpTrackedInterfaceTable, nor do
// we.)
func (b *builder) trackedScripts(v *conf.VRRPInstance, row uint32) {
	for i, t := range v.TrackScripts {
		n := uint32(i + 1)
		e := vrrpOID.Append(5, 1)
		b.str(e.Append(2, row, n), t.Name)
		b.int(e.Append(3, row, n), t.Weight)
		b.truth(e.Append(4, row, n), t.Reverse)
	}
}

// routeScope is snmp_scope of a route's scope name.
func routeScope(s string) int {
	switch s {
	case "host":
		return 1
	case "link":
		return 2
	case "site":
		return 5
	case "nowhere":
		return 0
	}
	return 14
}

// routeProtocols are rtnetlink's protocol numbers by name.
var routeProtocols = map[string]int{"redirect": 1, "kernel": 2, "boot": 3, "static": 4, "ra": 9, "dhcp": 16,
	"keepalived": 18, "babel": 42, "bgp": 186, "isis": 187, "ospf": 188, "rip": 189, "eigrp": 192}

// routes is vrrpRouteTable for an instance's virtual_routes: the simple
// ones (one gateway, no multipath).
func (b *builder) routes(v *conf.VRRPInstance, in *dumps.Instance, row uint32) {
	b.routeRows(row, v.VRoutes, in.VIPSet && in.State == 2)
	b.ruleRows(row, v.VRules, in.VIPSet && in.State == 2)
}

// routeRows are vrrpRouteTable's rows for routes under row (0:
// static_routes).
func (b *builder) routeRows(row uint32, routes []conf.Route, set bool) {
	for i, r := range routes {
		n := uint32(i + 1)
		e := vrrpOID.Append(7, 1)
		o := func(c uint32) []uint32 { return append(append([]uint32{}, e...), c, row, n) }
		fam := 1
		if r.Family == 10 {
			fam = 2
		}
		b.int(o(2), fam)
		if r.Dst.IsValid() {
			b.addr(o(3), r.Dst.Addr())
			b.gauge(o(4), r.Dst.Bits())
		}
		if r.Via.IsValid() {
			b.addr(o(5), r.Via)
		}
		if r.Src.IsValid() {
			b.addr(o(7), r.Src)
		}
		metric := 0
		if r.Metric != nil {
			metric = int(*r.Metric)
		}
		b.gauge(o(8), metric)
		b.int(o(9), routeScope(r.Scope))
		b.int(o(10), routeType(r.Type))
		if r.Dev != "" {
			idx, _, _, _ := b.iface(r.Dev)
			b.int(o(11), idx)
			b.str(o(12), r.Dev)
		}
		table := int(r.Table)
		if table == 0 {
			table = 254
		}
		b.gauge(o(13), table)
		b.truth(o(14), set)
		if r.From.IsValid() {
			b.addr(o(15), r.From.Addr())
			b.gauge(o(16), r.From.Bits())
		}
		if r.TOS != nil {
			b.int(o(17), int(*r.TOS))
		}
		proto := 18 // keepalived's own (RTPROT_KEEPALIVED)
		if p, ok := routeProtocols[r.Protocol]; ok {
			proto = p
		}
		b.int(o(18), proto+1)
		b.truth(o(19), false)
		b.truth(o(20), false)
	}
}

// routeType is vrrpRouteType: unicast 1 … (rtnetlink's RTN_* numbering).
func routeType(t string) int {
	switch t {
	case "", "unicast":
		return 1
	case "local":
		return 2
	case "broadcast":
		return 3
	case "anycast":
		return 4
	case "multicast":
		return 5
	case "blackhole":
		return 6
	case "unreachable":
		return 7
	case "prohibit":
		return 8
	case "throw":
		return 9
	case "nat":
		return 10
	}
	return 1
}

// ruleActions are FR_ACT_* by the rule's action.
var ruleActions = map[string]int{"table": 1, "goto": 2, "nop": 3, "blackhole": 6, "unreachable": 7, "prohibit": 8}

// ruleRows are vrrpRuleTable's rows for rules under row (0:
// static_rules): the selectors and actions a rule usually has (not the
// protocol: the model cannot tell a configured one from the default).
func (b *builder) ruleRows(row uint32, rules []conf.Rule, set bool) {
	for i, r := range rules {
		n := uint32(i + 1)
		e := vrrpOID.Append(8, 1)
		o := func(c uint32) []uint32 { return append(append([]uint32{}, e...), c, row, n) }
		dir := ""
		switch {
		case r.To.IsValid() && r.From.IsValid():
			dir = "both"
		case r.To.IsValid():
			dir = "to"
		case r.From.IsValid():
			dir = "from"
		}
		b.str(o(2), dir)
		if a := r.To; a.IsValid() || r.From.IsValid() {
			if !a.IsValid() {
				a = r.From
			}
			b.int(o(3), inetType(a.Addr()))
			b.addr(o(4), a.Addr())
			b.gauge(o(5), a.Bits())
		}
		action := r.Action
		if action == "" {
			action = "table"
		}
		if action == "table" {
			b.gauge(o(6), int(r.Table))
		}
		b.truth(o(7), set)
		b.truth(o(8), r.Invert)
		if r.To.IsValid() {
			b.int(o(9), inetType(r.To.Addr()))
			b.addr(o(10), r.To.Addr())
			b.gauge(o(11), r.To.Bits())
		}
		if r.From.IsValid() {
			b.int(o(12), inetType(r.From.Addr()))
			b.addr(o(13), r.From.Addr())
			b.gauge(o(14), r.From.Bits())
		}
		tos := 0
		if r.TOS != nil {
			tos = int(*r.TOS)
		}
		b.gauge(o(15), tos)
		if r.Fwmark != nil {
			b.gauge(o(16), int(*r.Fwmark))
		}
		if r.FwMask != nil {
			b.gauge(o(17), int(*r.FwMask))
		}
		if r.IIF != "" {
			b.str(o(20), r.IIF)
		}
		if r.OIF != "" {
			b.str(o(21), r.OIF)
		}
		if action == "goto" {
			b.gauge(o(22), int(r.Goto))
		}
		b.int(o(23), ruleActions[action])
		if action == "table" {
			b.gauge(o(24), int(r.Table))
		}
		if r.Priority != 0 {
			b.gauge(o(25), int(r.Priority))
		}
		if r.L3mdev {
			b.int(o(32), 1)
		}
	}
}
