package vrrp

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp/packet"
	"github.com/gokeepalived/gokeepalived/vrrp/validate"
)

var (
	mustAddr = netip.MustParseAddr
	t0       = time.Unix(1_000_000, 0)
	vips     = []netip.Addr{mustAddr("10.9.9.9"), mustAddr("10.9.9.10")}
	ours     = mustAddr("192.168.200.2")
	higherIP = mustAddr("192.168.200.3")
	lowerIP  = mustAddr("192.168.200.1")
)

// logRec collects log messages.
type logRec struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logRec) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRec) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.msgs = append(l.msgs, r.Message)
	l.mu.Unlock()
	return nil
}
func (l *logRec) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRec) WithGroup(string) slog.Handler      { return l }
func (l *logRec) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.msgs
	l.msgs = nil
	return m
}

// baseConfig is the instance of the captured v2 vectors with
// keepalived's defaults (garp_master_repeat 5, garp_master_delay 5 s).
func baseConfig() Config {
	return Config{
		Name: "VI_1", VRID: 51, Family: packet.IPv4, Version: 2, Priority: 150,
		AdverInt: time.Second, GARPMasterRepeat: 5, GARPMasterDelay: 5 * time.Second,
		GARPLowerPrioRepeat: 5, SourceAddr: ours, VIPs: vips,
	}
}

func newInst(t *testing.T, mut func(*Config)) (*Instance, *logRec) {
	t.Helper()
	c := baseConfig()
	if mut != nil {
		mut(&c)
	}
	l := &logRec{}
	i, err := New(c, slog.New(l))
	if err != nil {
		t.Fatal(err)
	}
	return i, l
}

const (
	skew150 = 414062 * time.Microsecond // (256-150)/256 s, truncated to µs like keepalived
	down150 = 3*time.Second + skew150
)

// masterActs is the sequence on becoming master.
func masterActs(prio uint8, now time.Time) []Action {
	return []Action{
		SendAdvert{Priority: prio}, AddVIPs{Addrs: vips}, SendGARP{Repeat: 5, Addrs: vips},
		Notify{State: StateMaster}, ScheduleGARP{After: 5 * time.Second, Repeat: 5},
		SetTimer{At: now.Add(time.Second)},
	}
}

// toMaster starts an instance and lets its down timer expire.
func toMaster(t *testing.T, i *Instance) time.Time {
	t.Helper()
	i.Start(t0, true)
	now := i.Deadline()
	i.Step(now, EventTimer{})
	if i.State() != StateMaster {
		t.Fatalf("not master: %v", i.State())
	}
	return now
}

func adv(src netip.Addr, prio uint8) EventAdvert {
	return EventAdvert{Src: src, Priority: prio, Interval: time.Second}
}

type step struct {
	at    time.Duration // since the previous step's time
	ev    Event
	acts  []Action // nil: expect none
	state State
	logs  []string // substrings expected, in order
}

