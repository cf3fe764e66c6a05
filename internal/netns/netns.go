// Package netns runs the daemon in its network namespace (net_namespace
// or -s) as keepalived does: the namespace's name and paths, entering it
// and the pid directory bound over /run/keepalived.
package netns

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"

	"github.com/gokeepalived/gokeepalived/conf"
	"golang.org/x/sys/unix"
)

// Env marks a daemon that already entered its network namespace
// (net_namespace or -s): its value is the namespace's name. A network
// namespace is a property of a thread, not of a process, so the daemon
// enters it on one locked thread and executes itself again from there:
// every thread of the new image is then in the namespace.
const Env = "GOKEEPALIVED_NETNS"

// namedDir is where `ip netns add` keeps named namespaces; keepalived
// opens the namespace there and never creates it.
const namedDir = "/run/netns/"

// PidDir is keepalived's pid directory (use_pid_dir, and always with a
// namespace or an instance name).
const PidDir = "/run/keepalived/"

// Plan is what the configuration and -s say about namespaces.
type Plan struct {
	Name     string  // the namespace to run in; "" for none
	FromConf string  // the config's net_namespace when -s overrides it
	IPVS     *string // net_namespace_ipvs; "" means the default namespace
}

// PlanFor reads what cfg and -s (override) say about namespaces.
func PlanFor(cfg *conf.Config, override string) Plan {
	var p Plan
	if cfg != nil {
		p.Name, p.IPVS = cfg.NetNamespace, cfg.NetNamespaceIPVS
	}
	if override != "" {
		if p.Name != "" {
			p.FromConf = p.Name
		}
		p.Name = override
	}
	return p
}

// Enter does what keepalived's set_namespaces() does: it joins
// /run/netns/NAME and, in a mount namespace of its own, binds
// /run/keepalived/NAME over /run/keepalived, so the pidfiles of a daemon
// per namespace do not collide (not for a config test: mount false). On
// success it executes this program
// again (it does not return); the error says what keepalived logs.
func Enter(name string, mount bool) error {
	path := namedDir + name
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("Failed to open %s", path)
	}
	// the thread is never given back: it execs or the process exits
	runtime.LockOSThread()
	err = unix.Setns(fd, unix.CLONE_NEWNET)
	unix.Close(fd)
	if err != nil {
		return fmt.Errorf("setns() failed with error %d", err.(syscall.Errno))
	}
	if mount {
		bindPidDir(name)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	env := append(os.Environ(), Env+"="+name)
	return syscall.Exec(self, os.Args, env)
}

// bindPidDir gives the daemon its own view of /run/keepalived; failures
// are not fatal for keepalived either (it logs and runs on).
func bindPidDir(name string) {
	dir := filepath.Join(PidDir, name)
	old := syscall.Umask(0o022)
	os.Mkdir(PidDir, 0o755)
	err := os.Mkdir(dir, 0o755)
	syscall.Umask(old)
	if err != nil && !errors.Is(err, os.ErrExist) {
		return
	}
	if unix.Unshare(unix.CLONE_NEWNS) != nil {
		return
	}
	// systemd makes mounts shared: ours must not show on the host
	unix.Mount("", "/", "", unix.MS_REC|unix.MS_SLAVE, "")
	unix.Mount(dir, PidDir, "", unix.MS_BIND, "")
}

// Leave undoes bindPidDir at exit, as keepalived's
// clear_namespaces() and remove_pid_dir(): the directories go if empty.
func Leave(name string) {
	if unix.Unmount(PidDir, 0) != nil {
		return
	}
	os.Remove(filepath.Join(PidDir, name))
	os.Remove(PidDir)
}

// Socket is the status socket of the daemon run with
// net_namespace NAME (or -s NAME), as seen from outside its namespace.
func Socket(name string) string {
	return filepath.Join(PidDir, name, "gokeepalived.sock")
}
