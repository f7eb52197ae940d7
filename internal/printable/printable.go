// Package printable makes text that came from outside — a provider's
// error_description, a pasted package, a system error quoting either — safe
// to print on a terminal: no control characters or escape sequences, one
// line, bounded. It imports nothing heavy, so the fast front can use it.
package printable

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line folds s onto one line (runs of white space become one space) without
// control characters, at most 1000 bytes: the form of every message the tool
// prints for a person.
func Line(s string) string { return Cut(strings.Join(strings.Fields(s), " "), 1000) }

// Cut drops control characters (terminal escape sequences included), bidi
// controls and invalid UTF-8 from s, and cuts it to at most max bytes,
// marking the cut with "…".
func Cut(s string, max int) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), r == '\u2028', r == '\u2029',
			unicode.Is(unicode.Bidi_Control, r):
			continue
		}
		if b.Len()+utf8.RuneLen(r) > max {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}
