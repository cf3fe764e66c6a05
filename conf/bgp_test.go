package conf

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

const bgpVRRP = `vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 priority 100
 virtual_ipaddress {
  10.0.0.100
 }
}
virtual_server 10.0.0.100 80 {
 protocol TCP
 lb_algo rr
 lb_kind NAT
 real_server 10.0.1.1 80 {
 }
}
virtual_server fwmark 7 {
 lb_algo rr
 lb_kind NAT
 real_server 10.0.1.1 80 {
 }
}
`

func TestBGPDecode(t *testing.T) {
	cfg, ds := loadFiles(t, map[string]string{
		"etc/keepalived/keepalived.conf": bgpVRRP + "@gokeepalived include /etc/keepalived/gokeepalived.conf\n",
		"etc/keepalived/gokeepalived.conf": `bgp_speaker {
 router_id 192.0.2.11
 local_as 65011
 listen_port 0
 graceful_restart 120
 neighbor 10.1.0.1 {
  remote_as 65000
  port 1179
  hold_time 9
  passive
  local_address 10.1.0.11
  bfd min_rx 200 multiplier 4
 }
 neighbor 2001:db8::1 {
  remote_as 65000
 }
}
bgp_announce 10.0.0.100/32 {
 virtual_server 10.0.0.100 80
 virtual_server fwmark 7
 vrrp_instance VI_1
 community 65000:100 65000:200
 local_pref 200
 med 10
 next_hop 10.1.0.11
}
bgp_announce 2001:db8:100::/64 {
}
`}, Options{})
	mustBeClean(t, ds)
	b := cfg.BGPSpeaker
	if b == nil || b.RouterID != netip.MustParseAddr("192.0.2.11") || b.LocalAS != 65011 || b.ListenPort != 0 || b.GracefulRestart != 120*time.Second || len(b.Neighbors) != 2 {
		t.Fatalf("speaker %+v", b)
	}
	n := b.Neighbors[0]
	if n.RemoteAS != 65000 || n.Port != 1179 || n.HoldTime != 9*time.Second || !n.Passive || n.LocalAddress != netip.MustParseAddr("10.1.0.11") ||
		n.BFD == nil || *n.BFD != (BGPBFD{MinRx: 200 * time.Millisecond, MinTx: 300 * time.Millisecond, Multiplier: 4}) {
		t.Errorf("neighbor %+v %+v", n, n.BFD)
	}
	if n := b.Neighbors[1]; n.Port != 179 || n.HoldTime != 90*time.Second || n.BFD != nil {
		t.Errorf("defaults %+v", n)
	}
	if len(cfg.BGPAnnounces) != 2 {
		t.Fatalf("announces %+v", cfg.BGPAnnounces)
	}
	a := cfg.BGPAnnounces[0]
	if a.Prefix != netip.MustParsePrefix("10.0.0.100/32") || len(a.VirtualServers) != 2 || a.VirtualServers[0].Protocol != LVSTCP ||
		a.VirtualServers[1].FWMark != 7 || a.VRRPInstances[0] != "VI_1" || len(a.Communities) != 2 || a.Communities[0] != 65000<<16|100 ||
		*a.LocalPref != 200 || *a.MED != 10 || a.NextHop != netip.MustParseAddr("10.1.0.11") {
		t.Errorf("announce %+v", a)
	}
	// -d and the JSON dump show them as the other blocks
	var d, j strings.Builder
	Dump(&d, cfg)
	WriteJSON(&j, cfg)
	for _, w := range []string{"bgp_speaker:\n", " router_id = 192.0.2.11\n", " address = 10.1.0.1\n", " prefix = 10.0.0.100/32\n"} {
		if !strings.Contains(d.String(), w) {
			t.Errorf("dump lacks %q:\n%s", w, d.String())
		}
	}
	if !strings.Contains(j.String(), `"bgp_speaker": {
    "router_id": "192.0.2.11",
    "local_as": 65011,`) {
		t.Errorf("JSON: %s", j.String())
	}
}

