package script

import (
	"context"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// waited holds the pids of the scripts whose Wait is pending: those are
// reaped by their own waiter, never by ReapOrphans.
var waited sync.Map

// ReapOrphans reaps, while ctx lasts, the processes the kernel gives the
// daemon when it runs as PID 1 of a PID namespace (a container): a
// script's background child whose parent died is re-parented to PID 1,
// and only PID 1 can reap it. A zombie is reaped once it has been seen
// twice, a scan apart, and is no script being waited for, so a child
// started by os/exec is never taken from its Wait. Elsewhere it does
// nothing: init reaps orphans. It returns how many it reaped.
func ReapOrphans(ctx context.Context, every time.Duration) (reaped int) {
	if os.Getpid() != 1 {
		return 0
	}
	chld := make(chan os.Signal, 1)
	signal.Notify(chld, syscall.SIGCHLD)
	defer signal.Stop(chld)
	t := time.NewTicker(every)
	defer t.Stop()
	seen := map[int]bool{}
	for {
		select {
		case <-ctx.Done():
			return reaped
		case <-t.C:
		case <-chld:
		}
		now := map[int]bool{}
		for _, pid := range orphanZombies() {
			if _, ok := waited.Load(pid); ok {
				continue
			}
			if seen[pid] {
				var ws unix.WaitStatus
				if p, _ := unix.Wait4(pid, &ws, unix.WNOHANG, nil); p == pid {
					reaped++
					continue
				}
			}
			now[pid] = true
		}
		seen = now
	}
}

// orphanZombies lists the zombies whose parent is PID 1.
func orphanZombies() []int {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	var out []int
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil || pid == 1 {
			continue
		}
		b, err := os.ReadFile("/proc/" + n + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) >= 2 && f[0] == "Z" && f[1] == "1" {
			out = append(out, pid)
		}
	}
	return out
}
