package syntax

import (
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// maxExpansions bounds parameter substitution on one line; keepalived
// rescans replaced text and so loops forever on $A=$A.
const maxExpansions = 1000

// maxGenerated bounds the lines ~SEQ/~LST may produce from one config, so a
// typo in a range cannot exhaust memory. A variable so fuzzing can lower it.
var maxGenerated = 2_000_000

// maxMultiDepth bounds nested multi-line parameter expansions and nested
// ~SEQ/~LST: a definition that uses itself (through ~LST, say) would
// otherwise nest without end, each level held in memory.
const maxMultiDepth = 32

// line is a logical line on its way through the preprocessor.
type line struct {
	text string
	pos  Pos // File and Line of origin; Col unused here
	col  int // byte offset of text[0] in the physical line
	// plain: no quote and no brace in text, so nothing to split
	plain bool
}

type definition struct {
	value     string   // single-line value
	lines     []string // multi-line value
	multiline bool
	builtin   func(params []int) string
	maxParams int
	minParams int
	// env is ${_ENV NAME} (keepalived 2.4.0): the one parameter is a name.
	env bool
}

type seq struct {
	pos   Pos
	text  string
	col   int
	name  string // ~SEQ variable
	hex   bool
	cur   int64
	step  int64
	last  int64
	names []string   // ~LST variables
	sets  [][]string // ~LST value sets
	set   int
}

// Preprocessor applies keepalived's line preprocessing to a source.
type preprocessor struct {
	src      *source
	diags    *Diags
	configID string
	rng      *rand.Rand

	defs      map[string]*definition
	seqs      []*seq
	multi     [][]string // stack of pending multi-line expansions
	multiPos  []line     // where each expansion was used
	seqDepth  []int      // len(seqs) when each multi expansion started
	residue   line
	hasRes    bool
	collect   *definition // multi-line definition being read
	generated int
	// v240: read as keepalived 2.4.0 and later do (see Options.Compat):
	// a comment ends the line, a substituted line is not looked at
	// again, ${NAME params} are checked
	v240 bool
	// refPos is where the reference being expanded is, for a builtin's
	// message
	refPos Pos
}

// idle reports whether the next line comes straight from the files, with
// no expansion, brace residue or multi-line definition under way.
func (p *preprocessor) idle() bool {
	return !p.hasRes && len(p.seqs) == 0 && len(p.multi) == 0 && p.collect == nil
}

func newPreprocessor(src *source, diags *Diags, configID string, seed int64, v Version) *preprocessor {
	p := &preprocessor{src: src, diags: diags, configID: configID, rng: rand.New(rand.NewSource(seed)), defs: map[string]*definition{},
		v240: v.AtLeast(2, 4, 0)}
	p.defs["_PWD"] = &definition{builtin: func([]int) string {
		d, err := filepath.Abs(src.dir())
		if err != nil {
			return src.dir()
		}
		return d
	}}
	p.defs["_INSTANCE"] = &definition{builtin: func([]int) string { return p.configID }}
	p.defs["_RANDOM"] = &definition{maxParams: 2, builtin: func(ps []int) string {
		lo, hi := 0, 32767
		if len(ps) > 0 {
			lo = ps[0]
		}
		if len(ps) > 1 {
			hi = ps[1]
		}
		if hi < lo {
			if p.v240 {
				p.diags.Add(p.refPos, GeneralError, "${_RANDOM}: min %d exceeds max %d, using %d", lo, hi, lo)
				hi = lo
			} else {
				// 2.2.7's value is garbage here; a number in the range will do
				lo, hi = hi, lo
			}
		}
		return strconv.Itoa(lo + p.rng.Intn(hi-lo+1))
	}}
	if p.v240 {
		p.defs["_ENV"] = &definition{env: true, minParams: 1, maxParams: 1}
	}
	p.defs["_HASH"] = &definition{value: "#"}
	p.defs["_BANG"] = &definition{value: "!"}
	return p
}

// Reseed is called when random_seed is read, as keepalived seeds at that
// keyword.
func (p *preprocessor) Reseed(seed int64) { p.rng.Seed(seed) }

// next returns the next non-empty logical line piece (after brace
// splitting), or false at the end of input.
// The line is written to *l: a line is passed along by pointer, since
// hundreds of thousands of them go through here.
func (p *preprocessor) next(l *line) bool {
	for {
		if !p.fetch(l) {
			if p.collect != nil {
				p.endCollect()
			}
			return false
		}
		if p.collect != nil {
			if p.collectLine(l.text) {
				continue
			}
		}
		if l.text == "" {
			continue
		}
		if !p.process(l) || l.text == "" {
			continue
		}
		if kind, pattern, ok := includeLine(l.text); ok {
			p.src.include(kind, pattern, l.posAt(0))
			continue
		}
		if !l.plain {
			p.splitBrace(l)
		}
		return true
	}
}

// fetch takes the next line from, in order of priority: the remainder of a
// brace-split line, an active ~SEQ/~LST, a multi-line parameter being
// expanded, or the files.
func (p *preprocessor) fetch(l *line) bool {
	if p.hasRes {
		p.hasRes = false
		*l = p.residue
		return true
	}
	depth := 0
	if n := len(p.seqDepth); n > 0 {
		depth = p.seqDepth[n-1]
	}
	if len(p.seqs) > depth {
		*l = p.nextSeq()
		return true
	}
	if n := len(p.multi); n > 0 {
		top := p.multi[n-1]
		use := p.multiPos[n-1]
		text := top[0]
		if len(top) == 1 {
			p.multi = p.multi[:n-1]
			p.multiPos = p.multiPos[:n-1]
			p.seqDepth = p.seqDepth[:n-1]
		} else {
			p.multi[n-1] = top[1:]
		}
		*l = line{text: text, pos: use.pos, col: use.col}
		return true
	}
	for {
		raw, pos, ok := p.src.next()
		if !ok {
			return false
		}
		raw = trimNewlines(raw)
		if raw == "" {
			if p.collect != nil {
				p.endCollect()
			}
			continue
		}
		text, col, plain := p.decomment(raw, pos)
		if text == "" {
			// keepalived's VRRP and checker processes read a copy
			// of the config in which such a line (blanks, a
			// comment) is empty, and so ends a definition
			if p.collect != nil {
				p.endCollect()
			}
			continue
		}
		*l = line{text: text, pos: pos, col: col, plain: plain}
		return true
	}
}

func (p *preprocessor) nextSeq() line {
	s := p.seqs[len(p.seqs)-1]
	p.generated++
	if s.names == nil {
		var v string
		if s.hex {
			v = strconv.FormatInt(s.cur, 16)
		} else {
			v = strconv.FormatInt(s.cur, 10)
		}
		p.defs[s.name] = &definition{value: v}
		s.cur += s.step
		if (s.step > 0 && s.cur > s.last) || (s.step < 0 && s.cur < s.last) || p.generated > maxGenerated {
			p.popSeq()
		}
	} else {
		for i, n := range s.names {
			p.defs[n] = &definition{value: s.sets[s.set][i]}
		}
		s.set++
		if s.set >= len(s.sets) || p.generated > maxGenerated {
			p.popSeq()
		}
	}
	if p.generated == maxGenerated {
		p.diags.Add(s.pos, GeneralError, "~SEQ/~LST expansion stopped after %d lines", maxGenerated)
	}
	return line{text: s.text, pos: s.pos, col: s.col}
}

func (p *preprocessor) popSeq() { p.seqs = p.seqs[:len(p.seqs)-1] }

// decomment strips leading and trailing blanks and a comment ('#' or '!'
// outside double quotes); "\#" and "\!" outside quotes give the
// character itself. It returns the text, the column it starts at and
// whether the line is plain: no quote, comment, escape or brace.
func (p *preprocessor) decomment(s string, pos Pos) (string, int, bool) {
	lead := len(s) - len(trimBlanksLeft(s))
	s = s[lead:]
	var b strings.Builder
	quote := false
	cont := false
	changed := false
	cut := len(s)
	// most lines have none of the characters handled below
	start := 0
	var seen uint8
	for start < len(s) {
		c := lineClass[s[start]]
		if c&clsComment != 0 {
			break
		}
		seen |= c
		start++
	}
	if start == len(s) {
		return trimBlanksRight(s), lead, seen == 0
	}
	// After a comment starts keepalived 2.2.7 still pairs off
	// backslashes: a '\' that ends the line continues it even in a
	// comment. 2.4.0 and later stop at the comment.
	comment := false
loop:
	for i := start; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			if !comment {
				quote = !quote
			}
		case '\\':
			if i+1 >= len(s) {
				cont = true
				if !comment {
					cut = i
				}
				break loop
			}
			if !quote && !comment && (s[i+1] == '#' || s[i+1] == '!') {
				if !changed {
					b.WriteString(s[:i])
					changed = true
				}
				b.WriteByte(s[i+1])
				i++
				continue
			}
			if changed && !comment {
				b.WriteByte(c)
				b.WriteByte(s[i+1])
			}
			i++
			continue
		case '#', '!':
			if !quote && !comment {
				comment = true
				cut = i
				if p.v240 {
					break loop
				}
			}
		}
		if changed && !comment {
			b.WriteByte(c)
		}
	}
	out := s[:cut]
	if changed {
		out = b.String()
	}
	if quote {
		// as keepalived shows it: escapes applied, a final '\' cut
		p.diags.Add(Pos{File: pos.File, Line: pos.Line, Col: lead + 1}, UnmatchedQuote, "Unterminated quote '%s'", out)
	}
	out = trimBlanksRight(out)
	if cont {
		out += "\\"
	}
	return out, lead, false
}

