package stripesync

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/tracklane"
)

// unconnected is a Store where no account is connected.
type unconnected struct{ Store }

func (unconnected) Connection(context.Context, string, bool) (tracklane.StripeConnection, error) {
	return tracklane.StripeConnection{}, apperr.Errorf(apperr.NotFound, "not connected")
}
func (unconnected) DisconnectAccount(context.Context, string, bool, time.Time) (int, error) {
	return 0, nil
}

// FuzzWebhook signs arbitrary bodies with the right secret and posts them
// to the webhook endpoint: whatever the body, the answer is 200 (ignored)
// or 400 (not an event), never a 5xx or a panic.
func FuzzWebhook(f *testing.F) {
	for _, seed := range []string{
		`{"id":"evt_1","type":"invoice.paid","livemode":true,"account":"acct_1","data":{"object":{"id":"in_1"}}}`,
		`{"id":"evt_2","type":"account.application.deauthorized","livemode":true,"account":"acct_1"}`,
		`{"id":"evt_3","type":"invoice.paid","livemode":false}`,
		`{}`, `[]`, `null`, `{"id":5}`, `{"id":"evt","type":"x","data":"nope"}`, "\x00",
	} {
		f.Add(seed)
	}
	gin.SetMode(gin.ReleaseMode)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := New(unconnected{}, nil, nil, time.Hour, log, time.Now)
	r := gin.New()
	NewWebhookHandler(e, []string{"whsec_fuzz"}, []string{"whsec_fuzz_test"}, log).Register(r)
	f.Fuzz(func(t *testing.T, body string) {
		sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: []byte(body), Secret: "whsec_fuzz", Timestamp: time.Now()})
		req := httptest.NewRequest(http.MethodPost, "/stripe/webhook", strings.NewReader(body))
		req.Header.Set("Stripe-Signature", sp.Header)
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if w.Code != http.StatusOK && w.Code != http.StatusBadRequest {
			t.Fatalf("body %q: status %d %s", body, w.Code, w.Body.String())
		}
	})
}
