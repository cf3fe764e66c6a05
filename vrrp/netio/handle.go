package netio

import (
	"os"
	"sync"

	"github.com/vishvananda/netlink"
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
	return h
}

var handles struct {
	sync.Mutex
	m map[string]*netlink.Handle
}
