package vrrp

import (
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/lograte"
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
	limit           *lograte.Limiter

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

// Replace swaps the VRID table for m (nil: none), as a reload does.
func (d *Demux) Replace(m map[uint8]*Instance) {
	if m == nil {
		m = map[uint8]*Instance{}
	}
	d.byVRID = m
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
			d.logUnknown(now, rx.Advert.VRID)
		}
		return nil, nil, validate.UnknownVRID
	}
	acts, res := i.Receive(now, rx)
	return i, acts, res.Reason
}

// logUnknown is keepalived's line for an unknown VRID, at most a few per
// VRID and then one every few seconds.
func (d *Demux) logUnknown(now time.Time, vrid uint8) {
	if d.limit == nil {
		d.limit = lograte.Default()
	}
	ok, held := d.limit.Allow(string(rune(vrid)), now)
	if !ok {
		return
	}
	if held > 0 {
		d.log.Info(fmt.Sprintf("%d more lines like the next were suppressed", held))
	}
	d.log.Info(fmt.Sprintf("Unknown VRID(%d) received on interface(%s). ignoring...", vrid, d.Iface))
}