// copyUnmatched reports whether keepalived 2.4.0 and later say
// "Unmatched quote" for a line whose words have one. Their main process,
// the one that reads the file, no longer does; the processes reading its
// copy, in which s is the line as written, do unless the copy's line,
// decommented again, lost the quote: "\#" was written as "#", which now
// starts a comment.
func copyUnmatched(s string) bool {
	quote := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quote = !quote
		case '\\':
			i++
		case '#', '!':
			if !quote {
				_, ok := Fields(s[:i], 0)
				return !ok
			}
		}
	}
	return true
}

// lineClass sorts the characters decomment acts on and the braces that
// splitBrace does.
var lineClass = [256]uint8{'"': clsComment, '\\': clsComment, '#': clsComment, '!': clsComment, '{': clsBrace, '}': clsBrace}

const (
	clsComment = 1 << iota
	clsBrace
)

// collectLine adds a line to a multi-line definition; it reports whether
// the line was consumed.
func (p *preprocessor) collectLine(text string) bool {
	d := p.collect
	more := strings.HasSuffix(text, "\\")
	if more {
		text = trimBlanksRight(strings.TrimSuffix(text, "\\"))
	}
	if text != "" {
		d.lines = append(d.lines, text)
	}
	if !more {
		p.endCollect()
	}
	return true
}

