package reconcile

import (
	"math/rand/v2"
	"testing"

	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/internal/nlemu"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
)

// TestEndToEndOverNetlink drives the real netlink client against an
// emulated kernel (ipvs/internal/nlemu), so encoding, kernel-format dumps
// (HASHED flag, /32 netmask, 16-byte unions) and the diff must agree.
func TestEndToEndOverNetlink(t *testing.T) {
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 99))
		f := ipvsfake.New()
		c, err := ipvs.NewConn(nlemu.Dial(f))
		if err != nil {
			t.Fatal(err)
		}
		desired := randTable(r, 1+r.IntN(10), 1)
		if _, err := Sync(c, desired, Options{}); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		viaNetlink, err := Dump(c)
		if err != nil {
			t.Fatal(err)
		}
		assertHolds(t, viaNetlink, desired)
		direct, _ := Dump(f)
		if len(direct) != len(viaNetlink) {
			t.Fatalf("seed %d: %d vs %d services", seed, len(direct), len(viaNetlink))
		}

		f.ResetCalls()
		ops, err := Sync(c, desired, Options{})
		if err != nil || len(ops) != 0 || len(f.Calls()) != 0 {
			t.Fatalf("seed %d: second sync over netlink: %v %v %v", seed, ops, err, f.Calls())
		}
		for i := range desired {
			if len(desired[i].Dests) == 0 {
				continue
			}
			d2 := clone(desired)
			d2[i].Dests[0].Weight ^= 1
			f.ResetCalls()
			ops, err := Sync(c, d2, Options{})
			if err != nil || len(ops) != 1 || len(f.Calls()) != 1 || f.Calls()[0].Op != "set-dest" {
				t.Fatalf("seed %d: weight change: %v %v %v", seed, ops, err, f.Calls())
			}
			break
		}
		c.Close()
	}
}
