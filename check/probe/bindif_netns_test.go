package probe

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/netnstest"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// The bind_if test's network: the client namespace reaches the server
// address 10.77.9.9 through "va" (ns s), but prefers a route through
// "vb" to a namespace that drops it. Only a socket bound to va gets
// an answer.
const (
	bindIfRole   = "GK_BINDIF_ROLE"
	bindIfServer = "10.77.9.9"
)

// TestBindIfNetns: PING_CHECK, UDP_CHECK and SMTP_CHECK with bind_if
// send through the bound interface only: va answers, vb and no bind_if
// (the preferred route) do not. PING_CHECK runs on a raw socket and on
// a datagram one (ping_group_range open). The probes run in the test
// binary started inside the client namespace.
func TestBindIfNetns(t *testing.T) {
	switch os.Getenv(bindIfRole) {
	case "server":
		bindIfServe()
		return
	case "client":
		bindIfClient()
		return
	}
	netnstest.Require(t)
	pid := os.Getpid()
	c, s, x := fmt.Sprintf("gkbic-%d", pid), fmt.Sprintf("gkbis-%d", pid), fmt.Sprintf("gkbix-%d", pid)
	for _, ns := range []string{c, s, x} {
		_ = nstest.IP("netns", "del", ns)
		if err := nstest.IP("netns", "add", ns); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := nstest.IP("netns", "del", ns); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		})
	}
	for _, step := range [][]string{
		{"-n", c, "link", "add", "va", "type", "veth", "peer", "name", "sa", "netns", s},
		{"-n", c, "link", "add", "vb", "type", "veth", "peer", "name", "xb", "netns", x},
		{"-n", c, "addr", "add", "10.77.1.1/24", "dev", "va"},
		{"-n", c, "addr", "add", "10.77.2.1/24", "dev", "vb"},
		{"-n", s, "addr", "add", "10.77.1.2/24", "dev", "sa"},
		{"-n", s, "addr", "add", bindIfServer + "/32", "dev", "lo"},
		{"-n", x, "addr", "add", "10.77.2.2/24", "dev", "xb"},
		{"-n", c, "link", "set", "lo", "up"},
		{"-n", c, "link", "set", "va", "up"},
		{"-n", c, "link", "set", "vb", "up"},
		{"-n", s, "link", "set", "lo", "up"},
		{"-n", s, "link", "set", "sa", "up"},
		{"-n", x, "link", "set", "xb", "up"},
		{"-n", c, "route", "add", bindIfServer + "/32", "via", "10.77.2.2", "dev", "vb", "metric", "10"},
		{"-n", c, "route", "add", bindIfServer + "/32", "via", "10.77.1.2", "dev", "va", "metric", "100"},
	} {
		if err := nstest.IP(step...); err != nil {
			t.Fatal(err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	srv := exec.Command("ip", "netns", "exec", s, self, "-test.run=^TestBindIfNetns$")
	srv.Env = append(os.Environ(), bindIfRole+"=server")
	out, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	if l, err := bufio.NewReader(out).ReadString('\n'); err != nil || l != "ready\n" {
		t.Fatalf("server: %q %v", l, err)
	}
	for _, pingRange := range []string{"1 0", "0 2147483647"} { // raw, then datagram ICMP
		if o, err := exec.Command("ip", "netns", "exec", c, "sysctl", "-qw", "net.ipv4.ping_group_range="+pingRange).CombinedOutput(); err != nil {
			t.Fatalf("ping_group_range: %v %s", err, o)
		}
		cl := exec.Command("ip", "netns", "exec", c, self, "-test.run=^TestBindIfNetns$")
		cl.Env = append(os.Environ(), bindIfRole+"=client")
		o, err := cl.Output()
		if err != nil {
			t.Fatalf("client: %v\n%s", err, o)
		}
		n := 0
		for _, l := range strings.Split(string(o), "\n") {
			f := strings.Fields(l)
			if len(f) < 3 || f[0] != "RESULT" {
				continue
			}
			n++
			want := "ok"
			if f[2] != "va" {
				want = "failed"
			}
			t.Logf("ping_group_range %q: %s bind_if %s: %s", pingRange, f[1], f[2], strings.Join(f[3:], " "))
			if f[3] != want {
				t.Errorf("%s with bind_if %s: %s, want %s", f[1], f[2], strings.Join(f[3:], " "), want)
			}
		}
		if n != 9 {
			t.Fatalf("client gave %d results:\n%s", n, o)
		}
	}
}

// bindIfServe answers UDP (echo) and SMTP on the server address until
// killed.
func bindIfServe() {
	u, err := net.ListenPacket("udp", bindIfServer+":7")
	if err != nil {
		fmt.Println(err)
		return
	}
	go func() {
		b := make([]byte, 1500)
		for {
			n, from, err := u.ReadFrom(b)
			if err != nil {
				return
			}
			u.WriteTo(b[:n], from)
		}
	}()
	ln, err := net.Listen("tcp", bindIfServer+":25")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("ready")
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			fmt.Fprint(c, "220 test ESMTP\r\n")
			br := bufio.NewReader(c)
			for {
				l, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if strings.HasPrefix(l, "QUIT") {
					fmt.Fprint(c, "221 bye\r\n")
					return
				}
				fmt.Fprint(c, "250 ok\r\n")
			}
		}()
	}
}

// bindIfClient runs each probe with no bind_if, va and vb, one line each.
func bindIfClient() {
	dst := netip.MustParseAddr(bindIfServer)
	for _, bindIf := range []string{"", "va", "vb"} {
		conn := func(port uint16) Conn {
			return Conn{Dst: netip.AddrPortFrom(dst, port), BindIf: bindIf, Timeout: time.Second}
		}
		probes := []struct {
			name string
			c    Checker
		}{
			{"PING_CHECK", &Ping{Conn: conn(0)}},
			{"UDP_CHECK", &UDP{Conn: conn(7), Opts: conf.UDPCheck{Payload: []byte("hello"), RequireReply: true, Reply: []byte("hello")}}},
			{"SMTP_CHECK", &SMTP{Conn: conn(25), Helo: "test", RS: netip.AddrPortFrom(dst, 25)}},
		}
		name := bindIf
		if name == "" {
			name = "none"
		}
		for _, p := range probes {
			r := p.c.Check(context.Background(), 0)
			res := "ok"
			if !r.OK {
				res = "failed (" + strings.ReplaceAll(r.String(), "\n", " ") + ")"
			}
			fmt.Printf("RESULT %s %s %s\n", p.name, name, res)
		}
	}
}
