package check

import (
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/ipvs"
)

// fullBacklog returns a loopback port whose accept queue is full, so a
// connect to it times out.
func fullBacklog(t *testing.T) int {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	port := sa.(*syscall.SockaddrInet4).Port
	for range 4 {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
		if err != nil {
			break
		}
		t.Cleanup(func() { c.Close() })
	}
	return port
}

func closedTCPPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (l *logSink) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, x := range l.lines {
		if x == s {
			n++
		}
	}
	return n
}

// log_all_failures: each failed attempt's reason is logged, in keepalived
// 2.2.7's words, only with the keyword (or global
// checker_log_all_failures), and only while the checker is up (HTTP:
// also before its first result). Checked against keepalived 2.2.7 run
// on the same configs (scripts/bench/fakeipvs.c lets it run here).
func TestLogAllFailures(t *testing.T) {
	b500 := newBackend(t)
	b500.status.Store(500)
	refused, refused2, silent := closedTCPPort(t), closedTCPPort(t), fullBacklog(t)
	rs := func(port int, check string) string {
		return fmt.Sprintf("  real_server 127.0.0.1 %d {\n%s  }\n", port, check)
	}
	tcp := func(laf string) string {
		return "    TCP_CHECK {\n      connect_timeout 1\n      retry 0\n" + laf + "    }\n"
	}
	http := func(laf string) string {
		return "    HTTP_GET {\n      url {\n        path /\n        status_code 200\n      }\n      connect_timeout 1\n      retry 0\n" + laf + "    }\n"
	}
	const laf = "      log_all_failures\n"
	for _, global := range []bool{false, true} {
		t.Run(fmt.Sprintf("global=%v", global), func(t *testing.T) {
			g := ""
			if global {
				g = "global_defs {\n  checker_log_all_failures\n}\n"
			}
			cfg := loadConf(t, g+`virtual_server 10.0.0.1 80 {
  delay_loop 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
`+rs(refused, tcp(laf))+rs(refused2, tcp(""))+rs(silent, tcp(laf))+`}
virtual_server 10.0.0.2 80 {
  delay_loop 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
`+rs(b500.port, http(""))+`}
virtual_server 10.0.0.3 80 {
  delay_loop 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
`+rs(b500.port, http(laf))+`}
`)
			wait, logs, clk := startEngineClock(t, cfg, ipvs.NewServiceKey(ipvs.TCP, netip.MustParseAddrPort("10.0.0.1:80")))
			wait("")
			tick := func() {
				clk.Advance(500 * time.Millisecond)
				time.Sleep(20 * time.Millisecond)
			}
			for _, vs := range []string{"10.0.0.2", "10.0.0.3"} {
				for end := time.Now().Add(10 * time.Second); !logs.has(fmt.Sprintf("Removing service [127.0.0.1]:tcp:%d from VS [%s]:tcp:80", b500.port, vs)); tick() {
					if time.Now().After(end) {
						t.Fatalf("VS %s: HTTP server not removed", vs)
					}
				}
			}
			// more failed attempts while down (the timeout one takes 1 s
			// of real time each): not logged
			for range 8 {
				tick()
			}
			time.Sleep(1200 * time.Millisecond)
			for range 4 {
				tick()
			}
			name := func(p int) string { return fmt.Sprintf("[127.0.0.1]:tcp:%d", p) }
			type want struct {
				line string
				n    int
			}
			http500 := "HTTP status code error to server " + name(b500.port) + "."
			checks := []want{
				{"TCP connection to " + name(refused) + " failed.", 1},
				{"TCP connection to " + name(silent) + " timeout.", 1},
				{"TCP_CHECK on service " + name(refused) + " failed.", 1},
				{"TCP_CHECK on service " + name(silent) + " failed.", 1},
				{"TCP connection to " + name(refused2) + " failed.", 0},
				{http500, 1}, // VS 10.0.0.3 only
			}
			if global {
				checks[4].n = 1
				checks[5].n = 2
			}
			for _, w := range checks {
				if got := logs.count(w.line); got != w.n {
					t.Errorf("%q logged %d times, want %d", w.line, got, w.n)
				}
			}
		})
	}
}

// A check that cannot bind its socket gives no verdict: keepalived logs
// why and tries again after delay_loop, the server stays (checked
// against keepalived 2.2.7 with bind_if naming a missing interface).
func TestTCPBindFailureNoVerdict(t *testing.T) {
	port := closedTCPPort(t)
	cfg := loadConf(t, fmt.Sprintf(`virtual_server 10.0.0.1 80 {
  delay_loop 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  real_server 127.0.0.1 %d {
    TCP_CHECK {
      bind_if nosuchif0
      retry 0
    }
  }
}
`, port))
	wait, logs, clk := startEngineClock(t, cfg, ipvs.NewServiceKey(ipvs.TCP, netip.MustParseAddrPort("10.0.0.1:80")))
	up := fmt.Sprintf("127.0.0.1:%d=1", port)
	for end := time.Now().Add(10 * time.Second); logs.count("TCP socket bind failed. Rescheduling.") < 3; {
		wait(up)
		if time.Now().After(end) {
			t.Fatalf("log %q", logs.lines)
		}
		clk.Advance(500 * time.Millisecond)
		time.Sleep(20 * time.Millisecond)
	}
	wait(up)
	if n := logs.count("Checker can't bind to device nosuchif0: No such device"); n < 3 {
		t.Errorf("bind error logged %d times", n)
	}
	if logs.has(fmt.Sprintf("TCP_CHECK on service [127.0.0.1]:tcp:%d failed.", port)) {
		t.Error("a bind failure counted as a failed check")
	}
}
