package check

import (
	"encoding"
	"encoding/json"
	"net/netip"
	"reflect"
	"sync"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/ipvs"
)

// sameChecker is what keepalived's per-type compare functions look at:
// the type, connection options and type options, not the timing. It
// compares what the config's JSON would show, without marshalling (37k
// checkers at each reload).
func sameChecker(a, b *conf.Checker) bool {
	checkerEqualOnce.Do(func() {
		t := reflect.TypeFor[conf.Checker]()
		for _, name := range []string{"Conn", "HTTP", "SMTP", "DNS", "Misc", "UDP", "File", "BFD"} {
			f, _ := t.FieldByName(name)
			checkerEqual = append(checkerEqual, fieldEq{f.Index[0], jsonEqualFunc(f.Type, map[reflect.Type]*eqFunc{})})
		}
	})
	if a.Type != b.Type {
		return false
	}
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	for _, f := range checkerEqual {
		if !f.eq(va.Field(f.i), vb.Field(f.i)) {
			return false
		}
	}
	return true
}

var (
	checkerEqualOnce sync.Once
	checkerEqual     []fieldEq
	textMarshaler    = reflect.TypeFor[encoding.TextMarshaler]()
	jsonMarshaler    = reflect.TypeFor[json.Marshaler]()
)

type eqFunc = func(a, b reflect.Value) bool

type fieldEq struct {
	i  int
	eq eqFunc
}

// jsonEqualFunc returns a function telling whether two values of type t
// marshal to the same JSON, as far as conf's model goes: exported fields
// not tagged "-" (positions are skipped); values with their own text
// form (netip) compare as values; a nil and an empty slice or map are
// equal. Worked out once per type: the reload compares 37k checkers.
func jsonEqualFunc(t reflect.Type, seen map[reflect.Type]*eqFunc) eqFunc {
	if p := seen[t]; p != nil { // a recursive type: call through
		return func(a, b reflect.Value) bool { return (*p)(a, b) }
	}
	p := new(eqFunc)
	seen[t] = p
	*p = jsonEqualFuncOf(t, seen)
	return *p
}

func jsonEqualFuncOf(t reflect.Type, seen map[reflect.Type]*eqFunc) eqFunc {
	switch t {
	case reflect.TypeFor[netip.Addr]():
		return eqAs[netip.Addr]
	case reflect.TypeFor[netip.AddrPort]():
		return eqAs[netip.AddrPort]
	case reflect.TypeFor[netip.Prefix]():
		return eqAs[netip.Prefix]
	}
	switch t.Kind() {
	case reflect.Bool:
		return func(a, b reflect.Value) bool { return a.Bool() == b.Bool() }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(a, b reflect.Value) bool { return a.Int() == b.Int() }
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return func(a, b reflect.Value) bool { return a.Uint() == b.Uint() }
	case reflect.String:
		return func(a, b reflect.Value) bool { return a.String() == b.String() }
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return func(a, b reflect.Value) bool { return true } // not in JSON
	}
	if t.Implements(textMarshaler) || t.Implements(jsonMarshaler) {
		if t.Comparable() {
			return func(a, b reflect.Value) bool { return a.Equal(b) }
		}
		return func(a, b reflect.Value) bool {
			if !a.CanInterface() {
				return a.Equal(b)
			}
			ja, ea := json.Marshal(a.Interface())
			jb, eb := json.Marshal(b.Interface())
			return ea == nil && eb == nil && string(ja) == string(jb)
		}
	}
	switch t.Kind() {
	case reflect.Pointer:
		elem := jsonEqualFunc(t.Elem(), seen)
		return func(a, b reflect.Value) bool {
			if a.IsNil() || b.IsNil() {
				return a.IsNil() == b.IsNil()
			}
			return elem(a.Elem(), b.Elem())
		}
	case reflect.Interface:
		return func(a, b reflect.Value) bool {
			if a.IsNil() || b.IsNil() {
				return a.IsNil() == b.IsNil()
			}
			ea, eb := a.Elem(), b.Elem()
			return ea.Type() == eb.Type() && jsonEqualFunc(ea.Type(), map[reflect.Type]*eqFunc{})(ea, eb)
		}
	case reflect.Slice, reflect.Array:
		elem := jsonEqualFunc(t.Elem(), seen)
		return func(a, b reflect.Value) bool {
			if a.Len() != b.Len() {
				return false
			}
			for i := range a.Len() {
				if !elem(a.Index(i), b.Index(i)) {
					return false
				}
			}
			return true
		}
	case reflect.Map:
		elem := jsonEqualFunc(t.Elem(), seen)
		return func(a, b reflect.Value) bool {
			if a.Len() != b.Len() {
				return false
			}
			for it := a.MapRange(); it.Next(); {
				bv := b.MapIndex(it.Key())
				if !bv.IsValid() || !elem(it.Value(), bv) {
					return false
				}
			}
			return true
		}
	case reflect.Struct:
		var fs []fieldEq
		for i := range t.NumField() {
			f := t.Field(i)
			if (f.IsExported() || f.Anonymous) && f.Tag.Get("json") != "-" {
				fs = append(fs, fieldEq{i, jsonEqualFunc(f.Type, seen)})
			}
		}
		return func(a, b reflect.Value) bool {
			for _, f := range fs {
				if !f.eq(a.Field(f.i), b.Field(f.i)) {
					return false
				}
			}
			return true
		}
	}
	return func(a, b reflect.Value) bool { return a.Equal(b) }
}

