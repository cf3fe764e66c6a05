package vrrp

import (
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp/packet"
	"github.com/gokeepalived/gokeepalived/vrrp/validate"
)

// ahPair wires two AH instances back to back: every SendAdvert one emits
// is built as the runtime builds it (sequence from the instance's one
// counter) and received by the other, whose answers go back likewise.
type ahPair struct {
	t     *testing.T
	peers map[*Instance]*Instance
	drops map[*Instance][]validate.Reason
	seqs  map[*Instance][]uint32 // sequence numbers each one sent
}

func newAHInst(t *testing.T, src string, prio uint8) *Instance {
	i, _ := newInst(t, func(c *Config) {
		c.AuthType, c.AuthPass = packet.AuthAH, "secret"
		c.SourceAddr, c.Priority = mustAddr(src), prio
	})
	return i
}

func (p *ahPair) link(a, b *Instance) {
	p.peers[a], p.peers[b] = b, a
}

// run delivers from's SendAdverts at now, and the answers, until quiet.
func (p *ahPair) run(now time.Time, from *Instance, acts []Action) {
	p.t.Helper()
	for _, a := range acts {
		s, ok := a.(SendAdvert)
		if !ok {
			continue
		}
		c := from.Config()
		seq := from.Checker().NextAHSeq()
		p.seqs[from] = append(p.seqs[from], seq)
		adv := Advert(c, s.Priority)
		b, err := packet.BuildIPv4(&adv, packet.IPv4Options{ID: 1, Src: c.SourceAddr, Dst: packet.IPv4Group,
			AH: true, Key: packet.PassKey(c.AuthPass), Seq: seq})
		if err != nil {
			p.t.Fatal(err)
		}
		rx, err := packet.DecodeIPv4(b)
		if err != nil {
			p.t.Fatal(err)
		}
		to := p.peers[from]
		if to == nil {
			continue // nobody listening
		}
		got, res := to.Receive(now, rx)
		if res.Reason != validate.OK {
			p.drops[to] = append(p.drops[to], res.Reason)
		}
		p.run(now, to, got)
	}
}

// timer fires i's timer at its deadline and delivers what it sends.
func (p *ahPair) timer(i *Instance) time.Time {
	now := i.Deadline()
	p.run(now, i, i.Step(now, EventTimer{}))
	return now
}

