package lograte

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	l := &Limiter{Burst: 3, Every: time.Second}
	t0 := time.Unix(100, 0)
	passed := 0
	// 1,000 lines in 100 ms: the burst passes, the rest is held back.
	for i := 0; i < 1000; i++ {
		if ok, _ := l.Allow("a", t0.Add(time.Duration(i)*100*time.Microsecond)); ok {
			passed++
		}
	}
	if passed != 3 {
		t.Fatalf("%d of a burst passed, want 3", passed)
	}
	// Another kind has its own bucket.
	if ok, _ := l.Allow("b", t0.Add(100*time.Millisecond)); !ok {
		t.Fatal("a different kind was held back")
	}
	// A second later one line passes and carries the count held back.
	ok, n := l.Allow("a", t0.Add(1100*time.Millisecond))
	if !ok || n != 997 {
		t.Fatalf("after 1 s: ok=%v suppressed=%d, want true 997", ok, n)
	}
	// A sustained flood of 10 s at 5,000/s lets through about one per second.
	passed = 0
	for i := 0; i < 50000; i++ {
		if ok, _ := l.Allow("a", t0.Add(2*time.Second+time.Duration(i)*200*time.Microsecond)); ok {
			passed++
		}
	}
	if passed < 9 || passed > 11 {
		t.Fatalf("%d lines passed in a 10 s flood at 1/s", passed)
	}
	// Quiet for long enough refills the whole burst, no more.
	passed = 0
	for i := 0; i < 10; i++ {
		if ok, _ := l.Allow("a", t0.Add(time.Hour)); ok {
			passed++
		}
	}
	if passed != 3 {
		t.Fatalf("%d passed after an hour of quiet, want the burst of 3", passed)
	}
}
