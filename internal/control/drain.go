package control

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/cli"
	"github.com/gokeepalived/gokeepalived/internal/netns"
)

// DrainCommand is `gokeepalived drain VS RS [--timeout D]` and
// `gokeepalived undrain VS RS` (undrain: true): the request goes to the
// running daemon, which answers what it did.
func DrainCommand(undrain bool, args []string, stdout, stderr io.Writer) int {
	name := "drain"
	if undrain {
		name = "undrain"
	}
	specs := []cli.Spec{{Long: "control-socket", Arg: cli.RequiredArg}, {Short: 's', Long: "namespace", Arg: cli.RequiredArg}}
	if !undrain {
		specs = append(specs, cli.Spec{Long: "timeout", Arg: cli.RequiredArg})
	}
	parsed, rest, err := cli.Parse(specs, args)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	path, timeout := DefaultPath, time.Duration(0)
	for _, p := range parsed {
		switch p.Spec.Long {
		case "control-socket":
			path = p.Value
		case "namespace":
			path = netns.Socket(p.Value)
		case "timeout":
			if timeout, err = ParseTimeout(p.Value); err != nil {
				fmt.Fprintf(stderr, "gokeepalived drain: %v\n", err)
				return 1
			}
		}
	}
	if len(rest) != 2 {
		fmt.Fprintf(stderr, "usage: gokeepalived %s VS RS%s\n  VS: IP:PORT, [IPv6]:PORT (optional /tcp, /udp, /sctp) or fwmark:N; RS: IP:PORT\n",
			name, map[bool]string{false: " [--timeout DURATION]", true: ""}[undrain])
		return 1
	}
	req := DrainRequest(undrain, rest[0], rest[1], timeout)
	data, err := Request(path, req)
	if err != nil {
		fmt.Fprintf(stderr, "gokeepalived %s: %v\n", name, err)
		return 1
	}
	var msg string
	if json.Unmarshal(data, &msg) != nil {
		msg = string(data)
	}
	fmt.Fprintln(stdout, msg)
	return 0
}

// ParseTimeout reads a drain timeout: a Go duration (90s, 5m) or whole
// seconds.
func ParseTimeout(s string) (time.Duration, error) {
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad timeout %q: seconds or a duration such as 90s or 5m", s)
	}
	return d, nil
}

// DrainRequest is the control socket's request line:
// "drain VS RS [TIMEOUT]" or "undrain VS RS".
func DrainRequest(undrain bool, vs, rs string, timeout time.Duration) string {
	if undrain {
		return "undrain " + vs + " " + rs
	}
	req := "drain " + vs + " " + rs
	if timeout > 0 {
		req += " " + timeout.String()
	}
	return req
}

// ParseDrainRequest reads a request line DrainRequest wrote.
func ParseDrainRequest(req string) (undrain bool, vs, rs string, timeout time.Duration, err error) {
	f := strings.Fields(req)
	switch {
	case len(f) == 3 && f[0] == "undrain":
		return true, f[1], f[2], 0, nil
	case len(f) == 3 && f[0] == "drain":
		return false, f[1], f[2], 0, nil
	case len(f) == 4 && f[0] == "drain":
		timeout, err = ParseTimeout(f[3])
		return false, f[1], f[2], timeout, err
	}
	return false, "", "", 0, fmt.Errorf("bad request %q: drain VS RS [TIMEOUT] or undrain VS RS", req)
}
