package ipvs

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"github.com/vishvananda/netns"
)

// Options configure Open.
type Options struct {
	// NetNS selects the network namespace whose IPVS table is used
	// (keepalived's net_namespace_ipvs): a name under /run/netns or a
	// path such as /proc/PID/ns/net. Empty means the caller's namespace.
	NetNS string
}

// Conn is a Client speaking generic netlink to the kernel. It is safe for
// concurrent use (requests are serialised on one socket).
type Conn struct {
	c   *genetlink.Conn
	nl  *netlink.Conn // the same socket, for pipelined edits; nil from NewConn
	fam uint16
	// mu keeps a request from running between a pipeline's writes and
	// its ACK reads, which it would take for its own replies.
	mu sync.Mutex
}

var _ Client = (*Conn)(nil)

// Open connects to IPVS. It returns an error wrapping ErrUnavailable when
// the kernel has no IPVS family, never a handle that returns empty lists.
func Open(opt Options) (*Conn, error) {
	cfg := &netlink.Config{}
	if opt.NetNS != "" {
		var h netns.NsHandle
		var err error
		if strings.ContainsRune(opt.NetNS, '/') {
			h, err = netns.GetFromPath(opt.NetNS)
		} else {
			h, err = netns.GetFromName(opt.NetNS)
		}
		if err != nil {
			return nil, fmt.Errorf("ipvs: network namespace %q: %w", opt.NetNS, err)
		}
		// netlink enters the namespace on a locked thread only to create
		// the socket; the fd can be closed once dialled.
		defer h.Close()
		cfg.NetNS = int(h)
	}
	nl, err := netlink.Dial(netlinkGeneric, cfg)
	if err != nil {
		return nil, fmt.Errorf("ipvs: dial generic netlink: %w", err)
	}
	c, err := NewConn(genetlink.NewConn(nl))
	if err != nil {
		return nil, err
	}
	c.nl = nl
	return c, nil
}

const netlinkGeneric = 16 // NETLINK_GENERIC

// NewConn wraps an existing generic netlink connection (one the caller
// dialled, or a test double) and resolves the IPVS family. It takes
// ownership of c and closes it on failure.
func NewConn(c *genetlink.Conn) (*Conn, error) {
	f, err := c.GetFamily(genlName)
	if err != nil {
		c.Close()
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		return nil, fmt.Errorf("ipvs: resolve generic netlink family: %w", err)
	}
	return &Conn{c: c, fam: f.ID}, nil
}

// Close releases the socket.
func (c *Conn) Close() error { return c.c.Close() }

func (c *Conn) do(op, obj string, m genetlink.Message, flags netlink.HeaderFlags) ([]genetlink.Message, error) {
	c.mu.Lock()
	r, err := c.c.Execute(m, c.fam, flags)
	c.mu.Unlock()
	if err != nil {
		return nil, &OpError{Op: op, Obj: obj, Err: err}
	}
	return r, nil
}

func (c *Conn) set(op, obj string, m genetlink.Message, err error) error {
	if err != nil {
		return &OpError{Op: op, Obj: obj, Err: err}
	}
	_, err = c.do(op, obj, m, netlink.Request|netlink.Acknowledge)
	return err
}

// Services dumps every service.
func (c *Conn) Services() ([]ServiceEntry, error) {
	r, err := c.do("list-services", "", msg(cmdGetService, nil), netlink.Request|netlink.Dump)
	if err != nil {
		return nil, err
	}
	out := make([]ServiceEntry, 0, len(r))
	for _, m := range r {
		s, err := parseServiceMsg(m)
		if err != nil {
			return nil, &OpError{Op: "list-services", Err: err}
		}
		out = append(out, s)
	}
	return out, nil
}

// Service fetches one service (ESRCH if absent).
func (c *Conn) Service(k ServiceKey) (ServiceEntry, error) {
	m, err := serviceRequest(cmdGetService, Service{ServiceKey: k})
	if err != nil {
		return ServiceEntry{}, &OpError{Op: "get-service", Obj: k.String(), Err: err}
	}
	r, err := c.do("get-service", k.String(), m, netlink.Request)
	if err != nil {
		return ServiceEntry{}, err
	}
	if len(r) != 1 {
		return ServiceEntry{}, &OpError{Op: "get-service", Obj: k.String(), Err: fmt.Errorf("%d replies", len(r))}
	}
	s, err := parseServiceMsg(r[0])
	if err != nil {
		return ServiceEntry{}, &OpError{Op: "get-service", Obj: k.String(), Err: err}
	}
	return s, nil
}

