package check

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
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
	// resynced is told of a subscription made again after an error
	// (ENOBUFS): the addresses were listed anew.
	resynced func(error)
}

type localAddr struct {
	link int
	addr netip.Addr
}

// WatchLocalAddrs lists the host's addresses and follows them until
// ctx ends. It returns once the listing is done, so Count is valid.
func WatchLocalAddrs(ctx context.Context, onChange func(netip.Addr, int), resynced func(error)) (*LocalAddrs, error) {
	l := &LocalAddrs{set: map[localAddr]bool{}, onChange: onChange, resynced: resynced}
	updates, errc, stop, err := l.subscribe()
	if err != nil {
		return nil, err
	}
	go l.watch(ctx, updates, errc, stop)
	return l, nil
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

// subscribe subscribes first and lists second, so no change falls
// between the two; the set makes an update already in the listing
// harmless. Counts that the listing changed are reported.
func (l *LocalAddrs) subscribe() (chan netlink.AddrUpdate, chan error, chan struct{}, error) {
	stop := make(chan struct{})
	errc := make(chan error, 1)
	updates := make(chan netlink.AddrUpdate, 256)
	onErr := func(err error) {
		select {
		case errc <- err:
		default:
		}
	}
	if err := netlink.AddrSubscribeWithOptions(updates, stop, netlink.AddrSubscribeOptions{ErrorCallback: onErr}); err != nil {
		return nil, nil, nil, fmt.Errorf("address monitor: %v", err)
	}
	list, err := netlink.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		close(stop)
		return nil, nil, nil, fmt.Errorf("listing addresses: %v", err)
	}
	now := map[localAddr]bool{}
	for _, a := range list {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			now[localAddr{a.LinkIndex, ip.Unmap()}] = true
		}
	}
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
	return updates, errc, stop, nil
}

func (l *LocalAddrs) watch(ctx context.Context, updates chan netlink.AddrUpdate, errc chan error, stop chan struct{}) {
	backoff := 10 * time.Millisecond
	for {
		err := l.follow(ctx, updates, errc)
		close(stop)
		if ctx.Err() != nil {
			return
		}
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Second)
			var serr error
			if updates, errc, stop, serr = l.subscribe(); serr == nil {
				break
			}
		}
		if l.resynced != nil {
			l.resynced(err)
		}
	}
}

func (l *LocalAddrs) follow(ctx context.Context, updates chan netlink.AddrUpdate, errc chan error) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			return err
		case u, ok := <-updates:
			if !ok {
				return errors.New("address subscription closed")
			}
			ip, ok := netip.AddrFromSlice(u.LinkAddress.IP)
			if !ok {
				continue
			}
			k := localAddr{u.LinkIndex, ip.Unmap()}
			l.mu.Lock()
			if l.set[k] != u.NewAddr {
				if u.NewAddr {
					l.set[k] = true
				} else {
					delete(l.set, k)
				}
				if l.onChange != nil {
					l.onChange(k.addr, l.count(k.addr))
				}
			}
			l.mu.Unlock()
		}
	}
}
