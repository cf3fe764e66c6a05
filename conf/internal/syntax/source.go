package syntax

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Include checks, as keepalived's include_check bits: which include problems
// are errors rather than log lines.
type IncludeCheck uint8

const (
	CheckReadable IncludeCheck = 1 << iota // r: unreadable files
	CheckMatch                             // m: missing files
	CheckWildcard                          // w: a wildcard matching nothing
	CheckBrace                             // b: a brace alternative matching nothing
	CheckAll      = CheckReadable | CheckMatch | CheckWildcard | CheckBrace
)

const (
	// MaxLineLen bounds one physical line; keepalived silently chops lines
	// at 1 KiB, we keep far longer ones and reject only absurd ones.
	MaxLineLen = 64 << 10
	// MaxIncludeDepth guards against runaway nesting that is not a cycle.
	MaxIncludeDepth = 32
)

// FS is the file system seam, so tests can use fstest.MapFS-like trees.
type FS interface {
	ReadFile(name string) ([]byte, error)
	Stat(name string) (fs.FileInfo, error)
	Glob(pattern string) ([]string, error)
}

// OSFS reads the real file system.
type OSFS struct{}

func (OSFS) ReadFile(name string) ([]byte, error)  { return os.ReadFile(name) }
func (OSFS) Stat(name string) (fs.FileInfo, error) { return os.Stat(name) }
func (OSFS) Glob(pattern string) ([]string, error) { return filepath.Glob(pattern) }

// ReadFileString reads a file straight into a string: a big config is
// megabytes, and os.ReadFile then string() zeroed and copied it twice.
func (OSFS) ReadFileString(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var b strings.Builder
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 && fi.Size() <= 1<<30 {
		b.Grow(int(fi.Size())) // not zeroed
	}
	buf := make([]byte, 64<<10)
	for {
		n, err := f.Read(buf)
		b.Write(buf[:n])
		if err == io.EOF {
			return b.String(), nil
		}
		if err != nil {
			return "", err
		}
	}
}

// stringFS is an FS that can read a file as a string without a copy.
type stringFS interface {
	ReadFileString(name string) (string, error)
}

// readFile reads name as a string, through ReadFileString when fsys has it.
func readFile(fsys FS, name string) (string, error) {
	if sf, ok := fsys.(stringFS); ok {
		return sf.ReadFileString(name)
	}
	data, err := fsys.ReadFile(name)
	return string(data), err
}

type openFile struct {
	name  string // as reported in positions
	abs   string // for cycle detection
	text  string // the file's contents, cut into lines as they are read
	end   int    // len(text) less a final newline
	off   int    // where the next line starts; past the end when done
	nul   bool   // text has a NUL somewhere: lines must be checked
	line  int    // number of the last line read
	check IncludeCheck
	from  Pos      // the include line that opened it
	queue []string // files matched by the same include, read after this one
}

// source yields physical lines from the root file and everything it
// includes, spliced in place.
type source struct {
	fs    FS
	check IncludeCheck // global default (-e, include_check)
	stack []*openFile
	diags *Diags
	files []string // every file read, in order
	// v240: a line with a NUL is dropped with a message, as keepalived
	// 2.4.0 and later do; 2.2.7 reads it up to the NUL
	v240 bool
}

// openRoot opens the main config. Unlike keepalived 2.2.7, which reports
// success for a missing, empty-named or executable main file, any of those
// is an error here: a daemon started on nothing is never what was meant.
func (s *source) openRoot(name string) bool {
	fi, err := s.fs.Stat(name)
	switch {
	case err != nil:
		s.diags.Add(Pos{File: name}, FileNotFound, "Unable to read configuration file %s: %s", name, errText(err))
		return false
	case fi.IsDir():
		s.diags.Add(Pos{File: name}, FileNotFound, "Configuration file '%s' is a directory", name)
		return false
	case fi.Mode()&0o111 != 0:
		s.diags.Add(Pos{File: name}, FileNotFound, "Configuration file '%s' is not a regular non-executable file", name)
		return false
	}
	return s.push(name, s.check, Pos{File: name}, nil)
}

