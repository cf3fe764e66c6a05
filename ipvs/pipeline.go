package ipvs

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
)

var _ Pipeliner = (*Conn)(nil)

// pipelineDepth bounds the requests written by one sendmsg. Their ACKs
// queue on our socket until read; 64 (at most ~200 KB of skbs with the
// echoed requests of error ACKs) stays under the default receive
// buffer, where an overflow would drop ACKs.
const pipelineDepth = 64

// editRequest builds the message of e and names it for errors.
func editRequest(e Edit) (op, obj string, m genetlink.Message, err error) {
	k := e.Service.ServiceKey
	switch e.Kind {
	case EditNewService:
		m, err = serviceRequest(cmdNewService, e.Service)
		return "new-service", k.String(), m, err
	case EditSetService:
		m, err = serviceRequest(cmdSetService, e.Service)
		return "set-service", k.String(), m, err
	case EditDelService:
		m, err = serviceRequest(cmdDelService, Service{ServiceKey: k})
		return "del-service", k.String(), m, err
	case EditNewDest:
		m, err = destRequest(cmdNewDest, k, e.Dest)
		return "new-dest", k.String() + " -> " + e.Dest.Key().String(), m, err
	case EditSetDest:
		m, err = destRequest(cmdSetDest, k, e.Dest)
		return "set-dest", k.String() + " -> " + e.Dest.Key().String(), m, err
	case EditDelDest:
		m, err = destRequest(cmdDelDest, k, Destination{Addr: e.Dest.Addr, Port: e.Dest.Port})
		return "del-dest", k.String() + " -> " + e.Dest.Key().String(), m, err
	}
	return "edit", k.String(), m, fmt.Errorf("ipvs: unknown edit kind %d", e.Kind)
}

// Edits applies es in order. On a socket from Open it writes up to
// pipelineDepth requests per sendmsg and then reads their ACKs: the
// kernel handles the messages of one write one by one, in order, acking
// each (netlink_rcv_skb), so the outcome is that of sequential calls.
func (c *Conn) Edits(es []Edit) []error {
	errs := make([]error, len(es))
	for start := 0; start < len(es); start += pipelineDepth {
		end := min(start+pipelineDepth, len(es))
		if c.nl == nil {
			for i := start; i < end; i++ {
				op, obj, m, err := editRequest(es[i])
				errs[i] = c.set(op, obj, m, err)
			}
			continue
		}
		c.pipeline(es[start:end], errs[start:end])
	}
	return errs
}

func (c *Conn) pipeline(es []Edit, errs []error) {
	type pending struct {
		i       int
		op, obj string
	}
	msgs := make([]netlink.Message, 0, len(es))
	sent := make([]pending, 0, len(es))
	for i, e := range es {
		op, obj, m, err := editRequest(e)
		if err == nil {
			var b []byte
			if b, err = m.MarshalBinary(); err == nil {
				msgs = append(msgs, netlink.Message{
					Header: netlink.Header{Type: netlink.HeaderType(c.fam), Flags: netlink.Request | netlink.Acknowledge},
					Data:   b,
				})
				sent = append(sent, pending{i, op, obj})
				continue
			}
		}
		errs[i] = &OpError{Op: op, Obj: obj, Err: err}
	}
	if len(msgs) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	msgs, err := c.nl.SendMessages(msgs)
	for k, p := range sent {
		if err != nil {
			errs[p.i] = &OpError{Op: p.op, Obj: p.obj, Err: err}
			continue
		}
		var r []netlink.Message
		r, err = c.nl.Receive()
		var errno syscall.Errno
		var sockErr *os.SyscallError // e.g. recvmsg ENOBUFS: ACKs were lost
		switch {
		case err != nil && errors.As(err, &errno) && !errors.As(err, &sockErr):
			// The kernel's answer to this request; the next ACKs follow.
			errs[p.i] = &OpError{Op: p.op, Obj: p.obj, Err: err}
			err = nil
		case err != nil:
			// The socket failed: the remaining ACKs cannot be matched.
			errs[p.i] = &OpError{Op: p.op, Obj: p.obj, Err: err}
		case len(r) != 1 || r[0].Header.Sequence != msgs[k].Header.Sequence:
			err = fmt.Errorf("ipvs: pipelined reply out of step: %d messages, sequence %v, want %d", len(r), seqs(r), msgs[k].Header.Sequence)
			errs[p.i] = &OpError{Op: p.op, Obj: p.obj, Err: err}
		}
	}
}

func seqs(ms []netlink.Message) []uint32 {
	out := make([]uint32, len(ms))
	for i, m := range ms {
		out[i] = m.Header.Sequence
	}
	return out
}
