package vrrptest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/vrrp"
)

// VMACs is a fake vrrp.VMACs: a created VMAC becomes an interface of
// Net (with the virtual MAC and the base's state), so sockets can open on it.
type VMACs struct {
	Net *Net

	mu      sync.Mutex
	Created map[string]vrrp.VMAC
	Log     []string // "create vrrp.51" / "delete vrrp.51"
}

func (v *VMACs) Create(m vrrp.VMAC) (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	base, ok := v.Net.Ifaces[m.Base]
	if !ok {
		return "", errors.New("no such interface " + m.Base)
	}
	name := m.Name
	if name == "" {
		name = fmt.Sprintf("%s.%d", m.Prefix, m.VRID)
	}
	if v.Created == nil {
		v.Created = map[string]vrrp.VMAC{}
	}
	m.Name = name
	v.Created[name] = m
	v.Log = append(v.Log, "create "+name)
	v.Net.Ifaces[name] = vrrp.IfaceInfo{Index: 100 + int(m.VRID), Up: base.Up, MAC: m.MAC}
	return name, nil
}

func (v *VMACs) Delete(name string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.Created[name]; !ok {
		return errors.New("not ours: " + name)
	}
	delete(v.Created, name)
	v.Log = append(v.Log, "delete "+name)
	return nil
}

// Ops returns the operations so far.
func (v *VMACs) Ops() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.Log...)
}

// Routes is a fake vrrp.Routes: the routes and rules present, by their
// log form (vrrp.FormatRoute / FormatRule).
type Routes struct {
	mu    sync.Mutex
	Set   map[string]bool
	Log   []string // "add route …", "del rule …", in order
	Fails bool     // every call fails
}

func (r *Routes) op(verb, kind, what string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Fails {
		return errors.New("fake failure")
	}
	if r.Set == nil {
		r.Set = map[string]bool{}
	}
	r.Log = append(r.Log, verb+" "+kind+" "+what)
	if verb == "add" {
		r.Set[kind+" "+what] = true
	} else {
		delete(r.Set, kind+" "+what)
	}
	return nil
}

func (r *Routes) AddRoute(x *conf.Route) error { return r.op("add", "route", vrrp.FormatRoute(x)) }
func (r *Routes) DelRoute(x *conf.Route) error { return r.op("del", "route", vrrp.FormatRoute(x)) }
func (r *Routes) AddRule(x *conf.Rule) error   { return r.op("add", "rule", vrrp.FormatRule(x)) }
func (r *Routes) DelRule(x *conf.Rule) error   { return r.op("del", "rule", vrrp.FormatRule(x)) }

// Has reports whether "route X" / "rule X" is present.
func (r *Routes) Has(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.Set[s]
}

// Ops returns the operations so far.
func (r *Routes) Ops() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.Log...)
}

// Processes is a fake vrrp.Processes whose list the test sets.
type Processes struct {
	mu    sync.Mutex
	procs []vrrp.Proc
}

// Set replaces the process list.
func (p *Processes) Set(ps ...vrrp.Proc) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.procs = append([]vrrp.Proc(nil), ps...)
}

func (p *Processes) List(map[string]bool, bool) ([]vrrp.Proc, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]vrrp.Proc(nil), p.procs...), nil
}

// Links is a fake vrrp.Links the test feeds.
type Links struct{ C chan vrrp.LinkEvent }

// NewLinks returns a Links with a buffered channel.
func NewLinks() *Links { return &Links{C: make(chan vrrp.LinkEvent, 16)} }

func (l *Links) Watch(ctx context.Context, ch chan<- vrrp.LinkEvent) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-l.C:
			select {
			case ch <- ev:
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// Spec is what the socket was opened for.
func (k *Sock) Spec() vrrp.SocketSpec { return k.spec }

// Dev is the interface address p was added on ("" if absent).
func (a *Addrs) Dev(p netip.Prefix) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.Set[p].Dev
}
