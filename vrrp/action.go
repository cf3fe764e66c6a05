package vrrp

import (
	"fmt"
	"net/netip"
	"time"
)

// State is a VRRP instance state, named as keepalived logs and notifies it.
type State uint8

const (
	StateInit State = iota
	StateBackup
	StateMaster
	StateFault
	StateStop
)

func (s State) String() string {
	switch s {
	case StateInit:
		return "INIT"
	case StateBackup:
		return "BACKUP"
	case StateMaster:
		return "MASTER"
	case StateFault:
		return "FAULT"
	case StateStop:
		return "STOP"
	}
	return fmt.Sprintf("STATE(%d)", uint8(s))
}

// Event is an input to Instance.Step.
type Event interface{ event() }

// EventTimer: the instance timer (last SetTimer) expired.
type EventTimer struct{}

// EventAdvert: an advert that passed validation (Instance.Receive does
// both steps).
type EventAdvert struct {
	Src      netip.Addr
	Priority uint8
	Interval time.Duration // advertised interval (adopted by v3 backups)
	AHSeq    uint32        // AH sequence number, if AH is in use
}

// EventTracker: a tracked script/interface/file changed.
type EventTracker struct {
	Name string
	Up   bool
}

// EventInterface: the instance's interface went up or down (not sent when
// dont_track_primary is set).
type EventInterface struct{ Up bool }

// EventGARPDue: a ScheduleGARP delay elapsed.
type EventGARPDue struct{ Repeat int }

// EventShutdown: the daemon is stopping.
type EventShutdown struct{}

func (EventTimer) event()     {}
func (EventAdvert) event()    {}
func (EventTracker) event()   {}
func (EventInterface) event() {}
func (EventGARPDue) event()   {}
func (EventShutdown) event()  {}

// Action is an output of Instance.Step for the I/O layer to perform, in
// the order returned.
type Action interface{ action() }

// SendAdvert: send one advert with this priority (to the group, or once
// per unicast peer).
type SendAdvert struct{ Priority uint8 }

// AddVIPs: add the virtual addresses (and eVIPs, routes, rules).
type AddVIPs struct{ Addrs []netip.Addr }

// RemoveVIPs: remove them.
type RemoveVIPs struct{ Addrs []netip.Addr }

// SendGARP: Repeat rounds of one gratuitous ARP / unsolicited NA per
// address, paced by vrrp_garp_interval / vrrp_gna_interval.
type SendGARP struct {
	Repeat int
	Addrs  []netip.Addr
}

// SendExtraGARP: one gratuitous ARP/NA on each extra interface
// (garp_extra_if, keepalived's vrrp_send_vmac_update).
type SendExtraGARP struct{}

// ScheduleGARP: after the delay, feed EventGARPDue{Repeat} back.
type ScheduleGARP struct {
	After  time.Duration
	Repeat int
}

// Notify: run notify scripts / FIFO / SMTP for entering State.
type Notify struct{ State State }

// NotifyMasterRxLowerPri: run notify_master_rx_lower_pri.
type NotifyMasterRxLowerPri struct{}

// PriorityChanged: effective priority changed (for notify_priority_changes).
type PriorityChanged struct{ From, To uint8 }

// SetTimer: (re)arm the instance timer; zero At disarms it.
type SetTimer struct{ At time.Time }

func (SendAdvert) action()             {}
func (AddVIPs) action()                {}
func (RemoveVIPs) action()             {}
func (SendGARP) action()               {}
func (ScheduleGARP) action()           {}
func (SendExtraGARP) action()          {}
func (Notify) action()                 {}
func (NotifyMasterRxLowerPri) action() {}
func (PriorityChanged) action()        {}
func (SetTimer) action()               {}
