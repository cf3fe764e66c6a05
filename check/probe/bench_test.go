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

// BenchmarkTCPStart is the engine's asynchronous path: no goroutine,
// net.Conn or allocation per attempt.
func BenchmarkTCPStart(b *testing.B) {
	var lc net.ListenConfig
	lc.SetMultipathTCP(false) // a plain TCP server, as real servers are
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
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
	p := &TCP{Conn: Conn{Dst: parseAP(ln.Addr().String()), Timeout: time.Second}}
	res := make(chan Result, 1)
	done := func(r Result) { res <- r }
	b.ReportAllocs()
	for b.Loop() {
		p.Start(0, done)
		if r := <-res; !r.OK {
			b.Fatal(r)
		}
	}
}
