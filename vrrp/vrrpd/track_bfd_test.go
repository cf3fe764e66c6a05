package vrrpd_test

import (
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/bfd"
	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrpd"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest"
)

// TestRuntimeTrackBFD: the BFD subsystem's changes reach the loop
// through its mailbox. The Down every instance is reported with at start
// changes nothing; weighted, Up raises the priority and Down lowers it
// back; unweighted, Down after Up is FAULT (VIP removed) and Up again
// returns the instance to MASTER.
func TestRuntimeTrackBFD(t *testing.T) {
	hub := vrrptest.NewHub()
	bh := bfd.NewHub()
	cfg := "bfd_instance w {\n    neighbor_ip 10.0.0.9\n}\nbfd_instance f {\n    neighbor_ip 10.0.0.8\n}\n" +
		instConf(100, "track_bfd {\n        w weight 20\n        f\n    }")
	n := startNodeWith(t, hub, "a", "10.0.0.1", cfg, func(d *vrrpd.Deps) { d.BFD = bh.VRRP })
	bh.BFDChanged("w", false, true, true)
	bh.BFDChanged("f", false, true, true)
	waitFor(t, 2*time.Second, "MASTER alone", func() bool { return n.addrs.Has(vip) })
	prio := func() uint8 { return n.rt.States()[0].EffectivePriority }
	if prio() != 100 {
		t.Fatalf("priority %d before any Up", prio())
	}
	bh.BFDChanged("w", true, true, true)
	waitFor(t, time.Second, "priority 120", func() bool { return prio() == 120 })
	bh.BFDChanged("w", false, true, true)
	waitFor(t, time.Second, "priority back to 100", func() bool { return prio() == 100 })
	bh.BFDChanged("f", true, true, true)
	bh.BFDChanged("f", false, true, true)
	waitFor(t, time.Second, "FAULT without the VIP", func() bool { return state(n) == vrrp.StateFault && !n.addrs.Has(vip) })
	bh.BFDChanged("f", true, true, true)
	waitFor(t, 2*time.Second, "MASTER again", func() bool { return state(n) == vrrp.StateMaster && n.addrs.Has(vip) })
}

// TestRuntimeTrackBFDCatchup: a runtime starting while a BFD instance is
// already Up (the VRRP subsystem started after BFD, or again) takes that
// state: the weighted tracker's bonus applies at once.
func TestRuntimeTrackBFDCatchup(t *testing.T) {
	hub := vrrptest.NewHub()
	bh := bfd.NewHub()
	bh.BFDChanged("w", false, true, true)
	bh.BFDChanged("w", true, true, true)
	cfg := "bfd_instance w {\n    neighbor_ip 10.0.0.9\n}\n" + instConf(100, "track_bfd {\n        w weight 20\n    }")
	n := startNodeWith(t, hub, "a", "10.0.0.1", cfg, func(d *vrrpd.Deps) { d.BFD = bh.VRRP })
	waitFor(t, time.Second, "priority 120", func() bool { return n.rt.States()[0].EffectivePriority == 120 })
}
