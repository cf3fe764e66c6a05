package syntax

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"testing"
	"testing/fstest"
)

type memFS struct{ m fstest.MapFS }

func (f memFS) rel(n string) string                { return strings.TrimPrefix(path.Clean(n), "/") }
func (f memFS) ReadFile(n string) ([]byte, error)  { return fs.ReadFile(f.m, f.rel(n)) }
func (f memFS) Stat(n string) (fs.FileInfo, error) { return fs.Stat(f.m, f.rel(n)) }
func (f memFS) Glob(p string) ([]string, error) {
	m, err := fs.Glob(f.m, f.rel(p))
	for i := range m {
		m[i] = "/" + m[i]
	}
	return m, err
}

const root = "/etc/k/keepalived.conf"

func parseFiles(files map[string]string, id string) (*Tree, *Diags) {
	m := fstest.MapFS{}
	for p, c := range files {
		mode := fs.FileMode(0o644)
		if strings.HasSuffix(p, ".sh") {
			mode = 0o755
		}
		m[strings.TrimPrefix(p, "/")] = &fstest.MapFile{Data: []byte(c), Mode: mode}
	}
	ds := &Diags{}
	t := ParseFile(root, Options{FS: memFS{m}, ConfigID: id, Seed: 42, Compat: testCompat}, ds)
	return t, ds
}

// testCompat is the release parseFiles follows; parseAs sets it.
var testCompat Version

var v227 = Version{2, 2, 7}

func parse(text string) (*Tree, *Diags) { return parseFiles(map[string]string{root: text}, "nodeA") }

// parseAs is parse as keepalived release v reads text.
func parseAs(v Version, text string) (*Tree, *Diags) {
	testCompat = v
	defer func() { testCompat = Version{} }()
	return parse(text)
}

// render prints a tree compactly: words joined by '|', blocks in braces.
func render(stmts []*Stmt) string {
	var b strings.Builder
	var walk func([]*Stmt)
	walk = func(ss []*Stmt) {
		for i, s := range ss {
			if i > 0 {
				b.WriteString("; ")
			}
			for j, w := range s.Words {
				if j > 0 {
					b.WriteByte('|')
				}
				b.WriteString(w.Text)
			}
			if s.HasBlock {
				b.WriteString(" {")
				walk(s.Block)
				b.WriteString("}")
			}
		}
	}
	walk(stmts)
	return b.String()
}

func diagText(ds *Diags) string {
	var out []string
	for _, d := range ds.List {
		out = append(out, d.String())
	}
	return strings.Join(out, "\n")
}

func TestLexicalRules(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"hash comment", "router_id A # comment", "router_id|A"},
		{"bang comment", "auth_pass abc!", "auth_pass|abc"}, // keepalived issue #955
		{"comment in quotes kept", `notify "/bin/x #1 !2"`, "notify|/bin/x #1 !2"},
		{"escaped hash", `auth_pass a\#b\!c`, "auth_pass|a#b!c"},
		{"leading blanks and CR", "  \t router_id A\r", "router_id|A"},
		{"quoted word", `smtp_helo_name "a b"`, "smtp_helo_name|a b"},
		{"quote ends unquoted word", `x abc"def"`, "x|abc|def"},
		{"single quotes are ordinary", `x 'a b'`, "x|'a|b'"},
		{"brace on keyword line", "global_defs { router_id X }", "global_defs {router_id|X}"},
		{"brace on next line", "global_defs\n{\nrouter_id X\n}", "global_defs {router_id|X}"},
		{"body of one-line block is one statement", "url { path /x status_code 200 }", "url {path|/x|status_code|200}"},
		{"nested braces on one line", "a { b { c } }", "a {b {c}}"},
		{"brace inside quotes is text", `x "a{b}" {` + "\n}", "x|a{b} {}"},
		{"semicolon is not a separator", "router_id A ; enable_script_security", "router_id|A|;|enable_script_security"},
		{"trailing backslash does not continue", "a b\\\nc", "a|b\\; c"},
		{"empty quoted word", `x ""`, "x|"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr, ds := parse(c.in)
			if got := render(tr.Stmts); got != c.want {
				t.Errorf("got %q want %q", got, c.want)
			}
			if len(ds.List) != 0 {
				t.Errorf("unexpected diagnostics:\n%s", diagText(ds))
			}
		})
	}
}

