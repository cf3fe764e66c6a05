package check

import (
	"context"
	"strings"
	"testing"

	"github.com/gokeepalived/gokeepalived/check/probe"
)

type panicProbe struct{}

func (panicProbe) Check(context.Context, int) probe.Result { panic("bad reply") }

// TestSafeCheckContainsAPanic: a probe that panics gives no verdict with
// a line saying so, not the end of the daemon.
func TestSafeCheckContainsAPanic(t *testing.T) {
	r := safeCheck(context.Background(), panicProbe{}, 0, "[10.0.0.1]:tcp:80")
	if !r.NoVerdict || r.OK || !strings.Contains(r.Reason, "internal error checking [10.0.0.1]:tcp:80 (bad reply)") {
		t.Errorf("%+v", r)
	}
}
