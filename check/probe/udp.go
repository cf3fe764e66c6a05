package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/gokeepalived/gokeepalived/conf"
)

// UDP is UDP_CHECK: send the payload; with require_reply a matching
// reply is needed; without, silence until the timeout is success and
// only an ICMP error (ECONNREFUSED on a connected socket) is failure.
type UDP struct {
	Conn Conn
	Opts conf.UDPCheck
}

func (u *UDP) Check(ctx context.Context, _ int) Result {
	ctx, cancel := withTimeout(ctx, u.Conn.Timeout)
	defer cancel()
	nc, err := u.Conn.dial(ctx, "udp")
	if err != nil {
		return fail("UDP connection failed.", err)
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(aLongTimeAgo) })
	defer stop()
	deadline(ctx, nc)
	payload := u.Opts.Payload
	if len(payload) == 0 {
		payload = []byte{0}
	}
	if _, err := nc.Write(payload); err != nil {
		return fail("UDP connection failed.", err)
	}
	buf := make([]byte, 65536)
	n, err := nc.Read(buf)
	if err != nil {
		var ne net.Error
		if !u.Opts.RequireReply && errors.As(err, &ne) && ne.Timeout() && !errors.Is(err, syscall.ECONNREFUSED) {
			return Result{OK: true}
		}
		return fail("UDP connection failed.", err)
	}
	if u.Opts.RequireReply && !u.replyMatches(buf[:n]) {
		return fail("UDP check reply data mismatch.", fmt.Errorf("%d bytes", n))
	}
	return Result{OK: true}
}

// replyMatches is check_udp_reply: length bounds, then the first
// min(len, reply length) bytes against the expected reply, where
// ReplyMask marks wildcard nibbles (a shorter reply is only compared
// as far as it goes).
func (u *UDP) replyMatches(b []byte) bool {
	o := u.Opts
	if len(b) < int(o.MinReplyLength) || (o.MaxReplyLength != 0 && len(b) > int(o.MaxReplyLength)) {
		return false
	}
	for i, want := range o.Reply[:min(len(b), len(o.Reply))] {
		var mask byte = 0xff
		if i < len(o.ReplyMask) {
			mask = ^o.ReplyMask[i]
		}
		if b[i]&mask != want&mask {
			return false
		}
	}
	return true
}
