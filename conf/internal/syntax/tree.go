package syntax

import (
	"strconv"
	"strings"
)

// Stmt is one statement: a keyword with its arguments and, when a '{'
// followed it, a block of statements.
type Stmt struct {
	File  string
	Words []Word // Words[0] is the keyword
	Raw   string // the logical line, for keywords that re-tokenize it
	Block []*Stmt
	// where the closing '}' is, kept in less than a Pos: a big config
	// has hundreds of thousands of statements
	closeFile           string
	Line                int32
	closeLine, closeCol int32
	HasBlock            bool
	// where the '{' is: lines after Line (saturating) and column,
	// small enough to fit the padding
	openDelta uint8
	openCol   uint16
}

// Open is the position of the '{' that opened the block, zero if none.
// It is approximate past 255 lines or column 65535.
func (s *Stmt) Open() Pos {
	if !s.HasBlock {
		return Pos{}
	}
	return Pos{File: s.File, Line: int(s.Line) + int(s.openDelta), Col: int(s.openCol)}
}

// Close is the position of the closing '}', zero if never closed.
func (s *Stmt) Close() Pos {
	return Pos{File: s.closeFile, Line: int(s.closeLine), Col: int(s.closeCol)}
}

// Keyword is the statement's first word.
func (s *Stmt) Keyword() string { return s.Words[0].Text }

// Args are the words after the keyword.
func (s *Stmt) Args() []Word { return s.Words[1:] }

// Pos is the position of the keyword.
func (s *Stmt) Pos() Pos { return s.WordPos(0) }

// WordPos is the position of word i, or of the end of the statement when
// i is past the last word (where a missing argument would be).
func (s *Stmt) WordPos(i int) Pos {
	p := Pos{File: s.File, Line: int(s.Line)}
	if i < len(s.Words) {
		p.Col = int(s.Words[i].Col)
	} else if n := len(s.Words); n > 0 {
		last := s.Words[n-1]
		p.Col = int(last.Col) + len(last.Text) + 1
	}
	return p
}

// Tree is a parsed file set.
type Tree struct {
	Stmts []*Stmt
	Files []string // every file read, main file first
}

// Options control reading.
type Options struct {
	FS           FS           // default OSFS
	ConfigID     string       // for @ID lines
	IncludeCheck IncludeCheck // -e gives CheckAll
	Seed         int64        // for ${_RANDOM}; random_seed overrides it
	Compat       Version      // keepalived release followed; zero: newest
}

// ParseFile reads name with its includes and builds the statement tree.
// Problems are added to diags; the tree holds whatever could be read.
func ParseFile(name string, opt Options, diags *Diags) *Tree {
	t := &Tree{}
	t.Files = parseEach(name, opt, diags, func(s *Stmt) { t.Stmts = append(t.Stmts, s) }, false)
	return t
}

// Parse is ParseFile handing each top-level statement, with its block, to
// each as soon as it is complete instead of keeping the tree: a caller
// that decodes as it goes never holds all of a big config's tree. The
// statement, its words and its block are valid only until each returns:
// their memory is reused for the statements that follow (the words'
// Text strings stay valid). It returns every file read, main file first.
func Parse(name string, opt Options, diags *Diags, each func(*Stmt)) []string {
	return parseEach(name, opt, diags, each, true)
}

func parseEach(name string, opt Options, diags *Diags, each func(*Stmt), reuse bool) []string {
	if opt.FS == nil {
		opt.FS = OSFS{}
	}
	src := &source{fs: opt.FS, check: opt.IncludeCheck, diags: diags, v240: opt.Compat.AtLeast(2, 4, 0)}
	if !src.openRoot(name) {
		return nil
	}
	pp := newPreprocessor(src, diags, opt.ConfigID, opt.Seed, opt.Compat)
	build(pp, diags, each, reuse)
	return src.files
}

// slab hands out statements and word slices from large chunks: a big
// config has hundreds of thousands of each, and one allocation apiece
// dominated parse time.
type slab struct {
	stmts []Stmt
	words []Word
}

func (a *slab) stmt() *Stmt {
	if len(a.stmts) == cap(a.stmts) {
		a.stmts = make([]Stmt, 0, 1024)
	}
	a.stmts = a.stmts[:len(a.stmts)+1]
	return &a.stmts[len(a.stmts)-1]
}

// fields splits text into words straight into the slab. A line with
// more words than the chunk has room for gets a slice of its own.
func (a *slab) fields(text string, col int) ([]Word, bool) {
	if cap(a.words)-len(a.words) < 64 {
		a.words = make([]Word, 0, 4096)
	}
	start := len(a.words)
	w, ok := appendFields(a.words[start:start], text, col)
	if len(w) <= cap(a.words)-start {
		a.words = a.words[:start+len(w)]
	}
	return w[:len(w):len(w)], ok
}

// reuse makes the slab hand out its current chunks again, once nothing
// it handed out is in use.
// Nothing is cleared: build sets every field of a statement, and every
// word is written whole.
func (a *slab) reuse() {
	a.stmts = a.stmts[:0]
	a.words = a.words[:0]
}

