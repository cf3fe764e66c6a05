package poller

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// An attempt's socket calls never block (non-blocking sockets, no
// lingering close), but the kernel runs a loopback handshake or FIN
// exchange inside connect and close: tens of µs. Made as raw system
// calls they keep their P; as ordinary ones sysmon hands the P to
// another thread meanwhile, a futex wake and two context switches.

// rawAddr is a destination as connect(2) takes it.
type rawAddr struct {
	sa  unix.RawSockaddrInet6 // or RawSockaddrInet4 in its first bytes
	len uintptr
}

func makeRawAddr(ap netip.AddrPort, zone uint32) rawAddr {
	var r rawAddr
	port := (*[2]byte)(unsafe.Pointer(&r.sa.Port)) // network order
	port[0], port[1] = byte(ap.Port()>>8), byte(ap.Port())
	if a := ap.Addr(); a.Is4() || a.Is4In6() {
		r.sa.Family = unix.AF_INET
		v4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(&r.sa))
		v4.Addr = a.Unmap().As4()
		r.len = unix.SizeofSockaddrInet4
	} else {
		r.sa.Family = unix.AF_INET6
		r.sa.Addr = a.As16()
		r.sa.Scope_id = zone
		r.len = unix.SizeofSockaddrInet6
	}
	return r
}

func errno(e unix.Errno) error {
	if e != 0 {
		return e
	}
	return nil
}

func rawSocket(family int) (int, error) {
	fd, _, e := unix.RawSyscall(unix.SYS_SOCKET, uintptr(family),
		unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	return int(fd), errno(e)
}

func rawConnect(fd int, a *rawAddr) error {
	_, _, e := unix.RawSyscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&a.sa)), a.len)
	return errno(e)
}

func rawWrite(fd int, b []byte) (int, error) {
	n, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	return int(n), errno(e)
}

func rawRead(fd int, b []byte) (int, error) {
	n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	return int(n), errno(e)
}

func rawClose(fd int) { unix.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0) }
