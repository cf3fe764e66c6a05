package conf

import (
	"bytes"
	"flag"
	"fmt"
	"github.com/gokeepalived/gokeepalived/internal/testenv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/dumpjson")

// goldenInputs are the configs whose --dump-json output is pinned: the
// upstream samples (Debian's package ships them) and our own.
var goldenInputs = []string{
	filepath.Join(testenv.DebianSamples, "keepalived.conf.*"),
	"../testdata/keepalived.conf",
	"../testdata/configtest/*.conf",
}

// TestDumpJSONGolden pins the resolved model of every sample and test
// config: a change to a default, a field name or a fix-up shows up as a
// diff of the golden file. Diagnostics and the verdict are pinned beside
// it, so message wording and positions are reviewed too.
func TestDumpJSONGolden(t *testing.T) {
	var files []string
	samples := 0
	for _, pat := range goldenInputs {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(pat, testenv.DebianSamples) {
			samples = len(m)
		}
		files = append(files, m...)
	}
	if samples == 0 {
		testenv.Unavailable(t, "keepalived's samples not in %s", testenv.DebianSamples)
	}
	if len(files) < 40 {
		t.Fatalf("only %d configs found", len(files))
	}
	seen := map[string]bool{}
	for _, f := range files {
		name := filepath.Base(f)
		if seen[name] {
			t.Fatalf("two inputs named %s", name)
		}
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			// Fixed config id and seed: the output must not depend on
			// the host name or the time.
			cfg, diags := Load(f, Options{ConfigID: "golden", Seed: 1, Compat: Oldest}) // checked against 2.2.7
			var got bytes.Buffer
			if err := WriteJSON(&got, cfg); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&got, "// verdict %d\n", diags.ExitCode())
			for _, d := range diags.List {
				fmt.Fprintf(&got, "// %s\n", d)
			}
			golden := filepath.Join("..", "testdata", "dumpjson", name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./conf -run TestDumpJSONGolden -update)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("--dump-json differs from %s:\n%s", golden, lineDiff(string(want), got.String()))
			}
		})
	}
}

// lineDiff shows the first differing lines, enough to see what moved.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl == gl {
			continue
		}
		fmt.Fprintf(&b, "line %d:\n  want %q\n  got  %q\n", i+1, wl, gl)
		if shown++; shown == 5 {
			b.WriteString("  ...\n")
			break
		}
	}
	return b.String()
}
