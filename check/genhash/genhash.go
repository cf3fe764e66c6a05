// Package genhash is keepalived's genhash tool: fetch a URL the way
// HTTP_GET/SSL_GET does and print the MD5 of the body, the value a
// url{} digest needs.
package genhash

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gokeepalived/gokeepalived/check/probe"
)

// Opts are the parsed command line.
type Opts struct {
	Server      netip.Addr
	Port        uint16
	URL         string
	SSL         bool
	SNI         bool
	Virtualhost string
	Verbose     bool
	FWMark      uint32
	Proto       string // "1.0", "1.0C", "1.1"
	Timeout     time.Duration
}

func usage(w io.Writer, prog string, genhash bool) {
	sub := " --genhash"
	if genhash {
		sub = ""
	}
	fmt.Fprintf(w, `Usage: %s%s COMMAND [OPTIONS]
Commands:
   -s server-address -p port -u url
   -S -s server-address -p port -u url
   -h

Options:
Either long or short options are allowed.
   --use-ssl         -S       Use SSL connection to remote server.
   --use-sni         -I       Use SNI during SSL handshake (uses virtualhost setting; see -V).
   --server          -s       Use the specified remote server address.
   --port            -p       Use the specified remote server port.
   --url             -u       Use the specified remote server url.
   --use-virtualhost -V       Use the specified virtualhost in GET query.
   --verbose         -v       Use verbose mode output.
   --help            -h       Display this short inlined help screen.
   --fwmark          -m       Use the specified FW mark.
   --protocol        -P       Use the specified HTTP protocol - '1.0', 1.0c', '1.1'.
                                1.0c means 1.0 with 'Connection: close'
   --timeout         -t       Timeout in seconds
`, prog, sub)
}

var long = map[string]byte{
	"help": 'h', "verbose": 'v', "use-ssl": 'S', "use-sni": 'I', "sni": 'I', "server": 's',
	"use-virtualhost": 'V', "virtualhost": 'V', "port": 'p', "url": 'u', "fwmark": 'm',
	"protocol": 'P', "timeout": 't',
}

const withArg = "sVpumPt"

// Parse reads genhash's options (getopt style, no bundling of flags).
func Parse(args []string) (*Opts, error) {
	o := &Opts{Proto: "1.0", Timeout: 5 * time.Second}
	var have [3]bool
	for i := 0; i < len(args); i++ {
		a := args[i]
		var c byte
		var val string
		hasVal := false
		switch {
		case strings.HasPrefix(a, "--"):
			name, v, eq := strings.Cut(a[2:], "=")
			ok := false
			if c, ok = long[name]; !ok {
				return nil, fmt.Errorf("Unknown option %s", a)
			}
			val, hasVal = v, eq
		case len(a) >= 2 && a[0] == '-':
			c = a[1]
			if len(a) > 2 {
				val, hasVal = a[2:], true
			}
		default:
			return nil, fmt.Errorf("Unexpected argument(s): %s", strings.Join(args[i:], " "))
		}
		if strings.IndexByte(withArg, c) >= 0 && !hasVal {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("Missing parameter for option %s", a)
			}
			i++
			val = args[i]
		}
		switch c {
		case 'h':
			return nil, errHelp
		case 'v':
			o.Verbose = true
		case 'S':
			o.SSL = true
		case 'I':
			o.SNI = true
		case 's':
			ip, err := netip.ParseAddr(val)
			if err != nil {
				return nil, fmt.Errorf("server should be an IP, not %s", val)
			}
			o.Server, have[0] = ip, true
		case 'p':
			p, err := strconv.ParseUint(val, 10, 16)
			if err != nil || p == 0 {
				return nil, fmt.Errorf("invalid port number '%s'", val)
			}
			o.Port, have[1] = uint16(p), true
		case 'u':
			o.URL, have[2] = val, true
		case 'V':
			o.Virtualhost = val
		case 'm':
			m, err := strconv.ParseUint(val, 0, 32)
			if err != nil {
				return nil, fmt.Errorf("invalid fwmark '%s'", val)
			}
			o.FWMark = uint32(m)
		case 'P':
			switch strings.ToLower(val) {
			case "1.0":
				o.Proto = "1.0"
			case "1.0c":
				o.Proto = "1.0C"
			case "1.1":
				o.Proto = "1.1"
			default:
				return nil, fmt.Errorf("invalid HTTP protocol version '%s'", val)
			}
		case 't':
			t, err := strconv.ParseFloat(val, 64)
			if err != nil || !(t > 0 && t < 1e6) {
				return nil, fmt.Errorf("invalid timeout '%s'", val)
			}
			o.Timeout = time.Duration(t * float64(time.Second))
		default:
			return nil, fmt.Errorf("Unknown option -%c", c)
		}
	}
	if !have[0] || !have[1] || !have[2] {
		return nil, errUsage
	}
	return o, nil
}

var (
	errHelp  = fmt.Errorf("help")
	errUsage = fmt.Errorf("usage")
)

// Digest fetches the URL and returns the MD5 hex of its body.
func Digest(ctx context.Context, o *Opts) (string, *probe.Fetched, error) {
	h := &probe.HTTP{
		Conn:  probe.Conn{Dst: netip.AddrPortFrom(o.Server, o.Port), FWMark: o.FWMark, Timeout: o.Timeout},
		Proto: o.Proto, SNI: o.SNI,
	}
	if o.SSL {
		h.TLS = &tls.Config{InsecureSkipVerify: true}
	}
	u := &probe.URL{Path: o.URL, Virtualhost: o.Virtualhost, SNIName: o.Virtualhost}
	f, r := h.Fetch(ctx, u)
	if !r.OK {
		return "", nil, fmt.Errorf("%s", r)
	}
	return f.MD5, f, nil
}

// Main is the genhash command: args exclude the program name and the
// -T/--genhash selector; asGenhash is true when run under the name
// "genhash". It returns the exit status.
func Main(prog string, args []string, asGenhash bool, stdout, stderr io.Writer) int {
	o, err := Parse(args)
	if err != nil {
		if err != errHelp && err != errUsage {
			fmt.Fprintln(stderr, err)
		}
		usage(stderr, prog, asGenhash)
		return 1
	}
	start := time.Now()
	sum, f, err := Digest(context.Background(), o)
	if err != nil {
		// keepalived reports the failure and still exits 0
		fmt.Fprintln(stderr, err)
		return 0
	}
	if f.Len == 0 {
		fmt.Fprintln(stderr, "no data received from remote webserver")
		return 0
	}
	if o.Verbose {
		fmt.Fprintf(stdout, "HTTP status code: %d, body length: %d\n", f.Status, f.Len)
	}
	fmt.Fprintln(stdout, sum)
	if o.Verbose {
		fmt.Fprintf(stdout, "\nGlobal response time for [%s] = %d usecs\n", o.URL, time.Since(start).Microseconds())
	}
	return 0
}
