package stripeapp

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tracklane/tracklane/server/apperr"
)

// Tolerance is how far a signature's timestamp may lie from this server's
// clock, either way (SPEC §3: 300 s).
const Tolerance = 300 * time.Second

// Identity is who sent a verified request, as Stripe signed it: the
// Dashboard user and the Stripe account they are working in. The account
// is the authority for which Stripe account a request is about.
type Identity struct {
	UserID    string
	AccountID string
}

// signedPayload is what the UI's fetchStripeSignature() has Stripe sign.
// The field order is part of the signature: keep it.
type signedPayload struct {
	UserID    string `json:"user_id"`
	AccountID string `json:"account_id"`
}

// Payload returns the exact bytes Stripe signs for id,
// {"user_id":"…","account_id":"…"}, written the way JavaScript's
// JSON.stringify writes them (no HTML escaping; identical for every id
// Stripe hands out).
func (id Identity) Payload() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(signedPayload{UserID: id.UserID, AccountID: id.AccountID}) // two strings cannot fail
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// Verify reads user_id and account_id from a request body and checks that
// header (the Stripe-Signature) signs exactly {"user_id":…,"account_id":…}
// under secret, with a timestamp within Tolerance of now. The body's key
// order and any other fields do not matter: the signed payload is rebuilt.
//
// Errors are application errors: unavailable when secret is empty (never
// verify with an empty secret), invalid when the body is not a JSON object
// (no ids can be read from it), unauthorized for everything else — ids
// missing or not strings, header missing, signature wrong or stale.
func Verify(body []byte, header, secret string, now time.Time) (Identity, error) {
	if secret == "" {
		return Identity{}, errNoSecret
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return Identity{}, apperr.Errorf(apperr.Invalid, "request body is empty; expected a JSON object with user_id and account_id")
	}
	var p signedPayload
	if err := json.Unmarshal(body, &p); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return Identity{}, apperr.Errorf(apperr.Unauthorized, "user_id and account_id must be the strings Stripe signed")
		}
		return Identity{}, apperr.Errorf(apperr.Invalid, "request body is not a JSON object")
	}
	id := Identity{UserID: p.UserID, AccountID: p.AccountID}
	if id.UserID == "" || id.AccountID == "" {
		return Identity{}, apperr.Errorf(apperr.Unauthorized, "user_id and account_id are required: they are what Stripe signs")
	}
	if header == "" {
		return Identity{}, apperr.Errorf(apperr.Unauthorized, "the Stripe-Signature header is missing")
	}
	err := webhook.ValidatePayloadWithTolerance(id.Payload(), header, secret, Tolerance)
	if errors.Is(err, webhook.ErrTooOld) {
		return Identity{}, errStale
	}
	if err != nil {
		return Identity{}, apperr.Errorf(apperr.Unauthorized,
			"the Stripe-Signature does not sign this user_id and account_id (is STRIPE_APP_SECRET this app's signing secret?)")
	}
	// The library measures age with the wall clock and accepts any future
	// timestamp; hold the signature to the injected clock as well, both ways.
	if ts, ok := signatureTime(header); !ok || ts.Sub(now) > Tolerance || now.Sub(ts) > Tolerance {
		return Identity{}, errStale
	}
	return id, nil
}

var (
	errNoSecret = apperr.Errorf(apperr.Unavailable,
		"the Stripe App is not set up on this server: STRIPE_APP_SECRET is not set (set it to the app's signing secret and restart)")
	errStale = apperr.Errorf(apperr.Unauthorized,
		"the Stripe-Signature timestamp is more than 5 minutes away from the server's clock; reload the page (or check the server's clock)")
)

// signatureTime reads the t= timestamp of a header the webhook package has
// accepted, the way it does (the last t= wins).
func signatureTime(header string) (time.Time, bool) {
	var ts time.Time
	found := false
	for _, pair := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k != "t" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		ts, found = time.Unix(n, 0), true
	}
	return ts, found
}