func (p *preprocessor) endCollect() {
	d := p.collect
	p.collect = nil
	if len(d.lines) <= 1 {
		// "$X=\" followed by nothing, or a single line: an ordinary value.
		d.multiline = false
		if len(d.lines) == 1 {
			d.value = d.lines[0]
		}
		d.lines = nil
	}
}

// process applies conditionals, definitions, ~SEQ/~LST and parameter
// substitution, rechecking as keepalived does when substitution produced
// a new '@' or '$'.
func (p *preprocessor) process(l *line) bool {
	for range maxExpansions {
		if l.text[0] == '@' {
			if !p.conditional(l) {
				return false
			}
		}
		if l.text[0] == '$' && p.definition(*l) {
			return false
		}
		if strings.HasPrefix(l.text, "~SEQ") || strings.HasPrefix(l.text, "~LST") {
			p.addSeq(*l)
			return false
		}
		if l.text[0] == '~' || strings.IndexByte(l.text, '$') < 0 {
			return true
		}
		text, changed, ok := p.substitute(*l)
		if !ok {
			return false
		}
		if !changed {
			return true
		}
		if text == "" {
			return false
		}
		text, lead, _ := p.decomment(text, l.pos)
		l.text, l.col, l.plain = text, l.col+lead, false
		if l.text == "" {
			return false
		}
		// 2.4.0 and later take the substituted line as it is; 2.2.7
		// looks again for '@', a definition, ~SEQ and references
		if p.v240 || l.text[0] != '@' && !strings.Contains(l.text, "$") {
			return true
		}
	}
	p.diags.Add(l.posAt(0), GeneralError, "parameter substitution does not terminate")
	return false
}

