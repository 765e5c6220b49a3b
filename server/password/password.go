// Package password holds the one rule every password of Tracklane obeys
// (merchants' now, affiliates' with the portal): at least MinLength
// characters, at most MaxBytes bytes (bcrypt reads no further), and not one
// of the 10,000 most common passwords (common-passwords.txt; its origin and
// license are in COMMON-PASSWORDS.md beside it).
package password

import (
	_ "embed"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/tracklane/tracklane/server/apperr"
)

const (
	// MinLength is the fewest characters (runes) a password may have.
	MinLength = 10
	// MaxBytes is the most bytes: bcrypt ignores anything past 72.
	MaxBytes = 72
)

//go:embed common-passwords.txt
var commonList string

// common is the list as a set, built on first use.
var common = sync.OnceValue(func() map[string]struct{} {
	m := make(map[string]struct{}, 10000)
	for _, line := range strings.Split(commonList, "\n") {
		if line != "" {
			m[line] = struct{}{}
		}
	}
	return m
})

// Check returns an invalid error, with a message for the person choosing
// it, when pw may not be used as a password; nil when it may.
func Check(pw string) error {
	if !utf8.ValidString(pw) || strings.ContainsRune(pw, 0) {
		return apperr.Errorf(apperr.Invalid, "password must be text")
	}
	if utf8.RuneCountInString(pw) < MinLength {
		return apperr.Errorf(apperr.Invalid, "password must be at least %d characters", MinLength)
	}
	if len(pw) > MaxBytes {
		return apperr.Errorf(apperr.Invalid, "password must be at most %d bytes", MaxBytes)
	}
	if IsCommon(pw) {
		return apperr.Errorf(apperr.Invalid, "this password is too common: it is among the 10,000 most used ones; choose another")
	}
	return nil
}

// IsCommon reports whether pw is on the list of common passwords, compared
// case-insensitively on the whole string.
func IsCommon(pw string) bool {
	_, ok := common()[strings.ToLower(pw)]
	return ok
}
