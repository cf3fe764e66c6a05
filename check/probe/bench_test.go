package probe

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
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

// The HTTP benchmarks' server runs in a child process (this test binary
// again), so -benchmem counts only the checker's allocations.
const helperEnv = "PROBE_BENCH_HTTP_SERVER"

var benchReply = []byte("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n")

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		serveBenchHTTP()
		return
	}
	os.Exit(m.Run())
}

// serveBenchHTTP answers every request with benchReply and closes, as an
// HTTP/1.0 server does; it prints its address and runs until killed.
func serveBenchHTTP() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println(ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			panic(err)
		}
		go func() {
			defer c.Close()
			var buf [512]byte
			n := 0
			for !bytes.Contains(buf[:n], []byte("\r\n\r\n")) && n < len(buf) {
				m, err := c.Read(buf[n:])
				if err != nil {
					return
				}
				n += m
			}
			c.Write(benchReply)
		}()
	}
}

func benchHTTPServer(b *testing.B) *HTTP {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	return &HTTP{Conn: Conn{Dst: parseAP(strings.TrimSpace(line)), Timeout: time.Second}, Proto: "1.0",
		URLs: []URL{{Path: "/", Digest: md5hex("ok\n")}}}
}

// BenchmarkHTTPCheck is one HTTP_GET (digest) over a net.Conn, the path
// SSL_GET and genhash keep.
func BenchmarkHTTPCheck(b *testing.B) {
	h := benchHTTPServer(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if r := h.Check(ctx, 0); !r.OK {
			b.Fatal(r)
		}
	}
}

// BenchmarkHTTPStart is the same attempt on the poller, the engine's
// path for HTTP_GET.
func BenchmarkHTTPStart(b *testing.B) {
	h := benchHTTPServer(b)
	res := make(chan Result, 1)
	done := func(r Result) { res <- r }
	b.ReportAllocs()
	for b.Loop() {
		h.Start(0, done)
		if r := <-res; !r.OK {
			b.Fatal(r)
		}
	}
}
