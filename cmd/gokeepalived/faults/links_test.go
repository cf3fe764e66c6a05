package faults

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// TestLinkBurstThenTrackedDown: 2,000 links created and deleted in one
// burst (enough to overflow a netlink monitor's socket buffer), then the
// tracked link set down: the instance must still see it and go to FAULT.
func TestLinkBurstThenTrackedDown(t *testing.T) {
	nstest.Require(t)
	a, _ := nstest.Pair(t)
	if err := nstest.IP("-n", a.Name, "link", "add", "trk0", "type", "veth", "peer", "name", "trk0p"); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"trk0", "trk0p"} {
		if err := nstest.IP("-n", a.Name, "link", "set", l, "up"); err != nil {
			t.Fatal(err)
		}
	}
	conf := strings.Replace(vrrpConf(150, "MASTER"), " virtual_ipaddress {", " track_interface {\n  trk0\n }\n virtual_ipaddress {", 1)
	d := startDaemon(t, a, "node", conf, "", "-P")
	d.waitFor("(VI_1) Entering MASTER STATE", 15*time.Second)

	var add, del strings.Builder
	for i := 0; i < 1000; i++ { // 2,000 links: this kernel has no dummy links
		fmt.Fprintf(&add, "link add burst%d type veth peer name burst%dp\n", i, i)
		fmt.Fprintf(&del, "link del burst%d\n", i)
	}
	dir := t.TempDir()
	for name, s := range map[string]string{"add": add.String(), "del": del.String()} {
		os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644)
	}
	burst := time.Now()
	for _, name := range []string{"add", "del"} {
		if err := nstest.IP("-n", a.Name, "-batch", filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	h := a.Handle(t)
	l, err := h.LinkByName("trk0")
	if err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	if err := h.LinkSetDown(l); err != nil {
		t.Fatal(err)
	}
	d.waitFor("(VI_1) Entering FAULT STATE", 10*time.Second)
	took := d.first("(VI_1) Entering FAULT STATE").Sub(down)
	resync := d.count("resync", burst, time.Now().Add(time.Hour))
	record(t, "6. 2,000 links in a burst, then the tracked link down",
		fmt.Sprintf("FAULT %.0f ms after the link went down (%.1f s burst, %d resync lines)", float64(took)/1e6, down.Sub(burst).Seconds(), resync),
		"FAULT within 100 ms", took <= 100*time.Millisecond)
}
