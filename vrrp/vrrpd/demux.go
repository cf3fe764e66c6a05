package vrrpd

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/lograte"
	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/packet"
	"github.com/gokeepalived/gokeepalived/vrrp/validate"
)

// dispatch is Dispatch with a panic (a bug of ours, met on some packet)
// contained: the packet is dropped and logged, the loop goes on.
func (r *Runtime) dispatch(s *rtSock, now time.Time, rx *packet.Received) (inst *vrrp.Instance, acts []vrrp.Action, reason validate.Reason) {
	defer func() {
		if v := recover(); v != nil {
			r.log.Error(fmt.Sprintf("internal error on an advert received on %s (%v) - dropped", s.spec.Iface, v))
			inst, acts, reason = nil, nil, validate.InstanceNotReady
		}
	}()
	return s.demux.Dispatch(now, rx)
}

// debugDrop is the debug line of a dropped advert, rate-limited per
// interface and reason as keepalived's lines are (validate.Checker).
func (r *Runtime) debugDrop(iface string, reason validate.Reason, now time.Time) {
	if !r.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	if r.dropLog == nil {
		r.dropLog = lograte.Default()
	}
	ok, held := r.dropLog.Allow(iface+"\x00"+reason.String(), now)
	if !ok {
		return
	}
	if held > 0 {
		r.log.Debug("advert dropped", "iface", iface, "reason", reason.String(), "suppressed_before", held)
		return
	}
	r.log.Debug("advert dropped", "iface", iface, "reason", reason.String())
}
