package tracklane

import (
	"regexp"
	"strings"
)

// Approval is how a tenant's program decides a portal application.
type Approval string

// The approval modes of SPEC section 8.
const (
	ApprovalManual Approval = "manual" // an applicant is pending until the merchant decides
	ApprovalAuto   Approval = "auto"   // an applicant is active at once
)

var slugPattern = regexp.MustCompile(`^[a-z0-9-]{2,40}$`)

// ValidSlug reports whether s may be a program slug: 2 to 40 characters of
// a-z, 0-9 and '-'.
func ValidSlug(s string) bool { return slugPattern.MatchString(s) }

// SlugFrom makes a slug from a program's name: its letters and digits
// (ASCII, lower-cased) joined by '-', at most 30 characters (room for a
// de-duplicating suffix), "program" when too little is left.
func SlugFrom(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	s := b.String()
	if len(s) > 30 {
		s = strings.TrimRight(s[:30], "-")
	}
	if len(s) < 2 {
		return "program"
	}
	return s
}
