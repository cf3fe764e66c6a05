// Package dbusapi is keepalived's D-Bus service, org.keepalived.Vrrp1, on
// the system bus (enable_dbus): an object for the VRRP process with the
// PrintData, PrintStats, PrintStatsClear and ReloadConfig methods and the
// VrrpStarted/VrrpReloaded/VrrpStopped signals, and one object per VRRP
// instance with the Name and State properties, the SendGarp method and
// the VrrpStatusChange signal.
//
// It observes the VRRP subsystem (daemon.VRRPObserver): state changes
// come through Notify, which never blocks the VRRP loop (a bounded,
// coalescing queue), and property reads use the subsystem's snapshots.
// All bus traffic happens on the service's own goroutine and godbus's.
package dbusapi

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/daemon"
	"github.com/gokeepalived/gokeepalived/internal/lograte"
)

// Names keepalived 2.2.7 uses (vrrp_dbus.c).
const (
	DefaultServiceName = "org.keepalived.Vrrp1"
	VrrpInterface      = "org.keepalived.Vrrp1.Vrrp"
	InstanceInterface  = "org.keepalived.Vrrp1.Instance"
	objectRoot         = "/org/keepalived/Vrrp1"

	introspectable = "org.freedesktop.DBus.Introspectable"
	properties     = "org.freedesktop.DBus.Properties"
)

// maxQueue bounds the state changes waiting for the bus; past it they
// are coalesced to the latest per instance.
const maxQueue = 1024

// stopWait is how long Stop waits for the goroutine, as keepalived's
// dbus_stop waits for its thread.
const stopWait = time.Second

// requestWait bounds a method call waiting for the daemon's loop.
const requestWait = 30 * time.Second

// Service is the D-Bus service; it satisfies daemon.VRRPObserver.
type Service struct {
	// Connect opens the system bus connection, closed when ctx ends (nil:
	// the system bus, DBUS_SYSTEM_BUS_ADDRESS or its default socket).
	Connect func(ctx context.Context) (*dbus.Conn, error)

	mu   sync.Mutex // Start, Reload, Stop
	log  *slog.Logger
	host daemon.ObserverHost
	sess atomic.Pointer[session]
}

// New returns a service, to be started by the daemon.
func New() *Service { return &Service{} }

var _ daemon.VRRPObserver = (*Service)(nil)

// Notify queues an instance's state notification (keepalived's
// VRRP_STATE_* number) for its VrrpStatusChange signal. It never blocks.
func (s *Service) Notify(instance string, state uint32) {
	if ss := s.sess.Load(); ss != nil {
		ss.push(item{kind: itemState, inst: instance, state: state})
	}
}

// Start starts the service if cfg enables it (the VRRP subsystem runs).
func (s *Service) Start(log *slog.Logger, cfg *conf.Config, h daemon.ObserverHost) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log, s.host = log, h
	if cfg.Global.EnableDBus {
		s.startLocked(cfg)
	}
}

// Reload follows a reload: objects for the new instances, none for the
// gone ones, and VrrpReloaded; or a start or a stop if enable_dbus
// changed, as keepalived's start_vrrp.
func (s *Service) Reload(cfg *conf.Config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sess.Load()
	switch {
	case ss != nil && cfg.Global.EnableDBus:
		ss.addPaths(cfg)
		ss.push(item{kind: itemReload, cfg: cfg})
	case ss != nil:
		s.stopLocked()
	case cfg.Global.EnableDBus && s.log != nil:
		s.startLocked(cfg)
	}
}

// Stop emits VrrpStopped and leaves the bus.
func (s *Service) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
}

func (s *Service) startLocked(cfg *conf.Config) {
	name := cfg.Global.DBusServiceName
	if name == "" {
		name = DefaultServiceName
	}
	connect := s.Connect
	if connect == nil {
		connect = func(ctx context.Context) (*dbus.Conn, error) { return dbus.ConnectSystemBus(dbus.WithContext(ctx)) }
	}
	ctx, cancel := context.WithCancel(context.Background())
	ss := &session{log: s.log, host: s.host, name: name, base: basePath(cfg), connect: func() (*dbus.Conn, error) { return connect(ctx) },
		cancel: cancel,
		wake:   make(chan struct{}, 1), done: make(chan struct{}), objects: map[dbus.ObjectPath]string{},
		paths: map[string]dbus.ObjectPath{}, rate: lograte.Default()}
	ss.addPaths(cfg)
	s.sess.Store(ss)
	go ss.run(cfg)
}

func (s *Service) stopLocked() {
	ss := s.sess.Swap(nil)
	if ss == nil {
		return
	}
	ss.push(item{kind: itemStop})
	select {
	case <-ss.done:
		s.log.Info("Released DBus")
	case <-time.After(stopWait):
		s.log.Info("DBus thread termination timed out")
	}
	ss.cancel() // closes the connection, wherever the goroutine is stuck
}