func (l line) posAt(off int) Pos {
	return Pos{File: l.pos.File, Line: l.pos.Line, Col: l.col + off + 1}
}

// OwnID is the config id every gokeepalived matches.
const OwnID = "gokeepalived"

// conditional handles "@ID rest" and "@^ID rest".
func (p *preprocessor) conditional(l *line) bool {
	s := l.text
	ofs := 1
	neg := false
	if len(s) > 1 && s[1] == '^' {
		neg, ofs = true, 2
	}
	sp := strings.IndexAny(s[ofs:], " \t")
	if sp < 0 {
		return false // nothing after the id: drop
	}
	id := s[ofs : ofs+sp]
	// "@gokeepalived" marks our extensions: read by us whatever the
	// config id, skipped by keepalived (whose id is a host name).
	match := id == p.configID && p.configID != "" || id == OwnID
	if match == neg {
		return false
	}
	rest := s[ofs+sp:]
	trim := trimBlanksLeft(rest)
	l.col += len(s) - len(trim)
	l.text = trim
	return l.text != ""
}

func isNameStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isNameChar(c byte) bool  { return isNameStart(c) || c >= '0' && c <= '9' }

// definition handles "$NAME=value", returning false when the line is not
// a definition. As in keepalived, "$NAME =value" is not one: the line is
// substituted and read as a statement.
func (p *preprocessor) definition(l line) bool {
	s := l.text
	if len(s) < 2 || !isNameStart(s[1]) {
		return false
	}
	i := 2
	for i < len(s) && isNameChar(s[i]) {
		i++
	}
	name := s[1:i]
	if i >= len(s) || s[i] != '=' {
		return false
	}
	value := trimBlanksLeft(s[i+1:])
	d := &definition{}
	if strings.HasSuffix(value, "\\") {
		d.multiline = true
		first := trimBlanksRight(strings.TrimSuffix(value, "\\"))
		if first != "" {
			d.lines = append(d.lines, first)
		}
		p.collect = d
	} else {
		d.value = value
	}
	p.defs[name] = d
	return true
}

