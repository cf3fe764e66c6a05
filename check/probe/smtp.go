package probe

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
)

// SMTP is SMTP_CHECK as check_smtp.c does it: read one line that must
// be "220 …", send HELO, read one line that must be "250 …", send QUIT
// and read any one line. A multi-line "220-" banner fails, as there.
type SMTP struct {
	Conn Conn
	Helo string
}

// smtpStatus is smtp_get_status: exactly three digits followed by a
// space or the end of the line, else -1.
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
	br := bufio.NewReaderSize(nc, 512)
	readLine := func() (string, error) {
		l, err := br.ReadString('\n')
		if err != nil {
			return "", err
		}
		return strings.TrimRight(l, "\r\n"), nil
	}
	l, err := readLine()
	if err != nil {
		return fail("SMTP_CHECK read error", err)
	}
	if smtpStatus(l) != 220 {
		return fail("Bad greeting banner from server", fmt.Errorf("%q", l))
	}
	if _, err := fmt.Fprintf(nc, "HELO %s\r\n", s.Helo); err != nil {
		return fail("SMTP_CHECK write error", err)
	}
	if l, err = readLine(); err != nil {
		return fail("SMTP_CHECK read error", err)
	}
	if smtpStatus(l) != 250 {
		return fail("Bad HELO response from server", fmt.Errorf("%q", l))
	}
	if _, err := nc.Write([]byte("QUIT\r\n")); err != nil {
		return fail("SMTP_CHECK write error", err)
	}
	if _, err := readLine(); err != nil {
		return fail("SMTP_CHECK read error", errors.Join(errors.New("no QUIT reply"), err))
	}
	return Result{OK: true}
}
