package ident

import (
	"regexp"
	"testing"
)

// The shapes the byte checks implement, as the database and the spec say.
var (
	codePattern = regexp.MustCompile(`^[a-z0-9-]{2,40}$`)
	cidPattern  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

func TestValidCodeAndCID(t *testing.T) {
	for _, s := range []string{"", "a", "ab", "a-b", "AB", "ab_", "x" + string(make([]byte, 40)), "abcdefghijabcdefghijabcdefghijabcdefghij", "abcdefghijabcdefghijabcdefghijabcdefghijk", "é1"} {
		if ValidCode(s) != codePattern.MatchString(s) {
			t.Errorf("ValidCode(%q) = %v", s, ValidCode(s))
		}
		if ValidClickID(s) != cidPattern.MatchString(s) {
			t.Errorf("ValidClickID(%q) = %v", s, ValidClickID(s))
		}
	}
}

func TestGeneratedIDsAreValid(t *testing.T) {
	for i := 0; i < 100; i++ {
		if c := Code(8); !ValidCode(c) {
			t.Fatalf("generated code %q is not valid", c)
		}
		if id := ClickID(); !ValidClickID(id) || len(id) != 22 {
			t.Fatalf("generated click id %q is not valid", id)
		}
	}
	if !IsToken(Token()) {
		t.Fatal("a generated token is not a token")
	}
}
