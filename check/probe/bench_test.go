package probe

import (
	"context"
	"net"
	"testing"
	"time"
)

// BenchmarkTCPCheck is one TCP_CHECK against a loopback listener
// (kernel connect cost included).
func BenchmarkTCPCheck(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { c.Read(make([]byte, 1)); c.Close() }()
		}
	}()
	p := &TCP{Conn: Conn{Dst: parseAP(ln.Addr().String()), Timeout: time.Second}, Reset: true}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if r := p.Check(ctx, 0); !r.OK {
			b.Fatal(r)
		}
	}
}
