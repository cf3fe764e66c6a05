package conf

import (
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
	"github.com/gokeepalived/gokeepalived/internal/testenv"
)

// lvsOpts makes every script path "missing" so the security check stays
// out of the way unless a test wants it.
func lvsOpts() Options {
	f := newFakeSys()
	for p, e := range f.files {
		if e.mode&syscall.S_IFMT == syscall.S_IFREG {
			delete(f.files, p)
		}
	}
	return Options{Scripts: f.env()}
}

func lvsLoad(t *testing.T, text string) (*Config, *Diagnostics) {
	t.Helper()
	return loadFiles(t, map[string]string{"etc/keepalived/keepalived.conf": text}, lvsOpts())
}

// oneVS loads text and returns its only virtual server.
func oneVS(t *testing.T, text string) (*VirtualServer, *Diagnostics) {
	t.Helper()
	cfg, ds := lvsLoad(t, text)
	if len(cfg.VirtualServers) != 1 {
		t.Fatalf("want 1 virtual server, got %d\n%s", len(cfg.VirtualServers), dump(ds))
	}
	return cfg.VirtualServers[0], ds
}

// vsText wraps keywords in a complete TCP/NAT/rr virtual server with one
// real server holding rsBody.
func vsText(vsBody, rsBody string) string {
	return "virtual_server 10.0.0.1 80 {\n protocol TCP\n lvs_sched rr\n lvs_method NAT\n" + vsBody +
		"\n real_server 192.168.1.1 80 {\n" + rsBody + "\n }\n}\n"
}

func noDiag(t *testing.T, ds *Diagnostics, not string) {
	t.Helper()
	for _, d := range ds.List {
		if strings.Contains(d.Msg, not) && !isUnsupportedNotice(d) {
			t.Fatalf("unexpected diagnostic %q", d.String())
		}
	}
}

func wantPos(t *testing.T, d Diagnostic, line, col int) {
	t.Helper()
	if d.Pos.File != "/etc/keepalived/keepalived.conf" || d.Pos.Line != line || d.Pos.Col != col {
		t.Fatalf("diagnostic %q at %v, want line %d col %d", d.Msg, d.Pos, line, col)
	}
}

// ---------------------------------------------------------------------
// samples

func TestLVSSamplesVerdict(t *testing.T) {
	// LVS-only samples and keepalived 2.2.7's --config-test code
	// (samples-config-test.md, rc katest).
	want := map[string]int{
		"keepalived.conf.HTTP_GET.port":        0,
		"keepalived.conf.IPv6":                 0,
		"keepalived.conf.PING_CHECK":           0,
		"keepalived.conf.SMTP_CHECK":           0,
		"keepalived.conf.UDP_CHECK":            0,
		"keepalived.conf.fwmark":               5,
		"keepalived.conf.inhibit":              0,
		"keepalived.conf.misc_check":           0,
		"keepalived.conf.misc_check_arg":       0,
		"keepalived.conf.quorum":               0,
		"keepalived.conf.status_code":          0,
		"keepalived.conf.virtual_server_group": 0,
		"keepalived.conf.virtualhost":          0,
	}
	for name, rc := range want {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(testenv.Sample(t, name))
			if err != nil {
				t.Fatal(err)
			}
			cfg, ds := lvsLoad(t, string(b))
			if ds.ExitCode() != rc {
				t.Fatalf("rc %d, want %d\n%s", ds.ExitCode(), rc, dump(ds))
			}
			if len(cfg.VirtualServers) == 0 {
				t.Fatal("no virtual servers")
			}
			if name == "keepalived.conf.fwmark" {
				d := mustHave(t, ds, "Warning: Virtual server FWM 1: protocol specified for fwmark - protocol will be ignored")
				if d.Kind == syntax.Info {
					t.Fatal("fwmark warning must count")
				}
			}
		})
	}
}

// ---------------------------------------------------------------------
// virtual_server header and defaults

func TestVSHeader(t *testing.T) {
	vs, ds := oneVS(t, vsText("", ""))
	mustBeClean(t, ds)
	if vs.Addr != netip.MustParseAddr("10.0.0.1") || vs.Port != 80 || vs.Family != LVSInet || vs.Protocol != LVSTCP {
		t.Fatalf("header: %+v", vs)
	}

	vs, ds = oneVS(t, "virtual_server 2001:db8::1 443 {\n protocol tcp\n lb_algo wrr\n lb_kind DR\n real_server 2001:db8::10 443 {\n }\n}\n")
	mustBeClean(t, ds)
	if vs.Family != LVSInet6 || vs.Scheduler != "wrr" || vs.Forwarding.Method != "DR" || vs.Protocol != LVSTCP {
		t.Fatalf("ipv6: %+v", vs)
	}

	vs, ds = oneVS(t, "virtual_server fwmark 7 {\n lb_algo rr\n lb_kind NAT\n real_server 10.1.1.1 {\n }\n}\n")
	mustBeClean(t, ds)
	if !vs.IsFWMark() || vs.FWMark != 7 || vs.Protocol != "" || vs.Family != LVSInet {
		t.Fatalf("fwmark: %+v", vs)
	}

	// port 0 without persistence
	vs, ds = oneVS(t, "virtual_server 10.0.0.1 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.1.1.1 80 {\n }\n}\n")
	d := mustHave(t, ds, "Virtual server [10.0.0.1]:tcp:0: zero port only valid for persistent services - setting")
	wantPos(t, d, 1, 1)
	if vs.PersistenceTimeout != 360 || ds.ExitCode() != 5 {
		t.Fatalf("zero port: timeout %d rc %d", vs.PersistenceTimeout, ds.ExitCode())
	}
	// "0" and "00" are no port
	vs, _ = oneVS(t, "virtual_server 10.0.0.1 00 {\n protocol TCP\n persistence_timeout\n lb_algo rr\n lb_kind NAT\n real_server 10.1.1.1 80 {\n }\n}\n")
	if vs.Port != 0 || vs.PersistenceTimeout != 360 {
		t.Fatalf("port 00: %+v", vs)
	}
}

