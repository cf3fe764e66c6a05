// Package ipvsfake is an in-memory ipvs.Client that enforces the kernel's
// rules and error numbers (ip_vs_ctl.c), for tests of code that drives
// IPVS. It also records every mutating call so tests can count operations.
package ipvsfake

import (
	"net/netip"
	"slices"
	"sync"
	"syscall"

	"github.com/gokeepalived/gokeepalived/ipvs"
)

// Call is one recorded mutating operation.
type Call struct {
	Op      string // "new-service", "set-service", "del-service", "new-dest", "set-dest", "del-dest", "flush", ...
	Service ipvs.ServiceKey
	Dest    ipvs.DestKey
}

type service struct {
	ipvs.ServiceEntry
	dests map[ipvs.DestKey]*ipvs.DestinationEntry
	order []ipvs.DestKey // newest first, like the kernel's list_add
}

// Fake is safe for concurrent use.
type Fake struct {
	mu       sync.Mutex
	svcs     map[ipvs.ServiceKey]*service
	order    []ipvs.ServiceKey
	daemons  map[ipvs.SyncState]ipvs.SyncDaemon
	timeouts ipvs.Timeouts
	mixed    int // destinations whose family differs from their service
	calls    []Call

	// Schedulers and PEs are the modules "loaded"; unknown names fail
	// with ENOENT as in the kernel. Change them before use.
	Schedulers map[string]bool
	PEs        map[string]bool
	// Fail, if set, is consulted before every mutating call; a non-nil
	// result is returned (wrapped in *ipvs.OpError) instead.
	Fail func(c Call) error
}

var _ ipvs.Client = (*Fake)(nil)

// New returns an empty table with every scheduler keepalived knows and
// the "sip" persistence engine available.
func New() *Fake {
	f := &Fake{
		svcs:       map[ipvs.ServiceKey]*service{},
		daemons:    map[ipvs.SyncState]ipvs.SyncDaemon{},
		timeouts:   ipvs.Timeouts{TCP: 900, TCPFin: 120, UDP: 300},
		Schedulers: map[string]bool{"none": true},
		PEs:        map[string]bool{"sip": true},
	}
	for _, s := range []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "mh", "sed", "nq", "fo", "ovf", "twos"} {
		f.Schedulers[s] = true
	}
	return f
}

// Calls returns the mutating calls made so far.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// ResetCalls forgets the recorded calls.
func (f *Fake) ResetCalls() {
	f.mu.Lock()
	f.calls = nil
	f.mu.Unlock()
}

func opErr(c Call, errno error) error {
	obj := c.Service.String()
	if c.Dest.Addr.IsValid() {
		obj += " -> " + c.Dest.String()
	}
	return &ipvs.OpError{Op: c.Op, Obj: obj, Err: errno}
}

// begin records c and runs the failure hook; callers hold f.mu.
func (f *Fake) begin(c Call) error {
	f.calls = append(f.calls, c)
	if f.Fail != nil {
		if err := f.Fail(c); err != nil {
			return opErr(c, err)
		}
	}
	return nil
}

func normalize(s ipvs.Service) ipvs.Service {
	s.Flags &^= ipvs.SvcHashed
	full := 32
	if s.Family == ipvs.IPv6 {
		full = 128
	}
	if int(s.Netmask) >= full {
		s.Netmask = 0 // the default, as dumps report it
	}
	return s
}

func (f *Fake) checkModules(c Call, s ipvs.Service) error {
	if !f.Schedulers[s.Scheduler] {
		return opErr(c, syscall.ENOENT)
	}
	if s.PE != "" && !f.PEs[s.PE] {
		return opErr(c, syscall.ENOENT)
	}
	return nil
}

func (f *Fake) Services() ([]ipvs.ServiceEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]ipvs.ServiceEntry, 0, len(f.order))
	for _, k := range f.order {
		out = append(out, f.svcs[k].ServiceEntry)
	}
	return out, nil
}

func (f *Fake) Service(k ipvs.ServiceKey) (ipvs.ServiceEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.svcs[k]
	if !ok {
		return ipvs.ServiceEntry{}, opErr(Call{Op: "get-service", Service: k}, syscall.ESRCH)
	}
	return s.ServiceEntry, nil
}

