package oneline

import "testing"

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"Acme":                         "Acme",
		"  Acme   Shop\t":              "Acme Shop",
		"Eve\r\nBcc: x@evil.example":   "Eve Bcc: x@evil.example",
		"Eve\x1b[31m\x00\x7f\u0085Red": "Eve[31m Red",
		"\u202egnp.exe\u2066\u200f":    "gnp.exe",
		"Zoë Ångström 李":               "Zoë Ångström 李",
		"\u2028\u2029":                 "",
	} {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}
