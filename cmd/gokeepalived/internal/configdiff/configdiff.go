// Package configdiff reads the messages of a config check, keepalived's
// and ours, into one form so differential tests can compare them.
package configdiff

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Message is one config-check message. Line is 0 when keepalived gave
// none (messages reported after parsing, "Non-existent interface
// specified in configuration" say).
type Message struct {
	Line int
	Text string
}

var (
	kaLine   = regexp.MustCompile(`^\((?:.*: )?Line (\d+)\) (.*)$`)
	oursLine = regexp.MustCompile(`^[^:]*(?::(\d+))?(?::\d+)?: (info|fatal|warning|error|security): (.*)$`)
)

// ParseKeepalived reads the output of keepalived -t: "(Line N) TEXT" from
// the main parse, "(FILE: Line N) TEXT" from the subsystem parses, and
// bare "TEXT". Each parse pass repeats its messages; they are returned
// once, sorted.
func ParseKeepalived(out string) []Message {
	var ms []Message
	for _, l := range strings.Split(out, "\n") {
		if l == "" {
			continue
		}
		if m := kaLine.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			ms = append(ms, Message{n, m[2]})
			continue
		}
		ms = append(ms, Message{0, l})
	}
	return uniq(ms)
}

// ParseOurs reads the output of gokeepalived -t, "FILE:LINE:COL: KIND:
// TEXT". Info messages are left out: they stand for what keepalived logs
// rather than reports, which -t does not print. A line that does not
// parse is kept whole, so a comparison shows it.
func ParseOurs(out string) []Message {
	var ms []Message
	for _, l := range strings.Split(out, "\n") {
		if l == "" {
			continue
		}
		m := oursLine.FindStringSubmatch(l)
		if m == nil {
			ms = append(ms, Message{0, l})
			continue
		}
		if m[2] == "info" {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		ms = append(ms, Message{n, m[3]})
	}
	return uniq(ms)
}

// Diff compares keepalived's messages with ours. A keepalived message
// without a line matches one of ours of the same text on any line. It
// returns keepalived's messages we lack and ours it lacks.
func Diff(ka, ours []Message) (missing, extra []Message) {
	used := make([]bool, len(ours))
	find := func(m Message) bool {
		for i, o := range ours {
			if !used[i] && o.Text == m.Text && (m.Line == 0 || o.Line == m.Line) {
				used[i] = true
				return true
			}
		}
		return false
	}
	// lined messages first, so a bare one does not take their match
	for _, bare := range []bool{false, true} {
		for _, m := range ka {
			if (m.Line == 0) == bare && !find(m) {
				missing = append(missing, m)
			}
		}
	}
	for i, o := range ours {
		if !used[i] {
			extra = append(extra, o)
		}
	}
	return missing, extra
}

func uniq(ms []Message) []Message {
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].Line != ms[j].Line {
			return ms[i].Line < ms[j].Line
		}
		return ms[i].Text < ms[j].Text
	})
	out := ms[:0]
	for i, m := range ms {
		if i == 0 || m != ms[i-1] {
			out = append(out, m)
		}
	}
	return out
}

var unknownWhere = regexp.MustCompile(`^(Unknown keyword '.*') in [a-zA-Z_ ]+$`)

// TrimWhere drops the block name that gokeepalived adds to keepalived's
// "Unknown keyword 'x'" (a documented extra: "... in vrrp_instance").
func TrimWhere(ms []Message) []Message {
	out := make([]Message, len(ms))
	for i, m := range ms {
		out[i] = Message{m.Line, unknownWhere.ReplaceAllString(m.Text, "$1")}
	}
	return uniq(out)
}
