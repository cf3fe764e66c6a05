package bgp

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/metrics"
)

// Feed carries the VRRP instances' states and the checker's quorum
// changes to the speaker without its producers ever waiting: a short
// lock and a one-slot signal (the VRRP loop calls SetMaster). It
// outlives restarts of the subsystems, as the BFD hub does.
type Feed struct {
	mu      sync.Mutex
	master  map[string]bool
	quorums func() []Quorum
	c       chan struct{}
}

// NewFeed returns an empty feed.
func NewFeed() *Feed { return &Feed{master: map[string]bool{}, c: make(chan struct{}, 1)} }

func (f *Feed) signal() {
	select {
	case f.c <- struct{}{}:
	default:
	}
}

// SetMaster records an instance's state (true: MASTER).
func (f *Feed) SetMaster(instance string, master bool) {
	f.mu.Lock()
	f.master[instance] = master
	f.mu.Unlock()
	f.signal()
}

// SetQuorumSource names where the checker's quorums are read (nil: no
// checker).
func (f *Feed) SetQuorumSource(q func() []Quorum) {
	f.mu.Lock()
	f.quorums = q
	f.mu.Unlock()
	f.signal()
}

// QuorumChanged says that a quorum changed.
func (f *Feed) QuorumChanged() { f.signal() }

// Inputs is the latest of everything.
func (f *Feed) Inputs() Inputs {
	f.mu.Lock()
	m := make(map[string]bool, len(f.master))
	for k, v := range f.master {
		m[k] = v
	}
	q := f.quorums
	f.mu.Unlock()
	in := Inputs{Master: m}
	if q != nil {
		in.Quorums = q()
	}
	return in
}

// Subsystem is the daemon's BGP unit: GoBGP, started only when the
// config has a bgp_speaker.
type Subsystem struct {
	log  *slog.Logger
	feed *Feed
	newS func(*slog.Logger) Speaker

	mu        sync.Mutex
	cfg       *conf.Config
	sp        Speaker
	nbrs      map[netip.Addr]conf.BGPNeighbor // added to the speaker
	announced map[netip.Prefix]Announcement
	holding   bool      // graceful restart: neighbours wait for the first states
	holdUntil time.Time // … at most until then
	cancel    context.CancelFunc
	done      chan struct{}
}

// NewSubsystem returns the unit; newS nil is GoBGP.
func NewSubsystem(log *slog.Logger, feed *Feed, newS func(*slog.Logger) Speaker) *Subsystem {
	if newS == nil {
		newS = NewGoBGP
	}
	return &Subsystem{log: log, feed: feed, newS: newS}
}

// holdFor is how long a restarting speaker waits for its instances'
// states before it connects: three adverts and a second, so that a
// MASTER that restarted announces again before its End-of-RIB and the
// router keeps the route throughout.
func holdFor(cfg *conf.Config) time.Duration {
	adv := time.Second
	for _, in := range cfg.VRRPInstances {
		adv = max(adv, in.AdvertInt)
	}
	h := 3*adv + 2*time.Second
	if gr := cfg.BGPSpeaker.GracefulRestart; h > gr/2 {
		h = gr / 2
	}
	return h
}