// keepalived keeps one AH sequence number per instance for sending and
// receiving (vrrp_in_chk_ipsecah, vrrp_update_pkt): a new master goes on
// from what it received, a restarted master (counter back to 0) is
// dropped until the backup takes over and it then jumps past the
// backup's number (vrrp_state_master_rx), and a restarted node that
// hears the current master before it preempts is accepted at once.
func TestAHSequenceOneCounter(t *testing.T) {
	p := &ahPair{t: t, peers: map[*Instance]*Instance{}, drops: map[*Instance][]validate.Reason{},
		seqs: map[*Instance][]uint32{}}
	a := newAHInst(t, "192.168.200.3", 200)
	b := newAHInst(t, "192.168.200.2", 100)
	p.link(a, b)
	a.Start(t0, true)
	b.Start(t0, true)
	p.timer(a) // a's down timer expires first
	for range 5 {
		if b.Deadline().Before(a.Deadline()) {
			t.Fatal("b would time out while a is master")
		}
		p.timer(a)
	}
	if a.State() != StateMaster || b.State() != StateBackup || len(p.drops[b]) != 0 {
		t.Fatalf("a %v, b %v, b dropped %v", a.State(), b.State(), p.drops[b])
	}
	if a.Checker().AHSeq() != 6 || b.Checker().AHSeq() != 6 {
		t.Fatalf("after 6 adverts: a's seq %d, b's %d; want both 6", a.Checker().AHSeq(), b.Checker().AHSeq())
	}

	// a restarts at once (SIGKILL and start): a fresh counter, and its
	// down timer runs out before b's.
	restart := a.Deadline().Add(-900 * time.Millisecond) // 100 ms after its last advert
	a2 := newAHInst(t, "192.168.200.3", 200)
	p.link(a2, b)
	a2.Start(restart, true)
	if !a2.Deadline().Before(b.Deadline()) {
		t.Fatal("test set-up: a2 should time out before b")
	}
	p.timer(a2)
	if a2.State() != StateMaster || b.State() != StateBackup {
		t.Fatalf("a2 %v, b %v", a2.State(), b.State())
	}
	if len(p.drops[b]) != 1 || p.drops[b][0] != validate.AHAuth || p.seqs[a2][0] != 1 {
		t.Fatalf("a2 sent %v, b dropped %v: want seq 1 dropped as already processed", p.seqs[a2], p.drops[b])
	}
	// b does not hear a2 and takes over; a2 hears b's lower priority,
	// syncs past it, and b accepts a2 again and yields.
	p.timer(b)
	if a2.State() != StateMaster || b.State() != StateBackup {
		t.Fatalf("after b's takeover attempt: a2 %v, b %v; want a2 MASTER, b BACKUP", a2.State(), b.State())
	}
	if got := p.seqs[b]; len(got) != 1 || got[0] != 7 {
		t.Fatalf("b sent %v, want [7]", got)
	}
	if got := p.seqs[a2]; len(got) != 2 || got[1] != 9 {
		t.Fatalf("a2 sent %v, want [1 9] (b's 7, +1 on the sync, +1 on send)", got)
	}
	if n := len(p.drops[a2]); n != 0 {
		t.Fatalf("a2 dropped %v", p.drops[a2])
	}
	p.timer(a2)
	if len(p.drops[b]) != 1 || b.Checker().AHSeq() != 10 {
		t.Fatalf("b dropped %v, seq %d; want a2's 10 accepted", p.drops[b], b.Checker().AHSeq())
	}

	// a2 leaves cleanly (priority 0); b takes over and goes on from 10;
	// a restarted a3 (counter 0) accepts b's adverts as BACKUP and
	// preempts with the next number, which b accepts.
	p.run(b.Deadline(), a2, a2.Step(a2.Deadline(), EventShutdown{}))
	p.timer(b)
	if b.State() != StateMaster || p.seqs[b][len(p.seqs[b])-1] != 12 {
		t.Fatalf("b %v sent %v; want MASTER going on from a2's 11", b.State(), p.seqs[b])
	}
	a3 := newAHInst(t, "192.168.200.3", 200)
	p.link(a3, b)
	a3.Start(b.Deadline().Add(-100*time.Millisecond), true)
	for b.Deadline().Before(a3.Deadline()) {
		p.timer(b)
	}
	if a3.Checker().AHSeq() != b.Checker().AHSeq() || len(p.drops[a3]) != 0 {
		t.Fatalf("a3 seq %d, b %d, a3 dropped %v", a3.Checker().AHSeq(), b.Checker().AHSeq(), p.drops[a3])
	}
	p.timer(a3)
	if a3.State() != StateMaster || b.State() != StateBackup || len(p.drops[b]) != 1 {
		t.Fatalf("a3 %v, b %v, b dropped %v: want a3 preempting", a3.State(), b.State(), p.drops[b])
	}
}

// At the top of the range keepalived stops counting and starts again from
// 0 when it next becomes MASTER; an accepted advert clears that.
func TestAHSequenceCycle(t *testing.T) {
	i := newAHInst(t, "192.168.200.3", 200)
	c := i.Checker()
	c.SetAHSeq(0xFFFFFFFD)
	if s := c.NextAHSeq(); s != 0xFFFFFFFE || c.AHCycled() {
		t.Fatalf("%#x %v", s, c.AHCycled())
	}
	if s := c.NextAHSeq(); s != 0xFFFFFFFE || !c.AHCycled() {
		t.Fatalf("%#x %v: want the number held and the cycle flagged", s, c.AHCycled())
	}
	toMaster(t, i)
	if c.AHCycled() || c.AHSeq() != 0 {
		t.Fatalf("on becoming MASTER: seq %d cycled %v; want the counter restarted", c.AHSeq(), c.AHCycled())
	}
	if s := c.NextAHSeq(); s != 1 {
		t.Fatalf("first advert after the restart: %d", s)
	}
}
