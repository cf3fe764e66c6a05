package probe

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/netnstest"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
)

const pingSeqRole = "GK_PINGSEQ_ROLE"

// TestPingSeqNetns: a host that answers echoes with the wrong sequence
// (the kernel's own echo off, a raw responder adding one). keepalived
// 2.3.0 and later fail the check with "Ping reply expected seq no 1,
// received 2"; 2.2.7 takes any echo reply its socket gets. Runs in a
// namespace of its own, on a datagram ICMP socket as keepalived uses.
func TestPingSeqNetns(t *testing.T) {
	if os.Getenv(pingSeqRole) != "" {
		pingSeqClient()
		return
	}
	netnstest.Require(t)
	ns := fmt.Sprintf("gkpsq-%d", os.Getpid())
	_ = nstest.IP("netns", "del", ns)
	if err := nstest.IP("netns", "add", ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := nstest.IP("netns", "del", ns); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	if err := nstest.IP("-n", ns, "link", "set", "lo", "up"); err != nil {
		t.Fatal(err)
	}
	for _, kv := range []string{"net.ipv4.icmp_echo_ignore_all=1", "net.ipv4.ping_group_range=0 2147483647"} {
		if o, err := exec.Command("ip", "netns", "exec", ns, "sysctl", "-qw", kv).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v %s", kv, err, o)
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cl := exec.Command("ip", "netns", "exec", ns, self, "-test.run=^TestPingSeqNetns$")
	cl.Env = append(os.Environ(), pingSeqRole+"=client")
	o, err := cl.CombinedOutput()
	if err != nil {
		t.Fatalf("client: %v\n%s", err, o)
	}
	for _, want := range []string{
		`2.3.0 false "Ping reply expected seq no 1, received 2" "Ping reply expected seq no 1, received 2"`,
		`2.2.7 true "" ""`,
	} {
		if !strings.Contains(string(o), "RESULT "+want+"\n") {
			t.Errorf("no %q in\n%s", want, o)
		}
	}
	t.Logf("%s", o)
}

// pingSeqClient answers echo requests on 127.0.0.1 with sequence + 1,
// then pings it under each release's rules.
func pingSeqClient() {
	rc, err := icmp.ListenPacket("ip4:icmp", "127.0.0.1")
	if err != nil {
		fmt.Println("raw:", err)
		os.Exit(1)
	}
	go func() {
		b := make([]byte, 1500)
		for {
			n, from, err := rc.ReadFrom(b)
			if err != nil {
				return
			}
			m, err := icmp.ParseMessage(1, b[:n])
			e, ok := m.Body.(*icmp.Echo)
			if err != nil || m.Type != ipv4.ICMPTypeEcho || !ok {
				continue
			}
			r := icmp.Message{Type: ipv4.ICMPTypeEchoReply, Body: &icmp.Echo{ID: e.ID, Seq: e.Seq + 1, Data: e.Data}}
			if out, err := r.Marshal(nil); err == nil {
				rc.WriteTo(out, from.(*net.IPAddr))
			}
		}
	}()
	for _, c := range []struct {
		name  string
		seq23 bool
	}{{"2.3.0", true}, {"2.2.7", false}} {
		var logged []string
		p := &Ping{Conn: Conn{Dst: netip.MustParseAddrPort("127.0.0.1:0"), Timeout: 2 * time.Second},
			Seq23: c.seq23, Log: func(m string) { logged = append(logged, m) }}
		if _, dgram, err := p.listen(); err != nil || !dgram {
			fmt.Println("no datagram ICMP socket:", err)
			os.Exit(1)
		}
		if c.name == "2.2.7" {
			pingSeq.Store(0x100) // goes out as 1 (host byte order), answered as 2
		}
		r := p.Check(context.Background(), 0)
		fmt.Printf("RESULT %s %v %q %q\n", c.name, r.OK, r.Reason, strings.Join(logged, "; "))
	}
	os.Exit(0)
}