// TestTransitions: each case starts from a setup and checks the exact
// actions, state and log lines of each step.
func TestTransitions(t *testing.T) {
	type tc struct {
		name  string
		rule  string // the reference rule checked
		cfg   func(*Config)
		setup func(*testing.T, *Instance) time.Time
		steps func(now time.Time) []step
	}
	started := func(t *testing.T, i *Instance) time.Time { i.Start(t0, true); return t0 }
	cases := []tc{
		{
			name: "higher prio advert in MASTER -> BACKUP", rule: "MASTER: prio > ours -> BACKUP at once, VIPs removed, notify_backup",
			setup: toMaster,
			steps: func(now time.Time) []step {
				return []step{{at: 100 * time.Millisecond, ev: adv(higherIP, 200), state: StateBackup,
					acts: []Action{RemoveVIPs{Addrs: vips}, Notify{State: StateBackup}, SetTimer{At: now.Add(100*time.Millisecond + down150)}},
					logs: []string{"(VI_1) Master received advert from 192.168.200.3 with higher priority 200, ours 150", "(VI_1) Entering BACKUP STATE"}}}
			},
		},
		{
			name: "higher_prio_send_advert", rule: "with higher_prio_send_advert one advert is sent first",
			cfg:   func(c *Config) { c.HigherPrioSendAdvert = true },
			setup: toMaster,
			steps: func(now time.Time) []step {
				return []step{{ev: adv(lowerIP, 200), state: StateBackup,
					acts: []Action{SendAdvert{Priority: 150}, RemoveVIPs{Addrs: vips}, Notify{State: StateBackup}, SetTimer{At: now.Add(down150)}}}}
			},
		},
		{
			name: "lower prio advert in MASTER forces election", rule: "MASTER: lower -> advert now + garp_lower_prio_repeat GARPs + notify_master_rx_lower_pri",
			cfg:   func(c *Config) { c.GARPLowerPrioDelay = 5 * time.Second },
			setup: toMaster,
			steps: func(now time.Time) []step {
				return []step{{at: 300 * time.Millisecond, ev: adv(higherIP, 100), state: StateMaster,
					acts: []Action{SendAdvert{Priority: 150}, SendGARP{Repeat: 5, Addrs: vips},
						ScheduleGARP{After: 5 * time.Second, Repeat: 5}, NotifyMasterRxLowerPri{},
						SetTimer{At: now.Add(1300 * time.Millisecond)}},
					logs: []string{"(VI_1) Received advert from 192.168.200.3 with lower priority 100, ours 150, forcing new election"}}}
			},
		},
		{
			name: "lower_prio_no_advert", rule: "lower_prio_no_advert suppresses the forced advert (GARPs follow garp_lower_prio_repeat)",
			cfg:   func(c *Config) { c.LowerPrioNoAdvert = true; c.GARPLowerPrioRepeat = 0 },
			setup: toMaster,
			steps: func(now time.Time) []step {
				return []step{{at: 300 * time.Millisecond, ev: adv(higherIP, 100), state: StateMaster,
					acts: []Action{NotifyMasterRxLowerPri{}},
					logs: []string{"(VI_1) Received advert from 192.168.200.3 with lower priority 100, ours 150"}}}
			},
		},
		{
			name: "equal prio, higher source IP in MASTER -> BACKUP", rule: "equal and their IP > ours -> BACKUP",
			setup: toMaster,
			steps: func(now time.Time) []step {
				return []step{{ev: adv(higherIP, 150), state: StateBackup,
					acts: []Action{RemoveVIPs{Addrs: vips}, Notify{State: StateBackup}, SetTimer{At: now.Add(down150)}},
					logs: []string{"(VI_1) Master received advert from 192.168.200.3 with same priority 150 but higher IP address than ours", "(VI_1) Entering BACKUP STATE"}}}
			},
		},
		{
			name: "equal prio, lower source IP in MASTER -> stay", rule: "equal and their IP < ours -> stay master, force election",
			setup: toMaster,
			steps: func(now time.Time) []step {
				return []step{{at: 100 * time.Millisecond, ev: adv(lowerIP, 150), state: StateMaster,
					acts: []Action{SendAdvert{Priority: 150}, SendGARP{Repeat: 5, Addrs: vips}, NotifyMasterRxLowerPri{}, SetTimer{At: now.Add(1100 * time.Millisecond)}}}}
			},
		},
		{
			name: "equal prio in BACKUP accepted, no tie-break", rule: "BACKUP: equal priority accepted, down timer reset",
			setup: started,
			steps: func(now time.Time) []step {
				return []step{{at: time.Second, ev: adv(lowerIP, 150), state: StateBackup,
					acts: []Action{SetTimer{At: now.Add(time.Second + down150)}}}}
			},
		},
		{
			name: "prio 0 in BACKUP -> takeover after skew", rule: "priority 0 received by a backup sets the down timer to Skew",
			setup: started,
			steps: func(now time.Time) []step {
				return []step{
					{at: time.Second, ev: adv(higherIP, 0), state: StateBackup, acts: []Action{SetTimer{At: now.Add(time.Second + skew150)}}},
					{at: skew150, ev: EventTimer{}, state: StateMaster, acts: masterActs(150, now.Add(time.Second+skew150)),
						logs: []string{"(VI_1) Receive advertisement timeout", "(VI_1) Entering MASTER STATE"}},
				}
			},
		},
		{
			name: "prio 0 in MASTER -> immediate advert", rule: "priority 0 received by a master: advert at once, stay master",
			setup: toMaster,
			steps: func(now time.Time) []step {
				return []step{{at: 200 * time.Millisecond, ev: adv(higherIP, 0), state: StateMaster,
					acts: []Action{SendAdvert{Priority: 150}, SetTimer{At: now.Add(1200 * time.Millisecond)}}}}
			},
		},
		{
			name: "lower prio in BACKUP discarded, takeover on timeout", rule: "BACKUP: lower advert discarded, down timer keeps running",
			setup: started,
			steps: func(now time.Time) []step {
				return []step{
					{at: time.Second, ev: adv(higherIP, 100), state: StateBackup,
						logs: []string{"(VI_1) received lower priority (100) advert from 192.168.200.3 - discarding"}},
					{at: time.Second, ev: adv(higherIP, 100), state: StateBackup},
					{at: down150 - 2*time.Second, ev: EventTimer{}, state: StateMaster, acts: masterActs(150, now.Add(down150))},
				}
			},
		},
		{
			name: "nopreempt", rule: "BACKUP: nopreempt accepts lower adverts and resets the timer",
			cfg:   func(c *Config) { c.NoPreempt = true },
			setup: started,
			steps: func(now time.Time) []step {
				return []step{
					{at: time.Second, ev: adv(higherIP, 100), state: StateBackup, acts: []Action{SetTimer{At: now.Add(time.Second + down150)}}},
					{at: time.Second, ev: adv(higherIP, 100), state: StateBackup, acts: []Action{SetTimer{At: now.Add(2*time.Second + down150)}}},
					{at: down150 - time.Second, ev: EventTimer{}, state: StateBackup}, // not yet due
				}
			},
		},
		{
			name: "preempt_delay", rule: "lower adverts accepted until preempt_delay expires, then discarded",
			cfg:   func(c *Config) { c.PreemptDelay = 2 * time.Second },
			setup: started,
			steps: func(now time.Time) []step {
				return []step{
					{at: time.Second, ev: adv(higherIP, 100), state: StateBackup, acts: []Action{SetTimer{At: now.Add(time.Second + down150)}}}, // delay starts (ends +3s)
					{at: time.Second, ev: adv(higherIP, 100), state: StateBackup, acts: []Action{SetTimer{At: now.Add(2*time.Second + down150)}}},
					{at: 900 * time.Millisecond, ev: adv(higherIP, 100), state: StateBackup, acts: []Action{SetTimer{At: now.Add(2900*time.Millisecond + down150)}}}, // still pending
					{at: 200 * time.Millisecond, ev: adv(higherIP, 100), state: StateBackup, logs: []string{"discarding"}},                                           // expired at +3 s
					{at: down150 - 200*time.Millisecond, ev: EventTimer{}, state: StateMaster, acts: masterActs(150, now.Add(2900*time.Millisecond+down150))},
				}
			},
		},
		{
			name: "tracker fault and recovery from MASTER", rule: "unweighted tracker down -> FAULT (prio 0 advert, VIPs removed); up -> BACKUP, down timer restarts",
			cfg:   func(c *Config) { c.Trackers = []Tracker{{Name: "chk", Up: true}} },
			setup: toMaster,
			steps: func(now time.Time) []step {
				return []step{
					{ev: EventTracker{Name: "chk", Up: false}, state: StateFault,
						acts: []Action{SendAdvert{Priority: 0}, SendAdvert{Priority: 0}, RemoveVIPs{Addrs: vips}, Notify{State: StateFault}, SetTimer{}},
						logs: []string{"(VI_1) Entering FAULT STATE"}},
					{at: time.Second, ev: adv(higherIP, 200), state: StateFault}, // adverts ignored in FAULT
					{at: time.Second, ev: EventTracker{Name: "chk", Up: true}, state: StateBackup,
						acts: []Action{Notify{State: StateBackup}, SetTimer{At: now.Add(2*time.Second + down150)}},
						logs: []string{"(VI_1) Entering BACKUP STATE"}},
				}
			},
		},
		{
			name: "interface down in BACKUP", rule: "interface down -> FAULT, no advert from a backup",
			setup: started,
			steps: func(now time.Time) []step {
				return []step{
					{ev: EventInterface{Up: false}, state: StateFault, acts: []Action{Notify{State: StateFault}, SetTimer{}}},
					{ev: EventTimer{}, state: StateFault},
					{at: time.Second, ev: EventInterface{Up: true}, state: StateBackup,
						acts: []Action{Notify{State: StateBackup}, SetTimer{At: now.Add(time.Second + down150)}}},
				}
			},
		},
		{
			name: "weighted tracker lowers priority", rule: "weight applies; BACKUP down timer moves by the skew change",
			cfg:   func(c *Config) { c.Trackers = []Tracker{{Name: "w", Weight: -50, Up: true}} },
			setup: started,
			steps: func(now time.Time) []step {
				// skew(100) - skew(150) = (156-106)/256 s = 195312 µs (truncations apart).
				return []step{{ev: EventTracker{Name: "w", Up: false}, state: StateBackup,
					acts: []Action{PriorityChanged{From: 150, To: 100}, SetTimer{At: now.Add(down150 + (609375-414062)*time.Microsecond)}},
					logs: []string{"(VI_1) Changing effective priority from 150 to 100"}}}
			},
		},
		{
			name: "shutdown from MASTER", rule: "a stopping master sends priority 0 and removes its VIPs",
			setup: toMaster,
			steps: func(now time.Time) []step {
				return []step{{ev: EventShutdown{}, state: StateStop,
					acts: []Action{SendAdvert{Priority: 0}, RemoveVIPs{Addrs: vips}, Notify{State: StateStop}, SetTimer{}}}}
			},
		},
		{
			name: "shutdown from BACKUP", rule: "only a master sends priority 0",
			setup: started,
			steps: func(now time.Time) []step {
				return []step{{ev: EventShutdown{}, state: StateStop, acts: []Action{Notify{State: StateStop}, SetTimer{}}}}
			},
		},
		{
			name: "second GARP burst only while master", rule: "garp_master_delay burst; vrrp_send_link_update needs VIPs set",
			setup: toMaster,
			steps: func(now time.Time) []step {
				return []step{
					{at: 5 * time.Second, ev: EventGARPDue{Repeat: 5}, state: StateMaster, acts: []Action{SendGARP{Repeat: 5, Addrs: vips}}},
					{ev: adv(higherIP, 200), state: StateBackup, acts: []Action{RemoveVIPs{Addrs: vips}, Notify{State: StateBackup}, SetTimer{At: now.Add(5*time.Second + down150)}}},
					{ev: EventGARPDue{Repeat: 5}, state: StateBackup},
				}
			},
		},
		{
			name: "master advertises every adver_int", rule: "a master advertises every adver_int with its effective priority",
			setup: toMaster,
			steps: func(now time.Time) []step {
				return []step{
					{at: 500 * time.Millisecond, ev: EventTimer{}, state: StateMaster}, // early wakeup ignored
					{at: 500 * time.Millisecond, ev: EventTimer{}, state: StateMaster, acts: []Action{SendAdvert{Priority: 150}, SetTimer{At: now.Add(2 * time.Second)}}},
				}
			},
		},
		{
			name: "both owners", rule: "both 255 -> CONFIGURATION ERROR, local priority reduced, backs off",
			cfg:   func(c *Config) { c.Priority = 255; c.WantMaster = true },
			setup: toMaster,
			steps: func(now time.Time) []step {
				return []step{{ev: adv(lowerIP, 255), state: StateBackup,
					acts: []Action{RemoveVIPs{Addrs: vips}, Notify{State: StateBackup}, SetTimer{At: now.Add(3*time.Second + 7812*time.Microsecond)}}, // skew(254) = 2/256 s in whole µs
					logs: []string{"both configured as address owner", "with higher priority 255, ours 254"}}}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			i, l := newInst(t, c.cfg)
			now := c.setup(t, i)
			l.take()
			for n, s := range c.steps(now) {
				now = now.Add(s.at)
				got := i.Step(now, s.ev)
				if !reflect.DeepEqual(got, s.acts) {
					t.Fatalf("%s\nstep %d %T:\n got %#v\nwant %#v", c.rule, n, s.ev, got, s.acts)
				}
				if i.State() != s.state {
					t.Fatalf("%s\nstep %d: state %v, want %v", c.rule, n, i.State(), s.state)
				}
				checkLogs(t, l.take(), s.logs)
			}
		})
	}
}

