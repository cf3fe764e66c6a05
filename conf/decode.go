package conf

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

// handler decodes one statement into the model.
type handler func(d *decoder, s *syntax.Stmt)

// kw is a keyword of a block. block marks keywords that need a { } after
// them (sub-blocks and value blocks alike).
type kw struct {
	fn    handler
	block bool
}

// table is the keyword table of one block.
type table map[string]kw

// decoder walks the statement tree with one table per block, as
// keepalived's install_keyword tables do.
type decoder struct {
	diags *syntax.Diags
	cfg   *Config
	opt   Options
}

func (d *decoder) add(pos syntax.Pos, k syntax.Kind, format string, args ...any) {
	d.diags.Add(pos, k, format, args...)
}

// errorf reports a config error at word i of s (keepalived's
// CONFIG_GENERAL_ERROR).
func (d *decoder) errorf(s *syntax.Stmt, i int, format string, args ...any) {
	d.diags.Add(s.WordPos(i), syntax.GeneralError, format, args...)
}

// warnf reports something keepalived logs as a warning; it still counts
// for --config-test, as in keepalived.
func (d *decoder) warnf(s *syntax.Stmt, i int, format string, args ...any) {
	d.diags.Add(s.WordPos(i), syntax.Warning, format, args...)
}

// deprecated reports a deprecated keyword or spelling.
func (d *decoder) deprecated(s *syntax.Stmt, format string, args ...any) {
	d.diags.Add(s.Pos(), syntax.Deprecated, format, args...)
}

// walk decodes the statements of a block named where (for messages).
func (d *decoder) walk(where string, stmts []*syntax.Stmt, t table) {
	for _, s := range stmts {
		k, ok := t[s.Keyword()]
		if !ok {
			d.add(s.Pos(), syntax.UnknownKeyword, "Unknown keyword '%s' in %s", s.Keyword(), where)
			continue
		}
		if k.block && !s.HasBlock {
			d.add(s.WordPos(len(s.Words)), syntax.MissingBOB, "Missing '{' at beginning of configuration block '%s'", s.Keyword())
			continue
		}
		if !k.block && s.HasBlock {
			d.add(s.WordPos(len(s.Words)), syntax.UnexpectedBOB, "Unexpected '{' after '%s' - ignoring its block", s.Keyword())
		}
		k.fn(d, s)
	}
}

// arg returns word i, reporting a missing parameter.
func (d *decoder) arg(s *syntax.Stmt, i int) (string, bool) {
	if i < len(s.Words) {
		return s.Words[i].Text, true
	}
	d.add(s.WordPos(i), syntax.MissingParameter, "%s: missing parameter", s.Keyword())
	return "", false
}

// optArg returns word i if present.
func optArg(s *syntax.Stmt, i int) (string, bool) {
	if i < len(s.Words) {
		return s.Words[i].Text, true
	}
	return "", false
}

// parseUint accepts keepalived's read_unsigned forms: decimal, or 0x hex.
func parseUint(str string) (uint64, bool) {
	if str == "" || str[0] == '-' || str[0] == '+' {
		return 0, false
	}
	v, err := strconv.ParseUint(str, 0, 64)
	return v, err == nil
}

// uint reads word i as an unsigned number in [lo, hi].
func (d *decoder) uint(s *syntax.Stmt, i int, lo, hi uint64) (uint64, bool) {
	str, ok := d.arg(s, i)
	if !ok {
		return 0, false
	}
	v, ok := parseUint(str)
	if !ok {
		d.add(s.WordPos(i), syntax.InvalidNumber, "invalid number '%s'", str)
		return 0, false
	}
	if v < lo || v > hi {
		d.add(s.WordPos(i), syntax.InvalidNumber, "number '%s' outside range [%d, %d]", str, lo, hi)
		return 0, false
	}
	return v, true
}

// int reads word i as a signed number in [lo, hi].
func (d *decoder) int(s *syntax.Stmt, i int, lo, hi int64) (int64, bool) {
	str, ok := d.arg(s, i)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(str, 0, 64)
	if err != nil {
		d.add(s.WordPos(i), syntax.InvalidNumber, "invalid number '%s'", str)
		return 0, false
	}
	if v < lo || v > hi {
		d.add(s.WordPos(i), syntax.InvalidNumber, "number '%s' outside range [%d, %d]", str, lo, hi)
		return 0, false
	}
	return v, true
}

