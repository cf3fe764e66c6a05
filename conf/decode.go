package conf

import (
	"strconv"
	"sync"
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

// keywords finds a block's keywords: a table, or an index of one.
type keywords interface {
	lookup(keyword string) (kw, bool)
}

func (t table) lookup(k string) (kw, bool) {
	v, ok := t[k]
	return v, ok
}

// index is a table compiled, on first use, into a perfect hash: the
// blocks of a big config's virtual and real servers are decoded hundreds
// of thousands of times, and a map lookup was much of that.
type index struct {
	once  sync.Once
	src   *table
	seed  uint64
	shift uint8
	keys  []string
	vals  []kw
	slow  table // when no perfect hash was found
}

// indexOf indexes *t, which must be complete by the index's first use.
func indexOf(t *table) *index { return &index{src: t} }

// indexKey mixes the characters that tell keywords apart into one word.
func indexKey(k string) uint64 {
	n := len(k)
	if n < 2 {
		if n == 0 {
			return 0
		}
		return 1 | uint64(k[0])<<8
	}
	return uint64(n) | uint64(k[0])<<8 | uint64(k[1])<<16 | uint64(k[n/2])<<24 |
		uint64(k[n-2])<<32 | uint64(k[n-1])<<40
}

func (x *index) build() {
	t := *x.src
	for bits := uint8(1); bits <= 16; bits++ {
		if 1<<bits < 2*len(t) {
			continue
		}
		size := 1 << bits
		keys := make([]string, size)
		used := make([]bool, size)
		for try := uint64(1); try <= 200; try++ {
			seed := try*0x9E3779B97F4A7C15 | 1
			clear(keys)
			clear(used)
			ok := true
			for k := range t {
				h := indexKey(k) * seed >> (64 - bits)
				if used[h] {
					ok = false
					break
				}
				used[h], keys[h] = true, k
			}
			if ok {
				x.seed, x.shift, x.keys = seed, 64-bits, keys
				x.vals = make([]kw, size)
				for i, k := range keys {
					if used[i] {
						x.vals[i] = t[k]
					}
				}
				return
			}
		}
		if size > 16*len(t) {
			break
		}
	}
	x.slow = t
}

func (x *index) lookup(k string) (kw, bool) {
	x.once.Do(x.build)
	if x.slow != nil {
		return x.slow.lookup(k)
	}
	i := indexKey(k) * x.seed >> x.shift
	if x.keys[i] != k { // unused slots hold "", never a keyword
		return kw{}, false
	}
	return x.vals[i], true
}

// decoder walks the statement tree with one table per block, as
// keepalived's install_keyword tables do.
type decoder struct {
	diags *syntax.Diags
	cfg   *Config
	opt   Options
	lvs   lvsCursor
	mem   decodeMem
	users scriptUsers
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
func (d *decoder) walk(where string, stmts []*syntax.Stmt, t keywords) {
	for _, s := range stmts {
		d.stmt(where, s, t)
	}
}

// stmt decodes one statement of a block named where.
func (d *decoder) stmt(where string, s *syntax.Stmt, t keywords) {
	k, ok := t.lookup(s.Keyword())
	if !ok {
		d.add(s.Pos(), syntax.UnknownKeyword, "Unknown keyword '%s' in %s", s.Keyword(), where)
		return
	}
	if k.block && !s.HasBlock {
		d.add(s.WordPos(len(s.Words)), syntax.MissingBOB, "Missing '{' at beginning of configuration block '%s'", s.Keyword())
		return
	}
	if !k.block && s.HasBlock {
		d.add(s.WordPos(len(s.Words)), syntax.UnexpectedBOB, "Unexpected '{' after '%s' - ignoring its block", s.Keyword())
	}
	k.fn(d, s)
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

// fmtSeconds prints a duration as keepalived prints timer ranges.
func fmtSeconds(v time.Duration) string {
	return strconv.FormatFloat(v.Seconds(), 'f', 6, 64)
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
		sc.Group = argv[3]
	}
	return sc, true
}
