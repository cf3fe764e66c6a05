package probe

import (
	"bufio"
	"context"
	"fmt"
	"net/textproto"
)

// SMTP is SMTP_CHECK: expect a 220 greeting, send HELO, expect 250,
// send QUIT and expect 221.
type SMTP struct {
	Conn Conn
	Helo string
}

func (s *SMTP) Check(ctx context.Context, _ int) Result {
	ctx, cancel := withTimeout(ctx, s.Conn.Timeout)
	defer cancel()
	nc, err := s.Conn.dial(ctx, "tcp")
	if err != nil {
		return fail("SMTP connection failed", err)
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(aLongTimeAgo) })
	defer stop()
	deadline(ctx, nc)
	tp := textproto.NewReader(bufio.NewReader(nc))
	expect := func(code int, what string) error {
		// ReadResponse handles multi-line "250-..." replies.
		got, msg, err := tp.ReadResponse(0)
		if err != nil && got == 0 {
			return fmt.Errorf("%s: %w", what, err)
		}
		if got != code {
			return fmt.Errorf("%s: got %d %s, want %d", what, got, msg, code)
		}
		return nil
	}
	if err := expect(220, "greeting"); err != nil {
		return fail("SMTP_CHECK bad reply", err)
	}
	if _, err := fmt.Fprintf(nc, "HELO %s\r\n", s.Helo); err != nil {
		return fail("SMTP_CHECK write failed", err)
	}
	if err := expect(250, "HELO"); err != nil {
		return fail("SMTP_CHECK bad reply", err)
	}
	if _, err := nc.Write([]byte("QUIT\r\n")); err != nil {
		return fail("SMTP_CHECK write failed", err)
	}
	if err := expect(221, "QUIT"); err != nil {
		return fail("SMTP_CHECK bad reply", err)
	}
	return Result{OK: true}
}
