// Package vrrp is the pure core of VRRP (keepalived 2.2.7 behaviour): the
// per-instance state machine, sync groups, the demultiplexing of received
// adverts, the model built from conf and the value types and interfaces
// of the kernel boundary. It is stepped: callers pass the time and an
// event, and get back the actions to perform. It does no I/O (no
// processes, files, sockets or timers); vrrp/vrrpd is the driver that
// does, and internal/archtest holds it to that.
package vrrp

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp/packet"
	"github.com/gokeepalived/gokeepalived/vrrp/validate"
)

// Config is one vrrp_instance after the config layer applied defaults.
type Config struct {
	Name     string
	VRID     uint8
	Family   packet.Family
	Version  uint8 // 2 or 3
	Priority uint8 // base priority; 255 = address owner
	// WantMaster is "state MASTER". Only an owner becomes master at once.
	WantMaster bool
	AdverInt   time.Duration
	// DownTimerAdverts multiplies the master's interval in
	// Master_Down_Interval (0 means 3).
	DownTimerAdverts     int
	NoPreempt            bool
	PreemptDelay         time.Duration
	HigherPrioSendAdvert bool
	LowerPrioNoAdvert    bool

	GARPMasterRepeat        int
	GARPMasterDelay         time.Duration // 0 disables the second burst
	GARPMasterRefresh       time.Duration // 0 disables
	GARPMasterRefreshRepeat int
	GARPLowerPrioRepeat     int
	GARPLowerPrioDelay      time.Duration
	// GARPExtraIf is garp_extra_if: while MASTER, one gratuitous ARP/NA
	// per extra interface this often (0 disables; the runtime knows which
	// interfaces are extra).
	GARPExtraIf time.Duration

	// SourceAddr is our advert source (configured, or the interface's
	// primary address); it breaks equal-priority ties in MASTER.
	SourceAddr netip.Addr
	VIPs       []netip.Addr
	Trackers   []Tracker
	// StartupDelay is the global vrrp_startup_delay.
	StartupDelay time.Duration
	// SkipCheckAdvAddr: check VIPs only when the master changes.
	SkipCheckAdvAddr bool

	// Receive-side checks (see validate.Config).
	AuthType        packet.AuthType
	AuthPass        string
	Unicast         bool
	Peers           []validate.Peer
	CheckUnicastSrc bool
	StrictVIPCheck  bool // vrrp_strict_vip_check: 2.2.7 VIP-list rejection
	V3ChecksumAsV2  bool
	// OldChecksum is old_unicast_checksum; McastGroup4 the global group
	// its checksums are computed over.
	OldChecksum validate.ChecksumCompat
	McastGroup4 netip.Addr
	// HMAC is auth_hmac (signing and verifying); nil without one.
	HMAC *validate.HMAC
	// OwnerIgnoreAdverts is owner_ignore_adverts (keepalived 2.3.3).
	OwnerIgnoreAdverts bool
	// TimerExpiredBackup is timer_expired_backup's highest priority of
	// the other routers (keepalived 2.2.8); 0 is off.
	TimerExpiredBackup uint8
}

// ValidateConfig derives the checker configuration.
func (c *Config) ValidateConfig() validate.Config {
	return validate.Config{
		Name: c.Name, Family: c.Family, Version: c.Version, AuthType: c.AuthType,
		AuthKey: packet.PassKey(c.AuthPass), AdverInt: c.AdverInt, VIPs: c.VIPs,
		Unicast: c.Unicast, Peers: c.Peers, CheckUnicastSrc: c.CheckUnicastSrc,
		StrictVIPCheck: c.StrictVIPCheck, V3ChecksumAsV2: c.V3ChecksumAsV2,
		OldChecksum: c.OldChecksum, McastGroup4: c.McastGroup4, HMAC: c.HMAC, OwnerIgnoreAdverts: c.OwnerIgnoreAdverts,
	}
}

// Stats are keepalived's per-instance counters owned by the state machine.
type Stats struct {
	AdvertSent    atomic.Uint64
	PriZeroSent   atomic.Uint64
	BecomeMaster  atomic.Uint64
	ReleaseMaster atomic.Uint64
}

