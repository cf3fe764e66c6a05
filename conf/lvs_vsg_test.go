package conf

import (
	"net/netip"
	"testing"
	"time"
)

func TestVSGroupEntries(t *testing.T) {
	text := `virtual_server_group G {
	10.0.0.1 8080
	10.0.0.2
	192.168.200.3-10 80
	192.168.200.250-192.168.201.10 80
	192.168.202.8/29 80
	10.9.9.9/32 0
	ae00::2-9 80
	ae00::/126 443
	ae00::1-ae00::1:2
	fwmark 1 inet6
	fwmark 2 inet
	fwmark 3 inet6
}
`
	cfg, ds := lvsLoad(t, text)
	mustBeClean(t, ds)
	if len(cfg.VSGroups) != 1 {
		t.Fatalf("%d groups", len(cfg.VSGroups))
	}
	g := cfg.VSGroups[0]
	type r struct {
		first, last string
		port        uint16
		size        uint64
	}
	want := []r{
		{"10.0.0.1", "10.0.0.1", 8080, 1},
		{"10.0.0.2", "10.0.0.2", 0, 1},
		{"192.168.200.3", "192.168.200.10", 80, 8},
		{"192.168.200.250", "192.168.201.10", 80, 17},
		{"192.168.202.8", "192.168.202.15", 80, 8},
		{"10.9.9.9", "10.9.9.9", 0, 1},
		{"ae00::2", "ae00::9", 80, 8},
		{"ae00::", "ae00::3", 443, 4},
		{"ae00::1", "ae00::1:2", 0, 65538},
	}
	if len(g.Ranges) != len(want) {
		t.Fatalf("%d ranges: %+v", len(g.Ranges), g.Ranges)
	}
	for i, w := range want {
		e := g.Ranges[i]
		if e.First != netip.MustParseAddr(w.first) || e.Last != netip.MustParseAddr(w.last) || e.Port != w.port || e.Size() != w.size {
			t.Fatalf("range %d: %+v (size %d), want %+v", i, e, e.Size(), w)
		}
	}
	if len(g.FWMarks) != 3 || g.FWMarks[0] != (VSGFWMark{Pos: g.FWMarks[0].Pos, Mark: 1, Family: LVSInet6}) || g.FWMarks[1].Family != LVSInet || g.FWMarks[2].Family != LVSInet6 {
		t.Fatalf("fwmarks %+v", g.FWMarks)
	}
	if !g.HasIPv4 || !g.HasIPv6 || g.FWMarkNoFamily {
		t.Fatalf("flags %+v", g)
	}
}

func TestVSGroupErrors(t *testing.T) {
	tests := []struct {
		entry string
		msgs  []string
	}{
		{"192.168.202.9/29 80", []string{"Address mask bits not empty - 192.168.202.9/29 - skipping"}},
		{"ae00::1/64", []string{"Address mask bits not empty - ae00::1/64 - skipping"}},
		{"10.0.0.0/33", []string{"Invalid netmask - 10.0.0.0/33 - skipping"}},
		{"10.0.0.0/0", []string{"Invalid netmask - 10.0.0.0/0 - skipping"}},
		{"10.0.0.0/x", []string{"Invalid netmask - 10.0.0.0/x - skipping"}},
		{"10.0.0.5-3 80", []string{"Address range end is not greater than address range start - 10.0.0.5-3 - skipping"}},
		{"10.0.0.5-5 80", []string{"Address range end is not greater than address range start - 10.0.0.5-5 - skipping"}},
		{"10.0.0.5-256", []string{"Virtual server group range '10.0.0.5-256' end '256' too large"}},
		{"10.0.0.5-2x", []string{"Virtual server group range '10.0.0.5-2x' has extra characters at end 'x'"}},
		{"10.0.1.5-10.0.0.9", []string{"Address range end is less than address range start - 10.0.1.5-10.0.0.9 - skipping"}},
		{"10.0.0.5-10.0.0", []string{"Invalid range end 10.0.0.5-10.0.0 - skipping"}},
		{"10.0.0 80", []string{"Invalid virtual server group IP address 10.0.0 /port/80 - skipping"}},
		{"10.0.0.1 65536", []string{"number '65536' outside range [1, 65535]", "Invalid virtual server group IP address 10.0.0.1 /port/65536 - skipping"}},
		{"fwmark x", []string{"invalid number 'x'", "(G): fwmark 'x' must be in [0, 4294967295] - ignoring"}},
		{"fwmark 1 ipx", []string{"(G): fwmark '1' family ipx unknown - ignoring"}},
	}
	for _, tt := range tests {
		cfg, ds := lvsLoad(t, "virtual_server_group G {\n 10.1.1.1 80\n "+tt.entry+"\n}\n")
		for _, m := range tt.msgs {
			mustHave(t, ds, m)
		}
		if len(cfg.VSGroups) != 1 || len(cfg.VSGroups[0].Ranges) != 1 || len(cfg.VSGroups[0].FWMarks) != 0 || ds.ExitCode() != 5 {
			t.Fatalf("%q: entry kept or rc %d", tt.entry, ds.ExitCode())
		}
	}
	cfg, ds := lvsLoad(t, "virtual_server_group E {\n}\n")
	mustHave(t, ds, "virtual server group E has no entries - removing")
	if len(cfg.VSGroups) != 0 {
		t.Fatal("empty group kept")
	}
	cfg, ds = lvsLoad(t, "virtual_server_group M {\n 10.0.0.1 80\n ae00::1 80\n fwmark 5\n}\n")
	mustHave(t, ds, "virtual server group M cannot have IPv4, IPv6 and fwmark without family - removing")
	if len(cfg.VSGroups) != 0 {
		t.Fatal("mixed group kept")
	}
}

