// Package trackfile reads and watches keepalived track files (track_file /
// vrrp_track_file for VRRP, FILE_CHECK for the checker): a file holding
// one integer, re-read when it is written, moved in, moved away or
// deleted (a missing file reads as 0), as keepalived 2.2.7 does with
// inotify on the file's directory.
package trackfile

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Parse reads a value as keepalived's strtol(buf, NULL, 0): leading
// blanks, a sign, then decimal, 0x hex or 0 octal digits; anything after
// them is ignored and no digits at all is 0. ok is false for a value
// outside [INT32_MIN, INT32_MAX+1], which keepalived logs and ignores.
func Parse(b []byte) (v int64, ok bool) {
	s := strings.TrimLeft(string(b), " \t\n\r\v\f")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	base := 10
	switch {
	case len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isDigit(s[2], 16):
		base, s = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base = 8
	}
	end := 0
	for end < len(s) && isDigit(s[end], base) {
		end++
	}
	if end == 0 {
		return 0, true
	}
	u, err := strconv.ParseUint(s[:end], base, 64)
	if err != nil || u > math.MaxInt32+2 {
		return 0, false
	}
	v = int64(u)
	if neg {
		v = -v
	}
	return v, v >= math.MinInt32 && v <= math.MaxInt32+1
}

func isDigit(c byte, base int) bool {
	switch {
	case c >= '0' && c <= '7':
		return true
	case c == '8' || c == '9':
		return base >= 10
	case base == 16 && (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'):
		return true
	}
	return false
}

// Read returns the file's value: 0 when it is missing, unreadable or
// empty; ok false for an out-of-range number.
func Read(path string) (v int64, ok bool) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return 0, true
	}
	defer f.Close()
	buf := make([]byte, 127) // keepalived reads at most 127 bytes
	n, _ := f.Read(buf)
	return Parse(buf[:n])
}

// Init is init_file: write value to path unless it exists (and
// overwrite is not set) or, at reload, at all. A path that exists but is
// not a regular file is an error.
func Init(path string, value int, overwrite, reload bool) error {
	if st, err := os.Stat(path); err == nil {
		if !overwrite {
			return nil
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("Cannot initialise track file %s - it is not a regular file", path)
		}
		if reload {
			return nil
		}
	}
	return writeNew(path, []byte(strconv.Itoa(value)+"\n"))
}

// writeNew replaces path with a new file holding b: written under a
// temporary name in the same directory, then renamed over path, so that
// a symlink put at path is replaced, never followed, and a reader never
// sees a half-written value.
func writeNew(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// Resolve is keepalived's path handling: the file's real path if it
// exists, else its directory's real path joined with its name; an error
// if neither the file nor its directory exists.
func Resolve(path string) (string, error) {
	if p, err := filepath.EvalSymlinks(path); err == nil {
		return filepath.Abs(p)
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	dir, name := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	d, err := filepath.EvalSymlinks(dir)
	if err == nil {
		var st os.FileInfo
		if st, err = os.Stat(d); err == nil && !st.IsDir() {
			err = errors.New("not a directory")
		}
	}
	if err != nil {
		return "", err
	}
	d, err = filepath.Abs(d)
	return filepath.Join(d, name), err
}

// Watcher reports changes of a set of files through inotify watches on
// their directories.
type Watcher struct {
	fd    int
	mu    sync.Mutex
	wds   map[int]string      // watch descriptor → directory
	files map[string]struct{} // resolved paths
	stop  [2]int              // pipe that wakes Run at Close
	// Run closes the descriptors when it returns; Close does it only
	// if Run never started.
	started, closed bool
}

// NewWatcher watches paths (already Resolved).
func NewWatcher(paths []string) (*Watcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("Unable to monitor track files: %w", err)
	}
	w := &Watcher{fd: fd, wds: map[int]string{}, files: map[string]struct{}{}}
	if err := unix.Pipe2(w.stop[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		unix.Close(fd)
		return nil, err
	}
	dirs := map[string]bool{}
	for _, p := range paths {
		w.files[p] = struct{}{}
		d := filepath.Dir(p)
		if dirs[d] {
			continue
		}
		dirs[d] = true
		wd, err := unix.InotifyAddWatch(fd, d, unix.IN_CLOSE_WRITE|unix.IN_DELETE|unix.IN_MOVE)
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("watch %s: %w", d, err)
		}
		w.wds[wd] = d
	}
	return w, nil
}

// Run calls changed with the path of every watched file written, moved
// or deleted, until ctx ends or Close; gone is true when it went away.
// When the kernel's event queue overflowed, every file is reported, so
// its reader reads them all again.
func (w *Watcher) Run(ctx context.Context, changed func(path string, gone bool)) error {
	w.mu.Lock()
	if w.started || w.closed {
		w.mu.Unlock()
		return errors.New("trackfile: watcher already run or closed")
	}
	w.started = true
	w.mu.Unlock()
	defer w.release()
	stop := context.AfterFunc(ctx, func() { w.wake() })
	defer stop()
	buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
	for {
		fds := []unix.PollFd{{Fd: int32(w.fd), Events: unix.POLLIN}, {Fd: int32(w.stop[0]), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, -1); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return err
		}
		if fds[1].Revents != 0 || ctx.Err() != nil {
			return nil
		}
		n, err := unix.Read(w.fd, buf)
		if err != nil {
			if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
				continue
			}
			return err
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			name := ""
			if ev.Len > 0 {
				b := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
				if i := strings.IndexByte(string(b), 0); i >= 0 {
					b = b[:i]
				}
				name = string(b)
			}
			off += unix.SizeofInotifyEvent + int(ev.Len)
			if ev.Mask&unix.IN_Q_OVERFLOW != 0 {
				// events were lost: every file may have changed
				for p := range w.files {
					changed(p, false)
				}
				continue
			}
			if ev.Mask&unix.IN_ISDIR != 0 || name == "" {
				continue
			}
			p := filepath.Join(w.wds[int(ev.Wd)], name)
			if _, ok := w.files[p]; !ok {
				continue
			}
			changed(p, ev.Mask&(unix.IN_DELETE|unix.IN_MOVED_FROM) != 0)
		}
	}
}

func (w *Watcher) wake() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		unix.Write(w.stop[1], []byte{0})
	}
}

func (w *Watcher) release() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	unix.Close(w.fd)
	unix.Close(w.stop[0])
	unix.Close(w.stop[1])
}

// Close ends Run (which then releases the watches), or releases them
// if Run was never called.
func (w *Watcher) Close() error {
	w.mu.Lock()
	started, closed := w.started, w.closed
	w.mu.Unlock()
	if closed {
		return nil
	}
	if started {
		w.wake()
		return nil
	}
	w.release()
	return nil
}
