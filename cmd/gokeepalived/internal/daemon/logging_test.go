package daemon

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Without a syslog socket, lines are dropped and the socket is tried
// again once a second, not at every line; once it exists, lines reach
// it under the subsystem's ident.
func TestSyslogRetriedOnceASecond(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	log := WithIdent(NewLogger(LogOptions{Syslog: true, SyslogAddr: path}), IdentCheck)
	log.Info("before the socket")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := make(chan string, 16)
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := c.Read(b)
			if err != nil {
				return
			}
			got <- string(b[:n])
		}
	}()
	log.Info("within the second")
	select {
	case m := <-got:
		t.Fatalf("syslog opened again at the next line: %q", m)
	case <-time.After(1100 * time.Millisecond):
	}
	log.Info("Activating healthchecker after the second")
	select {
	case m := <-got:
		if !strings.Contains(m, IdentCheck+"[") || !strings.HasSuffix(strings.TrimSpace(m), "Activating healthchecker after the second") {
			t.Errorf("syslog line %q", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no line after the socket appeared")
	}
}
