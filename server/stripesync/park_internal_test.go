package stripesync

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stripe/stripe-go/v76"

	"github.com/tracklane/tracklane/server/apperr"
)

// TestRefusedLookupOrRefusedAccess: a refusal of the key or of the whole
// account (401; 403 account_invalid or access revoked) refuses the check
// and parks nothing; any other 4xx of one object's lookup but 404 and 429
// (a missing permission's 403, an expansion's 400) is a refused lookup
// that may park its event, and never reads as a refused check.
func TestRefusedLookupOrRefusedAccess(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name           string
		err            *stripe.Error
		parks, refused bool
	}{
		{"rolled key", &stripe.Error{HTTPStatusCode: http.StatusUnauthorized, Msg: "Invalid API Key provided"}, false, true},
		{"account refused", &stripe.Error{HTTPStatusCode: http.StatusForbidden, Code: stripe.ErrorCodeAccountInvalid,
			Msg: "The provided key does not have access to account"}, false, true},
		{"app access revoked", &stripe.Error{HTTPStatusCode: http.StatusForbidden,
			Msg: "Application access may have been revoked."}, false, true},
		{"missing permission", &stripe.Error{HTTPStatusCode: http.StatusForbidden,
			Msg: "The provided key 'rk_live_****' does not have the required permissions for this endpoint"}, true, false},
		{"expansion refused", &stripe.Error{HTTPStatusCode: http.StatusBadRequest, Msg: "This property cannot be expanded (refund)."}, true, false},
		{"gone", &stripe.Error{HTTPStatusCode: http.StatusNotFound, Msg: "No such credit note"}, false, false},
		{"rate limited", &stripe.Error{HTTPStatusCode: http.StatusTooManyRequests, Msg: "Too many requests"}, false, false},
		{"resource missing", &stripe.Error{HTTPStatusCode: http.StatusBadRequest, Code: stripe.ErrorCodeResourceMissing, Msg: "No such customer"}, false, false},
	} {
		err := refusedLookupOf("GET /v1/customers/cus_1", tc.err, classify(ctx, tc.err))
		var rl *refusedLookup
		var ae *accessError
		if parks := errors.As(err, &rl); parks != tc.parks {
			t.Errorf("%s: parks %v, want %v (%v)", tc.name, parks, tc.parks, err)
		}
		if refused := errors.As(err, &ae); refused != tc.refused {
			t.Errorf("%s: refused access %v, want %v (%v)", tc.name, refused, tc.refused, err)
		}
		if tc.parks && apperr.CodeOf(err) != apperr.BadGateway {
			t.Errorf("%s: %v is not a bad_gateway error", tc.name, err)
		}
	}
}
