package control

import (
	"testing"
	"time"
)

func TestDrainRequestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		undrain bool
		timeout time.Duration
	}{{false, 0}, {false, 90 * time.Second}, {true, 0}} {
		req := DrainRequest(tc.undrain, "[2001:db8::1]:80/tcp", "[2001:db8::11]:80", tc.timeout)
		u, vs, rs, to, err := ParseDrainRequest(req)
		if err != nil || u != tc.undrain || vs != "[2001:db8::1]:80/tcp" || rs != "[2001:db8::11]:80" || to != tc.timeout {
			t.Errorf("%q: %v %q %q %v %v", req, u, vs, rs, to, err)
		}
	}
	for _, bad := range []string{"drain", "drain a", "drain a b c d", "undrain a b 5s", "drain a b soon"} {
		if _, _, _, _, err := ParseDrainRequest(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for in, want := range map[string]time.Duration{"300": 300 * time.Second, "5m": 5 * time.Minute, "1.5s": 1500 * time.Millisecond} {
		if got, err := ParseTimeout(in); err != nil || got != want {
			t.Errorf("ParseTimeout(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseTimeout("-1s"); err == nil {
		t.Error("a negative timeout accepted")
	}
}