func TestPositions(t *testing.T) {
	tr, _ := parse("global_defs {\n    router_id  LB1\n}\n@nodeA vrrp_instance VI_1 {\n}\n")
	g := tr.Stmts[0]
	if p := g.Pos(); p.Line != 1 || p.Col != 1 {
		t.Errorf("global_defs at %v", p)
	}
	r := g.Block[0]
	if p := r.WordPos(1); p.Line != 2 || p.Col != 16 || p.File != root {
		t.Errorf("LB1 at %v, want %s:2:16", p, root)
	}
	if p := g.Close(); p.Line != 3 || p.Col != 1 {
		t.Errorf("close brace at %v", p)
	}
	v := tr.Stmts[1]
	if p := v.WordPos(1); p.Line != 4 || p.Col != 22 {
		t.Errorf("VI_1 after @nodeA at %v, want 4:22", p)
	}
}

func TestUnmatchedQuote(t *testing.T) {
	_, ds := parse("x \"abc\n")
	if ds.Worst != UnmatchedQuote {
		t.Fatalf("worst %v:\n%s", ds.Worst, diagText(ds))
	}
	if d := ds.List[0]; d.Pos.Line != 1 || !strings.Contains(d.Msg, "Unterminated quote") {
		t.Errorf("got %v", d)
	}
}

func TestBraceErrors(t *testing.T) {
	tr, ds := parse("global_defs {\n router_id A\n}\n}\nvrrp_instance VI_1 {\n  virtual_ipaddress {\n    1.2.3.4\n")
	if ds.ExitCode() != ExitErrors {
		t.Fatalf("exit %d", ds.ExitCode())
	}
	txt := diagText(ds)
	for _, want := range []string{
		root + ":4:1: error: Extra '}' found",
		root + ":6:3: error: There are 2 missing '}'s or extra '{'s",
		root + ":5:1: error: block 'vrrp_instance VI_1' opened here is never closed",
		root + ":6:3: error: block 'virtual_ipaddress' opened here is never closed",
	} {
		if !strings.Contains(txt, want) {
			t.Errorf("missing %q in:\n%s", want, txt)
		}
	}
	// The partial tree is still there for the decoder; the extra '}'
	// is a statement, as keepalived reads it as a keyword.
	if got := render(tr.Stmts); got != "global_defs {router_id|A}; }; vrrp_instance|VI_1 {virtual_ipaddress {1.2.3.4}}" {
		t.Errorf("tree %q", got)
	}
	// A '{' nothing owns is a statement "{" with the block, which the
	// decoder reads as keepalived does.
	tr, ds = parse("{\nx\n}\n")
	if got := render(tr.Stmts); got != "{ {x}" || len(ds.List) != 0 {
		t.Errorf("leading brace: tree %q, diags %s", got, diagText(ds))
	}
	if p := tr.Stmts[0].Open(); p.Line != 1 || p.Col != 1 {
		t.Errorf("leading brace opened at %v", p)
	}
	tr, _ = parse("a 1 {\n}\nb\n\n  {\n}\n")
	if p := tr.Stmts[0].Open(); p.Line != 1 || p.Col != 5 {
		t.Errorf("a's block opened at %v", p)
	}
	if p := tr.Stmts[1].Open(); p.Line != 5 || p.Col != 3 {
		t.Errorf("b's block opened at %v", p)
	}
}

func TestConditionals(t *testing.T) {
	in := "@nodeA a 1\n@nodeB b 2\n@^nodeA c 3\n@^nodeB d 4\n@nodeA\n@nodeAx e 5\n"
	tr, ds := parse(in)
	if got := render(tr.Stmts); got != "a|1; d|4" {
		t.Errorf("got %q", got)
	}
	if len(ds.List) > 0 {
		t.Error(diagText(ds))
	}
	tr, _ = parseFiles(map[string]string{root: in}, "nodeB")
	if got := render(tr.Stmts); got != "b|2; c|3" {
		t.Errorf("as nodeB: %q", got)
	}
	// our extensions: read whatever the config id, as keepalived skips them
	tr, _ = parseFiles(map[string]string{root: "@gokeepalived x 1\n@^gokeepalived y 2\n"}, "nodeA")
	if got := render(tr.Stmts); got != "x|1" {
		t.Errorf("@gokeepalived: %q", got)
	}
}

