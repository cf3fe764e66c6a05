package deb

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gokeepalived/gokeepalived/internal/testenv"
)

// TestManPageAndCompletionCoverFlags keeps gokeepalived(8) and the bash
// completion in step with the binary: every flag --help lists (and
// every command) is in both.
func TestManPageAndCompletionCoverFlags(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "gokeepalived")
	// make build's flags, so that the build cache serves make deb's too.
	if out, err := exec.Command("make", "-C", testenv.Root(), "--no-print-directory", "build", "BIN="+bin).CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	help, _ := exec.Command(bin, "--help").CombinedOutput()
	usage := string(help)
	if i := strings.Index(usage, "Commands:"); i >= 0 {
		usage = usage[:i] // the option table; commands are checked below
	}
	flags := regexp.MustCompile(`(?m)(?:^\s+|, )(--?[A-Za-z][A-Za-z_-]*)`).FindAllStringSubmatch(usage, -1)
	if len(flags) < 50 {
		t.Fatalf("found %d flags in --help:\n%s", len(flags), help)
	}
	t.Logf("%d flags in --help", len(flags))
	man, err := os.ReadFile(filepath.Join(testenv.Root(), "docs/gokeepalived.8"))
	if err != nil {
		t.Fatal(err)
	}
	manText := strings.ReplaceAll(string(man), `\-`, "-")
	comp, err := os.ReadFile(filepath.Join(testenv.Root(), "scripts/bash-completion/gokeepalived"))
	if err != nil {
		t.Fatal(err)
	}
	has := func(text, word string) bool {
		return regexp.MustCompile(`(^|[^A-Za-z_-])` + regexp.QuoteMeta(word) + `($|[^A-Za-z_-])`).MatchString(text)
	}
	for _, f := range flags {
		if !has(manText, f[1]) {
			t.Errorf("gokeepalived(8) lacks %s", f[1])
		}
		if !has(string(comp), f[1]) {
			t.Errorf("bash completion lacks %s", f[1])
		}
	}
	for _, c := range []string{"status", "drain", "undrain", "--timeout", "ipvs", "reload", "--dry-run", "--genhash"} {
		if !strings.Contains(string(help), c) && c != "--genhash" {
			t.Errorf("--help no longer lists %s: update this test", c)
		}
		if !has(manText, c) || !has(string(comp), c) {
			t.Errorf("man page or completion lacks %s", c)
		}
	}
}

// TestVersion checks that git describe's forms become valid Debian
// versions that sort as the commits do.
func TestVersion(t *testing.T) {
	const epoch = "1764892800" // 2025-12-05 UTC
	cases := []struct{ in, want string }{
		{"v1.2.3", "1.2.3-1"},
		{"1.2.3", "1.2.3-1"},
		{"v1.2-3-gabcdef0", "1.2+3+gabcdef0-1"},
		{"v1.2-3-gabcdef0-dirty", "1.2+3+gabcdef0+dirty-1"},
		{"560823f", "0~git20251205.560823f-1"},
		{"abcdef0-dirty", "0~git20251205.abcdef0.dirty-1"},
		{"dev", "0~git20251205.dev-1"},
	}
	for _, c := range cases {
		out, err := exec.Command(filepath.Join(testenv.Root(), "scripts/deb/version"), c.in, epoch).CombinedOutput()
		got := strings.TrimSpace(string(out))
		if err != nil || got != c.want {
			t.Errorf("%s: got %q (%v), want %q", c.in, got, err, c.want)
			continue
		}
		if _, err := exec.LookPath("dpkg"); err == nil {
			if out, err := exec.Command("dpkg", "--validate-version", got).CombinedOutput(); err != nil {
				t.Errorf("%s: %s", got, out)
			}
		}
	}
	// A tagged build sorts above the untagged ones before it, and a
	// later commit on a tag above the tag.
	if _, err := exec.LookPath("dpkg"); err == nil {
		for _, p := range [][2]string{{"0~git20251205.560823f-1", "0.1-1"}, {"0.1-1", "0.1+3+gabcdef0-1"}} {
			if err := exec.Command("dpkg", "--compare-versions", p[0], "lt", p[1]).Run(); err != nil {
				t.Errorf("%s should sort below %s", p[0], p[1])
			}
		}
	}
}

// TestCopyrightNamesLinkedModules keeps debian/copyright in step with
// go.mod: every module linked into the binary has a stanza.
func TestCopyrightNamesLinkedModules(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "gokeepalived")
	if out, err := exec.Command("make", "-C", testenv.Root(), "--no-print-directory", "build", "BIN="+bin).CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	out, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, out)
	}
	copyright, err := os.ReadFile(filepath.Join(testenv.Root(), "scripts/deb/copyright"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == "dep" {
			n++
			if !regexp.MustCompile(`[\s:]` + regexp.QuoteMeta(f[1]) + `(\s|$)`).Match(copyright) {
				t.Errorf("scripts/deb/copyright has no stanza for %s", f[1])
			}
		}
	}
	if n == 0 {
		t.Fatalf("no modules in go version -m:\n%s", out)
	}
}
