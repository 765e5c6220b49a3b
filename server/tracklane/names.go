package tracklane

import (
	"strings"

	"github.com/tracklane/tracklane/server/oneline"
)

// FoldEmail is the one way an email or external customer id is written
// before it is stored or compared: trimmed and lower-cased, so the
// thank-you page's "Bob@Example.com " and Stripe's "bob@example.com" are
// the same customer.
func FoldEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// FoldCode is the one way an affiliate code is written before it is stored
// or looked up: trimmed and lower-cased.
func FoldCode(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidCode reports whether s is an affiliate code as stored: 2 to 40
// characters of a-z, 0-9 and '-' (callers fold first). It is on the click
// path, so it checks bytes rather than running a regexp.
func ValidCode(s string) bool {
	if len(s) < 2 || len(s) > 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || c == '-') {
			return false
		}
	}
	return true
}

// ValidClickID reports whether s can be a click id: 1 to 64 characters of
// [A-Za-z0-9_-], the alphabet of the tracker's cookie.
func ValidClickID(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// CleanName is the one way a name (a tenant's, an affiliate's, a
// conversion type's) is written before it is stored: one line of visible
// text (oneline.Clean, the rule mail headers follow too). Line breaks,
// tabs and other spaces become one space; other control characters and
// the invisible bidirectional controls are dropped; the ends are trimmed.
func CleanName(s string) string { return oneline.Clean(s) }
