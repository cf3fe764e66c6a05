package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"syscall"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/dumps"
)

// VRRPObserver follows the VRRP subsystem (the D-Bus service): started
// once the subsystem runs, told of each reload just before the subsystem
// applies it, stopped after it. None of its methods may block for long: they run in the
// daemon's loop.
type VRRPObserver interface {
	Start(log *slog.Logger, cfg *conf.Config, h ObserverHost)
	Reload(cfg *conf.Config)
	Stop()
}

// ObserverHost is what an observer may use: the subsystem's reports, and
// requests served by the daemon's loop as signals are.
type ObserverHost struct {
	VRRP VRRP
	// Request queues r and waits until the loop served it (a reload only
	// queues), or ctx ends.
	Request func(ctx context.Context, r Request) error
}

// Request is what keepalived's D-Bus methods ask of the VRRP process.
type Request int

const (
	RequestData       Request = iota // PrintData: keepalived.data
	RequestStats                     // PrintStats: keepalived.stats
	RequestStatsClear                // PrintStatsClear
	RequestReload                    // ReloadConfig: as SIGHUP
)

// loopRequest is a Request in the signal queue; done closes once served.
type loopRequest struct {
	kind Request
	done chan struct{}
}

func (r *loopRequest) String() string { return fmt.Sprintf("request %d", r.kind) }
func (r *loopRequest) Signal()        {}

// request is ObserverHost.Request. ReloadConfig is keepalived's
// kill(getppid(), SIGHUP): the caller's reply does not wait for it.
func (d *Daemon) request(ctx context.Context, kind Request) error {
	if kind == RequestReload {
		d.q.add(syscall.SIGHUP)
		return nil
	}
	r := &loopRequest{kind: kind, done: make(chan struct{})}
	d.q.add(r)
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// serveRequest writes the VRRP dumps keepalived's D-Bus methods ask for,
// with its log lines: only the VRRP process's files, not the parent's.
func (d *Daemon) serveRequest(r *loopRequest) {
	defer close(r.done)
	d.mu.Lock()
	run := append([]*running(nil), d.run...)
	d.mu.Unlock()
	for _, u := range run {
		v := u.vrrp
		if v == nil {
			continue
		}
		switch r.kind {
		case RequestData:
			u.log.Info("Printing VRRP data on DBus request")
			d.writeDump(d.statePath(u.unit.dataSuffix), func(w io.Writer) error {
				dumps.WriteData(w, v.Instances(), v.Scripts())
				return nil
			})
		case RequestStats, RequestStatsClear:
			if r.kind == RequestStats {
				u.log.Info("Printing VRRP stats on DBus request")
			} else {
				u.log.Info("Printing and clearing VRRP stats on DBus request")
			}
			d.writeDump(d.statsPath(), func(w io.Writer) error {
				dumps.WriteStats(w, v.Instances())
				if r.kind == RequestStatsClear {
					v.ClearStats()
				}
				return nil
			})
		}
	}
}

var _ os.Signal = (*loopRequest)(nil)
