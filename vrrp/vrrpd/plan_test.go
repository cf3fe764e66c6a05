package vrrpd_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrpd"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest"
)

func vipList(vs []vrrp.VIP) string {
	var s []string
	for _, v := range vs {
		s = append(s, v.Prefix.String())
	}
	return strings.Join(s, ",")
}

// PlanReload reports keep (with state, renames, priority and VIP
// changes), remove, add and rebuild, and changes nothing: the plan
// applied afterwards by Reload is what it said.
func TestPlanReload(t *testing.T) {
	hub := vrrptest.NewHub()
	a := startNode(t, hub, "a", "10.0.0.1", vi("VI_1", 51, 200, "10.0.0.100/32")+vi("VI_2", 52, 200, "10.0.0.101/32")+
		vi("VI_4", 54, 200, "10.0.0.104/32"))
	waitFor(t, 2*time.Second, "a holds VI_1's VIP", func() bool { return a.addrs.Has(vip) })
	time.Sleep(100 * time.Millisecond)
	ops := len(a.addrs.Ops())
	before := a.rt.States()

	// VI_1 renamed, priority 200 -> 150, one VIP more; VI_2 removed;
	// VI_3 added; VI_4 moved to VRRP v2 (rebuilt).
	v4v2 := strings.Replace(vi("VI_4", 54, 200, "10.0.0.104/32"), "version 3\n    advert_int 0.1", "version 2\n    advert_int 1", 1)
	next := loadConf(t, vi("VI_one", 51, 150, "10.0.0.100/32", "10.0.0.110/32")+vi("VI_3", 53, 100, "10.0.0.103/32")+v4v2)
	plan, err := a.rt.PlanReload(next)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range plan {
		got = append(got, strings.Join([]string{string(p.Change), p.Name, p.OldName, p.State,
			itoa(p.OldPriority) + ">" + itoa(p.Priority), "+" + vipList(p.VIPsAdded), "-" + vipList(p.VIPsRemoved)}, " "))
	}
	want := []string{
		"remove VI_2  MASTER 200>0 + -",
		"rebuild VI_4  MASTER 200>0 + -",
		"keep VI_one VI_1 MASTER 200>150 +10.0.0.110/32 -",
		"add VI_3   0>100 + -",
		"rebuild VI_4   0>200 + -",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("plan:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Nothing changed.
	if o := a.addrs.Ops()[ops:]; len(o) != 0 {
		t.Errorf("address operations during planning: %q", o)
	}
	after := a.rt.States()
	if len(after) != len(before) {
		t.Fatalf("instances changed: %+v", after)
	}
	for i := range after {
		if after[i].Name != before[i].Name || after[i].Priority != before[i].Priority || after[i].State != before[i].State {
			t.Errorf("instance %d changed by planning: %+v -> %+v", i, before[i], after[i])
		}
	}
	if n := len(a.rt.Sockets()); n != 1 {
		t.Errorf("%d sockets after planning, want 1", n)
	}

	// A config Reload rejects is rejected by PlanReload too.
	bad := loadConf(t, vi("VI_1", 51, 150, "10.0.0.100/32"))
	bad.VRRPInstances[0].Interface = "eth9"
	if _, err := a.rt.PlanReload(bad); err == nil || !strings.Contains(err.Error(), "eth9") {
		t.Errorf("plan onto a missing interface: %v", err)
	}
	dup := loadConf(t, vi("VI_1", 51, 150, "10.0.0.100/32")+vi("VI_X", 59, 150, "10.0.0.120/32"))
	dup.VRRPInstances[1].VRID = 51 // conf rejects it; the runtime must too
	if _, err := a.rt.PlanReload(dup); err == nil {
		t.Error("plan with a VRID used twice succeeded")
	}

	// The reload does what the plan said.
	if err := a.rt.Reload(next); err != nil {
		t.Fatal(err)
	}
	names := map[string]vrrpd.Status{}
	for _, st := range a.rt.States() {
		names[st.Name] = st
	}
	if st, ok := names["VI_one"]; !ok || st.State != vrrp.StateMaster || st.Priority != 150 || st.BecameMaster != 1 {
		t.Errorf("VI_one after reload: %+v", st)
	}
	if _, ok := names["VI_2"]; ok || len(names) != 3 {
		t.Errorf("instances after reload: %v", names)
	}
	if got := a.addrs.Ops()[ops:]; len(got) < 2 || got[0] != "del 10.0.0.101/32" || !strings.Contains(strings.Join(got, ","), "add 10.0.0.110/32") {
		t.Errorf("address operations at reload %q", got)
	}
}

func itoa(n uint8) string { return strconv.Itoa(int(n)) }