func TestVSHeaderErrors(t *testing.T) {
	tests := []struct {
		text string
		msgs []string
	}{
		{"virtual_server 10.0.0 80 {\n real_server 1.1.1.1 80 {\n }\n}\n",
			[]string{"Invalid virtual server IP address/port 10.0.0/80 - skipping"}},
		{"virtual_server 10.0.0.1 70000 {\n}\n",
			[]string{"number '70000' outside range [1, 65535]", "Invalid virtual server IP address/port 10.0.0.1/70000 - skipping"}},
		{"virtual_server fwmark x {\n}\n",
			[]string{"invalid number 'x'", "virtual server fwmark 'x' must be in [0, 4294967295] - ignoring"}},
		// keepalived 2.2.7 crashes on it; we stop as at any unchecked
		// missing parameter (exit 2)
		{"virtual_server fwmark {\n}\n", []string{"is missing a parameter after keyword `fwmark` at word position 3"}},
		{"virtual_server fe80::1%eth0 80 {\n}\n", []string{"Invalid virtual server IP address/port fe80::1%eth0/80 - skipping"}},
	}
	for _, tt := range tests {
		cfg, ds := lvsLoad(t, tt.text)
		for _, m := range tt.msgs {
			mustHave(t, ds, m)
		}
		rc := ExitErrors
		if strings.Contains(tt.msgs[0], "missing a parameter") {
			rc = ExitConfig
		}
		if len(cfg.VirtualServers) != 0 || ds.ExitCode() != rc {
			t.Fatalf("%q: %d servers, rc %d", tt.text, len(cfg.VirtualServers), ds.ExitCode())
		}
	}
}

func TestVSDefaultsMessages(t *testing.T) {
	vs, ds := oneVS(t, "virtual_server 10.0.0.1 80 {\n real_server 10.1.1.1 80 {\n }\n}\n")
	for _, m := range []string{
		"Virtual server [10.0.0.1]:none:80: no protocol set - defaulting to UDP",
		"Virtual server [10.0.0.1]:udp:80: no scheduler set, setting default 'wlc'",
		"Virtual server [10.0.0.1]:udp:80: no forwarding method set, setting default NAT",
	} {
		d := mustHave(t, ds, m)
		wantPos(t, d, 1, 1)
	}
	if vs.Protocol != LVSUDP || vs.Scheduler != "wlc" || vs.Forwarding.Method != "NAT" || vs.RealServers[0].Forwarding.Method != "NAT" {
		t.Fatalf("defaults: %+v", vs)
	}
	if vs.Quorum != 1 || vs.Hysteresis != 0 || vs.Weight != 1 || vs.DelayLoop != 60*time.Second || vs.ConnectTimeout != 5*time.Second {
		t.Fatalf("defaults: %+v", vs)
	}
	if vs.SMTPAlert || !vs.RealServers[0].SMTPAlert || vs.RealServers[0].Weight != 1 {
		t.Fatalf("smtp_alert/weight defaults: vs %v rs %+v", vs.SMTPAlert, vs.RealServers[0])
	}
}

func TestVSNoRealServers(t *testing.T) {
	cfg, ds := lvsLoad(t, "virtual_server 10.0.0.1 80 {\n protocol TCP\n}\n")
	mustHave(t, ds, "Virtual server [10.0.0.1]:tcp:80 has no real servers - ignoring")
	if len(cfg.VirtualServers) != 0 || ds.ExitCode() != 5 {
		t.Fatal("virtual server without real servers kept")
	}
}

func TestVSScheduler(t *testing.T) {
	for _, s := range []string{"rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf", "lblcr", "sed", "nq", "twos"} {
		for _, k := range []string{"lvs_sched", "lb_algo"} {
			vs, ds := oneVS(t, "virtual_server 10.0.0.1 80 {\n protocol TCP\n lvs_method NAT\n "+k+" "+s+"\n real_server 10.1.1.1 80 {\n }\n}\n")
			mustBeClean(t, ds)
			if vs.Scheduler != s {
				t.Fatalf("%s %s: got %q", k, s, vs.Scheduler)
			}
		}
	}
	vs, ds := oneVS(t, vsText(" lvs_sched foo", ""))
	d := mustHave(t, ds, "Invalid lvs_scheduler 'foo' - ignoring")
	wantPos(t, d, 5, 12)
	if vs.Scheduler != "rr" {
		t.Fatalf("invalid scheduler replaced %q", vs.Scheduler)
	}
	_, ds = oneVS(t, vsText(" lvs_sched RR", ""))
	mustHave(t, ds, "Invalid lvs_scheduler 'RR' - ignoring")
}

