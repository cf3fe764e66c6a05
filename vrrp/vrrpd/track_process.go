package vrrpd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/vrrp"
)

// vrrp_track_process is implemented by polling /proc, not with the
// kernel's proc connector keepalived uses: the connector only exists in
// the initial network namespace (a daemon in a netns, as in our tests and
// in containers, cannot open it), and a scan of a few hundred processes
// costs well under a millisecond. A change is seen within one
// ProcessPoll interval (default 100 ms) plus fork_delay/terminate_delay.

// DefaultProcessPoll is how often /proc is scanned when some instance
// tracks a process.
const DefaultProcessPoll = 100 * time.Millisecond

// ProcFS lists processes from a proc file system (Root "" is /proc).
type ProcFS struct{ Root string }

func (p ProcFS) List(comms map[string]bool, cmdline bool) ([]vrrp.Proc, error) {
	root := p.Root
	if root == "" {
		root = "/proc"
	}
	d, err := os.Open(root)
	if err != nil {
		return nil, err
	}
	names, err := d.Readdirnames(-1) // no sorting, no stat
	d.Close()
	if err != nil {
		return nil, err
	}
	out := make([]vrrp.Proc, 0, len(names))
	buf := make([]byte, 4096)
	for _, name := range names {
		if name[0] < '1' || name[0] > '9' {
			continue
		}
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		// /proc/PID/comm is far cheaper than stat (no memory accounting).
		c := readSmall(root+"/"+name+"/comm", buf)
		if len(c) == 0 {
			continue // gone meanwhile
		}
		pr := vrrp.Proc{PID: pid, Comm: string(bytes.TrimSuffix(c, []byte("\n")))}
		if comms[pr.Comm] {
			st := readSmall(root+"/"+name+"/stat", buf)
			// "PID (comm) S ...": comm may hold spaces and parentheses.
			end := bytes.LastIndexByte(st, ')')
			if end < 0 || end+2 >= len(st) || st[end+2] == 'Z' {
				continue // gone meanwhile, or a zombie
			}
		}
		if cmdline {
			b := readSmall(root+"/"+name+"/cmdline", buf)
			pr.Cmdline = []string{} // kernel threads have none
			if len(b) > 0 {
				pr.Cmdline = strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
			}
		}
		out = append(out, pr)
	}
	return out, nil
}

// readSmall reads a proc file into buf with plain syscalls (os.ReadFile's
// stat and allocation cost more than the read); nil on any error.
func readSmall(path string, buf []byte) []byte {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer unix.Close(fd)
	n := 0
	for n < len(buf) {
		m, err := unix.Read(fd, buf[n:])
		if err != nil || m <= 0 {
			break
		}
		n += m
	}
	return buf[:n]
}

// procTracker is one vrrp_track_process that some instance tracks.
type procTracker struct {
	cfg *conf.TrackProcess
	up  bool // reported state: quorum ≤ count ≤ quorum_max
	n   int
	// since is when the count last left the reported state (zero while
	// it agrees): the change is reported after fork/terminate_delay.
	since time.Time
}

func processTracker(name string) string { return "process:" + name }

// procTrackersOf lists the vrrp_track_process blocks instances track.
func procTrackersOf(cfg *conf.Config) []*procTracker {
	used := map[string]bool{}
	for _, v := range cfg.VRRPInstances {
		for _, r := range v.TrackProcesses {
			used[r.Name] = true
		}
	}
	var out []*procTracker
	for _, p := range cfg.TrackProcesses {
		if used[p.Name] {
			out = append(out, &procTracker{cfg: p})
		}
	}
	return out
}