// substitute replaces $NAME (followed by a blank, ',', ')' or the end) and
// ${NAME} / ${NAME params} in the line. Replaced text is rescanned, as in
// keepalived, so definitions may refer to definitions.
func (p *preprocessor) substitute(l line) (string, bool, bool) {
	s := l.text
	changed := false
	count := 0
	for i := 0; i < len(s)-1; {
		if s[i] != '$' {
			i++
			continue
		}
		name, args, end, ok := parseRef(s, i)
		if !ok {
			i++
			continue
		}
		d := p.defs[name]
		var envName string
		var params []int
		if d != nil {
			params, ok = p.refParams(d, name, args, l.posAt(i))
		}
		if d == nil || !ok {
			i++
			continue
		}
		if d.env {
			envName = args[0]
		}
		atEnd := end == len(s)
		if d.multiline && !atEnd {
			i++ // a multi-line parameter expands only at the end of a line
			continue
		}
		if count++; count > maxExpansions {
			p.diags.Add(l.posAt(i), GeneralError, "parameter substitution does not terminate")
			return "", false, false
		}
		var val string
		switch {
		case d.env:
			val = os.Getenv(envName) // unset: empty, as keepalived
		case d.builtin != nil:
			p.refPos = l.posAt(i)
			val = d.builtin(params)
		case d.multiline:
			if len(d.lines) == 0 {
				val = ""
			} else {
				val = d.lines[0]
				if len(d.lines) > 1 && len(p.multi) >= maxMultiDepth {
					p.diags.Add(l.posAt(i), GeneralError, "multi-line parameter '%s' nested %d deep; is it defined in terms of itself?", name, maxMultiDepth)
					return "", false, false
				}
				if len(d.lines) > 1 {
					p.multi = append(p.multi, d.lines[1:])
					p.multiPos = append(p.multiPos, l)
					p.seqDepth = append(p.seqDepth, len(p.seqs))
				}
			}
		default:
			val = d.value
		}
		if len(s)-(end-i)+len(val) > MaxLineLen {
			p.diags.Add(l.posAt(i), GeneralError, "Parameter substitution on line would exceed maximum line length")
			return "", false, false
		}
		s = s[:i] + val + s[end:]
		changed = true
		if d.multiline {
			break
		}
		if strings.HasPrefix(trimBlanksLeft(val), "~") {
			break
		}
		// Rescan from i: the value may itself hold references.
	}
	return s, changed, true
}

// refParams checks the parameters of a reference to d, as keepalived
// does: only builtins take any; 2.4.0 and later say why a reference with
// the wrong ones is left as it is, 2.2.7 reads only digits and ignores
// parameters past those it uses.
func (p *preprocessor) refParams(d *definition, name string, args []string, pos Pos) ([]int, bool) {
	if len(args) == 0 {
		return nil, !d.env // ${_ENV} names nothing
	}
	if d.builtin == nil && !d.env {
		return nil, false
	}
	if d.maxParams == 0 {
		return nil, false
	}
	if d.env {
		if len(args) != 1 {
			p.diags.Add(pos, GeneralError, "Definition %s requires between %d and %d parameters, %d specified.", name, d.minParams, d.maxParams, len(args))
			return nil, false
		}
		return nil, true
	}
	params := make([]int, 0, len(args))
	for _, a := range args {
		n, err := strconv.Atoi(a)
		if err != nil || a[0] == '+' || a[0] == '-' {
			if p.v240 {
				p.diags.Add(pos, GeneralError, "Definition %s requires numeric parameters only.", name)
			}
			return nil, false
		}
		params = append(params, n)
	}
	if len(params) > d.maxParams {
		if p.v240 {
			p.diags.Add(pos, GeneralError, "Definition %s requires between %d and %d parameters, %d specified.", name, d.minParams, d.maxParams, len(params))
			return nil, false
		}
		params = params[:d.maxParams]
	}
	return params, true
}

// parseRef parses a reference starting at s[i] == '$': $NAME followed by
// a blank, ',', ')' or the end, or ${NAME} and ${NAME params}, the
// parameters being words of letters, digits and '_' after a blank.
func parseRef(s string, i int) (name string, args []string, end int, ok bool) {
	j := i + 1
	braces := j < len(s) && s[j] == '{'
	if braces {
		j++
	}
	if j >= len(s) || !isNameStart(s[j]) {
		return
	}
	k := j + 1
	for k < len(s) && isNameChar(s[k]) {
		k++
	}
	name = s[j:k]
	if !braces {
		if k < len(s) && s[k] != ' ' && s[k] != '\t' && s[k] != ',' && s[k] != ')' {
			return
		}
		return name, nil, k, true
	}
	m := k
	for m < len(s) && (s[m] == ' ' || s[m] == '\t' || isNameChar(s[m])) {
		m++
	}
	if m >= len(s) || s[m] != '}' {
		return
	}
	inner := s[k:m]
	if strings.HasSuffix(inner, " ") || strings.HasSuffix(inner, "\t") {
		return
	}
	return name, strings.Fields(inner), m + 1, true
}

