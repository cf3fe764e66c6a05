package vrrpd

import (
	"container/heap"
	"fmt"
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp"
)

// timerQ orders every instance's deadline and pending GARP round, so that
// the loop finds the next one and the due ones without scanning all
// instances: with 1,000 instances spread over the advert interval the
// loop wakes about once per advert.
type timerQ struct {
	advs  instHeap
	garps garpHeap
	seq   uint64 // ties go in the order they were set
}

// set (re)arms ri's timer; a zero at disarms it.
func (q *timerQ) set(ri *rtInst, at time.Time) {
	ri.deadline = at
	if at.IsZero() {
		if ri.hidx > 0 {
			heap.Remove(&q.advs, ri.hidx-1)
		}
		return
	}
	q.seq++
	ri.hseq = q.seq
	if ri.hidx > 0 {
		heap.Fix(&q.advs, ri.hidx-1)
	} else {
		heap.Push(&q.advs, ri)
	}
}

func (q *timerQ) addGARP(ri *rtInst, at time.Time, repeat int) {
	q.seq++
	heap.Push(&q.garps, garpItem{ri: ri, garpDue: garpDue{at: at, repeat: repeat}, seq: q.seq})
}

// next is the earliest pending time, zero if none.
func (q *timerQ) next() time.Time {
	var t time.Time
	if len(q.advs) > 0 {
		t = q.advs[0].deadline
	}
	if len(q.garps) > 0 && (t.IsZero() || q.garps[0].at.Before(t)) {
		t = q.garps[0].at
	}
	return t
}

// popDue returns the earliest entry due by limit: an instance whose
// deadline passed (now disarmed), or a GARP round (garp set).
func (q *timerQ) popDue(limit time.Time) (ri *rtInst, garp *garpDue, ok bool) {
	advDue := len(q.advs) > 0 && !limit.Before(q.advs[0].deadline)
	garpDue := len(q.garps) > 0 && !limit.Before(q.garps[0].at)
	switch {
	case advDue && (!garpDue || !q.garps[0].at.Before(q.advs[0].deadline)):
		ri = heap.Pop(&q.advs).(*rtInst)
		ri.deadline = time.Time{}
		return ri, nil, true
	case garpDue:
		it := heap.Pop(&q.garps).(garpItem)
		return it.ri, &it.garpDue, true
	}
	return nil, nil, false
}

type instHeap []*rtInst

func (h instHeap) Len() int { return len(h) }
func (h instHeap) Less(i, j int) bool {
	if c := h[i].deadline.Compare(h[j].deadline); c != 0 {
		return c < 0
	}
	return h[i].hseq < h[j].hseq
}
func (h instHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].hidx, h[j].hidx = i+1, j+1
}
func (h *instHeap) Push(x any) {
	ri := x.(*rtInst)
	*h = append(*h, ri)
	ri.hidx = len(*h)
}
func (h *instHeap) Pop() any {
	old := *h
	ri := old[len(old)-1]
	old[len(old)-1] = nil
	ri.hidx = 0
	*h = old[:len(old)-1]
	return ri
}

type garpItem struct {
	ri *rtInst
	garpDue
	seq uint64
}

type garpHeap []garpItem

func (h garpHeap) Len() int { return len(h) }
func (h garpHeap) Less(i, j int) bool {
	if c := h[i].at.Compare(h[j].at); c != 0 {
		return c < 0
	}
	return h[i].seq < h[j].seq
}
func (h garpHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *garpHeap) Push(x any)   { *h = append(*h, x.(garpItem)) }
func (h *garpHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = garpItem{}
	*h = old[:len(old)-1]
	return it
}

// fireDue steps every instance whose timer is due and runs due GARP
// rounds, earliest first. Each instance gets the time it is reached, as
// keepalived's vrrp_init_instance_sands re-reads the clock per instance:
// its next advert is due one interval after this one really goes out, not
// after the first of a burst, which keeps many instances spread apart.
// Entries that come due meanwhile wait for the next pass, so a zero
// interval cannot starve the loop.
func (r *Runtime) fireDue() {
	limit := r.deps.Clock.Now()
	if len(r.timers.advs) > 0 {
		r.timersLate(limit, limit.Sub(r.timers.advs[0].deadline))
	}
	for {
		ri, g, ok := r.timers.popDue(limit)
		if !ok {
			return
		}
		if r.byInst[ri.inst] != ri {
			continue // removed by a reload
		}
		now := r.deps.Clock.Now()
		if g == nil {
			r.exec(ri, now, ri.inst.Step(now, vrrp.EventTimer{}))
		} else {
			r.exec(ri, now, ri.inst.Step(now, vrrp.EventGARPDue{Repeat: g.repeat}))
		}
	}
}

type garpDue struct {
	at     time.Time
	repeat int
}

// timersLate is keepalived's thread timeout handler: when the earliest
// timer fires later than the quickest take-over of any instance with
// timer_expired_backup, each such MASTER silent for too long goes to
// BACKUP, with one log line for all.
func (r *Runtime) timersLate(now time.Time, late time.Duration) {
	var quickest time.Duration
	for _, ri := range r.insts {
		if t := ri.inst.TakeoverMin(); t > 0 && (quickest == 0 || t < quickest) {
			quickest = t
		}
	}
	if quickest == 0 || late < quickest {
		return
	}
	logged := false
	for _, ri := range r.insts {
		acts, ok := ri.inst.TimersLate(now)
		if !ok {
			continue
		}
		if !logged {
			us := late.Microseconds()
			r.log.Info(fmt.Sprintf("VRRP thread timer expired %d.%06d seconds ago", us/1_000_000, us%1_000_000))
			logged = true
		}
		r.exec(ri, now, acts)
	}
}
