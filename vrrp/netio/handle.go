package netio

import (
	"os"
	"sync"

	"github.com/vishvananda/netlink"
	nlraw "github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// nl is the netlink handle for the calling thread's network namespace,
// opened once and kept: netlink's package-level functions open a socket
// per request, so a daemon out of file descriptors could no longer add
// or remove a VIP, just when a failover needs it. Handles are kept per
// namespace because tests run this package on threads moved into
// namespaces of their own.
func nl() *netlink.Handle {
	ns, _ := os.Readlink("/proc/thread-self/ns/net")
	handles.Lock()
	defer handles.Unlock()
	if h := handles.m[ns]; h != nil {
		return h
	}
	h, err := netlink.NewHandle()
	if err != nil {
		// Out of descriptors before the first request: a handle without
		// sockets of its own does what the package functions do.
		return &netlink.Handle{}
	}
	if handles.m == nil {
		handles.m = map[string]*netlink.Handle{}
	}
	handles.m[ns] = h
	routeSockets() // opened with the handle, while descriptors are free
	return h
}

var handles struct {
	sync.Mutex
	m map[string]*netlink.Handle
}

// routeSockets is, for requests netlink.Handle cannot make (a VIP with
// IFA_PROTO), a NETLINK_ROUTE socket of the calling thread's namespace,
// kept as nl()'s are and for the same reason; nil if none could be
// opened (the request then opens its own).
func routeSockets() map[int]*nlraw.SocketHandle {
	ns, _ := os.Readlink("/proc/thread-self/ns/net")
	socks.Lock()
	defer socks.Unlock()
	if m := socks.m[ns]; m != nil {
		return m
	}
	s, err := nlraw.GetNetlinkSocketAt(netns.None(), netns.None(), unix.NETLINK_ROUTE)
	if err != nil {
		return nil
	}
	if socks.m == nil {
		socks.m = map[string]map[int]*nlraw.SocketHandle{}
	}
	m := map[int]*nlraw.SocketHandle{unix.NETLINK_ROUTE: {Socket: s}}
	socks.m[ns] = m
	return m
}

var socks struct {
	sync.Mutex
	m map[string]map[int]*nlraw.SocketHandle
}