func TestVSGroupVirtualServers(t *testing.T) {
	text := "virtual_server_group G {\n 10.0.0.1 80\n 10.0.0.2 81\n fwmark 1\n}\n" +
		"virtual_server group G {\n protocol TCP\n lb_algo rr\n lb_kind DR\n persistence_timeout 50\n real_server 10.1.1.1 80 {\n }\n}\n" +
		"virtual_server group G {\n protocol UDP\n lb_algo rr\n lb_kind NAT\n real_server 10.1.1.1 80 {\n }\n}\n" +
		"virtual_server group NOPE {\n protocol UDP\n lb_algo rr\n lb_kind NAT\n real_server 10.1.1.1 80 {\n }\n}\n"
	cfg, ds := lvsLoad(t, text)
	mustHave(t, ds, "virtual server [G]:0:[10.0.0.2,81] and real server [10.1.1.1]:tcp:80 ports don't match")
	mustHave(t, ds, "WARNING - fwmark virtual server [G]:0, real server [10.1.1.1]:tcp:80 has port specified - port will be ignored")
	d := mustHave(t, ds, "Virtual server group NOPE specified but not configured - ignoring virtual server [NOPE]:0")
	if d.Kind != Kind(0) {
		t.Fatal("link messages are only logged")
	}
	if len(cfg.VirtualServers) != 2 {
		t.Fatalf("%d virtual servers", len(cfg.VirtualServers))
	}
	a, b := cfg.VirtualServers[0], cfg.VirtualServers[1]
	if a.GroupRef != cfg.VSGroups[0] || a.GroupIndex != 0 || b.GroupIndex != 1 || a.Family != LVSInet || a.Protocol != LVSTCP {
		t.Fatalf("group vs %+v", a)
	}
	// the group's fwmark-only form ignores the protocol; a port-less
	// entry switches persistence on
	text = "virtual_server_group F {\n fwmark 1\n}\nvirtual_server_group P {\n 10.0.0.1\n}\n" +
		"virtual_server group F {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.1.1.1 80 {\n }\n}\n" +
		"virtual_server group P {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.1.1.1 80 {\n }\n}\n"
	cfg, ds = lvsLoad(t, text)
	mustHave(t, ds, "Warning: Virtual server [F]:0: protocol specified for fwmark - protocol will be ignored")
	mustHave(t, ds, "Virtual server [P]:0: zero port only valid for persistent services - setting")
	if cfg.VirtualServers[0].Protocol != "" || cfg.VirtualServers[1].PersistenceTimeout != 360 || cfg.VirtualServers[0].Family != LVSInet {
		t.Fatalf("%+v %+v", cfg.VirtualServers[0], cfg.VirtualServers[1])
	}
}

func TestKaTimerAndNumbers(t *testing.T) {
	d := &decoder{diags: &Diagnostics{}}
	p := Pos{}
	for in, want := range map[string]time.Duration{
		"1": time.Second, "1.5": 1500 * time.Millisecond, ".5": 500 * time.Millisecond, "5.": 5 * time.Second,
		"0.000001": time.Microsecond, "1.0000005": time.Second + time.Microsecond, "+2": 2 * time.Second,
	} {
		got, ok := d.readTimerStr(p, in, 0, 0)
		if !ok || got != want {
			t.Fatalf("%q: %v %v", in, got, ok)
		}
	}
	for _, in := range []string{"-1", "18446744073709.551615"} {
		if _, ok := d.readTimerStr(p, in, 0, 0); ok {
			t.Fatalf("%q accepted", in)
		}
	}
	// read_timer ignores errors: trailing junk is reported, and the
	// leading digits (scaled as keepalived does) still taken.
	for in, want := range map[string]time.Duration{"1.2.3": 12 * time.Microsecond, "x": 0, "1e3": time.Microsecond} {
		n := len(d.diags.List)
		got, ok := d.readTimerStr(p, in, 0, 0)
		if !ok || got != want || len(d.diags.List) != n+1 || d.diags.List[n].Msg != "invalid number '"+in+"'" {
			t.Fatalf("%q: %v %v, messages %v", in, got, ok, d.diags.List[n:])
		}
	}
	for in, want := range map[string]uint64{"0": 0, "42": 42, " 7": 7, "+3": 3, "4294967295": 4294967295} {
		got, ok := d.readUnsignedStr(p, in, 0, kaUintMax)
		if !ok || got != want {
			t.Fatalf("%q: %d %v", in, got, ok)
		}
	}
	for _, in := range []string{"-0", "0x10", "4294967296", "1a", "99999999999999999999999"} {
		if _, ok := d.readUnsignedStr(p, in, 0, kaUintMax); ok {
			t.Fatalf("%q accepted", in)
		}
	}
	mustHave(t, d.diags, "number '4294967296' outside unsigned integer range")
	for in, want := range map[string]int64{"-5": -5, "+5": 5, "0": 0, "-2147483647": -2147483647} {
		got, ok := d.readIntStr(p, in, -kaIntMax, kaIntMax)
		if !ok || got != want {
			t.Fatalf("%q: %d %v", in, got, ok)
		}
	}
	for _, in := range []string{"-2147483649", "2147483648", "5x", "--5"} {
		if _, ok := d.readIntStr(p, in, -kaIntMax, kaIntMax); ok {
			t.Fatalf("%q accepted", in)
		}
	}
}
