package vrrp

import (
	"context"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp/packet"
)

// The I/O layer plugs in here. The state machine itself only takes `now`
// and events; these interfaces are for the loop that drives it.

// Clock provides time and timers (real: time package; tests: vrrptest.Clock).
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is the subset of *time.Timer the driver needs.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
	Reset(d time.Duration) bool
}

// PacketSource yields decoded packets from one socket (nil rx for a packet
// too short to decode, so Demux can count it).
type PacketSource interface {
	Recv(ctx context.Context) (*packet.Received, error)
}

// Effector carries out an instance's actions: adverts (PacketSink), VIPs
// (netlink), GARP/NA, notify scripts. Timer actions are the driver's.
type Effector interface {
	Do(inst *Instance, a Action) error
}
