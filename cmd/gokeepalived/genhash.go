package main

import (
	"os"
	"path/filepath"

	"github.com/gokeepalived/gokeepalived/check/genhash"
)

// genhashMode runs genhash when -T/--genhash is the first option or the
// binary is called "genhash", as keepalived does.
func genhashMode(argv []string) (int, bool) {
	if len(argv) == 0 {
		return 0, false
	}
	if filepath.Base(argv[0]) == "genhash" {
		return genhash.Main("genhash", argv[1:], true, os.Stdout, os.Stderr), true
	}
	if len(argv) > 1 && (argv[1] == "-T" || argv[1] == "--genhash") {
		return genhash.Main(argv[0], argv[2:], false, os.Stdout, os.Stderr), true
	}
	return 0, false
}
