package reconcile

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
)

var scheds = []string{"rr", "wrr", "lc", "wlc", "sh", "mh", "twos"}

func randAddr(r *rand.Rand, v6 bool, net byte) netip.Addr {
	if v6 {
		return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, net, 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(r.IntN(256)), byte(r.IntN(256))})
	}
	return netip.AddrFrom4([4]byte{10, net, byte(r.IntN(256)), byte(r.IntN(256))})
}

func randService(r *rand.Rand, net byte) ipvs.Service {
	v6 := r.IntN(3) == 0
	fam := ipvs.IPv4
	if v6 {
		fam = ipvs.IPv6
	}
	var k ipvs.ServiceKey
	if r.IntN(5) == 0 {
		k = ipvs.FWMarkKey(fam, 1+r.Uint32N(1<<20)+uint32(net)<<24)
	} else {
		p := []ipvs.Protocol{ipvs.TCP, ipvs.UDP, ipvs.SCTP}[r.IntN(3)]
		k = ipvs.NewServiceKey(p, netip.AddrPortFrom(randAddr(r, v6, net), uint16(1+r.IntN(1024))))
	}
	s := ipvs.Service{ServiceKey: k, Scheduler: scheds[r.IntN(len(scheds))]}
	if r.IntN(3) == 0 {
		s.Flags |= ipvs.SvcPersistent
		s.Timeout = 1 + r.Uint32N(3600)
		if r.IntN(2) == 0 {
			s.Netmask = uint8(8 + r.IntN(17))
		}
	}
	if r.IntN(4) == 0 {
		s.Flags |= ipvs.SvcSched1
	}
	if r.IntN(6) == 0 {
		s.PE = "sip"
	}
	return s
}

func randDest(r *rand.Rand, svc ipvs.Service) ipvs.Destination {
	v6 := svc.Family == ipvs.IPv6
	fwd := []ipvs.FwdMethod{ipvs.Masq, ipvs.Route, ipvs.Tunnel}[r.IntN(3)]
	if fwd == ipvs.Tunnel && r.IntN(3) == 0 {
		v6 = !v6 // mixed family only through a tunnel
	}
	d := ipvs.Destination{Addr: randAddr(r, v6, 200), Port: uint16(r.IntN(3)), Fwd: fwd, Weight: r.Uint32N(ipvs.MaxWeight + 1)}
	if r.IntN(4) == 0 {
		d.UpperThreshold = 10 + r.Uint32N(100)
		d.LowerThreshold = r.Uint32N(10)
	}
	if fwd == ipvs.Tunnel {
		d.TunnelType = ipvs.TunnelType(r.IntN(3))
		if d.TunnelType == ipvs.TunGUE {
			d.TunnelPort = uint16(1 + r.IntN(65535))
		}
		d.TunnelFlags = ipvs.TunnelFlags(r.IntN(2))
	}
	return d
}

// randTable builds a table with unique keys; net separates owned from
// unowned address space.
func randTable(r *rand.Rand, n int, net byte) []VirtualService {
	seen := map[ipvs.ServiceKey]bool{}
	var out []VirtualService
	for len(out) < n {
		s := randService(r, net)
		if seen[s.ServiceKey] {
			continue
		}
		seen[s.ServiceKey] = true
		vs := VirtualService{Service: s}
		dseen := map[ipvs.DestKey]bool{}
		for range r.IntN(8) {
			d := randDest(r, s)
			if !dseen[d.Key()] {
				dseen[d.Key()] = true
				vs.Dests = append(vs.Dests, d)
			}
		}
		out = append(out, vs)
	}
	return out
}

func clone(t []VirtualService) []VirtualService {
	out := slices.Clone(t)
	for i := range out {
		out[i].Dests = slices.Clone(out[i].Dests)
	}
	return out
}

// assertHolds checks that every desired service is in the dump with the
// same attributes and exactly the desired destinations.
func assertHolds(t *testing.T, dump, desired []VirtualService) {
	t.Helper()
	idx := map[ipvs.ServiceKey]VirtualService{}
	for _, vs := range dump {
		idx[vs.Service.ServiceKey] = vs
	}
	for _, w := range desired {
		g, ok := idx[w.Service.ServiceKey]
		if !ok {
			t.Fatalf("service %v missing", w.Service.ServiceKey)
		}
		if !g.Service.SameAttrs(w.Service) {
			t.Fatalf("service %v: got %+v want %+v", w.Service.ServiceKey, g.Service, w.Service)
		}
		gd := map[ipvs.DestKey]ipvs.Destination{}
		for _, d := range g.Dests {
			gd[d.Key()] = d
		}
		if len(gd) != len(w.Dests) {
			t.Fatalf("service %v: %d dests, want %d", w.Service.ServiceKey, len(gd), len(w.Dests))
		}
		for _, d := range w.Dests {
			if gd[d.Key()] != d {
				t.Fatalf("service %v dest %v: got %+v want %+v", w.Service.ServiceKey, d.Key(), gd[d.Key()], d)
			}
		}
	}
}

