package faults

import (
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// TestSyslogStalledDuringFailover: the BACKUP logs to a syslog socket
// whose reader never reads (its queue holds one datagram), so every log
// write of the daemon would block. The MASTER is killed: the BACKUP must
// still take over within the protocol's bound (3 × advert_int + skew),
// with 0.5 s of slack for the namespaces and the test's polling.
func TestSyslogStalledDuringFailover(t *testing.T) {
	nstest.Require(t, "unshare", "mount", "sysctl")
	a, b := nstest.Pair(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "log.sock")
	if err := nstest.IP("netns", "exec", b.Name, "sysctl", "-qw", "net.unix.max_dgram_qlen=1"); err != nil {
		t.Fatal(err)
	}
	var ln *net.UnixConn
	if err := b.Do(func() (err error) {
		ln, err = net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// In a private mount namespace, /run is a fresh tmpfs whose "syslog"
	// is the stalled socket (/var/run/syslog is a syslog(3) address; this
	// machine may have no /dev/log to bind over).
	wrap := []string{"unshare", "--mount", "sh", "-c",
		fmt.Sprintf(`mount -t tmpfs tmpfs /run && touch /run/syslog && mount --bind %s /run/syslog && exec "$0" "$@"`, sock)}
	md := startDaemon(t, a, "master", vrrpConf(150, "MASTER"), "", "-P")
	md.waitFor("(VI_1) Entering MASTER STATE", 15*time.Second)
	startWrapped(t, b, wrap, "backup", vrrpConf(100, "BACKUP"), "", syslogOnly, "-P")
	// Its start-up lines fill the queue at once; then wait for it to be
	// a BACKUP that hears the MASTER.
	time.Sleep(4 * time.Second)
	h := b.Handle(t)
	vip := netip.MustParseAddr("10.77.0.100")
	if has, _ := nstest.HasAddr(h, vip); has {
		t.Fatal("the BACKUP holds the VIP before the failover")
	}
	killed := time.Now()
	if err := md.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var took time.Duration
	for time.Since(killed) < 10*time.Second {
		if has, _ := nstest.HasAddr(h, vip); has {
			took = time.Since(killed)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The daemon did log there: the one datagram the queue held is its.
	buf := make([]byte, 2048)
	ln.SetReadDeadline(time.Now().Add(time.Second))
	n, _ := ln.Read(buf)
	if !strings.Contains(string(buf[:n]), "Keepalived") {
		t.Fatalf("the stalled socket holds %q, not the daemon's first line", buf[:n])
	}
	bound := 3*time.Second + time.Duration(float64(time.Second)*(256-100)/256) + 500*time.Millisecond
	record(t, "2. syslog reader stalled, MASTER killed",
		fmt.Sprintf("VIP on the BACKUP %.2f s after the kill", took.Seconds()),
		fmt.Sprintf("≤ %.2f s (3 × advert_int + skew + 0.5 s)", bound.Seconds()),
		took > 0 && took <= bound)
}