func checkLogs(t *testing.T, got, want []string) {
	t.Helper()
	j := 0
	for _, g := range got {
		if j < len(want) && strings.Contains(g, want[j]) {
			j++
		}
	}
	if j != len(want) {
		t.Fatalf("logs %q missing %q", got, want[j:])
	}
}

func TestStartupBackup(t *testing.T) {
	// every instance starts in BACKUP, master-down = 3×adv + skew.
	i, l := newInst(t, nil)
	got := i.Start(t0, true)
	want := []Action{Notify{State: StateBackup}, SetTimer{At: t0.Add(down150)}}
	if !reflect.DeepEqual(got, want) || i.State() != StateBackup {
		t.Fatalf("%#v", got)
	}
	checkLogs(t, l.take(), []string{"(VI_1) Entering BACKUP STATE (init)"})
	// state MASTER with a lower priority still waits the full interval.
	i, _ = newInst(t, func(c *Config) { c.WantMaster = true })
	if got := i.Start(t0, true); !reflect.DeepEqual(got, want) {
		t.Fatalf("state MASTER prio 150: %#v", got)
	}
	if i.Start(t0, true) != nil {
		t.Error("second Start did something")
	}
}

func TestTimeoutToMaster(t *testing.T) {
	// + timeout -> advert, VIPs, GARP burst, notify, second burst.
	i, l := newInst(t, nil)
	i.Start(t0, true)
	l.take()
	if acts := i.Step(t0.Add(down150-time.Microsecond), EventTimer{}); acts != nil || i.State() != StateBackup {
		t.Fatalf("fired early: %#v", acts)
	}
	now := t0.Add(down150)
	got := i.Step(now, EventTimer{})
	if !reflect.DeepEqual(got, masterActs(150, now)) {
		t.Fatalf("%#v", got)
	}
	checkLogs(t, l.take(), []string{"(VI_1) Receive advertisement timeout", "(VI_1) Entering MASTER STATE"})
	if i.Stats.BecomeMaster.Load() != 1 || i.Stats.AdvertSent.Load() != 1 {
		t.Error("stats")
	}
}

