package ipvs

import (
	"errors"
	"syscall"
)

// Table is the part of the IPVS API the reconciler needs: dump and edit
// services and destinations. Both the netlink client and ipvsfake
// implement it.
type Table interface {
	// Services dumps all services (an empty table is an empty slice, not
	// an error).
	Services() ([]ServiceEntry, error)
	// Destinations dumps the destinations of one service.
	Destinations(ServiceKey) ([]DestinationEntry, error)

	NewService(Service) error // IPVS_CMD_NEW_SERVICE; EEXIST if present
	SetService(Service) error // IPVS_CMD_SET_SERVICE; ESRCH if absent
	DelService(ServiceKey) error

	NewDestination(ServiceKey, Destination) error // EEXIST / ESRCH
	SetDestination(ServiceKey, Destination) error // ENOENT / ESRCH
	DelDestination(ServiceKey, DestKey) error     // ENOENT / ESRCH
}

// EditKind selects the Table method an Edit stands for.
type EditKind uint8

// Edit kinds.
const (
	EditNewService EditKind = iota + 1
	EditSetService
	EditDelService
	EditNewDest
	EditSetDest
	EditDelDest
)

// Edit is one table change: the arguments of the Table method of its
// kind. Destination edits use only Service's key.
type Edit struct {
	Kind    EditKind
	Service Service
	Dest    Destination
}

// Pipeliner is a Table that can apply many edits without a round trip
// each. The result is that of calling the Table methods in order: each
// edit runs whatever the earlier ones returned.
type Pipeliner interface {
	Table
	// Edits returns one error per edit, nil where it succeeded.
	Edits([]Edit) []error
}

// Client is the whole IPVS API.
type Client interface {
	Table
	Info() (Info, error)
	Service(ServiceKey) (ServiceEntry, error)
	Flush() error
	Timeouts() (Timeouts, error)
	SetTimeouts(Timeouts) error
	SyncDaemons() ([]SyncDaemon, error)
	NewSyncDaemon(SyncDaemon) error
	DelSyncDaemon(SyncState) error
	Close() error
}

// ErrUnavailable is returned by Open when the kernel has no IPVS (the
// generic netlink family "IPVS" does not exist: module not loaded or not
// built).
var ErrUnavailable = errors.New("ipvs: IPVS is not available in this kernel (generic netlink family \"IPVS\" not found)")

// OpError describes a failed IPVS operation. Err is the kernel's errno
// (possibly wrapped), so errors.Is(err, syscall.EEXIST) works for both
// the netlink client and the fake.
type OpError struct {
	Op  string // e.g. "new-service"
	Obj string // the service / destination, for logs
	Err error
}

func (e *OpError) Error() string {
	if e.Obj == "" {
		return "ipvs " + e.Op + ": " + e.Err.Error()
	}
	return "ipvs " + e.Op + " " + e.Obj + ": " + e.Err.Error()
}

func (e *OpError) Unwrap() error { return e.Err }

// IsExist reports an "already exists" failure (EEXIST).
func IsExist(err error) bool { return errors.Is(err, syscall.EEXIST) }

// IsNotExist reports a missing service (ESRCH) or destination (ENOENT).
func IsNotExist(err error) bool {
	return errors.Is(err, syscall.ESRCH) || errors.Is(err, syscall.ENOENT)
}