// Instance is one VRRP instance. Not safe for concurrent Step calls.
type Instance struct {
	cfg   Config
	log   *slog.Logger
	chk   *validate.Checker
	Stats Stats

	state          State
	basePrio       uint8
	effPrio        uint8
	fault          bool
	ifUp           bool
	trackUp        map[string]bool
	trackVal       map[string]int64 // track_file values
	masterAdverInt time.Duration
	msDown         time.Duration // keepalived ms_down_timer
	sands          time.Time     // next timer expiry; zero = disarmed
	armed          time.Time     // last SetTimer emitted
	preemptTime    time.Time
	masterAddr     netip.Addr
	masterPrio     uint8
	vipSet         bool
	delayedStart   time.Time
	garpRefreshAt  time.Time
	garpExtraAt    time.Time
	lastAdvert     time.Time // keepalived's last_advert_sent
	advertOut      bool      // an advert was emitted in this step
	// want is keepalived's wantstate, which sync groups consult; sync
	// is the instance's group, if any (syncgroup.go).
	want State
	sync *SyncGroup

	out []Action
}

// New validates cfg and returns an instance in INIT. log may be nil.
func New(cfg Config, log *slog.Logger) (*Instance, error) {
	if err := CheckConfig(&cfg); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	i := &Instance{cfg: cfg, log: log, basePrio: cfg.Priority, trackUp: map[string]bool{}, trackVal: map[string]int64{}}
	i.chk = validate.NewChecker(cfg.ValidateConfig(), log)
	i.masterAdverInt = cfg.AdverInt
	i.effPrio, i.fault = effectivePriority(i.basePrio, cfg.Trackers, i.trackUp, i.trackVal)
	i.want = StateBackup
	if cfg.WantMaster {
		i.want = StateMaster
	}
	return i, nil
}

// CheckConfig validates cfg and fills its defaults.
func CheckConfig(cfg *Config) error {
	if cfg.Version != 2 && cfg.Version != 3 {
		return fmt.Errorf("(%s) VRRP version %d not supported", cfg.Name, cfg.Version)
	}
	if cfg.Family != packet.IPv4 && cfg.Family != packet.IPv6 {
		return fmt.Errorf("(%s) bad address family", cfg.Name)
	}
	if cfg.Priority == 0 {
		return errors.New("priority 0 is reserved")
	}
	if cfg.AdverInt <= 0 {
		return fmt.Errorf("(%s) advert_int must be positive", cfg.Name)
	}
	if cfg.DownTimerAdverts == 0 {
		cfg.DownTimerAdverts = 3
	}
	return nil
}

// Reconfigure applies a reloaded config to the same instance (equal Key,
// same version) without leaving its state: a MASTER stays MASTER
// and sends no GARP. The caller changes the addresses themselves.
func (i *Instance) Reconfigure(now time.Time, cfg Config) ([]Action, error) {
	if err := CheckConfig(&cfg); err != nil {
		return nil, err
	}
	if cfg.Family != i.cfg.Family || cfg.Version != i.cfg.Version || cfg.VRID != i.cfg.VRID {
		return nil, fmt.Errorf("(%s) VRID, family or version changed: not the same instance", cfg.Name)
	}
	i.cfg = cfg
	i.chk.SetConfig(cfg.ValidateConfig())
	// A v3 backup keeps the interval it learned from the master.
	if i.state == StateMaster || cfg.Version == 2 {
		i.masterAdverInt = cfg.AdverInt
	}
	switch i.state {
	case StateMaster:
		// A shorter advert_int takes effect with the next advert.
		if next := now.Add(cfg.AdverInt); i.sands.After(next) {
			i.sands = next
		}
	case StateBackup:
		// The running down timer is left alone; the next advert uses this.
		i.msDown = i.MasterDownInterval()
	}
	i.basePrio = cfg.Priority
	i.recompute(now)
	return i.flush(), nil
}