func TestOwnerImmediateMaster(t *testing.T) {
	// priority 255 + state MASTER goes to MASTER at once (1 µs timer),
	// with no BACKUP log or notify.
	i, l := newInst(t, func(c *Config) { c.Priority = 255; c.WantMaster = true })
	got := i.Start(t0, true)
	if !reflect.DeepEqual(got, []Action{SetTimer{At: t0.Add(time.Microsecond)}}) {
		t.Fatalf("%#v", got)
	}
	if len(l.take()) != 0 {
		t.Error("owner start logged")
	}
	now := t0.Add(time.Microsecond)
	if got := i.Step(now, EventTimer{}); !reflect.DeepEqual(got, masterActs(255, now)) {
		t.Fatalf("%#v", got)
	}
	// An owner never lets tracking change its priority...
	i, _ = newInst(t, func(c *Config) {
		c.Priority, c.WantMaster = 255, true
		c.Trackers = []Tracker{{Name: "w", Weight: -100, Up: true}, {Name: "u", Up: true}}
	})
	toMaster(t, i)
	if acts := i.Step(now, EventTracker{Name: "w", Up: false}); acts != nil || i.EffectivePriority() != 255 {
		t.Fatalf("%#v", acts)
	}
	// ...but an unweighted fault still applies, and recovery is straight to MASTER.
	i.Step(now, EventTracker{Name: "u", Up: false})
	if i.State() != StateFault {
		t.Fatal(i.State())
	}
	got = i.Step(now, EventTracker{Name: "u", Up: true})
	if i.State() != StateMaster || !reflect.DeepEqual(got, masterActs(255, now)) {
		t.Fatalf("%v %#v", i.State(), got)
	}
}

