package check

import (
	"context"
	"fmt"
	"net/netip"
	"sync"

	"github.com/vishvananda/netlink"

	"github.com/gokeepalived/gokeepalived/internal/nlmon"
)

// LocalAddrs follows the host's addresses through netlink, as
// keepalived's checker does when a virtual server uses ha_suspend
// (kernel_netlink_init, then RTM_NEWADDR/RTM_DELADDR). An address on two
// interfaces counts twice, so it is gone only when both are.
type LocalAddrs struct {
	mu  sync.Mutex
	set map[localAddr]bool
	// onChange is called, from the watcher's goroutine and with mu
	// held, with an address whose count changed.
	onChange func(a netip.Addr, count int)
}

type localAddr struct {
	link int
	addr netip.Addr
}

// WatchLocalAddrs lists the host's addresses and follows them until
// ctx ends. It returns once the listing is done, so Count is valid.
// resynced is told of a subscription made again after an error
// (ENOBUFS): the addresses were listed anew.
func WatchLocalAddrs(ctx context.Context, onChange func(netip.Addr, int), resynced func(error)) (*LocalAddrs, error) {
	l := &LocalAddrs{set: map[localAddr]bool{}, onChange: onChange}
	m := nlmon.Monitor[netlink.AddrUpdate, map[localAddr]bool]{
		Name:   "address",
		Buffer: 256,
		Source: nlmon.Funcs[netlink.AddrUpdate, map[localAddr]bool]{
			SubscribeFunc: func(ch chan<- netlink.AddrUpdate, done <-chan struct{}, onErr func(error)) error {
				if err := nlmon.Addrs(0)(ch, done, onErr); err != nil {
					return fmt.Errorf("address monitor: %v", err)
				}
				return nil
			},
			ListFunc: listLocalAddrs,
		},
		Listed:   l.listed,
		Update:   l.update,
		Resynced: resynced,
	}
	if _, err := m.Start(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

// listLocalAddrs is every address on the host.
func listLocalAddrs() (map[localAddr]bool, error) {
	list, err := netlink.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return nil, fmt.Errorf("listing addresses: %v", err)
	}
	now := map[localAddr]bool{}
	for _, a := range list {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			now[localAddr{a.LinkIndex, ip.Unmap()}] = true
		}
	}
	return now, nil
}

// Count is how many times a is on the host.
func (l *LocalAddrs) Count(a netip.Addr) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.count(a.Unmap())
}

func (l *LocalAddrs) count(a netip.Addr) int {
	n := 0
	for k := range l.set {
		if k.addr == a {
			n++
		}
	}
	return n
}

// listed takes a listing as the set, reporting the counts it changed;
// an update already in the listing is harmless.
func (l *LocalAddrs) listed(now map[localAddr]bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.set
	l.set = now
	changed := map[netip.Addr]bool{}
	for k := range old {
		if !now[k] {
			changed[k.addr] = true
		}
	}
	for k := range now {
		if !old[k] {
			changed[k.addr] = true
		}
	}
	if l.onChange != nil {
		for a := range changed {
			l.onChange(a, l.count(a))
		}
	}
}

func (l *LocalAddrs) update(u netlink.AddrUpdate) {
	ip, ok := netip.AddrFromSlice(u.LinkAddress.IP)
	if !ok {
		return
	}
	k := localAddr{u.LinkIndex, ip.Unmap()}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.set[k] == u.NewAddr {
		return
	}
	if u.NewAddr {
		l.set[k] = true
	} else {
		delete(l.set, k)
	}
	if l.onChange != nil {
		l.onChange(k.addr, l.count(k.addr))
	}
}
