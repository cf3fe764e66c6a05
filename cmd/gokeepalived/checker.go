package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	checkengine "github.com/gokeepalived/gokeepalived/check"
	"github.com/gokeepalived/gokeepalived/check/probe"
	"github.com/gokeepalived/gokeepalived/cmd/gokeepalived/internal/metrics"
	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/reconcile"
)

// ipvsHandle is what the checker subsystem needs of IPVS; *ipvs.Conn in
// the daemon, the in-memory fake in tests.
type ipvsHandle interface {
	ipvs.Table
	Flush() error
	SetTimeouts(ipvs.Timeouts) error
	Close() error
}

// checker is the health-checker subsystem (keepalived's --check child):
// the check engine computes the desired IPVS table, and every change is
// diffed against what was last applied and programmed in place.
type checker struct {
	log      *slog.Logger
	open     func() (ipvsHandle, error)
	keepIPVS bool // -I

	conn   ipvsHandle
	cfg    *conf.Config
	eng    *checkengine.Engine
	cancel context.CancelFunc
	done   chan struct{}

	syncMu  sync.Mutex
	applied []reconcile.VirtualService // what the kernel holds of ours
	stale   bool                       // an apply failed: re-read the kernel
	full    bool                       // next sync diffs the whole table (new engine)
}

func newChecker(log *slog.Logger, o options, open func() (ipvsHandle, error)) *checker {
	return &checker{log: log, open: open, keepIPVS: o.keepIPVS}
}

// testNewProbe replaces the checkers' probes in tests.
var testNewProbe func(c *conf.Checker, rs *conf.RealServer, vs *conf.VirtualServer) (probe.Checker, error)

func (c *checker) engineOptions(cfg *conf.Config) checkengine.Options {
	return checkengine.Options{
		Logf:        func(f string, a ...any) { c.log.Info(fmt.Sprintf(f, a...)) },
		OnChange:    c.sync,
		RunScripts:  true,
		ScriptUser:  cfg.Global.ScriptUser,
		ScriptGroup: cfg.Global.ScriptGroup,
		NewProbe:    testNewProbe,
	}
}

func (c *checker) Start(ctx context.Context, cfg *conf.Config) error {
	conn, err := c.open()
	if err != nil {
		return fmt.Errorf("IPVS: Can't initialize ipvs: %v", err)
	}
	c.conn, c.cfg = conn, cfg
	if err := c.setTimeouts(cfg); err != nil {
		c.log.Error(err.Error())
	}
	eng, err := checkengine.New(cfg, c.engineOptions(cfg))
	if err != nil {
		conn.Close()
		return err
	}
	c.eng = eng
	// Adopt what the kernel already holds for our services: a restart
	// keeps their connections. lvs_flush removes every other service.
	cur, err := reconcile.Dump(conn)
	if err != nil {
		conn.Close()
		return fmt.Errorf("IPVS: reading the kernel table: %v", err)
	}
	desired := eng.Table()
	ops, err := reconcile.Diff(desired, cur, reconcile.Options{PurgeUnowned: cfg.Global.LVSFlush})
	if err == nil {
		_, err = reconcile.Apply(conn, ops)
	}
	if err != nil {
		c.log.Error(fmt.Sprintf("IPVS: %v", err))
		c.stale = true
	}
	c.applied = desired
	c.log.Debug(fmt.Sprintf("IPVS: %d operation(s) at start-up", len(ops)))
	c.run(ctx)
	return nil
}

func (c *checker) setTimeouts(cfg *conf.Config) error {
	t := cfg.Global.LVSTimeouts
	if t.TCP == 0 && t.TCPFin == 0 && t.UDP == 0 {
		return nil
	}
	return c.conn.SetTimeouts(ipvs.Timeouts{TCP: secs(t.TCP), TCPFin: secs(t.TCPFin), UDP: secs(t.UDP)})
}

func secs(d time.Duration) uint32 { return uint32(d / time.Second) }

func (c *checker) run(ctx context.Context) {
	ctx, c.cancel = context.WithCancel(ctx)
	c.done = make(chan struct{})
	eng, done := c.eng, c.done
	go func() { defer close(done); eng.Run(ctx) }()
}

func (c *checker) halt() {
	if c.cancel != nil {
		c.cancel()
		<-c.done
		c.cancel = nil
	}
}

// sync programs the engine's current table: a diff against what was
// applied last, so a weight change is one SET_DEST and no kernel dump.
func (c *checker) sync() {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	if !c.stale && !c.full {
		c.syncChanged()
		return
	}
	c.full = false
	c.eng.Changed() // taken whole below
	desired := c.eng.Table()
	cur := c.applied
	opt := reconcile.Options{PurgeUnowned: true} // cur holds only ours
	if c.stale {
		owned := map[ipvs.ServiceKey]bool{}
		for _, vs := range c.applied {
			owned[vs.Service.ServiceKey] = true
		}
		k, err := reconcile.Dump(c.conn)
		if err != nil {
			c.log.Error(fmt.Sprintf("IPVS: reading the kernel table: %v", err))
			return
		}
		cur, opt = k, reconcile.Options{PrevOwned: owned}
	}
	ops, err := reconcile.Diff(desired, cur, opt)
	if err == nil {
		_, err = reconcile.Apply(c.conn, ops)
	}
	if err != nil {
		c.log.Error(fmt.Sprintf("IPVS: %v", err))
	}
	c.stale = err != nil
	c.applied = desired
}

// syncChanged diffs only the virtual servers that changed: a lone
// change costs the same with 40 real servers or 40,000.
func (c *checker) syncChanged() {
	desired, keys := c.eng.Changed()
	if len(keys) == 0 {
		return
	}
	var cur, keep []reconcile.VirtualService
	for _, vs := range c.applied {
		if keys[vs.Service.ServiceKey] {
			cur = append(cur, vs)
		} else {
			keep = append(keep, vs)
		}
	}
	ops, err := reconcile.Diff(desired, cur, reconcile.Options{PurgeUnowned: true})
	if err == nil {
		_, err = reconcile.Apply(c.conn, ops)
	}
	if err != nil {
		c.log.Error(fmt.Sprintf("IPVS: %v", err))
	}
	c.stale = err != nil
	c.applied = append(keep, desired...)
}

func (c *checker) Reload(ctx context.Context, cfg *conf.Config) error {
	c.halt()
	old := c.eng
	c.syncMu.Lock()
	c.eng = checkengine.Reload(cfg, c.engineOptions(cfg), old)
	c.cfg = cfg
	c.full = true // virtual servers may have gone
	c.syncMu.Unlock()
	if err := c.setTimeouts(cfg); err != nil {
		c.log.Error(err.Error())
	}
	c.sync()
	c.run(ctx)
	return nil
}

// Stop removes our services unless -I, as keepalived's checker does at
// exit; lvs_flush_on_stop FULL empties the whole table.
func (c *checker) Stop(context.Context) error {
	c.halt()
	c.eng.Shutdown()
	defer c.conn.Close()
	switch {
	case c.keepIPVS:
		return nil
	case strings.EqualFold(c.cfg.Global.LVSFlushOnStop, "FULL"):
		return c.conn.Flush()
	}
	c.sync()
	return nil
}

// RealServers reports every destination the engine wants in IPVS.
func (c *checker) RealServers() []metrics.RealServer {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	var out []metrics.RealServer
	for _, vs := range c.applied {
		for _, d := range vs.Dests {
			out = append(out, metrics.RealServer{VS: vs.Service.ServiceKey.String(), RS: d.Key().String(),
				Up: d.Weight > 0, Weight: int(d.Weight)})
		}
	}
	return out
}