func kinds(ops []Op) []OpKind {
	var k []OpKind
	for _, o := range ops {
		k = append(k, o.Kind)
	}
	return k
}

func mustSync(t *testing.T, f *ipvsfake.Fake, desired []VirtualService, opt Options) []Op {
	t.Helper()
	ops, err := Sync(f, desired, opt)
	if err != nil {
		t.Fatalf("sync: %v (ops %v)", err, ops)
	}
	return ops
}

func TestPropertyReconcile(t *testing.T) {
	for seed := range uint64(150) {
		r := rand.New(rand.NewPCG(seed, 7))
		f := ipvsfake.New()
		// Pre-existing services this daemon does not own (10.99/2001:db8:63::).
		unowned := randTable(r, r.IntN(4), 99)
		mustSync(t, f, unowned, Options{})
		desired := randTable(r, 1+r.IntN(12), 1)

		// Adopt + converge.
		mustSync(t, f, desired, Options{})
		dump, _ := Dump(f)
		assertHolds(t, dump, desired)
		assertHolds(t, dump, unowned) // adoption left unowned services alone
		if len(dump) != len(desired)+len(unowned) {
			t.Fatalf("seed %d: %d services, want %d", seed, len(dump), len(desired)+len(unowned))
		}

		// Idempotent: zero operations, zero kernel calls.
		f.ResetCalls()
		if ops := mustSync(t, f, desired, Options{}); len(ops) != 0 || len(f.Calls()) != 0 {
			t.Fatalf("seed %d: second sync issued %v / %v", seed, ops, f.Calls())
		}

		// One weight change: exactly one SET_DEST.
		withDests := slices.IndexFunc(desired, func(v VirtualService) bool { return len(v.Dests) > 0 })
		if withDests >= 0 {
			d2 := clone(desired)
			d := &d2[withDests].Dests[r.IntN(len(d2[withDests].Dests))]
			d.Weight = (d.Weight + 1) % (ipvs.MaxWeight + 1)
			f.ResetCalls()
			ops := mustSync(t, f, d2, Options{})
			c := f.Calls()
			if len(ops) != 1 || ops[0].Kind != EditDest || len(c) != 1 || c[0].Op != "set-dest" || c[0].Dest != d.Key() {
				t.Fatalf("seed %d: weight change gave ops %v calls %v", seed, ops, c)
			}
			desired = d2
		}

		// Scheduler change: exactly one SET_SERVICE, no delete/re-add.
		d3 := clone(desired)
		d3[0].Service.Scheduler = map[string]string{"rr": "wrr"}[d3[0].Service.Scheduler]
		if d3[0].Service.Scheduler == "" {
			d3[0].Service.Scheduler = "rr"
		}
		f.ResetCalls()
		if ops := mustSync(t, f, d3, Options{}); !slices.Equal(kinds(ops), []OpKind{EditService}) {
			t.Fatalf("seed %d: scheduler change gave %v", seed, ops)
		}
		desired = d3

		// Remove one service: its dest deletes, then the service delete.
		prev := map[ipvs.ServiceKey]bool{}
		for _, vs := range desired {
			prev[vs.Service.ServiceKey] = true
		}
		gone := desired[r.IntN(len(desired))]
		d4 := slices.DeleteFunc(clone(desired), func(v VirtualService) bool { return v.Service.ServiceKey == gone.Service.ServiceKey })
		f.ResetCalls()
		ops := mustSync(t, f, d4, Options{PrevOwned: prev})
		wantKinds := append(slices.Repeat([]OpKind{DelDest}, len(gone.Dests)), DelService)
		if !slices.Equal(kinds(ops), wantKinds) {
			t.Fatalf("seed %d: removal gave %v", seed, ops)
		}
		for _, o := range ops {
			if o.Service.ServiceKey != gone.Service.ServiceKey {
				t.Fatalf("seed %d: removal touched %v", seed, o)
			}
		}
		if len(f.Calls()) != len(ops) {
			t.Fatalf("calls %v", f.Calls())
		}
		dump, _ = Dump(f)
		assertHolds(t, dump, d4)
		assertHolds(t, dump, unowned)

		// Converge to another random table; then purge the unowned.
		d5 := randTable(r, 1+r.IntN(12), 1)
		prev = map[ipvs.ServiceKey]bool{}
		for _, vs := range d4 {
			prev[vs.Service.ServiceKey] = true
		}
		mustSync(t, f, d5, Options{PrevOwned: prev})
		dump, _ = Dump(f)
		assertHolds(t, dump, d5)
		assertHolds(t, dump, unowned)
		if len(dump) != len(d5)+len(unowned) {
			t.Fatalf("seed %d: stale services after reload: %d, want %d", seed, len(dump), len(d5)+len(unowned))
		}
		mustSync(t, f, d5, Options{PurgeUnowned: true})
		dump, _ = Dump(f)
		if len(dump) != len(d5) {
			t.Fatalf("seed %d: purge left %d services, want %d", seed, len(dump), len(d5))
		}
		assertHolds(t, dump, d5)
	}
}

