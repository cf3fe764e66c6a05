package daemon

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gokeepalived/gokeepalived/conf"
)

func TestFDLimitFor(t *testing.T) {
	cases := []struct {
		cur  unix.Rlimit
		need uint64
		want unix.Rlimit
		ch   bool
	}{
		{unix.Rlimit{Cur: 4096, Max: 4096}, 100, unix.Rlimit{Cur: 4096, Max: 4096}, false},
		{unix.Rlimit{Cur: 4096, Max: 4096}, 4137, unix.Rlimit{Cur: 4137, Max: 4137}, true},
		{unix.Rlimit{Cur: 1024, Max: 524288}, 4137, unix.Rlimit{Cur: 4137, Max: 524288}, true},
	}
	for _, c := range cases {
		got, ch := fdLimitFor(c.cur, c.need)
		if got != c.want || ch != c.ch {
			t.Errorf("fdLimitFor(%v, %d) = %v %v, want %v %v", c.cur, c.need, got, ch, c.want, c.ch)
		}
	}
}

// 4,000 checkers need more than the 4,096 descriptors a process gets by
// default where the hard limit is the kernel's default.
func TestFDsNeededCountsCheckers(t *testing.T) {
	var b strings.Builder
	b.WriteString("virtual_server 10.0.0.1 80 {\n")
	for i := 0; i < 4000; i++ {
		b.WriteString("  real_server 10.0.1.1 " + strconv.Itoa(1000+i) + " {\n    TCP_CHECK {\n    }\n  }\n")
	}
	b.WriteString("}\nvrrp_instance V {\n  interface eth0\n  virtual_router_id 1\n  priority 100\n  virtual_ipaddress {\n    10.0.0.1\n  }\n}\n")
	p := filepath.Join(t.TempDir(), "k.conf")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _ := conf.Load(p, conf.Options{ConfigID: "t", InterfaceExists: func(string) bool { return true }})
	if got, want := fdsNeeded(cfg), uint64(17+4000+10+2+23+20); got != want {
		t.Errorf("fdsNeeded = %d, want %d", got, want)
	}
}