// eqAs compares two values of a comparable type T with ==, through
// pointers when addressable (no boxing).
func eqAs[T comparable](a, b reflect.Value) bool {
	if a.CanAddr() && b.CanAddr() && a.CanInterface() {
		return *a.Addr().Interface().(*T) == *b.Addr().Interface().(*T)
	}
	return a.Equal(b)
}

// carry is ipwrapper.c's clear_diff_services + migrate_checkers, before
// start(): state of unchanged virtual servers, real servers and
// checkers moves from old to e. Virtual servers match by key, real
// servers within them by destination.
func (e *Engine) carry(old *Engine) {
	oldVS := make(map[string]*vsEntry, len(old.vss))
	for _, o := range old.vss {
		oldVS[o.key] = o
	}
	kept := make(map[string]bool, len(e.vss))
	var cands []*job
	for _, ent := range e.vss {
		o := oldVS[ent.key]
		if o == nil {
			continue
		}
		kept[ent.key] = true
		oldRS := make(map[ipvs.DestKey]int, len(o.st.RS))
		for i, r := range o.st.RS {
			if _, dup := oldRS[r.Cfg.Dest.Key()]; !dup {
				oldRS[r.Cfg.Dest.Key()] = i
			}
		}
		for i, r := range ent.st.RS {
			oi, ok := oldRS[r.Cfg.Dest.Key()]
			if !ok {
				continue
			}
			cands = append(cands[:0], o.rsJobs[oi]...)
			jobs := ent.rsJobs[i]
			// a reloaded RS's new checkers start up and unrun, even alpha
			// ones (check_new_rs_state skips reloaded servers)
			for _, nj := range jobs {
				nj.st.Up, nj.st.RetryIt = true, 0
				ent.st.RestoreChecker(i, nj.id, true, 0)
			}
			anyRun, failed := false, 0
			for _, nj := range jobs {
				for ci, oj := range cands {
					if oj == nil || !sameChecker(oj.cfg, nj.cfg) {
						continue
					}
					cands[ci] = nil
					if oj.st.HasRun {
						nj.st.Up = oj.st.Up
					}
					nj.st.HasRun = oj.st.HasRun
					e.carryRetries(nj, oj)
					nj.carried.Store(oj.due.Load())
					ent.st.RestoreChecker(i, nj.id, nj.st.Up, o.st.CheckerWeight(oi, oj.id))
					break
				}
				if nj.st.HasRun {
					anyRun = true
					if !nj.st.Up {
						failed++
					}
				}
			}
			if failed > 0 || (!o.st.RS[oi].Alive && !anyRun) {
				for _, nj := range jobs {
					if !nj.st.HasRun {
						if nj.st.T.Alpha {
							nj.st.Up = false
							ent.st.RestoreChecker(i, nj.id, false, 0)
						}
						if !nj.st.T.RetryEachCheck {
							nj.st.RetryIt = nj.st.T.Retry // one failure is enough
						}
					}
				}
			}
			ent.st.Restore(i, o.st.RS[oi].Alive)
		}
		ent.st.RestoreQuorum(o.st.QuorumUp, o.st.SorryAlive)
	}
	for _, o := range old.vss {
		if !kept[o.key] {
			e.opt.Logf("Removing Virtual Server %s", o.st.Cfg.Name)
		}
	}
}

// carryRetries is migrate_checkers' retry count and, from keepalived
// 2.3.0, migrate_http_check's failed url: a down HTTP checker goes on
// polling the url that failed. 2.2.7 keeps neither the failed url nor a
// retry count it had reached (one failure short of down, at most).
func (e *Engine) carryRetries(nj, oj *job) {
	if nj.st.T.RetryEachCheck {
		return
	}
	if !e.compat.AtLeast(2, 3, 0) {
		if oj.st.RetryIt > 0 && nj.st.T.Retry > 0 {
			nj.st.RetryIt = min(oj.st.RetryIt, nj.st.T.Retry-1)
		}
		return
	}
	switch {
	case !nj.st.Up:
		nj.st.RetryIt = nj.st.T.Retry + 1
	case oj.st.RetryIt >= nj.st.T.Retry:
		nj.st.RetryIt = nj.st.T.Retry
	default:
		nj.st.RetryIt = oj.st.RetryIt
	}
	if !nj.st.Up {
		nj.st.FailedURL = oj.st.FailedURL
	}
}
