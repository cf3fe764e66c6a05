//go:build race

package vrrpd_test

// raceEnabled: the race detector slows the nodes several times over, so
// takeover-time bounds are asserted in the run without it (make test's
// timed run); under -race only that takeover happens is checked.
const raceEnabled = true
