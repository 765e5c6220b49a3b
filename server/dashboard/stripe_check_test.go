package dashboard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/apptest"
	"github.com/tracklane/tracklane/server/dashboard"
	"github.com/tracklane/tracklane/server/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/server/web"
)

type fakeChecker struct {
	calls atomic.Int32
	err   error
}

func (f *fakeChecker) CheckNow(ctx context.Context, conn tracklane.StripeConnection) (tracklane.CheckResult, error) {
	f.calls.Add(1)
	now := time.Now()
	return tracklane.CheckResult{StartedAt: now, FinishedAt: &now, EventsSeen: 3}, f.err
}

// dashboardWith serves only the dashboard with the given checker (nil: a
// wiring without Stripe sync) over app's database.
func dashboardWith(t *testing.T, app *apptest.App, checker dashboard.Checker) *apptest.App {
	t.Helper()
	deps := dashboard.Deps{Store: app.Store, Accounts: app.Accounts, Config: app.Config, Log: storetest.Logger(t), Now: time.Now}
	if checker != nil {
		deps.Checker = checker
	}
	engine, err := web.New(web.Options{Log: deps.Log, DB: app.Store}, dashboard.New(deps))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(engine)
	t.Cleanup(srv.Close)
	out := *app
	out.URL = srv.URL
	return &out
}

func TestCheckNow(t *testing.T) {
	t.Parallel()
	base := apptest.New(t, nil)
	tenant := base.NewTenant(t, "Acme")
	conn, err := base.Store.Connect(context.Background(), tenant.ID, "acct_1Check", false, "usr", "…wxyz")
	if err != nil {
		t.Fatal(err)
	}
	path := "/settings/stripe/" + strconv.FormatInt(conn.ID, 10) + "/check"
	signIn := func(app *apptest.App) *browser {
		b := newBrowser(t, app)
		b.get("/login")
		b.post("/login", url.Values{"email": {tenant.Email}, "password": {"correct horse battery"}}).must(t, http.StatusSeeOther)
		b.get("/settings")
		return b
	}

	// No checker wired: the page says so and the button cannot work.
	b := signIn(dashboardWith(t, base, nil))
	b.get("/settings").must(t, http.StatusOK, "Stripe sync not configured", "acct_1Check", "Not checked yet")
	b.post(path, nil).must(t, http.StatusServiceUnavailable, "Stripe sync not configured")

	ok := &fakeChecker{}
	b = signIn(dashboardWith(t, base, ok))
	r := b.post(path, nil)
	r.must(t, http.StatusSeeOther)
	if ok.calls.Load() != 1 {
		t.Fatalf("%d checks", ok.calls.Load())
	}
	b.get("/settings?ok=checked").must(t, http.StatusOK, "Stripe check finished")
	b.post("/settings/stripe/999999/check", nil).must(t, http.StatusNotFound)

	refused := &fakeChecker{err: apperr.Errorf(apperr.BadGateway, "Stripe refused the key")}
	b = signIn(dashboardWith(t, base, refused))
	b.post(path, nil).must(t, http.StatusBadGateway, "Check failed: Stripe refused the key")
}
