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

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{
		"Acme":                         "Acme",
		"  Acme   Shop\t":              "Acme Shop",
		"Eve\r\nBcc: x@evil.example":   "Eve Bcc: x@evil.example",
		"Eve\x1b[31m\x00\x7f\u0085Red": "Eve[31m Red",
		"\u202egnp.exe\u2066\u200f":    "gnp.exe",
		"Zoë Ångström 李":               "Zoë Ångström 李",
		"\u2028\u2029":                 "",
	} {
		if got := CleanName(in); got != want {
			t.Errorf("CleanName(%q) = %q, want %q", in, got, want)
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
