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
		// keepalived reads the value with strtol: leading number only
		s := strings.TrimSpace(string(b))
		end := 0
		for end < len(s) && (s[end] >= '0' && s[end] <= '9' || end == 0 && (s[0] == '-' || s[0] == '+')) {
			end++
		}
		v, _ = strconv.ParseInt(s[:end], 10, 64)
	}
	return FileValue(v, f.Weight, f.Reverse)
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
