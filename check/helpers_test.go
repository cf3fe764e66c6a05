package check

import (
	"net"
	"net/netip"
	"testing"
)

type netipAddrPort = netip.AddrPort

func mustAP(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// tcpServer accepts on a loopback port until the test ends, handing each
// connection to serve (closed after it returns); it returns the port.
func tcpServer(t *testing.T, serve func(c net.Conn)) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}