// Destinations dumps the destinations of k. Like the kernel, a missing
// service yields an empty list.
func (c *Conn) Destinations(k ServiceKey) ([]DestinationEntry, error) {
	m, err := serviceRequest(cmdGetDest, Service{ServiceKey: k})
	if err != nil {
		return nil, &OpError{Op: "list-dests", Obj: k.String(), Err: err}
	}
	r, err := c.do("list-dests", k.String(), m, netlink.Request|netlink.Dump)
	if err != nil {
		return nil, err
	}
	out := make([]DestinationEntry, 0, len(r))
	for _, m := range r {
		d, err := parseDestMsg(m, k.Family)
		if err != nil {
			return nil, &OpError{Op: "list-dests", Obj: k.String(), Err: err}
		}
		out = append(out, d)
	}
	return out, nil
}

func (c *Conn) NewService(s Service) error {
	m, err := serviceRequest(cmdNewService, s)
	return c.set("new-service", s.ServiceKey.String(), m, err)
}

func (c *Conn) SetService(s Service) error {
	m, err := serviceRequest(cmdSetService, s)
	return c.set("set-service", s.ServiceKey.String(), m, err)
}

func (c *Conn) DelService(k ServiceKey) error {
	m, err := serviceRequest(cmdDelService, Service{ServiceKey: k})
	return c.set("del-service", k.String(), m, err)
}

func (c *Conn) NewDestination(k ServiceKey, d Destination) error {
	m, err := destRequest(cmdNewDest, k, d)
	return c.set("new-dest", k.String()+" -> "+d.Key().String(), m, err)
}

func (c *Conn) SetDestination(k ServiceKey, d Destination) error {
	m, err := destRequest(cmdSetDest, k, d)
	return c.set("set-dest", k.String()+" -> "+d.Key().String(), m, err)
}

func (c *Conn) DelDestination(k ServiceKey, d DestKey) error {
	m, err := destRequest(cmdDelDest, k, Destination{Addr: d.Addr, Port: d.Port})
	return c.set("del-dest", k.String()+" -> "+d.String(), m, err)
}

// Flush deletes every service (IPVS_CMD_FLUSH, ipvsadm -C).
func (c *Conn) Flush() error { return c.set("flush", "", msg(cmdFlush, nil), nil) }

// Info returns the IPVS version and connection table size.
func (c *Conn) Info() (Info, error) {
	r, err := c.do("info", "", msg(cmdGetInfo, nil), netlink.Request)
	if err != nil {
		return Info{}, err
	}
	if len(r) != 1 {
		return Info{}, &OpError{Op: "info", Err: fmt.Errorf("%d replies", len(r))}
	}
	i, err := decodeInfo(r[0].Data)
	if err != nil {
		return Info{}, &OpError{Op: "info", Err: err}
	}
	return i, nil
}

// Timeouts returns the tcp / tcpfin / udp timeouts.
func (c *Conn) Timeouts() (Timeouts, error) {
	r, err := c.do("get-timeouts", "", msg(cmdGetConfig, nil), netlink.Request)
	if err != nil {
		return Timeouts{}, err
	}
	if len(r) != 1 {
		return Timeouts{}, &OpError{Op: "get-timeouts", Err: fmt.Errorf("%d replies", len(r))}
	}
	t, err := decodeTimeouts(r[0].Data)
	if err != nil {
		return Timeouts{}, &OpError{Op: "get-timeouts", Err: err}
	}
	return t, nil
}

// SetTimeouts sets the non-zero fields of t (ipvsadm --set).
func (c *Conn) SetTimeouts(t Timeouts) error {
	m, err := timeoutsRequest(t)
	return c.set("set-timeouts", "", m, err)
}

// SyncDaemons lists the running sync daemons (at most master + backup).
func (c *Conn) SyncDaemons() ([]SyncDaemon, error) {
	r, err := c.do("list-daemons", "", msg(cmdGetDaemon, nil), netlink.Request|netlink.Dump)
	if err != nil {
		return nil, err
	}
	out := make([]SyncDaemon, 0, len(r))
	for _, m := range r {
		d, err := parseDaemonMsg(m)
		if err != nil {
			return nil, &OpError{Op: "list-daemons", Err: err}
		}
		out = append(out, d)
	}
	return out, nil
}

// NewSyncDaemon starts a sync daemon (EEXIST if that state runs already).
func (c *Conn) NewSyncDaemon(d SyncDaemon) error {
	m, err := daemonRequest(cmdNewDaemon, d)
	return c.set("new-daemon", d.State.String(), m, err)
}

// DelSyncDaemon stops the master or backup sync daemon.
func (c *Conn) DelSyncDaemon(s SyncState) error {
	m, err := daemonRequest(cmdDelDaemon, SyncDaemon{State: s})
	return c.set("del-daemon", s.String(), m, err)
}
