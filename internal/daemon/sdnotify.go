package daemon

import (
	"net"
	"os"
	"strings"
)

// SystemdNotifier returns a function sending states to systemd's
// NOTIFY_SOCKET (Type=notify), or nil when not started by systemd. The
// protocol is one datagram per state; a leading '@' is an abstract socket.
func SystemdNotifier() func(string) {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return nil
	}
	if strings.HasPrefix(path, "@") {
		path = "\x00" + path[1:]
	}
	addr := &net.UnixAddr{Name: path, Net: "unixgram"}
	return func(state string) {
		c, err := net.DialUnix("unixgram", nil, addr)
		if err != nil {
			return
		}
		defer c.Close()
		c.Write([]byte(state))
	}
}
