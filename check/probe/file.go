package probe

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/gokeepalived/gokeepalived/internal/trackfile"
)

// File is FILE_CHECK: the tracked file holds a number. With weight 0 a
// non-zero value is down; otherwise value×weight (negated with reverse)
// is the weight contribution, and a product at or below INT32_MIN
// (keepalived's IPVS_WEIGHT_FAULT) is down.
type File struct {
	Path    string
	Weight  int64
	Reverse bool
	last    atomic.Int64 // an out-of-range number keeps the last value
}

// Check reads the file as the VRRP track_file does (vrrp/trackfile:
// strtol base 0, a missing file is 0).
func (f *File) Check(context.Context, int) Result {
	v, ok := trackfile.Read(f.Path)
	if !ok {
		v = f.last.Load()
	}
	f.last.Store(v)
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