// matches is keepalived's test of one process against a tracker: comm,
// or argv[0] with full_command, then the parameters by param_match.
func (t *procTracker) matches(p *vrrp.Proc) bool {
	c := t.cfg
	if !c.FullCommand {
		return p.Comm == c.Process
	}
	if len(p.Cmdline) == 0 || p.Cmdline[0] != c.Process {
		return false
	}
	if c.ParamMatch == "" {
		return true
	}
	args := p.Cmdline[1:]
	want := c.Params
	switch c.ParamMatch {
	case "partial": // the configured parameters are the first ones
		return len(args) >= len(want) && slicesEqual(args[:len(want)], want)
	case "initial": // ... and the last of them may be a prefix
		if len(want) == 0 {
			return true
		}
		if len(args) < len(want) || !slicesEqual(args[:len(want)-1], want[:len(want)-1]) {
			return false
		}
		return strings.HasPrefix(args[len(want)-1], want[len(want)-1])
	}
	return slicesEqual(args, want)
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (t *procTracker) inQuorum(n int) bool {
	return n >= t.cfg.Quorum && (t.cfg.QuorumMax < 0 || n <= t.cfg.QuorumMax)
}

// count counts the matching processes in ps.
func (t *procTracker) count(ps []vrrp.Proc) int {
	n := 0
	for i := range ps {
		if t.matches(&ps[i]) {
			n++
		}
	}
	return n
}

// observe takes a new count at now and reports whether the state changed
// (after the delay for that direction).
func (t *procTracker) observe(n int, now time.Time) (changed bool) {
	t.n = n
	in := t.inQuorum(n)
	if in == t.up {
		t.since = time.Time{}
		return false
	}
	if t.since.IsZero() {
		t.since = now
	}
	delay := t.cfg.TerminateDelay
	if in {
		delay = t.cfg.ForkDelay
	}
	if now.Sub(t.since) < delay {
		return false
	}
	t.up, t.since = in, time.Time{}
	return true
}

func needCmdline(ts []*procTracker) bool {
	for _, t := range ts {
		if t.cfg.FullCommand {
			return true
		}
	}
	return false
}

// commNames are the comm values some tracker matches on.
func commNames(ts []*procTracker) map[string]bool {
	m := map[string]bool{}
	for _, t := range ts {
		if !t.cfg.FullCommand {
			m[t.cfg.Process] = true
		}
	}
	return m
}

// scanProcs sets every tracker's initial state from one scan (no delay
// applies at start-up, as keepalived's initial read_procs) and returns
// the states by name.
func (r *Runtime) scanProcs(ts []*procTracker) map[string]bool {
	up := map[string]bool{}
	if len(ts) == 0 {
		return up
	}
	ps, err := r.procs().List(commNames(ts), needCmdline(ts))
	if err != nil {
		r.log.Warn("track_process: cannot list processes", "err", err)
	}
	for _, t := range ts {
		t.n = t.count(ps)
		t.up = t.inQuorum(t.n)
		up[t.cfg.Name] = t.up
	}
	return up
}

func (r *Runtime) procs() vrrp.Processes {
	if r.deps.Processes != nil {
		return r.deps.Processes
	}
	return ProcFS{}
}

// procTrackerRefs are an instance's track_process entries with their
// current state (up: reported states by name), for its Config.
func procTrackerRefs(v *conf.VRRPInstance, up map[string]bool) []vrrp.Tracker {
	var out []vrrp.Tracker
	for _, ref := range v.TrackProcesses {
		isUp, ok := up[ref.Name]
		out = append(out, vrrp.Tracker{Name: processTracker(ref.Name), Weight: ref.Weight, Reverse: ref.Reverse, Up: isUp || !ok})
	}
	return out
}

type procResult struct {
	name string
	up   bool
	n    int
}

// watchProcs polls until ctx ends and hands state changes to the loop.
// The trackers' counters are owned by this goroutine; the loop only reads
// the reported state it is sent.
func (r *Runtime) watchProcs(ctx context.Context, ts []*procTracker, every time.Duration) {
	cmd, names := needCmdline(ts), commNames(ts)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		ps, err := r.procs().List(names, cmd)
		if err != nil {
			continue
		}
		now := time.Now()
		for _, t := range ts {
			if !t.observe(t.count(ps), now) {
				continue
			}
			select {
			case r.procResults <- procResult{name: t.cfg.Name, up: t.up, n: t.n}:
			case <-ctx.Done():
				return
			}
		}
	}
}

// procChanged is run by the loop for a watchProcs report.
func (r *Runtime) procChanged(res procResult) {
	if _, ok := r.procUp[res.name]; !ok {
		return // from a watcher a reload replaced
	}
	r.procUp[res.name] = res.up
	how := "lost"
	if res.up {
		how = "gained"
	}
	r.log.Info(fmt.Sprintf("Quorum %s for tracked process %s", how, res.name), "processes", res.n)
	r.tracker(r.deps.Clock.Now(), processTracker(res.name), res.up)
}

// startProcWatch starts polling for the current trackers.
func (r *Runtime) startProcWatch() {
	if len(r.procTrackers) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(r.rctx)
	r.procCancel = cancel
	every := r.deps.ProcessPoll
	if every <= 0 {
		every = DefaultProcessPoll
	}
	ts := r.procTrackers
	r.readers.Add(1)
	go func() {
		defer r.readers.Done()
		r.watchProcs(ctx, ts, every)
	}()
}

// reloadProcs replaces the trackers: a fresh scan gives their states,
// instances that track them learn any change, and a new watcher starts.
func (r *Runtime) reloadProcs(ts []*procTracker, up map[string]bool, live bool, now time.Time) {
	if r.procCancel != nil {
		r.procCancel()
		r.procCancel = nil
	}
	r.procTrackers, r.procUp = ts, up
	for name, up := range up {
		r.tracker(now, processTracker(name), up)
	}
	if live {
		r.startProcWatch()
	}
}