// Accessors for status dumps and tests.
func (i *Instance) Name() string                   { return i.cfg.Name }
func (i *Instance) Config() *Config                { return &i.cfg }
func (i *Instance) State() State                   { return i.state }
func (i *Instance) EffectivePriority() uint8       { return i.effPrio }
func (i *Instance) MasterAdverInt() time.Duration  { return i.masterAdverInt }
func (i *Instance) Deadline() time.Time            { return i.sands }
func (i *Instance) MasterAddr() netip.Addr         { return i.masterAddr }
func (i *Instance) Checker() *validate.Checker     { return i.chk }
func (i *Instance) WantState() State               { return i.want }
func (i *Instance) MasterPriority() uint8          { return i.masterPrio }
func (i *Instance) VIPSet() bool                   { return i.vipSet }
func (i *Instance) MasterDownTimer() time.Duration { return i.msDown }

func (i *Instance) logf(format string, args ...any) {
	i.log.Info(fmt.Sprintf(format, args...), "instance", i.cfg.Name)
}

func (i *Instance) emit(a Action) {
	if s, ok := a.(SendAdvert); ok {
		i.advertOut = true
		i.Stats.AdvertSent.Add(1)
		if s.Priority == 0 {
			i.Stats.PriZeroSent.Add(1)
		}
	}
	i.out = append(i.out, a)
}

// flush returns the actions, ending with SetTimer if the deadline moved.
func (i *Instance) flush() []Action {
	if !i.sands.Equal(i.armed) {
		i.armed = i.sands
		i.out = append(i.out, SetTimer{At: i.sands})
	}
	out := i.out
	i.out = nil
	return out
}

// skew is keepalived's VRRP_TIMER_SKEW: v2 ignores the interval
// ((256-p)/256 s); v3 scales the master's interval, in whole µs.
func (i *Instance) skew(p int) time.Duration {
	if i.cfg.Version == 3 {
		cs := int64(i.masterAdverInt / (10 * time.Millisecond))
		return time.Duration(int64(p)*cs*625/16) * time.Microsecond
	}
	return time.Duration(int64(p)*1_000_000/256) * time.Microsecond
}

// Skew is Skew_Time for the current effective priority.
func (i *Instance) Skew() time.Duration { return i.skew(256 - int(i.effPrio)) }

// MasterDownInterval is down_timer_adverts × Master_Adver_Interval + Skew.
func (i *Instance) MasterDownInterval() time.Duration {
	return time.Duration(i.cfg.DownTimerAdverts)*i.masterAdverInt + i.Skew()
}

// initSands mirrors vrrp_init_instance_sands.
func (i *Instance) initSands(now time.Time) {
	switch i.state {
	case StateMaster:
		i.sands = now.Add(i.cfg.AdverInt)
	case StateBackup:
		if now.Before(i.delayedStart) {
			i.sands = i.delayedStart.Add(i.msDown)
		} else {
			i.sands = now.Add(i.msDown)
		}
	default:
		i.sands = time.Time{}
	}
}

// Start leaves INIT (vrrp_init_state): BACKUP, FAULT, or for an owner with
// state MASTER a 1 µs down timer.
func (i *Instance) Start(now time.Time, ifUp bool) []Action {
	if i.state != StateInit {
		return nil
	}
	i.ifUp = ifUp
	// A down interface is a fault like any other, so that it coming up
	// brings the instance up.
	i.fault = i.fault || !ifUp
	if i.cfg.StartupDelay > 0 {
		i.delayedStart = now.Add(i.cfg.StartupDelay)
	}
	up := !i.fault && (i.sync == nil || i.sync.state != StateFault)
	switch {
	case up && i.cfg.WantMaster && i.basePrio == PriorityOwner:
		i.state = StateBackup // no log, no notify: times out at once
		i.msDown = time.Microsecond
	case up:
		i.msDown = i.MasterDownInterval()
		i.logf("(%s) Entering BACKUP STATE (init)", i.cfg.Name)
		i.state = StateBackup
		i.emit(Notify{State: StateBackup})
	default:
		i.msDown = i.MasterDownInterval()
		i.logf("(%s) Entering FAULT STATE (init)", i.cfg.Name)
		i.state = StateFault
		i.emit(Notify{State: StateFault})
	}
	i.initSands(now)
	return i.flush()
}

