package views

import "testing"

// The portal shows customers as "j***@example.com": the first character
// of the local part, never the rest.
func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{
		"jane@example.com":         "j***@example.com",
		"j@example.com":            "j***@example.com",
		"jane.doe+tag@example.com": "j***@example.com",
		"éloïse@example.fr":        "é***@example.fr",
		"cus_12345":                "c***",
		"émile":                    "é***",
		"x":                        "x",
		"":                         "",
		"@example.com":             "@***",
	} {
		if got := MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}
