package vrrp

import (
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp/packet"
	"github.com/gokeepalived/gokeepalived/vrrp/validate"
)

// Demux routes packets from one socket (family + interface) to instances
// by VRID, like keepalived's per-socket VRID tree.
type Demux struct {
	byVRID map[uint8]*Instance
	// LogUnknownVRIDs is log_unknown_vrids.
	LogUnknownVRIDs bool
	Iface           string
	log             *slog.Logger

	TooShort    atomic.Uint64
	UnknownVRID atomic.Uint64
}

// NewDemux returns an empty demux; log may be nil.
func NewDemux(iface string, log *slog.Logger) *Demux {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Demux{byVRID: map[uint8]*Instance{}, Iface: iface, log: log}
}

// Add registers an instance; a VRID may be used once per socket.
func (d *Demux) Add(i *Instance) error {
	v := i.cfg.VRID
	if o, ok := d.byVRID[v]; ok {
		return fmt.Errorf("VRID %d used by both %s and %s on %s", v, o.cfg.Name, i.cfg.Name, d.Iface)
	}
	d.byVRID[v] = i
	return nil
}

// Dispatch hands a decoded packet to its instance. A nil rx means the
// decoder failed (too short).
func (d *Demux) Dispatch(now time.Time, rx *packet.Received) (*Instance, []Action, validate.Reason) {
	if rx == nil || len(rx.VRRP) < packet.HeaderLen {
		d.TooShort.Add(1)
		return nil, nil, validate.TooShort
	}
	i, ok := d.byVRID[rx.Advert.VRID]
	if !ok {
		d.UnknownVRID.Add(1)
		if d.LogUnknownVRIDs {
			d.log.Info(fmt.Sprintf("Unknown VRID(%d) received on interface(%s). ignoring...", rx.Advert.VRID, d.Iface))
		}
		return nil, nil, validate.UnknownVRID
	}
	acts, res := i.Receive(now, rx)
	return i, acts, res.Reason
}

// dispatch is Dispatch with a panic (a bug of ours, met on some packet)
// contained: the packet is dropped and logged, the loop goes on.
func (r *Runtime) dispatch(s *rtSock, now time.Time, rx *packet.Received) (inst *Instance, acts []Action, reason validate.Reason) {
	defer func() {
		if v := recover(); v != nil {
			r.log.Error(fmt.Sprintf("internal error on an advert received on %s (%v) - dropped", s.spec.Iface, v))
			inst, acts, reason = nil, nil, validate.InstanceNotReady
		}
	}()
	return s.demux.Dispatch(now, rx)
}
