package conf

import (
	"testing"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

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

// TestRouteRTT checks rtt, rttvar and rto_min as keepalived's
// get_time_rtt reads them: kernel units (1/8000 s, 1/4000 s, ms), reset
// into 0.2s..120s, which 2.2.8 and later report and 2.2.7 only logs.
func TestRouteRTT(t *testing.T) {
	const main = "etc/keepalived/keepalived.conf"
	text := "static_routes {\n  10.5.0.0/16 dev eth0 rtt 2s rttvar 1.5S rto_min 300ms\n  10.6.0.0/16 dev eth0 rtt 5\n}\n"
	for _, v := range []Version{Oldest, Newest} {
		cfg, ds := loadFiles(t, map[string]string{main: text}, Options{Compat: v})
		if len(cfg.StaticRoutes) != 2 {
			t.Fatalf("%v: routes %+v", v, cfg.StaticRoutes)
		}
		m := cfg.StaticRoutes[0].Metrics
		if m["rtt"] != 16000 || m["rttvar"] != 6000 || m["rto_min"] != 300 || cfg.StaticRoutes[1].Metrics["rtt"] != 1600 {
			t.Errorf("%v: metrics %v, %v", v, m, cfg.StaticRoutes[1].Metrics)
		}
		d := mustHave(t, ds, "rtt value 5 below minimum 200ms, resetting")
		want := syntax.GeneralError
		if v == Oldest {
			want = syntax.Info
		}
		if d.Kind != want {
			t.Errorf("%v: %v is %v, want %v", v, d.Msg, d.Kind, want)
		}
	}
}