// blockLists copies finished blocks' statement lists into chunks, one
// top-level statement's tree at a time. A chunk never spans two trees:
// a later tree's block pointing into a chunk that also holds an earlier
// tree's lists would keep that whole tree alive while Parse hands trees
// out one by one.
type blockLists struct {
	chunk, free []*Stmt // free is the unused end of chunk
	used, hint  int     // pointers taken by this tree, by the last one that had blocks
}

// copy returns a copy of l; nil stays nil.
func (b *blockLists) copy(l []*Stmt) []*Stmt {
	if len(l) == 0 {
		return nil
	}
	if len(b.free) < len(l) {
		b.chunk = make([]*Stmt, max(len(l), b.hint-b.used, 8))
		b.free = b.chunk
	}
	out := b.free[:len(l):len(l)]
	b.free = b.free[len(l):]
	b.used += len(l)
	copy(out, l)
	return out
}

// newTree starts the lists of the next top-level statement.
func (b *blockLists) newTree() {
	b.chunk, b.free = nil, nil
	if b.used > 0 {
		b.hint, b.used = b.used, 0
	}
}

// reuse is newTree keeping the current chunk, once no list handed out is
// in use.
func (b *blockLists) reuse() {
	if b.used > len(b.chunk) {
		// the tree took more than this chunk: one of its size next time
		b.chunk = make([]*Stmt, b.used)
	} else {
		clear(b.chunk[:len(b.chunk)-len(b.free)])
	}
	b.free = b.chunk
	if b.used > 0 {
		b.hint, b.used = b.used, 0
	}
}

// frame is an open block; its statements are pending[start:] (up to the
// next frame's start) until its '}' copies them into the slab.
type frame struct {
	owner *Stmt
	start int
}

// builder assembles statements into trees for each.
type builder struct {
	pp      *preprocessor
	diags   *Diags
	each    func(*Stmt)
	reuse   bool
	stack   []frame
	mem     slab
	lists   blockLists
	pending []*Stmt
}

// build reads the lines of pp into statements for each. With reuse, the
// memory of a top-level statement's tree is reused once each has
// returned; without, trees are kept apart so each can be kept.
func build(pp *preprocessor, diags *Diags, each func(*Stmt), reuse bool) {
	b := &builder{pp: pp, diags: diags, each: each, reuse: reuse, stack: []frame{{}}}
	var l line
	for {
		if f := pp.src.top(); f != nil && !f.nul && len(f.text) > 0 && pp.idle() && !noFastPath {
			// Most lines need none of the preprocessor: split them here
			// in one pass, or leave them to it. fast changes neither the
			// file being read nor the preprocessor's state.
			for f.off <= f.end {
				rest := f.text[f.off:f.end]
				n := strings.IndexByte(rest, '\n')
				if n < 0 {
					n = len(rest)
				}
				if n > MaxLineLen || !b.fast(rest[:n], Pos{File: f.name, Line: f.line + 1}) {
					break
				}
				f.line++
				f.off += n + 1
			}
		}
		if !pp.next(&l) {
			break
		}
		switch l.text {
		case "{":
			b.open(l.pos, l.col)
		case "}":
			b.close(l.pos, l.col)
		default:
			words, ok := b.mem.fields(l.text, l.col)
			if !ok && (!pp.v240 || copyUnmatched(l.text)) {
				diags.Add(l.posAt(0), UnmatchedQuote, "Unmatched quote: '%s'", l.text)
			}
			if len(words) > 0 {
				b.stmt(words, l.text, l.pos)
			}
		}
	}
	b.finish()
}

// noFastPath makes every line go through the preprocessor (tests compare).
var noFastPath bool

// fast handles a physical line that needs no preprocessing: no quote,
// comment, escape, '$', '@' or '~' line, include, and at most a brace
// that ends it or a lone '}'. It reports false, having changed nothing,
// for any other line.
func (b *builder) fast(raw string, pos Pos) bool {
	s := trimNewlines(raw)
	i := 0
	for len(s)-i >= 8 && s[i:i+8] == "        " { // one load and compare
		i += 8
	}
	for i < len(s) && isBlank(s[i]) {
		i++
	}
	if i == len(s) {
		return true // blank line
	}
	switch s[i] {
	case '@', '~':
		return false
	case '}':
		if len(trimBlanksRight(s)) != i+1 {
			return false
		}
		b.close(pos, i)
		return true
	}
	m := &b.mem
	if cap(m.words)-len(m.words) < 64 {
		m.words = make([]Word, 0, 4096)
	}
	start := len(m.words)
	words := m.words[start:start]
	brace := -1
	end := len(s) // of the statement's text
	for i < len(s) {
		w := i
		for i < len(s) && fastClass[s[i]] == 0 {
			i++
		}
		if i > w {
			words = append(words, Word{Text: s[w:i], Col: int32(w + 1)})
			end = i
		}
		if i == len(s) {
			break
		}
		switch fastClass[s[i]] {
		case fcBlank:
			i++
			continue
		case fcOpen:
			if len(trimBlanksRight(s[i+1:])) != 0 {
				return false
			}
			brace = i
		default:
			return false
		}
		break
	}
	if len(words) > 0 {
		if w0 := words[0].Text; len(w0) >= 7 && w0[:7] == "include" {
			return false
		}
		if len(words) <= cap(m.words)-start {
			m.words = m.words[:start+len(words)]
		}
		first := int(words[0].Col) - 1
		b.stmt(words[:len(words):len(words)], s[first:end], pos)
	}
	if brace >= 0 {
		b.open(pos, brace)
	}
	return true
}

