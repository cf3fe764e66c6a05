package conf

import (
	"strings"
	"testing"
)

// TestReloadRule: a reload applies what keepalived applies (warnings,
// fix-ups, unknown keywords) and refuses only a file that loses part of
// itself; Whole (reload_check_config, --strict) refuses any -t failure.
func TestReloadRule(t *testing.T) {
	const inst = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n priority 100\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n"
	const vs = "virtual_server 10.0.0.1 80 {\n lb_algo rr\n lb_kind NAT\n protocol TCP\n real_server 10.0.1.1 80 {\n  TCP_CHECK {\n  }\n }\n}\n"
	cases := []struct {
		name, text string
		exit       int    // -t verdict, for reference
		refusal    string // what the refusal names; "" applies
	}{
		{"clean", inst + vs, 0, ""},
		{"unknown keyword", "global_defs {\n foo_bar 1\n}\n" + inst, 5, ""},
		{"deprecated", "global_defs {\n lvs_sync_daemon_interface eth0\n}\n" + inst, 5, ""},
		{"out of range, fixed up", "global_defs {\n vrrp_garp_interval 0\n}\n" + inst, 5, ""},
		{"unknown keyword with a block", "vrrp_instanc VI_2 {\n interface eth0\n}\n" + inst, 5, "Unknown keyword 'vrrp_instanc'"},
		{"missing brace", strings.TrimSuffix(inst, "}\n"), 5, "missing '}'"},
		{"extra brace", inst + "}\n", 5, "Extra '}'"},
		{"unexpected block", "global_defs {\n router_id A {\n  x\n }\n}\n" + inst, 5, "Unexpected '{'"},
		{"VS without real servers", inst + "virtual_server 10.0.0.1 80 {\n lb_algo rr\n protocol TCP\n}\n", 5, "has no real servers - ignoring"},
		{"VS group not configured", inst + strings.Replace(vs, "virtual_server 10.0.0.1 80", "virtual_server group G1", 1), 0, "specified but not configured"},
		{"instance without VRID", strings.Replace(inst, " virtual_router_id 1\n", "", 1), 5, "the virtual router id must be set"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, ds := loadFiles(t, map[string]string{"etc/keepalived/keepalived.conf": c.text},
				Options{InterfaceExists: func(string) bool { return true }})
			if ds.ExitCode() != c.exit {
				t.Errorf("-t verdict %d, want %d:\n%s", ds.ExitCode(), c.exit, dump(ds))
			}
			got := ReloadRule{}.Refusals(ds)
			switch {
			case c.refusal == "" && len(got) > 0:
				t.Errorf("refused: %v", got)
			case c.refusal != "" && (len(got) == 0 || !strings.Contains(got[0].Msg, c.refusal)):
				t.Errorf("refusals %v, want one naming %q; all:\n%s", got, c.refusal, dump(ds))
			}
			whole := ReloadRule{Whole: true}.Refusals(ds)
			if (len(whole) > 0) != (c.exit != ExitOK || c.refusal != "") {
				t.Errorf("Whole: refusals %v for -t verdict %d", whole, c.exit)
			}
		})
	}
}

// TestReloadRuleMissingInterface: a file naming an interface that does not
// exist would not start the daemon, so it does not replace a running one.
func TestReloadRuleMissingInterface(t *testing.T) {
	_, ds := loadFiles(t, map[string]string{"etc/keepalived/keepalived.conf": "vrrp_instance VI_1 {\n interface eth9\n virtual_router_id 1\n}\n"},
		Options{InterfaceExists: func(n string) bool { return n != "eth9" }})
	if got := (ReloadRule{}).Refusals(ds); len(got) == 0 {
		t.Errorf("a missing interface is applied:\n%s", dump(ds))
	}
}

// TestReloadRuleCountsPastTheLimit: losses past MaxDiags still refuse.
func TestReloadRuleCountsPastTheLimit(t *testing.T) {
	var b strings.Builder
	for range MaxDiagsForTest + 10 {
		b.WriteString("foo_bar 1\n")
	}
	b.WriteString("global_defs {\n")
	_, ds := loadString(t, b.String())
	if ds.Suppressed == 0 {
		t.Fatalf("want messages past the limit, got %d", len(ds.List))
	}
	if got := (ReloadRule{}).Refusals(ds); len(got) == 0 {
		t.Error("a missing '}' after the message limit is applied")
	}
}
