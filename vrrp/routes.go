package vrrp

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/gokeepalived/gokeepalived/conf"
)

// Routes adds and removes routes and rules (rtnetlink in vrrp/netio).
// Adding one that is there and removing one that is not are not errors.
type Routes interface {
	AddRoute(r *conf.Route) error
	DelRoute(r *conf.Route) error
	AddRule(r *conf.Rule) error
	DelRule(r *conf.Rule) error
}

// Deletion is an address, or a route of protocol keepalived, that the
// kernel reports deleted.
type Deletion struct {
	Route bool
	Addr  netip.Prefix // address deleted (Route false)
	Dst   netip.Prefix // route destination; a zero-length prefix for default
	Table uint32
	Dev   string
}

// DeletionWatcher is implemented by a Links that also reports deletions
// (netio.Links): keepalived restores a deleted tracked static address or
// route at once.
type DeletionWatcher interface {
	WatchDeletions(ctx context.Context, ch chan<- Deletion) error
}

// FormatRoute renders a route roughly as ip route prints it, for logs.
func FormatRoute(rt *conf.Route) string {
	var b strings.Builder
	if rt.Type != "" && rt.Type != "unicast" {
		b.WriteString(rt.Type + " ")
	}
	if rt.DstDefault || !rt.Dst.IsValid() {
		b.WriteString("default")
	} else {
		b.WriteString(rt.Dst.String())
	}
	if rt.Via.IsValid() {
		b.WriteString(" via " + rt.Via.String())
	}
	if rt.Dev != "" {
		b.WriteString(" dev " + rt.Dev)
	}
	if rt.Src.IsValid() {
		b.WriteString(" src " + rt.Src.String())
	}
	if rt.Table != 0 && rt.Table != 254 {
		fmt.Fprintf(&b, " table %d", rt.Table)
	}
	if rt.Metric != nil {
		fmt.Fprintf(&b, " metric %d", *rt.Metric)
	}
	return b.String()
}

// FormatRule renders a rule roughly as ip rule prints it, for logs.
func FormatRule(rl *conf.Rule) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d:", rl.Priority)
	if rl.Invert {
		b.WriteString(" not")
	}
	b.WriteString(" from ")
	if rl.From.IsValid() {
		b.WriteString(rl.From.String())
	} else {
		b.WriteString("all")
	}
	if rl.To.IsValid() {
		b.WriteString(" to " + rl.To.String())
	}
	if rl.Fwmark != nil {
		fmt.Fprintf(&b, " fwmark %#x", *rl.Fwmark)
	}
	switch rl.Action {
	case "table":
		fmt.Fprintf(&b, " lookup %d", rl.Table)
	case "goto":
		fmt.Fprintf(&b, " goto %d", rl.Goto)
	default:
		b.WriteString(" " + rl.Action)
	}
	return b.String()
}