// parseSeconds parses keepalived's decimal seconds (at most 6 decimals,
// µs resolution) into a duration.
func parseSeconds(str string) (time.Duration, bool) {
	if str == "" || str[0] == '-' || str[0] == '+' {
		return 0, false
	}
	whole, frac, hasDot := strings.Cut(str, ".")
	if whole == "" && (!hasDot || frac == "") {
		return 0, false
	}
	if len(frac) > 6 {
		return 0, false
	}
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	w := uint64(0)
	if whole != "" {
		var err error
		if w, err = strconv.ParseUint(whole, 10, 64); err != nil || w > math.MaxInt64/uint64(time.Second) {
			return 0, false
		}
	}
	us := uint64(0)
	if frac != "" {
		f, _ := strconv.ParseUint(frac+strings.Repeat("0", 6-len(frac)), 10, 64)
		us = f
	}
	return time.Duration(w)*time.Second + time.Duration(us)*time.Microsecond, true
}

// fmtSeconds prints a duration as keepalived prints timer ranges.
func fmtSeconds(v time.Duration) string {
	return strconv.FormatFloat(v.Seconds(), 'f', 6, 64)
}

// seconds reads word i as decimal seconds in [lo, hi].
func (d *decoder) seconds(s *syntax.Stmt, i int, lo, hi time.Duration) (time.Duration, bool) {
	str, ok := d.arg(s, i)
	if !ok {
		return 0, false
	}
	v, ok := parseSeconds(str)
	if !ok || v < lo || v > hi {
		d.add(s.WordPos(i), syntax.InvalidNumber, "number '%s' outside range [%s, %s]", str, fmtSeconds(lo), fmtSeconds(hi))
		return 0, false
	}
	return v, true
}

// parseBool is keepalived's check_true_false.
func parseBool(str string) (bool, bool) {
	switch str {
	case "true", "on", "yes":
		return true, true
	case "false", "off", "no":
		return false, true
	}
	return false, false
}

// optBool reads an optional boolean at word i: absent means true.
func (d *decoder) optBool(s *syntax.Stmt, i int) (bool, bool) {
	str, ok := optArg(s, i)
	if !ok {
		return true, true
	}
	v, ok := parseBool(str)
	if !ok {
		d.add(s.WordPos(i), syntax.GeneralError, "invalid value '%s' for %s - must be on|off|true|false|yes|no", str, s.Keyword())
		return false, false
	}
	return v, true
}

// addr reads word i as an IP address.
func (d *decoder) addr(s *syntax.Stmt, i int) (netip.Addr, bool) {
	str, ok := d.arg(s, i)
	if !ok {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(str)
	if err != nil {
		d.add(s.WordPos(i), syntax.GeneralError, "invalid IP address '%s'", str)
		return netip.Addr{}, false
	}
	return a, true
}

// script re-tokenizes the statement's line with the shell-like rules
// keepalived uses for script keywords and returns the command after the
// keyword, plus any "user [group]" that follows a quoted command.
func (d *decoder) script(s *syntax.Stmt) (Script, bool) {
	argv, err := syntax.ShellWords(s.Raw)
	if err != nil {
		d.add(s.Pos(), syntax.UnmatchedQuote, "%s: %v", s.Keyword(), err)
		return Script{}, false
	}
	if len(argv) < 2 {
		d.add(s.WordPos(1), syntax.MissingParameter, "%s: missing script", s.Keyword())
		return Script{}, false
	}
	sc := Script{Pos: s.Pos()}
	// keepalived: the first argument, split again, is the command; any
	// words after it are the user and group it runs as. An unquoted
	// "notify /bin/x arg" therefore runs /bin/x as user "arg".
	sc.Argv, err = syntax.ShellWords(argv[1])
	if err != nil || len(sc.Argv) == 0 {
		d.add(s.WordPos(1), syntax.MissingParameter, "Unable to parse script '%s' - ignoring", argv[1])
		return Script{}, false
	}
	if len(argv) > 2 {
		sc.User = argv[2]
	}
	if len(argv) > 3 {
		sc.Group = strings.TrimPrefix(argv[3], ":")
	}
	return sc, true
}

// valueLines returns the word lists of a value block, one per line
// (virtual_ipaddress, unicast_peer, track_*, ...).
func (d *decoder) valueLines(s *syntax.Stmt) [][]syntax.Word {
	out := make([][]syntax.Word, 0, len(s.Block))
	for _, c := range s.Block {
		if c.HasBlock {
			d.add(c.Pos(), syntax.UnexpectedBOB, "Unexpected '{' in %s - ignoring", s.Keyword())
			continue
		}
		out = append(out, c.Words)
	}
	return out
}

// posOf gives a word's position within statement s.
func posOf(s *syntax.Stmt, w syntax.Word) syntax.Pos {
	return syntax.Pos{File: s.File, Line: int(s.Line), Col: int(w.Col)}
}

// quoted returns s formatted for a message.
func quoted(s string) string { return fmt.Sprintf("'%s'", s) }
