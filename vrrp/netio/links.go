package netio

import (
	"context"
	"maps"
	"net"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/gokeepalived/gokeepalived/internal/nlmon"
	"github.com/gokeepalived/gokeepalived/vrrp"
)

// Links is the real vrrp.Links: rtnetlink link notifications.
type Links struct {
	// Resynced, when set, is told that a monitor lost its subscription
	// (ENOBUFS: the kernel dropped notifications it could not queue), or
	// failed to make it again, before it subscribes again and lists the
	// state anew.
	Resynced func(monitor string, err error)
}

var _ vrrp.Links = Links{}

// usable: admin up with the lower layer up (unknown counts as up, as for
// interfaces without carrier reporting).
func usable(a *netlink.LinkAttrs) bool {
	return a.Flags&net.FlagUp != 0 && (a.OperState == netlink.OperUp || a.OperState == netlink.OperUnknown)
}

func (l Links) resynced(monitor string, err error) {
	if l.Resynced != nil {
		l.Resynced(monitor, err)
	}
}

// Watch sends an event whenever an interface's usability changes. A
// subscription that fails (ENOBUFS after a burst of link changes) is
// made again and the links listed anew, and what changed meanwhile is
// sent: interface tracking never silently stops. It runs on the calling
// goroutine, whose network namespace it follows.
func (l Links) Watch(ctx context.Context, ch chan<- vrrp.LinkEvent) error {
	last := map[string]bool{}
	listed := false
	send := func(name string, up bool) {
		if prev, seen := last[name]; seen && prev == up {
			return
		}
		last[name] = up
		select {
		case ch <- vrrp.LinkEvent{Name: name, Up: up}:
		case <-ctx.Done():
		}
	}
	m := nlmon.Monitor[netlink.LinkUpdate, map[string]bool]{
		Name:   "link",
		Buffer: 64,
		Source: nlmon.Funcs[netlink.LinkUpdate, map[string]bool]{
			SubscribeFunc: nlmon.Links(0),
			ListFunc: func() (map[string]bool, error) {
				links, err := nl().LinkList()
				if err != nil && listed {
					return nil, err
				}
				// The first listing is only the baseline: one that
				// fails leaves it empty rather than failing Watch.
				now := map[string]bool{}
				for _, ln := range links {
					now[ln.Attrs().Name] = usable(ln.Attrs())
				}
				return now, nil
			},
		},
		Listed: func(now map[string]bool) {
			if !listed {
				listed = true
				maps.Copy(last, now)
				return
			}
			for name := range last {
				if _, ok := now[name]; !ok {
					send(name, false)
				}
			}
			for name, up := range now {
				send(name, up)
			}
		},
		Update: func(u netlink.LinkUpdate) {
			a := u.Attrs()
			send(a.Name, usable(a) && u.Header.Type != unix.RTM_DELLINK)
		},
		Resynced: func(err error) { l.resynced("link", err) },
	}
	return m.Run(ctx)
}
