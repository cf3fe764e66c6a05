package check

import (
	"net/netip"
	"testing"

	"github.com/gokeepalived/gokeepalived/conf"
)

// fmtTrio is keepalived's "[IP]:proto:port" for every address form,
// as the Sprintf it replaced wrote it.
func TestFmtTrio(t *testing.T) {
	for _, c := range []struct {
		a    netip.Addr
		p    conf.LVSProtocol
		port uint16
		want string
	}{
		{netip.MustParseAddr("10.1.2.3"), conf.LVSTCP, 80, "[10.1.2.3]:tcp:80"},
		{netip.MustParseAddr("2001:db8::1"), conf.LVSUDP, 53, "[2001:db8::1]:udp:53"},
		{netip.MustParseAddr("fe80::1%eth0"), conf.LVSSCTP, 0, "[fe80::1%eth0]:sctp:0"},
		{netip.MustParseAddr("::ffff:10.0.0.1"), conf.LVSTCP, 65535, "[::ffff:10.0.0.1]:tcp:65535"},
		{netip.Addr{}, "", 1, "[invalid IP]:none:1"},
	} {
		if got := fmtTrio(c.a, c.p, c.port); got != c.want {
			t.Errorf("fmtTrio(%v, %q, %d) = %q, want %q", c.a, c.p, c.port, got, c.want)
		}
	}
}
