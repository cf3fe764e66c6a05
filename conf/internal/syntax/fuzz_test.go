package syntax

import (
	"fmt"
	"github.com/gokeepalived/gokeepalived/internal/testenv"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

func addSamples(f *testing.F) {
	for _, p := range testenv.SeedFiles() {
		if b, err := os.ReadFile(p); err == nil && len(b) < 8192 {
			f.Add(string(b))
		}
	}
	f.Add("global_defs { router_id A }\n$X=1\n~SEQ(i,1,3) x $i ${X}\n@a b\n")
	f.Add("$M=\\\n a \\\n b\n$M\n~LST({a,b},{1,2}) x $a $b\n\"unterminated\n}}{{\n")
}

// FuzzParse runs the whole syntax layer, with includes resolved against an
// in-memory tree holding the input under two names, and checks it ends
// without panicking and with positions inside the input.
func FuzzParse(f *testing.F) {
	addSamples(f)
	maxGenerated = 20_000
	f.Fuzz(func(t *testing.T, in string) {
		m := fstest.MapFS{
			"etc/k/keepalived.conf": &fstest.MapFile{Data: []byte(in), Mode: 0o644},
			"etc/k/inc.conf":        &fstest.MapFile{Data: []byte(in), Mode: 0o644},
		}
		ds := &Diags{}
		tr := ParseFile(root, Options{FS: memFS{m}, ConfigID: "a", Seed: 1}, ds)
		lines := strings.Count(in, "\n") + 1
		var check func([]*Stmt)
		check = func(ss []*Stmt) {
			for _, s := range ss {
				if len(s.Words) == 0 {
					t.Fatalf("statement without words at %v", s.Pos())
				}
				if s.Line < 1 || int(s.Line) > lines {
					t.Fatalf("line %d outside input of %d lines", s.Line, lines)
				}
				check(s.Block)
			}
		}
		check(tr.Stmts)

		// Parse reuses memory once a statement is handed out: what it
		// hands out must still be what ParseFile keeps.
		var want, got strings.Builder
		for _, s := range tr.Stmts {
			dumpStmt(&want, s, 0)
		}
		ds2 := &Diags{}
		Parse(root, Options{FS: memFS{m}, ConfigID: "a", Seed: 1}, ds2, func(s *Stmt) { dumpStmt(&got, s, 0) })
		if want.String() != got.String() {
			t.Fatalf("Parse and ParseFile differ:\n%s\n---\n%s", got.String(), want.String())
		}
		if fmt.Sprint(ds.List) != fmt.Sprint(ds2.List) {
			t.Fatalf("Parse and ParseFile report differently:\n%v\n---\n%v", ds2.List, ds.List)
		}

		// The builder's fast path must give what the preprocessor gives.
		var slow strings.Builder
		ds3 := &Diags{}
		noFastPath = true
		tr3 := ParseFile(root, Options{FS: memFS{m}, ConfigID: "a", Seed: 1}, ds3)
		noFastPath = false
		for _, s := range tr3.Stmts {
			dumpStmt(&slow, s, 0)
		}
		if want.String() != slow.String() {
			t.Fatalf("fast path and preprocessor differ:\n%s\n---\n%s", want.String(), slow.String())
		}
		if fmt.Sprint(ds.List) != fmt.Sprint(ds3.List) {
			t.Fatalf("fast path and preprocessor report differently:\n%v\n---\n%v", ds.List, ds3.List)
		}
	})
}

// dumpStmt writes all of s, its block included, one line a statement.
func dumpStmt(b *strings.Builder, s *Stmt, depth int) {
	fmt.Fprintf(b, "%*s%v %q %v %v %v\n", depth, "", s.Pos(), s.Raw, s.Words, s.HasBlock, s.Close())
	for _, c := range s.Block {
		dumpStmt(b, c, depth+1)
	}
}

func FuzzFields(f *testing.F) {
	f.Add(`a "b c" d"e" "`)
	f.Fuzz(func(t *testing.T, in string) {
		words, _ := Fields(in, 0)
		for _, w := range words {
			if int(w.Col) < 1 || int(w.Col) > len(in) {
				t.Fatalf("column %d outside %q", w.Col, in)
			}
			if strings.ContainsAny(w.Text, "\"") {
				t.Fatalf("word %q keeps a quote", w.Text)
			}
		}
	})
}

func FuzzShellWords(f *testing.F) {
	f.Add(`"/bin/echo # 'a b' \"c d\" e\x41f"`)
	f.Add(`a\`)
	f.Fuzz(func(t *testing.T, in string) {
		words, err := ShellWords(in)
		if err == nil && strings.TrimSpace(in) != "" && len(words) == 0 && !strings.ContainsAny(in, "\t ") {
			t.Fatalf("no words from %q", in)
		}
	})
}
