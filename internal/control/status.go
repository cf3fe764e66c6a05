package control

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/gokeepalived/gokeepalived/internal/cli"
	"github.com/gokeepalived/gokeepalived/internal/netns"
)

// StatusCommand is `gokeepalived status`: it asks the running daemon for its state and prints it as JSON.
func StatusCommand(args []string, stdout, stderr io.Writer) int {
	path := DefaultPath
	parsed, _, err := cli.Parse([]cli.Spec{{Long: "control-socket", Arg: cli.RequiredArg},
		{Short: 's', Long: "namespace", Arg: cli.RequiredArg}}, args)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	for _, p := range parsed {
		path = p.Value
		if p.Spec.Long == "namespace" {
			path = netns.Socket(p.Value)
		}
	}
	data, err := Request(path, "status")
	if err != nil {
		fmt.Fprintln(stderr, "gokeepalived status:", err)
		return 1
	}
	var buf bytes.Buffer
	if json.Indent(&buf, data, "", "  ") != nil {
		buf.Write(data)
	}
	buf.WriteByte('\n')
	stdout.Write(buf.Bytes())
	return 0
}
