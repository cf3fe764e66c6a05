package conf

import (
	"errors"
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
	if k == "" || x.keys[i] != k { // unused slots hold "", never a keyword
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
	obj   any // the object the block being decoded fills (see boundKeywords)
	mem   decodeMem
	loud  *syntax.Diags // the real diags while quiet
	// carry is what a block closed early leaves to the enclosing one
	// (see closeMark).
	carry []*syntax.Stmt
	// pass is keepalived's parsing pass of the top-level statement being
	// decoded; passes notes it for every decoding message.
	pass   int
	passes []int
	// garpIfBlocks counts the garp_group interfaces blocks read, which
	// keepalived 2.3.2 and later number removed groups by.
	garpIfBlocks int
	// closedAt is where the block the last walk decoded was closed early
	// by a '}' (see closeMark); zero if it was not.
	closedAt syntax.Pos
	// droppedSyncGroups are removed groups whose scripts keepalived
	// 2.2.7 still checks.
	droppedSyncGroups []*SyncGroup
	// pull is set when a block was left open (see walk); missingBOB
	// when a top-level block keyword had no '{' (see topStmt).
	pull       *pulled
	missingBOB bool
	values     bool // valueStmts was called (a value block)
	// topPull is a top-level block left open, decoded in pass
	// topPullPass; lastWalk the block walk last entered.
	topPull     *pulled
	topPullPass int
	lastWalk    *pulled
	// aborted is set at a missing parameter keepalived does not check
	// for (see abort).
	aborted   bool
	abortPass int
	abortAt   int // index in the decoding messages
	users     scriptUsers
	// bfdNeighbour: a neighbour_ip was seen, and keepalived's BFD
	// messages spell it so from then on.
	bfdNeighbour bool
	// bgpRefs are bgp_announce's references, checked by validateBGP.
	bgpRefs []bgpRef
}

// keepalived -t reads the config in a main pass (global_defs), then one
// pass each for the checker, VRRP and BFD processes.
const (
	passMain = iota
	passChecker
	passVRRP
	passBFD
)

func passOf(keyword string) int {
	switch keyword {
	case "virtual_server", "virtual_server_group", "SSL":
		return passChecker
	case "vrrp_instance", "vrrp_sync_group", "vrrp_script", "vrrp_track_file", "track_file",
		"vrrp_track_process", "static_ipaddress", "static_routes", "static_rules", "garp_group", "track_group":
		return passVRRP
	case "bfd_instance":
		return passBFD
	}
	return passMain
}

// abort reports the parameter missing at word i of s the way keepalived
// does when a keyword handler reads it unchecked: the message, then the
// process exits (exit 2), so nothing after it in that pass is reported.
func (d *decoder) abort(s *syntax.Stmt, i int) {
	if d.aborted {
		return
	}
	d.add(s.WordPos(i), syntax.Abort, "*** Configuration line starting `%s` is missing a parameter after keyword `%s` at word position %d",
		s.Keyword(), s.Words[i-1].Text, i+1)
	d.aborted, d.abortPass, d.abortAt = true, d.pass, len(d.diags.List)
}

// dropAfterAbort keeps, of the decoding messages in list (which ends
// with them), those keepalived prints before its pass exits.
func (d *decoder) dropAfterAbort(list []syntax.Diag) []syntax.Diag {
	first := len(list) - len(d.passes)
	out := list[:first]
	for i, p := range d.passes {
		if p == passMain || p < d.abortPass || (p == d.abortPass && i < d.abortAt) {
			out = append(out, list[first+i])
		}
	}
	return out
}

func (d *decoder) add(pos syntax.Pos, k syntax.Kind, format string, args ...any) {
	if d.aborted && d.pass >= d.abortPass && d.pass != passMain {
		return
	}
	n := len(d.diags.List)
	d.diags.Add(pos, k, format, args...)
	for ; n < len(d.diags.List); n++ {
		d.passes = append(d.passes, d.pass)
	}
}

// lose reports a problem that drops part of the configuration (an
// instance, a virtual server, an address): a reload refuses it.
func (d *decoder) lose(pos syntax.Pos, k syntax.Kind, format string, args ...any) {
	if d.aborted && d.pass >= d.abortPass && d.pass != passMain {
		return
	}
	n := len(d.diags.List)
	d.diags.AddLoss(pos, k, format, args...)
	for ; n < len(d.diags.List); n++ {
		d.passes = append(d.passes, d.pass)
	}
}

// errorf reports a config error at word i of s (keepalived's
// CONFIG_GENERAL_ERROR).
func (d *decoder) errorf(s *syntax.Stmt, i int, format string, args ...any) {
	d.add(s.WordPos(i), syntax.GeneralError, format, args...)
}

// warnf reports something keepalived logs as a warning; it still counts
// for --config-test, as in keepalived.
func (d *decoder) warnf(s *syntax.Stmt, i int, format string, args ...any) {
	d.add(s.WordPos(i), syntax.Warning, format, args...)
}

// deprecated reports a deprecated keyword or spelling.
func (d *decoder) deprecated(s *syntax.Stmt, format string, args ...any) {
	d.add(s.Pos(), syntax.Deprecated, format, args...)
}

// keepalived reads a config as a stream of lines, a brace being a line
// of its own. The block of an unknown keyword (or of one that takes no
// block) is not skipped: its '{' is unexpected, its contents are read as
// part of the enclosing block, and its '}' closes the enclosing block,
// so what follows it there belongs to the block above, and so on up to
// the top level, where a '}' is an unknown keyword. closeMark stands for
// such a '}' in the list of statements still to decode.
func closeMark(s *syntax.Stmt) *syntax.Stmt {
	p := s.Close()
	if p.Line == 0 { // never closed
		return nil
	}
	return &syntax.Stmt{File: p.File, Line: int32(p.Line), Words: []syntax.Word{{Text: "}", Col: int32(p.Col)}}}
}

func isCloseMark(s *syntax.Stmt) bool {
	return len(s.Words) == 1 && s.Words[0].Text == "}" && !s.HasBlock
}

// then is next followed by the closing mark of s and rest.
func then(next []*syntax.Stmt, s *syntax.Stmt, rest []*syntax.Stmt) []*syntax.Stmt {
	out := make([]*syntax.Stmt, 0, len(next)+1+len(rest))
	out = append(out, next...)
	if m := closeMark(s); m != nil {
		out = append(out, m)
	}
	return append(out, rest...)
}

// endPos is where keepalived ends s's block, just decoded by walk: the
// '}' that closed it, early or not (its first line if never closed).
func (d *decoder) endPos(s *syntax.Stmt) syntax.Pos {
	if d.closedAt.Line > 0 {
		return d.closedAt
	}
	if p := s.Close(); p.Line > 0 {
		return p
	}
	return s.Pos()
}

// walk decodes the statements of a block named where (for messages). A
// '}' met in them closes the block: the rest goes to the enclosing one.
//
// A block keyword without its '{' takes, as keepalived reads it, the
// rest of the block as its contents, and the block's '}' as its own;
// the block, left open, then takes what follows it in the enclosing one
// (d.pull), and so on up to the top level. (keepalived's other passes
// skip the top-level block by counting braces, as the tree does.)
func (d *decoder) walk(where string, stmts []*syntax.Stmt, t keywords) {
	var closedAt syntax.Pos
	defer func() { d.closedAt = closedAt }()
	d.lastWalk = &pulled{where, t}
	for i := 0; i < len(stmts); i++ {
		s := stmts[i]
		if isCloseMark(s) {
			d.carry = stmts[i+1:]
			closedAt = s.Pos()
			return
		}
		if k, ok := t.lookup(s.Keyword()); ok && k.block && !s.HasBlock {
			open := *s
			open.HasBlock, open.Block = true, stmts[i+1:]
			d.carry, d.values = nil, false
			k.fn(d, &open)
			rest := d.carry
			d.carry = nil
			switch {
			case d.values && len(s.Words) > 1:
				// a value block only logs the missing '{'
				d.add(s.Pos(), syntax.GeneralError, "Block %s has extra parameters %s ...", s.Keyword(), s.Words[1].Text)
			case d.values:
			default:
				// reported where keepalived looks for the '{': the
				// next line
				pos := s.Close()
				if i+1 < len(stmts) {
					pos = stmts[i+1].Pos()
				}
				if pos.Line > 0 {
					d.add(pos, syntax.MissingBOB, "Missing '{' at beginning of configuration block")
				}
			}
			if rest != nil {
				// a '}' among them closed it: the rest is ours again,
				// and our '}' ours
				stmts, i = rest, -1
				continue
			}
			d.pull = &pulled{where, t}
			return
		}
		next, ok := d.stmt(where, s, t)
		if p := d.pull; p != nil {
			// s's block is still open: the rest of ours is its, and our
			// '}' closes it, leaving ours open
			d.pull = nil
			d.walk(p.where, stmts[i+1:], p.t)
			if c := d.carry; c != nil {
				// a '}' in it closed s after all: the rest is ours again
				d.carry = nil
				stmts, i = c, -1
				continue
			}
			if d.pull == nil {
				d.pull = &pulled{where, t}
			}
			return
		}
		if ok {
			stmts, i = then(next, s, stmts[i+1:]), -1
		}
	}
}

// pulled is a block left open by a block keyword without its '{'.
type pulled struct {
	where string
	t     keywords
}

// topStmt decodes a top-level statement and what its block left over.
//
// A top-level block left open (see walk) takes the following top-level
// statements, up to a stray '}', in keepalived's pass for it; its other
// passes skip the block by counting braces and read them at the top
// level. The messages are those of all passes, so they are decoded both
// ways.
func (d *decoder) topStmt(s *syntax.Stmt) {
	if d.missingBOB {
		// a top-level block keyword without '{' before: keepalived
		// looks for the '{' on this line
		d.missingBOB = false
		d.add(s.Pos(), syntax.MissingBOB, "Missing '{' at beginning of configuration block")
	}
	if p := d.topPull; p != nil {
		if isCloseMark(s) {
			d.topPull = nil
		} else {
			d.pass = d.topPullPass
			d.walk(p.where, []*syntax.Stmt{s}, p.t)
			d.pull = nil
			if rest := d.carry; rest != nil {
				// a '}' in it closed the block: the rest is at the
				// top level in that pass
				d.topPull, d.carry = nil, nil
				d.topTodo(rest, d.topPullPass)
			}
		}
	}
	d.pass = passOf(s.Keyword())
	next, ok := d.stmt("top level", s, topLevelIndex)
	if d.pull != nil {
		d.topPull, d.topPullPass, d.pull = d.pull, d.pass, nil
	}
	if ok {
		d.topTodo(then(next, s, nil), d.pass)
	}
}

// topTodo decodes statements a block of keepalived's pass left over at
// the top level. Only that pass sees them there (the others skip the
// block by counting braces), and it skips the keywords of other passes.
func (d *decoder) topTodo(todo []*syntax.Stmt, pass int) {
	for len(todo) > 0 {
		x := todo[0]
		todo = todo[1:]
		if isCloseMark(x) {
			d.add(x.Pos(), syntax.UnknownKeyword, "Unknown keyword '}'")
			continue
		}
		if _, known := topLevelIndex.lookup(x.Keyword()); known && passOf(x.Keyword()) != pass {
			continue
		}
		d.pass = pass
		if next, ok := d.stmt("top level", x, topLevelIndex); ok {
			todo = then(next, x, todo)
		}
		d.pull = nil
	}
}

// stmt decodes one statement of a block named where. If ok, the
// statement's block ended the enclosing one early (see closeMark): next,
// then the statement's '}', are to be decoded in the enclosing block.
func (d *decoder) stmt(where string, s *syntax.Stmt, t keywords) (next []*syntax.Stmt, ok bool) {
	if s.Keyword() == "{" { // a '{' with no keyword before it
		d.add(s.Open(), syntax.UnexpectedBOB, "Unexpected '{' - ignoring")
		return s.Block, true
	}
	k, known := t.lookup(s.Keyword())
	if !known {
		report := d.add
		if s.HasBlock { // its block's lines land in the enclosing block
			report = d.lose
		}
		report(s.Pos(), syntax.UnknownKeyword, "Unknown keyword '%s'", s.Keyword())
		if s.HasBlock {
			d.add(s.Open(), syntax.UnexpectedBOB, "Unexpected '{' - ignoring")
			return s.Block, true
		}
		return nil, false
	}
	if k.block && !s.HasBlock { // at the top level: walk handles the others
		d.missingBOB = true
		// its contents are the following top-level statements (topStmt)
		open := *s
		open.HasBlock, open.Block = true, nil
		d.lastWalk, d.values = nil, false
		k.fn(d, &open)
		if w := d.lastWalk; w != nil {
			d.pull = w
		}
		return nil, false
	}
	if !k.block && s.HasBlock { // the keyword's line, then the '{' line
		k.fn(d, s)
		d.add(s.Open(), syntax.UnexpectedBOB, "Unexpected '{' - ignoring")
		return s.Block, true
	}
	d.carry = nil
	d.noteUnsupported(where, s)
	k.fn(d, s)
	if c := d.carry; c != nil {
		d.carry = nil
		return c, true
	}
	return nil, false
}

// arg returns word i, reporting a missing parameter.
func (d *decoder) arg(s *syntax.Stmt, i int) (string, bool) {
	if i < len(s.Words) {
		return s.Words[i].Text, true
	}
	d.abort(s, i)
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
	argv, err := syntax.ScriptLineFor(syntax.Version(d.opt.Compat), s.Raw)
	if err != nil {
		// keepalived reports an unclosed quote and only logs the rest
		if errors.Is(err, syntax.ErrUnterminated) {
			d.add(s.Pos(), syntax.UnmatchedQuote, "%v", err)
		} else {
			d.add(s.Pos(), syntax.Info, "%v", err)
		}
		d.add(s.Pos(), syntax.Info, "Unable to parse notify script")
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
	sc.Argv, err = syntax.ShellWordsFor(syntax.Version(d.opt.Compat), argv[1])
	if err != nil || len(sc.Argv) == 0 {
		switch {
		case errors.Is(err, syntax.ErrUnterminated):
			d.add(s.WordPos(1), syntax.UnmatchedQuote, "%v", err)
		case err != nil:
			d.add(s.WordPos(1), syntax.Info, "%v", err)
		}
		d.add(s.WordPos(1), syntax.Info, "Unable to parse script '%s' - ignoring", argv[1])
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

// mergeTables joins the keyword families of one block into its table; a
// keyword in two families is a programming error (merged, for the checker
// tables, lets a later table override instead).
func mergeTables(families ...table) table {
	n := 0
	for _, f := range families {
		n += len(f)
	}
	t := make(table, n)
	for _, f := range families {
		for k, v := range f {
			if _, dup := t[k]; dup {
				panic("conf: keyword " + k + " in two families")
			}
			t[k] = v
		}
	}
	return t
}

// boundKeywords binds a block's keywords, built once, to the object the
// block fills (d.obj while a handler runs, read with objKw): a block left
// open (see walk) may be decoded after its decoder returned, and must
// still decode into its object.
type boundKeywords struct {
	t   keywords
	obj any
}

func (b boundKeywords) lookup(k string) (kw, bool) {
	x, ok := b.t.lookup(k)
	if !ok {
		return x, false
	}
	fn, obj := x.fn, b.obj
	x.fn = func(d *decoder, s *syntax.Stmt) {
		prev := d.obj
		d.obj = obj
		fn(d, s)
		d.obj = prev
	}
	return x, true
}

// objKw is a keyword decoding into the bound object, a *T.
func objKw[T any](f func(d *decoder, o *T, s *syntax.Stmt)) kw {
	return kw{fn: func(d *decoder, s *syntax.Stmt) { f(d, d.obj.(*T), s) }}
}

// objBlockKw is objKw for a keyword with a block.
func objBlockKw[T any](f func(d *decoder, o *T, s *syntax.Stmt)) kw {
	return kw{block: true, fn: func(d *decoder, s *syntax.Stmt) { f(d, d.obj.(*T), s) }}
}