func TestVSSchedFlagsOrder(t *testing.T) {
	tests := []struct {
		body string
		want SchedFlags
		errs []string
	}{
		{" lvs_sched sh\n sh-port\n sh-fallback", SchedFlags{SHPort: true, SHFallback: true}, nil},
		{" lvs_sched mh\n mh-port\n mh-fallback\n sh-port", SchedFlags{MHPort: true, MHFallback: true}, nil},
		{" sh-port\n lvs_sched sh\n hashed\n sh-fallback", SchedFlags{SHFallback: true}, []string{"sh-port only applies to sh scheduler - ignoring"}},
		{" hashed", SchedFlags{}, []string{"hashed only applies to sh scheduler - ignoring"}},
		{" mh-port", SchedFlags{}, []string{"mh-port only applies to sh scheduler - ignoring"}},
		{" flag-1\n flag-2\n flag-3", SchedFlags{Flag1: true, Flag2: true, Flag3: true}, nil},
	}
	for _, tt := range tests {
		vs, ds := oneVS(t, vsText(tt.body, ""))
		for _, e := range tt.errs {
			mustHave(t, ds, e)
		}
		if len(tt.errs) == 0 {
			mustBeClean(t, ds)
		}
		if vs.Flags != tt.want {
			t.Fatalf("%q: flags %+v want %+v", tt.body, vs.Flags, tt.want)
		}
	}
	if (SchedFlags{SHPort: true, SHFallback: true, OnePacket: true}).Bits() != 0x1c {
		t.Fatal("bits")
	}
	// ops requires UDP
	vs, ds := oneVS(t, vsText(" ops", ""))
	mustHave(t, ds, "Virtual server [10.0.0.1]:tcp:80: one packet scheduling requires UDP - resetting")
	if vs.Flags.OnePacket {
		t.Fatal("ops kept on TCP")
	}
	vs, ds = oneVS(t, "virtual_server 10.0.0.1 53 {\n protocol udp\n lb_algo rr\n lb_kind NAT\n ops\n real_server 10.1.1.1 53 {\n }\n}\n")
	mustBeClean(t, ds)
	if !vs.Flags.OnePacket {
		t.Fatal("ops lost on UDP")
	}
}

func TestVSForwarding(t *testing.T) {
	tests := []struct {
		args string
		want Forwarding
		err  string
	}{
		{"NAT", Forwarding{Method: "NAT", TunnelType: "ipip", TunnelCsum: "nocsum"}, ""},
		{"DR", Forwarding{Method: "DR", TunnelType: "ipip", TunnelCsum: "nocsum"}, ""},
		{"TUN", Forwarding{Method: "TUN", TunnelType: "ipip", TunnelCsum: "nocsum"}, ""},
		{"TUN type gue port 5555 csum", Forwarding{Method: "TUN", TunnelType: "gue", TunnelPort: 5555, TunnelCsum: "csum"}, ""},
		{"TUN type gue port 5555 remcsum", Forwarding{Method: "TUN", TunnelType: "gue", TunnelPort: 5555, TunnelCsum: "remcsum"}, ""},
		{"TUN type gre csum", Forwarding{Method: "TUN", TunnelType: "gre", TunnelCsum: "csum"}, ""},
		{"TUN type gue", Forwarding{Method: "TUN"}, "gue tunnels require port, otherwise cannot have port."},
		{"TUN port 80", Forwarding{Method: "TUN"}, "gue tunnels require port, otherwise cannot have port."},
		{"TUN type ipip csum", Forwarding{Method: "TUN"}, "ipip tunnels do not support checksum option."},
		{"TUN type gre remcsum", Forwarding{Method: "TUN"}, "gre tunnels do not support remote checksum option."},
		{"TUN type vxlan", Forwarding{Method: "TUN"}, "Unknown tunnel type vxlan for virtual server."},
		{"TUN type", Forwarding{Method: "TUN"}, "Missing tunnel type for virtual server."},
		{"TUN type gue port 0", Forwarding{Method: "TUN"}, "Invalid gue tunnel port 0 for virtual server."},
		{"TUN bogus", Forwarding{Method: "TUN"}, "Invalid tunnel option bogus for virtual server."},
		{"MASQ", Forwarding{}, "PARSER : unknown [MASQ] routing method for virtual server."},
	}
	for _, tt := range tests {
		text := "virtual_server fwmark 1 {\n lb_algo rr\n lvs_method " + tt.args + "\n real_server 10.1.1.1 {\n }\n}\n"
		cfg, ds := lvsLoad(t, text)
		if tt.err != "" {
			mustHave(t, ds, tt.err)
		} else {
			mustBeClean(t, ds)
		}
		vs := cfg.VirtualServers[0]
		got := vs.Forwarding
		if tt.want.Method == "" {
			// an unknown method leaves it unset: NAT by default later
			if got.Method != "NAT" {
				t.Fatalf("%q: %+v", tt.args, got)
			}
			continue
		}
		if got != tt.want {
			t.Fatalf("%q: got %+v want %+v", tt.args, got, tt.want)
		}
	}
	// sorry server and real server methods
	vs, ds := oneVS(t, "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n sorry_server 10.9.9.9 80\n sorry_server_lvs_method TUN\n sorry_server_inhibit\n real_server 10.1.1.1 80 {\n lvs_method TUN type gre\n }\n}\n")
	mustBeClean(t, ds)
	if vs.SorryServer.Forwarding.Method != "TUN" || !vs.SorryServer.Inhibit || vs.RealServers[0].Forwarding.TunnelType != "gre" {
		t.Fatalf("sorry/rs forwarding: %+v %+v", vs.SorryServer, vs.RealServers[0].Forwarding)
	}
	_, ds = oneVS(t, vsText(" sorry_server_inhibit\n sorry_server_lvs_method DR", ""))
	mustHave(t, ds, "Ignoring sorry_server inhibit used before or without sorry_server")
	mustHave(t, ds, "sorry_server forwarding used without sorry_server")
}

