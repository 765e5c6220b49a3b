// Package oneline writes text that must stay one line of visible text: a
// stored name (tracklane.CleanName) and a mail header. It imports nothing
// of Tracklane's, so the domain and the mailer can both use it.
package oneline

import (
	"strings"
	"unicode"
)

// Clean returns s as one line of visible text. Line breaks, tabs and
// other spaces become one space; other control characters, and the
// invisible bidirectional controls that make text read backwards
// ("gnp.exe"), are dropped; the ends are trimmed. Such text reaches mails
// and CSV files, where a line break or an escape sequence would be read as
// something else.
func Clean(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case unicode.IsControl(r) || isBidiControl(r):
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// isBidiControl reports the explicit directional formatting characters of
// Unicode's bidirectional algorithm (UAX #9): marks, embeddings, overrides
// and isolates.
func isBidiControl(r rune) bool {
	return r == '\u061c' || r == '\u200e' || r == '\u200f' || ('\u202a' <= r && r <= '\u202e') || ('\u2066' <= r && r <= '\u2069')
}
