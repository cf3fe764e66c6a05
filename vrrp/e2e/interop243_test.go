package e2e

import (
	"testing"

	"github.com/gokeepalived/gokeepalived/internal/testenv"
	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// keepalived 2.4.3, the second oracle, against gokeepalived in both
// roles on the same four cases as 2.2.7 (v2 PASS, v3 IPv4, v3 IPv6, v3
// unicast): the master is SIGKILLed and the other takes over within
// 3×advert + skew + 50 ms.
func TestInterop243HardKill(t *testing.T) {
	nstest.Require(t)
	start243 := starter243(t)
	for _, tc := range interopCases() {
		for _, dir := range []struct {
			name           string
			master, backup starter
		}{{"keepalived243-master", start243, startGo}, {"gokeepalived-master", startGo, start243}} {
			t.Run(tc.name+"/"+dir.name, func(t *testing.T) {
				a, b := nstest.Pair(t)
				cfgA := instance(tc.vrid, 150, tc.extra+"\n"+tc.extraA, tc.vips)
				cfgB := instance(tc.vrid, 100, tc.extra+"\n"+tc.extraB, tc.vips)
				hardKill(t, a, b, tc.vip, cfgA, cfgB, tc.adv, dir.master, dir.backup)
			})
		}
	}
}

// starter243 starts nodes running the keepalived 2.4.3 oracle.
func starter243(t *testing.T) starter {
	bin := testenv.Keepalived243(t)
	return func(t *testing.T, ns *nstest.NS, name, cfgText string) *proc {
		t.Helper()
		return startNode(t, ns, name, bin, cfgText)
	}
}
