// Package lograte bounds how often one kind of log line is written, so
// that a flood of bad packets cannot turn into a flood of log lines (and
// stall the loop that writes them). The first lines of a kind always
// pass; after that one per interval does, and the next line that passes
// is preceded by how many were held back.
package lograte

import "time"

// Limiter is a token bucket per key (a kind of line, e.g. its format
// string). Not safe for concurrent use: each owner keeps its own.
type Limiter struct {
	// Burst lines of a kind pass at once; then one per Every.
	Burst int
	Every time.Duration
	m     map[string]*bucket
}

type bucket struct {
	tokens     float64
	last       time.Time
	suppressed uint64
}

// Default is the rate used for dropped adverts: 5 lines, then one every
// 2 seconds, per kind.
func Default() *Limiter { return &Limiter{Burst: 5, Every: 2 * time.Second} }

// Allow reports whether a line of kind key may be written at now, and,
// when it may, how many lines of that kind were suppressed since the
// last one written (the caller says so first).
func (l *Limiter) Allow(key string, now time.Time) (ok bool, suppressed uint64) {
	if l.m == nil {
		l.m = map[string]*bucket{}
	}
	b := l.m[key]
	if b == nil {
		b = &bucket{tokens: float64(l.Burst), last: now}
		l.m[key] = b
	}
	if d := now.Sub(b.last); d > 0 && l.Every > 0 {
		b.tokens = min(float64(l.Burst), b.tokens+float64(d)/float64(l.Every))
	}
	b.last = now
	if b.tokens < 1 {
		b.suppressed++
		return false, 0
	}
	b.tokens--
	s := b.suppressed
	b.suppressed = 0
	return true, s
}
