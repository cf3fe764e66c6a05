package daemon

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

var errRunning = errors.New("daemon is already running")

// pidfiles are the daemon's pidfiles, open and locked for its lifetime.
type pidfiles []*os.File

// lockPidfiles opens each pidfile without following a symlink (a link
// planted in /run must not make root write elsewhere), takes keepalived
// 2.3.2's lock on it (an open-file-description write lock on the whole
// file, F_OFD_SETLK: a flock would not see keepalived's lock, nor it
// ours), and writes our pid. A lock held by someone else means a daemon
// runs. A pidfile we can lock is stale whatever pid it names, unless that
// pid is a live keepalived, which does not lock its pidfile before 2.3.2;
// a pid reused by an unrelated process no longer stops the start.
func lockPidfiles(names []string, log *slog.Logger) (pidfiles, error) {
	var held pidfiles
	for _, name := range names {
		if name == "" {
			continue
		}
		f, err := openLocked(name, log)
		if err != nil {
			held.release()
			return nil, err
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

// openLocked opens and locks name, again if it was removed or replaced
// between the open and the lock, as keepalived does.
func openLocked(name string, log *slog.Logger) (*os.File, error) {
	for {
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o644)
		if err != nil {
			return nil, fmt.Errorf("pidfile_write : Cannot open %s pidfile (%v)", name, err)
		}
		lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart}
		if err := unix.FcntlFlock(f.Fd(), unix.F_OFD_SETLK, &lk); err != nil {
			f.Close()
			if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EACCES) {
				log.Info(fmt.Sprintf("Another process has pid file %s locked", name))
				return nil, errRunning
			}
			return nil, fmt.Errorf("Locking pid file %s error - %v", name, err)
		}
		var at, open unix.Stat_t
		if unix.Stat(name, &at) != nil {
			f.Close() // removed meanwhile
			continue
		}
		if unix.Fstat(int(f.Fd()), &open) == nil && (at.Dev != open.Dev || at.Ino != open.Ino) {
			f.Close() // replaced meanwhile
			continue
		}
		return f, nil
	}
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