// Receive validates a decoded packet and, if it is acceptable, steps the
// advert. Packets in INIT/FAULT/STOP are ignored as keepalived does.
func (i *Instance) Receive(now time.Time, rx *packet.Received) ([]Action, validate.Result) {
	if i.state != StateBackup && i.state != StateMaster {
		i.chk.Counters.Inc(validate.InstanceNotReady)
		return nil, validate.Result{Reason: validate.InstanceNotReady}
	}
	checkVIPs := i.state == StateMaster || !i.cfg.SkipCheckAdvAddr || rx.Src != i.masterAddr
	i.chk.SetOwner(i.effPrio == PriorityOwner)
	res := i.chk.Check(rx, checkVIPs)
	if res.Reason != validate.OK {
		return nil, res
	}
	ev := EventAdvert{Src: rx.Src, Priority: rx.Advert.Priority, Interval: rx.Advert.Interval()}
	if rx.AH != nil {
		ev.AHSeq = rx.AH.Seq
		if i.state == StateBackup {
			i.chk.ClearAHCycle() // a master is counting: no restart from 0
		}
	}
	return i.Step(now, ev), res
}

// Step applies one event.
func (i *Instance) Step(now time.Time, ev Event) []Action {
	prev := i.state
	switch e := ev.(type) {
	case EventTimer:
		i.onTimer(now)
	case EventAdvert:
		switch i.state {
		case StateBackup:
			i.backupRx(now, e)
		case StateMaster:
			i.masterRx(now, e)
		}
	case EventTracker:
		i.trackUp[e.Name] = e.Up
		i.recompute(now)
	case EventTrackValue:
		i.trackVal[e.Name] = e.Value
		i.recompute(now)
	case EventInterface:
		i.ifUp = e.Up
		i.recompute(now)
	case EventGARPDue:
		// vrrp_send_link_update: only while the VIPs are set.
		if i.vipSet && e.Repeat > 0 {
			i.emit(SendGARP{Repeat: e.Repeat, Addrs: i.cfg.VIPs})
		}
	case EventShutdown:
		i.shutdown()
	}
	if i.sync != nil {
		switch ev.(type) {
		case EventTimer, EventAdvert:
			i.sync.transition(now, i, prev)
		}
	}
	if i.advertOut {
		i.lastAdvert, i.advertOut = now, false
	}
	return i.flush()
}

// timerExpiry is how long after our last advert a router of priority
// TimerExpiredBackup takes over: 3 intervals and its skew. takeover is
// keepalived's quickest_takeover (2 intervals and the skew).
func (i *Instance) timerExpiry(adverts int) time.Duration {
	p := int64(256 - int(i.cfg.TimerExpiredBackup))
	skew := time.Duration(p*1_000_000/256) * time.Microsecond
	if i.cfg.Version == 3 {
		skew = time.Duration(p * int64(i.cfg.AdverInt) / 256)
	}
	return time.Duration(adverts)*i.cfg.AdverInt + skew
}

// TakeoverMin is how late the daemon's timers may run before a MASTER
// with timer_expired_backup must check it was not replaced (0: no such
// check for this instance).
func (i *Instance) TakeoverMin() time.Duration {
	if i.cfg.TimerExpiredBackup == 0 {
		return 0
	}
	return i.timerExpiry(2)
}

// TimersLate is keepalived's vrrp_thread_timeout_handler for this
// instance: the daemon's timers ran late; if a MASTER with
// timer_expired_backup has been silent long enough for another router
// to take over, it goes to BACKUP. It reports whether it did.
func (i *Instance) TimersLate(now time.Time) ([]Action, bool) {
	if i.state != StateMaster || i.cfg.TimerExpiredBackup == 0 || i.lastAdvert.IsZero() ||
		now.Before(i.lastAdvert.Add(i.timerExpiry(3))) {
		return nil, false
	}
	prev := i.state
	i.want = StateBackup
	i.leaveMasterAdv(now, StateBackup, false)
	if i.sync != nil {
		i.sync.transition(now, i, prev)
	}
	return i.flush(), true
}