// fastClass sorts characters for fast: 0 is part of a word.
var fastClass = [256]uint8{' ': fcBlank, '\t': fcBlank, '{': fcOpen, '}': fcOther,
	'"': fcOther, '\\': fcOther, '#': fcOther, '!': fcOther, '$': fcOther, 0: fcOther}

const (
	fcBlank = 1 + iota
	fcOpen
	fcOther
)

// open handles a '{' at col of the line at pos.
func (b *builder) open(pos Pos, col int) {
	top := &b.stack[len(b.stack)-1]
	var owner *Stmt
	if n := len(b.pending); n > top.start && !b.pending[n-1].HasBlock {
		owner = b.pending[n-1]
	} else {
		// A statement "{" keeps the braces balanced; the conf
		// package reads it as keepalived does (an unexpected '{').
		b.stmt([]Word{{Text: "{", Col: int32(col + 1)}}, "{", pos)
		owner = b.pending[len(b.pending)-1]
	}
	owner.HasBlock = true
	if delta := pos.Line - int(owner.Line); pos.File == owner.File && delta > 0 {
		owner.openDelta = uint8(min(delta, 255))
	}
	owner.openCol = uint16(min(col+1, 65535))
	b.stack = append(b.stack, frame{owner: owner, start: len(b.pending)})
}

// close handles a '}' at col of the line at pos.
func (b *builder) close(pos Pos, col int) {
	if len(b.stack) == 1 {
		b.diags.Add(Pos{File: pos.File, Line: pos.Line, Col: col + 1}, UnexpectedEOB, "Extra '}' found")
		// keepalived then reads the '}' as a top-level keyword
		b.stmt([]Word{{Text: "}", Col: int32(col + 1)}}, "}", pos)
		return
	}
	f := b.stack[len(b.stack)-1]
	b.stack = b.stack[:len(b.stack)-1]
	f.owner.Block = b.lists.copy(b.pending[f.start:])
	b.pending = b.pending[:f.start]
	f.owner.closeFile, f.owner.closeLine, f.owner.closeCol = pos.File, int32(pos.Line), int32(col+1)
	if b.reuse && len(b.stack) == 1 {
		// A top-level block is complete (a '{' after it would
		// not be its): hand it out and, with everything before
		// it handed out too, start over in the same memory.
		if len(b.pending) > 0 {
			b.each(b.pending[0])
			b.pending = b.pending[:0]
		}
		b.mem.reuse()
		b.lists.reuse()
	}
}

// stmt adds a statement of words (from the slab), text being its line.
func (b *builder) stmt(words []Word, text string, pos Pos) {
	st := b.mem.stmt()
	// field by field: the slab is zeroed, and each pointer store
	// costs a write barrier while the GC runs
	if st.File != pos.File { // reused memory mostly has it already
		st.File = pos.File
	}
	st.Line, st.Words, st.Raw = int32(pos.Line), words, text
	if st.HasBlock || st.Block != nil || st.closeFile != "" {
		// reused memory (read before written: no write barriers
		// on the usual path)
		st.Block, st.HasBlock = nil, false
		st.closeFile, st.closeLine, st.closeCol = "", 0, 0
		st.openDelta, st.openCol = 0, 0
	}
	if words[0].Text == "random_seed" && len(words) > 1 {
		if n, err := strconv.ParseInt(words[1].Text, 10, 64); err == nil {
			b.pp.Reseed(n)
		}
	}
	if len(b.stack) == 1 && len(b.pending) > 0 {
		// a new top-level statement: the previous one is complete
		b.each(b.pending[0])
		b.pending = b.pending[:0]
		if !b.reuse {
			b.lists.newTree()
		}
	}
	b.pending = append(b.pending, st)
}

// finish closes what is still open and hands out the rest.
func (b *builder) finish() {
	stack, lists, diags := b.stack, &b.lists, b.diags
	pending := b.pending
	if n := len(stack) - 1; n > 0 {
		diags.Add(stack[n].owner.Pos(), MissingEOB, "There are %d missing '}'s or extra '{'s", n)
		for i := n; i >= 1; i-- {
			o := stack[i].owner
			diags.Add(o.Pos(), MissingEOB, "block '%s' opened here is never closed", strings.TrimSpace(o.Raw))
		}
		// Close what is open so the partial tree is still usable.
		for i := n; i >= 1; i-- {
			stack[i].owner.Block = lists.copy(pending[stack[i].start:])
			pending = pending[:stack[i].start]
		}
	}
	for _, st := range pending {
		b.each(st)
	}
}
