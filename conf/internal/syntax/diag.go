// Package syntax turns keepalived.conf text into a tree of positioned
// statements: include splicing, keepalived's preprocessor (@id, $NAME,
// ~SEQ/~LST), its comment and quoting rules, and brace splitting. It knows
// no keywords; the conf package gives the tree meaning.
package syntax

import (
	"fmt"
	"strconv"
)

// Pos is where a piece of text came from. Line and Col are 1-based; Col is
// 0 when unknown. After parameter substitution Col points into the
// expanded text of that line.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	s := p.File
	if s == "" {
		s = "-"
	}
	if p.Line > 0 {
		s += ":" + strconv.Itoa(p.Line)
		if p.Col > 0 {
			s += ":" + strconv.Itoa(p.Col)
		}
	}
	return s
}

// Kind classifies a diagnostic the way keepalived's config_err_t does. The
// order matters: like keepalived, the highest kind seen decides the
// --config-test exit code.
type Kind int

const (
	Info   Kind = iota // logged only; does not change the verdict
	Notice             // printed by keepalived -t, but not an error (CONFIG_OK)

	// keepalived cannot run the config (exit 4)
	FileNotFound
	BadInterface
	Fatal

	// errors keepalived works around (exit 5)
	MultipleFiles
	UnknownKeyword
	UnexpectedBOB
	MissingBOB
	UnexpectedEOB
	MissingEOB
	UnmatchedQuote
	MissingParameter
	InvalidNumber
	GeneralError
	Warning
	Deprecated

	// scripts configured without enable_script_security (exit 6)
	SecurityError

	// a keyword without the parameter keepalived reads unchecked: it
	// stops there (exit 2)
	Abort
)

// Config-test exit codes of keepalived 2.2.7 (lib/scheduler.h).
const (
	ExitOK       = 0
	ExitConfig   = 2
	ExitCantRun  = 4
	ExitErrors   = 5
	ExitSecurity = 6
)

// ExitCode maps the worst kind seen to keepalived's --config-test code.
func (k Kind) ExitCode() int {
	switch {
	case k <= Notice:
		return ExitOK
	case k <= Fatal:
		return ExitCantRun
	case k == SecurityError:
		return ExitSecurity
	case k == Abort:
		return ExitConfig
	default:
		return ExitErrors
	}
}

func (k Kind) String() string {
	switch {
	case k == Info:
		return "info"
	case k == Notice:
		return "notice"
	case k <= Fatal:
		return "fatal"
	case k == Warning || k == Deprecated || k == UnknownKeyword:
		return "warning"
	case k == SecurityError:
		return "security"
	default:
		return "error"
	}
}

// Diag is one positioned message.
type Diag struct {
	Pos  Pos
	Kind Kind
	Msg  string
	// Loses is set when the configuration read loses or mangles part of
	// itself here (an object dropped as invalid); see Kind.Loses for the
	// kinds that always do.
	Loses bool
}

// Loses reports whether a diagnostic of this kind means that what was read
// is not what was written: braces out of balance, a block skipped, a
// quote left open, an include that could not be read where it had to be,
// or a config that cannot run at all.
func (k Kind) Loses() bool {
	switch k {
	case FileNotFound, BadInterface, Fatal, UnexpectedBOB, MissingBOB, UnexpectedEOB, MissingEOB, UnmatchedQuote, Abort:
		return true
	}
	return false
}

func (d Diag) String() string {
	return fmt.Sprintf("%s: %s: %s", d.Pos, d.Kind, d.Msg)
}

// MaxDiags bounds the messages kept: a generated config can repeat one
// mistake millions of times, and the list must not exhaust memory. The
// verdict still counts every one.
const MaxDiags = 10000

// Diags collects diagnostics in the order they were found.
type Diags struct {
	List       []Diag
	Worst      Kind
	Suppressed int // messages past MaxDiags, counted but not kept
	Losses     int // diagnostics that lose part of the config, kept or not
}

func (ds *Diags) Add(pos Pos, k Kind, format string, args ...any) {
	ds.add(pos, k, false, format, args...)
}

// AddLoss is Add for a problem that drops part of the configuration.
func (ds *Diags) AddLoss(pos Pos, k Kind, format string, args ...any) {
	ds.add(pos, k, true, format, args...)
}

func (ds *Diags) add(pos Pos, k Kind, loses bool, format string, args ...any) {
	if k > ds.Worst {
		ds.Worst = k
	}
	loses = loses || k.Loses()
	if loses {
		ds.Losses++
	}
	if len(ds.List) >= MaxDiags {
		ds.Suppressed++
		return
	}
	ds.List = append(ds.List, Diag{Pos: pos, Kind: k, Msg: fmt.Sprintf(format, args...), Loses: loses})
	if len(ds.List) == MaxDiags {
		ds.List[MaxDiags-1] = Diag{Pos: pos, Kind: Info, Msg: fmt.Sprintf("%d messages; further ones are counted but not shown", MaxDiags)}
	}
}

// ExitCode is the --config-test exit code for everything collected.
func (ds *Diags) ExitCode() int { return ds.Worst.ExitCode() }

// Version is the keepalived release whose reading of a config is
// followed where releases differ (conf.Version converts to it); the zero
// Version is the newest, 2.4.3.
type Version struct{ Major, Minor, Patch int }

// AtLeast reports whether v is release major.minor.patch or later.
func (v Version) AtLeast(major, minor, patch int) bool {
	if v == (Version{}) {
		return true
	}
	if v.Major != major {
		return v.Major > major
	}
	if v.Minor != minor {
		return v.Minor > minor
	}
	return v.Patch >= patch
}
