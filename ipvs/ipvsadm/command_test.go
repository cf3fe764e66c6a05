package ipvsadm

import (
	"net/netip"
	"testing"

	"github.com/gokeepalived/gokeepalived/ipvs"
)

func TestCommand(t *testing.T) {
	tcp := ipvs.Service{ServiceKey: ipvs.NewServiceKey(ipvs.TCP, netip.MustParseAddrPort("10.10.31.100:80")), Scheduler: "lc"}
	pers := ipvs.Service{ServiceKey: ipvs.NewServiceKey(ipvs.UDP, netip.MustParseAddrPort("[fd00::1]:53")), Scheduler: "sh",
		Flags: ipvs.SvcPersistent | ipvs.SvcSHPort | ipvs.SvcOnePacket, Timeout: 300, Netmask: 64, PE: "sip"}
	mask := ipvs.Service{ServiceKey: ipvs.FWMarkKey(ipvs.IPv4, 7), Scheduler: "wrr", Flags: ipvs.SvcPersistent, Timeout: 50, Netmask: 24}
	fw6 := ipvs.Service{ServiceKey: ipvs.FWMarkKey(ipvs.IPv6, 8), Scheduler: "rr"}
	nat := ipvs.NewDestination(netip.MustParseAddrPort("192.168.31.103:80"), ipvs.Masq, 1)
	thr := ipvs.Destination{Addr: netip.MustParseAddr("fd00::2"), Port: 53, Fwd: ipvs.Route, Weight: 3, UpperThreshold: 100, LowerThreshold: 10}
	gue := ipvs.Destination{Addr: netip.MustParseAddr("10.0.0.9"), Port: 80, Fwd: ipvs.Tunnel, Weight: 0, TunnelType: ipvs.TunGUE, TunnelPort: 6080, TunnelFlags: ipvs.TunCsum}
	for _, c := range []struct {
		cmd  byte
		s    ipvs.Service
		d    ipvs.Destination
		want string
	}{
		{AddService, tcp, nat, "-A -t 10.10.31.100:80 -s lc"},
		{EditService, pers, nat, "-E -u [fd00::1]:53 -s sh -b sh-port -p 300 -M 64 --pe sip -o"},
		{AddService, mask, nat, "-A -f 7 -s wrr -p 50 -M 255.255.255.0"},
		{DelService, fw6, nat, "-D -f 8 -6"},
		{AddDest, tcp, nat, "-a -t 10.10.31.100:80 -r 192.168.31.103:80 -m -w 1"},
		{EditDest, pers, thr, "-e -u [fd00::1]:53 -r [fd00::2]:53 -g -w 3 -x 100 -y 10"},
		{AddDest, tcp, gue, "-a -t 10.10.31.100:80 -r 10.0.0.9:80 -i --tun-type gue --tun-port 6080 --tun-csum -w 0"},
		{DelDest, tcp, nat, "-d -t 10.10.31.100:80 -r 192.168.31.103:80"},
	} {
		if got := Command(c.cmd, c.s, c.d); got != c.want {
			t.Errorf("Command(%c) = %q, want %q", c.cmd, got, c.want)
		}
	}
}
