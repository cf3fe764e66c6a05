package conf

import (
	"strconv"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

// validateLVS is keepalived's link_vsg_to_vs() followed by
// validate_check_config(): group resolution, defaults and fix-ups of
// virtual and real servers, and the resolution of every checker's
// inherited parameters.
func (d *decoder) validateLVS() {
	d.linkVSGroups()
	kept := d.cfg.VirtualServers[:0]
	for _, vs := range d.cfg.VirtualServers {
		if d.validateVS(vs) {
			kept = append(kept, vs)
		}
	}
	for i := len(kept); i < len(d.cfg.VirtualServers); i++ {
		d.cfg.VirtualServers[i] = nil
	}
	d.cfg.VirtualServers = kept
	for _, vs := range d.cfg.VirtualServers {
		for _, rs := range vs.RealServers {
			for _, c := range rs.Checkers {
				resolveChecker(vs, rs, c)
			}
		}
	}
}

// linkVSGroups is link_vsg_to_vs: each "virtual_server group NAME" gets
// its group and family; its messages are only logged by keepalived.
func (d *decoder) linkVSGroups() {
	kept := d.cfg.VirtualServers[:0]
	for _, vs := range d.cfg.VirtualServers {
		if vs.Group == "" {
			kept = append(kept, vs)
			continue
		}
		var g *VSGroup
		for _, x := range d.cfg.VSGroups {
			if x.Name == vs.Group {
				g = x
				break
			}
		}
		if g == nil {
			d.lose(vs.Pos, syntax.Info, "Virtual server group %s specified but not configured - ignoring virtual server %s", vs.Group, fmtVS(vs))
			continue
		}
		vs.GroupRef = g
		var gaf LVSFamily
		if g.HasIPv4 != g.HasIPv6 {
			gaf = LVSInet
			if g.HasIPv6 {
				gaf = LVSInet6
			}
		}
		switch {
		case g.HasIPv4 && g.HasIPv6 && vs.Family != "":
			d.lose(vs.Pos, syntax.Info, "%s: virtual server group with IPv4 & IPv6 doesn't match virtual server %s - ignoring", vs.Group, fmtVS(vs))
			continue
		case (g.HasIPv4 && vs.Family == LVSInet6) || (g.HasIPv6 && vs.Family == LVSInet):
			d.lose(vs.Pos, syntax.Info, "%s: address family doesn't match virtual server %s - ignoring", vs.Group, fmtVS(vs))
			continue
		case gaf != "":
			vs.Family = gaf
		case vs.Family == "" && g.FWMarkNoFamily:
			d.add(vs.Pos, syntax.Info, "%s: Virtual server %s address family cannot be determined, defaulting to IPv4", vs.Group, fmtVS(vs))
			vs.Family = LVSInet
		}
		kept = append(kept, vs)
	}
	d.cfg.VirtualServers = kept
	// the member number of a virtual server in its group
	for _, g := range d.cfg.VSGroups {
		n := 0
		for _, vs := range d.cfg.VirtualServers {
			if vs.Group == g.Name {
				vs.GroupIndex = n
				n++
			}
		}
	}
}

// validateVS checks and fixes up one virtual server; false drops it.
func (d *decoder) validateVS(vs *VirtualServer) bool {
	vsErr := func(format string, args ...any) {
		d.add(vs.Pos, syntax.GeneralError, format, args...)
	}
	if len(vs.RealServers) == 0 {
		d.lose(vs.Pos, syntax.GeneralError, "Virtual server %s has no real servers - ignoring", fmtVS(vs))
		return false
	}
	g := vs.GroupRef
	isGroup := g != nil
	if vs.HASuspend && (vs.FWMark != 0 && !isGroup || isGroup && len(g.FWMarks) > 0) {
		vsErr("Virtual server %s: cannot use ha_suspend with fwmarks - clearing ha_suspend", fmtVS(vs))
		vs.HASuspend = false
	}
	if (isGroup && len(g.Ranges) > 0) || (!isGroup && vs.FWMark == 0) {
		if vs.Protocol == "" {
			vsErr("Virtual server %s: no protocol set - defaulting to UDP", fmtVS(vs))
			vs.Protocol = LVSUDP
		}
		if vs.Flags.OnePacket && vs.Protocol != LVSUDP {
			vsErr("Virtual server %s: one packet scheduling requires UDP - resetting", fmtVS(vs))
			vs.Flags.OnePacket = false
		}
		if vs.PersistenceTimeout == 0 && !isGroup && vs.FWMark == 0 && vs.Port == 0 {
			vsErr("Virtual server %s: zero port only valid for persistent services - setting", fmtVS(vs))
			vs.PersistenceTimeout = lvsDefaultPersistence
		}
	}
	if vs.PersistenceTimeout == 0 && isGroup {
		for _, e := range g.Ranges {
			if e.Port == 0 {
				vsErr("Virtual server %s: zero port only valid for persistent services - setting", fmtVS(vs))
				vs.PersistenceTimeout = lvsDefaultPersistence
				break
			}
		}
	}
	if vs.Protocol != "" && ((isGroup && len(g.Ranges) == 0 && len(g.FWMarks) > 0) || (!isGroup && vs.FWMark != 0)) {
		vsErr("Warning: Virtual server %s: protocol specified for fwmark - protocol will be ignored", fmtVS(vs))
		vs.Protocol = ""
	}
	if vs.Scheduler == "" {
		vsErr("Virtual server %s: no scheduler set, setting default '%s'", fmtVS(vs), lvsDefaultScheduler)
		vs.Scheduler = lvsDefaultScheduler
	}
	gl := &d.cfg.Global
	switch {
	case vs.Configured.SMTPAlert != nil:
		vs.SMTPAlert = *vs.Configured.SMTPAlert
	case gl.SMTPAlertChecker != nil:
		vs.SMTPAlert = *gl.SMTPAlertChecker
	case gl.SMTPAlert != nil:
		vs.SMTPAlert = *gl.SMTPAlert
	}

	var weightSum uint64
	kept := vs.RealServers[:0]
	for _, rs := range vs.RealServers {
		dup := false
		for _, r1 := range kept {
			if r1.Addr == rs.Addr && r1.Port == rs.Port {
				d.add(rs.Pos, syntax.GeneralError, "VS %s: real server %s is duplicated - removing second rs", fmtVS(vs), fmtRS(rs, vs))
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		kept = append(kept, rs)
		if rs.Forwarding.Method == "" {
			d.defaultForwarding(vs)
			rs.Forwarding = vs.Forwarding
		}
		resolveRS(vs, rs, gl)
		weightSum += uint64(rs.Weight)
		if ss := vs.SorryServer; ss != nil && ss.Addr == rs.Addr && ss.Port == rs.Port {
			if ss.Inhibit != rs.InhibitOnFailure {
				what := "clear"
				if rs.InhibitOnFailure {
					what = "sett"
				}
				vsErr("Virtual server %s: real server %s matches sorry server, but inhibit setting differs, %sing on sorry server", fmtVS(vs), fmtRS(rs, vs), what)
				ss.Inhibit = rs.InhibitOnFailure
			}
			vs.SorryServerIsRS = true
		}
	}
	for i := len(kept); i < len(vs.RealServers); i++ {
		vs.RealServers[i] = nil
	}
	vs.RealServers = kept
	if ss := vs.SorryServer; ss != nil && ss.Forwarding.Method == "" {
		d.defaultForwarding(vs)
		ss.Forwarding = vs.Forwarding
	}

	// keepalived sums into an unsigned int
	weightSum &= 0xffffffff
	if uint64(vs.Quorum) > weightSum {
		vsErr("Warning - quorum %d for %s exceeds total weight of real servers %d, reducing quorum to %d", vs.Quorum, fmtVS(vs), weightSum, weightSum)
		vs.Quorum = uint32(weightSum)
	}
	if vs.Hysteresis >= vs.Quorum {
		vsErr("Virtual server %s: hysteresis %d >= quorum %d; setting hysteresis to %d", fmtVS(vs), vs.Hysteresis, vs.Quorum, vs.Quorum-1)
		vs.Hysteresis = vs.Quorum - 1
	}

	d.fixPorts(vs)
	return true
}

// defaultForwarding gives the virtual server NAT when nothing was set.
func (d *decoder) defaultForwarding(vs *VirtualServer) {
	if vs.Forwarding.Method == "" {
		d.add(vs.Pos, syntax.GeneralError, "Virtual server %s: no forwarding method set, setting default NAT", fmtVS(vs))
		vs.Forwarding = Forwarding{Method: "NAT", TunnelType: "ipip", TunnelCsum: "nocsum"}
	}
}

// resolveRS applies the virtual server's values to what the real server
// does not set.
func resolveRS(vs *VirtualServer, rs *RealServer, gl *GlobalDefs) {
	c := &rs.Configured
	rs.Alpha = vs.Alpha
	if c.Alpha != nil {
		rs.Alpha = *c.Alpha
	}
	rs.InhibitOnFailure = vs.InhibitOnFailure
	if c.InhibitOnFailure != nil {
		rs.InhibitOnFailure = *c.InhibitOnFailure
	}
	rs.Retry = vs.Configured.Retry
	if c.Retry != nil {
		rs.Retry = c.Retry
	}
	rs.ConnectTimeout = vs.ConnectTimeout
	if c.ConnectTimeout != nil {
		rs.ConnectTimeout = *c.ConnectTimeout
	}
	rs.DelayLoop = vs.DelayLoop
	if c.DelayLoop != nil {
		rs.DelayLoop = *c.DelayLoop
	}
	rs.Warmup = vs.Configured.Warmup
	if c.Warmup != nil {
		rs.Warmup = c.Warmup
	}
	rs.DelayBeforeRetry = vs.Configured.DelayBeforeRetry
	if c.DelayBeforeRetry != nil {
		rs.DelayBeforeRetry = c.DelayBeforeRetry
	}
	if !rs.WeightSet {
		rs.Weight = vs.Weight
	}
	switch {
	case c.SMTPAlert != nil:
		rs.SMTPAlert = *c.SMTPAlert
	case gl.SMTPAlertChecker != nil:
		rs.SMTPAlert = *gl.SMTPAlertChecker
	case gl.SMTPAlert != nil:
		rs.SMTPAlert = *gl.SMTPAlert
	default:
		// inconsistent with the other smtp_alert defaults, kept by
		// keepalived for backward compatibility
		rs.SMTPAlert = true
	}
}

// fixPorts checks (and for plain services corrects) real and sorry
// server ports against the virtual server's.
func (d *decoder) fixPorts(vs *VirtualServer) {
	ss := vs.SorryServer
	if g := vs.GroupRef; g != nil {
		if len(g.FWMarks) > 0 {
			for _, rs := range vs.RealServers {
				if rs.Forwarding.Method != "NAT" && rs.Port != 0 {
					d.add(rs.Pos, syntax.GeneralError, "WARNING - fwmark virtual server %s, real server %s has port specified - port will be ignored", fmtVS(vs), fmtRS(rs, vs))
				}
			}
			if ss != nil && ss.Forwarding.Method != "NAT" && ss.Port != 0 {
				d.add(ss.Pos, syntax.GeneralError, "WARNING - fwmark virtual server %s, sorry server has port specified - port will be ignored", fmtVS(vs))
			}
		}
		for _, e := range g.Ranges {
			for _, rs := range vs.RealServers {
				if rs.Forwarding.Method != "NAT" && rs.Port != 0 && e.Port != rs.Port {
					d.add(rs.Pos, syntax.GeneralError, "virtual server %s:[%s] and real server %s ports don't match", fmtVS(vs), fmtVSGE(e), fmtRS(rs, vs))
				}
			}
			if ss != nil && ss.Forwarding.Method != "NAT" && ss.Port != 0 && e.Port != ss.Port {
				d.add(ss.Pos, syntax.GeneralError, "WARNING - virtual server %s, sorry server has port specified - port will be ignored", fmtVS(vs))
			}
		}
		return
	}
	for _, rs := range vs.RealServers {
		if rs.Forwarding.Method == "NAT" {
			if vs.FWMark == 0 && rs.Port == 0 {
				rs.Port = vs.Port
			}
			continue
		}
		if vs.FWMark != 0 {
			if rs.Port != 0 {
				d.add(rs.Pos, syntax.GeneralError, "WARNING - fwmark virtual server %s, real server %s has port specified - clearing", fmtVS(vs), fmtRS(rs, vs))
				rs.Port = 0
			}
		} else if rs.Port == 0 {
			rs.Port = vs.Port
		} else if rs.Port != vs.Port {
			d.add(rs.Pos, syntax.GeneralError, "WARNING - virtual server %s and real server %s ports don't match - resetting", fmtVS(vs), fmtRS(rs, vs))
			rs.Port = vs.Port
		}
	}
	if ss != nil && ss.Forwarding.Method != "NAT" {
		if vs.FWMark != 0 {
			if ss.Port != 0 {
				d.add(ss.Pos, syntax.GeneralError, "WARNING - virtual server %s, sorry server has port specified - clearing", fmtVS(vs))
				ss.Port = 0
			}
		} else if ss.Port == 0 {
			ss.Port = vs.Port
		} else if ss.Port != vs.Port {
			d.add(ss.Pos, syntax.GeneralError, "WARNING - virtual server %s and sorry server ports don't match - resetting", fmtVS(vs))
			ss.Port = vs.Port
		}
	}
}

// fmtVSGE is keepalived's format_vsge for address entries.
func fmtVSGE(e VSGRange) string {
	if e.First != e.Last {
		return e.First.String() + "-" + e.Last.String() + "," + strconv.Itoa(int(e.Port))
	}
	return e.First.String() + "," + strconv.Itoa(int(e.Port))
}

// resolveChecker computes a checker's effective parameters: checker,
// else real server, else virtual server, else the type's default.
func resolveChecker(vs *VirtualServer, rs *RealServer, c *Checker) {
	cf := &c.Configured
	c.Alpha = rs.Alpha
	if cf.Alpha != nil {
		c.Alpha = *cf.Alpha
	}
	if c.Type == CheckFile {
		// keepalived knows a file's state at once: never alpha
		c.Alpha = false
	}
	if cf.LogAllFailures != nil {
		c.LogAllFailures = *cf.LogAllFailures
	}
	if !c.Type.hasTiming() {
		return
	}
	switch {
	case cf.Retry != nil:
		c.Retry = *cf.Retry
	case rs.Retry != nil:
		c.Retry = *rs.Retry
	default:
		c.Retry = c.Type.DefaultRetry()
	}
	if co := c.Conn; co != nil {
		co.ConnectTimeout = rs.ConnectTimeout
		if co.ConnectTimeoutSet != nil {
			co.ConnectTimeout = *co.ConnectTimeoutSet
		}
	}
	c.DelayLoop = rs.DelayLoop
	if cf.DelayLoop != nil {
		c.DelayLoop = *cf.DelayLoop
	}
	switch {
	case cf.Warmup != nil:
		c.Warmup = *cf.Warmup
	case rs.Warmup != nil:
		c.Warmup = *rs.Warmup
	default:
		c.Warmup = c.DelayLoop
	}
	switch {
	case cf.DelayBeforeRetry != nil:
		c.DelayBeforeRetry = *cf.DelayBeforeRetry
	case rs.DelayBeforeRetry != nil:
		c.DelayBeforeRetry = *rs.DelayBeforeRetry
	case c.Type.defaultDelayBeforeRetry() != 0:
		c.DelayBeforeRetry = c.Type.defaultDelayBeforeRetry()
	default:
		c.DelayBeforeRetry = c.DelayLoop
	}
	if m := c.Misc; m != nil {
		m.Timeout = vs.DelayLoop
		if m.TimeoutSet != nil && *m.TimeoutSet != 0 {
			m.Timeout = *m.TimeoutSet
		}
	}
}
