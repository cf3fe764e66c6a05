package bgp

import (
	"net/netip"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
)

// Speaker is the BGP I/O: GoBGP (NewGoBGP), or a fake in tests. Its
// calls come from one goroutine at a time.
type Speaker interface {
	Start(g Global) error
	AddNeighbor(n conf.BGPNeighbor, gracefulRestart time.Duration) error
	DeleteNeighbor(addr netip.Addr) error
	// Announce adds a prefix or replaces its attributes.
	Announce(a Announcement) error
	Withdraw(p netip.Prefix) error
	// Sessions reports every neighbour's session.
	Sessions() []Session
	// Stop ends every session: with a Cease (the routes are withdrawn),
	// or, graceful, by closing it without one (RFC 4724: the routers keep
	// the routes for the restart time).
	Stop(graceful bool)
}

// Session is a neighbour's state, for status and metrics.
type Session struct {
	Neighbor    netip.Addr
	RemoteAS    uint32
	State       string // idle, connect, active, opensent, openconfirm, established
	Established bool
	BFD         string // "" when off; up, down, init, admindown
	Accepted    int    // prefixes received (the router's to us; usually 0)
}
