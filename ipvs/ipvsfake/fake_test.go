package ipvsfake

import (
	"errors"
	"net/netip"
	"syscall"
	"testing"

	"github.com/gokeepalived/gokeepalived/ipvs"
)

var (
	vs4 = ipvs.NewServiceKey(ipvs.TCP, netip.MustParseAddrPort("10.0.0.1:80"))
	vs6 = ipvs.NewServiceKey(ipvs.TCP, netip.MustParseAddrPort("[2001:db8::1]:80"))
	rs4 = ipvs.NewDestination(netip.MustParseAddrPort("192.168.0.1:80"), ipvs.Masq, 1)
)

func want(t *testing.T, err error, errno syscall.Errno) {
	t.Helper()
	if errno == 0 {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	var oe *ipvs.OpError
	if !errors.Is(err, errno) || !errors.As(err, &oe) {
		t.Fatalf("got %v, want OpError(%v)", err, errno)
	}
}

func TestKernelRules(t *testing.T) {
	f := New()
	svc := ipvs.Service{ServiceKey: vs4, Scheduler: "wlc"}
	want(t, f.NewDestination(vs4, rs4), syscall.ESRCH) // dest needs its service
	want(t, f.SetService(svc), syscall.ESRCH)
	want(t, f.DelService(vs4), syscall.ESRCH)
	want(t, f.NewService(ipvs.Service{ServiceKey: vs4, Scheduler: "nosuch"}), syscall.ENOENT)
	want(t, f.NewService(ipvs.Service{ServiceKey: vs4, Scheduler: "rr", PE: "nope"}), syscall.ENOENT)
	want(t, f.NewService(svc), 0)
	want(t, f.NewService(svc), syscall.EEXIST)
	want(t, f.DelDestination(vs4, rs4.Key()), syscall.ENOENT)
	want(t, f.SetDestination(vs4, rs4), syscall.ENOENT)
	want(t, f.NewDestination(vs4, rs4), 0)
	want(t, f.NewDestination(vs4, rs4), syscall.EEXIST)

	bad := rs4
	bad.Weight = ipvs.MaxWeight + 1
	want(t, f.SetDestination(vs4, bad), syscall.ERANGE)
	bad = rs4
	bad.LowerThreshold = 5 // > upper (0)
	want(t, f.SetDestination(vs4, bad), syscall.ERANGE)
	bad = rs4
	bad.Fwd, bad.TunnelType = ipvs.Tunnel, ipvs.TunGUE
	want(t, f.SetDestination(vs4, bad), syscall.EINVAL) // GUE needs a port

	// Mixed family only for tunnels, and never with a sync daemon.
	v6rs := ipvs.NewDestination(netip.MustParseAddrPort("[2001:db8::2]:80"), ipvs.Route, 1)
	want(t, f.NewDestination(vs4, v6rs), syscall.EINVAL)
	v6rs.Fwd = ipvs.Tunnel
	want(t, f.NewDestination(vs4, v6rs), 0)
	want(t, f.NewSyncDaemon(ipvs.SyncDaemon{State: ipvs.SyncMaster, Interface: "eth0"}), syscall.EINVAL)
	want(t, f.DelDestination(vs4, v6rs.Key()), 0)
	want(t, f.NewSyncDaemon(ipvs.SyncDaemon{State: ipvs.SyncMaster, Interface: "eth0"}), 0)
	want(t, f.NewSyncDaemon(ipvs.SyncDaemon{State: ipvs.SyncMaster, Interface: "eth1"}), syscall.EEXIST)
	want(t, f.NewDestination(vs4, v6rs), syscall.EINVAL)
	ds, _ := f.SyncDaemons()
	if len(ds) != 1 || ds[0].Port != 8848 || ds[0].TTL != 1 || ds[0].Group != netip.MustParseAddr("224.0.0.81") {
		t.Errorf("daemon defaults: %+v", ds)
	}
	want(t, f.DelSyncDaemon(ipvs.SyncBackup), syscall.ESRCH)
	want(t, f.DelSyncDaemon(ipvs.SyncMaster), 0)

	// Edits in place.
	rs := rs4
	rs.Weight = 7
	want(t, f.SetDestination(vs4, rs), 0)
	want(t, f.SetService(ipvs.Service{ServiceKey: vs4, Scheduler: "sh", Flags: ipvs.SvcSHPort | ipvs.SvcHashed, Netmask: 32}), 0)
	got, _ := f.Service(vs4)
	if got.Service != (ipvs.Service{ServiceKey: vs4, Scheduler: "sh", Flags: ipvs.SvcSHPort}) {
		t.Errorf("service not normalised: %+v", got.Service)
	}
	d, _ := f.Destinations(vs4)
	if len(d) != 1 || d[0].Weight != 7 {
		t.Errorf("dests %+v", d)
	}

	// Deleting a service deletes its destinations.
	want(t, f.DelService(vs4), 0)
	want(t, f.NewService(svc), 0)
	if d, err := f.Destinations(vs4); err != nil || len(d) != 0 {
		t.Errorf("destinations survived their service: %+v %v", d, err)
	}
	// Missing service: empty dest list, like the kernel.
	if d, err := f.Destinations(vs6); err != nil || len(d) != 0 {
		t.Errorf("missing service dests: %v %v", d, err)
	}
	want(t, f.Flush(), 0)
	if s, _ := f.Services(); len(s) != 0 {
		t.Errorf("flush left %v", s)
	}
}

func TestCallsAndFailHook(t *testing.T) {
	f := New()
	boom := errors.New("boom")
	f.Fail = func(c Call) error {
		if c.Op == "new-dest" {
			return boom
		}
		return nil
	}
	want(t, f.NewService(ipvs.Service{ServiceKey: vs6, Scheduler: "rr"}), 0)
	if err := f.NewDestination(vs6, rs4); !errors.Is(err, boom) {
		t.Fatalf("hook not applied: %v", err)
	}
	c := f.Calls()
	if len(c) != 2 || c[0].Op != "new-service" || c[1].Op != "new-dest" || c[1].Dest != rs4.Key() {
		t.Errorf("calls %+v", c)
	}
	f.ResetCalls()
	if len(f.Calls()) != 0 {
		t.Error("ResetCalls")
	}
}

func TestTimeouts(t *testing.T) {
	f := New()
	want(t, f.SetTimeouts(ipvs.Timeouts{UDP: 60}), 0)
	if to, _ := f.Timeouts(); to != (ipvs.Timeouts{TCP: 900, TCPFin: 120, UDP: 60}) {
		t.Errorf("timeouts %+v", to)
	}
}
