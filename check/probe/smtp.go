package probe

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/gokeepalived/gokeepalived/check/probe/internal/poller"
)

// SMTP is SMTP_CHECK as check_smtp.c does it: read one line that must
// be "220 …", send HELO, read one line that must be "250 …", send QUIT
// and read any one line. A multi-line "220-" banner fails, as there.
// A failure's Reason is the message check_smtp.c passes to smtp_final
// ("Bad greeting banner from server [192.0.2.1]:25"); the engine adds
// the "SMTP_CHECK " prefix.
type SMTP struct {
	Conn Conn
	Helo string
	// RS is the real server, named in the "Network unreachable" line.
	RS netip.AddrPort
}

// smtpStatus is smtp_get_status: exactly three digits followed by a
// space or the end of the line, else -1.
// smtpBuffMax is keepalived's SMTP_BUFF_MAX.
const smtpBuffMax = 512

func smtpStatus(line string) int {
	if len(line) < 3 || (len(line) > 3 && line[3] != ' ') {
		return -1
	}
	n := 0
	for _, c := range line[:3] {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// sockPair is inet_sockaddrtopair: "[addr]:port", no zone.
func sockPair(ap netip.AddrPort) string {
	return fmt.Sprintf("[%s]:%d", ap.Addr().WithZone(""), ap.Port())
}

// smtpConnectFail words a failed connect as smtp_connect_thread and
// smtp_check_thread do: a socket that cannot be set up is no verdict;
// connect(2) itself failing (layer4.c connect_fail) is "Network
// unreachable", the rest come later.
func (s *SMTP) smtpConnectFail(err error) Result {
	if r, ok := setupResult(err, "SMTP_CHECK connection failed to create socket. Rescheduling.", "SMTP_CHECK socket bind failed. Rescheduling."); ok {
		return r
	}
	srv := sockPair(s.Conn.Dst)
	var cf *poller.ConnectFail
	var soe *poller.SockoptError
	switch {
	case errors.As(err, &cf):
		return fail(fmt.Sprintf("Network unreachable for server %s - real server %s",
			s.Conn.Dst.Addr().WithZone(""), sockPair(s.RS)), err)
	case errors.As(err, &soe):
		return fail("Error connecting to server "+srv, err)
	case isTimeout(err):
		return fail("Connection timeout to server "+srv, err)
	}
	return fail("Could not connect to server "+srv, err)
}

// Check bounds the connect and then each read and write by the
// timeout, as check_smtp.c does (not the whole exchange).
func (s *SMTP) Check(ctx context.Context, _ int) Result {
	nc, err := s.Conn.connectTCP(ctx)
	if err != nil {
		return s.smtpConnectFail(err)
	}
	defer nc.Close()
	return s.converse(ctx, nc)
}

// converse is the exchange on a connected socket.
func (s *SMTP) converse(ctx context.Context, nc net.Conn) Result {
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(aLongTimeAgo) })
	defer stop()
	step := func() {
		if s.Conn.Timeout > 0 {
			nc.SetDeadline(time.Now().Add(s.Conn.Timeout))
		}
		if ctx.Err() != nil { // cancelled meanwhile: AfterFunc's deadline stands
			nc.SetDeadline(aLongTimeAgo)
		}
	}
	srv := sockPair(s.Conn.Dst)
	// keepalived reads a line into a 512-byte buffer and, when it fills
	// without a newline, clears it and reads on: memory stays bounded
	// whatever the server sends, and an endless line ends at the step's
	// deadline.
	br := bufio.NewReaderSize(nc, smtpBuffMax-1)
	readLine := func() (string, *Result) {
		step()
		l, err := br.ReadSlice('\n')
		for errors.Is(err, bufio.ErrBufferFull) {
			l, err = br.ReadSlice('\n')
		}
		if err == nil {
			return strings.TrimRight(string(l), "\r\n"), nil
		}
		r := fail("Read failure from server "+srv, err)
		if isTimeout(err) {
			r.Reason = "Read timeout from server " + srv
		}
		return "", &r
	}
	write := func(b []byte) *Result {
		step()
		if _, err := nc.Write(b); err != nil {
			r := fail("Write failure to server "+srv, err)
			if isTimeout(err) {
				r.Reason = "Write timeout to server " + srv
			}
			return &r
		}
		return nil
	}
	l, rerr := readLine()
	if rerr != nil {
		return *rerr
	}
	if smtpStatus(l) != 220 {
		return fail("Bad greeting banner from server "+srv, fmt.Errorf("%q", l))
	}
	if r := write([]byte("HELO " + s.Helo + "\r\n")); r != nil {
		return *r
	}
	if l, rerr = readLine(); rerr != nil {
		return *rerr
	}
	if smtpStatus(l) != 250 {
		return fail("Bad HELO response from server "+srv, fmt.Errorf("%q", l))
	}
	if r := write([]byte("QUIT\r\n")); r != nil {
		return *r
	}
	if _, rerr = readLine(); rerr != nil {
		return *rerr
	}
	return Result{OK: true}
}
