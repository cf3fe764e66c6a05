package faults

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// openFDs is how many descriptors pid has open, and its soft limit.
func openFDs(pid int) (n, limit int) {
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Max open files") {
			if f := strings.Fields(l); len(f) >= 5 {
				limit, _ = strconv.Atoi(f[3])
			}
		}
	}
	return len(ents), limit
}

// TestIdleConnectionsAndScrapeStorm: 10,000 connections that never send
// a byte, half to /metrics and half to the control socket, then 16
// clients scraping /metrics and asking for status as fast as they can
// for 10 s. The MASTER stays MASTER and keeps advertising, its descriptors
// stay under its limit, and a scrape works again once the idle ones are
// timed out. How late the adverts are is reported, not asserted: it is
// a figure of the machine's load (the storm's 16 clients share its two
// cores), and timing targets belong in benchmarks.
func TestIdleConnectionsAndScrapeStorm(t *testing.T) {
	nstest.Require(t, "curl")
	a, b := nstest.Pair(t)
	const maddr = "127.0.0.1:9662"
	d := startDaemon(t, a, "master", vrrpConf(150, "MASTER"), maddr, "-P")
	d.waitFor("(VI_1) Entering MASTER STATE", 15*time.Second)
	pid := d.cmd.Process.Pid
	sock := filepath.Join(d.dir, "gk.sock")
	stop := captureAdverts(t, b, "eth0", 51)
	time.Sleep(1500 * time.Millisecond)

	var rl syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
	if rl.Cur < 12000 {
		rl.Cur = min(rl.Max, 20000)
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
	start := time.Now()
	var idle []net.Conn
	var refused atomic.Int64
	err := a.Do(func() error {
		for i := 0; i < 5000; i++ {
			c, err := net.DialTimeout("tcp", maddr, time.Second)
			if err != nil {
				refused.Add(1)
				continue
			}
			idle = append(idle, c)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5000; i++ {
		c, err := net.DialTimeout("unix", sock, time.Second)
		if err != nil {
			refused.Add(1)
			continue
		}
		idle = append(idle, c)
	}
	t.Cleanup(func() {
		for _, c := range idle {
			c.Close()
		}
	})
	maxFDs, limit := openFDs(pid)

	// The storm.
	cpu0 := cpuSeconds(pid)
	var ok, failed atomic.Int64
	var wg sync.WaitGroup
	stormEnd := time.Now().Add(10 * time.Second)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for time.Now().Before(stormEnd) {
				var err error
				if i%2 == 0 {
					err = scrapeOnce(a, maddr)
				} else {
					var c net.Conn
					if c, err = net.DialTimeout("unix", sock, time.Second); err == nil {
						c.SetDeadline(time.Now().Add(2 * time.Second))
						_, err = c.Write([]byte("status\n"))
						if err == nil {
							buf := make([]byte, 4096)
							_, err = c.Read(buf)
						}
						c.Close()
					}
				}
				if err == nil {
					ok.Add(1)
				} else {
					failed.Add(1)
				}
				if n, _ := openFDs(pid); n > maxFDs {
					maxFDs = n
				}
			}
		}(i)
	}
	wg.Wait()
	cpu := cpuSeconds(pid) - cpu0
	// Once the idle connections have been timed out, a scrape and a
	// status request work.
	var recovered time.Duration
	for t0 := time.Now(); time.Since(t0) < 15*time.Second; time.Sleep(200 * time.Millisecond) {
		if a.Command("curl", "-sf", "--max-time", "2", "-o", "/dev/null", "http://"+maddr+"/metrics").Run() == nil &&
			statusOK(sock) {
			recovered = time.Since(stormEnd)
			break
		}
	}
	ats := stop()
	var dev []float64
	for i := 1; i < len(ats); i++ {
		if ats[i-1].After(start) {
			dev = append(dev, math.Abs(float64(ats[i].Sub(ats[i-1])-time.Second))/1e6)
		}
	}
	slices.Sort(dev)
	worst := math.NaN()
	if len(dev) > 0 {
		worst = dev[len(dev)-1]
	}
	takeover := d.count("Entering BACKUP STATE", start, time.Now()) + d.count("Entering FAULT STATE", start, time.Now())
	record(t, "9. 10,000 idle connections, then a scrape storm",
		fmt.Sprintf("%d idle held open (%d refused); storm %d ok / %d failed, %.1f s of daemon CPU; daemon fds max %d of %d; adverts off by ≤ %.1f ms over %d; /metrics and status again %.1f s after the storm",
			len(idle), refused.Load(), ok.Load(), failed.Load(), cpu, maxFDs, limit, worst, len(dev), recovered.Seconds()),
		"no state change, adverts kept going, fds under the limit, /metrics and status served again (advert lateness reported)",
		takeover == 0 && len(dev) >= 10 && maxFDs < limit && recovered > 0)
}

func statusOK(sock string) bool {
	c, err := net.DialTimeout("unix", sock, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("status\n")); err != nil {
		return false
	}
	buf := make([]byte, 64)
	n, _ := c.Read(buf)
	return strings.Contains(string(buf[:n]), `"ok": true`)
}

// cpuSeconds is the user+system CPU time pid has used.
func cpuSeconds(pid int) float64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return (u + s) / 100 // USER_HZ
}

// scrapeOnce fetches /metrics once over a new connection made inside ns
// (no curl: the storm's clients should not be what loads the machine).
func scrapeOnce(ns *nstest.NS, addr string) error {
	var c net.Conn
	if err := ns.Do(func() (err error) {
		c, err = net.DialTimeout("tcp", addr, time.Second)
		return err
	}); err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n")); err != nil {
		return err
	}
	b, err := io.ReadAll(c)
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(b, []byte("HTTP/1.0 200")) && !bytes.HasPrefix(b, []byte("HTTP/1.1 200")) {
		return fmt.Errorf("%.40q", b)
	}
	return nil
}