// basePath is the objects' root: keepalived adds the network namespace
// (and the instance name, which gokeepalived does not support).
// Characters a path cannot hold become '_'.
func basePath(cfg *conf.Config) string {
	if cfg.NetNamespace != "" {
		return objectRoot + "/" + validPath(cfg.NetNamespace)
	}
	return objectRoot
}

// validPath is keepalived's set_valid_path: A-Z, a-z, 0-9 stay, the rest
// becomes '_'.
func validPath(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

// InstancePath is an instance's object path under base:
// base/Instance/<interface>/<vrid>/<IPv4|IPv6|None>; noIf
// (dbus_no_interface_name) stands for a missing interface, "none" if empty.
func InstancePath(base string, in *conf.VRRPInstance, noIf string) dbus.ObjectPath {
	ifname := in.Interface
	if ifname == "" {
		ifname = noIf
	}
	if ifname == "" {
		ifname = "none"
	}
	fam := "None"
	switch in.Family {
	case 4:
		fam = "IPv4"
	case 6:
		fam = "IPv6"
	}
	return dbus.ObjectPath(base + "/Instance/" + validPath(ifname) + "/" + strconv.Itoa(in.VRID) + "/" + fam)
}

// StateString is keepalived's state_str for a VRRP_STATE_* number.
func StateString(st uint32) string {
	switch st {
	case 0:
		return "Init"
	case 1:
		return "Backup"
	case 2:
		return "Master"
	case 3:
		return "Fault"
	case 97:
		return "Deleted"
	case 98:
		return "Stop"
	}
	return "Unknown"
}

type itemKind int

const (
	itemState itemKind = iota
	itemReload
	itemStop
)

type item struct {
	kind  itemKind
	inst  string
	state uint32
	cfg   *conf.Config
}

// session is one connection to the bus, from start to stop.
type session struct {
	log     *slog.Logger
	host    daemon.ObserverHost
	name    string
	base    string
	connect func() (*dbus.Conn, error)
	cancel  context.CancelFunc

	qmu     sync.Mutex
	queue   []item
	states  int // itemState entries in queue
	dropped uint64
	rate    *lograte.Limiter
	wake    chan struct{}
	done    chan struct{}

	omu      sync.RWMutex
	conn     *dbus.Conn
	objects  map[dbus.ObjectPath]string // exported instance object → instance name
	paths    map[string]dbus.ObjectPath // instance name → where its signals go
	fresh    map[string]uint32          // states sent after VrrpStarted, not to repeat
	exported map[dbus.ObjectPath][]string
	order    []dbus.ObjectPath // the objects, Vrrp first then the instances in config order
	live     bool              // the bus is there and the name not lost: signals go out
}

// push queues it without blocking on the bus: past maxQueue the state
// changes are coalesced to the latest per instance (the order of the
// rest kept), then the oldest dropped.
func (ss *session) push(it item) {
	ss.qmu.Lock()
	ss.queue = append(ss.queue, it)
	if it.kind == itemState {
		ss.states++
		if ss.states > maxQueue {
			ss.coalesceLocked()
		}
	}
	ss.qmu.Unlock()
	select {
	case ss.wake <- struct{}{}:
	default:
	}
}

func (ss *session) coalesceLocked() {
	last := map[string]int{}
	for i, it := range ss.queue {
		if it.kind == itemState {
			last[it.inst] = i
		}
	}
	out := ss.queue[:0:0]
	states := 0
	for i, it := range ss.queue {
		if it.kind == itemState && last[it.inst] != i {
			ss.dropped++
			continue
		}
		if it.kind == itemState {
			states++
		}
		out = append(out, it)
	}
	for states > maxQueue/2 { // still too many instances: drop the oldest
		for i, it := range out {
			if it.kind == itemState {
				out = append(out[:i], out[i+1:]...)
				ss.dropped++
				states--
				break
			}
		}
	}
	ss.queue, ss.states = out, states
	if ok, sup := ss.rate.Allow("coalesce", time.Now()); ok {
		ss.log.Warn(fmt.Sprintf("DBus: signal queue full, %d state change signal(s) coalesced so far (%d suppressed messages)", ss.dropped, sup))
	}
}

func (ss *session) take() []item {
	ss.qmu.Lock()
	defer ss.qmu.Unlock()
	q := ss.queue
	ss.queue, ss.states = nil, 0
	return q
}

// dropStates forgets the state changes queued before the bus was there,
// as keepalived's dbus_send_state_signal does with no connection: the
// current states are sent after VrrpStarted instead.
func (ss *session) dropStates() {
	ss.qmu.Lock()
	defer ss.qmu.Unlock()
	out := ss.queue[:0]
	for _, it := range ss.queue {
		if it.kind != itemState {
			out = append(out, it)
		}
	}
	ss.queue, ss.states = out, 0
}

// addPaths adds cfg's instances to the signal paths, before the VRRP
// subsystem reloads; the gone ones stay until the next reload, so that
// their last state (DELETED or FAULT) still goes out, as keepalived's.
func (ss *session) addPaths(cfg *conf.Config) {
	ss.omu.Lock()
	defer ss.omu.Unlock()
	paths := map[string]dbus.ObjectPath{}
	for n := range ss.objects {
		if name := ss.objects[n]; name != "" {
			paths[name] = n
		}
	}
	for _, in := range cfg.VRRPInstances {
		paths[in.Name] = InstancePath(ss.base, in, cfg.Global.V243.DBusNoInterfaceName)
	}
	ss.paths = paths
}

// run is the session's goroutine: connect, export, signal, follow.
func (ss *session) run(cfg *conf.Config) {
	defer close(ss.done)
	conn, err := ss.connect()
	if err != nil {
		ss.log.Info(fmt.Sprintf("DBus: cannot connect to the system bus: %v", err))
		ss.log.Info(fmt.Sprintf("Lost the name %s on the session bus", ss.name))
		ss.waitStop()
		return
	}
	defer conn.Close()
	ss.omu.Lock()
	ss.conn, ss.live = conn, true
	ss.omu.Unlock()
	ss.log.Info("Acquired DBus bus " + ss.name)
	ss.exportAll(cfg)
	ss.dropStates()
	if len(cfg.VRRPInstances) > 0 {
		ss.emit(dbus.ObjectPath(ss.base+"/Vrrp"), VrrpInterface+".VrrpStarted")
		ss.sendStates(cfg)
	}
	reply, err := conn.RequestName(ss.name, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		// keepalived's on_name_lost: its objects go, no more signals
		ss.log.Info(fmt.Sprintf("Lost the name %s on the session bus", ss.name))
		ss.unexportAll()
		ss.omu.Lock()
		ss.live = false
		ss.omu.Unlock()
	} else {
		ss.log.Info(fmt.Sprintf("Acquired the name %s on the session bus", ss.name))
	}
	for {
		<-ss.wake
		for _, it := range ss.take() {
			switch it.kind {
			case itemState:
				if st, ok := ss.fresh[it.inst]; ok {
					delete(ss.fresh, it.inst)
					if st == it.state {
						continue // told already after VrrpStarted
					}
				}
				ss.sendState(it.inst, it.state)
			case itemReload:
				ss.exportAll(it.cfg)
				ss.emit(dbus.ObjectPath(ss.base+"/Vrrp"), VrrpInterface+".VrrpReloaded")
			case itemStop:
				ss.unexportAll()
				ss.emit(dbus.ObjectPath(ss.base+"/Vrrp"), VrrpInterface+".VrrpStopped")
				return
			}
		}
	}
}

func (ss *session) waitStop() {
	for {
		<-ss.wake
		for _, it := range ss.take() {
			if it.kind == itemStop {
				return
			}
		}
	}
}

// sendStates tells each instance's current state, after VrrpStarted. An
// instance still in INIT is told when it leaves it; a change that raced
// with this snapshot is not told twice (fresh).
func (ss *session) sendStates(cfg *conf.Config) {
	states := map[string]uint32{}
	for _, in := range ss.host.VRRP.Instances() {
		states[in.Name] = uint32(in.State)
	}
	ss.fresh = map[string]uint32{}
	for _, in := range cfg.VRRPInstances {
		if st, ok := states[in.Name]; ok && st != 0 {
			ss.sendState(in.Name, st)
			ss.fresh[in.Name] = st
		}
	}
}

func (ss *session) sendState(inst string, st uint32) {
	ss.omu.RLock()
	path := ss.paths[inst]
	ss.omu.RUnlock()
	if path != "" {
		ss.emit(path, InstanceInterface+".VrrpStatusChange", st)
	}
}

func (ss *session) emit(path dbus.ObjectPath, name string, args ...any) {
	ss.omu.RLock()
	conn, live := ss.conn, ss.live
	ss.omu.RUnlock()
	if !live {
		return
	}
	if err := conn.Emit(path, name, args...); err != nil {
		i := strings.LastIndex(name, ".")
		ss.log.Info(fmt.Sprintf("Emitting DBus signal %s.%s on %s failed: %v", name[:i], name[i+1:], path, err))
	}
}

// instanceName is the instance an object path stands for now.
func (ss *session) instanceName(path dbus.ObjectPath) (string, bool) {
	ss.omu.RLock()
	defer ss.omu.RUnlock()
	n, ok := ss.objects[path]
	return n, ok
}

// request asks the daemon's loop for a dump or a reload.
func (ss *session) request(r daemon.Request) *dbus.Error {
	if ss.host.Request == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), requestWait)
	defer cancel()
	if err := ss.host.Request(ctx, r); err != nil {
		return dbus.MakeFailedError(err)
	}
	return nil
}
