package e2e

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// TestInstancesBench (scripts/bench/instances.sh) runs 1,000 MASTER
// instances on 4 veth pairs × VRIDs 1–250, one VIP each (VRIDs stop at
// 255 per interface and family; this kernel has no vlan/macvlan)
// under gokeepalived and then keepalived 2.2.7, same layout, and measures
// on the peer, with kernel receive timestamps, each instance's
// inter-advert interval; on the node, CPU (utime+stime) and RSS.
// It only runs with GOKEEPALIVED_BENCH_INSTANCES set.
func TestInstancesBench(t *testing.T) {
	if os.Getenv("GOKEEPALIVED_BENCH_INSTANCES") == "" {
		t.Skip("set GOKEEPALIVED_BENCH_INSTANCES=1 (scripts/bench/instances.sh)")
	}
	nstest.Require(t, keepalived)
	window := 30 * time.Second
	if s := os.Getenv("GOKEEPALIVED_BENCH_WINDOW"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatal(err)
		}
		window = d
	}
	rounds := 1
	if s := os.Getenv("GOKEEPALIVED_BENCH_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatal(err)
		}
		rounds = n
	}
	cases := []instCase{
		{name: "v2 adv 1 s", adv: time.Second, extra: "    advert_int 1\n"},
		{name: "v3 adv 0.1 s", adv: 100 * time.Millisecond, extra: "    version 3\n    advert_int 0.1\n"},
	}
	if s := os.Getenv("GOKEEPALIVED_BENCH_CASES"); s != "" {
		cases = slices.DeleteFunc(cases, func(c instCase) bool { return !strings.Contains(s, strings.Fields(c.name)[0]) })
	}
	var rows []string
	for _, c := range cases {
		for r := range rounds {
			// Alternate who goes first so that a load change on the
			// shared machine does not always favour the same daemon.
			ds := []string{"gokeepalived", "keepalived"}
			if r%2 == 1 {
				slices.Reverse(ds)
			}
			for _, d := range ds {
				t.Run(fmt.Sprintf("%s/%s/%d", c.name, d, r), func(t *testing.T) {
					res := runInstances(t, c, d, window)
					rows = append(rows, res.row(c, d))
				})
			}
		}
	}
	t.Logf("BENCH | case | daemon | start-up to all MASTER | CPU (user+sys) | RSS | interval deviation p50 / p99 / max | mean interval | adverts seen (lost by capture) | load avg |")
	t.Logf("BENCH |---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		t.Logf("BENCH %s", r)
	}
}

type instCase struct {
	name  string
	adv   time.Duration
	extra string
}

const (
	benchIfaces = 4
	benchVRIDs  = 250
)

func instancesConfig(c instCase) string {
	var b strings.Builder
	b.WriteString("global_defs {\n    router_id bench\n}\n")
	for v := range benchIfaces {
		for id := 1; id <= benchVRIDs; id++ {
			fmt.Fprintf(&b, "vrrp_instance VI_%d_%d {\n    state MASTER\n    interface eth%d\n    virtual_router_id %d\n    priority 100\n%s    virtual_ipaddress {\n        10.78.%d.%d/24\n    }\n}\n",
				v, id, v, id, c.extra, v, id)
		}
	}
	return b.String()
}

type instResult struct {
	startup    time.Duration
	cpu        time.Duration // utime+stime over the window
	user, sys  time.Duration
	window     time.Duration
	rssKiB     int
	dev        []time.Duration // |interval − advert_int|
	meanIntvl  time.Duration
	seen, lost int
	load       string // 1-minute load average when the window began
}

func (r instResult) row(c instCase, daemon string) string {
	slices.Sort(r.dev)
	pct := func(p float64) time.Duration {
		if len(r.dev) == 0 {
			return -1
		}
		return r.dev[min(len(r.dev)-1, int(math.Ceil(p*float64(len(r.dev))))-1)]
	}
	unit := 10 * time.Microsecond
	return fmt.Sprintf("| %s | %s | %v | %.2f %% (%.2f + %.2f) | %.1f MiB | %v / %v / %v | %v | %d (%d) | %s |",
		c.name, daemon, r.startup.Round(10*time.Millisecond),
		100*r.cpu.Seconds()/r.window.Seconds(), 100*r.user.Seconds()/r.window.Seconds(), 100*r.sys.Seconds()/r.window.Seconds(),
		float64(r.rssKiB)/1024, pct(0.5).Round(unit), pct(0.99).Round(unit), pct(1).Round(unit),
		r.meanIntvl.Round(10*time.Microsecond), r.seen, r.lost, r.load)
}