func TestParameters(t *testing.T) {
	type paramCase struct {
		name, in, want string
		v              Version // zero: the newest
	}
	cases := []paramCase{
		{"simple", "$P=50\npriority $P", "priority|50", Version{}},
		{"braces anywhere", "$N=eth\ninterface ${N}0", "interface|eth0", Version{}},
		{"needs a separator", "$N=eth\ninterface $N0", "interface|$N0", Version{}},
		{"comma and paren end a name", "$N=1\nx $N,$N)", "x|1,1)", Version{}},
		{"undefined kept", "x $NOPE", "x|$NOPE", Version{}},
		{"name must end at blank , ) or end", "$n=1\nx $n. ${n}.", "x|$n.|1.", Version{}},
		{"recursive at use time", "$A=$B\n$B=7\nx $A", "x|7", Version{}},
		{"redefinition", "$A=1\n$A=2\nx $A", "x|2", Version{}},
		{"blanks before = make no definition", "$A  = 3\nx $A", "$A|=|3; x|$A", Version{}}, // keepalived 2.2.7: Unknown keyword '$A'
		{"empty value", "$E=\nx a${E}b", "x|ab", Version{}},
		{"multi-line", "$M=\\\n a 1 \\\n b 2\n$M\nc 3", "a|1; b|2; c|3", Version{}},
		// keepalived's processes read a copy in which a comment line is
		// empty, ending the definition, unless it ends in '\'
		{"comment line ends a multi-line definition", "$M=\\\n a 1 \\\n# c\n b 2\n$M", "b|2; a|1", Version{}},
		{"blank line ends a multi-line definition", "$M=\\\n a 1 \\\n  \t\n b 2\n$M", "b|2; a|1", Version{}},
		{"multi-line first line", "$M=a 1\\\n b 2\n$M", "a|1; b|2", Version{}},
		{"multi-line nested", "$I=\\\n i 1\\\n i 2\n$O=\\\n o 1\\\n $I\\\n o 2\n$O", "o|1; i|1; i|2; o|2", Version{}},
		{"hash builtin in quotes", `notify "/x ${_HASH} ${_BANG}"`, "notify|/x # !", Version{}},
		{"hash builtin unquoted is a comment", "x a${_HASH}b", "x|a", Version{}},
		{"instance", "router_id ${_INSTANCE}", "router_id|nodeA", Version{}},
		{"pwd", "x ${_PWD}", "x|/etc/k", Version{}},
		{"random fixed range", "x ${_RANDOM 5 5}", "x|5", Version{}},
		{"random then text (fixed upstream in 2.4.0)", "router_id R${_RANDOM 5 5}X", "router_id|R5X", Version{}},
	}
	cases = append(cases, []paramCase{
		{"conditional in parameter", "$X=@nodeA\n$X y 1\n$Y=@nodeB\n$Y z 2", "y|1", v227},
		// 2.4.0 takes a substituted line as it is
		{"conditional in parameter (2.4)", "$X=@nodeA\n$X y 1\n$Y=@nodeB\n$Y z 2", "@nodeA|y|1; @nodeB|z|2", Version{}},
		{"definition in parameter", "$D=$E=1\n$D\nx $E", "x|1", v227},
		{"definition in parameter (2.4)", "$D=$E=1\n$D\nx $E", "$E=1; x|$E", Version{}},
		{"comment ending in backslash continues it", "$M=\\\n a 1 \\\n# c \\\n b 2\n$M", "a|1; b|2", v227},
		{"comment ending in backslash ends it (2.4)", "$M=\\\n a 1 \\\n# c \\\n b 2\n$M", "b|2; a|1", Version{}},
		{"backslash after comment joins the word (2.2.7)", "a 1 # c \\\nb 2", "a|1\\; b|2", v227},
		{"backslash after comment is comment (2.4)", "a 1 # c \\\nb 2", "a|1; b|2", Version{}},
		{"random takes two parameters (2.2.7)", "x ${_RANDOM 5 5 9}", "x|5", v227},
		{"env is 2.4", "x ${_ENV HOME}", "x|$ {_ENV|HOME}", v227},
	}...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr, ds := parseAs(c.v, c.in)
			if got := render(tr.Stmts); got != c.want {
				t.Errorf("got %q want %q", got, c.want)
			}
			if len(ds.List) > 0 {
				t.Errorf("diagnostics:\n%s", diagText(ds))
			}
		})
	}
}

