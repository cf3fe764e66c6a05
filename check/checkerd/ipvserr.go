package checkerd

import (
	"errors"
	"fmt"
	"strconv"
	"syscall"

	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/reconcile"
)

// logApplyErr logs what an apply could not do: each failed operation as
// keepalived 2.2.7's ipvs_talk() does, e.g.
//
//	IPVS cmd IP_VS_SO_SET_ADDDEST(1159) error: Memory allocation problem(12) (10.0.0.1:tcp:80 -> 127.0.0.1:8080)
//
// and anything else (a table that could not be read) as "IPVS: ...".
func (c *Checker) logApplyErr(err error) {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var oe *reconcile.OpError
		var errno syscall.Errno
		if errors.As(e, &oe) && errors.As(oe.Err, &errno) {
			c.log.Info(ipvsCmdError(oe.Op, errno))
			continue
		}
		c.log.Error(fmt.Sprintf("IPVS: %v", e))
	}
}

// IP_VS_SO_SET_* of linux/ip_vs.h, the commands keepalived names.
const ipvsBaseCtl = 64 + 1024 + 64

var ipvsCmds = map[reconcile.OpKind]struct {
	name string
	num  int
}{
	reconcile.AddService:  {"IP_VS_SO_SET_ADD", ipvsBaseCtl + 2},
	reconcile.EditService: {"IP_VS_SO_SET_EDIT", ipvsBaseCtl + 3},
	reconcile.DelService:  {"IP_VS_SO_SET_DEL", ipvsBaseCtl + 4},
	reconcile.AddDest:     {"IP_VS_SO_SET_ADDDEST", ipvsBaseCtl + 7},
	reconcile.DelDest:     {"IP_VS_SO_SET_DELDEST", ipvsBaseCtl + 8},
	reconcile.EditDest:    {"IP_VS_SO_SET_EDITDEST", ipvsBaseCtl + 9},
}

// ipvsCmdError is keepalived's line for a failed IPVS command.
func ipvsCmdError(o reconcile.Op, errno syscall.Errno) string {
	cmd, ok := ipvsCmds[o.Kind]
	if !ok {
		cmd.name = "(unknown)"
	}
	obj := " (" + serviceText(o.Service.ServiceKey)
	if o.Kind == reconcile.AddDest || o.Kind == reconcile.EditDest || o.Kind == reconcile.DelDest {
		obj += " -> " + o.Dest.Addr.Unmap().String() + ":" + strconv.Itoa(int(o.Dest.Port))
	}
	return fmt.Sprintf("IPVS cmd %s(%d) error: %s(%d)%s)", cmd.name, cmd.num, ipvsStrerror(o.Kind, errno), int(errno), obj)
}

// serviceText is keepalived's format_srule: "Fwm 5", "10.0.0.1:tcp:80".
func serviceText(k ipvs.ServiceKey) string {
	if k.FWMark != 0 {
		if k.Family == ipvs.IPv6 {
			return fmt.Sprintf("Fwm %d inet6", k.FWMark)
		}
		return fmt.Sprintf("Fwm %d", k.FWMark)
	}
	proto := strconv.Itoa(int(k.Protocol))
	switch k.Protocol {
	case ipvs.TCP:
		proto = "tcp"
	case ipvs.UDP:
		proto = "udp"
	case ipvs.SCTP:
		proto = "sctp"
	}
	return k.Addr.Unmap().String() + ":" + proto + ":" + strconv.Itoa(int(k.Port))
}

// ipvsStrerror is libipvs's ipvs_strerror: its own words for the errnos
// of some calls, else strerror's.
func ipvsStrerror(k reconcile.OpKind, errno syscall.Errno) string {
	switch {
	case k == reconcile.AddService && errno == syscall.EEXIST:
		return "Service already exists"
	case (k == reconcile.AddService || k == reconcile.EditService) && errno == syscall.ENOENT:
		return "Scheduler or persistence engine not found"
	case k == reconcile.AddDest && errno == syscall.EEXIST:
		return "Destination already exists"
	case (k == reconcile.EditDest || k == reconcile.DelDest) && errno == syscall.ENOENT:
		return "No such destination"
	}
	switch errno {
	case syscall.ESRCH:
		return "No such service"
	case syscall.EPERM:
		return "Permission denied (you must be root)"
	case syscall.EINVAL:
		return "Invalid operation.  Possibly wrong module version, address not unicast, ..."
	case syscall.ENOPROTOOPT:
		return "Protocol not available"
	case syscall.ENOMEM:
		return "Memory allocation problem"
	case syscall.EOPNOTSUPP:
		return "Operation not supported with IPv6"
	case syscall.EAFNOSUPPORT:
		return "Operation not supported with specified address family"
	case syscall.EMSGSIZE:
		return "Module is wrong version"
	}
	s := errno.Error() // glibc's text is Go's, capitalised
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}
