package differential

import (
	"bufio"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// sample is one seed config.
type sample struct {
	name  string
	lines []string
}

// kwRow is a row of the keyword table present in keepalived 2.2.7.
type kwRow struct{ context, keyword string }

// genCase is a generated config: its main file, any extra files it
// includes (relative names), and what was done to the sample.
type genCase struct {
	index     int
	sample    string
	mutations []string
	kinds     []string
	main      []string
	extra     map[string][]string
}

func (c *genCase) text() string { return strings.Join(c.main, "\n") + "\n" }

// hasKind reports whether mutation kind k was applied.
func (c *genCase) hasKind(k string) bool {
	for _, x := range c.kinds {
		if x == k {
			return true
		}
	}
	return false
}

// repoRoot walks up from the working directory to go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// debianSamples is where Debian's keepalived package ships upstream's
// sample configs.
const debianSamples = "/usr/share/doc/keepalived/samples"

// loadSamples reads Debian's upstream samples and testdata/samples-extra,
// sorted by name so the generator is deterministic.
func loadSamples(root string) ([]sample, error) {
	var files []string
	m, _ := filepath.Glob(filepath.Join(debianSamples, "keepalived.conf.*"))
	files = append(files, m...)
	m, _ = filepath.Glob(filepath.Join(root, "testdata", "samples-extra", "*.conf"))
	files = append(files, m...)
	sort.Slice(files, func(i, j int) bool { return filepath.Base(files[i]) < filepath.Base(files[j]) })
	var out []sample
	for _, f := range files {
		if strings.HasSuffix(f, ".gz") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		s := strings.TrimRight(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
		out = append(out, sample{name: filepath.Base(f), lines: strings.Split(s, "\n")})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no samples in %s", debianSamples)
	}
	return out, nil
}

// loadKeywords reads the rows of testdata/keepalived-keywords.tsv
// that keepalived 2.2.7 has.
func loadKeywords(root string) ([]kwRow, error) {
	f, err := os.Open(filepath.Join(root, "testdata", "keepalived-keywords.tsv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []kwRow
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "#") {
			continue
		}
		c := strings.Split(l, "\t")
		if len(c) < 3 || c[2] != "yes" {
			continue
		}
		rows = append(rows, kwRow{context: c[0], keyword: c[1]})
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("keyword table has no 2.2.7 rows")
	}
	return rows, sc.Err()
}

// fields splits a line into words, ignoring comments (approximately: the
// generator only needs to find keywords and values).
func fields(l string) []string {
	if i := strings.IndexAny(l, "#!"); i >= 0 {
		l = l[:i]
	}
	return strings.Fields(l)
}

// contexts returns, for each line, the block path in force after it, in
// the keyword table's notation ("" for the top level).
func contexts(lines []string) []string {
	var stack []string
	out := make([]string, len(lines))
	prevKw := ""
	for i, l := range lines {
		f := fields(l)
		for j, w := range f {
			switch w {
			case "{":
				kw := prevKw
				if j > 0 {
					kw = f[0]
				}
				stack = append(stack, kw)
			case "}":
				if len(stack) > 0 {
					stack = stack[:len(stack)-1]
				}
			}
		}
		if len(f) > 0 && f[0] != "{" && f[0] != "}" {
			prevKw = f[0]
		}
		out[i] = ctxName(stack)
	}
	return out
}

func ctxName(stack []string) string {
	parts := make([]string, len(stack))
	for i, s := range stack {
		if s == "HTTP_GET" || s == "SSL_GET" {
			s = "HTTP_GET|SSL_GET"
		}
		parts[i] = s
	}
	return strings.Join(parts, " > ")
}

func tableCtx(c string) string {
	if c == "(top level)" {
		return ""
	}
	return c
}

// values are what a mutated or inserted keyword gets.
var values = []string{
	"", "0", "1", "-1", "2", "100", "255", "256", "65535", "65536", "4294967296",
	"99999999999999999999", "1.5", "0.001", "abc", "yes", "no", "on", "off", "true",
	"10.0.0.1", "10.0.0.1/24", "10.0.0.1/33", "10.0.0", "fe80::1", "::g", "eth0", "eth1", "eth9",
	"/bin/true", "/nonexistent/x", "\"quoted value\"", "'single'", "0x10", "1e3", "-", "@", "$",
	"BACKUP", "MASTER", "rr", "wlc", "NAT", "DR", "TCP", "UDP", "x y z",
}

var numbers = []string{"0", "-1", "-0", "256", "65536", "4294967295", "4294967296",
	"99999999999999999999", "1.5", "0x10", "1e3", "12abc", "", "+5", "00", "2147483648"}

var junk = []string{"abc", "1.2.3.4.5", "::g", "10.0.0.1/", "''", "\"\"", "-", "{", "}",
	"10.0.0.256", "300.1.1.1", "eth0", "0", "%", "a\\b", "\"unterminated", "x#y", "x!y"}

// mutation edits c; it returns a description, or "" if it did not apply.
type mutation struct {
	kind   string
	weight int
	apply  func(r *rand.Rand, c *genCase, rows []kwRow) string
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.Intn(len(s))] }

// nonEmpty returns the indices of lines with words, optionally those
// whose first word passes ok.
func nonEmpty(lines []string, ok func(f []string) bool) []int {
	var idx []int
	for i, l := range lines {
		f := fields(l)
		if len(f) > 0 && (ok == nil || ok(f)) {
			idx = append(idx, i)
		}
	}
	return idx
}

func insert(lines []string, at int, l ...string) []string {
	out := make([]string, 0, len(lines)+len(l))
	out = append(out, lines[:at]...)
	out = append(out, l...)
	return append(out, lines[at:]...)
}

// insertIn adds l after a line whose block path is ctx; false if none.
func insertIn(r *rand.Rand, c *genCase, ctx, l string) (int, bool) {
	cs := contexts(c.main)
	var at []int
	for i, x := range cs {
		if x == ctx {
			at = append(at, i+1)
		}
	}
	if ctx == "" {
		at = append(at, 0)
	}
	if len(at) == 0 {
		return 0, false
	}
	i := pick(r, at)
	c.main = insert(c.main, i, l)
	return i + 1, true
}

// replaceWord replaces word j of line i (whitespace split, keeping the
// indentation).
func replaceWord(l string, j int, w string) string {
	indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
	f := strings.Fields(l)
	f[j] = w
	return indent + strings.Join(f, " ")
}

func presentContexts(c *genCase) map[string]bool {
	m := map[string]bool{"": true}
	for _, x := range contexts(c.main) {
		m[x] = true
	}
	return m
}

var mutations = []mutation{
	{"drop", 10, func(r *rand.Rand, c *genCase, _ []kwRow) string {
		idx := nonEmpty(c.main, nil)
		if len(idx) == 0 {
			return ""
		}
		i := pick(r, idx)
		l := c.main[i]
		c.main = append(c.main[:i:i], c.main[i+1:]...)
		return fmt.Sprintf("drop line %d %q", i+1, strings.TrimSpace(l))
	}},
	{"duplicate", 8, func(r *rand.Rand, c *genCase, _ []kwRow) string {
		idx := nonEmpty(c.main, nil)
		if len(idx) == 0 {
			return ""
		}
		i := pick(r, idx)
		c.main = insert(c.main, i+1, c.main[i])
		return fmt.Sprintf("duplicate line %d %q", i+1, strings.TrimSpace(c.main[i]))
	}},
	{"reorder", 6, func(r *rand.Rand, c *genCase, _ []kwRow) string {
		idx := nonEmpty(c.main, nil)
		if len(idx) < 2 {
			return ""
		}
		k := r.Intn(len(idx) - 1)
		i, j := idx[k], idx[k+1]
		c.main[i], c.main[j] = c.main[j], c.main[i]
		return fmt.Sprintf("swap lines %d and %d", i+1, j+1)
	}},
	{"number", 12, func(r *rand.Rand, c *genCase, _ []kwRow) string {
		type pos struct{ i, j int }
		var ps []pos
		for i, l := range c.main {
			f := fields(l)
			for j := 1; j < len(f); j++ {
				if f[j] != "" && strings.Trim(f[j], "0123456789.") == "" && !strings.Contains(f[j], "..") {
					ps = append(ps, pos{i, j})
				}
			}
		}
		if len(ps) == 0 {
			return ""
		}
		p := pick(r, ps)
		n := pick(r, numbers)
		old := c.main[p.i]
		if len(strings.Fields(old)) <= p.j {
			return ""
		}
		c.main[p.i] = replaceWord(old, p.j, n)
		return fmt.Sprintf("line %d value %d -> %q", p.i+1, p.j, n)
	}},
	{"malformed", 10, func(r *rand.Rand, c *genCase, _ []kwRow) string {
		idx := nonEmpty(c.main, func(f []string) bool { return len(f) > 1 && f[1] != "{" })
		if len(idx) == 0 {
			return ""
		}
		i := pick(r, idx)
		f := fields(c.main[i])
		j := 1 + r.Intn(len(f)-1)
		if f[j] == "{" || f[j] == "}" || len(strings.Fields(c.main[i])) <= j {
			return ""
		}
		w := pick(r, junk)
		c.main[i] = replaceWord(c.main[i], j, w)
		return fmt.Sprintf("line %d word %d -> %q", i+1, j, w)
	}},
	{"table-keyword", 14, func(r *rand.Rand, c *genCase, rows []kwRow) string {
		have := presentContexts(c)
		var ok []kwRow
		for _, row := range rows {
			if have[tableCtx(row.context)] {
				ok = append(ok, row)
			}
		}
		if len(ok) == 0 {
			return ""
		}
		row := pick(r, ok)
		l := strings.TrimSpace("    " + row.keyword + " " + pick(r, values))
		n, _ := insertIn(r, c, tableCtx(row.context), l)
		return fmt.Sprintf("insert %q at line %d in %s", l, n, row.context)
	}},
	{"wrong-block", 10, func(r *rand.Rand, c *genCase, rows []kwRow) string {
		have := presentContexts(c)
		var ctxs []string
		for x := range have {
			ctxs = append(ctxs, x)
		}
		sort.Strings(ctxs)
		ctx := pick(r, ctxs)
		var ok []kwRow
		for _, row := range rows {
			if tableCtx(row.context) != ctx {
				ok = append(ok, row)
			}
		}
		row := pick(r, ok)
		l := strings.TrimSpace(row.keyword + " " + pick(r, values))
		n, _ := insertIn(r, c, ctx, l)
		return fmt.Sprintf("insert %q (from %s) at line %d in %q", l, row.context, n, ctx)
	}},
	{"unknown", 6, func(r *rand.Rand, c *genCase, rows []kwRow) string {
		ctxs := []string{}
		for x := range presentContexts(c) {
			ctxs = append(ctxs, x)
		}
		sort.Strings(ctxs)
		ctx := pick(r, ctxs)
		kw := pick(r, []string{"foo_bar", "vrrp_instancex", "Priority", pick(r, rows).keyword + "_x"})
		l := strings.TrimSpace(kw + " " + pick(r, values))
		n, _ := insertIn(r, c, ctx, l)
		return fmt.Sprintf("insert unknown %q at line %d in %q", l, n, ctx)
	}},
	{"braces", 7, func(r *rand.Rand, c *genCase, _ []kwRow) string {
		switch r.Intn(4) {
		case 0: // drop a closing brace
			idx := nonEmpty(c.main, func(f []string) bool { return f[len(f)-1] == "}" })
			if len(idx) == 0 {
				return ""
			}
			i := pick(r, idx)
			c.main[i] = strings.Replace(c.main[i], "}", "", 1)
			return fmt.Sprintf("remove '}' on line %d", i+1)
		case 1: // drop an opening brace
			idx := nonEmpty(c.main, func(f []string) bool { return f[len(f)-1] == "{" })
			if len(idx) == 0 {
				return ""
			}
			i := pick(r, idx)
			c.main[i] = strings.Replace(c.main[i], "{", "", 1)
			return fmt.Sprintf("remove '{' on line %d", i+1)
		case 2:
			i := r.Intn(len(c.main) + 1)
			c.main = insert(c.main, i, "}")
			return fmt.Sprintf("extra '}' at line %d", i+1)
		default:
			i := r.Intn(len(c.main) + 1)
			c.main = insert(c.main, i, "{")
			return fmt.Sprintf("extra '{' at line %d", i+1)
		}
	}},
	{"quotes", 6, func(r *rand.Rand, c *genCase, _ []kwRow) string {
		idx := nonEmpty(c.main, func(f []string) bool { return len(f) > 1 && f[1] != "{" })
		if len(idx) == 0 {
			return ""
		}
		i := pick(r, idx)
		f := strings.Fields(c.main[i])
		j := 1 + r.Intn(len(f)-1)
		var w string
		switch r.Intn(3) {
		case 0:
			w = "\"" + f[j] + "\""
		case 1:
			w = "\"" + f[j]
		default:
			w = "'" + f[j] + "'"
		}
		c.main[i] = replaceWord(c.main[i], j, w)
		return fmt.Sprintf("line %d word %d -> %s", i+1, j, w)
	}},
	{"conditional", 5, func(r *rand.Rand, c *genCase, _ []kwRow) string {
		idx := nonEmpty(c.main, nil)
		if len(idx) == 0 {
			return ""
		}
		i := pick(r, idx)
		p := pick(r, []string{"@main ", "@^main ", "@ ", "@^ ", "@main", "@backup\t"})
		c.main[i] = p + strings.TrimLeft(c.main[i], " \t")
		return fmt.Sprintf("line %d prefixed %q", i+1, p)
	}},
	{"param", 5, func(r *rand.Rand, c *genCase, _ []kwRow) string {
		idx := nonEmpty(c.main, func(f []string) bool { return len(f) > 1 && f[1] != "{" })
		if len(idx) == 0 {
			return ""
		}
		i := pick(r, idx)
		f := strings.Fields(c.main[i])
		j := 1 + r.Intn(len(f)-1)
		old := f[j]
		switch r.Intn(4) {
		case 0:
			c.main[i] = replaceWord(c.main[i], j, "$GKV")
			c.main = insert(c.main, 0, "$GKV="+old)
			return fmt.Sprintf("line %d word %d via $GKV=%s", i+1, j, old)
		case 1:
			c.main[i] = replaceWord(c.main[i], j, "${GKV}")
			c.main = insert(c.main, 0, "$GKV="+old)
			return fmt.Sprintf("line %d word %d via ${GKV}=%s", i+1, j, old)
		case 2:
			c.main[i] = replaceWord(c.main[i], j, "$UNDEFINED_GKV")
			return fmt.Sprintf("line %d word %d -> undefined $UNDEFINED_GKV", i+1, j)
		default:
			c.main = insert(c.main, i, "$GKV_EMPTY=")
			return fmt.Sprintf("empty parameter definition at line %d", i+1)
		}
	}},
	{"seq", 4, func(r *rand.Rand, c *genCase, _ []kwRow) string {
		s := pick(r, []string{"~SEQ(N, 1, 3)", "~SEQ(N, 3, -1, 1)", "~SEQ(N, 1, 0, 3)", "~SEQ(N)",
			"~SEQx(N, 0x10, 0x12)", "~SEQ(N, 1, 3", "~SEQ(N, a, 3)"})
		if r.Intn(2) == 0 {
			idx := nonEmpty(c.main, func(f []string) bool { return len(f) > 0 && strings.Count(f[0], ".") == 3 })
			if len(idx) > 0 {
				i := pick(r, idx)
				f := strings.Fields(c.main[i])
				ip := f[0]
				if k := strings.LastIndex(ip, "."); k >= 0 {
					ip = ip[:k] + ".2${N}"
				}
				c.main = insert(c.main, i+1, s+" "+ip)
				return fmt.Sprintf("insert %q at line %d", s+" "+ip, i+2)
			}
		}
		l := s + " vrrp_instance VI_SEQ_${N} {"
		n, _ := insertIn(r, c, "", l)
		c.main = insert(c.main, n, "interface eth0", "virtual_router_id 2${N}", "}")
		return fmt.Sprintf("insert %q block at line %d", s, n)
	}},
	{"include", 4, func(r *rand.Rand, c *genCase, _ []kwRow) string {
		switch r.Intn(3) {
		case 0:
			c.main = insert(c.main, r.Intn(len(c.main)+1), "include missing-gkv.conf")
			c.kinds = append(c.kinds, "include-missing")
			return "include of a missing file"
		case 1:
			c.main = insert(c.main, r.Intn(len(c.main)+1), "include nomatch-*.conf")
			return "include of a glob that matches nothing"
		}
		// move the top-level block around a random line to an included file
		cs := contexts(c.main)
		var starts []int
		for i, x := range cs {
			if x != "" && (i == 0 || cs[i-1] == "") {
				starts = append(starts, i)
			}
		}
		if len(starts) == 0 {
			return ""
		}
		s := pick(r, starts)
		e := s
		for e < len(cs) && cs[e] != "" {
			e++
		}
		if e >= len(cs) {
			return ""
		}
		blk := append([]string(nil), c.main[s:e+1]...)
		c.extra["inc-gkv.conf"] = blk
		rest := append([]string(nil), c.main[:s]...)
		rest = append(rest, "include inc-gkv.conf")
		c.main = append(rest, c.main[e+1:]...)
		return fmt.Sprintf("lines %d-%d moved to an included file", s+1, e+1)
	}},
	{"interface", 2, func(r *rand.Rand, c *genCase, _ []kwRow) string {
		idx := nonEmpty(c.main, func(f []string) bool { return len(f) > 1 && f[0] == "interface" })
		if len(idx) == 0 {
			return ""
		}
		i := pick(r, idx)
		c.main[i] = replaceWord(c.main[i], 1, "gkmissing0")
		return fmt.Sprintf("line %d interface -> gkmissing0", i+1)
	}},
	{"script", 2, func(r *rand.Rand, c *genCase, _ []kwRow) string {
		p := pick(r, []string{"/bin/true", "\"/bin/sh -c true\"", "/nonexistent/check", "true", "/tmp"})
		blk := []string{"vrrp_script gkv_chk {", "    script " + p, "    interval 2", "}"}
		c.main = insert(c.main, 0, blk...)
		return fmt.Sprintf("vrrp_script with script %s", p)
	}},
}

// generate builds case i for seed; it depends on nothing else, so cases
// are the same whatever the worker order.
func generate(seed int64, i int, samples []sample, rows []kwRow) *genCase {
	r := rand.New(rand.NewSource(seed*1_000_003 + int64(i)))
	s := samples[r.Intn(len(samples))]
	c := &genCase{index: i, sample: s.name, main: append([]string(nil), s.lines...), extra: map[string][]string{}}
	if i < len(samples) { // the first cases are the samples unchanged
		s = samples[i]
		c.sample, c.main = s.name, append([]string(nil), s.lines...)
		return c
	}
	total := 0
	for _, m := range mutations {
		total += m.weight
	}
	n := 1
	if x := r.Intn(20); x >= 14 {
		n = 2
		if x >= 19 {
			n = 3
		}
	}
	for tries := 0; len(c.mutations) < n && tries < 20; tries++ {
		w := r.Intn(total)
		var m mutation
		for _, m = range mutations {
			if w < m.weight {
				break
			}
			w -= m.weight
		}
		if d := m.apply(r, c, rows); d != "" {
			c.mutations = append(c.mutations, m.kind+": "+d)
			c.kinds = append(c.kinds, m.kind)
		}
	}
	return c
}
