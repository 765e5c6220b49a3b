package tracklane

import (
	"testing"

	"github.com/tracklane/tracklane/server/apperr"
)

func TestReadOriginFilters(t *testing.T) {
	for _, tc := range []struct {
		name, origin, code string
		wantOrigin         Origin
		wantCode, wantErr  string
	}{
		{"none: all", "", "", "", "", ""},
		{"stripe", "stripe", "", OriginStripe, "", ""},
		{"tracker and a type", "tracker", "demo_call", OriginTracker, "demo_call", ""},
		{"a type alone", "", "lead", "", "lead", ""},
		{"another origin", "paypal", "", "", "", "origin must be stripe or tracker"},
		{"origin is case-sensitive", "Stripe", "", "", "", "origin must be stripe or tracker"},
		{"a code with capitals", "", "Sale", "", "", "kind is a conversion type's code (a-z, 0-9, _ and -)"},
		{"a code too long", "", string(make([]byte, 41)), "", "", "kind is a conversion type's code (a-z, 0-9, _ and -)"},
	} {
		o, code, err := ReadOriginFilters(tc.origin, tc.code, "kind")
		if tc.wantErr != "" {
			if apperr.CodeOf(err) != apperr.Invalid || apperr.MessageOf(err) != tc.wantErr {
				t.Errorf("%s: %v; want invalid %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil || o != tc.wantOrigin || code != tc.wantCode {
			t.Errorf("%s: %q, %q, %v; want %q, %q", tc.name, o, code, err, tc.wantOrigin, tc.wantCode)
		}
	}
}
