// Command gokeepalived is a keepalived-compatible VRRP and IPVS
// load-balancer daemon. This first slice reads and checks keepalived.conf.
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"runtime/debug"

	"github.com/gokeepalived/gokeepalived/cmd/gokeepalived/internal/cli"
	"github.com/gokeepalived/gokeepalived/conf"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

const defaultConfig = "/etc/keepalived/keepalived.conf"

var specs = []cli.Spec{
	{Short: 'f', Long: "use-file", Arg: cli.RequiredArg},
	{Short: 't', Long: "config-test", Arg: cli.OptionalArg},
	{Short: 'd', Long: "dump-conf"},
	{Short: 'i', Long: "config-id", Arg: cli.RequiredArg},
	{Short: 'e', Long: "all-config"},
	{Short: 'v', Long: "version"},
	{Short: 'h', Long: "help"},
	{Long: "dump-json"},
	{Long: "strict"},
}

type options struct {
	file      string
	test      bool
	testOut   string
	dump      bool
	dumpJSON  bool
	configID  string
	allConfig bool
	strict    bool
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	parsed, rest, err := cli.Parse(specs, args)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "Unexpected argument(s): %v\n", rest)
	}
	o := options{file: defaultConfig}
	for _, p := range parsed {
		switch p.Spec.Long {
		case "use-file":
			o.file = p.Value
		case "config-test":
			o.test, o.testOut = true, p.Value
		case "dump-conf":
			o.dump = true
		case "dump-json":
			o.dumpJSON = true
		case "config-id":
			o.configID = p.Value
		case "all-config":
			o.allConfig = true
		case "strict":
			o.strict = true
		case "version":
			fmt.Fprintf(stderr, "Keepalived v2.2.7 (gokeepalived %s)\n", version)
			fmt.Fprintln(stderr, "Build options: gokeepalived --enable-json (config-test, dump-conf, dump-json)")
			return 0
		case "help":
			usage(stderr)
			return 0
		}
	}
	if !o.test && !o.dump && !o.dumpJSON {
		fmt.Fprintln(stderr, "gokeepalived: only configuration checking (-t, -d, --dump-json) is available in this version")
		return 1
	}
	return check(o, stdout, stderr)
}

func check(o options, stdout, stderr io.Writer) int {
	limitMemory(o.file)
	cfg, diags := conf.Load(o.file, conf.Options{
		ConfigID:        o.configID,
		AllConfig:       o.allConfig,
		Strict:          o.strict,
		InterfaceExists: interfaceExists,
		UserExists:      userExists,
	})
	msgs := stderr
	if o.testOut != "" {
		f, err := os.Create(o.testOut)
		if err != nil {
			fmt.Fprintf(stderr, "cannot write %s: %v\n", o.testOut, err)
			return conf.ExitCantRun
		}
		defer f.Close()
		msgs = f
	}
	for _, d := range diags.List {
		fmt.Fprintln(msgs, d.String())
	}
	if o.dump {
		conf.Dump(stdout, cfg)
	}
	if o.dumpJSON {
		if err := conf.WriteJSON(stdout, cfg); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	}
	if o.test {
		return diags.ExitCode()
	}
	return 0
}

// limitMemory sets a soft memory limit for a config check. Its heap is
// mostly the model, kept to the end, plus parse garbage; left to GOGC the
// heap doubles past the model before it is collected (10,000 virtual
// servers: 72 MB peak RSS against keepalived's 41 MB, 57 MB with the
// limit). The limit grows with the main file, as the model is about five
// times the text, so a bigger config is not collected over and over. An
// explicit GOMEMLIMIT wins.
func limitMemory(file string) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	limit := int64(56 << 20)
	if fi, err := os.Stat(file); err == nil {
		limit = max(limit, 7*fi.Size())
	}
	debug.SetMemoryLimit(limit)
}

func interfaceExists(name string) bool {
	_, err := net.InterfaceByName(name)
	return err == nil
}

func userExists(name string) bool {
	_, err := user.Lookup(name)
	return err == nil
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Usage: gokeepalived [OPTION...]
  -f, --use-file=FILE      use the specified configuration file
                             (default /etc/keepalived/keepalived.conf)
  -t, --config-test[=FILE] check the configuration and exit; messages go to
                             stderr or FILE. Exit 0 ok, 4 cannot run,
                             5 errors keepalived would work around,
                             6 script security violation
  -d, --dump-conf          dump the resolved configuration
      --dump-json          dump the resolved configuration as JSON
  -i, --config-id=ID       config id for @ID lines (default: short host name)
  -e, --all-config         every missing or unreadable include is an error
      --strict             everything keepalived would fix up is an error
  -v, --version            print the version and exit
  -h, --help               print this help and exit
`)
}
