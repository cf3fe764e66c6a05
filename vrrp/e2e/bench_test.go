package e2e

import (
	"math/rand/v2"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// TestFailoverBench (scripts/bench/failover.sh) compares gokeepalived and
// keepalived as the BACKUP behind the same keepalived MASTER: medians of 5
// hard kills and 5 graceful stops, v2 at 1 s and v3 at 0.05 s adverts.
// It only runs with GOKEEPALIVED_BENCH_FAILOVER set.
func TestFailoverBench(t *testing.T) {
	if os.Getenv("GOKEEPALIVED_BENCH_FAILOVER") == "" {
		t.Skip("set GOKEEPALIVED_BENCH_FAILOVER=1 (scripts/bench/failover.sh)")
	}
	nstest.Require(t, keepalived)
	for _, mode := range []struct {
		name  string
		extra string
		adv   time.Duration
	}{{"v2-adv-1s", v2pass, time.Second}, {"v3-adv-0.05s", v3(50*time.Millisecond, ""), 50 * time.Millisecond}} {
		for _, bk := range []struct {
			name  string
			start starter
		}{{"gokeepalived", startGo}, {"keepalived", startKeepalived}} {
			t.Run(mode.name+"/"+bk.name, func(t *testing.T) { benchFailover(t, mode.extra, mode.adv, mode.name, bk.name, bk.start) })
		}
	}
}

func benchFailover(t *testing.T, extra string, adv time.Duration, modeName, bkName string, startBackup starter) {
	const rounds = 5
	mode := struct {
		extra string
		adv   time.Duration
	}{extra, adv}
	{
		{
			a, b := nstest.Pair(t)
			wa := watch{t, a.Handle(t), vip4}
			wb := watch{t, b.Handle(t), vip4}
			cfgA := instance(81, 150, mode.extra, "10.77.0.100/24")
			cfgB := instance(81, 100, mode.extra, "10.77.0.100/24")
			res := map[string][]time.Duration{}
			for _, kind := range []string{"hard kill", "graceful stop"} {
				for range rounds {
					// The master first: with 50 ms adverts a slow keepalived
					// start would otherwise lose the first election.
					pa := startKeepalived(t, a, "master", cfgA)
					wa.until(true, 4*mode.adv+3*time.Second, "master elected")
					pb := startBackup(t, b, "backup", cfgB)
					time.Sleep(4*mode.adv + 300*time.Millisecond) // the backup is up
					wb.stays(false, 2*mode.adv, "backup stays backup")
					// A random phase against the advert schedule.
					time.Sleep(rand.N(mode.adv))
					start := time.Now()
					if kind == "hard kill" {
						pa.kill(syscall.SIGKILL)
					} else {
						pa.term()
					}
					wb.until(true, 6*mode.adv+2*time.Second, "backup takes over")
					res[kind] = append(res[kind], time.Since(start))
					pa.term() // the parent, if a killed child left it
					pa.wait()
					pb.term()
					pb.wait()
				}
			}
			for _, kind := range []string{"hard kill", "graceful stop"} {
				d := res[kind]
				slices.Sort(d)
				t.Logf("BENCH %s | backup %s | %s | median %v | min %v | max %v",
					modeName, bkName, kind, d[len(d)/2].Round(time.Millisecond),
					d[0].Round(time.Millisecond), d[len(d)-1].Round(time.Millisecond))
			}
		}
	}
}
