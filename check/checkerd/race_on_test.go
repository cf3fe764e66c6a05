//go:build race

package checkerd

// raceEnabled: the race detector slows 40,000 checks a second past their
// schedule, so the latency test runs at a smaller scale there.
const raceEnabled = true
