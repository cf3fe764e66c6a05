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

// serve listens on real servers [from, to), accepting and closing; a
// line "kill K" on stdin closes listener K (detection-latency probe).
func serve(from, to int) {
	raiseNoFile(uint64(to-from) + 1000)
	lns := make([]net.Listener, to)
	for i := from; i < to; i++ {
		ln, err := net.Listen("tcp", addr(i).String())
		if err != nil {
			fmt.Fprintln(os.Stderr, "listen:", err)
			os.Exit(1)
		}
		lns[i] = ln
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				// let the checker close first: a server-side TIME_WAIT
				// on a reused 4-tuple makes the next SYN time out
				go func() {
					buf := make([]byte, 512)
					if n, err := c.Read(buf); err == nil && n > 4 && string(buf[:4]) == "GET " {
						c.Write(httpOK)
						c.Read(buf)
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
		if _, err := fmt.Sscanf(sc.Text(), "kill %d", &k); err == nil && k >= from && k < to {
			lns[k].Close()
			fmt.Println("killed", k)
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

func main() {
	n := flag.Int("n", 1000, "real servers")
	dur := flag.Duration("for", 20*time.Second, "measurement window after start-up")
	workers := flag.Int("workers", 0, "concurrent checks (0: engine default)")
	kills := flag.Int("kill", 20, "listeners to kill for detection latency")
	server := flag.Bool("serve", false, "internal: run the listeners [from, n)")
	from := flag.Int("from", 0, "internal: first listener")
	httpCheck := flag.Bool("http", false, "HTTP_GET (url / with digest) instead of TCP_CHECK")
	rst := flag.Bool("rst", false, "close TCP_CHECK connections with RST")
	prof := flag.String("cpuprofile", "", "write a CPU profile of the window")
	flag.Parse()
	if *server {
		serve(*from, *n)
		return
	}
	raiseNoFile(uint64(*workers) + 10000)

	// listeners in children of at most perChild each (fd limits), not
	// counted in our CPU
	const perChild = 15000
	type child struct {
		in   io.Writer
		out  *bufio.Scanner
		from int
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
		defer srv.Process.Kill()
		sc := bufio.NewScanner(o)
		if !sc.Scan() || sc.Text() != "ready" {
			fmt.Fprintln(os.Stderr, "listeners failed")
			os.Exit(1)
		}
		kids = append(kids, child{in, sc, lo})
	}
	// one virtual server per 1000 real servers
	var b strings.Builder
	for i := 0; i < *n; i++ {
		if i%1000 == 0 {
			if i > 0 {
				b.WriteString("}\n")
			}
			fmt.Fprintf(&b, "virtual_server 10.0.%d.%d 80 {\n delay_loop 1\n lvs_sched rr\n lvs_method NAT\n protocol TCP\n", i/1000/250, 1+i/1000%250)
		}
		a := addr(i)
		if *httpCheck {
			fmt.Fprintf(&b, " real_server %s %d {\n  HTTP_GET {\n   url {\n    path /\n    digest %s\n   }\n   connect_timeout 1\n  }\n }\n", a.Addr(), a.Port(), okDigest)
		} else {
			fmt.Fprintf(&b, " real_server %s %d {\n  TCP_CHECK {\n   connect_timeout 1\n  }\n }\n", a.Addr(), a.Port())
		}
	}
	b.WriteString("}\n")
	dir, _ := os.MkdirTemp("", "checkbench")
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(p, []byte(b.String()), 0o600)
	t0 := time.Now()
	cfg, _ := conf.Load(p, conf.Options{})
	tLoad := time.Since(t0)

	kern := ipvsfake.New()
	var mu sync.Mutex
	removed := map[string]time.Time{}
	var e *check.Engine
	var err error
	e, err = check.New(cfg, check.Options{
		Workers:  *workers,
		TCPReset: *rst,
		Debugf: func(f string, a ...any) {
			if nDebug.Add(1) <= 5 {
				fmt.Fprintf(os.Stderr, f+"\n", a...)
			}
		},
		Logf: func(f string, a ...any) {
			s := fmt.Sprintf(f, a...)
			if strings.HasPrefix(s, "Removing service ") {
				mu.Lock()
				removed[strings.Fields(s)[2]] = time.Now()
				mu.Unlock()
			}
		},
		OnChange: func() { reconcile.Sync(kern, e.Table(), reconcile.Options{}) },
	})
	if err != nil {
		panic(err)
	}
	reconcile.Sync(kern, e.Table(), reconcile.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()

	// start-up is staggered over warmup (= delay_loop): skip 3 s
	time.Sleep(3 * time.Second)
	if *prof != "" {
		f, _ := os.Create(*prof)
		pprof.StartCPUProfile(f)
	}
	u0, s0 := rusage()
	k0, w0 := e.Checks(), time.Now()
	time.Sleep(*dur)
	if *prof != "" {
		pprof.StopCPUProfile()
	}
	u1, s1 := rusage()
	k1, w1 := e.Checks(), time.Now()
	wall := w1.Sub(w0)

	// detection latency: kill listeners, time until "Removing service"
	killed := map[string]time.Time{}
	for k := 0; k < *kills && k < *n; k++ {
		i := k * (*n / max(*kills, 1))
		kid := kids[i/perChild]
		fmt.Fprintf(kid.in, "kill %d\n", i)
		kid.out.Scan()
		a := addr(i)
		killed[fmt.Sprintf("[%s]:tcp:%d", a.Addr(), a.Port())] = time.Now()
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(4 * time.Second)
	runtime.KeepAlive(kids) // their stdin pipes keep the listeners alive
	cancel()
	<-done
	var lat []time.Duration
	mu.Lock()
	for name, at := range killed {
		if r, ok := removed[name]; ok {
			lat = append(lat, r.Sub(at))
		}
	}
	mu.Unlock()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	mu.Lock()
	nrem := len(removed)
	mu.Unlock()
	fmt.Printf("real servers: %d  config load: %v  removed (incl. killed): %d\n", *n, tLoad.Round(time.Millisecond), nrem)
	cps := float64(k1-k0) / wall.Seconds()
	fmt.Printf("checks/s: %.0f  CPU: %.3f cores (user %.3f, sys %.3f)  per check: %v  RSS: %s  peak RSS: %s\n",
		cps, float64(u1-u0+s1-s0)/float64(wall), float64(u1-u0)/float64(wall), float64(s1-s0)/float64(wall),
		time.Duration(float64(u1-u0+s1-s0)/float64(k1-k0)), procStatus("VmRSS"), procStatus("VmHWM"))
	if len(lat) > 0 {
		// a kill lands anywhere in the 1 s delay_loop, so this is
		// time-to-next-check + detection
		fmt.Printf("killed %d listeners, detected %d: p50 %v  p99/max %v\n", len(killed), len(lat),
			lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
	}
}