func (i *Instance) onTimer(now time.Time) {
	if i.sands.IsZero() || now.Before(i.sands) {
		return // stale or early wakeup
	}
	switch i.state {
	case StateBackup:
		i.logf("(%s) Receive advertisement timeout", i.cfg.Name)
		i.want = StateMaster
		i.gotoMaster(now)
	case StateMaster:
		i.masterTx(now)
	}
	i.initSands(now)
}

func (i *Instance) gotoMaster(now time.Time) {
	if i.sync != nil && !i.sync.canGotoMaster(now, i) {
		i.want = StateMaster // held in BACKUP until the group agrees
		return
	}
	// As vrrp_state_goto_master: a counter that reached its top starts
	// again (receivers that saw it will drop us until their master-down).
	if i.chk.AHCycled() {
		i.chk.SetAHSeq(0)
	}
	i.state = StateMaster
	i.masterTx(now)
	i.initSands(now)
}

// masterTx sends the periodic advert; on the first one after the
// transition it becomes master (advert first so the old master can
// withdraw, then VIPs, GARP burst, notify, second burst).
func (i *Instance) masterTx(now time.Time) {
	i.emit(SendAdvert{Priority: i.effPrio})
	if !i.vipSet {
		i.logf("(%s) Entering MASTER STATE", i.cfg.Name)
		i.becomeMaster(now)
		if i.cfg.GARPMasterDelay > 0 {
			i.emit(ScheduleGARP{After: i.cfg.GARPMasterDelay, Repeat: i.cfg.GARPMasterRepeat})
		}
		return
	}
	if i.cfg.GARPMasterRefresh > 0 && now.After(i.garpRefreshAt) {
		i.emit(SendGARP{Repeat: i.cfg.GARPMasterRefreshRepeat, Addrs: i.cfg.VIPs})
		i.garpRefreshAt = now.Add(i.cfg.GARPMasterRefresh)
	}
	if i.cfg.GARPExtraIf > 0 && now.After(i.garpExtraAt) {
		i.emit(SendExtraGARP{})
		i.garpExtraAt = now.Add(i.cfg.GARPExtraIf)
	}
}

func (i *Instance) becomeMaster(now time.Time) {
	i.Stats.BecomeMaster.Add(1)
	i.masterAdverInt = i.cfg.AdverInt
	i.emit(AddVIPs{Addrs: i.cfg.VIPs})
	i.vipSet = true
	if i.cfg.GARPMasterRepeat > 0 {
		i.emit(SendGARP{Repeat: i.cfg.GARPMasterRepeat, Addrs: i.cfg.VIPs})
	}
	if i.cfg.GARPMasterRefresh > 0 {
		i.garpRefreshAt = now.Add(i.cfg.GARPMasterRefresh)
	}
	i.garpExtraAt = now.Add(i.cfg.GARPExtraIf)
	i.emit(Notify{State: StateMaster})
}

// backupRx is vrrp_state_backup (BACKUP).
func (i *Instance) backupRx(now time.Time, e EventAdvert) {
	switch {
	case e.Priority == 0:
		// The master is leaving: take over after Skew only.
		i.msDown = i.Skew()
		i.initSands(now)
	case i.cfg.NoPreempt || e.Priority >= i.effPrio ||
		(i.cfg.PreemptDelay > 0 && (i.preemptTime.IsZero() || i.preemptTime.After(now))):
		if i.cfg.Version == 3 && e.Interval != i.masterAdverInt && e.Interval > 0 {
			i.masterAdverInt = e.Interval // RFC 5798: adopt Master_Adver_Interval
		}
		i.msDown = i.MasterDownInterval()
		i.masterAddr, i.masterPrio = e.Src, e.Priority
		i.want = StateBackup
		if i.cfg.PreemptDelay > 0 {
			if e.Priority >= i.effPrio {
				i.preemptTime = time.Time{}
			} else if i.preemptTime.IsZero() {
				i.preemptTime = now.Add(i.cfg.PreemptDelay)
			}
		}
		i.initSands(now)
	default:
		i.logf("(%s) received lower priority (%d) advert from %v - discarding", i.cfg.Name, e.Priority, e.Src)
		i.masterAddr = e.Src
		// The down timer keeps running; keepalived records what is left.
		i.msDown = max(i.sands.Sub(now), 0)
	}
}

