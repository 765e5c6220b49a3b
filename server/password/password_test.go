package password_test

import (
	"os"
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/password"
)

func TestCheck(t *testing.T) {
	for pw, want := range map[string]string{
		"":                      "at least 10",
		"abcdefghi":             "at least 10",
		"ünïcödé€€":             "at least 10", // 9 runes, more bytes
		"password123":           "too common",
		"PASSWORD123":           "too common",
		"QwErTyUiOp":            "too common",
		"1234567890":            "too common",
		"correct horse battery": "",
		"password123 ":          "", // the whole string is compared
		"xkq7-vmp2z":            "",
		"ünïcödé€€€":            "",
		strings.Repeat("x", 72): "",
		strings.Repeat("x", 73): "at most 72",
		strings.Repeat("é", 37): "at most 72",
		"long enough\x00":       "text",
		"long enough\xff":       "text",
	} {
		err := password.Check(pw)
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
