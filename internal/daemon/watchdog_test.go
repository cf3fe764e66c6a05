package daemon

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// pingSub is a VRRP subsystem whose loop can be made to stop answering.
type pingSub struct {
	fakeSub
	stuck atomic.Bool
}

func (p *pingSub) Ping(ctx context.Context) error {
	if p.stuck.Load() {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

// TestWatchdogFedOnlyWhileTheLoopTurns: WATCHDOG=1 goes to systemd while
// the VRRP loop answers pings, stops (with one log line) while it does
// not, and resumes when it answers again.
func TestWatchdogFedOnlyWhileTheLoopTurns(t *testing.T) {
	var log syncBuf
	states := make(chan string, 64)
	sub := &pingSub{}
	d := &Daemon{o: Options{Notify: func(s string) { states <- s }}, log: NewLogger(LogOptions{Console: &log})}
	d.run = []*running{{unit: &unit{name: "VRRP"}, sub: sub, vrrp: sub}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.watchdog(ctx, 100*time.Millisecond)
	fed := func(within time.Duration) bool {
		deadline := time.After(within)
		for {
			select {
			case s := <-states:
				if s == "WATCHDOG=1" {
					return true
				}
			case <-deadline:
				return false
			}
		}
	}
	if !fed(2 * time.Second) {
		t.Fatal("not fed while the loop answers")
	}
	sub.stuck.Store(true)
	time.Sleep(200 * time.Millisecond) // a ping in flight may still have answered
	for len(states) > 0 {
		<-states
	}
	if fed(time.Second) {
		t.Error("fed while the loop is stuck")
	}
	FlushLog(d.log)
	if !strings.Contains(log.String(), "VRRP event loop did not answer within 50ms: not feeding the systemd watchdog") {
		t.Errorf("no log line:\n%s", log.String())
	}
	sub.stuck.Store(false)
	if !fed(2 * time.Second) {
		t.Error("not fed again once the loop answers")
	}
}

func TestWatchdogInterval(t *testing.T) {
	t.Setenv("WATCHDOG_USEC", "10000000")
	t.Setenv("WATCHDOG_PID", "")
	if got := WatchdogInterval(); got != 10*time.Second {
		t.Errorf("WatchdogInterval %v", got)
	}
	t.Setenv("WATCHDOG_PID", "1")
	if got := WatchdogInterval(); got != 0 {
		t.Errorf("for another pid: %v", got)
	}
}
