package vrrpd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/vrrp"
	"github.com/gokeepalived/gokeepalived/vrrp/packet"
)

type rtSock struct {
	spec   vrrp.SocketSpec
	sock   vrrp.Socket
	demux  *vrrp.Demux
	cancel context.CancelFunc // ends its reader
}

type rxItem struct {
	s  *rtSock
	rx *packet.Received
}

// specOf is the socket an instance receives on. As keepalived's socket
// pool, AH instances have their own (IPv4 protocol 51): a raw socket sees
// only the packets of the protocol it was opened for.
func specOf(g *conf.GlobalDefs, v *conf.VRRPInstance, ic *vrrp.Config, iface string) vrrp.SocketSpec {
	s := vrrp.SocketSpec{Iface: iface, Family: ic.Family, Unicast: v.Unicast, Proto: packet.ProtoVRRP}
	if ic.Family == packet.IPv4 && ic.Version == 2 && ic.AuthType == packet.AuthAH {
		s.Proto = packet.ProtoAH
	}
	if !v.Unicast {
		s.Group = vrrp.GroupOf(g, v)
	}
	return s
}

func (r *Runtime) startReader(s *rtSock) {
	ctx, cancel := context.WithCancel(r.rctx)
	s.cancel = cancel
	r.readers.Add(1)
	go func() {
		defer r.readers.Done()
		r.read(ctx, s)
	}()
}

func (r *Runtime) closeSockets() {
	for _, s := range r.socks {
		s.sock.Close()
	}
}

func (r *Runtime) read(ctx context.Context, s *rtSock) {
	for {
		rx, err := s.sock.Recv(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			r.log.Warn("vrrp socket read", "iface", s.spec.Iface, "err", err)
			select { // don't spin on a persistent error
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		select {
		case r.rx <- rxItem{s: s, rx: rx}:
		case <-ctx.Done():
			return
		}
	}
}

func (r *Runtime) sendAdvert(ri *rtInst, prio uint8) error {
	c := ri.inst.Config()
	adv := vrrp.Advert(c, prio)
	var errs []error
	var io packet.IPv4Options
	// auth_hmac: signed once, one sequence number for every unicast peer.
	sign := ri.inst.Checker().HMACSign()
	if c.Family == packet.IPv4 {
		// As vrrp_update_pkt: one IP ID and one AH sequence number per
		// advert, the same for every unicast peer. The kernel fills in an
		// ID of 0 (and that would break the ICV), so 0 is skipped.
		if ri.ipID++; ri.ipID == 0 {
			ri.ipID++
		}
		io = packet.IPv4Options{ID: ri.ipID, TTL: uint8(ri.ttl), Src: c.SourceAddr,
			V3ChecksumAsV2: c.V3ChecksumAsV2, Unicast: c.Unicast, ChecksumDst: ri.inst.Checker().ChecksumDst(), HMAC: sign}
		if c.AuthType == packet.AuthAH && c.Version == 2 {
			io.AH, io.Key, io.Seq = true, packet.PassKey(c.AuthPass), ri.inst.Checker().NextAHSeq()
		}
	}
	for _, dst := range ri.dsts {
		o := vrrp.Outgoing{Src: c.SourceAddr, Dst: dst, HopLimit: ri.ttl}
		var err error
		if c.Family == packet.IPv4 {
			io.Dst = dst
			o.Data, err = packet.BuildIPv4(&adv, io)
		} else {
			o.Data, err = adv.MarshalSigned(packet.IPv6, packet.ChecksumOptions{Src: c.SourceAddr, Dst: dst}, sign)
		}
		if err == nil {
			err = ri.sock.sock.Send(o)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("to %v: %w", dst, err))
		}
	}
	return errors.Join(errs...)
}