func TestVSPersistence(t *testing.T) {
	tests := []struct {
		body    string
		timeout uint32
		gran    *Granularity
		errs    []string
	}{
		{" persistence_timeout", 360, nil, nil},
		{" persistence_timeout 1", 1, nil, nil},
		{" persistence_timeout 2678400", 2678400, nil, nil},
		{" persistence_timeout 2678401", 0, nil, []string{"number '2678401' outside range [1, 2678400]", "persistence_timeout invalid"}},
		{" persistence_timeout 0", 0, nil, []string{"number '0' outside range [1, 2678400]"}},
		{" persistence_timeout -5", 0, nil, []string{"negative number '-5'"}},
		{" persistence_granularity 255.255.255.0", 360, &Granularity{Mask: netip.MustParseAddr("255.255.255.0"), PrefixLen: 24}, nil},
		{" persistence_timeout 50\n persistence_granularity 255.0.255.0", 50, &Granularity{Mask: netip.MustParseAddr("255.0.255.0"), PrefixLen: -1}, nil},
		{" persistence_granularity 24", 0, nil, []string{"Invalid IPv4 persistence_granularity specified - 24"}},
		{" persistence_engine sip", 0, nil, nil},
	}
	for _, tt := range tests {
		vs, ds := oneVS(t, vsText(tt.body, ""))
		for _, e := range tt.errs {
			mustHave(t, ds, e)
		}
		if len(tt.errs) == 0 {
			mustBeClean(t, ds)
		}
		if vs.PersistenceTimeout != tt.timeout {
			t.Fatalf("%q: timeout %d want %d", tt.body, vs.PersistenceTimeout, tt.timeout)
		}
		if (vs.PersistenceGranularity == nil) != (tt.gran == nil) || tt.gran != nil && *vs.PersistenceGranularity != *tt.gran {
			t.Fatalf("%q: granularity %+v", tt.body, vs.PersistenceGranularity)
		}
	}
	vs, ds := oneVS(t, "virtual_server 2001:db8::1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n persistence_granularity 64\n real_server 2001:db8::2 80 {\n }\n}\n")
	mustBeClean(t, ds)
	if vs.PersistenceGranularity.PrefixLen != 64 || vs.PersistenceTimeout != 360 {
		t.Fatalf("ipv6 granularity %+v", vs.PersistenceGranularity)
	}
	_, ds = oneVS(t, "virtual_server 2001:db8::1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n persistence_granularity 129\n real_server 2001:db8::2 80 {\n }\n}\n")
	mustHave(t, ds, "Invalid IPv6 persistence_granularity specified - 129")
	vs, _ = oneVS(t, vsText(" persistence_engine abcdefghijklmnopq", ""))
	if vs.PersistenceEngine != "abcdefghijklmno" {
		t.Fatalf("engine %q", vs.PersistenceEngine)
	}
}

func TestVSProtocol(t *testing.T) {
	for in, want := range map[string]LVSProtocol{"TCP": LVSTCP, "tcp": LVSTCP, "Udp": LVSUDP, "sctp": LVSSCTP} {
		vs, ds := oneVS(t, "virtual_server 10.0.0.1 80 {\n protocol "+in+"\n lb_algo rr\n lb_kind NAT\n real_server 10.1.1.1 80 {\n }\n}\n")
		mustBeClean(t, ds)
		if vs.Protocol != want {
			t.Fatalf("%s: %q", in, vs.Protocol)
		}
	}
	_, ds := oneVS(t, vsText(" protocol ICMP", ""))
	mustHave(t, ds, "Unknown protocol ICMP - ignoring")
}

