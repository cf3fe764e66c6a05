// Package notifyfifo writes keepalived's notify FIFO lines: the global
// notify_fifo gets both VRRP and checker lines, vrrp_notify_fifo and
// lvs_notify_fifo one subsystem's. Each subsystem opens the global FIFO
// and its own, as keepalived's two child processes do.
package notifyfifo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/script"
	"golang.org/x/sys/unix"
)

// StartFunc starts a notify_fifo_script (argv with the FIFO path added)
// as user:group (empty: the global script_user) and does not wait; the
// end of ctx ends the script (its process group), exited is called once
// it has ended.
type StartFunc func(ctx context.Context, argv []string, user, group string, exited func()) error

type fifo struct {
	name    string
	fd      int
	created bool
}

// Set is the FIFOs one subsystem writes to. The zero Set writes nowhere.
type Set struct {
	mu    sync.Mutex
	fifos []*fifo
	// stop ends the FIFO scripts, as keepalived's script_killall does at
	// shutdown and reload
	stop context.CancelFunc
}

// Open opens global and specific (typ "vrrp_" or "lvs_" in messages):
// each is created if missing (mode 0644, chowned to its user/group),
// its script is started with the path as last argument, then it is
// opened read-write and non-blocking, so a full FIFO drops lines instead
// of stalling the daemon. A specific FIFO named as the global one is
// ignored, as keepalived does. Problems are logged, never fatal.
func Open(global, specific conf.NotifyFIFO, typ string, start StartFunc, log *slog.Logger) *Set {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Set{stop: cancel}
	if global.Name != "" && specific.Name == global.Name {
		log.Info(fmt.Sprintf("notify FIFO %s has been specified for global and %s FIFO - ignoring %s FIFO",
			specific.Name, typ[:len(typ)-1], typ[:len(typ)-1]))
		specific = conf.NotifyFIFO{}
	}
	for _, c := range []struct {
		spec conf.NotifyFIFO
		typ  string
	}{{global, ""}, {specific, typ}} {
		if c.spec.Name == "" {
			continue
		}
		if f := openOne(ctx, c.spec, c.typ, typ[:len(typ)-1], start, log); f != nil {
			s.fifos = append(s.fifos, f)
		}
	}
	return s
}

// openOne opens one FIFO; sub ("vrrp", "lvs") names the subsystem in
// the line logged when the script ends.
func openOne(ctx context.Context, spec conf.NotifyFIFO, typ, sub string, start StartFunc, log *slog.Logger) *fifo {
	f := &fifo{name: spec.Name, fd: -1}
	err := unix.Mkfifo(spec.Name, 0o644)
	switch {
	case err == nil:
		f.created = true
		if spec.User != "" {
			if err := chown(spec.Name, spec.User, spec.Group); err != nil {
				log.Info(fmt.Sprintf("Failed to set uid:gid for fifo %s", spec.Name), "err", err)
			}
		}
	case errors.Is(err, unix.EEXIST):
	default:
		log.Info(fmt.Sprintf("Unable to create %snotify fifo %s", typ, spec.Name), "err", err)
		return nil
	}
	if sc := spec.Script; sc != nil && !sc.Disabled && len(sc.Argv) > 0 && start != nil {
		argv := append(append([]string(nil), sc.Argv...), spec.Name)
		exited := func() { log.Info(sub + " notify fifo script terminated") }
		if err := start(ctx, argv, sc.User, sc.Group, exited); err != nil {
			log.Debug("notify fifo script", "argv", argv, "err", err)
		}
	}
	fd, err := unix.Open(spec.Name, unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOFOLLOW, 0)
	if err != nil {
		log.Info(fmt.Sprintf("Unable to open %snotify fifo %s - errno %d", typ, spec.Name, err), "err", err)
		if f.created {
			os.Remove(spec.Name)
		}
		return nil
	}
	f.fd = fd
	return f
}

func chown(path, name, group string) error {
	uid, gid, err := script.Lookup(name, group)
	if err != nil {
		return err
	}
	return os.Chown(path, int(uid), int(gid))
}

// Write writes one line (its newline included) to every FIFO; a full or
// unread FIFO loses it, as keepalived's write ignores errors.
func (s *Set) Write(line string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.fifos {
		unix.Write(f.fd, []byte(line))
	}
}

// Active reports whether any FIFO is open.
func (s *Set) Active() bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.fifos) > 0
}

// Close unlinks the FIFOs it created (first, so a script reopening in a
// loop cannot find them), closes all and ends their scripts.
func (s *Set) Close() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop != nil {
		defer s.stop()
	}
	for _, f := range s.fifos {
		if f.created {
			os.Remove(f.name)
		}
		unix.Close(f.fd)
	}
	s.fifos = nil
}

// Instance is a VRRP instance line: INSTANCE "VI_1" MASTER 150.
func Instance(name, state string, prio uint8) string {
	return "INSTANCE \"" + name + "\" " + state + " " + strconv.Itoa(int(prio)) + "\n" // unescaped, as keepalived
}

// Group is a sync group line; keepalived gives groups priority 0.
func Group(name, state string) string { return "GROUP \"" + name + "\" " + state + " 0\n" }

// VS is a checker virtual server line: VS [10.0.0.1]:tcp:80 UP.
func VS(vs string, up bool) string { return "VS " + vs + " " + upDown(up) + "\n" }

// RS is a checker real server line: RS [192.168.1.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN.
func RS(rs, vs string, up bool) string { return "RS " + rs + " " + vs + " " + upDown(up) + "\n" }

func upDown(up bool) string {
	if up {
		return "UP"
	}
	return "DOWN"
}
