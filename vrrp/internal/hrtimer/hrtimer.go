// Package hrtimer is a timer on a Linux timerfd read through Go's network
// poller. The runtime's own timers wake a parked process through
// epoll_wait, whose timeout is in whole milliseconds: a deadline is
// truncated to the millisecond below, then waited for with another 1 ms
// wait, so an idle process wakes twice per deadline and up to 1 ms late.
// A timerfd fires on time (hrtimer precision) and wakes the poller once.
package hrtimer

import (
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Timer has time.Timer's C, Reset and Stop; Close releases it.
type Timer struct {
	f  *os.File
	rc syscall.RawConn
	c  chan time.Time
	fn func()
}

// New returns a stopped timer.
func New() (*Timer, error) { return NewFunc(nil) }

// NewFunc returns a stopped timer that, if f is not nil, calls f on its
// own goroutine at each expiry instead of delivering on C. That saves
// handing each expiry to another goroutine, which with spare Ps makes
// the scheduler wake a second thread every time.
func NewFunc(f func()) (*Timer, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("timerfd_create", err)
	}
	// Non-blocking, so the File is registered with the poller.
	t := &Timer{f: os.NewFile(uintptr(fd), "timerfd"), c: make(chan time.Time, 1), fn: f}
	if t.rc, err = t.f.SyscallConn(); err != nil {
		t.f.Close()
		return nil, err
	}
	go t.read()
	return t, nil
}

func (t *Timer) read() {
	var buf [8]byte // the expiry count
	for {
		var errno syscall.Errno
		// Read first: RawRead forgets a readiness that came before it.
		err := t.rc.Read(func(fd uintptr) bool {
			// A raw read: it cannot block, and a blocking-call entry
			// wakes the runtime's sysmon thread, which then polls for a
			// while; once per expiry that was most of the CPU time.
			_, _, errno = unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
			return errno != unix.EAGAIN
		})
		if err != nil {
			return // closed
		}
		if errno != 0 {
			continue // EINTR; a read error on a timerfd is not expected
		}
		if t.fn != nil {
			t.fn()
			continue
		}
		select {
		case t.c <- time.Now():
		default: // one pending tick is enough
		}
	}
}

// C delivers the time of each expiry.
func (t *Timer) C() <-chan time.Time { return t.c }

// Reset arms the timer d from now (at least 1 ns: zero would disarm) and
// drops a tick not yet received. A tick read just before may still
// arrive: callers must treat a tick as "check what is due".
func (t *Timer) Reset(d time.Duration) bool {
	select {
	case <-t.c:
	default:
	}
	return t.set(unix.NsecToTimespec(max(int64(d), 1)))
}

// ResetAt arms the timer for the wall-clock time at.
func (t *Timer) ResetAt(at time.Time) bool { return t.Reset(time.Until(at)) }

// Stop disarms the timer.
func (t *Timer) Stop() bool { return t.set(unix.Timespec{}) }

func (t *Timer) set(v unix.Timespec) bool {
	var old unix.ItimerSpec
	var serr error
	if err := t.rc.Control(func(fd uintptr) {
		serr = unix.TimerfdSettime(int(fd), 0, &unix.ItimerSpec{Value: v}, &old)
	}); err != nil || serr != nil {
		return false
	}
	return old.Value.Sec != 0 || old.Value.Nsec != 0
}

// Close stops the timer and its reader.
func (t *Timer) Close() error { return t.f.Close() }