func TestVSQuorumHysteresis(t *testing.T) {
	text := "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n quorum 5\n hysteresis 7\n" +
		" real_server 10.1.1.1 80 {\n }\n real_server 10.1.1.2 80 {\n }\n}\n"
	vs, ds := oneVS(t, text)
	mustHave(t, ds, "Warning - quorum 5 for [10.0.0.1]:tcp:80 exceeds total weight of real servers 2, reducing quorum to 2")
	mustHave(t, ds, "Virtual server [10.0.0.1]:tcp:80: hysteresis 7 >= quorum 2; setting hysteresis to 1")
	if vs.Quorum != 2 || vs.Hysteresis != 1 {
		t.Fatalf("quorum %d hysteresis %d", vs.Quorum, vs.Hysteresis)
	}
	vs, ds = oneVS(t, vsText(" quorum 0", ""))
	mustHave(t, ds, "Quorum 0 must be in [1, 4294967295]. Setting to 1.")
	if vs.Quorum != 1 {
		t.Fatal(vs.Quorum)
	}
	vs, ds = oneVS(t, vsText(" hysteresis x", ""))
	mustHave(t, ds, "Hysteresis x must be in [0, 4294967295] - ignoring")
	// all weights 0: quorum 0, and keepalived's unsigned quorum-1 wraps
	vs, ds = oneVS(t, vsText("", " weight 0"))
	mustHave(t, ds, "reducing quorum to 0")
	mustHave(t, ds, "hysteresis 0 >= quorum 0; setting hysteresis to 4294967295")
	if vs.Quorum != 0 || vs.Hysteresis != 4294967295 {
		t.Fatalf("quorum %d hysteresis %d", vs.Quorum, vs.Hysteresis)
	}
	vs, ds = oneVS(t, vsText(" quorum 3\n hysteresis 1", " weight 2"))
	mustHave(t, ds, "reducing quorum to 2")
	noDiag(t, ds, "hysteresis 1 >= quorum")
	if vs.Quorum != 2 || vs.Hysteresis != 1 {
		t.Fatalf("quorum %d hysteresis %d", vs.Quorum, vs.Hysteresis)
	}
}

func TestVSMiscKeywords(t *testing.T) {
	body := " ha_suspend\n virtualhost www.example.com\n alpha\n omega\n weight 3\n smtp_alert off\n snmp_name web\n inhibit_on_failure\n ip_family inet\n" +
		" quorum_up \"/bin/up arg\"\n quorum_down /bin/down"
	vs, ds := oneVS(t, vsText(body, ""))
	mustBeClean(t, ds)
	if !vs.HASuspend || vs.Virtualhost != "www.example.com" || !vs.Alpha || !vs.Omega || vs.Weight != 3 || vs.SMTPAlert ||
		vs.SNMPName != "web" || !vs.InhibitOnFailure || vs.IPFamily != LVSInet {
		t.Fatalf("keywords: %+v", vs)
	}
	rs := vs.RealServers[0]
	if rs.Weight != 3 || !rs.Alpha || !rs.InhibitOnFailure {
		t.Fatalf("rs inherits: %+v", rs)
	}
	if vs.QuorumUp == nil || strings.Join(vs.QuorumUp.Argv, "|") != "/bin/up|arg" || vs.QuorumDown.Argv[0] != "/bin/down" {
		t.Fatalf("quorum scripts %+v %+v", vs.QuorumUp, vs.QuorumDown)
	}
	_, ds = oneVS(t, vsText(" quorum_up /bin/a\n quorum_up /bin/b", ""))
	mustHave(t, ds, "((null)) quorum_up script already specified - ignoring /bin/b")
	_, ds = oneVS(t, vsText(" weight 0", ""))
	mustHave(t, ds, "Virtual server weight 0 is outside range 1-2147483647")
	_, ds = oneVS(t, vsText(" smtp_alert maybe", ""))
	mustHave(t, ds, "Invalid virtual_server smtp_alert parameter maybe")
	_, ds = oneVS(t, vsText(" ip_family inet6", ""))
	mustHave(t, ds, "Virtual server specified family inet6 conflicts with server family")
	_, ds = oneVS(t, vsText(" snmp_name a b", ""))
	mustHave(t, ds, "virtual server snmp_name missing or extra parameters")
	_, ds = oneVS(t, vsText(" virtualhost", ""))
	mustHave(t, ds, "virtual server virtualhost missing")

	vs, ds = oneVS(t, "virtual_server fwmark 1 {\n lb_algo rr\n lb_kind DR\n ha_suspend\n real_server 10.1.1.1 {\n }\n}\n")
	mustHave(t, ds, "Virtual server FWM 1: cannot use ha_suspend with fwmarks - clearing ha_suspend")
	if vs.HASuspend {
		t.Fatal("ha_suspend kept")
	}
}

