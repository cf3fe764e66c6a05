package e2e

import (
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/mdlayher/ethernet"
	"github.com/mdlayher/packet"

	"github.com/gokeepalived/gokeepalived/vrrp/vrrptest/nstest"
)

// frame is one captured Ethernet frame.
type frame struct {
	at time.Time
	f  ethernet.Frame
}

// capture records every frame on ns's eth0 (both directions) until the
// test ends.
type capture struct {
	mu     sync.Mutex
	frames []frame
	c      *packet.Conn
}

func startCapture(t *testing.T, ns *nstest.NS) *capture {
	t.Helper()
	cp := &capture{}
	err := ns.Do(func() error {
		ifi, err := net.InterfaceByName(ns.Iface)
		if err != nil {
			return err
		}
		cp.c, err = packet.Listen(ifi, packet.Raw, 0x0003 /* ETH_P_ALL */, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			n, _, err := cp.c.ReadFrom(buf)
			if err != nil {
				return
			}
			var f ethernet.Frame
			if f.UnmarshalBinary(buf[:n]) != nil {
				continue
			}
			f.Payload = append([]byte(nil), f.Payload...)
			cp.mu.Lock()
			cp.frames = append(cp.frames, frame{time.Now(), f})
			cp.mu.Unlock()
		}
	}()
	t.Cleanup(func() { cp.c.Close(); <-done })
	return cp
}

func (cp *capture) snapshot() []frame {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return append([]frame(nil), cp.frames...)
}

// writePcap saves frames as a classic pcap (Ethernet link type).
func writePcap(path string, frames []frame) error {
	var b []byte
	le := func(v uint32) { b = append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24)) }
	le(0xa1b2c3d4)
	b = append(b, 2, 0, 4, 0) // version 2.4
	le(0)
	le(0)
	le(65535)
	le(1) // LINKTYPE_ETHERNET
	for _, fr := range frames {
		data, err := fr.f.MarshalBinary()
		if err != nil {
			return err
		}
		le(uint32(fr.at.Unix()))
		le(uint32(fr.at.Nanosecond() / 1000))
		le(uint32(len(data)))
		le(uint32(len(data)))
		b = append(b, data...)
	}
	return os.WriteFile(path, b, 0o644)
}
