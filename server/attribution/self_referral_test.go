package attribution

import "testing"

func TestSelfReferral(t *testing.T) {
	for _, tc := range []struct {
		customer, affiliate string
		want                bool
	}{
		{"ann@example.com", "ann@example.com", true},
		{"Ann@Example.COM", "ann@example.com", true},
		{"ann@example.com", " ANN@example.com ", true},
		{"bob@example.com", "ann@example.com", false},
		{"", "", false}, // an unknown customer is nobody's
		{"", "ann@example.com", false},
		{"  ", "", false},
		{"u-42", "ann@example.com", false}, // a site's own customer id
	} {
		if got := SelfReferral(tc.customer, tc.affiliate); got != tc.want {
			t.Errorf("SelfReferral(%q, %q) = %v, want %v", tc.customer, tc.affiliate, got, tc.want)
		}
	}
}
