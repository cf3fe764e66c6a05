package ipvs_test

import (
	"errors"
	"net/netip"
	"syscall"
	"testing"

	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/internal/nlemu"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
)

// Edits returns one result per edit, in order, the later edits seeing
// the effect of the earlier ones. (Over the emulator the requests go one
// by one; the pipelined socket path is tested in ipvs/kerneltest.)
func TestEditsResults(t *testing.T) {
	f := ipvsfake.New()
	c, err := ipvs.NewConn(nlemu.Dial(f))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	k := ipvs.NewServiceKey(ipvs.TCP, netip.MustParseAddrPort("10.0.0.1:80"))
	svc := ipvs.Service{ServiceKey: k, Scheduler: "rr"}
	d := ipvs.NewDestination(netip.MustParseAddrPort("10.1.0.1:80"), ipvs.Masq, 1)
	d2 := d
	d2.Weight = 5
	res := c.Edits([]ipvs.Edit{
		{Kind: ipvs.EditNewService, Service: svc},
		{Kind: ipvs.EditNewService, Service: svc},
		{Kind: ipvs.EditNewDest, Service: svc, Dest: d},
		{Kind: ipvs.EditDelDest, Service: svc, Dest: ipvs.NewDestination(netip.MustParseAddrPort("10.1.0.9:80"), ipvs.Masq, 0)},
		{Kind: ipvs.EditSetDest, Service: svc, Dest: d2},
		{Kind: 99, Service: svc},
		{Kind: ipvs.EditSetService, Service: ipvs.Service{ServiceKey: k, Scheduler: "wlc"}},
	})
	want := []error{nil, syscall.EEXIST, nil, syscall.ENOENT, nil, nil, nil}
	for i, err := range res {
		if (want[i] == nil) != (err == nil) && i != 5 || want[i] != nil && !errors.Is(err, want[i]) {
			t.Errorf("edit %d: %v, want %v", i, err, want[i])
		}
	}
	if res[5] == nil {
		t.Errorf("unknown edit kind accepted")
	}
	ds, _ := c.Destinations(k)
	s, _ := c.Service(k)
	if len(ds) != 1 || ds[0].Weight != 5 || s.Scheduler != "wlc" {
		t.Errorf("table after edits: %+v %+v", s, ds)
	}
}