func TestVSTimers(t *testing.T) {
	tests := []struct {
		body string
		errs []string
	}{
		{" delay_loop 0", []string{"number '0' outside range [0.000001, 18446744073709.551614]", "virtual server delay loop '0' invalid - ignoring"}},
		{" delay_loop 1.5", nil},
		{" delay_loop 1.1234567", []string{"number '1.1234567' has too many decimal places"}},
		{" delay_loop abc", []string{"invalid number 'abc'", "virtual server delay loop 'abc' invalid - ignoring"}},
		{" connect_timeout 4294.967295", nil},
		{" connect_timeout 4294.967296", []string{"number '4294.967296' outside range [0.000001, 4294.967295]", "virtual server connect_timeout 4294.967296 invalid - ignoring"}},
		{" connect_timeout 0.5", nil}, // keepalived's lower bound is 1 µs
		{" retry 0", []string{"number '0' outside range [1, 4294967295]", "retry value invalid - 0"}},
		{" warmup -1", []string{"negative number '-1'", "virtual server warmup '-1' invalid - ignoring"}},
		{" delay_before_retry 0", nil},
	}
	for _, tt := range tests {
		_, ds := oneVS(t, vsText(tt.body, ""))
		for _, e := range tt.errs {
			mustHave(t, ds, e)
		}
		if len(tt.errs) == 0 {
			mustBeClean(t, ds)
		}
	}
	vs, _ := oneVS(t, vsText(" delay_loop 1.1234567", ""))
	if vs.DelayLoop != 1123457*time.Microsecond {
		t.Fatalf("rounded delay_loop %v", vs.DelayLoop)
	}
}

// ---------------------------------------------------------------------
// real_server

func TestRSPorts(t *testing.T) {
	// NAT: no port takes the VS port
	vs, ds := oneVS(t, "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.1.1.1 {\n }\n real_server 10.1.1.2 8080 {\n }\n}\n")
	mustBeClean(t, ds)
	if vs.RealServers[0].Port != 80 || vs.RealServers[0].ConfiguredPort != 0 || vs.RealServers[1].Port != 8080 {
		t.Fatalf("NAT ports %+v %+v", vs.RealServers[0], vs.RealServers[1])
	}
	// DR: a different port is reset with a warning
	vs, ds = oneVS(t, "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n real_server 10.1.1.1 8080 {\n }\n}\n")
	d := mustHave(t, ds, "WARNING - virtual server [10.0.0.1]:tcp:80 and real server [10.1.1.1]:tcp:8080 ports don't match - resetting")
	wantPos(t, d, 5, 2)
	if vs.RealServers[0].Port != 80 {
		t.Fatal("DR port not reset")
	}
	// fwmark: a port is cleared unless NAT
	vs, ds = oneVS(t, "virtual_server fwmark 3 {\n lb_algo rr\n lb_kind TUN\n real_server 10.1.1.1 80 {\n }\n}\n")
	mustHave(t, ds, "WARNING - fwmark virtual server FWM 3, real server [10.1.1.1]:none:80 has port specified - clearing")
	if vs.RealServers[0].Port != 0 {
		t.Fatal("fwmark port not cleared")
	}
	vs, ds = oneVS(t, "virtual_server fwmark 3 {\n lb_algo rr\n lb_kind NAT\n real_server 10.1.1.1 80 {\n }\n}\n")
	mustBeClean(t, ds)
	if vs.RealServers[0].Port != 80 {
		t.Fatal("fwmark NAT port cleared")
	}
}

func TestRSDuplicatesAndFamilies(t *testing.T) {
	vs, ds := oneVS(t, vsText("", "")+"")
	mustBeClean(t, ds)
	text := "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.1.1.1 80 {\n }\n real_server 10.1.1.1 80 {\n weight 5\n }\n}\n"
	vs, ds = oneVS(t, text)
	d := mustHave(t, ds, "VS [10.0.0.1]:tcp:80: real server [10.1.1.1]:tcp:80 is duplicated - removing second rs")
	wantPos(t, d, 7, 2)
	if len(vs.RealServers) != 1 || vs.RealServers[0].Weight != 1 {
		t.Fatalf("duplicate kept: %d", len(vs.RealServers))
	}
	// family mismatch unless tunnelled
	vs, ds = oneVS(t, "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 2001:db8::1 80 {\n }\n real_server 2001:db8::2 80 {\n lvs_method TUN\n }\n real_server 10.1.1.1 80 {\n }\n}\n")
	mustHave(t, ds, "Address family of virtual server and real server 2001:db8::1 don't match - skipping real server.")
	noDiag(t, ds, "2001:db8::2 don't match")
	if len(vs.RealServers) != 2 {
		t.Fatalf("%d real servers", len(vs.RealServers))
	}
	// fwmark family from the real servers; tunnelled mix defaults inet
	vs, _ = oneVS(t, "virtual_server fwmark 1 {\n lb_algo rr\n lb_kind TUN\n real_server 2001:db8::1 {\n }\n}\n")
	if vs.Family != LVSInet6 {
		t.Fatalf("family %q", vs.Family)
	}
	vs, _ = oneVS(t, "virtual_server fwmark 1 {\n lb_algo rr\n lb_kind TUN\n real_server 2001:db8::1 {\n }\n real_server 10.0.0.1 {\n }\n}\n")
	if vs.Family != LVSInet {
		t.Fatalf("mixed family %q", vs.Family)
	}
	// invalid real server
	_, ds = lvsLoad(t, vsText("", "")+"virtual_server 10.0.0.2 80 {\n protocol TCP\n real_server 10.1.1 80 {\n weight 2\n }\n}\n")
	mustHave(t, ds, "Invalid real server ip address/port 10.1.1/80 - skipping")
	mustHave(t, ds, "Virtual server [10.0.0.2]:tcp:80 has no real servers - ignoring")
}

