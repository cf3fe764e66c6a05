package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeepalived/gokeepalived/cmd/gokeepalived/internal/configdiff"
	"github.com/gokeepalived/gokeepalived/cmd/gokeepalived/internal/netnstest"
)

// A confdiff case is a config checked by keepalived 2.2.7 and by us in a
// namespace with eth0..eth3 (or, with loOnly, only lo); the exit codes
// and the messages, as (line, text), must be the same.
type confdiff struct {
	name   string
	loOnly bool
	conf   string
}

// vi is a minimal valid instance body with extra lines.
func vi(name, extra string) string {
	return "vrrp_instance " + name + " {\n" + extra + "    virtual_ipaddress {\n        10.0.0.1/24\n    }\n}\n"
}

var confdiffs = []confdiff{
	// '\' outside a $NAME= definition is no continuation: glued to a word
	// it is part of it, alone it is a word, alone first an unknown keyword.
	{name: "backslash-glued", conf: "global_defs {\n    router_id a \\\n    script_user root\n}\n" +
		vi("VI_1", "    interface eth0\n    virtual_router_id 1 \\\n    priority 100\n")},
	{name: "backslash-alone", conf: "global_defs {\n    \\\n    router_id a\n    \\ foo\n}\n\\\n" +
		vi("VI_1", "    interface eth0\n    virtual_router_id 1\n    priority 100 \\\n")},

	// $NAME defined twice: the last wins, silently
	{name: "param-twice", conf: "$X=1\n$X=2\n" + vi("VI_1", "    interface eth0\n    virtual_router_id $X\n    priority 300\n")},

	// missing interfaces
	{name: "iface-instance", conf: vi("VI_1", "    interface eth9\n    virtual_router_id 1\n")},
	{name: "iface-instance-lo", loOnly: true, conf: vi("VI_1", "    interface eth0\n    virtual_router_id 1\n")},
}

func TestConfigTestMessagesMatchKeepalived(t *testing.T) {
	netnstest.Require(t, "keepalived")
	full := netnstest.New(t, "gkcdf", "eth0", "eth1", "eth2", "eth3")
	lo := netnstest.New(t, "gkcdl")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, c := range confdiffs {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, c.name+".conf")
			if err := os.WriteFile(path, []byte(c.conf), 0o644); err != nil {
				t.Fatal(err)
			}
			ns := full
			if c.loOnly {
				ns = lo
			}
			kaOut, kaErr := ns.Command("keepalived", "-t", "-f", path).CombinedOutput()
			ours := ns.Command(self, "-t", "-f", path)
			ours.Env = append(os.Environ(), "GOKEEPALIVED_AS_MAIN=1")
			ourOut, ourErr := ours.CombinedOutput()
			want, got := exitCode(kaErr), exitCode(ourErr)
			missing, extra := configdiff.Diff(configdiff.ParseKeepalived(string(kaOut)), configdiff.TrimWhere(configdiff.ParseOurs(string(ourOut))))
			if got != want || len(missing) > 0 || len(extra) > 0 {
				t.Errorf("keepalived 2.2.7 -t = %d, gokeepalived -t = %d\nonly keepalived: %s\nonly ours: %s\nconfig:\n%s\nkeepalived said:\n%s\ngokeepalived said:\n%s",
					want, got, msgs(missing), msgs(extra), numbered(c.conf), indent(kaOut), indent(ourOut))
			}
		})
	}
}

func msgs(ms []configdiff.Message) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "\n  %d: %s", m.Line, m.Text)
	}
	return b.String()
}

func numbered(s string) string {
	var b strings.Builder
	for i, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		fmt.Fprintf(&b, "  %3d %s\n", i+1, l)
	}
	return b.String()
}
