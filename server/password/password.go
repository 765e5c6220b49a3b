// Package password holds the one rule every password of Tracklane obeys
// (merchants' and affiliates'): at least MinLength characters, at most
// MaxBytes bytes (bcrypt reads no further), not one of the 10,000 most
// common passwords (common-passwords.txt; its origin and license are in
// COMMON-PASSWORDS.md beside it), and not easy to guess by zxcvbn's
// estimate with the account's own email and name as words a guesser
// tries first.
package password

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/match"

	"github.com/tracklane/tracklane/server/apperr"
)

const (
	// MinLength is the fewest characters (runes) a password may have.
	MinLength = 10
	// MaxBytes is the most bytes: bcrypt ignores anything past 72.
	MaxBytes = 72
	// MinScore is the lowest zxcvbn score accepted: 3 is "safely
	// unguessable" (at least about 10^8 guesses), which bcrypt makes an
	// offline attack on a stolen hash slow enough.
	MinScore = 3
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

// Owner is the account a password is for. A guesser who knows whom they
// attack tries the account's own email and name first, so they count
// against the password. Either may be empty (a check before the account
// exists still knows what was typed in the form).
type Owner struct {
	Email, Name string
}

// inputs are the owner's words for zxcvbn: the email, its local part, the
// name and each word of it.
func (o Owner) inputs() []string {
	var in []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			in = append(in, s)
		}
	}
	add(o.Email)
	if local, _, ok := strings.Cut(o.Email, "@"); ok {
		add(local)
		for _, w := range strings.FieldsFunc(local, notLetterOrDigit) {
			add(w)
		}
	}
	add(o.Name)
	add(strings.Join(strings.FieldsFunc(o.Name, notLetterOrDigit), ""))
	for _, w := range strings.FieldsFunc(o.Name, notLetterOrDigit) {
		add(w)
	}
	return in
}

func notLetterOrDigit(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// Check returns an invalid error, with a message for the person choosing
// it, when pw may not be used as owner's password; nil when it may.
func Check(pw string, owner Owner) error {
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
	if r := zxcvbn.PasswordStrength(pw, owner.inputs()); r.Score < MinScore {
		return apperr.Errorf(apperr.Invalid, "this password is too easy to guess: it is %s; add words or characters that follow no pattern",
			weakness(r.Sequence))
	}
	return nil
}

// IsCommon reports whether pw is on the list of common passwords, compared
// case-insensitively on the whole string.
func IsCommon(pw string) bool {
	_, ok := common()[strings.ToLower(pw)]
	return ok
}

// weakness says, for a person, what makes a password guessable, from the
// parts zxcvbn split it into: each kind of guessable part once, in the
// order they appear ("a common word with digits" when words and digits
// are all there is to it).
func weakness(seq []*match.Match) string {
	var parts []string
	seen := map[string]bool{}
	words, digits := false, false
	for _, m := range seq {
		p := part(m)
		switch p {
		case "":
			continue
		case partWord:
			words = true
		case partDigits:
			digits = true
		}
		if !seen[p] {
			seen[p] = true
			parts = append(parts, p)
		}
	}
	if words && digits {
		parts = without(parts, partDigits)
		for i, p := range parts {
			if p == partWord {
				parts[i] = "a common word with digits"
			}
		}
	}
	if len(parts) == 0 {
		return "too short for its kind of characters"
	}
	return strings.Join(parts, " and ")
}

const (
	partWord   = "a common word"
	partDigits = "a run of digits"
)

// part names the kind of one guessable part of a password; "" for a part
// a guesser must try character by character.
func part(m *match.Match) string {
	switch {
	case m.Pattern == "dictionary" && m.DictionaryName == "user_inputs":
		return "your own email or name"
	case m.Pattern != "bruteforce" && allDigits(m.Token):
		return partDigits
	case m.Pattern == "bruteforce" && allDigits(m.Token) && utf8.RuneCountInString(m.Token) <= 4:
		return partDigits
	case m.Pattern == "dictionary":
		return partWord
	case m.Pattern == "repeat" && utf8.RuneCountInString(m.BaseToken) == 1:
		return "a repeated character"
	case m.Pattern == "repeat":
		return "a repeated pattern"
	case m.Pattern == "sequence":
		return "a sequence (like abc or 123)"
	case m.Pattern == "spatial":
		return "a keyboard pattern (like qwerty)"
	case m.Pattern == "date" || m.Pattern == "regex":
		return "a date or a year"
	}
	return ""
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func without(xs []string, x string) []string {
	out := xs[:0]
	for _, v := range xs {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}