// addrCmp is vrrp_saddr_cmp: their address against ours (0 if unknown).
func (i *Instance) addrCmp(a netip.Addr) int {
	if !i.cfg.SourceAddr.IsValid() || a.Is4() != i.cfg.SourceAddr.Is4() {
		return 0
	}
	return a.Compare(i.cfg.SourceAddr)
}

// masterRx is vrrp_state_master_rx (MASTER).
func (i *Instance) masterRx(now time.Time, e EventAdvert) {
	name := i.cfg.Name
	cmp := i.addrCmp(e.Src)
	higher := e.Priority > i.effPrio || (e.Priority == i.effPrio && cmp > 0)
	if e.Priority == 0 || (i.cfg.HigherPrioSendAdvert && higher) {
		i.emit(SendAdvert{Priority: i.effPrio})
		if e.Priority == 0 {
			// Stay master; the advert tells the backups we are here.
			i.resetMasterTimer(now)
			return
		}
	}
	if e.Priority == i.effPrio {
		if cmp == 0 {
			i.logf("(%s) WARNING - equal priority advert received from remote host with our IP address.", name)
		} else if i.effPrio == PriorityOwner {
			i.logf("(%s) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority", name)
			// Then their 255 beats our 254 below: we back off.
			i.effPrio, i.basePrio = PriorityOwner-1, PriorityOwner-1
		}
	}
	higher = e.Priority > i.effPrio || (e.Priority == i.effPrio && cmp > 0)
	switch {
	case e.Priority < i.effPrio || (e.Priority == i.effPrio && cmp < 0):
		suffix := ""
		if !i.cfg.LowerPrioNoAdvert {
			suffix = ", forcing new election"
		}
		i.logf("(%s) Received advert from %v with lower priority %d, ours %d%s", name, e.Src, e.Priority, i.effPrio, suffix)
		if i.cfg.AuthType == packet.AuthAH {
			// keepalived jumps its counter past the lower master's, so
			// that our next advert (one more) is accepted there.
			i.logf("(%s) IPSEC-AH : Syncing seq_num - Increment seq", name)
			i.chk.SetAHSeq(e.AHSeq + 1)
		}
		if !i.cfg.LowerPrioNoAdvert {
			i.emit(SendAdvert{Priority: i.effPrio})
		}
		if i.cfg.GARPLowerPrioRepeat > 0 {
			i.emit(SendGARP{Repeat: i.cfg.GARPLowerPrioRepeat, Addrs: i.cfg.VIPs})
			if i.cfg.GARPLowerPrioDelay > 0 {
				i.emit(ScheduleGARP{After: i.cfg.GARPLowerPrioDelay, Repeat: i.cfg.GARPLowerPrioRepeat})
			}
		}
		i.emit(NotifyMasterRxLowerPri{})
		i.resetMasterTimer(now)
	case higher:
		if e.Priority > i.effPrio {
			i.logf("(%s) Master received advert from %v with higher priority %d, ours %d", name, e.Src, e.Priority, i.effPrio)
		} else {
			i.logf("(%s) Master received advert from %v with same priority %d but higher IP address than ours", name, e.Src, e.Priority)
		}
		if i.cfg.AuthType == packet.AuthAH {
			i.chk.ClearAHCycle()
		}
		if i.cfg.Version == 3 && e.Interval > 0 {
			i.masterAdverInt = e.Interval
		}
		i.masterPrio = e.Priority
		i.leaveMaster(now, StateBackup)
	default:
		i.resetMasterTimer(now)
	}
}

// resetMasterTimer: keepalived re-arms the advert timer after handling an
// advert in MASTER unless lower_prio_no_advert is set.
func (i *Instance) resetMasterTimer(now time.Time) {
	if !i.cfg.LowerPrioNoAdvert {
		i.initSands(now)
	}
}

