package vrrp

import (
	"reflect"
	"slices"

	"github.com/gokeepalived/gokeepalived/conf"
)

func sameRoute(a, b conf.Route) bool {
	a.Pos, b.Pos = conf.Pos{}, conf.Pos{}
	return reflect.DeepEqual(a, b)
}

func sameRule(a, b conf.Rule) bool {
	a.Pos, b.Pos = conf.Pos{}, conf.Pos{}
	return reflect.DeepEqual(a, b)
}

// DiffRoutes returns the routes only in old and those only in next.
func DiffRoutes(old, next []conf.Route) (gone, added []conf.Route) {
	for _, a := range old {
		if !slices.ContainsFunc(next, func(b conf.Route) bool { return sameRoute(a, b) }) {
			gone = append(gone, a)
		}
	}
	for _, a := range next {
		if !slices.ContainsFunc(old, func(b conf.Route) bool { return sameRoute(a, b) }) {
			added = append(added, a)
		}
	}
	return gone, added
}

func DiffRules(old, next []conf.Rule) (gone, added []conf.Rule) {
	for _, a := range old {
		if !slices.ContainsFunc(next, func(b conf.Rule) bool { return sameRule(a, b) }) {
			gone = append(gone, a)
		}
	}
	for _, a := range next {
		if !slices.ContainsFunc(old, func(b conf.Rule) bool { return sameRule(a, b) }) {
			added = append(added, a)
		}
	}
	return gone, added
}

func SameVIP(a, b VIP) bool {
	lft := func(p *uint32) int64 {
		if p == nil {
			return -1
		}
		return int64(*p)
	}
	return a.Prefix == b.Prefix && a.Dev == b.Dev && a.Broadcast == b.Broadcast && a.Scope == b.Scope &&
		a.Label == b.Label && a.NoDAD == b.NoDAD && lft(a.PreferredLft) == lft(b.PreferredLft)
}
