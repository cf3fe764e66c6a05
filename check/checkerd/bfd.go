package checkerd

import (
	"context"

	checkengine "github.com/gokeepalived/gokeepalived/check"
)

// setBFDEngine makes eng the one BFD changes go to, gives it each BFD
// instance's state as known now (Down if none was reported yet: the BFD
// subsystem reports every instance Down as it starts) and, the first
// time, starts following the BFD subsystem until ctx ends.
func (c *Checker) setBFDEngine(ctx context.Context, eng *checkengine.Engine) {
	if c.bfd == nil {
		return
	}
	c.bfdEng.Store(eng)
	for _, name := range eng.BFDNames() {
		up, _ := c.bfd.State(name)
		eng.BFDChanged(name, up)
	}
	c.bfdFollow.Do(func() {
		// the mailbox has one consumer at a time: this follower ends
		// with the subsystem (Stop), not just with the daemon
		ctx, c.bfdStop = context.WithCancel(ctx)
		c.bfdDone = make(chan struct{})
		go func() {
			defer close(c.bfdDone)
			for {
				select {
				case <-ctx.Done():
					return
				case <-c.bfd.C():
				}
				for _, ev := range c.bfd.Drain() {
					if e := c.bfdEng.Load(); e != nil {
						e.BFDChanged(ev.Name, ev.Up)
					}
				}
			}
		}()
	})
}

func (c *Checker) stopBFD() {
	if c.bfdStop != nil {
		c.bfdStop()
		<-c.bfdDone
	}
}
