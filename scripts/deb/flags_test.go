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
	for _, c := range []string{"status", "ipvs", "reload", "--dry-run", "--genhash"} {
		if !strings.Contains(string(help), c) && c != "--genhash" {
			t.Errorf("--help no longer lists %s: update this test", c)
		}
		if !has(manText, c) || !has(string(comp), c) {
			t.Errorf("man page or completion lacks %s", c)
		}
	}
}
