package faults

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gokeepalived/gokeepalived/vrrp/packet"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// badAdvert is one kind of spoiled VRRPv2 advert for VRID 51 (or not),
// sent from 10.77.0.3 to the VRRP group. Each would win the election
// (priority 254) if it were accepted.
func badAdvert(kind string) []byte {
	vrid, version, pass, bad := byte(51), byte(2), "secret", false
	switch kind {
	case "password":
		pass = "wrong"
	case "checksum":
		bad = true
	case "version":
		version = 3
	case "unknown_vrid":
		vrid = 99
	}
	v := []byte{version<<4 | 1, vrid, 254, 1, 1, 1, 0, 0, 10, 77, 0, 100}
	p := make([]byte, 8)
	copy(p, pass)
	v = append(v, p...)
	if version == 3 {
		v = v[:12] // no auth data in v3
	}
	c := packet.InetChecksum(v)
	if bad {
		c ^= 0x5a5a
	}
	binary.BigEndian.PutUint16(v[6:], c)
	ip := []byte{0x45, 0xc0, 0, 0, 0, 0, 0, 0, 255, 112, 0, 0, 10, 77, 0, 3, 224, 0, 0, 18}
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(v)))
	return append(ip, v...)
}

var floodKinds = []string{"password", "checksum", "version", "unknown_vrid"}

// flood sends the kinds round-robin at rate packets/s for d; it returns
// how many of each it sent.
func flood(t *testing.T, ns *nstest.NS, rate int, d time.Duration) (sent map[string]int, achieved float64) {
	t.Helper()
	pkts := make([][]byte, len(floodKinds))
	for i, k := range floodKinds {
		pkts[i] = badAdvert(k)
	}
	counts := make([]int, len(floodKinds))
	var elapsed time.Duration
	err := ns.Do(func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_RAW)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		if err := unix.SetsockoptString(fd, unix.SOL_SOCKET, unix.SO_BINDTODEVICE, "eth0"); err != nil {
			return err
		}
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4<<20)
		to := &unix.SockaddrInet4{Addr: [4]byte{224, 0, 0, 18}}
		start := time.Now()
		n := 0
		for {
			el := time.Since(start)
			if el >= d {
				elapsed = el
				return nil
			}
			for due := int(el.Seconds() * float64(rate)); n < due; n++ {
				k := n % len(pkts)
				if unix.Sendto(fd, pkts[k], 0, to) == nil {
					counts[k]++
				}
			}
			time.Sleep(time.Millisecond)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	sent = map[string]int{}
	total := 0
	for i, k := range floodKinds {
		sent[k] = counts[i]
		total += counts[i]
	}
	return sent, float64(total) / elapsed.Seconds()
}

// captureAdverts records the kernel receive time of every VRRP advert
// that enters port0 of the bridge (frames from the node on port0 only:
// outgoing frames, the flood among them, are ignored by the socket).
func captureAdverts(t *testing.T, br *nstest.NS, port string, vrid byte) (stop func() []time.Time) {
	t.Helper()
	var fd int
	err := br.Do(func() (err error) {
		// ETH_P_ALL: a bridge port hands frames to the bridge before any
		// protocol-specific packet socket would see them.
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM, int(htons(unix.ETH_P_ALL)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	l, err := br.Handle(t).LinkByName(port)
	if err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	idx := l.Attrs().Index
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: idx}); err != nil {
		t.Fatal(err)
	}
	unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1)
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
	// Closing a socket does not wake a blocked recvmsg: poll a flag.
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 100000})
	var quit atomic.Bool
	var mu sync.Mutex
	var at []time.Time
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf, oob := make([]byte, 2048), make([]byte, 256)
		for {
			n, oobn, _, _, err := unix.Recvmsg(fd, buf, oob, 0)
			if quit.Load() {
				return
			}
			if err != nil {
				continue // the timeout, or a signal
			}
			if n < 22 || buf[9] != 112 || buf[20+1] != vrid || buf[0]>>4 != 4 {
				continue
			}
			ts := time.Now()
			if cms, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
				for _, c := range cms {
					if c.Header.Level == unix.SOL_SOCKET && c.Header.Type == unix.SO_TIMESTAMPNS && len(c.Data) >= 16 {
						sec := int64(binary.NativeEndian.Uint64(c.Data))
						nsec := int64(binary.NativeEndian.Uint64(c.Data[8:]))
						ts = time.Unix(sec, nsec)
					}
				}
			}
			mu.Lock()
			at = append(at, ts)
			mu.Unlock()
		}
	}()
	return func() []time.Time {
		quit.Store(true)
		<-done
		unix.Close(fd)
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(at)
	}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// TestBadAdvertFlood: a MASTER and a BACKUP (both gokeepalived) on a