func TestV3IntervalAdoption(t *testing.T) {
	// a v3 backup adopts the master's interval for Master_Down_Interval.
	i, _ := newInst(t, func(c *Config) { c.Version = 3; c.Priority = 100 })
	i.Start(t0, true)
	now := t0.Add(time.Second)
	got := i.Step(now, EventAdvert{Src: higherIP, Priority: 200, Interval: 500 * time.Millisecond})
	// 3×0.5 s + (156×50 cs×625/16) µs = 1.5 s + 304687 µs.
	want := []Action{SetTimer{At: now.Add(1500*time.Millisecond + 304687*time.Microsecond)}}
	if !reflect.DeepEqual(got, want) || i.MasterAdverInt() != 500*time.Millisecond {
		t.Fatalf("%#v %v", got, i.MasterAdverInt())
	}
	// v2 never adopts (mismatches are dropped by validation).
	i, _ = newInst(t, nil)
	i.Start(t0, true)
	i.Step(now, EventAdvert{Src: higherIP, Priority: 200, Interval: 2 * time.Second})
	if i.MasterAdverInt() != time.Second {
		t.Fatal(i.MasterAdverInt())
	}
	// Becoming master restores our own interval.
	i, _ = newInst(t, func(c *Config) { c.Version = 3; c.Priority = 100 })
	i.Start(t0, true)
	i.Step(now, EventAdvert{Src: higherIP, Priority: 200, Interval: 500 * time.Millisecond})
	i.Step(i.Deadline(), EventTimer{})
	if i.State() != StateMaster || i.MasterAdverInt() != time.Second {
		t.Fatal(i.State(), i.MasterAdverInt())
	}
}

