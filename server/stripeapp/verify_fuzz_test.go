package stripeapp_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/stripeapp"
)

func TestPayload(t *testing.T) {
	for _, tc := range []struct {
		id   stripeapp.Identity
		want string
	}{
		{stripeapp.Identity{UserID: "usr_1", AccountID: "acct_1"}, `{"user_id":"usr_1","account_id":"acct_1"}`},
		// As JSON.stringify writes it: no HTML escaping.
		{stripeapp.Identity{UserID: `a<b>&"c"`, AccountID: "é"}, `{"user_id":"a<b>&\"c\"","account_id":"é"}`},
	} {
		if got := string(tc.id.Payload()); got != tc.want {
			t.Errorf("Payload() = %s, want %s", got, tc.want)
		}
	}
}

func TestVerify(t *testing.T) {
	now := time.Now()
	body := []byte(`{"mode":"test","account_id":"acct_1","user_id":"usr_1"}`)
	id, err := stripeapp.Verify(body, sign(secret, "usr_1", "acct_1", now), secret, now)
	if err != nil || id != (stripeapp.Identity{UserID: "usr_1", AccountID: "acct_1"}) {
		t.Fatalf("valid: %+v, %v", id, err)
	}
	// The injected clock counts, both ways.
	if _, err := stripeapp.Verify(body, sign(secret, "usr_1", "acct_1", now), secret, now.Add(6*time.Minute)); !apperr.Is(err, apperr.Unauthorized) {
		t.Errorf("stale by the injected clock: %v", err)
	}
	if _, err := stripeapp.Verify(body, sign(secret, "usr_1", "acct_1", now), secret, now.Add(-6*time.Minute)); !apperr.Is(err, apperr.Unauthorized) {
		t.Errorf("future by the injected clock: %v", err)
	}
	// Never with an empty secret, even over a payload signed with "".
	if _, err := stripeapp.Verify(body, sign("", "usr_1", "acct_1", now), "", now); !apperr.Is(err, apperr.Unavailable) {
		t.Errorf("empty secret: %v", err)
	}
}

// FuzzVerify: Verify never panics, and accepts only a request whose ids are
// exactly the ones signed, with the configured secret, recently.
func FuzzVerify(f *testing.F) {
	f.Add("", "usr_1", "acct_1", secret, int64(0), "", false)
	f.Add("", "usr_1", "acct_1", secret, int64(0), "", true)
	f.Add("", "usr_1", "acct_1", "absec_other", int64(0), "", false)
	f.Add("", "usr_1", "acct_1", secret, int64(360), "", false)
	f.Add("", "usr_1", "acct_1", secret, int64(-360), "", false)
	f.Add("", "usr_1", "acct_1", secret, int64(0), ",v1=00", false)
	f.Add("", "usr_1", "acct_1", secret, int64(0), ",t=1", false)
	f.Add("", "<&>\u2028", "acct_\"1\"", secret, int64(10), "", false)
	f.Add(`{"user_id":"usr_1","account_id":"acct_2","mode":"test"}`, "usr_1", "acct_1", secret, int64(0), "", false)
	f.Add(`{"account_id":"usr_1","user_id":"acct_1"}`, "usr_1", "acct_1", secret, int64(0), "", false)
	f.Add(`{"user_id":"usr_1","account_id":"acct_1","USER_ID":"usr_2"}`, "usr_1", "acct_1", secret, int64(0), "", false)
	f.Add(`{"user_id":"usr_1","account_id":"acct_1"`, "usr_1", "acct_1", secret, int64(0), "", false)
	f.Add(`null`, "", "", secret, int64(0), "", false)
	f.Add(`{"user_id":1}`, "usr_1", "acct_1", secret, int64(0), "t=,v1=", true)
	f.Add("\xff", "\xff", "acct_1", secret, int64(0), "", false)

	// body: the raw request body; "" → built from the signed ids.
	// signUser, signAccount, signSecret, age: what the header signs, and when.
	// suffix: appended to the header; raw: send only the suffix as the header.
	f.Fuzz(func(t *testing.T, body, signUser, signAccount, signSecret string, age int64, suffix string, raw bool) {
		now := time.Now()
		age %= 1 << 32 // keep times representable
		signed, _ := json.Marshal(struct {
			UserID    string `json:"user_id"`
			AccountID string `json:"account_id"`
		}{signUser, signAccount})
		header := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{
			Payload: signed, Secret: signSecret, Timestamp: now.Add(-time.Duration(age) * time.Second),
		}).Header + suffix
		if raw {
			header = suffix
		}
		if body == "" {
			b, _ := json.Marshal(map[string]string{"user_id": signUser, "account_id": signAccount, "mode": "test"})
			body = string(b)
		}
		id, err := stripeapp.Verify([]byte(body), header, secret, now)
		if err != nil {
			var ae *apperr.Error
			if !errors.As(err, &ae) || (ae.Code != apperr.Unauthorized && ae.Code != apperr.Invalid) {
				t.Fatalf("error %v is not unauthorized or invalid", err)
			}
			return
		}
		// Accepted: the header must be ours (the fuzzer cannot forge an HMAC),
		// made with the secret, recently, over exactly the ids returned.
		tol := int64(stripeapp.Tolerance/time.Second) + 1 // + the header's whole-second rounding
		switch {
		case raw:
			t.Fatalf("accepted a header the fuzzer wrote: %q", header)
		case signSecret != secret:
			t.Fatalf("accepted a signature made with secret %q", signSecret)
		case age > tol || age < -tol:
			t.Fatalf("accepted a signature %d s old", age)
		case id.UserID == "" || id.AccountID == "":
			t.Fatalf("accepted empty ids %+v", id)
		case string(id.Payload()) != string(signed):
			t.Fatalf("accepted ids %+v, but %s was signed", id, signed)
		}
	})
}