func (s *Subsystem) Start(ctx context.Context, cfg *conf.Config) error {
	if cfg.BGPSpeaker == nil { // --all with nothing configured: idle
		s.mu.Lock()
		s.cfg = cfg
		s.mu.Unlock()
		return nil
	}
	sp := s.newS(s.log)
	if err := sp.Start(GlobalOf(cfg)); err != nil {
		// as BFD: the speaker stays off and says so, VRRP and the
		// checker run; a reload tries again
		s.log.Error(fmt.Sprintf("BGP: the speaker cannot start: %v", err))
		sp.Stop(false)
		s.mu.Lock()
		s.cfg = cfg
		s.mu.Unlock()
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	s.cfg, s.sp, s.cancel, s.done = cfg, sp, cancel, make(chan struct{})
	s.nbrs, s.announced = map[netip.Addr]conf.BGPNeighbor{}, map[netip.Prefix]Announcement{}
	if cfg.BGPSpeaker.GracefulRestart > 0 {
		s.holding, s.holdUntil = true, time.Now().Add(holdFor(cfg))
	}
	s.applyLocked()
	done := s.done
	s.mu.Unlock()
	go s.loop(ctx, done)
	return nil
}

func (s *Subsystem) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	var tick <-chan time.Time
	s.mu.Lock()
	if s.holding {
		t := time.NewTimer(time.Until(s.holdUntil))
		defer t.Stop()
		tick = t.C
	}
	s.mu.Unlock()
	// a safety net under the feed's signals (a checker that started
	// after the speaker read its quorums): a look every second
	every := time.NewTicker(time.Second)
	defer every.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.feed.c:
		case <-every.C:
		case <-tick:
			tick = nil
		}
		s.mu.Lock()
		s.applyLocked()
		s.mu.Unlock()
	}
}

// applyLocked brings the speaker to the config and the inputs: the
// neighbours (unchanged sessions untouched), then the announcements.
func (s *Subsystem) applyLocked() {
	in := s.feed.Inputs()
	want := Desired(s.cfg, in)
	if s.holding && (len(want) == len(s.cfg.BGPAnnounces) || !time.Now().Before(s.holdUntil)) {
		s.holding = false
	}
	wantN := map[netip.Addr]conf.BGPNeighbor{}
	if !s.holding {
		for _, n := range Neighbors(s.cfg) {
			wantN[n.Address] = n
		}
	}
	for a, n := range s.nbrs {
		if w, ok := wantN[a]; !ok || !SameNeighbor(w, n) {
			if err := s.sp.DeleteNeighbor(a); err != nil {
				s.log.Error(fmt.Sprintf("BGP: removing neighbor %s: %v", a, err))
			}
			delete(s.nbrs, a)
		}
	}
	for a, n := range wantN {
		if _, ok := s.nbrs[a]; ok {
			continue
		}
		if err := s.sp.AddNeighbor(n, s.cfg.BGPSpeaker.GracefulRestart); err != nil {
			s.log.Error(fmt.Sprintf("BGP: adding neighbor %s: %v", a, err))
			continue
		}
		s.log.Info(fmt.Sprintf("BGP: neighbor %s AS %d added", a, n.RemoteAS))
		s.nbrs[a] = n
	}
	wantA := map[netip.Prefix]Announcement{}
	for _, a := range want {
		wantA[a.Prefix] = a
	}
	for p := range s.announced {
		if _, ok := wantA[p]; !ok {
			if err := s.sp.Withdraw(p); err != nil {
				s.log.Error(fmt.Sprintf("BGP: withdrawing %s: %v", p, err))
				continue
			}
			s.log.Info(fmt.Sprintf("BGP: withdrawing %s", p))
			delete(s.announced, p)
		}
	}
	for _, a := range want {
		if o, ok := s.announced[a.Prefix]; ok && o.Equal(a) {
			continue
		}
		if err := s.sp.Announce(a); err != nil {
			s.log.Error(fmt.Sprintf("BGP: announcing %s: %v", a.Prefix, err))
			continue
		}
		s.log.Info(fmt.Sprintf("BGP: announcing %s", a.Prefix))
		s.announced[a.Prefix] = a
	}
}

// Reload applies a new config: neighbours added, removed or changed,
// announcements re-evaluated; unchanged sessions stay up. A changed
// router_id, local_as or listen_port restarts the speaker.
func (s *Subsystem) Reload(ctx context.Context, cfg *conf.Config) error {
	s.mu.Lock()
	old := s.cfg
	if s.sp == nil || old == nil || old.BGPSpeaker == nil || cfg.BGPSpeaker == nil || GlobalOf(old) != GlobalOf(cfg) {
		s.mu.Unlock()
		s.log.Info("BGP: bgp_speaker's own settings changed: restarting the speaker")
		s.stop(false)
		s.mu.Lock()
		s.announced = nil
		s.mu.Unlock()
		return s.Start(ctx, cfg)
	}
	s.cfg = cfg
	s.applyLocked()
	s.mu.Unlock()
	return nil
}