// ${_ENV NAME} (keepalived 2.4) is the variable, "" when unset; words
// are not numbers for the other builtins, nor parameters of a user's
// definition, and stay as written.
func TestEnvBuiltin(t *testing.T) {
	t.Setenv("GKTEST_CREDS", "/run/credentials/x.service")
	for in, want := range map[string]struct{ text, diag string }{
		"key 1 file:${_ENV GKTEST_CREDS}/k": {"key|1|file:/run/credentials/x.service/k", ""},
		"x a${_ENV GKTEST_UNSET_42}b":       {"x|ab", ""},
		"x ${_ENV}":                         {"x|$ {_ENV}", ""},
		"x ${_ENV A B}":                     {"x|$ {_ENV|A|B}", "Definition _ENV requires between 1 and 1 parameters, 2 specified."},
		"x ${_RANDOM a}":                    {"x|$ {_RANDOM|a}", "Definition _RANDOM requires numeric parameters only."},
		"$D=1\nx ${D word}":                 {"x|$ {D|word}", ""},
	} {
		tr, ds := parse(in)
		if got := render(tr.Stmts); got != want.text || (want.diag == "") != (len(ds.List) == 0) || !strings.Contains(diagText(ds), want.diag) {
			t.Errorf("%q: got %q want %q; diagnostics %q, want %q", in, got, want.text, diagText(ds), want.diag)
		}
	}
}

func TestParameterLoopIsBounded(t *testing.T) {
	_, ds := parse("$A=x $A\ny $A")
	if !strings.Contains(diagText(ds), "does not terminate") {
		t.Fatalf("got %s", diagText(ds))
	}
}

func TestExpansionIsBounded(t *testing.T) {
	in := "$A=x\n"
	for i := 0; i < 30; i++ {
		in += fmt.Sprintf("$A%d=${A%s} ${A%s}\n", i, prev(i), prev(i))
	}
	tr, ds := parse(in + "y ${A29}\n")
	txt := diagText(ds)
	if len(tr.Stmts) != 0 || !(strings.Contains(txt, "exceed maximum line length") || strings.Contains(txt, "does not terminate")) {
		t.Fatalf("got %s", diagText(ds))
	}
}

func prev(i int) string {
	if i == 0 {
		return ""
	}
	return fmt.Sprint(i - 1)
}

func TestRandomInRange(t *testing.T) {
	tr, _ := parse("~SEQ(i, 1, 50) x ${_RANDOM 10 20}")
	if len(tr.Stmts) != 50 {
		t.Fatalf("%d lines", len(tr.Stmts))
	}
	seen := map[string]bool{}
	for _, s := range tr.Stmts {
		v := s.Words[1].Text
		var n int
		fmt.Sscan(v, &n)
		if n < 10 || n > 20 {
			t.Fatalf("value %s out of range", v)
		}
		seen[v] = true
	}
	if len(seen) < 3 {
		t.Errorf("values not random: %v", seen)
	}
}

func TestSequences(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"start end", "~SEQ(i, 1, 3) x $i", "x|1; x|2; x|3"},
		{"end only", "~SEQ(i, 3) x $i", "x|1; x|2; x|3"},
		{"negative end", "~SEQ(i, -2) x $i", "x|-1; x|-2"},
		{"step", "~SEQ(i, 5, -2, 1) x $i", "x|5; x|3; x|1"},
		{"hex", "~SEQx(i, 9, 11) x $i", "x|9; x|a; x|b"},
		{"braces in text", "~SEQ(i, 1, 2) vrrp_instance VI_$i {\n}", "vrrp_instance|VI_1 {vrrp_instance|VI_2 {}}"},
		{"list", "~LST(v, a, b) x $v", "x|a; x|b"},
		{"list of tuples", "~LST({n,p},{a,1},{b,2}) x $n $p", "x|a|1; x|b|2"},
		{"list missing value blank", "~LST({n,p},{a}) x ${n}.${p}.", "x|a.."},
		{"nested", "~SEQ(i,1,2) ~SEQ(j,1,2) x ${i}${j}", "x|11; x|12; x|21; x|22"},
		{"parameter as bound", "$N=2\n~SEQ(i,1,$N) x $i", "x|1; x|2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr, ds := parse(c.in)
			got := render(tr.Stmts)
			if c.name == "braces in text" {
				// Each generated line opens a block; the second opens
				// inside the first and the single '}' closes only one.
				if !strings.HasPrefix(got, "vrrp_instance|VI_1 {vrrp_instance|VI_2 {}") {
					t.Errorf("got %q", got)
				}
				return
			}
			if got != c.want {
				t.Errorf("got %q want %q", got, c.want)
			}
			if len(ds.List) > 0 {
				t.Errorf("diagnostics:\n%s", diagText(ds))
			}
		})
	}
	for _, bad := range []string{"~SEQ(i) x", "~SEQ(i, 1, 0, 3) x", "~SEQ(i, 1, -1, 3) x", "~SEQx(i, -1, 3) x", "~SEQ i 1 3", "~LST(v) x", "~SEQ(, 1, 2) x"} {
		_, ds := parse(bad)
		if !strings.Contains(diagText(ds), "Invalid ~") {
			t.Errorf("%q: no error: %s", bad, diagText(ds))
		}
	}
}

