package daemon

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"
)

// WatchdogInterval is systemd's WatchdogSec as the service manager passes
// it (WATCHDOG_USEC, for this pid), zero when there is none.
func WatchdogInterval() time.Duration {
	if p := os.Getenv("WATCHDOG_PID"); p != "" && p != strconv.Itoa(os.Getpid()) {
		return 0
	}
	us, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || us <= 0 {
		return 0
	}
	return time.Duration(us) * time.Microsecond
}

// watchdog sends WATCHDOG=1 every half interval, but only when every
// running VRRP subsystem (the one with an event loop) answers a ping within that time:
// a VRRP loop that is stuck gets the daemon restarted by systemd, rather
// than fed by a goroutine that is fine.
func (d *Daemon) watchdog(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every / 2)
	defer t.Stop()
	starved := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		d.mu.Lock()
		run := append([]*running(nil), d.run...)
		d.mu.Unlock()
		ok := true
		for _, r := range run {
			p := r.vrrp
			if p == nil {
				continue
			}
			pctx, cancel := context.WithTimeout(ctx, every/2)
			err := p.Ping(pctx)
			cancel()
			if err != nil && ctx.Err() == nil {
				ok = false
				if !starved {
					d.log.Error(fmt.Sprintf("%s event loop did not answer within %v: not feeding the systemd watchdog", r.unit.name, every/2))
				}
			}
		}
		starved = !ok
		if ok {
			d.notify("WATCHDOG=1")
		}
	}
}
