// Command checkbench measures the checker at scale: N real servers with
// TCP_CHECK or HTTP_GET (delay_loop 1 s) against loopback listeners spread over
// 127.0.0.0/8, reporting CPU, RSS and checks per second of the checker
// process. Listeners run in a child process so their cost is not
// counted. Loopback only.
//
//	go run ./check/internal/checkbench -n 40000 -for 30s
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gokeepalived/gokeepalived/check"
	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvsfake"
	"github.com/gokeepalived/gokeepalived/ipvs/reconcile"
)

const portsPerAddr = 200

// okDigest is the MD5 of "ok\n", the body the listeners serve.
const okDigest = "eff5bc1ef8ec9d03e640fc4370f5eacd"

var nDebug atomic.Int32

var httpOK = []byte("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n")

// addr returns the i-th real server: 127.1.x.y, ports from 20000.
func addr(i int) netip.AddrPort {
	a := i / portsPerAddr
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 1, byte(a / 250), byte(1 + a%250)}), uint16(20000+i%portsPerAddr))
}

func raiseNoFile(n uint64) {
	var r syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r)
	if r.Cur < n {
		r.Cur, r.Max = n, max(r.Max, n)
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
			fmt.Fprintln(os.Stderr, "setrlimit:", err)
		}
	}
}

// serve listens on real servers [from, to), accepting and closing, and
// counts accepts (the checks/s both checkers are measured by). Commands
// on stdin: "count" prints the accepts so far; "killnext K" closes
// listener K at its next accept and prints "killed K <unix ns>", so the
// check that would find it down is due one delay_loop after that.
func serve(from, to int) {
	// a slow checker leaves many connections open: room for them
	raiseNoFile(uint64(to-from) * 4)
	lns := make([]net.Listener, to)
	kill := make([]atomic.Bool, to)
	var accepts atomic.Int64
	var outMu sync.Mutex
	for i := from; i < to; i++ {
		// plain TCP as real servers are (Go listens with MPTCP by default)
		var lc net.ListenConfig
		lc.SetMultipathTCP(false)
		ln, err := lc.Listen(context.Background(), "tcp", addr(i).String())
		if err != nil {
			fmt.Fprintln(os.Stderr, "listen:", err)
			os.Exit(1)
		}
		lns[i] = ln
		go func() {
			for {
				c, err := ln.Accept()
				if errors.Is(err, net.ErrClosed) {
					return
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, "accept:", err)
					time.Sleep(10 * time.Millisecond)
					continue
				}
				accepts.Add(1)
				if kill[i].Load() {
					at := time.Now()
					ln.Close()
					outMu.Lock()
					fmt.Println("killed", i, at.UnixNano())
					outMu.Unlock()
				}
				// TCP_CHECK: let the checker close first, as it does;
				// HTTP: answer and close, as an HTTP/1.0 server does
				// (keepalived reads to EOF)
				go func() {
					buf := make([]byte, 512)
					if n, err := c.Read(buf); err == nil && n > 4 && string(buf[:4]) == "GET " {
						c.Write(httpOK)
					}
					c.Close()
				}()
			}
		}()
	}
	fmt.Println("ready")
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		var k int
		if sc.Text() == "count" {
			outMu.Lock()
			fmt.Println("count", accepts.Load())
			outMu.Unlock()
		} else if _, err := fmt.Sscanf(sc.Text(), "killnext %d", &k); err == nil && k >= from && k < to {
			kill[k].Store(true)
		}
	}
}

func rusage() (user, sys time.Duration) {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

func procStatus(key string) string {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, key+":") {
			return strings.TrimSpace(l[len(key)+1:])
		}
	}
	return "?"
}

// procCPU returns a process's user and system time from /proc/PID/stat.
func procCPU(pid int) (user, sys time.Duration) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	var u, s int64
	fmt.Sscan(f[11], &u) // utime, field 14
	fmt.Sscan(f[12], &s)
	return time.Duration(u) * time.Second / 100, time.Duration(s) * time.Second / 100 // USER_HZ
}