// leaveMaster is vrrp_state_leave_master.
func (i *Instance) leaveMaster(now time.Time, to State) { i.leaveMasterAdv(now, to, to == StateFault) }

// leaveMasterAdv: advF is keepalived's extra priority 0 advert, sent
// when the instance itself failed but not when its sync group made it.
func (i *Instance) leaveMasterAdv(now time.Time, to State, advF bool) {
	i.want = to
	if to == StateBackup {
		i.logf("(%s) Entering BACKUP STATE", i.cfg.Name)
		i.preemptTime = time.Time{}
	} else {
		i.logf("(%s) Entering FAULT STATE", i.cfg.Name)
		// 2.2.7 sends priority 0 here and again in vrrp_restore_interface.
		i.emit(SendAdvert{Priority: 0})
		if advF {
			i.emit(SendAdvert{Priority: 0})
		}
	}
	i.releaseVIPs()
	i.state = to
	i.emit(Notify{State: to})
	i.msDown = i.MasterDownInterval()
	i.initSands(now)
	i.Stats.ReleaseMaster.Add(1)
}

func (i *Instance) releaseVIPs() {
	if i.vipSet {
		i.emit(RemoveVIPs{Addrs: i.cfg.VIPs})
		i.vipSet = false
	}
}

// recompute re-derives priority and fault after a tracker or interface
// change.
func (i *Instance) recompute(now time.Time) {
	prio, fault := effectivePriority(i.basePrio, i.cfg.Trackers, i.trackUp, i.trackVal)
	fault = fault || !i.ifUp
	if fault != i.fault {
		i.fault = fault
		if fault {
			i.downInstance(now)
		} else {
			i.upInstance(now)
		}
	}
	if prio != i.effPrio {
		i.setEffectivePriority(now, prio)
	}
}

// setEffectivePriority is vrrp_set_effective_priority: a BACKUP's running
// down timer moves by the change in Master_Down_Interval.
func (i *Instance) setEffectivePriority(now time.Time, prio uint8) {
	i.logf("(%s) Changing effective priority from %d to %d", i.cfg.Name, i.effPrio, prio)
	old := i.effPrio
	oldDown := i.msDown
	i.effPrio = prio
	i.msDown = i.MasterDownInterval()
	if i.state == StateBackup && !i.sands.IsZero() {
		i.sands = i.sands.Add(i.msDown - oldDown)
	}
	i.emit(PriorityChanged{From: old, To: prio})
}

// downInstance: an unweighted tracker or the interface failed.
func (i *Instance) downInstance(now time.Time) {
	i.want = StateFault
	defer func() {
		if i.sync != nil {
			i.sync.memberDown(now, i)
		}
	}()
	switch i.state {
	case StateMaster:
		i.leaveMaster(now, StateFault)
	case StateBackup:
		i.logf("(%s) Entering FAULT STATE", i.cfg.Name)
		i.state = StateFault
		i.emit(Notify{State: StateFault})
		i.masterAdverInt = i.cfg.AdverInt
		i.initSands(now)
	}
}

// upInstance: all faults cleared (try_up_instance + vrrp_state_leave_fault).
func (i *Instance) upInstance(now time.Time) {
	if i.state != StateFault {
		return
	}
	i.masterAdverInt = i.cfg.AdverInt
	if i.sync != nil {
		i.sync.memberUp(now, i)
		return
	}
	if i.cfg.WantMaster && i.basePrio == PriorityOwner {
		i.gotoMaster(now)
		return
	}
	i.logf("(%s) Entering BACKUP STATE", i.cfg.Name)
	i.state = StateBackup
	i.emit(Notify{State: StateBackup})
	i.preemptTime = time.Time{}
	i.msDown = i.MasterDownInterval()
	i.initSands(now)
}

// shutdown: a master sends priority 0 and drops its VIPs.
func (i *Instance) shutdown() {
	if i.state == StateStop {
		return
	}
	if i.state == StateMaster {
		i.emit(SendAdvert{Priority: 0})
		i.releaseVIPs()
	}
	i.state = StateStop
	i.emit(Notify{State: StateStop})
	i.sands = time.Time{}
}
