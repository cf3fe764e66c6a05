//go:build race

package main

// raceEnabled: the race detector slows the 37k-real-server reload test
// about fourfold, so it runs at a smaller scale there.
const raceEnabled = true
