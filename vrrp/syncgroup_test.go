package vrrp

import (
	"log/slog"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// pair is a sync group of two instances on a fake clock (VRID 1 and 2,
// priority 150, advert 1 s), stepped by hand.
type pair struct {
	t    *testing.T
	a, b *Instance
	g    *SyncGroup
	log  *logRec
	acts map[string][]Action // everything each member did, in order
}

func newPair(t *testing.T, mut func(name string, c *Config)) *pair {
	t.Helper()
	l := &logRec{}
	mk := func(name string, vrid uint8) *Instance {
		c := baseConfig()
		c.Name, c.VRID = name, vrid
		c.GARPMasterDelay = 0
		c.Trackers = []Tracker{{Name: "chk_" + name, Up: true}}
		if mut != nil {
			mut(name, &c)
		}
		i, err := New(c, slog.New(l))
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	p := &pair{t: t, a: mk("A", 1), b: mk("B", 2), log: l, acts: map[string][]Action{}}
	g, err := NewSyncGroup("G1", []*Instance{p.a, p.b}, slog.New(l))
	if err != nil {
		t.Fatal(err)
	}
	p.g = g
	return p
}

// step steps one member and collects what both did.
func (p *pair) step(i *Instance, now time.Time, ev Event) {
	p.record(i, i.Step(now, ev))
	p.flush()
}

func (p *pair) record(i *Instance, acts []Action) {
	p.acts[i.Name()] = append(p.acts[i.Name()], acts...)
}

func (p *pair) flush() {
	for _, m := range p.g.Members() {
		p.record(m, m.Flush())
	}
}

func (p *pair) start(now time.Time) {
	p.g.Init(func(*Instance) bool { return true })
	for _, m := range p.g.Members() {
		p.record(m, m.Start(now, true))
	}
	p.flush()
}

// take returns and clears a member's actions, without timers.
func (p *pair) take(i *Instance) []Action {
	out := slices.DeleteFunc(p.acts[i.Name()], func(a Action) bool { _, ok := a.(SetTimer); return ok })
	p.acts[i.Name()] = nil
	return out
}

func (p *pair) states(a, b, g State) {
	p.t.Helper()
	if p.a.State() != a || p.b.State() != b || p.g.State() != g {
		p.t.Fatalf("states A %v B %v group %v, want %v %v %v", p.a.State(), p.b.State(), p.g.State(), a, b, g)
	}
}

func (p *pair) notes(want ...State) {
	p.t.Helper()
	if got := p.g.Notifies(); !slices.Equal(got, want) {
		p.t.Fatalf("group notifies %v, want %v", got, want)
	}
}

func (p *pair) logs(want ...string) {
	p.t.Helper()
	got := strings.Join(p.log.take(), "\n")
	for _, w := range want {
		i := strings.Index(got, w)
		if i < 0 {
			p.t.Fatalf("log line %q missing in:\n%s", w, got)
		}
		got = got[i+len(w):]
	}
}

func count[T Action](acts []Action, ok func(T) bool) int {
	n := 0
	for _, a := range acts {
		if x, is := a.(T); is && ok(x) {
			n++
		}
	}
	return n
}

func prioZero(acts []Action) int {
	return count(acts, func(s SendAdvert) bool { return s.Priority == 0 })
}

// elect starts the pair and lets both time out: both end MASTER.
func (p *pair) elect() time.Time {
	p.t.Helper()
	p.start(t0)
	p.states(StateBackup, StateBackup, StateBackup)
	p.notes(StateBackup)
	now := p.a.Deadline()
	if !p.b.Deadline().Equal(now) {
		p.t.Fatalf("deadlines differ: %v %v", now, p.b.Deadline())
	}
	// A times out first but B does not want MASTER yet: A waits, its
	// down timer restarted.
	p.step(p.a, now, EventTimer{})
	p.states(StateBackup, StateBackup, StateBackup)
	if want := now.Add(down150); !p.a.Deadline().Equal(want) {
		p.t.Fatalf("A waiting: deadline %v, want %v", p.a.Deadline(), want)
	}
	p.notes()
	// B times out: A wants MASTER, so B goes and takes A with it.
	p.step(p.b, now, EventTimer{})
	p.states(StateMaster, StateMaster, StateMaster)
	p.notes(StateMaster)
	p.logs("(B) Entering MASTER STATE", "VRRP_Group(G1) Syncing instances to MASTER state", "(A) Entering MASTER STATE")
	for _, m := range []*Instance{p.a, p.b} {
		acts := p.take(m)
		if count(acts, func(AddVIPs) bool { return true }) != 1 || count(acts, func(n Notify) bool { return n.State == StateMaster }) != 1 {
			p.t.Fatalf("%s on becoming master: %v", m.Name(), acts)
		}
	}
	return now
}

func TestSyncGroupElection(t *testing.T) { newPair(t, nil).elect() }

// A member that keeps hearing its master holds the other in BACKUP,
// however often that one times out.
func TestSyncGroupHeldInBackup(t *testing.T) {
	p := newPair(t, nil)
	p.start(t0)
	p.notes(StateBackup)
	master := netip.MustParseAddr("192.168.200.9")
	now := t0
	for range 5 {
		now = p.a.Deadline()
		p.step(p.b, now.Add(-time.Millisecond), adv(master, 200))
		p.step(p.a, now, EventTimer{})
		p.states(StateBackup, StateBackup, StateBackup)
	}
	p.notes()
	if acts := p.take(p.a); count(acts, func(AddVIPs) bool { return true }) != 0 {
		t.Fatalf("A added VIPs while held: %v", acts)
	}
}

// One member failing takes the other out of MASTER (one priority 0
// advert each from the group, two from the failed one, as keepalived);
// it coming back brings both to BACKUP.
func TestSyncGroupFaultTakesAll(t *testing.T) {
	p := newPair(t, nil)
	now := p.elect().Add(200 * time.Millisecond)
	p.step(p.a, now, EventInterface{Up: false})
	p.states(StateFault, StateFault, StateFault)
	p.notes(StateFault)
	p.logs("(A) Entering FAULT STATE", "VRRP_Group(G1) Syncing instances to FAULT state", "(B) Entering FAULT STATE")
	a, b := p.take(p.a), p.take(p.b)
	if prioZero(a) != 2 || prioZero(b) != 1 {
		t.Fatalf("priority 0 adverts: A %d (want 2), B %d (want 1)", prioZero(a), prioZero(b))
	}
	for name, acts := range map[string][]Action{"A": a, "B": b} {
		if count(acts, func(RemoveVIPs) bool { return true }) != 1 || count(acts, func(n Notify) bool { return n.State == StateFault }) != 1 {
			t.Fatalf("%s going FAULT: %v", name, acts)
		}
	}
	// An advert for B while the group is in FAULT changes nothing.
	p.step(p.b, now, adv(lowerIP, 100))
	p.states(StateFault, StateFault, StateFault)

	now = now.Add(time.Second)
	p.step(p.a, now, EventInterface{Up: true})
	p.states(StateBackup, StateBackup, StateBackup)
	p.notes(StateBackup)
	p.logs("(A) Entering BACKUP STATE", "VRRP_Group(G1) Syncing instances to BACKUP state", "(B) Entering BACKUP STATE")
	for _, m := range []*Instance{p.a, p.b} {
		if !m.Deadline().Equal(now.Add(down150)) {
			t.Fatalf("%s down timer %v, want %v", m.Name(), m.Deadline(), now.Add(down150))
		}
	}
}

// A BACKUP member is synced to FAULT without an "Entering FAULT STATE"
// line (keepalived sets the state first) but with its notify.
func TestSyncGroupBackupMemberToFault(t *testing.T) {
	p := newPair(t, nil)
	p.start(t0)
	p.notes(StateBackup)
	p.log.take()
	p.take(p.a)
	p.step(p.b, t0.Add(time.Second), EventTracker{Name: "chk_B", Up: false})
	p.states(StateFault, StateFault, StateFault)
	p.notes(StateFault)
	msgs := strings.Join(p.log.take(), "\n")
	if !strings.Contains(msgs, "(B) Entering FAULT STATE") || strings.Contains(msgs, "(A) Entering FAULT STATE") {
		t.Fatalf("logs:\n%s", msgs)
	}
	if acts := p.take(p.a); !reflect.DeepEqual(acts, []Action{Notify{State: StateFault}}) {
		t.Fatalf("A synced to FAULT: %v", acts)
	}
}

// The group stays in FAULT until the last member's own fault clears.
func TestSyncGroupFaultWaitsForAll(t *testing.T) {
	p := newPair(t, nil)
	p.start(t0)
	now := t0.Add(time.Second)
	p.step(p.a, now, EventTracker{Name: "chk_A", Up: false})
	p.step(p.b, now, EventTracker{Name: "chk_B", Up: false})
	p.states(StateFault, StateFault, StateFault)
	p.notes(StateBackup, StateFault)
	p.step(p.a, now, EventTracker{Name: "chk_A", Up: true})
	p.states(StateFault, StateFault, StateFault)
	p.notes()
	p.step(p.b, now, EventTracker{Name: "chk_B", Up: true})
	p.states(StateBackup, StateBackup, StateBackup)
	p.notes(StateBackup)
}

// A master member beaten by a higher priority takes the group to BACKUP:
// the other releases its VIPs without a priority 0 advert.
func TestSyncGroupBackupSync(t *testing.T) {
	p := newPair(t, nil)
	now := p.elect().Add(300 * time.Millisecond)
	p.step(p.b, now, adv(higherIP, 200))
	p.states(StateBackup, StateBackup, StateBackup)
	p.notes(StateBackup)
	p.logs("(B) Entering BACKUP STATE", "VRRP_Group(G1) Syncing instances to BACKUP state", "(A) Entering BACKUP STATE")
	a := p.take(p.a)
	if prioZero(a) != 0 || count(a, func(RemoveVIPs) bool { return true }) != 1 {
		t.Fatalf("A synced to BACKUP: %v", a)
	}
}

// Owners wanting MASTER start MASTER together, with no group notify (as
// keepalived); one non-owner among them makes all start wanting BACKUP.
func TestSyncGroupOwners(t *testing.T) {
	p := newPair(t, func(_ string, c *Config) { c.Priority, c.WantMaster = PriorityOwner, true })
	p.start(t0)
	p.notes()
	now := p.a.Deadline()
	p.step(p.a, now, EventTimer{})
	p.step(p.b, now, EventTimer{})
	p.states(StateMaster, StateMaster, StateMaster)
	p.notes()

	q := newPair(t, func(name string, c *Config) {
		c.WantMaster = true
		if name == "A" {
			c.Priority = PriorityOwner
		}
	})
	if q.a.want != StateBackup || q.b.want != StateBackup {
		t.Fatalf("mixed owner group wants %v %v", q.a.want, q.b.want)
	}
}

func TestFileStatus(t *testing.T) {
	for _, c := range []struct {
		v       int64
		w       int
		rev     bool
		s       int
		isFault bool
	}{
		{0, 0, false, 0, false}, {1, 0, false, 0, true}, {-1, 0, false, 0, true},
		{0, 0, true, 0, true}, {5, 0, true, 0, false},
		{3, 10, false, 30, false}, {3, 10, true, -30, false}, {-25, 10, false, -250, false},
		{-26, 10, false, 0, true}, {-254, 1, false, 0, true}, {100, 10, false, 253, false},
		{1 << 31, 254, false, 253, false}, {-(1 << 31), 254, false, 0, true}, {30, -10, true, 253, false},
	} {
		s, f := fileStatus(c.v, c.w, c.rev)
		if s != c.s || f != c.isFault {
			t.Errorf("fileStatus(%d, %d, %v) = %d, %v; want %d, %v", c.v, c.w, c.rev, s, f, c.s, c.isFault)
		}
	}
}

// A track_file value moves the priority and, at -254, faults the
// instance; back in range it recovers.
func TestTrackFileValue(t *testing.T) {
	i, _ := newInst(t, func(c *Config) {
		c.Trackers = []Tracker{{Name: "file:f", Weight: 10, File: true}}
	})
	i.SetTrackValue("file:f", 2)
	if i.EffectivePriority() != 170 {
		t.Fatalf("initial priority %d", i.EffectivePriority())
	}
	now := toMaster(t, i)
	acts := i.Step(now, EventTrackValue{Name: "file:f", Value: -5})
	if i.EffectivePriority() != 100 || !slices.Contains(acts, Action(PriorityChanged{From: 170, To: 100})) {
		t.Fatalf("priority %d, acts %v", i.EffectivePriority(), acts)
	}
	i.Step(now, EventTrackValue{Name: "file:f", Value: -26})
	if i.State() != StateFault {
		t.Fatalf("value -26 × 10: state %v", i.State())
	}
	i.Step(now, EventTrackValue{Name: "file:f", Value: 0})
	if i.State() != StateBackup || i.EffectivePriority() != 150 {
		t.Fatalf("recovered: %v %d", i.State(), i.EffectivePriority())
	}
}
