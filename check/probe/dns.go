package probe

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

// DNS is DNS_CHECK: one UDP query; success is a reply with our ID, QR
// set and RCODE 0.
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
	nc, err := d.Conn.dial(ctx, "udp")
	if err != nil {
		return fail("DNS_CHECK failed to connect", err)
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(aLongTimeAgo) })
	defer stop()
	deadline(ctx, nc)
	if _, err := nc.Write(q); err != nil {
		return fail("DNS_CHECK write failed", err)
	}
	buf := make([]byte, 4096)
	for {
		n, err := nc.Read(buf)
		if err != nil {
			return fail("read timeout from socket", err)
		}
		var p dnsmessage.Parser
		h, err := p.Start(buf[:n])
		if err != nil || h.ID != id || !h.Response {
			continue // check_dns.c ignores short, foreign and query messages
		}
		if h.RCode != dnsmessage.RCodeSuccess {
			return fail("read error occurred.", fmt.Errorf("rcode = %d", h.RCode))
		}
		return Result{OK: true}
	}
}
