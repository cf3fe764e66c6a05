package archtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// maxMainLines bounds package main: it keeps the flags, the subcommand
// dispatch and detaching; what the daemon does lives in packages with
// their own tests.
const maxMainLines = 600

func TestMainStaysThin(t *testing.T) {
	files, err := filepath.Glob("../../cmd/gokeepalived/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no package main: %v", err)
	}
	total, sizes := 0, []string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n := bytes.Count(b, []byte("\n"))
		total += n
		sizes = append(sizes, filepath.Base(f)+" "+strconv.Itoa(n))
	}
	if total > maxMainLines {
		t.Errorf("cmd/gokeepalived has %d lines outside tests, over %d: move subsystem logic to its package (%s)",
			total, maxMainLines, strings.Join(sizes, ", "))
	}
}