// TestBGPErrors: every mistake is reported where it is.
func TestBGPErrors(t *testing.T) {
	for _, c := range []struct {
		text, want string
		line, col  int
	}{
		{"bgp_speaker {\n local_as 1\n neighbor 10.1.0.1 {\n remote_as 2\n }\n}\n", "router_id is required", 6, 1},
		{"bgp_speaker {\n router_id 10.0.0.1\n neighbor 10.1.0.1 {\n remote_as 2\n }\n}\n", "local_as is required", 6, 1},
		{"bgp_speaker {\n router_id 2001:db8::1\n}\n", "not an IPv4 address", 2, 12},
		{"bgp_speaker {\n router_id 10.0.0.1\n local_as 1\n neighbor 10.1.0.1 {\n port 5\n }\n}\n", "has no remote_as", 6, 2},
		{"bgp_speaker {\n router_id 10.0.0.1\n local_as 1\n neighbor 10.1.0.x {\n remote_as 5\n }\n}\n", "invalid address 10.1.0.x", 4, 11},
		{"bgp_speaker {\n router_id 10.0.0.1\n local_as 99999999999\n}\n", "local_as: 99999999999 is not a number", 3, 11},
		{"bgp_speaker {\n router_id 10.0.0.1\n local_as 1\n neighbor 10.1.0.1 {\n remote_as 5\n bfd min_rx x\n }\n}\n", "bfd min_rx: x", 6, 13},
		{"bgp_announce 10.0.0.1/33 {\n}\n", "invalid prefix 10.0.0.1/33", 1, 14},
		{"bgp_announce 10.0.0.1/24 {\n}\n", "host bits set", 1, 14},
		{"bgp_announce 10.0.0.0/24 {\n vrrp_instance VI_9\n}\n", "unknown vrrp_instance VI_9", 2, 16},
		{"bgp_announce 10.0.0.0/24 {\n virtual_server 10.0.0.100 80 UDP\n}\n", "unknown virtual_server 10.0.0.100 80 UDP", 2, 17},
		{"bgp_announce 10.0.0.0/24 {\n virtual_server group G\n}\n", "unknown virtual_server group G", 2, 17},
		{"bgp_announce 10.0.0.0/24 {\n community 70000:1\n}\n", "community 70000:1", 2, 12},
		{"bgp_announce 10.0.0.0/24 {\n next_hop 2001:db8::1\n}\n", "not of the prefix's family", 3, 1},
	} {
		_, ds := loadFiles(t, map[string]string{
			"etc/keepalived/keepalived.conf": "@gokeepalived include /etc/keepalived/gk.conf\n",
			"etc/keepalived/gk.conf":         c.text,
		}, Options{})
		d := mustHave(t, ds, c.want)
		if d.Pos.File != "/etc/keepalived/gk.conf" || d.Pos.Line != c.line || d.Pos.Col != c.col {
			t.Errorf("%q at %s, want gk.conf:%d:%d", c.want, d.Pos, c.line, c.col)
		}
	}
}

// TestExtensionKeywordCoverage: every keyword of the BGP extension
// changes the model, and code outside package conf reads what it changes
// (TestKeywordCoverage's rule for keepalived's keywords).
func TestExtensionKeywordCoverage(t *testing.T) {
	read := fieldsReadOutsideConf(t)
	const base = `virtual_server 10.0.0.100 80 {
 protocol TCP
 lb_algo rr
 lb_kind NAT
 real_server 10.0.1.1 80 {
 }
}
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 priority 100
 virtual_ipaddress {
  10.0.0.100
 }
}
bgp_speaker {
 router_id 192.0.2.11
 local_as 65011
#S
 neighbor 10.1.0.1 {
  remote_as 65000
#N
 }
}
bgp_announce 10.0.0.0/24 {
#A
}
#T
`
	values := map[string]string{
		"T|bgp_speaker": "", "T|bgp_announce": "bgp_announce 10.0.1.0/24 {\n}",
		"S|router_id": "192.0.2.99", "S|local_as": "65099", "S|listen_port": "0", "S|graceful_restart": "60",
		"S|neighbor":  "10.1.0.2 {\n remote_as 65000\n }",
		"N|remote_as": "65001", "N|port": "1179", "N|hold_time": "30", "N|passive": "", "N|local_address": "10.1.0.11",
		"N|bfd": "", "A|virtual_server": "10.0.0.100 80", "A|vrrp_instance": "VI_1", "A|community": "1:1",
		"A|local_pref": "5", "A|med": "5", "A|next_hop": "10.1.0.11",
	}
	tables := map[string]table{"S": bgpSpeakerTable, "N": bgpNeighborTable, "A": bgpAnnounceTable,
		"T": {"bgp_speaker": topLevel["bgp_speaker"], "bgp_announce": topLevel["bgp_announce"]}}
	clean := func(s string) string {
		for _, m := range []string{"#S", "#N", "#A", "#T"} {
			s = strings.Replace(s, m, "", 1)
		}
		return s
	}
	for blk, tab := range tables {
		for kw := range tab {
			v, ok := values[blk+"|"+kw]
			if !ok {
				t.Errorf("%s: no value to try: add it here", kw)
				continue
			}
			before, after := base, base
			switch {
			case kw == "bgp_speaker": // the base without the block
				i, j := strings.Index(base, "bgp_speaker {"), strings.Index(base, "bgp_announce ")
				before = base[:i] + base[j:]
			case blk == "T":
				after = strings.Replace(base, "#T", v, 1)
			default:
				after = strings.Replace(base, "#"+blk, strings.TrimSpace(kw+" "+v), 1)
			}
			bcfg, _ := loadKeywordConfig(clean(before))
			acfg, ds := loadKeywordConfig(clean(after))
			for _, d := range ds.List {
				if strings.Contains(d.Msg, "bgp") {
					t.Errorf("%s: %s", kw, d)
				}
			}
			set := map[string]bool{}
			diffModel(reflect.ValueOf(bcfg).Elem(), reflect.ValueOf(acfg).Elem(), "", set)
			effect := false
			for f := range set {
				effect = effect || pathRead(read, f)
			}
			if !effect {
				t.Errorf("%s in %s: changes %v, which nothing outside package conf reads", kw, blk, set)
			}
		}
	}
}
