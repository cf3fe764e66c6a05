// Package configtestout reads the output of a config test (-t), keepalived
// 2.2.7's and gokeepalived's, into one form of messages, (line, text), and
// compares the two. The config-case test in cmd/gokeepalived and the
// generated differential in conf/differential both use it, so both hold
// gokeepalived to the same rules.
package configtestout

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Message is one config-test message. Line is 0 when none was given
// (keepalived reports some after parsing, "Non-existent interface
// specified in configuration" say).
type Message struct {
	Line int
	Text string
}

var (
	// keepalived: "(Line N) TEXT" in the main pass, "(FILE: Line N) TEXT"
	// in the subsystem passes.
	kaLine = regexp.MustCompile(`^\((?:.*: )?Line (\d+)\) (.*)$`)
	// gokeepalived: "FILE:LINE:COL: KIND: TEXT", line and column optional;
	// the file may hold ':'.
	oursLine = regexp.MustCompile(`^.*?(?::(\d+)(?::\d+)?)?: (info|notice|fatal|warning|security|error): (.*)$`)
)

// lines splits output into lines without trailing blanks or CRs, leaving
// out the empty ones.
func lines(out string) []string {
	var ls []string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimRight(l, " \r"); l != "" {
			ls = append(ls, l)
		}
	}
	return ls
}

// ParseKeepalived reads the output of keepalived -t: "(Line N) TEXT",
// "(FILE: Line N) TEXT" and bare "TEXT" (line 0). Each parse pass repeats
// its messages; they are returned once, sorted by line and text.
func ParseKeepalived(out string) []Message {
	var ms []Message
	for _, l := range lines(out) {
		if m := kaLine.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			ms = append(ms, Message{n, m[2]})
			continue
		}
		ms = append(ms, Message{0, l})
	}
	return uniq(ms)
}

// ParseOurs reads the output of gokeepalived -t. Info messages are left
// out: they stand for what keepalived logs, which -t does not print. A
// line that does not parse is kept whole (line 0), so a comparison shows
// it. Returned once each, sorted.
func ParseOurs(out string) []Message {
	var ms []Message
	for _, l := range lines(out) {
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

// Diff compares keepalived's messages with ours, one for one: a message
// of keepalived's with a line matches one of ours with that line and
// text; one without a line matches one of ours with its text on any line
// not already matched. It returns keepalived's messages we lack and ours
// it lacks, each in the order given.
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
	sort.Slice(ms, func(i, j int) bool {
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
