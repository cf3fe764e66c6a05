package syntax

import (
	"errors"
	"fmt"
	"strings"
)

// Word is one token of a statement. Col is the 1-based byte column in its
// line (approximate after parameter substitution).
type Word struct {
	Text string
	Col  int32
}

// Fields splits a logical line the way keepalived's general tokenizer
// does: blanks separate words, a word starting with '"' runs to the next
// '"' and loses its quotes, and an unquoted word also ends at a '"'. Single
// quotes and backslashes are ordinary characters here. ok is false on an
// unmatched '"'; the words before it are still returned.
func Fields(s string, col int) (words []Word, ok bool) {
	return appendFields(nil, s, col)
}

func appendFields(words []Word, s string, col int) ([]Word, bool) {
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			return words, true
		}
		start := i
		if s[i] == '"' {
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				return words, false
			}
			words = append(words, Word{Text: s[i+1 : i+1+end], Col: int32(col + start + 1)})
			i += end + 2
			continue
		}
		for i < len(s) && s[i] != ' ' && s[i] != '\t' && s[i] != '"' {
			i++
		}
		words = append(words, Word{Text: s[start:i], Col: int32(col + start + 1)})
	}
}

// ErrUnterminated is returned by ShellWords for an unclosed quote.
var ErrUnterminated = errors.New("missing terminating quote")

// unterminatedError says what keepalived says of an unclosed quote.
type unterminatedError struct {
	s     string
	quote byte
}

func (e unterminatedError) Error() string {
	return fmt.Sprintf("String '%s': missing terminating %c", e.s, e.quote)
}

func (e unterminatedError) Is(target error) bool { return target == ErrUnterminated }

// ShellWords splits a script line the way keepalived does for script
// keywords (notify, script, misc_path, ...): '...' and "..." group, runs
// of quoted and unquoted text join into one word, and backslash escapes
// \a \b \E \f \n \r \t \v \NNN (octal) \xHH.. \cC and \C work everywhere,
// even inside single quotes. \x takes two hex digits at most, as from
// keepalived 2.3.2; ShellWordsFor follows an older release.
func ShellWords(s string) ([]string, error) { return ShellWordsFor(Version{}, s) }

// ShellWordsFor is ShellWords as keepalived release v reads a line:
// before 2.3.2, \x takes every hex digit that follows and keeps the low
// byte.
func ShellWordsFor(v Version, s string) ([]string, error) {
	hexDigits := 2
	if !v.AtLeast(2, 3, 2) {
		hexDigits = len(s)
	}
	return shellWords(s, hexDigits, true)
}

// ScriptLineFor splits the line of a script keyword (notify, script,
// misc_path ...) as release v does before its command word is split again
// with ShellWordsFor. From 2.3.2 this first split keeps each backslash
// and the character after it as written (so \" does not end a quote),
// leaving escapes to the second; before, both splits decode them.
func ScriptLineFor(v Version, s string) ([]string, error) {
	if !v.AtLeast(2, 3, 2) {
		return ShellWordsFor(v, s)
	}
	return shellWords(s, 2, false)
}

func shellWords(s string, hexDigits int, escapes bool) ([]string, error) {
	var out []string
	var b strings.Builder
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			return out, nil
		}
		b.Reset()
		var quote byte
		for i < len(s) {
			c := s[i]
			switch {
			case c == '\\':
				i++
				if i >= len(s) {
					return out, fmt.Errorf("Missing escape char at end: '%s'", s)
				}
				if !escapes {
					b.WriteByte('\\')
					b.WriteByte(s[i])
					i++
					continue
				}
				var r byte
				r, i = unescape(s, i, hexDigits)
				b.WriteByte(r)
				continue
			case quote != 0 && c == quote:
				quote = 0
				i++
				continue
			case quote != 0:
				b.WriteByte(c)
				i++
				continue
			case c == '"' || c == '\'':
				quote = c
				i++
				continue
			case c == ' ' || c == '\t':
			default:
				b.WriteByte(c)
				i++
				continue
			}
			break
		}
		if quote != 0 {
			return out, unterminatedError{s, quote}
		}
		out = append(out, b.String())
	}
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// unescape decodes the escape whose first character is s[i]; \x takes
// at most hexDigits digits, keeping the low byte.
func unescape(s string, i, hexDigits int) (byte, int) {
	c := s[i]
	switch {
	case c == 'x' && i+1 < len(s) && isHex(s[i+1]):
		var v byte
		i++
		for n := 0; n < hexDigits && i < len(s) && isHex(s[i]); n++ {
			v = v<<4 | hexVal(s[i])
			i++
		}
		return v, i
	case c == 'c' && i+1 < len(s):
		return s[i+1] & 0x1f, i + 2
	case c >= '0' && c <= '7':
		v := c - '0'
		i++
		for n := 0; n < 2 && i < len(s) && s[i] >= '0' && s[i] <= '7'; n++ {
			v = v<<3 + (s[i] - '0')
			i++
		}
		return v, i
	}
	m := map[byte]byte{'a': '\a', 'b': '\b', 'E': 0x1b, 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v'}
	if r, ok := m[c]; ok {
		return r, i + 1
	}
	return c, i + 1
}
