// Command genconf writes a synthetic keepalived.conf to stdout:
// genconf [VIRTUAL_SERVERS [REAL_SERVERS_EACH]] (default 10000 4).
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/gokeepalived/gokeepalived/conf/internal/confgen"
)

func main() {
	vs, rs := 10000, 4
	if len(os.Args) > 1 {
		vs, _ = strconv.Atoi(os.Args[1])
	}
	if len(os.Args) > 2 {
		rs, _ = strconv.Atoi(os.Args[2])
	}
	if err := confgen.Write(os.Stdout, vs, rs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