// addSeq parses "~SEQ(var, [start,] [step,] end) text",
// "~SEQx(...)" and "~LST(var, v1, v2...)" / "~LST({a,b},{1,2},{3,4})".
func (p *preprocessor) addSeq(l line) {
	if p.generated >= maxGenerated {
		return // already reported; nested expansions must not restart
	}
	if len(p.seqs) >= maxMultiDepth {
		p.diags.Add(l.posAt(0), GeneralError, "~SEQ/~LST nested %d deep; does a parameter use itself?", maxMultiDepth)
		return
	}
	s := l.text
	var sq *seq
	var rest string
	var ok bool
	if s[1] == 'S' {
		sq, rest, ok = p.parseSeq(l)
		if !ok {
			if why := seqProblem(s, p.v240); why != "" {
				p.diags.Add(l.posAt(0), GeneralError, why, s)
			}
			p.diags.Add(l.posAt(0), GeneralError, "Invalid ~SEQ specification '%s'", s)
			return
		}
	} else {
		sq, rest, ok = parseLst(s)
		if !ok {
			p.diags.Add(l.posAt(0), GeneralError, "Invalid ~LST specification '%s'", s)
			return
		}
	}
	trim := trimBlanksLeft(rest)
	sq.text = trim
	sq.pos = l.pos
	sq.col = l.col + len(s) - len(trim)
	if sq.text == "" {
		return
	}
	p.seqs = append(p.seqs, sq)
}

func (p *preprocessor) parseSeq(l line) (*seq, string, bool) {
	s := l.text[4:]
	sq := &seq{}
	if strings.HasPrefix(s, "x") {
		sq.hex = true
		s = s[1:]
	}
	s = trimBlanksLeft(s)
	if !strings.HasPrefix(s, "(") {
		return nil, "", false
	}
	closeIdx := strings.IndexByte(s, ')')
	if closeIdx < 0 {
		return nil, "", false
	}
	args := strings.Split(s[1:closeIdx], ",")
	rest := s[closeIdx+1:]
	sq.name = strings.TrimSpace(args[0])
	if sq.name == "" || strings.ContainsAny(sq.name, " \t") || len(args) < 2 || len(args) > 4 || p.v240 && sq.name[0] == '{' {
		return nil, "", false
	}
	var nums []int64
	for _, a := range args[1:] {
		a = strings.TrimSpace(a)
		if strings.Contains(a, "$") {
			sub, _, ok := p.substitute(line{text: a, pos: l.pos, col: l.col})
			if !ok {
				return nil, "", false
			}
			a = strings.TrimSpace(sub)
		}
		n, err := strconv.ParseInt(a, 0, 64)
		if err != nil {
			return nil, "", false
		}
		nums = append(nums, n)
	}
	switch len(nums) {
	case 1:
		sq.last = nums[0]
		sq.step, sq.cur = 1, 1
		if sq.last < 1 {
			sq.step = -1
		}
		if sq.last < 0 {
			sq.cur = -1
		}
	case 2:
		sq.cur, sq.last = nums[0], nums[1]
		sq.step = 1
		if sq.cur > sq.last {
			sq.step = -1
		}
	case 3:
		sq.cur, sq.step, sq.last = nums[0], nums[1], nums[2]
		if sq.step == 0 || (sq.cur < sq.last && sq.step < 0) || (sq.cur > sq.last && sq.step > 0) {
			return nil, "", false
		}
	}
	if sq.hex && (sq.cur < 0 || sq.last < 0) {
		return nil, "", false
	}
	return sq, rest, true
}

