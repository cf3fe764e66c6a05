package syntax

import (
	"bytes"
	"testing"
	"testing/fstest"

	"github.com/gokeepalived/gokeepalived/conf/internal/confgen"
)

// BenchmarkParseTree10kVS measures the syntax layer alone on the config of
// conf's BenchmarkParse10kVS.
func BenchmarkParseTree10kVS(b *testing.B) {
	var buf bytes.Buffer
	if err := confgen.Write(&buf, 10000, 4); err != nil {
		b.Fatal(err)
	}
	fsys := memFS{fstest.MapFS{"etc/k/keepalived.conf": &fstest.MapFile{Data: buf.Bytes(), Mode: 0o644}}}
	b.ReportAllocs()
	for b.Loop() {
		ds := &Diags{}
		ParseFile(root, Options{FS: fsys, ConfigID: "b", Seed: 1}, ds)
		if len(ds.List) > 0 {
			b.Fatal(ds.List[0])
		}
	}
}
