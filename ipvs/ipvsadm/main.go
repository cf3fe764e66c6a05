package ipvsadm

import (
	"errors"
	"fmt"
	"io"

	"github.com/gokeepalived/gokeepalived/ipvs"
)

const ipvsUsage = `Usage: gokeepalived ipvs [--stats|--rate|--thresholds|--persistent-conn|--tun-info] [--exact]
       gokeepalived ipvs --timeout|--daemon
Prints the live IPVS table as 'ipvsadm -Ln [option]' does.
`

// Main is `gokeepalived ipvs`: the kernel's IPVS table in ipvsadm -Ln
// format, for hosts without ipvsadm.
func Main(args []string, stdout, stderr io.Writer) int {
	var opt Options
	what := "list"
	// Given several formats, ipvsadm uses the first of stats, rate,
	// thresholds, persistent-conn, tun-info: the lowest Format.
	format := func(f Format) {
		if opt.Format == Default || f < opt.Format {
			opt.Format = f
		}
	}
	for _, a := range args {
		switch a {
		case "--stats":
			format(Stats)
		case "--rate":
			format(Rate)
		case "--thresholds":
			format(Thresholds)
		case "--persistent-conn":
			format(PersistentConn)
		case "--tun-info":
			format(TunInfo)
		case "--exact":
			opt.Exact = true
		case "--timeout", "--daemon":
			what = a
		case "-h", "--help":
			fmt.Fprint(stdout, ipvsUsage)
			return 0
		default:
			fmt.Fprintf(stderr, "gokeepalived ipvs: unknown option %q\n%s", a, ipvsUsage)
			return 1
		}
	}
	c, err := ipvs.Open(ipvs.Options{})
	if err != nil {
		if errors.Is(err, ipvs.ErrUnavailable) {
			fmt.Fprintln(stderr, "gokeepalived ipvs: this kernel has no IPVS (is the ip_vs module loaded?)")
		} else {
			fmt.Fprintf(stderr, "gokeepalived ipvs: %v\n", err)
		}
		return 1
	}
	defer c.Close()
	switch what {
	case "--timeout":
		var t ipvs.Timeouts
		if t, err = c.Timeouts(); err == nil {
			err = Timeouts(stdout, t)
		}
	case "--daemon":
		var ds []ipvs.SyncDaemon
		if ds, err = c.SyncDaemons(); err == nil {
			err = Daemons(stdout, ds)
		}
	default:
		var info ipvs.Info
		var svcs []Service
		if info, svcs, err = Snapshot(c); err == nil {
			err = List(stdout, info, svcs, opt)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "gokeepalived ipvs: %v\n", err)
		return 1
	}
	return 0
}