// Unconfigure is a reload's removal of bgp_speaker: withdraw, whatever
// graceful_restart says.
func (s *Subsystem) Unconfigure() { s.stop(false) }

// Stop ends the sessions with a Cease, so the routers withdraw our
// routes at once; with graceful_restart it closes them without one, so
// the routers keep the routes for the restart time.
func (s *Subsystem) Stop(ctx context.Context) error {
	s.mu.Lock()
	gr := s.cfg != nil && s.cfg.BGPSpeaker != nil && s.cfg.BGPSpeaker.GracefulRestart > 0
	s.mu.Unlock()
	s.stop(gr)
	return nil
}

func (s *Subsystem) stop(keep bool) {
	s.mu.Lock()
	cancel, done, sp := s.cancel, s.done, s.sp
	s.cancel, s.sp = nil, nil
	s.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
	if keep {
		s.log.Info("BGP: graceful_restart: the sessions closed without a Cease, the routers keep our routes for the restart time")
	}
	sp.Stop(keep)
}

// PlanReload says what a reload onto cfg would change.
func (s *Subsystem) PlanReload(cfg *conf.Config, stopping bool) ([]string, error) {
	if stopping {
		return []string{"BGP: every session closed, every prefix withdrawn"}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	if s.cfg == nil || s.cfg.BGPSpeaker == nil || cfg.BGPSpeaker == nil || GlobalOf(s.cfg) != GlobalOf(cfg) {
		return []string{"BGP: the speaker restarts (router_id, local_as, listen_port or graceful_restart changed)"}, nil
	}
	now := map[netip.Addr]conf.BGPNeighbor{}
	for _, n := range Neighbors(s.cfg) {
		now[n.Address] = n
	}
	for _, n := range Neighbors(cfg) {
		o, ok := now[n.Address]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("BGP: neighbor %s added", n.Address))
		case !SameNeighbor(o, n):
			out = append(out, fmt.Sprintf("BGP: neighbor %s changed: its session restarts", n.Address))
		}
		delete(now, n.Address)
	}
	for a := range now {
		out = append(out, fmt.Sprintf("BGP: neighbor %s removed", a))
	}
	sort.Strings(out)
	return out, nil
}

// Status is the speaker's state for status and metrics.
type Status struct {
	Sessions  []Session
	Announced []netip.Prefix
}

// Status reports the sessions and the prefixes announced.
func (s *Subsystem) Status() Status {
	s.mu.Lock()
	sp := s.sp
	var st Status
	for p := range s.announced {
		st.Announced = append(st.Announced, p)
	}
	s.mu.Unlock()
	sort.Slice(st.Announced, func(i, j int) bool { return st.Announced[i].String() < st.Announced[j].String() })
	if sp != nil {
		st.Sessions = sp.Sessions()
		sort.Slice(st.Sessions, func(i, j int) bool { return st.Sessions[i].Neighbor.Less(st.Sessions[j].Neighbor) })
	}
	return st
}

// BGP is Status for status and /metrics.
func (s *Subsystem) BGP() metrics.BGP {
	st := s.Status()
	out := metrics.BGP{Sessions: []metrics.BGPSession{}, Announced: []string{}}
	for _, x := range st.Sessions {
		out.Sessions = append(out.Sessions, metrics.BGPSession{Neighbor: x.Neighbor.String(), RemoteAS: x.RemoteAS,
			State: x.State, Established: x.Established, BFD: x.BFD})
	}
	for _, p := range st.Announced {
		out.Announced = append(out.Announced, p.String())
	}
	return out
}
