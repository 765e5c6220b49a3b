package stripeapp_test

import (
	"context"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/tracklane"
)

// /stripe-app/status counts the connection's parked events (SPEC section
// 13), not events that failed but are not parked yet, nor another mode's.
func TestStatusCountsParkedEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t, secret, &fakeChecker{})
	a, tokenA := e.tenant("Shop A")
	expectStatus(t, e.connect("acct_1", "test", a, tokenA), 200)
	expectStatus(t, e.connect("acct_1", "live", a, tokenA), 200)
	ctx := context.Background()
	conn, err := e.st.Connection(ctx, "acct_1", false)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	note := func(id string, parkAfter int) {
		t.Helper()
		if _, err := e.st.NoteEventFailure(ctx, conn, tracklane.ParkedEvent{EventID: id, Type: "charge.succeeded", Created: at,
			Payload: []byte(`{}`)}, "Stripe refused GET /v1/customers/cus_1 (403)", at, parkAfter); err != nil {
			t.Fatal(err)
		}
	}
	note("evt_parked_1", 1)
	note("evt_parked_2", 1)
	note("evt_failing", 3) // failed once: not parked yet
	var s status
	decode(t, e.post("/stripe-app/status", "acct_1", "test"), &s)
	if s.ParkedEvents == nil || *s.ParkedEvents != 2 {
		t.Errorf("test mode: parked_events %v, want 2", s.ParkedEvents)
	}
	decode(t, e.post("/stripe-app/status", "acct_1", "live"), &s)
	if s.ParkedEvents == nil || *s.ParkedEvents != 0 {
		t.Errorf("live mode: parked_events %v, want 0", s.ParkedEvents)
	}
}