func TestStartupDelay(t *testing.T) {
	// vrrp_startup_delay holds instances until the delay expires.
	i, _ := newInst(t, func(c *Config) { c.StartupDelay = 10 * time.Second })
	got := i.Start(t0, true)
	if !reflect.DeepEqual(got, []Action{Notify{State: StateBackup}, SetTimer{At: t0.Add(10*time.Second + down150)}}) {
		t.Fatalf("%#v", got)
	}
	// An advert during the delay restarts the down timer from the delay's
	// end, so the deadline does not move.
	if got = i.Step(t0.Add(time.Second), adv(higherIP, 200)); got != nil || !i.Deadline().Equal(t0.Add(10*time.Second+down150)) {
		t.Fatalf("%#v %v", got, i.Deadline())
	}
	// After the delay, adverts count from now again.
	now := t0.Add(11 * time.Second)
	if got = i.Step(now, adv(higherIP, 200)); !reflect.DeepEqual(got, []Action{SetTimer{At: now.Add(down150)}}) {
		t.Fatalf("%#v", got)
	}
	if i.Step(t0.Add(down150), EventTimer{}) != nil || i.State() != StateBackup {
		t.Fatal("took over during the startup delay")
	}
	// An owner also waits for the delay.
	i, _ = newInst(t, func(c *Config) { c.Priority, c.WantMaster, c.StartupDelay = 255, true, 2*time.Second })
	if got := i.Start(t0, true); !reflect.DeepEqual(got, []Action{SetTimer{At: t0.Add(2*time.Second + time.Microsecond)}}) {
		t.Fatalf("%#v", got)
	}
}

func TestStartFault(t *testing.T) {
	// interface down or an unweighted tracker down at start -> FAULT.
	for _, c := range []struct {
		ifUp bool
		tr   []Tracker
	}{{false, nil}, {true, []Tracker{{Name: "x", Up: false}}}, {true, []Tracker{{Name: "r", Reverse: true, Up: true}}}} {
		i, l := newInst(t, func(cf *Config) { cf.Trackers = c.tr })
		got := i.Start(t0, c.ifUp)
		if i.State() != StateFault || !reflect.DeepEqual(got, []Action{Notify{State: StateFault}}) {
			t.Fatalf("%+v: %v %#v", c, i.State(), got)
		}
		checkLogs(t, l.take(), []string{"(VI_1) Entering FAULT STATE (init)"})
	}
}

func TestTimerFormulas(t *testing.T) {
	// measured values: 3.41 s (v2 150), 3.21 s (v3 200 @1 s),
	// 1.60 s (v3 200 @0.5 s), 3.61 s (v2 100).
	for _, c := range []struct {
		ver  uint8
		prio uint8
		adv  time.Duration
		want time.Duration
	}{
		{2, 150, time.Second, 3414062 * time.Microsecond},
		{3, 200, time.Second, 3218750 * time.Microsecond},
		{3, 200, 500 * time.Millisecond, 1609375 * time.Microsecond},
		{2, 100, time.Second, 3609375 * time.Microsecond},
		{2, 100, 3 * time.Second, 9609375 * time.Microsecond}, // v2 skew ignores adver_int
	} {
		i, _ := newInst(t, func(cf *Config) { cf.Version, cf.Priority, cf.AdverInt = c.ver, c.prio, c.adv })
		if got := i.MasterDownInterval(); got != c.want {
			t.Errorf("v%d prio %d adv %v: %v, want %v", c.ver, c.prio, c.adv, got, c.want)
		}
	}
}

