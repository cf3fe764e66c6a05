package main

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

// netnsEnv marks a daemon that already entered its network namespace
// (net_namespace or -s): its value is the namespace's name. A network
// namespace is a property of a thread, not of a process, so the daemon
// enters it on one locked thread and executes itself again from there:
// every thread of the new image is then in the namespace.
const netnsEnv = "GOKEEPALIVED_NETNS"

// netnsDir is where `ip netns add` keeps named namespaces; keepalived
// opens the namespace there and never creates it.
const netnsDir = "/run/netns/"

// pidDir is keepalived's pid directory (use_pid_dir, and always with a
// namespace or an instance name).
const pidDir = "/run/keepalived/"

// nsPlan is what the configuration and -s say about namespaces.
type nsPlan struct {
	name     string  // the namespace to run in; "" for none
	fromConf string  // the config's net_namespace when -s overrides it
	ipvs     *string // net_namespace_ipvs; "" means the default namespace
}

// planNamespaces reads what cfg and -s say about namespaces.
func planNamespaces(o options, cfg *conf.Config) nsPlan {
	var p nsPlan
	if cfg != nil {
		p.name, p.ipvs = cfg.NetNamespace, cfg.NetNamespaceIPVS
	}
	if o.namespace != "" {
		if p.name != "" {
			p.fromConf = p.name
		}
		p.name = o.namespace
	}
	return p
}

// enterNamespace does what keepalived's set_namespaces() does: it joins
// /run/netns/NAME and, in a mount namespace of its own, binds
// /run/keepalived/NAME over /run/keepalived, so the pidfiles of a daemon
// per namespace do not collide (not for a config test: mount false). On
// success it executes this program
// again (it does not return); the error says what keepalived logs.
func enterNamespace(name string, mount bool) error {
	path := netnsDir + name
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
	env := append(os.Environ(), netnsEnv+"="+name)
	return syscall.Exec(self, os.Args, env)
}

// bindPidDir gives the daemon its own view of /run/keepalived; failures
// are not fatal for keepalived either (it logs and runs on).
func bindPidDir(name string) {
	dir := filepath.Join(pidDir, name)
	old := syscall.Umask(0o022)
	os.Mkdir(pidDir, 0o755)
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
	unix.Mount(dir, pidDir, "", unix.MS_BIND, "")
}

// leaveNamespace undoes bindPidDir at exit, as keepalived's
// clear_namespaces() and remove_pid_dir(): the directories go if empty.
func leaveNamespace(name string) {
	if unix.Unmount(pidDir, 0) != nil {
		return
	}
	os.Remove(filepath.Join(pidDir, name))
	os.Remove(pidDir)
}

// namespaceSocket is the status socket of the daemon run with
// net_namespace NAME (or -s NAME), as seen from outside its namespace.
func namespaceSocket(name string) string {
	return filepath.Join(pidDir, name, "gokeepalived.sock")
}
