// Package reconcile computes the minimal ordered list of IPVS operations
// that turns the kernel table into the desired one, and applies it.
//
// Diff is a keyed diff over maps, O(services + destinations). Anything
// editable is edited in place (IPVS_CMD_SET_SERVICE / SET_DEST); a change
// of identity (protocol, address, port, fwmark, family) is a different
// key, hence delete + add. Services are added before their destinations
// and deleted after them.
//
// Ownership: services in the desired table are owned and adopted as found
// (no flush at start-up). Kernel services outside it are left alone
// unless they were owned before (Options.PrevOwned, e.g. the previous
// config on reload) or Options.PurgeUnowned is set (lvs_flush).
package reconcile

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/gokeepalived/gokeepalived/ipvs"
)

// VirtualService is a service and its destinations.
type VirtualService struct {
	Service ipvs.Service
	Dests   []ipvs.Destination
}

// OpKind is the kind of one IPVS operation.
type OpKind uint8

// Operation kinds.
const (
	AddService OpKind = iota + 1
	EditService
	DelService
	AddDest
	EditDest
	DelDest
)

func (k OpKind) String() string {
	switch k {
	case AddService:
		return "add-service"
	case EditService:
		return "edit-service"
	case DelService:
		return "del-service"
	case AddDest:
		return "add-dest"
	case EditDest:
		return "edit-dest"
	case DelDest:
		return "del-dest"
	}
	return fmt.Sprintf("op(%d)", uint8(k))
}

// Op is one operation. Service is complete for service ops; for
// destination ops only its key is used.
type Op struct {
	Kind    OpKind
	Service ipvs.Service
	Dest    ipvs.Destination
}

func (o Op) String() string {
	switch o.Kind {
	case AddService, EditService, DelService:
		return o.Kind.String() + " " + o.Service.ServiceKey.String()
	}
	return o.Kind.String() + " " + o.Service.ServiceKey.String() + " -> " + o.Dest.Key().String()
}

// Options control ownership.
type Options struct {
	// PrevOwned are services this daemon owned before; the ones no longer
	// desired are deleted.
	PrevOwned map[ipvs.ServiceKey]bool
	// PurgeUnowned deletes every kernel service that is not desired
	// (keepalived's lvs_flush, without disturbing what is kept).
	PurgeUnowned bool
}

const matched = -1

// alignment reports whether want and cur hold the same keys in the same
// order (1) or in reverse order (-1, the kernel dumps newest first), or
// neither (0). Keys in cur are unique (it is a kernel dump), so a full
// positional match is a bijection and needs no map.
func alignment(want, cur []ipvs.Destination) int {
	n := len(cur)
	if len(want) != n {
		return 0
	}
	same, rev := true, true
	for j := range want {
		k := want[j].Key()
		same = same && k == cur[j].Key()
		rev = rev && k == cur[n-1-j].Key()
		if !same && !rev {
			return 0
		}
	}
	if same {
		return 1
	}
	return -1
}

// Diff returns the operations turning current into desired. current must
// have unique keys (a dump does). It fails only on duplicate keys in
// desired.
func Diff(desired, current []VirtualService, opt Options) ([]Op, error) {
	curSvc := make(map[ipvs.ServiceKey]int, len(current))
	for i := range current {
		curSvc[current[i].Service.ServiceKey] = i
	}

	var ops []Op
	want := make(map[ipvs.ServiceKey]bool, len(desired))
	for _, vs := range desired {
		k := vs.Service.ServiceKey
		if want[k] {
			return nil, fmt.Errorf("reconcile: duplicate service %v", k)
		}
		want[k] = true
		ci, exists := curSvc[k]
		if !exists {
			ops = append(ops, Op{Kind: AddService, Service: vs.Service})
			seen := make(map[ipvs.DestKey]bool, len(vs.Dests))
			for _, d := range vs.Dests {
				if seen[d.Key()] {
					return nil, fmt.Errorf("reconcile: duplicate destination %v in %v", d.Key(), k)
				}
				seen[d.Key()] = true
				ops = append(ops, Op{Kind: AddDest, Service: vs.Service, Dest: d})
			}
			continue
		}
		cur := &current[ci]
		if !vs.Service.SameAttrs(cur.Service) {
			ops = append(ops, Op{Kind: EditService, Service: vs.Service})
		}

		// Fast path: same destination set, only attributes may differ.
		if a := alignment(vs.Dests, cur.Dests); a != 0 {
			n := len(cur.Dests)
			for j, d := range vs.Dests {
				c := &cur.Dests[j]
				if a < 0 {
					c = &cur.Dests[n-1-j]
				}
				if !d.SameAttrs(*c) {
					ops = append(ops, Op{Kind: EditDest, Service: vs.Service, Dest: d})
				}
			}
			continue
		}

		idx := make(map[ipvs.DestKey]int, len(cur.Dests))
		for j := range cur.Dests {
			idx[cur.Dests[j].Key()] = j
		}
		for _, d := range vs.Dests {
			dk := d.Key()
			j, ok := idx[dk]
			switch {
			case ok && j == matched:
				return nil, fmt.Errorf("reconcile: duplicate destination %v in %v", dk, k)
			case ok:
				if !d.SameAttrs(cur.Dests[j]) {
					ops = append(ops, Op{Kind: EditDest, Service: vs.Service, Dest: d})
				}
			default:
				ops = append(ops, Op{Kind: AddDest, Service: vs.Service, Dest: d})
			}
			idx[dk] = matched
		}
		for _, d := range cur.Dests {
			if idx[d.Key()] != matched {
				ops = append(ops, Op{Kind: DelDest, Service: cur.Service, Dest: d})
			}
		}
	}

	for i := range current {
		cur := &current[i]
		k := cur.Service.ServiceKey
		if want[k] || !(opt.PurgeUnowned || opt.PrevOwned[k]) {
			continue
		}
		for _, d := range cur.Dests {
			ops = append(ops, Op{Kind: DelDest, Service: cur.Service, Dest: d})
		}
		ops = append(ops, Op{Kind: DelService, Service: cur.Service})
	}
	return ops, nil
}

