package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// An event set aside because Stripe keeps refusing a lookup it needs is
// listed in the Stripe section with Stripe's message; another tenant's is
// not; once it applies it is gone.
func TestSettingsListParkedEvents(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, nil)
	ctx := context.Background()
	tenant := app.NewTenant(t, "Acme")
	other := app.NewTenant(t, "Other")
	conn, err := app.Store.Connect(ctx, tenant.ID, "acct_1Parked", true, "usr", "…wxyz")
	if err != nil {
		t.Fatal(err)
	}
	otherConn, err := app.Store.Connect(ctx, other.ID, "acct_1OtherParked", true, "usr", "…wxyz")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	park := func(c tracklane.StripeConnection, id, msg string) {
		t.Helper()
		if _, err := app.Store.NoteEventFailure(ctx, c, tracklane.ParkedEvent{EventID: id, Type: "credit_note.created", Created: at,
			Payload: []byte(`{}`)}, msg, at, 1); err != nil {
			t.Fatal(err)
		}
	}
	park(conn, "evt_1Stuck", "Stripe refused GET /v1/credit_notes/cn_1 (403): does not have the required permissions")
	park(otherConn, "evt_1NotYours", "Stripe refused something else")

	b := newBrowser(t, app)
	b.get("/login")
	b.post("/login", url.Values{"email": {tenant.Email}, "password": {"correct horse battery"}}).must(t, http.StatusSeeOther)
	page := b.get("/settings")
	page.must(t, http.StatusOK, "Events set aside", "evt_1Stuck", "credit_note.created",
		"Stripe refused GET /v1/credit_notes/cn_1 (403): does not have the required permissions")
	if strings.Contains(page.body, "evt_1NotYours") {
		t.Error("another tenant's parked event is listed")
	}
	if n, err := app.Store.ParkedEventCount(ctx, conn.ID); err != nil || n != 1 {
		t.Errorf("parked count %d %v", n, err)
	}

	if err := app.Store.ForgetEventFailures(ctx, conn.ID, []string{"evt_1Stuck"}); err != nil {
		t.Fatal(err)
	}
	page = b.get("/settings")
	page.must(t, http.StatusOK, "acct_1Parked")
	if strings.Contains(page.body, "Events set aside") {
		t.Error("an applied event is still listed")
	}
}
