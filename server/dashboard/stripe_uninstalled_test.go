package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// An account whose app was uninstalled shows as disconnected with the date.
func TestSettingsShowUninstall(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, nil)
	tenant := app.NewTenant(t, "Acme")
	if _, err := app.Store.Connect(context.Background(), tenant.ID, "acct_1Uninst", true, "usr", "…wxyz"); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, app)
	b.get("/login")
	b.post("/login", url.Values{"email": {tenant.Email}, "password": {"correct horse battery"}}).must(t, http.StatusSeeOther)
	b.get("/settings").must(t, http.StatusOK, "acct_1Uninst", "Connected")

	app.Store.Now = func() time.Time { return time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC) }
	if _, err := app.Store.DisconnectAccount(context.Background(), "acct_1Uninst", true, time.Now()); err != nil {
		t.Fatal(err)
	}
	b.get("/settings").must(t, http.StatusOK, "Disconnected: the app was uninstalled from Stripe on 20 Nov 2026, 09:30")
}

// An account whose checks Stripe refuses stays connected and says since
// when, and that it is tried again.
func TestSettingsShowRefusedAccess(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, nil)
	tenant := app.NewTenant(t, "Acme")
	conn, err := app.Store.Connect(context.Background(), tenant.ID, "acct_1Refused", false, "usr", "…wxyz")
	if err != nil {
		t.Fatal(err)
	}
	since := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	finished := time.Now()
	if err := app.Store.FinishCheck(context.Background(), conn.ID, tracklane.CheckResult{StartedAt: finished, FinishedAt: &finished,
		RefusedSince: &since, Error: "Stripe refused access since 2026-11-20T09:30:00Z (tried again at every check): no access to account"},
		finished.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, app)
	b.get("/login")
	b.post("/login", url.Values{"email": {tenant.Email}, "password": {"correct horse battery"}}).must(t, http.StatusSeeOther)
	b.get("/settings").must(t, http.StatusOK, "acct_1Refused", "Connected", "Refused",
		"Stripe refused access since 2026-11-20T09:30:00Z", "tried again at every check")
}
