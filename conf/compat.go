package conf

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

// Version is a keepalived release. Where keepalived's releases differ in
// what they say about a config or do with it, gokeepalived follows the
// one selected with --compat (Options.Compat); the zero Version means
// Newest.
type Version struct{ Major, Minor, Patch int }

// The releases gokeepalived is checked against: Debian 12's and
// upstream's newest.
var (
	Oldest = Version{2, 2, 7}
	Newest = Version{2, 4, 3}
)

// ParseVersion reads "2.2.7" (a leading "v" is allowed) and refuses a
// release outside Oldest..Newest.
func ParseVersion(s string) (Version, error) {
	parts := strings.Split(strings.TrimPrefix(s, "v"), ".")
	if len(parts) != 3 {
		return Version{}, fmt.Errorf("keepalived version %q: want MAJOR.MINOR.PATCH, e.g. %s", s, Oldest)
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || v > 255 {
			return Version{}, fmt.Errorf("keepalived version %q: %q is not a number", s, p)
		}
		n[i] = v
	}
	v := Version{n[0], n[1], n[2]}
	if v.Less(Oldest) || Newest.Less(v) {
		return Version{}, fmt.Errorf("keepalived version %s: gokeepalived follows %s to %s", v, Oldest, Newest)
	}
	return v, nil
}

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// IsZero reports the unset Version.
func (v Version) IsZero() bool { return v == Version{} }

// Less orders releases.
func (v Version) Less(w Version) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	if v.Minor != w.Minor {
		return v.Minor < w.Minor
	}
	return v.Patch < w.Patch
}

// AtLeast reports whether v is release major.minor.patch or later; the
// zero Version is Newest.
func (v Version) AtLeast(major, minor, patch int) bool {
	if v.IsZero() {
		v = Newest
	}
	return !v.Less(Version{major, minor, patch})
}

// setString stores s's first argument in *dst as keepalived's set_string
// does: from 2.2.8 on, replacing a value is reported.
func (d *decoder) setString(dst *string, s *syntax.Stmt, what string) {
	v := s.Words[1].Text
	if *dst != "" && d.opt.Compat.AtLeast(2, 2, 8) {
		d.errorf(s, 1, "Duplicate %s - overwriting %s with %s", what, *dst, v)
	}
	*dst = v
}
