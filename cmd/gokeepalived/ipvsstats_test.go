package main

import (
	"bytes"
	"context"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/check/probe"
	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/internal/metrics"
	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
)

// TestCheckerIPVSTable: the checker reads the kernel's counters for
// /metrics in one dump, reused by the scrapes of the next second, and
// not at all before it starts.
func TestCheckerIPVSTable(t *testing.T) {
	cfg, diags := loadString(t, `virtual_server 10.10.31.100 80 {
  delay_loop 60
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 192.168.31.1 80 {
    weight 2
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`)
	if diags.ExitCode() != 0 {
		t.Fatalf("config: %v", diags.List)
	}
	fake := &fakeHandle{Fake: ipvsfake.New()}
	c := newChecker(daemon.NewLogger(daemon.LogOptions{Console: io.Discard}), options{}, func() (ipvsHandle, error) { return fake, nil })
	c.newProbe = func(*conf.Checker, *conf.RealServer, *conf.VirtualServer) (probe.Checker, error) {
		return fixedProbe{ok: true}, nil
	}
	if tab, err := c.IPVSTable(); tab != nil || err != nil {
		t.Fatalf("before Start: %v, %v", tab, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := c.Start(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	vs := ipvs.NewServiceKey(ipvs.TCP, netip.MustParseAddrPort("10.10.31.100:80"))
	rs := netip.MustParseAddrPort("192.168.31.1:80")
	waitListing(t, fake.Fake, "  -> 192.168.31.1:80")
	if err := fake.SetServiceStats(vs, ipvs.Stats{Conns: 3, InBytes: 4242}); err != nil {
		t.Fatal(err)
	}
	if err := fake.SetDestCounters(vs, ipvs.DestKey{Addr: rs.Addr(), Port: rs.Port()}, 1, 2, ipvs.Stats{Conns: 3, OutPkts: 17}); err != nil {
		t.Fatal(err)
	}
	before := fake.dumps.Load()
	tab, err := c.IPVSTable()
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		c.IPVSTable()
	}
	if n := fake.dumps.Load() - before; n != 1 {
		t.Errorf("11 reads within a second dumped the table %d times, want 1", n)
	}
	var m bytes.Buffer
	if err := metrics.Write(&m, metrics.Snapshot{IPVSTable: tab}); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{
		`gokeepalived_ipvs_service_connections_total{vs="TCP 10.10.31.100:80"} 3`,
		`gokeepalived_ipvs_service_incoming_bytes_total{vs="TCP 10.10.31.100:80"} 4242`,
		`gokeepalived_ipvs_real_server_outgoing_packets_total{rs="192.168.31.1:80",vs="TCP 10.10.31.100:80"} 17`,
		`node_ipvs_backend_connections_active{local_address="10.10.31.100",local_mark="",local_port="80",proto="TCP",remote_address="192.168.31.1",remote_port="80"} 1`,
		`node_ipvs_backend_weight{local_address="10.10.31.100",local_mark="",local_port="80",proto="TCP",remote_address="192.168.31.1",remote_port="80"} 2`,
	} {
		if !strings.Contains(m.String(), l+"\n") {
			t.Errorf("no %q in:\n%s", l, m.String())
		}
	}
	// Past the cache's second, a read dumps again.
	time.Sleep(ipvsStatsTTL + 100*time.Millisecond)
	c.IPVSTable()
	if n := fake.dumps.Load() - before; n != 2 {
		t.Errorf("a read after a second: %d dumps in all, want 2", n)
	}
}