func runInstances(t *testing.T, c instCase, daemon string, window time.Duration) instResult {
	node, peer := nstest.Pair(t)
	for v := range benchIfaces {
		dev := fmt.Sprintf("eth%d", v)
		var steps [][]string
		if v > 0 {
			steps = append(steps,
				[]string{"-n", node.Name, "link", "add", dev, "type", "veth", "peer", "name", dev, "netns", peer.Name},
				[]string{"-n", peer.Name, "link", "set", dev, "up"})
		}
		steps = append(steps,
			[]string{"-n", node.Name, "addr", "add", fmt.Sprintf("10.78.%d.254/24", v), "dev", dev},
			[]string{"-n", node.Name, "link", "set", dev, "up"})
		for _, s := range steps {
			if err := nstest.IP(s...); err != nil {
				t.Fatal(err)
			}
		}
	}
	cp := startAdvCapture(t, peer)
	dir := t.TempDir()
	cfg := writeFile(t, dir, "keepalived.conf", instancesConfig(c))
	p := &proc{t: t, name: daemon, log: filepath.Join(dir, "log"), vrrpPidFile: filepath.Join(dir, "vrrp.pid")}
	bin := keepalived
	if daemon == "gokeepalived" {
		bin = goBin
	}
	argv := nodeArgv(bin, dir, cfg)
	if os.Getenv("GOKEEPALIVED_BENCH_RT") != "" {
		// SCHED_FIFO 1 for both daemons (inherited by keepalived's child
		// and every Go thread): the machine's other load then delays
		// neither, so the figures are the daemons' own.
		argv = append([]string{"chrt", "-f", "1"}, argv...)
	}
	start := time.Now()
	p.start(node.Command(argv[0], argv[1:]...))

	// Start-up: until every instance has sent an advert (a BACKUP sends
	// none; "state MASTER" without priority 255 waits out the down timer).
	n := benchIfaces * benchVRIDs
	limit := 10*c.adv + 30*time.Second
	var allAt time.Time
	for {
		if at, ok := cp.allSeen(n); ok {
			allAt = at
			break
		}
		if time.Since(start) > limit {
			t.Fatalf("%s: only %d of %d instances advertised within %v", daemon, cp.count(), n, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
	res := instResult{startup: allAt.Sub(start), window: window}
	// Let the start-up GARP rounds (5 now, 5 after garp_master_delay 5 s)
	// pass before measuring the steady state.
	time.Sleep(7 * time.Second)

	pids := []int{p.cmd.Process.Pid}
	if v := p.vrrpPID(); v != pids[0] {
		pids = append(pids, v)
	}
	u0, s0 := cpuOf(t, pids)
	from := time.Now()
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		res.load = strings.Fields(string(b))[0]
	}
	cp.drops() // reading the statistics resets them
	time.Sleep(window)
	u1, s1 := cpuOf(t, pids)
	to := time.Now()
	res.user, res.sys = u1-u0, s1-s0
	res.cpu = res.user + res.sys
	res.window = to.Sub(from)
	for _, pid := range pids {
		res.rssKiB += rssOf(t, pid)
	}
	res.lost = int(cp.drops())
	var sum time.Duration
	for _, ts := range cp.between(from, to) {
		res.seen += len(ts)
		for i := 1; i < len(ts); i++ {
			d := ts[i].Sub(ts[i-1])
			sum += d
			res.dev = append(res.dev, (d - c.adv).Abs())
		}
	}
	logBursts(t, daemon, cp.between(from, to))
	if len(res.dev) > 0 {
		res.meanIntvl = sum / time.Duration(len(res.dev))
	}
	// Every instance stayed MASTER and kept advertising. keepalived is
	// the reference: if it falls behind, that is a figure, not a failure.
	if want := n * int(window/c.adv) * 9 / 10; res.seen < want {
		if daemon == "gokeepalived" {
			t.Errorf("%s: %d adverts in %v, want at least %d", daemon, res.seen, res.window, want)
		} else {
			t.Logf("%s: %d adverts in %v, fewer than %d", daemon, res.seen, res.window, want)
		}
	}
	p.term()
	p.wait()
	return res
}

const clkTck = 100 // USER_HZ on Linux

func cpuOf(t *testing.T, pids []int) (user, sys time.Duration) {
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			t.Fatal(err)
		}
		// Fields after the parenthesised comm: state is field 3, utime 14, stime 15.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		ut, _ := strconv.Atoi(f[11])
		st, _ := strconv.Atoi(f[12])
		user += time.Duration(ut) * time.Second / clkTck
		sys += time.Duration(st) * time.Second / clkTck
	}
	return user, sys
}

func rssOf(t *testing.T, pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return kb
		}
	}
	t.Fatalf("no VmRSS for %d", pid)
	return 0
}

// advCapture records, per instance (IPv4 source, VRID), the kernel
// receive time of each VRRP advert on any of the peer's interfaces (AF_PACKET with
// SO_TIMESTAMPNS: the capture's own scheduling delay does not count).
type advCapture struct {
	fd    int
	mu    sync.Mutex
	first map[advKey]time.Time
	times map[advKey][]time.Time
}

