package tracklane_test

import (
	"testing"

	"github.com/tracklane/tracklane/server/tracklane"
)

func TestPayoutEmailProblem(t *testing.T) {
	for s, bad := range map[string]bool{
		"jane@paypal.example": false, "j=ane+x@paypal.example": false, "": false,
		"=cmd|'/Ccalc'!A0@x.example": true, "+1@x.example": true, "-x@x.example": true, "@x@x.example": true,
		"ja\tne@x.example": true, "jane@x.example\r\n": true, "ja\x00ne@x.example": true, "ja\u0085ne@x.example": true,
	} {
		if got := tracklane.PayoutEmailProblem(s) != ""; got != bad {
			t.Errorf("%q: refused %v, want %v", s, got, bad)
		}
	}
}
