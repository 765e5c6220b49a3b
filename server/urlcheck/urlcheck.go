// Package urlcheck refuses, before any handler reads it, a request URL whose
// path or query holds what no parameter of Tracklane's may hold and what
// PostgreSQL's text cannot store: invalid UTF-8 or a NUL. Without it such a
// value reaches a query and comes back as a 500 (SQLSTATE 22021) instead of
// a 400. The dashboard and the API run it first; the public tracker
// endpoints clean their own input (an affiliate link must never fail).
package urlcheck

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/tracklane/tracklane/server/apperr"
)

// MaxQuery caps a query string: no page or list needs more than a few
// hundred bytes.
const MaxQuery = 8 << 10

// Check returns an invalid error naming the problem, or nil.
func Check(u *url.URL) error {
	if !clean(u.Path) {
		return apperr.Errorf(apperr.Invalid, "the address holds characters that are not text")
	}
	if len(u.RawQuery) > MaxQuery {
		return apperr.Errorf(apperr.Invalid, "the query string is too long (at most %d bytes)", MaxQuery)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return apperr.Errorf(apperr.Invalid, "the query string is malformed")
	}
	for k, vs := range q {
		if !clean(k) {
			return apperr.Errorf(apperr.Invalid, "a query parameter's name is not text")
		}
		for _, v := range vs {
			if !clean(v) {
				return apperr.Errorf(apperr.Invalid, "query parameter %s is not text", capName(k))
			}
		}
	}
	return nil
}

func clean(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

func capName(k string) string {
	if len(k) > 40 {
		return k[:40] + "…"
	}
	return k
}
