package stripesync

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stripe/stripe-go/v76/webhook"
)

// A signature's timestamp may be off by the tolerance either way: one from
// further in the future (a header made to stay valid for years) is
// refused like a stale one.
func TestWebhookRefusesTimestampsFromTheFuture(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := gin.New()
	NewWebhookHandler(New(unconnected{}, nil, nil, time.Hour, log, time.Now), []string{"whsec_time"}, []string{"whsec_time_test"}, log).Register(r)
	body := `{"id":"evt_1","type":"invoice.paid","livemode":true,"account":"acct_1","data":{"object":{"id":"in_1"}}}`
	for _, tc := range []struct {
		name string
		at   time.Time
		want int
	}{
		{"now", time.Now(), http.StatusOK},
		{"a little ahead (clock skew)", time.Now().Add(30 * time.Second), http.StatusOK},
		{"4 minutes ago", time.Now().Add(-4 * time.Minute), http.StatusOK},
		{"10 minutes ago", time.Now().Add(-10 * time.Minute), http.StatusBadRequest},
		{"10 minutes ahead", time.Now().Add(10 * time.Minute), http.StatusBadRequest},
		{"10 years ahead", time.Now().AddDate(10, 0, 0), http.StatusBadRequest},
	} {
		sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: []byte(body), Secret: "whsec_time", Timestamp: tc.at})
		req := httptest.NewRequest(http.MethodPost, "/stripe/webhook", strings.NewReader(body))
		req.Header.Set("Stripe-Signature", sp.Header)
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if w.Code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, w.Code, w.Body.String(), tc.want)
		}
	}
}
