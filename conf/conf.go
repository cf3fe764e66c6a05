// Package conf reads keepalived.conf exactly as keepalived 2.2.7 does and
// produces a typed model with keepalived's defaults, plus positioned
// diagnostics (file:line:col) with keepalived's --config-test verdict.
package conf

import (
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

// Pos, Diagnostic and Kind are re-exported from the syntax layer.
type (
	Pos         = syntax.Pos
	Diagnostic  = syntax.Diag
	Diagnostics = syntax.Diags
	Kind        = syntax.Kind
	FS          = syntax.FS
)

// Exit codes of --config-test, as keepalived 2.2.7's code uses them.
const (
	ExitOK       = syntax.ExitOK
	ExitConfig   = syntax.ExitConfig
	ExitCantRun  = syntax.ExitCantRun
	ExitErrors   = syntax.ExitErrors
	ExitSecurity = syntax.ExitSecurity
)

// Options control loading.
type Options struct {
	// ConfigID selects @ID lines (-i). Empty means the host name up to
	// its first dot, as keepalived.
	ConfigID string
	// AllConfig makes every include problem an error (-e).
	AllConfig bool
	// Strict turns everything keepalived would fix up or warn about into
	// an error (--strict).
	Strict bool
	// FS replaces the file system (tests).
	FS FS
	// InterfaceExists reports whether a network interface exists; nil
	// skips interface checks.
	InterfaceExists func(name string) bool
	// InterfaceAddr gives the address keepalived takes as an
	// interface's own for family 4 or 6 (its first IPv4 address, its
	// first link-local IPv6 one); nil or false: none known.
	InterfaceAddr func(name string, family int) (netip.Addr, bool)
	// LinkKind gives an existing interface's link kind: "" for none
	// (a physical interface), else "veth", "vlan"..., with the mode for
	// macvlan and ipvlan ("macvlan private", "ipvlan l2"); exists is
	// false when there is no such interface. nil: none is known.
	LinkKind func(name string) (kind string, exists bool)
	// HostResolves reports whether a host name resolves (keepalived
	// resolves smtp_server when it reads it); nil accepts any name.
	HostResolves func(name string) bool
	// Scripts is the system the script users and script security are
	// checked against; nil is the real one.
	Scripts *ScriptEnv
	// Seed seeds ${_RANDOM}; zero uses the time, as keepalived.
	Seed int64
	// Compat is the keepalived release whose messages and behaviour to
	// follow where releases differ; zero is Newest (--compat).
	Compat Version
}

// DefaultConfigID is keepalived's default config id: the node name up to
// the first '.'.
func DefaultConfigID() string {
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	h, _, _ = strings.Cut(h, ".")
	return h
}

// Load reads, decodes and validates a configuration. The model is always
// returned, holding whatever could be understood; diagnostics say what
// was wrong and give the --config-test verdict.
func Load(path string, opt Options) (*Config, *Diagnostics) {
	diags := &Diagnostics{}
	if opt.ConfigID == "" {
		opt.ConfigID = DefaultConfigID()
	}
	if opt.Seed == 0 {
		opt.Seed = time.Now().UnixNano()
	}
	sopt := syntax.Options{FS: opt.FS, ConfigID: opt.ConfigID, Seed: opt.Seed}
	if opt.AllConfig {
		sopt.IncludeCheck = syntax.CheckAll
	}
	if opt.Compat.IsZero() {
		opt.Compat = Newest
	}
	sopt.Compat = syntax.Version(opt.Compat)
	cfg := newConfig()
	cfg.Compat = opt.Compat
	// Each top-level statement is decoded as soon as it is read, so the
	// tree of a big config (as large as its model) is never held whole.
	// Decoding problems are kept apart and reported after the syntax
	// ones, as when the whole tree was read first.
	decodeDiags := &Diagnostics{}
	d := &decoder{diags: decodeDiags, cfg: cfg, opt: opt}
	cfg.Files = syntax.Parse(path, sopt, diags, func(s *syntax.Stmt) {
		d.topStmt(s)
	})
	diags.List = append(diags.List, decodeDiags.List...)
	diags.Worst = max(diags.Worst, decodeDiags.Worst)
	diags.Suppressed += decodeDiags.Suppressed
	diags.Losses += decodeDiags.Losses
	d.diags = diags
	if d.aborted {
		// keepalived's process exits at the missing parameter: the
		// passes after that one, and validation, never run
		diags.List = d.dropAfterAbort(diags.List)
		return cfg, diags
	}
	d.validate()
	if opt.Strict {
		strictify(diags)
	}
	return cfg, diags
}

// strictify raises every diagnostic that keepalived would let pass into
// an error, so --strict fails on anything keepalived warns about.
func strictify(ds *Diagnostics) {
	for i := range ds.List {
		switch ds.List[i].Kind {
		case syntax.Info, syntax.Notice, syntax.Warning, syntax.Deprecated, syntax.UnknownKeyword:
			ds.List[i].Kind = syntax.GeneralError
		}
		if ds.List[i].Kind > ds.Worst {
			ds.Worst = ds.List[i].Kind
		}
	}
}