func TestOrderingAndKeyChanges(t *testing.T) {
	svc := ipvs.Service{ServiceKey: ipvs.NewServiceKey(ipvs.TCP, netip.MustParseAddrPort("10.0.0.1:80")), Scheduler: "wlc"}
	rs := ipvs.NewDestination(netip.MustParseAddrPort("10.1.0.1:80"), ipvs.Masq, 1)
	cur := []VirtualService{{Service: svc, Dests: []ipvs.Destination{rs}}}

	// New service: service first, then its destinations.
	ops, _ := Diff(cur, nil, Options{})
	if !slices.Equal(kinds(ops), []OpKind{AddService, AddDest}) {
		t.Errorf("add order %v", ops)
	}
	// Port change of a destination is a new key: add the new one, then
	// delete the old; forwarding-method change is an edit.
	moved := rs
	moved.Port = 8080
	ops, _ = Diff([]VirtualService{{Service: svc, Dests: []ipvs.Destination{moved}}}, cur, Options{})
	if !slices.Equal(kinds(ops), []OpKind{AddDest, DelDest}) || ops[0].Dest != moved || ops[1].Dest != rs {
		t.Errorf("key change %v", ops)
	}
	dr := rs
	dr.Fwd, dr.UpperThreshold = ipvs.Route, 50
	ops, _ = Diff([]VirtualService{{Service: svc, Dests: []ipvs.Destination{dr}}}, cur, Options{})
	if !slices.Equal(kinds(ops), []OpKind{EditDest}) {
		t.Errorf("fwd change %v", ops)
	}
	// Protocol change of a service is a different service.
	udp := svc
	udp.Protocol = ipvs.UDP
	ops, _ = Diff([]VirtualService{{Service: udp, Dests: []ipvs.Destination{rs}}}, cur, Options{PrevOwned: map[ipvs.ServiceKey]bool{svc.ServiceKey: true}})
	if !slices.Equal(kinds(ops), []OpKind{AddService, AddDest, DelDest, DelService}) {
		t.Errorf("protocol change %v", ops)
	}
	// Netmask /32 equals the default and PE/flags changes are edits.
	same := svc
	same.Netmask = 32
	if ops, _ := Diff([]VirtualService{{Service: same, Dests: []ipvs.Destination{rs}}}, cur, Options{}); len(ops) != 0 {
		t.Errorf("default netmask caused %v", ops)
	}
	pe := svc
	pe.PE, pe.Flags, pe.Timeout = "sip", ipvs.SvcPersistent, 300
	if ops, _ := Diff([]VirtualService{{Service: pe, Dests: []ipvs.Destination{rs}}}, cur, Options{}); !slices.Equal(kinds(ops), []OpKind{EditService}) {
		t.Errorf("pe change %v", ops)
	}
	// Duplicates in desired are rejected.
	if _, err := Diff([]VirtualService{{Service: svc}, {Service: svc}}, nil, Options{}); err == nil {
		t.Error("duplicate service accepted")
	}
	if _, err := Diff([]VirtualService{{Service: svc, Dests: []ipvs.Destination{rs, rs}}}, cur, Options{}); err == nil {
		t.Error("duplicate dest accepted (existing service)")
	}
	if _, err := Diff([]VirtualService{{Service: svc, Dests: []ipvs.Destination{moved, moved}}}, nil, Options{}); err == nil {
		t.Error("duplicate dest accepted (new service)")
	}
}

