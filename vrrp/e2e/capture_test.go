package e2e

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mdlayher/ethernet"
	"github.com/mdlayher/packet"

	"github.com/gokeepalived/gokeepalived/vrrp/internal/nstest"
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