func TestReceiveValidates(t *testing.T) {
	// Packets go through validation before the state machine.
	i, _ := newInst(t, func(c *Config) { c.AuthType = packet.AuthPass; c.AuthPass = "secret123" })
	build := func(prio uint8, pass string) *packet.Received {
		b, err := packet.BuildIPv4(&packet.Advert{Version: 2, Type: 1, VRID: 51, Priority: prio, AuthType: packet.AuthPass,
			AdverInt: 1, Addrs: vips, AuthData: packet.PassKey(pass)}, packet.IPv4Options{ID: 1, Src: higherIP, Dst: packet.IPv4Group})
		if err != nil {
			t.Fatal(err)
		}
		r, err := packet.DecodeIPv4(b)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if _, res := i.Receive(t0, build(200, "secret123")); res.Reason != validate.InstanceNotReady {
		t.Fatal("INIT accepted a packet", res.Reason)
	}
	toMaster(t, i)
	now := i.Deadline()
	if acts, res := i.Receive(now, build(200, "wrong")); res.Reason != validate.Password || acts != nil || i.State() != StateMaster {
		t.Fatal(res.Reason, acts)
	}
	if _, res := i.Receive(now, build(200, "secret123")); res.Reason != validate.OK || i.State() != StateBackup {
		t.Fatal(res.Reason, i.State())
	}
	if i.Checker().Counters.Drops(validate.Password) != 1 {
		t.Error("counter")
	}
	d := NewDemux("eth0", nil)
	if d.Add(i) != nil || d.Add(i) == nil {
		t.Fatal("duplicate VRID accepted")
	}
	r := build(200, "secret123")
	r.Advert.VRID = 9
	if _, _, reason := d.Dispatch(now, r); reason != validate.UnknownVRID || d.UnknownVRID.Load() != 1 {
		t.Fatal(reason)
	}
	if _, _, reason := d.Dispatch(now, nil); reason != validate.TooShort {
		t.Fatal(reason)
	}
	if inst, _, reason := d.Dispatch(now, build(200, "secret123")); inst != i || reason != validate.OK {
		t.Fatal(reason)
	}
}

func TestSkipCheckAdvAddr(t *testing.T) {
	// with skip_check_adv_addr VIPs are checked only when the master changes.
	i, _ := newInst(t, func(c *Config) { c.SkipCheckAdvAddr = true; c.StrictVIPCheck = true })
	i.Start(t0, true)
	mk := func(addrs []netip.Addr) *packet.Received {
		b, _ := packet.BuildIPv4(&packet.Advert{Version: 2, Type: 1, VRID: 51, Priority: 200, AdverInt: 1, Addrs: addrs},
			packet.IPv4Options{ID: 1, Src: higherIP, Dst: packet.IPv4Group})
		r, _ := packet.DecodeIPv4(b)
		return r
	}
	other := []netip.Addr{vips[0], mustAddr("10.9.9.99")}
	if _, res := i.Receive(t0, mk(other)); res.Reason != validate.VIPList {
		t.Fatal("new master not checked:", res.Reason)
	}
	if _, res := i.Receive(t0, mk(vips)); res.Reason != validate.OK {
		t.Fatal(res.Reason)
	}
	if _, res := i.Receive(t0, mk(other)); res.Reason != validate.OK {
		t.Fatal("known master checked:", res.Reason)
	}
}

func TestEffectivePriority(t *testing.T) {
	// weights, reverse, clamping 1..254, owner unchanged, unweighted -> fault.
	tr := []Tracker{{Name: "a", Weight: 20}, {Name: "b", Weight: -30}, {Name: "c", Weight: 10, Reverse: true}, {Name: "d", Weight: -5, Reverse: true}}
	for _, c := range []struct {
		base  uint8
		up    map[string]bool
		want  uint8
		fault bool
	}{
		{100, map[string]bool{"a": true, "b": true, "c": false, "d": true}, 120, false},
		{100, map[string]bool{"a": false, "b": false, "c": false, "d": true}, 70, false},
		{100, map[string]bool{"a": true, "b": true, "c": true, "d": false}, 115, false}, // reverse: -10 when up, +5 when down
		{250, map[string]bool{"a": true, "b": true}, 254, false},
		{20, map[string]bool{"a": false, "b": false, "c": true}, 1, false},
		{255, map[string]bool{"a": false, "b": false}, 255, false},
	} {
		p, f := EffectivePriority(c.base, tr, c.up)
		if p != c.want || f != c.fault {
			t.Errorf("%d %v: %d %v, want %d", c.base, c.up, p, f, c.want)
		}
	}
	if _, f := EffectivePriority(100, []Tracker{{Name: "u", Up: true}}, map[string]bool{"u": false}); !f {
		t.Error("unweighted down not a fault")
	}
	if _, f := EffectivePriority(100, []Tracker{{Name: "u", Reverse: true}}, map[string]bool{"u": false}); f {
		t.Error("reversed unweighted down is a fault")
	}
}

func TestKey(t *testing.T) {
	// identity ignores the name; VRID/family/interface/unicast/src/VMAC/group matter.
	base := KeyParams{VRID: 51, Family: packet.IPv4, Interface: "eth0"}
	k := NewKey(base)
	if k != NewKey(base) || k.McastGroup != packet.IPv4Group {
		t.Fatal(k)
	}
	explicit := base
	explicit.McastGroup = packet.IPv4Group
	if NewKey(explicit) != k {
		t.Error("default group differs from explicit 224.0.0.18")
	}
	for _, m := range []func(*KeyParams){
		func(p *KeyParams) { p.VRID = 52 },
		func(p *KeyParams) { p.Family = packet.IPv6 },
		func(p *KeyParams) { p.Interface = "eth1" },
		func(p *KeyParams) { p.Unicast = true },
		func(p *KeyParams) { p.VMAC = true },
		func(p *KeyParams) { p.VMACXmit = true },
		func(p *KeyParams) { p.McastGroup = mustAddr("224.0.0.19") },
	} {
		p := base
		m(&p)
		if NewKey(p) == k {
			t.Errorf("%+v equal to base", p)
		}
	}
	u1 := KeyParams{VRID: 1, Family: packet.IPv4, Interface: "eth0", Unicast: true, UnicastSrc: ours, VMAC: true, McastGroup: mustAddr("224.0.0.19")}
	u2 := u1
	u2.VMAC, u2.McastGroup = false, netip.Addr{}
	if NewKey(u1) != NewKey(u2) {
		t.Error("unicast key compares VMAC/group")
	}
	u2.UnicastSrc = higherIP
	if NewKey(u1) == NewKey(u2) {
		t.Error("unicast source ignored")
	}
	m := map[Key]string{NewKey(base): "VI_1"}
	if m[NewKey(base)] != "VI_1" {
		t.Error("not usable as a map key")
	}
}

func TestNewRejects(t *testing.T) {
	for _, m := range []func(*Config){
		func(c *Config) { c.Version = 4 },
		func(c *Config) { c.Family = 0 },
		func(c *Config) { c.Priority = 0 },
		func(c *Config) { c.AdverInt = 0 },
	} {
		c := baseConfig()
		m(&c)
		if _, err := New(c, nil); err == nil {
			t.Errorf("accepted %+v", c)
		}
	}
}

func TestStateStrings(t *testing.T) {
	got := []string{}
	for s := StateInit; s <= StateStop; s++ {
		got = append(got, s.String())
	}
	if !slices.Equal(got, []string{"INIT", "BACKUP", "MASTER", "FAULT", "STOP"}) {
		t.Fatal(got)
	}
	_ = fmt.Sprint(State(9))
}

// garp_extra_if: a MASTER asks for the extra GARPs at the first advert
// later than the interval after the transition, then at each advert later
// than the interval after the last (keepalived's vmac_garp_timer).
func TestGARPExtraIfTicks(t *testing.T) {
	i, _ := newInst(t, func(c *Config) { c.GARPExtraIf = 2 * time.Second })
	now := toMaster(t, i)
	var ticks []time.Duration
	for n := 1; n <= 9; n++ {
		at := now.Add(time.Duration(n)*time.Second + time.Millisecond)
		for _, a := range i.Step(at, EventTimer{}) {
			if _, ok := a.(SendExtraGARP); ok {
				ticks = append(ticks, at.Sub(now).Truncate(time.Second))
			}
		}
	}
	if want := []time.Duration{2 * time.Second, 5 * time.Second, 8 * time.Second}; !slices.Equal(ticks, want) {
		t.Errorf("extra GARPs at %v, want %v", ticks, want)
	}
}
