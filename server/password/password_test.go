package password_test

import (
	"os"
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/password"
)

// long72 is a strong password of exactly MaxBytes bytes.
const long72 = "seven quiet zebras hum 48 odd tunes while the glassblower naps, ok?! fin"

func TestCheck(t *testing.T) {
	if len(long72) != password.MaxBytes {
		t.Fatalf("long72 has %d bytes", len(long72))
	}
	for pw, want := range map[string]string{
		"":                      "at least 10",
		"abcdefghi":             "at least 10",
		"ünïcödé€€":             "at least 10", // 9 runes, more bytes
		"password123":           "too common",
		"PASSWORD123":           "too common",
		"QwErTyUiOp":            "too common",
		"1234567890":            "too common",
		"correct horse battery": "",
		"password123 ":          "too easy to guess", // not on the list (the whole string is compared), guessable still
		"xkq7-vmp2z":            "",
		"ünïcödé€€€":            "",
		long72:                  "",
		strings.Repeat("x", 73): "at most 72",
		strings.Repeat("é", 37): "at most 72",
		"long enough\x00":       "text",
		"long enough\xff":       "text",
	} {
		err := password.Check(pw, password.Owner{})
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v, want accepted", pw, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want) || !apperr.Is(err, apperr.Invalid)):
			t.Errorf("%q: %v, want an invalid error with %q", pw, err, want)
		}
	}
}

func TestTheListIsAtMost10000LowerCaseEntries(t *testing.T) {
	data, err := os.ReadFile("common-passwords.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	seen := map[string]bool{}
	for _, l := range lines {
		if l == "" || l != strings.ToLower(l) || seen[l] {
			t.Fatalf("entry %q is empty, not lower-case or repeated", l)
		}
		seen[l] = true
	}
	if len(lines) > 10000 {
		t.Errorf("%d entries, at most 10,000 allowed (SPEC §12)", len(lines))
	}
	for _, pw := range []string{"123456", "password", "qwerty", "iloveyou"} {
		if !password.IsCommon(pw) {
			t.Errorf("%q is not on the list", pw)
		}
	}
	if password.IsCommon("correct horse battery") {
		t.Error("an uncommon password is on the list")
	}
}

// Passwords long enough and off the common list that a guesser still tries
// early are refused with the reason, and so are the account's own email
// and name (zxcvbn with them as user inputs).
func TestCheckRefusesGuessablePasswords(t *testing.T) {
	alice := password.Owner{Email: "alice.wonder@example.com", Name: "Alice Wonderland"}
	for _, tc := range []struct {
		pw    string
		owner password.Owner
		want  string
	}{
		{"aaaaaaaaaa", password.Owner{}, "a repeated character"},
		{strings.Repeat("x", 72), password.Owner{}, "a repeated character"},
		{"ZZZZZZZZZZZZZZZZ", alice, "a repeated character"},
		{"Password1234", password.Owner{}, "a common word with digits"},
		{"Sunshine2024", password.Owner{}, "a common word with digits"},
		{"hunter2hunter2", password.Owner{}, "a repeated pattern"},
		{"abcdefghijkl", password.Owner{}, "a sequence"},
		{"zxcvbnm,./;", password.Owner{}, "a keyboard pattern"},
		{"alice.wonder@example.com", alice, "your own email or name"},
		{"ALICE.WONDER@EXAMPLE.COM", alice, "your own email or name"},
		{"Alice Wonderland", alice, "your own email or name"},
		{"alicewonder1", alice, "your own email or name"},
		// The same passwords from another account are judged on their own.
		{"Alice Wonderland", password.Owner{Email: "bob@example.com", Name: "Bob"}, ""},
		{"correct horse battery", alice, ""},
		{"a good long password", alice, ""},
		{"owner-pass-1", alice, ""},
	} {
		err := password.Check(tc.pw, tc.owner)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q (%+v): %v, want accepted", tc.pw, tc.owner, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !apperr.Is(err, apperr.Invalid)):
			t.Errorf("%q (%+v): %v, want an invalid error saying %q", tc.pw, tc.owner, err, tc.want)
		}
	}
}