// Dump reads the whole table from t.
func Dump(t ipvs.Table) ([]VirtualService, error) {
	svcs, err := t.Services()
	if err != nil {
		return nil, err
	}
	out := make([]VirtualService, 0, len(svcs))
	for _, s := range svcs {
		ds, err := t.Destinations(s.ServiceKey)
		if err != nil {
			return nil, err
		}
		vs := VirtualService{Service: s.Service, Dests: make([]ipvs.Destination, len(ds))}
		for i := range ds {
			vs.Dests[i] = ds[i].Destination
		}
		out = append(out, vs)
	}
	return out, nil
}

// OpError is an operation Apply could not apply; its text is Err's, so
// a caller can log the operation as it likes (keepalived names the
// command, the errno and the service).
type OpError struct {
	Op  Op
	Err error
}

func (e *OpError) Error() string { return e.Err.Error() }
func (e *OpError) Unwrap() error { return e.Err }

// Apply runs ops in order. It carries on after a failure (so one bad
// service does not block the others) but skips the destination ops of a
// service whose creation failed. It returns how many ops succeeded and
// the joined errors, an *OpError each.
func Apply(t ipvs.Table, ops []Op) (int, error) {
	if p, ok := t.(ipvs.Pipeliner); ok {
		return applyPipelined(p, ops)
	}
	var errs []error
	var failed map[ipvs.ServiceKey]bool
	n := 0
	for _, o := range ops {
		k := o.Service.ServiceKey
		if failed[k] && (o.Kind == AddDest || o.Kind == EditDest) {
			continue
		}
		var err error
		switch o.Kind {
		case AddService:
			err = t.NewService(o.Service)
		case EditService:
			err = t.SetService(o.Service)
		case DelService:
			err = t.DelService(k)
		case AddDest:
			err = t.NewDestination(k, o.Dest)
		case EditDest:
			err = t.SetDestination(k, o.Dest)
		case DelDest:
			err = t.DelDestination(k, o.Dest.Key())
		default:
			err = fmt.Errorf("reconcile: unknown op %v", o.Kind)
		}
		if err != nil {
			errs = append(errs, &OpError{Op: o, Err: err})
			if o.Kind == AddService {
				if failed == nil {
					failed = map[ipvs.ServiceKey]bool{}
				}
				failed[k] = true
			}
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

var editKinds = [...]ipvs.EditKind{
	AddService: ipvs.EditNewService, EditService: ipvs.EditSetService, DelService: ipvs.EditDelService,
	AddDest: ipvs.EditNewDest, EditDest: ipvs.EditSetDest, DelDest: ipvs.EditDelDest,
}

// applyPipelined is Apply without a round trip per op. The destination
// ops of a service whose creation failed are sent all the same; when they
// fail for want of the service (ESRCH) they count as skipped, as in Apply.
func applyPipelined(p ipvs.Pipeliner, ops []Op) (int, error) {
	edits := make([]ipvs.Edit, len(ops))
	var errs []error
	for i, o := range ops {
		if int(o.Kind) >= len(editKinds) || editKinds[o.Kind] == 0 {
			return 0, fmt.Errorf("reconcile: unknown op %v", o.Kind)
		}
		edits[i] = ipvs.Edit{Kind: editKinds[o.Kind], Service: o.Service, Dest: o.Dest}
	}
	res := p.Edits(edits)
	var failed map[ipvs.ServiceKey]bool
	n := 0
	for i, err := range res {
		o := ops[i]
		k := o.Service.ServiceKey
		switch {
		case err == nil:
			n++
		case failed[k] && (o.Kind == AddDest || o.Kind == EditDest) && errors.Is(err, syscall.ESRCH):
		default:
			errs = append(errs, &OpError{Op: o, Err: err})
			if o.Kind == AddService {
				if failed == nil {
					failed = map[ipvs.ServiceKey]bool{}
				}
				failed[k] = true
			}
		}
	}
	return n, errors.Join(errs...)
}

// Sync dumps t, diffs against desired and applies the result.
func Sync(t ipvs.Table, desired []VirtualService, opt Options) ([]Op, error) {
	cur, err := Dump(t)
	if err != nil {
		return nil, err
	}
	ops, err := Diff(desired, cur, opt)
	if err != nil {
		return nil, err
	}
	_, err = Apply(t, ops)
	return ops, err
}
