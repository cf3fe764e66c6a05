package bfd

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
)

// Configs are cfg's bfd_instance blocks as sessions.
func Configs(cfg *conf.Config) []Config {
	var out []Config
	for _, b := range cfg.BFDInstances {
		mh := b.MaxHops
		if mh < 0 || mh > 255 {
			mh = 255
		}
		out = append(out, Config{Name: b.Name, Neighbor: b.NeighborIP, Source: b.SourceIP,
			MinRx: b.MinRx, MinTx: b.MinTx, IdleTx: b.IdleTx, Multiplier: uint8(b.Multiplier),
			Passive: b.Passive, Multihop: b.Multihop, TTL: uint8(b.TTL), MaxHops: uint8(mh), VRRP: b.VRRP, Checker: b.Checker})
	}
	return out
}

// Subsystem is the daemon's BFD subsystem (keepalived's BFD child): the
// engine on the host's UDP, reporting to a Hub.
type Subsystem struct {
	log *slog.Logger
	hub *Hub
	tr  Transport

	mu     sync.Mutex
	eng    *Engine
	cancel context.CancelFunc
	done   chan struct{}
}

// NewSubsystem returns the subsystem, to be started; tr nil is UDP.
func NewSubsystem(log *slog.Logger, hub *Hub, tr Transport) *Subsystem {
	if tr == nil {
		tr = UDP{}
	}
	return &Subsystem{log: log, hub: hub, tr: tr}
}

func (b *Subsystem) Start(ctx context.Context, cfg *conf.Config) error {
	var sink Sink
	if b.hub != nil {
		sink = b.hub
	}
	eng := New(b.tr, b.log, sink)
	// the listening sockets are open when Start returns; if they cannot
	// be (the port taken), BFD stays off and says so, as keepalived's
	// BFD process exits, but VRRP and the checker run
	ctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	done := make(chan struct{})
	ready := make(chan struct{})
	eng.started = ready
	go func() {
		defer close(done)
		errc <- eng.Run(ctx, Configs(cfg))
	}()
	select {
	case <-errc: // Run logged why
		cancel()
		return nil
	case <-ready:
	}
	b.mu.Lock()
	b.eng, b.cancel, b.done = eng, cancel, done
	b.mu.Unlock()
	return nil
}

func (b *Subsystem) Reload(ctx context.Context, cfg *conf.Config) error {
	b.mu.Lock()
	eng := b.eng
	b.mu.Unlock()
	if eng != nil {
		eng.Reload(ctx, Configs(cfg))
	}
	return nil
}

func (b *Subsystem) Stop(ctx context.Context) error {
	b.mu.Lock()
	cancel, done := b.cancel, b.done
	b.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

func (b *Subsystem) PlanReload(cfg *conf.Config, stopping bool) ([]string, error) {
	var out []string
	if stopping {
		return []string{"stop every BFD session"}, nil
	}
	for _, c := range Configs(cfg) {
		out = append(out, fmt.Sprintf("BFD instance %s: neighbor %s", c.Name, c.Neighbor))
	}
	return out, nil
}

// Drops is what the engine discarded, by reason.
func (b *Subsystem) Drops() map[string]uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.eng == nil {
		return nil
	}
	return b.eng.Drops()
}

// WriteData writes the SIGUSR1 data dump (keepalived's keepalived_bfd.data:
// "BFD Topology", each instance's settings and state variables; its
// thread and descriptor lines are keepalived's internals and left out).
func (b *Subsystem) WriteData(w io.Writer) {
	b.mu.Lock()
	eng := b.eng
	b.mu.Unlock()
	fmt.Fprintln(w, "------< BFD Topology >------")
	if eng == nil {
		return
	}
	done := make(chan struct{})
	select {
	case eng.ctl <- func() { eng.dump(w); close(done) }:
		<-done
	case <-time.After(time.Second):
	}
}