func TestIncludes(t *testing.T) {
	files := map[string]string{
		root:                         "a 1\ninclude conf.d/*.conf\nb 2\ninclude /etc/k/{x,y}.inc\nvrrp_instance V {\ninclude part.inc\n",
		"/etc/k/conf.d/10.conf":      "c 3\n",
		"/etc/k/conf.d/20.conf":      "d 4\ninclude ../sub/e.inc\n",
		"/etc/k/sub/e.inc":           "e ${_PWD}\n",
		"/etc/k/x.inc":               "x 1\n",
		"/etc/k/y.inc":               "y 1\n",
		"/etc/k/part.inc":            "  state BACKUP\n}\n",
		"/etc/k/conf.d/skip.conf.sh": "zzz\n",
	}
	tr, ds := parseFiles(files, "n")
	want := "a|1; c|3; d|4; e|/etc/k/sub; b|2; x|1; y|1; vrrp_instance|V {state|BACKUP}"
	if got := render(tr.Stmts); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if len(ds.List) > 0 {
		t.Errorf("diagnostics:\n%s", diagText(ds))
	}
	if p := tr.Stmts[3].Pos(); p.File != "/etc/k/sub/e.inc" || p.Line != 1 {
		t.Errorf("included statement at %v", p)
	}
	if len(tr.Files) != 7 {
		t.Errorf("files read: %v", tr.Files)
	}
}

func TestIncludeProblems(t *testing.T) {
	t.Run("cycle", func(t *testing.T) {
		_, ds := parseFiles(map[string]string{root: "include a.inc\n", "/etc/k/a.inc": "x 1\ninclude b.inc\n", "/etc/k/b.inc": "include a.inc\n"}, "n")
		d := ds.List[0]
		if d.Kind != Fatal || !strings.Contains(d.Msg, "include cycle: /etc/k/keepalived.conf -> /etc/k/a.inc -> /etc/k/b.inc -> /etc/k/a.inc") || d.Pos.File != "/etc/k/b.inc" {
			t.Errorf("got %v", d)
		}
	})
	t.Run("missing named file is an error", func(t *testing.T) {
		_, ds := parseFiles(map[string]string{root: "x 1\ninclude nope.conf\n"}, "n")
		if ds.ExitCode() != ExitErrors || !strings.Contains(diagText(ds), root+":2:1: error: Config files missing 'nope.conf'.") {
			t.Errorf("got %s", diagText(ds))
		}
	})
	t.Run("wildcard matching nothing is only logged", func(t *testing.T) {
		_, ds := parseFiles(map[string]string{root: "include none/*.conf\n"}, "n")
		if ds.ExitCode() != ExitOK || len(ds.List) != 1 {
			t.Errorf("got %s", diagText(ds))
		}
	})
	t.Run("includew makes it an error", func(t *testing.T) {
		_, ds := parseFiles(map[string]string{root: "includew none/*.conf\n"}, "n")
		if ds.ExitCode() != ExitCantRun {
			t.Errorf("exit %d: %s", ds.ExitCode(), diagText(ds))
		}
	})
	t.Run("executable skipped with a log line", func(t *testing.T) {
		tr, ds := parseFiles(map[string]string{root: "include x.sh\ny 1\n", "/etc/k/x.sh": "z 1\n"}, "n")
		if render(tr.Stmts) != "y|1" || ds.ExitCode() != ExitOK || !strings.Contains(diagText(ds), "not a regular non-executable file") {
			t.Errorf("got %q %s", render(tr.Stmts), diagText(ds))
		}
	})
	t.Run("main file missing", func(t *testing.T) {
		ds := &Diags{}
		ParseFile("/nonexistent/keepalived.conf", Options{FS: memFS{fstest.MapFS{}}}, ds)
		if ds.ExitCode() != ExitCantRun {
			t.Errorf("exit %d", ds.ExitCode())
		}
	})
	t.Run("depth guard", func(t *testing.T) {
		files := map[string]string{root: "include d0.inc\n"}
		for i := 0; i < 40; i++ {
			files[fmt.Sprintf("/etc/k/d%d.inc", i)] = fmt.Sprintf("include d%d.inc\n", i+1)
		}
		_, ds := parseFiles(files, "n")
		if !strings.Contains(diagText(ds), "nested deeper than 32") {
			t.Errorf("got %s", diagText(ds))
		}
	})
}