// Destinations of a missing service is an empty list, as in the kernel.
func (f *Fake) Destinations(k ipvs.ServiceKey) ([]ipvs.DestinationEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.svcs[k]
	if !ok {
		return []ipvs.DestinationEntry{}, nil
	}
	out := make([]ipvs.DestinationEntry, 0, len(s.order))
	for _, dk := range s.order {
		out = append(out, *s.dests[dk])
	}
	return out, nil
}

func (f *Fake) NewService(s ipvs.Service) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := Call{Op: "new-service", Service: s.ServiceKey}
	if err := f.begin(c); err != nil {
		return err
	}
	if err := s.Validate(); err != nil {
		return opErr(c, syscall.EINVAL)
	}
	if _, ok := f.svcs[s.ServiceKey]; ok {
		return opErr(c, syscall.EEXIST)
	}
	if err := f.checkModules(c, s); err != nil {
		return err
	}
	f.svcs[s.ServiceKey] = &service{ServiceEntry: ipvs.ServiceEntry{Service: normalize(s)}, dests: map[ipvs.DestKey]*ipvs.DestinationEntry{}}
	f.order = append(f.order, s.ServiceKey)
	return nil
}

func (f *Fake) SetService(s ipvs.Service) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := Call{Op: "set-service", Service: s.ServiceKey}
	if err := f.begin(c); err != nil {
		return err
	}
	if err := s.Validate(); err != nil {
		return opErr(c, syscall.EINVAL)
	}
	cur, ok := f.svcs[s.ServiceKey]
	if !ok {
		return opErr(c, syscall.ESRCH)
	}
	if err := f.checkModules(c, s); err != nil {
		return err
	}
	cur.Service = normalize(s)
	return nil
}

func (f *Fake) DelService(k ipvs.ServiceKey) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := Call{Op: "del-service", Service: k}
	if err := f.begin(c); err != nil {
		return err
	}
	s, ok := f.svcs[k]
	if !ok {
		return opErr(c, syscall.ESRCH)
	}
	for _, d := range s.dests {
		if d.Family() != k.Family {
			f.mixed--
		}
	}
	delete(f.svcs, k)
	f.order = slices.DeleteFunc(f.order, func(x ipvs.ServiceKey) bool { return x == k })
	return nil
}

// checkDest mirrors ip_vs_genl_set_cmd + ip_vs_add/edit_dest checks.
func (f *Fake) checkDest(c Call, s *service, d ipvs.Destination) error {
	if err := d.Validate(); err != nil {
		return opErr(c, syscall.EINVAL)
	}
	if d.Family() != s.Family {
		if len(f.daemons) > 0 || d.Fwd != ipvs.Tunnel {
			return opErr(c, syscall.EINVAL)
		}
	}
	if d.Weight > ipvs.MaxWeight || d.LowerThreshold > d.UpperThreshold {
		return opErr(c, syscall.ERANGE)
	}
	if d.TunnelType == ipvs.TunGUE && d.TunnelPort == 0 {
		return opErr(c, syscall.EINVAL)
	}
	return nil
}

func (f *Fake) NewDestination(k ipvs.ServiceKey, d ipvs.Destination) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := Call{Op: "new-dest", Service: k, Dest: d.Key()}
	if err := f.begin(c); err != nil {
		return err
	}
	s, ok := f.svcs[k]
	if !ok {
		return opErr(c, syscall.ESRCH)
	}
	if err := f.checkDest(c, s, d); err != nil {
		return err
	}
	if _, ok := s.dests[d.Key()]; ok {
		return opErr(c, syscall.EEXIST)
	}
	s.dests[d.Key()] = &ipvs.DestinationEntry{Destination: d}
	s.order = slices.Insert(s.order, 0, d.Key())
	if d.Family() != s.Family {
		f.mixed++
	}
	return nil
}

func (f *Fake) SetDestination(k ipvs.ServiceKey, d ipvs.Destination) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := Call{Op: "set-dest", Service: k, Dest: d.Key()}
	if err := f.begin(c); err != nil {
		return err
	}
	s, ok := f.svcs[k]
	if !ok {
		return opErr(c, syscall.ESRCH)
	}
	if err := f.checkDest(c, s, d); err != nil {
		return err
	}
	cur, ok := s.dests[d.Key()]
	if !ok {
		return opErr(c, syscall.ENOENT)
	}
	cur.Destination = d
	return nil
}

