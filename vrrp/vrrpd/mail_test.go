package vrrpd_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/smtpalert/smtptest"
	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrpd"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest"
)

// subjects are the Subject headers of the sessions, in order.
func subjects(ss [][]string) []string {
	var out []string
	for _, s := range ss {
		for _, l := range s {
			if v, ok := strings.CutPrefix(l, "C: Subject: "); ok {
				out = append(out, v)
			}
		}
	}
	return out
}

func mailConf(dir string, port int, extraGlobal string, withVI2 bool) string {
	s := fmt.Sprintf(`global_defs {
    router_id R1
    notification_email {
        ops@example.com
    }
    notification_email_from ka@example.com
    smtp_server 127.0.0.1 %[2]d
    smtp_alert_vrrp true
    %[3]s
}
track_file tf {
    file %[1]s/val
}
`, dir, port, extraGlobal)
	if withVI2 {
		s += `vrrp_sync_group G1 {
    group {
        VI_1
        VI_2
    }
    track_file {
        tf weight 0
    }
}
vrrp_instance VI_2 {
    interface eth1
    virtual_router_id 52
    priority 100
    version 3
    advert_int 0.1
    notify_deleted
    virtual_ipaddress {
        10.0.1.100/32
    }
}
`
	}
	// VI_1 mails nothing in the group; alone (after the reload) it would
	// mail its STOP, which keepalived never delivers
	return s + instConf(100, map[bool]string{true: "smtp_alert false", false: "smtp_alert true"}[withVI2])
}

// TestRuntimeMail drives a sync group through MASTER, FAULT and back,
// then deletes a member by reload: each instance and group with
// smtp_alert mails each state it enters once (last_email_state), the
// group's and VI_2's from smtp_alert_vrrp, VI_1's off; no_email_faults
// leaves the FAULT ones out.
func TestRuntimeMail(t *testing.T) {
	for _, noFaults := range []bool{false, true} {
		t.Run(fmt.Sprint("no_email_faults=", noFaults), func(t *testing.T) {
			srv, err := smtptest.Start()
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			dir := t.TempDir()
			val := filepath.Join(dir, "val")
			os.WriteFile(val, []byte("0\n"), 0o644)
			extra := ""
			if noFaults {
				extra = "no_email_faults"
			}
			fn := &vrrptest.Net{Hub: vrrptest.NewHub(), Node: "a", Ifaces: map[string]vrrp.IfaceInfo{
				"eth0": {Up: true, Addr4: netip.MustParseAddr("10.0.0.1")},
				"eth1": {Up: true, Addr4: netip.MustParseAddr("10.0.1.1")}}}
			rt, err := vrrpd.NewRuntime(loadConf(t, mailConf(dir, srv.Addr().Port, extra, true)),
				vrrpd.Deps{Net: fn, Addrs: &vrrptest.Addrs{}, Announcer: &vrrptest.Announcer{}, Scripts: &vrrptest.Scripts{}})
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- rt.Run(context.Background()) }()
			defer rt.Stop()
			st := func(name string) vrrp.State {
				for _, s := range rt.States() {
					if s.Name == name {
						return s.State
					}
				}
				return vrrp.StateInit
			}
			both := func(s vrrp.State) func() bool {
				return func() bool { return st("VI_1") == s && st("VI_2") == s }
			}
			waitFor(t, 5*time.Second, "MASTER", both(vrrp.StateMaster))
			os.WriteFile(val, []byte("1\n"), 0o644)
			waitFor(t, 5*time.Second, "FAULT", both(vrrp.StateFault))
			os.WriteFile(val, []byte("0\n"), 0o644)
			waitFor(t, 5*time.Second, "MASTER again", both(vrrp.StateMaster))
			if err := rt.Reload(loadConf(t, mailConf(dir, srv.Addr().Port, extra, false))); err != nil {
				t.Fatal(err)
			}
			rt.Stop()
			<-done

			want := []string{
				"[R1] VRRP Group G1 - Entering BACKUP state", "[R1] VRRP Instance VI_2 - Entering BACKUP state",
				"[R1] VRRP Instance VI_2 - Entering MASTER state", "[R1] VRRP Group G1 - Entering MASTER state",
				"[R1] VRRP Instance VI_2 - Entering FAULT state", "[R1] VRRP Group G1 - Entering FAULT state",
				"[R1] VRRP Instance VI_2 - Entering BACKUP state", "[R1] VRRP Group G1 - Entering BACKUP state",
				"[R1] VRRP Instance VI_2 - Entering MASTER state", "[R1] VRRP Group G1 - Entering MASTER state",
				"[R1] VRRP Instance VI_2 - Deleted",
			}
			if noFaults {
				want = slices.DeleteFunc(want, func(s string) bool { return strings.Contains(s, "FAULT") })
			}
			// Stop waited for the queue: every session is done
			if got := subjects(srv.Sessions()); !slices.Equal(got, want) {
				t.Errorf("mails:\n got %q\nwant %q", got, want)
			}
		})
	}
}