func TestBadLines(t *testing.T) {
	long := "x " + strings.Repeat("a", MaxLineLen)
	tr, ds := parse("a 1\n" + long + "\nb\x00c\nd 2\n")
	if got := render(tr.Stmts); got != "a|1; d|2" {
		t.Errorf("got %q", got)
	}
	txt := diagText(ds)
	// keepalived 2.4 names the line before the one it drops
	if !strings.Contains(txt, root+":2: error: line too long") || !strings.Contains(txt, root+":2: error: configuration appears to have embedded NULs") {
		t.Errorf("got %s", txt)
	}
	// 2.2.7 reads such a line up to the NUL
	tr, ds = parseAs(v227, "a 1\nb\x00c\nd 2\n")
	if got := render(tr.Stmts); got != "a|1; b; d|2" || len(ds.List) != 0 {
		t.Errorf("2.2.7: got %q, %s", got, diagText(ds))
	}
}

func TestExpandBraces(t *testing.T) {
	cases := map[string]string{
		"a{b,c}d":     "abd acd",
		"{a,b}{1,2}":  "a1 a2 b1 b2",
		"x{a,{b,c}}y": "xay xby xcy",
		"x{a}y":       "x{a}y",
		"x{a,b":       "x{a,b",
		"none":        "none",
	}
	for in, want := range cases {
		if got := strings.Join(ExpandBraces(in), " "); got != want {
			t.Errorf("%q: got %q want %q", in, got, want)
		}
	}
}

