package daemon

import (
	"fmt"
	"log/slog"

	"golang.org/x/sys/unix"

	"github.com/gokeepalived/gokeepalived/conf"
)

// fdsNeeded is keepalived's own estimate (set_max_file_limit in its
// checker and VRRP processes), summed because we are one process: a
// socket per checker, two per VRRP instance, its fixed descriptors and
// spares.
func fdsNeeded(cfg *conf.Config) uint64 {
	var checkers, alerts uint64
	for _, vs := range cfg.VirtualServers {
		if vs.SMTPAlert {
			alerts++
		}
		for _, rs := range vs.RealServers {
			checkers += uint64(len(rs.Checkers))
		}
	}
	n := 17 + checkers + 10 + alerts
	if k := uint64(len(cfg.VRRPInstances)); k > 0 {
		for _, v := range cfg.VRRPInstances {
			if v.SMTPAlert {
				alerts++
			}
		}
		n += 2*k + 23 + 20 + alerts
	}
	return n
}

// fdLimitFor is the limit to set for need descriptors, given the current
// one (Go has already raised the soft limit to the hard one): like
// keepalived, both are raised when the need is higher; nothing changes
// otherwise.
func fdLimitFor(cur unix.Rlimit, need uint64) (unix.Rlimit, bool) {
	if need <= cur.Cur {
		return cur, false
	}
	return unix.Rlimit{Cur: need, Max: max(cur.Max, need)}, true
}

// raiseFDLimit makes room for a configuration's descriptors: without it,
// thousands of checkers run out of descriptors where keepalived does not.
func raiseFDLimit(log *slog.Logger, cfg *conf.Config) {
	var cur unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &cur); err != nil {
		log.Info(fmt.Sprintf("Failed to get current RLIMIT_NOFILE, errno %d", err))
		return
	}
	lim, change := fdLimitFor(cur, fdsNeeded(cfg))
	if !change {
		return
	}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		log.Info(fmt.Sprintf("Failed to set open file limit to %d:%d failed - errno %d", lim.Cur, lim.Max, err))
		return
	}
	log.Debug(fmt.Sprintf("Set open file limit to %d:%d.", lim.Cur, lim.Max))
}