type advKey struct {
	src  [4]byte
	vrid uint8
}

func startAdvCapture(t *testing.T, ns *nstest.NS) *advCapture {
	t.Helper()
	cp := &advCapture{fd: -1, first: map[advKey]time.Time{}, times: map[advKey][]time.Time{}}
	err := ns.Do(func() error {
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
		if err != nil {
			return err
		}
		cp.fd = fd
		for _, o := range [][2]int{{unix.SO_TIMESTAMPNS, 1}, {unix.SO_RCVBUFFORCE, 64 << 20}} {
			if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, o[0], o[1]); err != nil {
				return err
			}
		}
		// A timeout so the reader notices the end of the test.
		tv := unix.Timeval{Usec: 200_000}
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			return err
		}
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL)}) // every interface
	})
	if err != nil {
		if cp.fd >= 0 {
			unix.Close(cp.fd)
		}
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		oob := make([]byte, 128)
		for {
			select {
			case <-stop:
				return
			default:
			}
			n, oobn, _, _, err := unix.Recvmsg(cp.fd, buf, oob, 0)
			if err != nil {
				if err == unix.EAGAIN || err == unix.EINTR {
					continue
				}
				return
			}
			at, ok := rxTime(oob[:oobn])
			if !ok {
				continue
			}
			if k, ok := parseAdvert(buf[:n]); ok {
				cp.mu.Lock()
				if _, seen := cp.first[k]; !seen {
					cp.first[k] = at
				}
				cp.times[k] = append(cp.times[k], at)
				cp.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done; unix.Close(cp.fd) })
	return cp
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func rxTime(oob []byte) (time.Time, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return time.Time{}, false
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= 16 {
			sec := int64(binary.NativeEndian.Uint64(m.Data[0:8]))
			nsec := int64(binary.NativeEndian.Uint64(m.Data[8:16]))
			return time.Unix(sec, nsec), true
		}
	}
	return time.Time{}, false
}

// parseAdvert picks an IPv4 VRRP advert out of an Ethernet frame, VLAN
// tag in the frame or (veth offload) already stripped.
func parseAdvert(f []byte) (advKey, bool) {
	if len(f) < 14 {
		return advKey{}, false
	}
	et, p := binary.BigEndian.Uint16(f[12:14]), f[14:]
	if et == 0x8100 && len(p) >= 4 {
		et, p = binary.BigEndian.Uint16(p[2:4]), p[4:]
	}
	if et != 0x0800 || len(p) < 20 || p[9] != 112 {
		return advKey{}, false
	}
	ihl := int(p[0]&0x0f) * 4
	if len(p) < ihl+8 || p[ihl]&0x0f != 1 { // type 1: advertisement
		return advKey{}, false
	}
	var k advKey
	copy(k.src[:], p[12:16])
	k.vrid = p[ihl+1]
	return k, true
}

// allSeen reports when the n-th instance sent its first advert.
func (cp *advCapture) allSeen(n int) (time.Time, bool) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if len(cp.first) < n {
		return time.Time{}, false
	}
	var last time.Time
	for _, at := range cp.first {
		if at.After(last) {
			last = at
		}
	}
	return last, true
}

func (cp *advCapture) count() int {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return len(cp.first)
}

// between returns each instance's receive times within [from, to).
func (cp *advCapture) between(from, to time.Time) [][]time.Time {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	var out [][]time.Time
	for _, ts := range cp.times {
		var in []time.Time
		for _, at := range ts {
			if !at.Before(from) && at.Before(to) {
				in = append(in, at)
			}
		}
		out = append(out, in)
	}
	return out
}

// drops is the count of frames the capture socket lost since the last call
// (the kernel resets it on reading).
func (cp *advCapture) drops() uint32 {
	st, err := unix.GetsockoptTpacketStats(cp.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return math.MaxUint32
	}
	return st.Drops
}

// logBursts says how the adverts cluster: runs of sends closer than 2 ms.
func logBursts(t *testing.T, daemon string, per [][]time.Time) {
	var all []time.Time
	for _, ts := range per {
		all = append(all, ts...)
	}
	slices.SortFunc(all, func(a, b time.Time) int { return a.Compare(b) })
	if len(all) == 0 {
		return
	}
	bursts, start, longest := 1, all[0], time.Duration(0)
	for i := 1; i < len(all); i++ {
		if all[i].Sub(all[i-1]) > 2*time.Millisecond {
			longest = max(longest, all[i-1].Sub(start))
			bursts++
			start = all[i]
		}
	}
	longest = max(longest, all[len(all)-1].Sub(start))
	t.Logf("%s: %d adverts in %d bursts (gaps > 2 ms), longest %v", daemon, len(all), bursts, longest)
}
