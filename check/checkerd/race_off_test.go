//go:build !race

package checkerd

const raceEnabled = false
