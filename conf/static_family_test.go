package conf

import "testing"

func TestRouteRuleFamilyConflict(t *testing.T) {
	_, ds := loadString(t, "static_routes {\n  10.5.0.0/16 via 10.0.0.1 dev eth0 inet6\n}\n")
	if d := mustHave(t, ds, "inet6 specified for IPv4 route"); d.Pos.Line != 2 || d.Pos.Col != 37 {
		t.Errorf("at %v, want line 2 col 37", d.Pos)
	}
	_, ds = loadString(t, "static_rules {\n  from 2001:db8::/32 inet table 10 preference 5\n}\n")
	mustHave(t, ds, "specified for IPv6 rule")
	cfg, ds := loadString(t, "static_rules {\n  inet6 from 2001:db8::/32 table 10 preference 5\n}\n")
	mustBeClean(t, ds)
	if len(cfg.StaticRules) != 1 || cfg.StaticRules[0].Family != 6 {
		t.Errorf("rules %+v", cfg.StaticRules)
	}
}

func TestNFTablesNames(t *testing.T) {
	cfg, ds := loadString(t, "global_defs {\n  nftables\n  nftables_ipvs my_ipvs\n}\n")
	mustBeClean(t, ds)
	g := cfg.Global
	if g.NFTables != "keepalived" || g.NFTablesPriority != -1 || g.NFTablesIPVS != "my_ipvs" || g.NFTablesIPVSStartFwmark != 1000 {
		t.Errorf("got %q %d %q %d", g.NFTables, g.NFTablesPriority, g.NFTablesIPVS, g.NFTablesIPVSStartFwmark)
	}
	cfg, ds = loadString(t, "global_defs {\n  nftables one\n  nftables two\n  nftables_ipvs "+"x\n}\n")
	mustHave(t, ds, "nftables already specified - ignoring")
	if cfg.Global.NFTables != "one" {
		t.Errorf("second nftables replaced the first: %q", cfg.Global.NFTables)
	}
	long := make([]byte, 256)
	for i := range long {
		long[i] = 'a'
	}
	_, ds = loadString(t, "global_defs {\n  nftables_ipvs "+string(long)+"\n}\n")
	mustHave(t, ds, "ipvs nftables table name too long - ignoring")
}
