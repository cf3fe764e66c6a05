package kerneltest

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gokeepalived/gokeepalived/ipvs"
	lister "github.com/gokeepalived/gokeepalived/ipvs/ipvsadm"
)

func inVM() bool { return os.Getenv("GOKEEPALIVED_VM") == "1" }

// ran counts tests that reached the kernel, so a VM run in which every
// test skipped (or none matched) fails instead of passing.
var ran atomic.Int32

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && inVM() && ran.Load() == 0 {
		fmt.Println("FAIL: GOKEEPALIVED_VM=1 but no real-kernel test ran")
		code = 1
	}
	os.Exit(code)
}

// open returns a client on a flushed table and flushes it again at the
// end. Outside the VM it skips: without IPVS there is nothing to test, and
// with it the test would flush the host's table.
func open(t *testing.T) *ipvs.Conn {
	t.Helper()
	if !inVM() && os.Getenv("GOKEEPALIVED_KERNELTEST") != "1" {
		t.Skip("real-kernel IPVS test: run `make vmtest` (qemu VM with IPVS); " +
			"GOKEEPALIVED_KERNELTEST=1 runs it here and flushes this host's IPVS table")
	}
	c, err := ipvs.Open(ipvs.Options{})
	if err != nil {
		if errors.Is(err, ipvs.ErrUnavailable) && !inVM() {
			t.Skip("no IPVS in this kernel: run `make vmtest`")
		}
		t.Fatalf("open IPVS: %v", err)
	}
	ran.Add(1)
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Flush(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		c.Close()
	})
	return c
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func tcp(s string) ipvs.ServiceKey { return ipvs.NewServiceKey(ipvs.TCP, ap(s)) }
func udp(s string) ipvs.ServiceKey { return ipvs.NewServiceKey(ipvs.UDP, ap(s)) }

func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// run runs a command inside the VM and returns its output lines.
func run(t *testing.T, name string, args ...string) []string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return splitLines(string(out))
}

// ipvsadm runs Debian's ipvsadm (the oracle).
func ipvsadm(t *testing.T, args ...string) []string {
	t.Helper()
	return run(t, "ipvsadm", args...)
}

// sameLines fails t unless got equals want exactly (trailing blanks too).
func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	var b strings.Builder
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		mark := "  "
		if g != w || i >= len(got) || i >= len(want) {
			mark = "! "
		}
		fmt.Fprintf(&b, "%s got  %q\n%s want %q\n", mark, g, mark, w)
	}
	t.Errorf("%s differs:\n%s", what, b.String())
}

// Headers of `ipvsadm -Ln` on the rig's kernel (default 4096-entry table).
var hdrLn = []string{
	"IP Virtual Server version 1.2.1 (size=4096)",
	"Prot LocalAddress:Port Scheduler Flags",
	"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
}

// ln is a whole expected `ipvsadm -Ln` listing.
func ln(rows ...string) []string { return append(slices.Clone(hdrLn), rows...) }

// dest is one destination row of `ipvsadm -Ln`, per ipvsadm 1.31's
// "  -> %-28s %-7s %-6d %-10d %-10d" (hence the trailing blanks).
func dest(addr, fwd string, weight, active, inact int) string {
	return fmt.Sprintf("  -> %-28s %-7s %-6d %-10d %-10d", addr, fwd, weight, active, inact)
}

// expectLn asserts `ipvsadm -Ln` and our printer over our dump both equal want.
func expectLn(t *testing.T, c ipvs.Client, want []string) {
	t.Helper()
	expectList(t, c, lister.Options{}, []string{"-Ln"}, want)
}

// expectList asserts the given ipvsadm listing and our printer's
// rendering of the same format both equal want.
func expectList(t *testing.T, c ipvs.Client, opt lister.Options, args []string, want []string) {
	t.Helper()
	sameLines(t, "ipvsadm "+strings.Join(args, " "), ipvsadm(t, args...), want)
	sameLines(t, "our printer for "+strings.Join(args, " "), ourList(t, c, opt), want)
}

func ourList(t *testing.T, c ipvs.Client, opt lister.Options) []string {
	t.Helper()
	info, svcs, err := lister.Snapshot(c)
	must(t, err)
	var b strings.Builder
	must(t, lister.List(&b, info, svcs, opt))
	return splitLines(b.String())
}

// dests dumps k's destinations keyed by address.
func dests(t *testing.T, c ipvs.Client, k ipvs.ServiceKey) map[ipvs.DestKey]ipvs.DestinationEntry {
	t.Helper()
	ds, err := c.Destinations(k)
	must(t, err)
	m := make(map[ipvs.DestKey]ipvs.DestinationEntry, len(ds))
	for _, d := range ds {
		m[d.Key()] = d
	}
	return m
}
