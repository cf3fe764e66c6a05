package vmtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nsSysctl reads net.ipv4.vs.NAME in namespace ns ("" for the VM's).
func nsSysctl(t *testing.T, ns, name string) string {
	t.Helper()
	args := []string{"sysctl", "-n", "net.ipv4.vs." + name}
	if ns != "" {
		args = append([]string{"ip", "netns", "exec", ns}, args...)
	}
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestIPVSSysctlExtension: ipvs_sysctl sets sloppy_tcp/sloppy_sctp in
// the daemon's IPVS namespace only, follows reloads, and the values
// found at start come back when the setting is dropped and at stop.
// Run in a namespace of its own, and with net_namespace_ipvs naming one.
func TestIPVSSysctlExtension(t *testing.T) {
	guard(t)
	const ns = "gkssns"
	run(t, "ip", "netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	run(t, "ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv4.vs.sloppy_sctp=1")
	vs := "virtual_server 10.10.39.1 80 {\n lvs_sched mh\n mh-port\n lb_kind DR\n protocol TCP\n" +
		" real_server 192.168.39.2 80 {\n  TCP_CHECK {\n   connect_timeout 1\n  }\n }\n}\n"
	for _, mode := range []string{"ip netns exec", "net_namespace_ipvs"} {
		t.Run(strings.ReplaceAll(mode, " ", "_"), func(t *testing.T) {
			dir := t.TempDir()
			head := ""
			if mode == "net_namespace_ipvs" {
				head = "net_namespace_ipvs " + ns + "\n"
			}
			ext := filepath.Join(dir, "gokeepalived.conf")
			conf := writeConf(t, dir, head+"@gokeepalived include "+ext+"\n"+vs)
			setExt := func(body string) {
				writeConfAt(t, ext, "ipvs_sysctl {\n"+body+"}\n")
			}
			setExt(" sloppy_tcp\n sloppy_sctp off\n")
			args := []string{"gokeepalived", "--check", "-n", "-l", "-G", "-f", conf,
				"-p", filepath.Join(dir, "gk.pid"), "-c", filepath.Join(dir, "gk-check.pid"),
				"--control-socket", filepath.Join(dir, "gk.sock")}
			if mode == "ip netns exec" {
				args = append([]string{"ip", "netns", "exec", ns}, args...)
			}
			d := spawn(t, "gokeepalived", "", args...)
			want := func(what, tcp, sctp string) {
				t.Helper()
				var got [2]string
				if _, ok := poll(10*time.Second, func() bool {
					got = [2]string{nsSysctl(t, ns, "sloppy_tcp"), nsSysctl(t, ns, "sloppy_sctp")}
					return got == [2]string{tcp, sctp}
				}); !ok {
					t.Fatalf("%s: sloppy_tcp, sloppy_sctp = %v, want %s %s\n%s", what, got, tcp, sctp, d.log())
				}
				if v := nsSysctl(t, "", "sloppy_tcp"); v != "0" {
					t.Fatalf("%s: the VM's own namespace has sloppy_tcp %s", what, v)
				}
			}
			want("start", "1", "0")
			// the service is in the IPVS namespace, not in the VM's
			svc := "TCP  10.10.39.1:80 mh (mh-port)"
			if _, ok := poll(10*time.Second, func() bool { return strings.Contains(nsRun(t, ns, "ipvsadm", "-Ln"), svc) }); !ok {
				t.Fatalf("no %q in %s's IPVS:\n%s\n%s", svc, ns, nsRun(t, ns, "ipvsadm", "-Ln"), d.log())
			}
			if tab := table(t); strings.Contains(tab, "10.10.39.1") {
				t.Fatalf("the VM's own IPVS has the service:\n%s", tab)
			}
			setExt(" sloppy_tcp\n")
			d.cmd.Process.Signal(syscall.SIGHUP)
			want("reload without sloppy_sctp", "1", "1")
			setExt(" sloppy_tcp off\n sloppy_sctp no\n")
			d.cmd.Process.Signal(syscall.SIGHUP)
			want("reload with both off", "0", "0")
			setExt(" sloppy_tcp\n")
			d.cmd.Process.Signal(syscall.SIGHUP)
			want("reload with sloppy_tcp", "1", "1")
			d.term()
			want("after SIGTERM", "0", "1")
			if !strings.Contains(d.log(), "ipvs_sysctl: net.ipv4.vs.sloppy_tcp = 1 (was 0)") {
				t.Errorf("log:\n%s", d.log())
			}
		})
	}
}

func writeConfAt(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