func TestApplySkipsDestsOfFailedService(t *testing.T) {
	f := ipvsfake.New()
	bad := ipvs.Service{ServiceKey: ipvs.NewServiceKey(ipvs.TCP, netip.MustParseAddrPort("10.0.0.1:80")), Scheduler: "nosuch"}
	good := ipvs.Service{ServiceKey: ipvs.NewServiceKey(ipvs.TCP, netip.MustParseAddrPort("10.0.0.2:80")), Scheduler: "rr"}
	rs := ipvs.NewDestination(netip.MustParseAddrPort("10.1.0.1:80"), ipvs.Masq, 1)
	ops, err := Sync(f, []VirtualService{{Service: bad, Dests: []ipvs.Destination{rs}}, {Service: good, Dests: []ipvs.Destination{rs}}}, Options{})
	if err == nil || !ipvs.IsNotExist(err) || len(ops) != 4 {
		t.Fatalf("err %v ops %v", err, ops)
	}
	c := f.Calls()
	if len(c) != 3 || c[0].Op != "new-service" || c[1].Service != good.ServiceKey || c[2].Op != "new-dest" {
		t.Errorf("calls %v", c)
	}
}

// buildBig builds 2,284 services with 37,298 destinations in total.
func buildBig() []VirtualService {
	const nsvc, ndest = 2284, 37298
	out := make([]VirtualService, nsvc)
	for i := range out {
		k := ipvs.NewServiceKey(ipvs.TCP, netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 10, byte(i >> 8), byte(i)}), 80))
		out[i].Service = ipvs.Service{ServiceKey: k, Scheduler: "wlc"}
		n := ndest / nsvc
		if i < ndest%nsvc {
			n++
		}
		for j := range n {
			out[i].Dests = append(out[i].Dests, ipvs.NewDestination(
				netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 168, byte(i % 200), byte(j + 1)}), 80), ipvs.Masq, 1))
		}
	}
	return out
}

func BenchmarkDiff37k(b *testing.B) {
	desired := buildBig()
	current := clone(desired)
	nd := 0
	for _, vs := range desired {
		nd += len(vs.Dests)
	}
	if len(desired) != 2284 || nd != 37298 {
		b.Fatalf("table %d/%d", len(desired), nd)
	}
	desired[1234].Dests[7].Weight = 5
	b.ReportAllocs()
	for b.Loop() {
		ops, err := Diff(desired, current, Options{})
		if err != nil || len(ops) != 1 || ops[0].Kind != EditDest || ops[0].Dest.Weight != 5 {
			b.Fatalf("ops %v err %v", ops, err)
		}
	}
}

func ExampleDiff() {
	svc := ipvs.Service{ServiceKey: ipvs.NewServiceKey(ipvs.TCP, netip.MustParseAddrPort("10.0.0.1:80")), Scheduler: "wlc"}
	rs := ipvs.NewDestination(netip.MustParseAddrPort("10.1.0.1:80"), ipvs.Masq, 1)
	ops, _ := Diff([]VirtualService{{Service: svc, Dests: []ipvs.Destination{rs}}}, nil, Options{})
	for _, o := range ops {
		fmt.Println(o)
	}
	// Output:
	// add-service TCP 10.0.0.1:80
	// add-dest TCP 10.0.0.1:80 -> 10.1.0.1:80
}

// BenchmarkDiff37kShuffled is the slow path: every current destination
// list is in a different order, so each service falls back to a map.
func BenchmarkDiff37kShuffled(b *testing.B) {
	desired := buildBig()
	current := clone(desired)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range current {
		r.Shuffle(len(current[i].Dests), func(x, y int) {
			current[i].Dests[x], current[i].Dests[y] = current[i].Dests[y], current[i].Dests[x]
		})
	}
	r.Shuffle(len(current), func(x, y int) { current[x], current[y] = current[y], current[x] })
	desired[1234].Dests[7].Weight = 5
	b.ReportAllocs()
	for b.Loop() {
		ops, err := Diff(desired, current, Options{})
		if err != nil || len(ops) != 1 || ops[0].Kind != EditDest {
			b.Fatalf("ops %v err %v", ops, err)
		}
	}
}
