package ipvs

import (
	"net/netip"
	"testing"

	"github.com/mdlayher/genetlink"
)

// FuzzDecode feeds garbage to every reply decoder: errors are fine,
// panics are not. Valid decodes of services / dests must re-encode.
func FuzzDecode(f *testing.F) {
	s := Service{ServiceKey: NewServiceKey(TCP, netip.MustParseAddrPort("10.0.0.1:80")), Scheduler: "wlc", PE: "sip", Netmask: 24}
	m, _ := serviceRequest(cmdNewService, s)
	f.Add(m.Data)
	inner, _ := findNested(m.Data, cmdAttrService)
	f.Add(inner)
	d, _ := destRequest(cmdNewDest, s.ServiceKey, Destination{Addr: netip.MustParseAddr("2001:db8::1"), Fwd: Tunnel, TunnelType: TunGUE, TunnelPort: 1})
	f.Add(d.Data)
	dm, _ := daemonRequest(cmdNewDaemon, SyncDaemon{State: SyncMaster, Interface: "eth0", Group: netip.MustParseAddr("ff02::1")})
	f.Add(dm.Data)
	f.Add([]byte{4, 0, 1, 0})
	f.Add([]byte{0xff, 0xff, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		if e, err := decodeService(b); err == nil {
			if e.Scheduler != "" && e.Validate() == nil && len(e.Scheduler) < schedNameMax && len(e.PE) < peNameMax {
				if _, err := serviceRequest(cmdNewService, e.Service); err != nil {
					t.Errorf("decoded service does not re-encode: %+v: %v", e.Service, err)
				}
			}
		}
		for _, f := range []Family{IPv4, IPv6, 0} {
			if e, err := decodeDest(b, f); err == nil {
				if _, err := destRequest(cmdNewDest, FWMarkKey(IPv4, 1), e.Destination); err != nil {
					t.Errorf("decoded dest does not re-encode: %+v: %v", e.Destination, err)
				}
			}
		}
		decodeDaemon(b)
		decodeInfo(b)
		decodeTimeouts(b)
		decodeStats(b, false)
		decodeStats(b, true)
		g := genetlink.Message{Data: b}
		parseServiceMsg(g)
		parseDestMsg(g, IPv6)
		parseDaemonMsg(g)
	})
}
