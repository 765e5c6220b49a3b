package money

import (
	_ "embed"
	"strings"
	"sync"
)

// iso4217 is the list of currencies a price can be paid in: ISO 4217's
// active codes, lower-case, with their numeric code and name, one a line
// (origin and what was left out in ISO4217.md beside it).
//
//go:embed iso4217.txt
var iso4217 string

// currencies is the list as a set of codes, built on first use.
var currencies = sync.OnceValue(func() map[string]struct{} {
	m := make(map[string]struct{}, 200)
	for _, line := range strings.Split(iso4217, "\n") {
		if code, _, ok := strings.Cut(line, " "); ok {
			m[code] = struct{}{}
		}
	}
	return m
})

// IsCurrency reports whether code (any case) is an ISO 4217 currency a
// price can be paid in: "usd" and "JPY" are, "abc", "xau" (gold) and
// "xxx" (no currency) are not.
func IsCurrency(code string) bool {
	_, ok := currencies()[strings.ToLower(code)]
	return ok
}