func (f *Fake) DelDestination(k ipvs.ServiceKey, dk ipvs.DestKey) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := Call{Op: "del-dest", Service: k, Dest: dk}
	if err := f.begin(c); err != nil {
		return err
	}
	s, ok := f.svcs[k]
	if !ok {
		return opErr(c, syscall.ESRCH)
	}
	if _, ok := s.dests[dk]; !ok {
		return opErr(c, syscall.ENOENT)
	}
	if ipvs.FamilyOf(dk.Addr) != s.Family {
		f.mixed--
	}
	delete(s.dests, dk)
	s.order = slices.DeleteFunc(s.order, func(x ipvs.DestKey) bool { return x == dk })
	return nil
}

// SetDestCounters sets the connection counters and stats a dump reports.
func (f *Fake) SetDestCounters(k ipvs.ServiceKey, dk ipvs.DestKey, active, inact uint32, st ipvs.Stats) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.svcs[k]
	if !ok {
		return syscall.ESRCH
	}
	d, ok := s.dests[dk]
	if !ok {
		return syscall.ENOENT
	}
	d.ActiveConns, d.InactConns, d.Stats = active, inact, st
	return nil
}

// SetServiceStats sets the stats a dump reports for service k.
func (f *Fake) SetServiceStats(k ipvs.ServiceKey, st ipvs.Stats) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.svcs[k]
	if !ok {
		return syscall.ESRCH
	}
	s.Stats = st
	return nil
}

func (f *Fake) Flush() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(Call{Op: "flush"}); err != nil {
		return err
	}
	clear(f.svcs)
	f.order, f.mixed = nil, 0
	return nil
}

func (f *Fake) Info() (ipvs.Info, error) {
	return ipvs.Info{Version: 0x010201, ConnTabSize: 4096}, nil
}

func (f *Fake) Timeouts() (ipvs.Timeouts, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.timeouts, nil
}

// SetTimeouts changes the non-zero fields, like the kernel.
func (f *Fake) SetTimeouts(t ipvs.Timeouts) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(Call{Op: "set-timeouts"}); err != nil {
		return err
	}
	if t.TCP != 0 {
		f.timeouts.TCP = t.TCP
	}
	if t.TCPFin != 0 {
		f.timeouts.TCPFin = t.TCPFin
	}
	if t.UDP != 0 {
		f.timeouts.UDP = t.UDP
	}
	return nil
}

func (f *Fake) SyncDaemons() ([]ipvs.SyncDaemon, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []ipvs.SyncDaemon
	for _, s := range []ipvs.SyncState{ipvs.SyncMaster, ipvs.SyncBackup} {
		if d, ok := f.daemons[s]; ok {
			out = append(out, d)
		}
	}
	return out, nil
}

// NewSyncDaemon fills the kernel defaults (port 8848, TTL 1, group
// 224.0.0.81, maxlen 1472 for a 1500-byte MTU).
func (f *Fake) NewSyncDaemon(d ipvs.SyncDaemon) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := Call{Op: "new-daemon"}
	if err := f.begin(c); err != nil {
		return err
	}
	if (d.State != ipvs.SyncMaster && d.State != ipvs.SyncBackup) || d.Interface == "" || f.mixed > 0 {
		return opErr(c, syscall.EINVAL)
	}
	if d.Group.IsValid() && !d.Group.IsMulticast() {
		return opErr(c, syscall.EINVAL)
	}
	if _, ok := f.daemons[d.State]; ok {
		return opErr(c, syscall.EEXIST)
	}
	if d.Port == 0 {
		d.Port = 8848
	}
	if d.TTL == 0 {
		d.TTL = 1
	}
	if !d.Group.IsValid() {
		d.Group = netip.MustParseAddr("224.0.0.81")
	}
	if d.MaxLen == 0 {
		d.MaxLen = 1472
	}
	f.daemons[d.State] = d
	return nil
}

func (f *Fake) DelSyncDaemon(s ipvs.SyncState) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := Call{Op: "del-daemon"}
	if err := f.begin(c); err != nil {
		return err
	}
	if _, ok := f.daemons[s]; !ok {
		return opErr(c, syscall.ESRCH)
	}
	delete(f.daemons, s)
	return nil
}

func (f *Fake) Close() error { return nil }