func parseLst(s string) (*seq, string, bool) {
	s = trimBlanksLeft(s[4:])
	if !strings.HasPrefix(s, "(") {
		return nil, "", false
	}
	closeIdx := strings.IndexByte(s, ')')
	if closeIdx < 0 {
		return nil, "", false
	}
	body, rest := s[1:closeIdx], s[closeIdx+1:]
	groups, ok := splitLstGroups(body)
	if !ok || len(groups) < 2 {
		return nil, "", false
	}
	sq := &seq{names: groups[0]}
	for _, n := range sq.names {
		if n == "" {
			return nil, "", false
		}
	}
	for _, g := range groups[1:] {
		if len(g) > len(sq.names) {
			return nil, "", false
		}
		for len(g) < len(sq.names) {
			g = append(g, "") // missing values are blank
		}
		sq.sets = append(sq.sets, g)
	}
	return sq, rest, true
}

// splitLstGroups splits "a, b, c" into [[a] [b] [c]] and "{a,b},{1,2}"
// into [[a b] [1 2]].
func splitLstGroups(body string) ([][]string, bool) {
	var groups [][]string
	s := strings.TrimSpace(body)
	for s != "" {
		if s[0] == '{' {
			end := strings.IndexByte(s, '}')
			if end < 0 {
				return nil, false
			}
			var g []string
			for _, v := range strings.Split(s[1:end], ",") {
				g = append(g, strings.TrimSpace(v))
			}
			groups = append(groups, g)
			s = strings.TrimSpace(s[end+1:])
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			groups = append(groups, []string{strings.TrimSpace(s[:end])})
			s = s[end:]
		}
		if s == "" {
			break
		}
		if s[0] != ',' {
			return nil, false
		}
		s = strings.TrimSpace(s[1:])
	}
	return groups, true
}

// includeLine recognises "include PATH" and "include[rmwba] PATH".
func includeLine(s string) (byte, string, bool) {
	if !strings.HasPrefix(s, "include") || len(s) < 8 {
		return 0, "", false
	}
	if isBlank(s[7]) {
		return 0, trimBlanksLeft(s[8:]), true
	}
	if len(s) > 8 && isBlank(s[8]) && strings.IndexByte("rmwba", s[7]) >= 0 {
		return s[7], trimBlanksLeft(s[9:]), true
	}
	return 0, "", false
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// splitBrace cuts a line at its first '{' or '}' outside double quotes:
// the text before, the brace, and the rest become separate pieces, the
// rest being processed again as keepalived does.
func (p *preprocessor) splitBrace(l *line) {
	s := l.text
	var at = -1
	if s[0] == '{' || s[0] == '}' {
		at = 0
	} else {
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c == '"' {
				j := strings.IndexByte(s[i+1:], '"')
				if j < 0 {
					break
				}
				i += j + 1
				continue
			}
			if c == '{' || c == '}' {
				at = i
				break
			}
		}
	}
	if at < 0 {
		return
	}
	if at == 0 {
		rest := s[1:]
		trim := trimBlanksLeft(rest)
		if trim != "" {
			p.residue, p.hasRes = line{text: trimBlanksRight(trim), pos: l.pos, col: l.col + 1 + len(rest) - len(trim)}, true
		}
		l.text = s[:1]
		return
	}
	p.residue, p.hasRes = line{text: trimBlanksRight(s[at:]), pos: l.pos, col: l.col + at}, true
	l.text = trimBlanksRight(s[:at])
}

// trimBlanksLeft and trimBlanksRight are strings.TrimLeft/TrimRight with
// the cutset " \t", without building a cutset set on every line.
func trimBlanksLeft(s string) string {
	i := 0
	for i < len(s) && isBlank(s[i]) {
		i++
	}
	return s[i:]
}