func (s *source) push(name string, check IncludeCheck, from Pos, queue []string) bool {
	abs, err := filepath.Abs(name)
	if err != nil {
		abs = name
	}
	for _, f := range s.stack {
		if f.abs == abs {
			chain := make([]string, 0, len(s.stack)+1)
			for _, g := range s.stack {
				chain = append(chain, g.name)
			}
			chain = append(chain, name)
			s.diags.Add(from, Fatal, "include cycle: %s", strings.Join(chain, " -> "))
			return false
		}
	}
	if len(s.stack) >= MaxIncludeDepth {
		s.diags.Add(from, Fatal, "includes nested deeper than %d levels at '%s'", MaxIncludeDepth, name)
		return false
	}
	text, err := readFile(s.fs, name)
	if err != nil {
		s.fileErr(from, check, CheckReadable, "Configuration file '%s' open problem (%s) - skipping", name, errText(err))
		return false
	}
	end := len(text)
	if strings.HasSuffix(text, "\n") {
		end--
	}
	s.stack = append(s.stack, &openFile{name: name, abs: abs, text: text, end: end, check: check, from: from, queue: queue,
		nul: strings.IndexByte(text, 0) >= 0})
	s.files = append(s.files, name)
	return true
}

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// top is the file being read, nil when none is.
func (s *source) top() *openFile {
	if len(s.stack) == 0 {
		return nil
	}
	return s.stack[len(s.stack)-1]
}

// nextLine slices the next line off the file's text (lines cost no
// allocation of their own). A final newline ends the last line rather
// than starting an empty one.
func (f *openFile) nextLine() (string, bool) {
	end := f.end
	if f.off > end || len(f.text) == 0 {
		return "", false
	}
	rest := f.text[f.off:end]
	f.line++
	if i := strings.IndexByte(rest, '\n'); i >= 0 {
		f.off += i + 1
		return rest[:i], true
	}
	f.off = end + 1
	return rest, true
}

// fileErr reports an include problem: an error when the include kind or
// the global include_check asks for that check, otherwise a log line.
func (s *source) fileErr(pos Pos, check, which IncludeCheck, format string, args ...any) {
	k := Notice
	if which == CheckWildcard { // keepalived only logs it then
		k = Info
	}
	if (check|s.check)&which != 0 {
		k = FileNotFound
	}
	s.diags.Add(pos, k, format, args...)
}

// next returns the next physical line with its position, or false at the
// end of the last file. Over-long lines and lines with NULs are dropped.
func (s *source) next() (string, Pos, bool) {
	for len(s.stack) > 0 {
		f := s.stack[len(s.stack)-1]
		text, ok := f.nextLine()
		if !ok {
			s.stack = s.stack[:len(s.stack)-1]
			s.pushQueue(f.queue, f.check, f.from)
			continue
		}
		pos := Pos{File: f.name, Line: f.line}
		if len(text) > MaxLineLen {
			s.diags.Add(pos, GeneralError, "line too long (%d bytes, at most %d) - ignoring", len(text), MaxLineLen)
			continue
		}
		if f.nul && strings.IndexByte(text, 0) >= 0 {
			if !s.v240 {
				text = text[:strings.IndexByte(text, 0)]
				return text, pos, true
			}
			// keepalived counts the line only after saying so
			s.diags.Add(Pos{File: pos.File, Line: pos.Line - 1}, GeneralError, "configuration appears to have embedded NULs - ignoring line")
			continue
		}
		return text, pos, true
	}
	return "", Pos{}, false
}

// dir is the directory relative include paths resolve against: that of the
// file being read.
func (s *source) dir() string {
	if len(s.stack) == 0 {
		return "."
	}
	return filepath.Dir(s.stack[len(s.stack)-1].name)
}

