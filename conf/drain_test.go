package conf

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The drain extension's timeout per virtual server: its own line, else
// the block's timeout; none without the block (keepalived's deletion).
func TestDrainTimeout(t *testing.T) {
	vs := func(head string) string {
		proto := " protocol TCP\n"
		if head == "fwmark 7" {
			proto = ""
		}
		return "virtual_server " + head + " {\n lb_algo rr\n lb_kind NAT\n" + proto + " real_server 10.9.0.2 80 {\n }\n}\n"
	}
	text := "virtual_server_group G {\n 10.9.1.1 80\n}\n" + vs("10.9.0.1 80") + vs("10.9.0.3 80") + vs("fwmark 7") + vs("group G") +
		"drain {\n timeout 30\n virtual_server 10.9.0.1 80 TCP timeout 60\n virtual_server fwmark 7 timeout 0\n virtual_server group G timeout 90\n}\n"
	p := filepath.Join(t.TempDir(), "keepalived.conf")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := Load(p, Options{ConfigID: "test"})
	if diags.ExitCode() != 0 {
		t.Fatalf("diagnostics: %v", diags.List)
	}
	want := []time.Duration{60 * time.Second, 30 * time.Second, 0, 90 * time.Second}
	if len(cfg.VirtualServers) != len(want) {
		t.Fatalf("%d virtual servers", len(cfg.VirtualServers))
	}
	for i, vs := range cfg.VirtualServers {
		if got := cfg.DrainTimeout(vs); got != want[i] {
			t.Errorf("%s: drain timeout %v, want %v", fmtVS(vs), got, want[i])
		}
	}
	cfg.Drain = nil
	if got := cfg.DrainTimeout(cfg.VirtualServers[0]); got != 0 {
		t.Errorf("without the block: %v, want 0", got)
	}
}
