package bfd

import "sync"

// Event is a BFD instance going Up or Down.
type Event struct {
	Name string
	Up   bool
}

// maxQueued bounds a mailbox; past it the consumer gets every instance's
// latest state instead of the events in between.
const maxQueued = 4096

// Mailbox carries events from the BFD engine to one consumer (the VRRP
// loop, the checker) without the engine ever waiting on it: events queue
// under a short lock, C is signalled, and the consumer Drains them.
type Mailbox struct {
	mu       sync.Mutex
	q        []Event
	latest   map[string]bool
	overflow bool
	c        chan struct{}
}

// NewMailbox returns an empty mailbox.
func NewMailbox() *Mailbox {
	return &Mailbox{latest: map[string]bool{}, c: make(chan struct{}, 1)}
}

// C is signalled when events wait.
func (m *Mailbox) C() <-chan struct{} { return m.c }

func (m *Mailbox) put(ev Event) {
	m.mu.Lock()
	m.latest[ev.Name] = ev.Up
	if len(m.q) < maxQueued {
		m.q = append(m.q, ev)
	} else {
		m.overflow = true
	}
	m.mu.Unlock()
	select {
	case m.c <- struct{}{}:
	default:
	}
}

// Drain returns the waiting events, in order.
func (m *Mailbox) Drain() []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	q := m.q
	m.q = nil
	if m.overflow {
		m.overflow = false
		q = q[:0]
		for n, up := range m.latest {
			q = append(q, Event{Name: n, Up: up})
		}
	}
	return q
}

// Catchup empties the mailbox and returns each instance's latest state
// instead: for a consumer (re)starting, to which the events before it
// are history.
func (m *Mailbox) Catchup() []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.q, m.overflow = nil, false
	out := make([]Event, 0, len(m.latest))
	for n, up := range m.latest {
		out = append(out, Event{Name: n, Up: up})
	}
	return out
}

// State is an instance's latest state, and whether it was ever reported.
func (m *Mailbox) State(name string) (up, known bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	up, known = m.latest[name]
	return
}

// Hub fans the engine's changes out to the VRRP and checker mailboxes
// as each instance's vrrp/checker keywords say.
type Hub struct {
	VRRP, Checker *Mailbox
}

// NewHub returns a hub with its two mailboxes.
func NewHub() *Hub { return &Hub{VRRP: NewMailbox(), Checker: NewMailbox()} }

// BFDChanged is the engine's Sink.
func (h *Hub) BFDChanged(name string, up, vrrp, checker bool) {
	if vrrp {
		h.VRRP.put(Event{name, up})
	}
	if checker {
		h.Checker.put(Event{name, up})
	}
}