// include handles an include line (already known to be one). kind is the
// letter after "include" (0 for plain include).
func (s *source) include(kind byte, pattern string, pos Pos) {
	var check IncludeCheck
	switch kind {
	case 'r':
		check = CheckReadable
	case 'm':
		check = CheckReadable | CheckMatch
	case 'w':
		check = CheckReadable | CheckMatch | CheckWildcard
	case 'b':
		check = CheckReadable | CheckBrace
	case 'a':
		check = CheckAll
	}
	if pattern == "" {
		s.diags.Add(pos, MissingParameter, "include with no file name")
		return
	}
	written := pattern // keepalived names it as written
	if !filepath.IsAbs(pattern) {
		pattern = filepath.Join(s.dir(), pattern)
	}
	alts := ExpandBraces(pattern)
	var matches []string
	missing := false
	for _, alt := range alts {
		if !hasGlobMeta(alt) {
			if _, err := s.fs.Stat(alt); err != nil {
				missing = true
				continue
			}
			matches = append(matches, alt)
			continue
		}
		m, err := s.fs.Glob(alt)
		if err != nil {
			s.fileErr(pos, check, CheckReadable, "Error reading config file(s): bad pattern \"%s\", skipping.", alt)
			continue
		}
		if len(m) == 0 {
			s.fileErr(pos, check, CheckWildcard, "No config files matched '%s'.", alt)
		}
		matches = append(matches, m...)
	}
	if missing {
		which := CheckMatch
		if len(alts) > 1 {
			which = CheckBrace
		}
		if len(matches) == 0 && !hasGlobMeta(pattern) && len(alts) == 1 {
			// keepalived logs and carries on; a named file that is absent
			// is almost always a mistake, so we make it an error.
			s.diags.Add(pos, GeneralError, "Config files missing '%s'.", written)
		} else if len(matches) > 0 {
			s.fileErr(pos, check, CheckBrace, "Some config files missing: \"%s\".", written)
		} else {
			s.fileErr(pos, check, which, "Config files missing '%s'.", written)
		}
	}
	var ok []string
	for _, m := range matches {
		fi, err := s.fs.Stat(m)
		if err != nil {
			s.fileErr(pos, check, CheckReadable, "Configuration file '%s' open problem (%s) - skipping", m, errText(err))
			continue
		}
		if fi.IsDir() {
			s.fileErr(pos, check, CheckReadable, "Configuration file '%s/' is a directory - skipping", m)
			continue
		}
		if !fi.Mode().IsRegular() || fi.Mode()&0o111 != 0 {
			s.fileErr(pos, check, CheckReadable, "Configuration file '%s' is not a regular non-executable file - skipping", m)
			continue
		}
		ok = append(ok, m)
	}
	s.pushQueue(ok, check, pos)
}

// pushQueue opens the first readable file of queue, remembering the rest,
// so files matched by one include are read one after another.
func (s *source) pushQueue(queue []string, check IncludeCheck, from Pos) {
	for len(queue) > 0 {
		name, rest := queue[0], queue[1:]
		queue = rest
		if s.push(name, check, from, rest) {
			return
		}
	}
}

func hasGlobMeta(p string) bool { return strings.ContainsAny(p, "*?[") }

// ExpandBraces expands csh-style {a,b} alternatives, nested and repeated,
// left to right, as glibc's GLOB_BRACE does. A brace group without a comma
// or without its closing brace is literal text.
func ExpandBraces(p string) []string {
	open := -1
	depth := 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '{':
			if depth == 0 {
				open = i
			}
			depth++
		case '}':
			if depth == 0 {
				continue
			}
			depth--
			if depth != 0 {
				continue
			}
			alts := splitTopCommas(p[open+1 : i])
			if len(alts) < 2 {
				// "{x}" is literal; keep looking after it.
				rest := ExpandBraces(p[i+1:])
				out := make([]string, len(rest))
				for j, r := range rest {
					out[j] = p[:i+1] + r
				}
				return out
			}
			var out []string
			for _, a := range alts {
				out = append(out, ExpandBraces(p[:open]+a+p[i+1:])...)
			}
			return out
		}
	}
	return []string{p}
}

func splitTopCommas(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '{':
			depth++
		case '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}