// bridge, and a third host flooding the segment with adverts spoiled four
// ways, each of which would win the election if accepted. At 5,000/s:
// no takeover, the MASTER's adverts stay on time, its log stays quiet,
// every drop is counted. At 50,000/s the same figures are reported and
// no takeover is asserted.
func TestBadAdvertFlood(t *testing.T) {
	nstest.Require(t, "curl")
	for _, rate := range []int{5000, 50000} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) { testFlood(t, rate, false) })
	}
	// keepalived 2.2.7 as both nodes, for comparison: its figures are
	// recorded, not asserted.
	nstest.Require(t, "keepalived")
	for _, rate := range []int{5000, 50000} {
		t.Run(fmt.Sprint("keepalived-", rate), func(t *testing.T) { testFlood(t, rate, true) })
	}
}

func testFlood(t *testing.T, rate int, oracle bool) {
	nodes, br := nstest.BridgedN(t, 3)
	m, b, x := nodes[0], nodes[1], nodes[2]
	const maddr = "127.0.0.1:9661"
	launch := startDaemon
	if oracle {
		launch = startKeepalived
	}
	md := launch(t, m, "master", vrrpConf(150, "MASTER"), maddr, "-P")
	bd := launch(t, b, "backup", vrrpConf(100, "BACKUP"), "", "-P")
	md.waitFor("(VI_1) Entering MASTER STATE", 15*time.Second)
	bd.waitFor("(VI_1) Entering BACKUP STATE", 15*time.Second)
	time.Sleep(2 * time.Second) // past the first adverts and GARPs

	stop := captureAdverts(t, br, "port0", 51)
	var before, after map[string]float64
	if !oracle {
		before = scrape(t, m, maddr)
	}
	// The asserted run floods for 105 s: its p99 is then over 100 and
	// more intervals (the second largest), not the largest of 15, which
	// one scheduling delay of a busy 2-core host (3–5 ms, about one run
	// in 25) decided.
	d := 15 * time.Second
	if rate == 5000 && !oracle {
		d = 105 * time.Second
	}
	start := time.Now()
	sent, achieved := flood(t, x, rate, d)
	end := time.Now()
	time.Sleep(1500 * time.Millisecond) // one more advert after the flood
	ats := stop()
	if !oracle {
		after = scrape(t, m, maddr)
	}

	// Takeovers: the BACKUP never becomes MASTER, the MASTER never steps down.
	takeovers := bd.count("Entering MASTER STATE", start, time.Now()) + md.count("Entering BACKUP STATE", start, time.Now())

	// Advert timing: every interval between the MASTER's adverts from the
	// start of the flood to one after it, against advert_int.
	var dev []float64
	for i := 1; i < len(ats); i++ {
		if ats[i].Before(start) || ats[i-1].Before(start) {
			continue
		}
		dev = append(dev, math.Abs(float64(ats[i].Sub(ats[i-1])-time.Second))/float64(time.Millisecond))
	}
	slices.Sort(dev)
	p99, worstDev := math.NaN(), math.NaN()
	if len(dev) > 0 {
		p99 = dev[min(len(dev)-1, int(math.Ceil(0.99*float64(len(dev))))-1)]
		worstDev = dev[len(dev)-1]
	}

	// Log lines of the MASTER during the flood.
	lines := float64(md.count("", start, end)) / end.Sub(start).Seconds()

	// Counted drops against what was sent.
	series := map[string][]string{
		"password":     {"keepalived_authentication_failure_total{", `iname="VI_1"`},
		"checksum":     {"gokeepalived_vrrp_dropped_total{", `iname="VI_1"`, `reason="checksum"`},
		"version":      {"gokeepalived_vrrp_dropped_total{", `iname="VI_1"`, `reason="version"`},
		"unknown_vrid": {"gokeepalived_vrrp_socket_dropped_total{", `intf="eth0"`, `reason="unknown_vrid"`},
	}
	worst := 1.0
	for k, s := range series {
		if oracle {
			break
		}
		got := sum(after, s...) - sum(before, s...)
		if sent[k] > 0 {
			worst = min(worst, got/float64(sent[k]))
		}
		t.Logf("%s: sent %d, counted %.0f", k, sent[k], got)
	}

	name := fmt.Sprintf("1. bad-advert flood %d/s for %v (sent %.0f/s)", rate, d, achieved)
	measured := fmt.Sprintf("%d takeovers; advert interval p99 off by %.1f ms over %d (max %.1f); %.1f log lines/s; %.1f%% of drops counted",
		takeovers, p99, len(dev), worstDev, lines, 100*worst)
	if oracle {
		record(t, name+", keepalived 2.2.7 for comparison", fmt.Sprintf("%d takeovers; advert interval p99 off by %.1f ms over %d; %.1f log lines/s",
			takeovers, p99, len(dev), lines), "(not asserted)", true)
		return
	}
	if rate == 5000 {
		ok := takeovers == 0 && len(dev) >= 100 && p99 <= 5 && lines <= 10 && worst >= 0.99
		record(t, name, measured, "0 takeovers, p99 ≤ 5 ms, ≤ 10 lines/s, ≥ 99% counted", ok)
	} else {
		record(t, name, measured, "0 takeovers (rest reported)", takeovers == 0)
	}
}