func pidStatus(pid int, key string) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, key+":") {
			return strings.TrimSpace(l[len(key)+1:])
		}
	}
	return "?"
}

// checker is the process under test: ours in-process, or keepalived.
type checker struct {
	cpu    func() (user, sys time.Duration)
	status func(key string) string
	checks func() uint64 // completed checks as the checker counts them, if it does
	late   func() []time.Duration
	stop   func()
}

func main() {
	n := flag.Int("n", 1000, "real servers")
	dur := flag.Duration("for", 20*time.Second, "measurement window after start-up")
	warm := flag.Duration("warm", 4*time.Second, "start-up time not measured")
	workers := flag.Int("workers", 0, "concurrent checks (0: engine default)")
	kills := flag.Int("kill", 20, "listeners to kill for detection latency")
	retry := flag.Int("retry", 0, "retry of every checker (0: the first failure is down)")
	server := flag.Bool("serve", false, "internal: run the listeners [from, n)")
	from := flag.Int("from", 0, "internal: first listener")
	httpCheck := flag.Bool("http", false, "HTTP_GET (url / with digest) instead of TCP_CHECK")
	rst := flag.Bool("rst", false, "close TCP_CHECK connections with RST")
	prof := flag.String("cpuprofile", "", "write a CPU profile of the window")
	kaBin := flag.String("keepalived", "", "measure this keepalived binary (--check) instead of ours")
	shim := flag.String("shim", "", "LD_PRELOAD for -keepalived (scripts/bench/fakeipvs.c: IPVS faked)")
	flag.Parse()
	if *server {
		serve(*from, *n)
		return
	}
	raiseNoFile(uint64(*workers) + 10000)
	const delayLoop = time.Second

	var mu sync.Mutex
	removed := map[string]time.Time{}
	killedAt := map[int]time.Time{}
	noteLog := func(s string) {
		if i := strings.Index(s, "Removing service "); i >= 0 {
			mu.Lock()
			removed[strings.Fields(s[i:])[2]] = time.Now()
			mu.Unlock()
		}
	}

	// listeners in children of at most perChild each (fd limits), not
	// counted in the checker's CPU
	const perChild = 5000
	type child struct {
		in     io.Writer
		counts chan int64
	}
	var kids []child
	for lo := 0; lo < *n; lo += perChild {
		hi := min(lo+perChild, *n)
		srv := exec.Command("/proc/self/exe", "-serve", "-from", fmt.Sprint(lo), "-n", fmt.Sprint(hi))
		in, _ := srv.StdinPipe()
		o, _ := srv.StdoutPipe()
		srv.Stderr = os.Stderr
		srv.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := srv.Start(); err != nil {
			panic(err)
		}
		defer func() { srv.Process.Kill(); srv.Wait() }()
		sc := bufio.NewScanner(o)
		if !sc.Scan() || sc.Text() != "ready" {
			fmt.Fprintln(os.Stderr, "listeners failed")
			os.Exit(1)
		}
		k := child{in, make(chan int64)}
		go func() {
			for sc.Scan() {
				var a, b int64
				if _, err := fmt.Sscanf(sc.Text(), "count %d", &a); err == nil {
					k.counts <- a
				} else if _, err := fmt.Sscanf(sc.Text(), "killed %d %d", &a, &b); err == nil {
					mu.Lock()
					killedAt[int(a)] = time.Unix(0, b)
					mu.Unlock()
				}
			}
		}()
		kids = append(kids, k)
	}
	accepts := func() int64 {
		var t int64
		for _, k := range kids {
			fmt.Fprintln(k.in, "count")
			t += <-k.counts
		}
		return t
	}
	// one virtual server per 1000 real servers
	var b strings.Builder
	for i := 0; i < *n; i++ {
		if i%1000 == 0 {
			if i > 0 {
				b.WriteString("}\n")
			}
			fmt.Fprintf(&b, "virtual_server 10.0.%d.%d 80 {\n delay_loop %d\n lvs_sched rr\n lvs_method NAT\n protocol TCP\n", i/1000/250, 1+i/1000%250, delayLoop/time.Second)
		}
		a := addr(i)
		if *httpCheck {
			fmt.Fprintf(&b, " real_server %s %d {\n  HTTP_GET {\n   url {\n    path /\n    digest %s\n   }\n   connect_timeout 1\n   retry %d\n  }\n }\n", a.Addr(), a.Port(), okDigest, *retry)
		} else {
			fmt.Fprintf(&b, " real_server %s %d {\n  TCP_CHECK {\n   connect_timeout 1\n   retry %d\n  }\n }\n", a.Addr(), a.Port(), *retry)
		}
	}
	b.WriteString("}\n")
	dir, _ := os.MkdirTemp("", "checkbench")
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(p, []byte(b.String()), 0o600)

	var ck checker
	name := "gokeepalived (in-process engine)"
	if *kaBin != "" {
		ck = startKeepalived(*kaBin, *shim, dir, p, noteLog)
		name = *kaBin + " --check"
	} else {
		ck = startOurs(p, *workers, *rst, noteLog)
	}
	defer ck.stop()

	// start-up is staggered over warmup (= delay_loop)
	time.Sleep(*warm)
	if *prof != "" {
		f, _ := os.Create(*prof)
		pprof.StartCPUProfile(f)
	}
	if ck.late != nil {
		ck.late()
	}
	u0, s0 := ck.cpu()
	a0, k0, w0 := accepts(), ck.checks(), time.Now()
	time.Sleep(*dur)
	if *prof != "" {
		pprof.StopCPUProfile()
	}
	u1, s1 := ck.cpu()
	a1, k1, w1 := accepts(), ck.checks(), time.Now()
	wall := w1.Sub(w0)
	rss, hwm := ck.status("VmRSS"), ck.status("VmHWM")
	var late []time.Duration
	if ck.late != nil {
		late = ck.late()
		sort.Slice(late, func(i, j int) bool { return late[i] < late[j] })
	}

	// detection latency: each listener is closed right after it accepted
	// a check, so the next check is due delay_loop later; latency is
	// "Removing service" minus that due time
	var want []int
	for k := 0; k < *kills && k < *n; k++ {
		i := k*(*n/max(*kills, 1)) + k%portsPerAddr
		want = append(want, i)
		fmt.Fprintln(kids[i/perChild].in, "killnext", i)
	}
	deadline := time.Now().Add(delayLoop*3 + 5*time.Second)
	var lat []time.Duration
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		lat = lat[:0]
		mu.Lock()
		for _, i := range want {
			a := addr(i)
			r, ok1 := removed[fmt.Sprintf("[%s]:tcp:%d", a.Addr(), a.Port())]
			k, ok2 := killedAt[i]
			if ok1 && ok2 {
				lat = append(lat, r.Sub(k.Add(delayLoop)))
			}
		}
		mu.Unlock()
		if len(lat) == len(want) {
			break
		}
	}
	runtime.KeepAlive(kids) // their stdin pipes keep the listeners alive
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })

	fmt.Printf("%s: %d real servers, %s, retry %d, delay_loop %v; load average %s\n", name, *n,
		map[bool]string{false: "TCP_CHECK", true: "HTTP_GET"}[*httpCheck], *retry, delayLoop, loadavg())
	cps := float64(a1-a0) / wall.Seconds()
	cpu := u1 - u0 + s1 - s0
	fmt.Printf("checks/s: %.0f (%.0f%% of schedule)  CPU: %.3f cores (user %.3f, sys %.3f)  per check: %v  RSS: %s  peak RSS: %s\n",
		cps, 100*cps/float64(*n)*delayLoop.Seconds(), float64(cpu)/float64(wall), float64(u1-u0)/float64(wall), float64(s1-s0)/float64(wall),
		(time.Duration(float64(cpu) / max(float64(a1-a0), 1))).Round(100*time.Nanosecond), rss, hwm)
	if k1 > k0 {
		fmt.Printf("checks completed (engine count): %.0f/s\n", float64(k1-k0)/wall.Seconds())
	}
	if len(late) > 0 {
		fmt.Printf("checks started after their due time (last %d of the window): p50 %v  p99 %v  max %v\n", len(late),
			late[len(late)/2], late[len(late)*99/100], late[len(late)-1])
	}
	if len(lat) > 0 {
		fmt.Printf("killed %d listeners, detected %d: removal after the listener's last accept + delay_loop p50 %v  p99/max %v\n", len(want), len(lat),
			lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)*99/100].Round(time.Millisecond))
	} else {
		fmt.Printf("killed %d listeners, detected 0\n", len(want))
	}
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func startOurs(p string, workers int, rst bool, noteLog func(string)) checker {
	cfg, _ := conf.Load(p, conf.Options{})
	kern := ipvsfake.New()
	var e *check.Engine
	var err error
	e, err = check.New(cfg, check.Options{
		Workers:        workers,
		TCPReset:       rst,
		RecordLateness: true,
		Debugf: func(f string, a ...any) {
			if nDebug.Add(1) <= 5 {
				fmt.Fprintf(os.Stderr, f+"\n", a...)
			}
		},
		Logf:     func(f string, a ...any) { noteLog(fmt.Sprintf(f, a...)) },
		OnChange: func() { reconcile.Sync(kern, e.Table(), reconcile.Options{}) },
	})
	if err != nil {
		panic(err)
	}
	reconcile.Sync(kern, e.Table(), reconcile.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	return checker{
		cpu:    rusage,
		status: procStatus,
		checks: e.Checks,
		late:   e.Lateness,
		stop:   func() { cancel(); <-done },
	}
}

// startKeepalived runs keepalived --check in the foreground, logging to
// the console (unbuffered stderr, so a line's arrival is its time).
func startKeepalived(bin, shim, dir, p string, noteLog func(string)) checker {
	pid := filepath.Join(dir, "checkers.pid")
	cmd := exec.Command(bin, "--check", "-n", "-l", "-G", "-f", p,
		"-p", filepath.Join(dir, "k.pid"), "-c", pid, "-r", filepath.Join(dir, "vrrp.pid"))
	cmd.Env = append(os.Environ(), "LD_PRELOAD="+shim)
	out, _ := cmd.StderrPipe()
	cmd.Stdout = os.Stdout
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		panic(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			s := sc.Text()
			noteLog(s)
			if strings.Contains(s, "IPVS") || strings.Contains(s, "rror") {
				fmt.Fprintln(os.Stderr, "keepalived:", s)
			}
		}
	}()
	var child int
	for range 200 {
		if b, err := os.ReadFile(pid); err == nil {
			if _, err := fmt.Sscan(string(b), &child); err == nil && child > 0 {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if child == 0 {
		fmt.Fprintln(os.Stderr, "keepalived's checker process did not start")
		cmd.Process.Kill()
		os.Exit(1)
	}
	return checker{
		cpu: func() (time.Duration, time.Duration) {
			// the checker child and the (idle) parent
			u, s := procCPU(child)
			pu, ps := procCPU(cmd.Process.Pid)
			return u + pu, s + ps
		},
		status: func(key string) string { return pidStatus(child, key) },
		checks: func() uint64 { return 0 },
		stop: func() {
			cmd.Process.Signal(syscall.SIGTERM)
			t := time.AfterFunc(20*time.Second, func() {
				syscall.Kill(child, syscall.SIGKILL)
				cmd.Process.Kill()
			})
			cmd.Wait()
			t.Stop()
		},
	}
}