func TestShellWords(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{`notify "/bin/echo # 'a b' \"c d\" e\x41f"`, []string{"notify", `/bin/echo # 'a b' "c d" eAf`}},
		{`\x4142 \x4g`, []string{"A42", "\x04g"}}, // two digits at most, from 2.3.2
		{`/bin/echo # 'a b' "c d" e`, []string{"/bin/echo", "#", "a b", "c d", "e"}},
		{`a"b c"'d'`, []string{"ab cd"}},
		{`x \t\n\101\cA\q`, []string{"x", "\t\n\x41\x01q"}},
		{`'it\'s'`, []string{"it's"}},
	}
	for _, c := range cases {
		got, err := ShellWords(c.in)
		if err != nil || strings.Join(got, "\x00") != strings.Join(c.want, "\x00") {
			t.Errorf("%q: got %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	// before 2.3.2 \x takes every digit and keeps the low byte
	if got, _ := ShellWordsFor(Version{2, 3, 1}, `\x4142 e\x41f`); strings.Join(got, "|") != "B|e\x1f" {
		t.Errorf("2.3.1: got %q", got)
	}
	if _, err := ShellWords(`x "abc`); err == nil {
		t.Error("unterminated quote accepted")
	}
}

func TestExitCodes(t *testing.T) {
	cases := map[Kind]int{Info: 0, FileNotFound: 4, BadInterface: 4, Fatal: 4, UnknownKeyword: 5, Warning: 5, Deprecated: 5, SecurityError: 6}
	for k, want := range cases {
		if got := k.ExitCode(); got != want {
			t.Errorf("%v: %d want %d", k, got, want)
		}
	}
	// The highest kind wins, as in keepalived: a later general error
	// turns a "cannot run" verdict into 5.
	var ds Diags
	ds.Add(Pos{}, BadInterface, "x")
	ds.Add(Pos{}, GeneralError, "y")
	if ds.ExitCode() != 5 {
		t.Errorf("got %d", ds.ExitCode())
	}
}

// TestCompatMessages checks the preprocessor messages that differ
// between keepalived 2.2.7 and 2.4.0 and later (lib/parser.c).
func TestCompatMessages(t *testing.T) {
	cases := []struct {
		name, in string
		old, new []string // messages, as "line: text"
	}{
		{"random min over max", "x ${_RANDOM 9 3}", nil,
			[]string{"1: ${_RANDOM}: min 9 exceeds max 3, using 9"}},
		{"random three parameters", "x ${_RANDOM 1 2 3}", nil,
			[]string{"1: Definition _RANDOM requires between 0 and 2 parameters, 3 specified."}},
		{"random letters", "x ${_RANDOM a}", nil,
			[]string{"1: Definition _RANDOM requires numeric parameters only."}},
		{"env two names", "x ${_ENV A B}", nil,
			[]string{"1: Definition _ENV requires between 1 and 1 parameters, 2 specified."}},
		{"seq without ')'", "~SEQ(i,1,3 x $i",
			[]string{"1: ~SEQ parameter strings too long '~SEQ(i,1,3 x $i'", "1: Invalid ~SEQ specification '~SEQ(i,1,3 x $i'"},
			[]string{"1: ~SEQ missing terminating ')' '~SEQ(i,1,3 x $i'", "1: Invalid ~SEQ specification '~SEQ(i,1,3 x $i'"}},
		// the copy the other processes read has "a#b": a comment
		{"unmatched quote lost in the copy", "router_id a\\#b \"c \\\n",
			[]string{"1: Unterminated quote 'router_id a#b \"c '", "1: Unmatched quote: 'router_id a#b \"c\\'"},
			[]string{"1: Unterminated quote 'router_id a#b \"c '"}},
		{"unmatched quote kept in the copy", "router_id \"a \\\" b\"",
			[]string{"1: Unmatched quote: 'router_id \"a \\\" b\"'"},
			[]string{"1: Unmatched quote: 'router_id \"a \\\" b\"'"}},
	}
	for _, c := range cases {
		for _, v := range []struct {
			v    Version
			want []string
		}{{v227, c.old}, {Version{}, c.new}} {
			_, ds := parseAs(v.v, c.in)
			var got []string
			for _, d := range ds.List {
				got = append(got, fmt.Sprintf("%d: %s", d.Pos.Line, d.Msg))
			}
			if strings.Join(got, "\n") != strings.Join(v.want, "\n") {
				t.Errorf("%s (%v): got\n%s\nwant\n%s", c.name, v.v, strings.Join(got, "\n"), strings.Join(v.want, "\n"))
			}
		}
	}
}

// TestScriptLine checks the first split of a script keyword's line: from
// keepalived 2.3.2 escapes are kept for the second split.
func TestScriptLine(t *testing.T) {
	line := `notify "/bin/echo \"a b\"" root`
	got, err := ScriptLineFor(Version{}, line)
	if err != nil || strings.Join(got, "|") != `notify|/bin/echo \"a b\"|root` {
		t.Errorf("2.4: %q, %v", got, err)
	}
	if argv, _ := ShellWords(got[1]); strings.Join(argv, "|") != `/bin/echo|"a|b"` {
		t.Errorf("2.4 command: %q", argv)
	}
	got, err = ScriptLineFor(v227, line)
	if err != nil || strings.Join(got, "|") != `notify|/bin/echo "a b"|root` {
		t.Errorf("2.2.7: %q, %v", got, err)
	}
	// 2.2.7 decodes \" in both splits: the command's quote is left open
	got, _ = ScriptLineFor(v227, `notify "/bin/true \"a"`)
	if _, err := ShellWordsFor(v227, got[1]); !errors.Is(err, ErrUnterminated) || err.Error() != `String '/bin/true "a': missing terminating "` {
		t.Errorf("2.2.7 unclosed: %v", err)
	}
	if got, err := ScriptLineFor(Version{}, `notify "/bin/true \"a"`); err != nil || got[1] != `/bin/true \"a` {
		t.Errorf("2.4 kept quote: %q, %v", got, err)
	}
}
