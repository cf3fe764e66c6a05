package checkerd

import (
	"fmt"
	"sort"

	"github.com/gokeepalived/gokeepalived/conf"
)

// Sysctl reads and writes net.ipv4.vs.NAME in the IPVS namespace.
type Sysctl interface {
	Read(name string) (int, error)
	Write(name string, v int) error
}

// sysctlState remembers, for each sysctl ipvs_sysctl set, the value the
// kernel had before: a reload that drops the setting, and a stop, put it
// back (not -I, which leaves IPVS as it is, and not a crash).
type sysctlState struct {
	io   Sysctl
	orig map[string]int
}

func (c *Checker) applySysctls(cfg *conf.Config) {
	st := &c.sysctl
	if st.io == nil {
		return
	}
	want := cfg.IPVSSysctl.Values()
	for _, name := range sortedKeys(want) {
		v := want[name]
		cur, err := st.io.Read(name)
		if err != nil {
			c.log.Error(fmt.Sprintf("ipvs_sysctl: reading net.ipv4.vs.%s: %v", name, err))
			continue
		}
		if _, seen := st.orig[name]; !seen {
			st.orig[name] = cur
		}
		if cur == v {
			continue
		}
		if err := st.io.Write(name, v); err != nil {
			c.log.Error(fmt.Sprintf("ipvs_sysctl: setting net.ipv4.vs.%s = %d: %v", name, v, err))
			continue
		}
		c.log.Info(fmt.Sprintf("ipvs_sysctl: net.ipv4.vs.%s = %d (was %d)", name, v, cur))
	}
	for _, name := range sortedKeys(st.orig) {
		if _, ok := want[name]; !ok {
			c.restoreSysctl(name)
		}
	}
}

func (c *Checker) restoreSysctls() {
	for _, name := range sortedKeys(c.sysctl.orig) {
		c.restoreSysctl(name)
	}
}

// restoreSysctl puts back the value found before ipvs_sysctl set it.
func (c *Checker) restoreSysctl(name string) {
	st := &c.sysctl
	v := st.orig[name]
	delete(st.orig, name)
	if cur, err := st.io.Read(name); err == nil && cur == v {
		return
	}
	if err := st.io.Write(name, v); err != nil {
		c.log.Error(fmt.Sprintf("ipvs_sysctl: restoring net.ipv4.vs.%s = %d: %v", name, v, err))
		return
	}
	c.log.Info(fmt.Sprintf("ipvs_sysctl: net.ipv4.vs.%s restored to %d", name, v))
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
