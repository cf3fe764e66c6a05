package state

import (
	"testing"
	"time"
)

// BenchmarkSteadyState is one check result on a healthy checker of a
// 1000-server pool: it must not allocate.
func BenchmarkSteadyState(b *testing.B) {
	w := make([]uint32, 1000)
	for i := range w {
		w[i] = 1
	}
	v := pool(false, 1, 0, true, false, w...)
	ids := make([]int, len(w))
	for i := range w {
		ids[i] = v.AddChecker(i, true)
	}
	v.Init()
	v.Events()
	c := NewChecker(Timing{Retry: 1, DelayLoop: time.Second, DelayBeforeRetry: time.Second})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_, verdict, _ := c.Result(true)
		if verdict == WentUp || verdict == WentDown {
			v.SetChecker(i%len(w), ids[i%len(w)], c.Up)
		}
	}
}
