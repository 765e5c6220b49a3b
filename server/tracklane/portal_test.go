package tracklane

import "testing"

func TestSlugFrom(t *testing.T) {
	for name, want := range map[string]string{
		"Acme Corp":  "acme-corp",
		"acme corp!": "acme-corp",
		"Ünïcode":    "n-code",
		"x":          "program",
		"  --  ":     "program",
		"A Very Long Company Name That Goes On And On Forever": "a-very-long-company-name-that",
	} {
		got := SlugFrom(name)
		if got != want || !ValidSlug(got) {
			t.Errorf("SlugFrom(%q) = %q, want %q", name, got, want)
		}
	}
}