func TestRSKeywords(t *testing.T) {
	rsBody := "  weight 2\n  uthreshold 100\n  lthreshold 10\n  inhibit_on_failure\n  alpha no\n  smtp_alert false\n  virtualhost rs.example\n  snmp_name r1\n" +
		"  notify_up \"/bin/up x\"\n  notify_down /bin/down\n  retry 4\n  delay_before_retry 2\n  warmup 7\n  connect_timeout 3\n  delay_loop 9"
	vs, ds := oneVS(t, vsText(" alpha", rsBody))
	mustBeClean(t, ds)
	rs := vs.RealServers[0]
	if rs.Weight != 2 || !rs.WeightSet || rs.UThreshold != 100 || rs.LThreshold != 10 || !rs.InhibitOnFailure || rs.Alpha ||
		rs.SMTPAlert || rs.Virtualhost != "rs.example" || rs.SNMPName != "r1" {
		t.Fatalf("rs: %+v", rs)
	}
	if *rs.Retry != 4 || *rs.DelayBeforeRetry != 2*time.Second || *rs.Warmup != 7*time.Second || rs.ConnectTimeout != 3*time.Second || rs.DelayLoop != 9*time.Second {
		t.Fatalf("rs timing: %+v", rs)
	}
	if rs.NotifyUp == nil || strings.Join(rs.NotifyUp.Argv, " ") != "/bin/up x" || rs.NotifyDown.Argv[0] != "/bin/down" {
		t.Fatalf("notify %+v %+v", rs.NotifyUp, rs.NotifyDown)
	}
	tests := []struct{ body, msg string }{
		{"weight 2147483648", "Real server weight 2147483648 is outside range 0-2147483647"},
		{"weight -1", "negative number '-1'"},
		{"uthreshold x", "Invalid real_server uthreshold 'x' - ignoring"},
		{"lthreshold x", "Invalid real_server lthreshold 'x' - ignoring"},
		{"inhibit_on_failure 2", "Invalid inhibit_on_failure parameter 2"},
		{"alpha 2", "Invalid alpha parameter 2"},
		{"smtp_alert 2", "Invalid real_server smtp_alert parameter 2"},
		{"retry 0", "retry value invalid - 0"},
		{"delay_loop 0", "real server delay_loop '0' invalid - ignoring"},
		{"connect_timeout 0", "real server connect_timeout 0 invalid - ignoring"},
		{"warmup -1", "real server warmup '-1' invalid - ignoring"},
		{"delay_before_retry -1", "real server delay_before_retry '-1' invalid - ignoring"},
		{"virtualhost", "real server virtualhost missing"},
		{"snmp_name", "real server snmp_name missing or extra parameters"},
		{"notify_up /a\n notify_up /b", "((null)) notify_up script already specified - ignoring /b"},
		{"lb_kind DR", "Unknown keyword 'lb_kind'"},
	}
	for _, tt := range tests {
		_, ds := oneVS(t, vsText("", tt.body))
		mustHave(t, ds, tt.msg)
	}
}

func TestSorryServer(t *testing.T) {
	vs, ds := oneVS(t, vsText(" sorry_server 10.9.9.9", ""))
	mustBeClean(t, ds)
	if ss := vs.SorryServer; ss == nil || ss.Addr != netip.MustParseAddr("10.9.9.9") || ss.Port != 0 || ss.Forwarding.Method != "NAT" {
		t.Fatalf("sorry %+v", vs.SorryServer)
	}
	_, ds = oneVS(t, vsText(" sorry_server 10.9.9", ""))
	mustHave(t, ds, "Invalid sorry server IP address 10.9.9 - skipping")
	vs, ds = oneVS(t, vsText(" sorry_server 2001:db8::1 80", ""))
	mustHave(t, ds, "Address family of virtual server and sorry server 2001:db8::1 don't match - skipping sorry server.")
	if vs.SorryServer != nil {
		t.Fatal("sorry server kept")
	}
	vs, ds = oneVS(t, vsText(" sorry_server 192.168.1.1 80\n sorry_server_inhibit", " inhibit_on_failure off"))
	mustHave(t, ds, "real server [192.168.1.1]:tcp:80 matches sorry server, but inhibit setting differs, clearing on sorry server")
	if vs.SorryServer.Inhibit || !vs.SorryServerIsRS {
		t.Fatal("inhibit not cleared")
	}
	vs, ds = oneVS(t, "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n sorry_server 10.9.9.9 81\n real_server 10.1.1.1 80 {\n }\n}\n")
	mustHave(t, ds, "WARNING - virtual server [10.0.0.1]:tcp:80 and sorry server ports don't match - resetting")
	if vs.SorryServer.Port != 80 {
		t.Fatal("sorry port")
	}
}

