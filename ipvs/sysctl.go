package ipvs

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/vishvananda/netns"
)

// sysctlDir holds IPVS's per-namespace sysctls; it exists only while the
// ip_vs module is loaded.
const sysctlDir = "/proc/sys/net/ipv4/vs/"

// ReadSysctl returns net.ipv4.vs.NAME in the namespace opt.NetNS names
// (this process's when empty).
func ReadSysctl(opt Options, name string) (int, error) {
	var v int
	err := inNS(opt.NetNS, func() error {
		b, err := os.ReadFile(sysctlDir + name)
		if err != nil {
			return err
		}
		v, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err
	})
	return v, err
}

// WriteSysctl sets net.ipv4.vs.NAME in opt.NetNS's namespace.
func WriteSysctl(opt Options, name string, v int) error {
	return inNS(opt.NetNS, func() error {
		return os.WriteFile(sysctlDir+name, []byte(strconv.Itoa(v)+"\n"), 0o644)
	})
}

// inNS runs fn on a thread in namespace ns: /proc/sys/net shows the
// namespace of the thread that opens the file.
func inNS(ns string, fn func() error) error {
	if ns == "" {
		return fn()
	}
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer orig.Close()
	var h netns.NsHandle
	if strings.ContainsRune(ns, '/') {
		h, err = netns.GetFromPath(ns)
	} else {
		h, err = netns.GetFromName(ns)
	}
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("ipvs: network namespace %q: %w", ns, err)
	}
	defer h.Close()
	if err := netns.Set(h); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("ipvs: entering network namespace %q: %w", ns, err)
	}
	ferr := fn()
	if netns.Set(orig) != nil {
		// the thread stays locked: Go ends it with this goroutine
		return ferr
	}
	runtime.UnlockOSThread()
	return ferr
}
