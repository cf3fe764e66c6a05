package cli

import (
	"fmt"
	"io"
)

// Usage is gokeepalived --help.
func Usage(w io.Writer) {
	fmt.Fprint(w, `Usage: gokeepalived [OPTION...]
  -f, --use-file=FILE      use the specified configuration file
                             (default /etc/keepalived/keepalived.conf)
  -P, --vrrp               only run the VRRP subsystem
  -C, --check              only run the health-checker (IPVS) subsystem
      --all                run the subsystems even with nothing configured
  -l, --log-console        log to the console too
  -D, --log-detail         detailed log messages
  -S, --log-facility=N     syslog facility: 0-7 (local0-7), user, daemon
                             (default daemon)
  -G, --no-syslog          do not log via syslog
  -u, --umask=MASK         umask for files created (numeric)
  -X, --release-vips       drop VIPs on a transition caused by a reload
  -V, --dont-release-vrrp  leave VIPs and virtual routes at exit
  -I, --dont-release-ipvs  leave the IPVS topology at exit
  -R, --dont-respawn       accepted: gokeepalived never respawns
  -n, --dont-fork          stay in the foreground
  -d, --dump-conf          dump the configuration to the log at start-up
                             (to stdout with -t)
  -p, --pid=FILE           pidfile (default /run/keepalived.pid)
  -r, --vrrp_pid=FILE      VRRP pidfile (default /run/keepalived_vrrp.pid)
  -c, --checkers_pid=FILE  checker pidfile
                             (default /run/keepalived_checkers.pid)
  -s, --namespace=NAME     run in network namespace NAME (overrides
                             net_namespace); pidfiles and the status socket
                             default to /run/keepalived/NAME/
  -t, --config-test[=FILE] check the configuration and exit; messages go to
                             stderr or FILE. Exit 0 ok, 4 cannot run,
                             5 errors keepalived would work around,
                             6 script security violation
      --dump-json          print the resolved configuration as JSON, exit
  -i, --config-id=ID       config id for @ID lines (default: short host name)
  -e, --all-config         every missing or unreadable include is an error
      --strict             everything keepalived would fix up is an error
      --metrics-address=[HOST:]PORT  serve Prometheus metrics (a bare port
                             listens on loopback only)
      --control-socket=PATH status socket (default /run/gokeepalived.sock)
      --compat=VERSION     follow keepalived VERSION (2.2.7 to 2.4.3; default
                             2.4.3) where its releases differ
      --signum=SIGFUNC     print the number of the signal for STOP, RELOAD,
                             DATA, STATS, STATS_CLEAR or JSON, and exit
  -v, --version            print the version and exit
  -h, --help               print this help and exit
Commands:
  gokeepalived status [--control-socket=PATH | -s NAME]   the running
                           daemon's state (-s: the daemon in namespace NAME)
  gokeepalived drain VS RS [--timeout D] [-s NAME]   real server RS of
                           virtual server VS to weight 0 at once, deleted
                           from IPVS when it has no connection left (or at
                           the timeout); VS: IP:PORT[/tcp|/udp|/sctp],
                           [IPv6]:PORT, fwmark:N
  gokeepalived undrain VS RS [-s NAME]   its configured weight back
  gokeepalived ipvs [...]  print the live IPVS table as ipvsadm -Ln does
  gokeepalived reload [--dry-run [-f FILE]]   reload, or print what a
                           reload would change without applying it
Accepted and ignored, with a warning: -g --flush-log-file -a -x -A -m -M
  -b -B --config-fd
`)
}
