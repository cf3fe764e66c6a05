package conf

import "testing"

func TestInetAton(t *testing.T) {
	for s, want := range map[string]bool{"00": true, "2147483648": true, "10.1": true, "0x7f.1": true, "1.2.3.4": true,
		"1.2.3.256": false, "1.2.3.4.5": false, "08": false, "abc": false, "": false, "1..2": false, "4294967296": false, "1.65536": true, "1.16777216": false} {
		if got := inetAton(s); got != want {
			t.Errorf("inetAton(%q) = %v", s, got)
		}
	}
}
