package probe

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/gokeepalived/gokeepalived/check/probe/internal/poller"
)

// DNS is DNS_CHECK: one UDP query; success is a reply with our ID, QR
// set and RCODE 0. A failure's Reason is check_dns.c's message to
// dns_final ("read error occurred. (rcode = 3)"); the engine adds the
// "DNS_CHECK ([rs]:udp:port) " prefix and any " after N retries".
type DNS struct {
	Conn Conn
	Type uint16
	Name string
}

func (d *DNS) Check(ctx context.Context, _ int) Result {
	ctx, cancel := withTimeout(ctx, d.Conn.Timeout)
	defer cancel()
	name := d.Name
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	qn, err := dnsmessage.NewName(name)
	if err != nil {
		return fail("DNS_CHECK bad name", err)
	}
	id := uint16(rand.Uint32())
	msg := dnsmessage.Message{
		Header:    dnsmessage.Header{ID: id, RecursionDesired: true},
		Questions: []dnsmessage.Question{{Name: qn, Type: dnsmessage.Type(d.Type), Class: dnsmessage.ClassINET}},
	}
	q, err := msg.Pack()
	if err != nil {
		return fail("DNS_CHECK pack", err)
	}
	nc, err := d.Conn.connectUDP()
	if err != nil {
		// dns_connect_thread: no verdict when the socket cannot be set
		// up; the engine adds "DNS_CHECK (rs) " to the last line
		if r, ok := setupResult(err, "failed to create socket. Rescheduling.", "UDP socket bind failed. Rescheduling."); ok {
			return r
		}
		// connect(2) refused it (layer4.c connect_fail)
		return fail("network unreachable for "+sockPair(d.Conn.Dst), err)
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(aLongTimeAgo) })
	defer stop()
	deadline(ctx, nc)
	if _, err := nc.Write(q); err != nil {
		return fail("failed to write socket.", err)
	}
	buf := make([]byte, 4096)
	for {
		n, err := nc.Read(buf)
		if err != nil {
			var errno syscall.Errno
			if !isTimeout(err) && errors.As(err, &errno) {
				// e.g. ICMP port unreachable
				return fail(fmt.Sprintf("failed to read socket; errno %d (%s)", int(errno), poller.Strerror(errno)), err)
			}
			return fail("read timeout from socket", err)
		}
		if r, done := dnsReply(buf[:n], id); done {
			return r
		}
	}
}

// dnsReply judges one datagram: done is false for one check_dns.c
// ignores (short, foreign or a query), and the wait goes on.
func dnsReply(b []byte, id uint16) (r Result, done bool) {
	var p dnsmessage.Parser
	h, err := p.Start(b)
	if err != nil || h.ID != id || !h.Response {
		return Result{}, false
	}
	if h.RCode != dnsmessage.RCodeSuccess {
		return fail(fmt.Sprintf("read error occurred. (rcode = %d)", int(h.RCode)), nil), true
	}
	return Result{OK: true}, true
}