// ---------------------------------------------------------------------
// inheritance

func TestTimingInheritance(t *testing.T) {
	type want struct {
		retry             uint32
		dbr, warmup, loop time.Duration
		conn              time.Duration
	}
	tests := []struct {
		name          string
		vs, rs, check string
		typ           string
		want          want
	}{
		{"tcp defaults", "", "", "", "TCP_CHECK", want{1, time.Second, 60 * time.Second, 60 * time.Second, 5 * time.Second}},
		{"http defaults", "", "", "url {\npath /\n}", "HTTP_GET", want{1, 3 * time.Second, 60 * time.Second, 60 * time.Second, 5 * time.Second}},
		{"ssl defaults", "", "", "url {\npath /\n}", "SSL_GET", want{1, 3 * time.Second, 60 * time.Second, 60 * time.Second, 5 * time.Second}},
		{"dns defaults", " delay_loop 10", "", "", "DNS_CHECK", want{3, 10 * time.Second, 10 * time.Second, 10 * time.Second, 5 * time.Second}},
		{"misc defaults", "", "", "misc_path /bin/true", "MISC_CHECK", want{0, time.Second, 60 * time.Second, 60 * time.Second, 0}},
		{"udp/ping/smtp default 1", "", "", "", "PING_CHECK", want{1, time.Second, 60 * time.Second, 60 * time.Second, 5 * time.Second}},
		{"vs level", " retry 5\n delay_before_retry 7\n warmup 2\n delay_loop 20\n connect_timeout 9", "", "", "TCP_CHECK",
			want{5, 7 * time.Second, 2 * time.Second, 20 * time.Second, 9 * time.Second}},
		{"rs over vs", " retry 5\n delay_before_retry 7\n warmup 2\n delay_loop 20\n connect_timeout 9", "retry 6\n delay_before_retry 8\n warmup 3\n delay_loop 21\n connect_timeout 10", "misc_path /bin/true", "MISC_CHECK",
			want{6, 8 * time.Second, 3 * time.Second, 21 * time.Second, 0}},
		{"checker over rs", " retry 5", "retry 6\n delay_loop 21", "retry 0\n delay_before_retry 0\n warmup 0\n delay_loop 4\n connect_timeout 1.5", "TCP_CHECK",
			want{0, 0, 0, 4 * time.Second, 1500 * time.Millisecond}},
		{"warmup follows checker delay_loop", " delay_loop 20", "", "delay_loop 4", "TCP_CHECK", want{1, time.Second, 4 * time.Second, 4 * time.Second, 5 * time.Second}},
		{"dns dbr follows checker delay_loop", "", "", "delay_loop 4", "DNS_CHECK", want{3, 4 * time.Second, 4 * time.Second, 4 * time.Second, 5 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs, ds := oneVS(t, vsText(tt.vs, tt.rs+"\n "+tt.typ+" {\n"+tt.check+"\n }"))
			mustBeClean(t, ds)
			cs := vs.RealServers[0].Checkers
			if len(cs) != 1 {
				t.Fatalf("%d checkers", len(cs))
			}
			c := cs[0]
			got := want{c.Retry, c.DelayBeforeRetry, c.Warmup, c.DelayLoop, 0}
			if c.Conn != nil {
				got.conn = c.Conn.ConnectTimeout
			}
			if got != tt.want {
				t.Fatalf("got %+v want %+v", got, tt.want)
			}
		})
	}
	// alpha: checker, else real server, else virtual server
	vs, _ := oneVS(t, vsText(" alpha", " TCP_CHECK {\n }\n TCP_CHECK {\n alpha off\n }"))
	if cs := vs.RealServers[0].Checkers; !cs[0].Alpha || cs[1].Alpha {
		t.Fatal("alpha inheritance")
	}
	vs, _ = oneVS(t, vsText(" alpha", " alpha off\n TCP_CHECK {\n }\n TCP_CHECK {\n alpha\n log_all_failures\n }"))
	if cs := vs.RealServers[0].Checkers; cs[0].Alpha || !cs[1].Alpha || !cs[1].LogAllFailures {
		t.Fatal("alpha inheritance from rs")
	}
	// misc_timeout defaults to the VS delay_loop, not the checker's
	vs, _ = oneVS(t, vsText(" delay_loop 30", " MISC_CHECK {\n misc_path /bin/true\n delay_loop 5\n }\n MISC_CHECK {\n misc_path /bin/true\n misc_timeout 9\n }\n MISC_CHECK {\n misc_path /bin/true\n misc_timeout 0\n }"))
	cs := vs.RealServers[0].Checkers
	if cs[0].Misc.Timeout != 30*time.Second || cs[1].Misc.Timeout != 9*time.Second || cs[2].Misc.Timeout != 30*time.Second {
		t.Fatalf("misc timeouts %v %v %v", cs[0].Misc.Timeout, cs[1].Misc.Timeout, cs[2].Misc.Timeout)
	}
	if cs[0].Configured.DelayLoop == nil || cs[1].Configured.DelayLoop != nil {
		t.Fatal("raw configured values lost")
	}
}
