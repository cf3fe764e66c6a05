package sched

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkDispatch measures scheduler overhead per job run: 10,000
// jobs re-queueing themselves with delay 0 on 4 workers.
func BenchmarkDispatch(b *testing.B) {
	s := New(Real{}, 4)
	var runs atomic.Int64
	target := int64(b.N)
	done := make(chan struct{})
	for range 10000 {
		s.Add(0, func(context.Context) time.Duration {
			if runs.Add(1) == target {
				close(done)
			}
			return 0
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.ReportAllocs()
	b.ResetTimer()
	go s.Run(ctx)
	<-done
	b.StopTimer()
	cancel()
}
