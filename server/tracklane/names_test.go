package tracklane

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

func TestFold(t *testing.T) {
	if got := FoldEmail("  Bob@Example.COM\t"); got != "bob@example.com" {
		t.Errorf("FoldEmail = %q", got)
	}
	if got := FoldCode(" Spring-25 "); got != "spring-25" {
		t.Errorf("FoldCode = %q", got)
	}
}
