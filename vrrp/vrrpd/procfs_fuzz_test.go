package vrrpd_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeepalived/gokeepalived/vrrp/vrrpd"
)

// FuzzProcFS lays out one /proc/PID directory with the fuzzer's comm,
// stat and cmdline, and lists it as track_process does: nothing panics,
// a zombie or unreadable stat of a tracked name is left out, and what is
// listed is what the files say.
func FuzzProcFS(f *testing.F) {
	f.Add([]byte("nginx\n"), []byte("42 (nginx) S 1 42 42 0"), []byte("nginx: master\x00-g\x00daemon off;\x00"), true)
	f.Add([]byte("a) Z (b\n"), []byte("42 (a) Z (b) Z 1"), []byte{}, true)
	f.Add([]byte("x\n"), []byte("42 (x)"), []byte("\x00\x00"), false)
	f.Fuzz(func(t *testing.T, comm, stat, cmdline []byte, track bool) {
		if len(comm) > 4096 || len(stat) > 4096 || len(cmdline) > 4096 {
			return
		}
		root := t.TempDir()
		dir := filepath.Join(root, "42")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range map[string][]byte{"comm": comm, "stat": stat, "cmdline": cmdline} {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		name := string(bytes.TrimSuffix(comm, []byte("\n")))
		names := map[string]bool{}
		if track {
			names[name] = true
		}
		ps, err := vrrpd.ProcFS{Root: root}.List(names, true)
		if err != nil {
			t.Fatal(err)
		}
		end := bytes.LastIndexByte(stat, ')')
		zombie := end < 0 || end+2 >= len(stat) || stat[end+2] == 'Z'
		want := len(comm) > 0 && !(track && zombie)
		if (len(ps) == 1) != want || len(ps) > 1 {
			t.Fatalf("comm %q stat %q tracked %v: listed %+v", comm, stat, track, ps)
		}
		if !want {
			return
		}
		p := ps[0]
		if p.PID != 42 || p.Comm != name {
			t.Fatalf("listed %+v from comm %q", p, comm)
		}
		if got := strings.Join(p.Cmdline, "\x00"); len(cmdline) > 0 && got != strings.TrimSuffix(string(cmdline), "\x00") {
			t.Fatalf("argv %q from cmdline %q", p.Cmdline, cmdline)
		}
	})
}
