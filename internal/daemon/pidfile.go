package daemon

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"
)

var errRunning = errors.New("daemon is already running")

// pidfiles are the daemon's pidfiles, open and locked for its lifetime.
type pidfiles []*os.File

// lockPidfiles opens each pidfile without following a symlink (a link
// planted in /run must not make root write elsewhere), takes an exclusive
// flock on it as keepalived ≥ 2.3.2 does, and writes our pid. A lock held
// by someone else means a daemon runs. A pidfile we can lock is stale
// whatever pid it names, unless that pid is a live keepalived, which does
// not lock its pidfile before 2.3.2; a pid reused by an unrelated process
// no longer stops the start.
func lockPidfiles(names []string, log *slog.Logger) (pidfiles, error) {
	var held pidfiles
	for _, name := range names {
		if name == "" {
			continue
		}
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o644)
		if err != nil {
			held.release()
			return nil, fmt.Errorf("pidfile_write : Cannot open %s pidfile (%v)", name, err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			held.release()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, errRunning
			}
			return nil, fmt.Errorf("pidfile %s: cannot lock (%v)", name, err)
		}
		var old [32]byte
		n, _ := f.ReadAt(old[:], 0)
		if pid, err := strconv.Atoi(string(bytes.TrimSpace(old[:n]))); err == nil && pid > 0 && pid != os.Getpid() {
			if isKeepalived(pid) {
				f.Close()
				held.release()
				return nil, errRunning
			}
			log.Info(fmt.Sprintf("Remove a zombie pid file %s", name))
		}
		if err := f.Truncate(0); err == nil {
			_, err = f.WriteAt(fmt.Appendf(nil, "%d\n", os.Getpid()), 0)
		}
		if err != nil {
			log.Info(fmt.Sprintf("pidfile_write : Cannot write %s pidfile (%v)", name, err))
		}
		held = append(held, f)
	}
	return held, nil
}

// isKeepalived says whether pid is a live keepalived or gokeepalived.
func isKeepalived(pid int) bool {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return false
	}
	c := strings.TrimSpace(string(comm))
	return c == "keepalived" || strings.HasPrefix(c, "gokeepalived")
}

// release removes the files, then drops the locks by closing them.
func (p pidfiles) release() {
	for _, f := range p {
		os.Remove(f.Name())
		f.Close()
	}
}
