package conf

import "time"

// slab hands out values of one type from shared chunks. A big config has
// tens of thousands of real servers and checkers, each with a few small
// parts (connection options, a url, timers set by pointer); one
// allocation apiece was much of the decoding time and of the GC's work.
// The model keeps them all to the end anyway, so sharing chunks costs no
// memory that would otherwise be freed.
type slab[T any] struct {
	free []T
	next int // size of the next chunk
}

func (s *slab[T]) new() *T {
	if len(s.free) == 0 {
		// start small so a small config does not pay for big chunks
		s.next = min(max(2*s.next, 8), 512)
		s.free = make([]T, s.next)
	}
	p := &s.free[0]
	s.free = s.free[1:]
	return p
}

// one is []T{v} with no room to grow: an append to it reallocates rather
// than writing into the slab.
func (s *slab[T]) one(v T) []T {
	return append(s.list(1), v)
}

// append is append(l, v), taking a first element's slice from the slab.
func (s *slab[T]) append(l []T, v T) []T {
	if cap(l) == 0 {
		return s.one(v)
	}
	return append(l, v)
}

// list is an empty slice with room for n, from the slab when n is small.
func (s *slab[T]) list(n int) []T {
	if n > 64 {
		return make([]T, 0, n)
	}
	if len(s.free) < n {
		s.next = min(max(2*s.next, 8, n), 512)
		s.free = make([]T, s.next)
	}
	l := s.free[:0:n]
	s.free = s.free[n:]
	return l
}

// decodeMem holds the slabs of one decoding.
type decodeMem struct {
	vs       slab[VirtualServer]
	rs       slab[RealServer]
	checkers slab[Checker]
	conns    slab[ConnOpts]
	https    slab[HTTPCheck]
	urls     slab[URLCheck]
	durs     slab[time.Duration]
	u32s     slab[uint32]
	rsLists  slab[*RealServer]
	cLists   slab[*Checker]
	urlLists slab[*URLCheck]
	codes    slab[StatusRange]
}

// dur is &v, from the slab.
func (m *decodeMem) dur(v time.Duration) *time.Duration {
	p := m.durs.new()
	*p = v
	return p
}

// u32 is &v, from the slab.
func (m *decodeMem) u32(v uint32) *uint32 {
	p := m.u32s.new()
	*p = v
	return p
}
