package probe

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// File is FILE_CHECK: the tracked file holds a number. With weight 0 a
// non-zero value is down; otherwise value×weight (negated with reverse)
// is the weight contribution, and a product at or below INT32_MIN
// (keepalived's IPVS_WEIGHT_FAULT) is down.
type File struct {
	Path    string
	Weight  int64
	Reverse bool
}

func (f *File) Check(context.Context, int) Result {
	v := int64(0)
	if b, err := os.ReadFile(f.Path); err == nil {
		v = leadingInt(string(b))
	}
	return FileValue(v, f.Weight, f.Reverse)
}

// leadingInt reads a number the way strtol does: leading blanks, an
// optional sign, digits; anything else ends it; no digits is 0. Values
// beyond int64 saturate.
func leadingInt(s string) int64 {
	s = strings.TrimLeft(s, " \t\n\r\v\f")
	end := 0
	if end < len(s) && (s[0] == '-' || s[0] == '+') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	v, _ := strconv.ParseInt(s[:end], 10, 64) // saturates on overflow
	return v
}

// FileValue applies the FILE_CHECK rules to a value.
func FileValue(v, weight int64, reverse bool) Result {
	if weight == 0 {
		if v != 0 {
			return fail("FILE_CHECK", fmt.Errorf("value %d", v))
		}
		return Result{OK: true}
	}
	p := v * weight
	if reverse {
		p = -p
	}
	if p <= math.MinInt32 {
		return fail("FILE_CHECK", fmt.Errorf("value %d × weight %d", v, weight))
	}
	return Result{OK: true, Weight: &p}
}