func trimBlanksRight(s string) string {
	i := len(s)
	for i > 0 && isBlank(s[i-1]) {
		i--
	}
	return s[:i]
}

// trimNewlines is strings.TrimRight(s, "\r\n").
func trimNewlines(s string) string {
	i := len(s)
	for i > 0 && (s[i-1] == '\r' || s[i-1] == '\n') {
		i--
	}
	return s[:i]
}

// seqProblem is the more precise message keepalived gives before
// "Invalid ~SEQ specification" (a format taking the line), or "". It
// reads the numbers as strtol does: a word with no digits is 0 and
// stops the reading there.
func seqProblem(s string, v240 bool) string {
	p := s[4:]
	hex := strings.HasPrefix(p, "x")
	if hex {
		p = p[1:]
	}
	p = trimBlanksLeft(p)
	if !strings.HasPrefix(p, "(") {
		return ""
	}
	p = trimBlanksLeft(p[1:])
	n := strings.IndexAny(p, " \t,)")
	if n < 0 {
		n = len(p)
	}
	varEmpty := n == 0 || v240 && p[0] == '{' // 2.4.0 refuses "~SEQ({"
	p = trimBlanksLeft(p[n:])
	if p == "" || p[0] == ')' || varEmpty {
		return "Invalid ~SEQ definition '%s'"
	}
	p = p[1:]
	end := strings.IndexByte(p, ')')
	if end < 0 {
		if v240 {
			return "~SEQ missing terminating ')' '%s'"
		}
		return "~SEQ parameter strings too long '%s'"
	}
	p = p[:end+1]
	if strings.Contains(p, "$") {
		return "" // parameters: left to the expansion
	}
	var nums []int64
	for {
		v, rest := strtol(p)
		nums = append(nums, v)
		p = trimBlanksLeft(rest)
		if p != "" && p[0] == ')' {
			break
		}
		if len(nums) == 3 || p == "" || p[0] != ',' {
			return "Invalid ~SEQ definition '%s'"
		}
		p = p[1:]
	}
	var start, step, last int64
	switch len(nums) {
	case 1:
		last = nums[0]
		start, step = 1, 1
		if last < 1 {
			step = -1
		}
		if last < 0 {
			start = -1
		}
	case 2:
		start, last = nums[0], nums[1]
		step = 1
		if start > last {
			step = -1
		}
	default:
		start, step, last = nums[0], nums[1], nums[2]
		if step == 0 || (start < last && step < 0) || (start > last && step > 0) {
			return "Invalid ~SEQ values '%s'"
		}
	}
	if hex && (start < 0 || last < 0) {
		return "~SEQx is only valid for positive numbers '%s'"
	}
	return ""
}

// strtol reads a C strtol number (base 0) from the start of s, returning
// it and what follows; with no digits it returns 0 and s unchanged.
func strtol(s string) (int64, string) {
	t := trimBlanksLeft(s)
	i := 0
	if i < len(t) && (t[i] == '+' || t[i] == '-') {
		i++
	}
	base, digits := 10, "0123456789"
	switch {
	case len(t) > i+2 && t[i] == '0' && (t[i+1] == 'x' || t[i+1] == 'X') && strings.ContainsRune("0123456789abcdefABCDEF", rune(t[i+2])):
		base, digits = 16, "0123456789abcdefABCDEF"
		i += 2
	case len(t) > i && t[i] == '0':
		base, digits = 8, "01234567"
	}
	j := i
	for j < len(t) && strings.IndexByte(digits, t[j]) >= 0 {
		j++
	}
	if j == i {
		return 0, s
	}
	v, err := strconv.ParseInt(t[i:j], base, 64)
	if err != nil {
		v = math.MaxInt64
	}
	if t[0] == '-' {
		v = -v
	}
	return v, t[j:]
}
