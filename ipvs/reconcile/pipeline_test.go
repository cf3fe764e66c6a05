package reconcile

import (
	"errors"
	"net/netip"
	"syscall"
	"testing"

	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/internal/nlemu"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
)

// Pipelined and sequential Apply agree when a service cannot be created:
// its destination ops count as skipped, not as errors.
func TestApplyPipelinedSkipsFailedService(t *testing.T) {
	bad := ipvs.Service{ServiceKey: ipvs.NewServiceKey(ipvs.TCP, netip.MustParseAddrPort("10.0.0.1:80")), Scheduler: "nosuch"}
	good := ipvs.Service{ServiceKey: ipvs.NewServiceKey(ipvs.TCP, netip.MustParseAddrPort("10.0.0.2:80")), Scheduler: "rr"}
	d := ipvs.NewDestination(netip.MustParseAddrPort("10.1.0.1:80"), ipvs.Masq, 1)
	ops := []Op{
		{Kind: AddService, Service: bad}, {Kind: AddDest, Service: bad, Dest: d},
		{Kind: AddService, Service: good}, {Kind: AddDest, Service: good, Dest: d},
	}
	seq := ipvsfake.New()
	nSeq, errSeq := Apply(seq, ops)
	c, err := ipvs.NewConn(nlemu.Dial(ipvsfake.New()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var _ ipvs.Pipeliner = c
	nPipe, errPipe := Apply(c, ops)
	if nSeq != 2 || nPipe != 2 {
		t.Errorf("succeeded: sequential %d, pipelined %d, want 2", nSeq, nPipe)
	}
	for _, err := range []error{errSeq, errPipe} {
		if !errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ESRCH) {
			t.Errorf("error %v, want only the scheduler's ENOENT", err)
		}
	}
	if _, err := Apply(c, []Op{{Kind: 42, Service: good}}); err == nil {
		t.Errorf("unknown op kind accepted")
	}
}
