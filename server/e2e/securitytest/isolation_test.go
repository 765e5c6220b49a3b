package securitytest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/testkit/apptest"
)

func accountInput(name, email, code, landing string) account.AffiliateInput {
	return account.AffiliateInput{Name: name, Email: email, Code: code, LandingURL: landing}
}

// TestTenantIsolation tries, for every API and dashboard route, the objects
// of tenant A with the token or session of tenant B: each answer is a 404
// (or B's own, empty data), nothing of A is shown, and nothing of A changes.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, map[string]string{"TRUSTED_PROXIES": "127.0.0.1/32"})
	va, vb := newVisitor(t, app), newVisitor(t, app)
	a := populate(t, app, va.signup("Alpha Shop", "owner@alpha.example"), "alpha", "alice@customer.example", nil)
	b := populate(t, app, vb.signup("Beta Shop", "owner@beta.example"), "beta", "bob@customer.example", nil)
	secretsOfA := []string{a.id, a.affiliate, a.click, a.conversion, "alice@customer.example", "a***@customer.example", "Partner alpha", "acct_alpha"}
	tried := 0

	// The API with B's token.
	auth := "Authorization: Bearer " + b.token
	for _, path := range []string{
		"/api/v1/clicks?affiliate_id=" + a.affiliate,
		"/api/v1/conversions?affiliate_id=" + a.affiliate,
	} {
		tried++
		if s, body := app.Do(t, "GET", path, nil, auth); s != http.StatusNotFound {
			t.Errorf("GET %s as B: %d %s", path, s, body)
		}
	}
	for _, path := range []string{"/api/v1/clicks", "/api/v1/conversions", "/api/v1/affiliates"} {
		tried++
		s, body := app.Do(t, "GET", path, nil, auth)
		must(t, s == 200, "GET %s as B: %d", path, s)
		for _, secret := range secretsOfA {
			must(t, !strings.Contains(string(body), secret), "GET %s as B shows A's %q", path, secret)
		}
	}

	// The dashboard with B's session.
	vb.do("GET", "/settings", nil)
	for _, path := range []string{
		"/conversions/" + a.conversion,
		"/affiliates/" + a.affiliate,
		"/clicks?affiliate=" + a.affiliate,
		"/conversions?affiliate=" + a.affiliate,
		"/clicks.csv?affiliate=" + a.affiliate,
		"/conversions.csv?affiliate=" + a.affiliate,
		"/integration/status.json?affiliate=" + a.affiliate,
	} {
		tried++
		if s, _, _ := vb.do("GET", path, nil); s != http.StatusNotFound {
			t.Errorf("GET %s as B: %d, want 404", path, s)
		}
	}
	for _, path := range []string{
		"/conversions/" + a.conversion + "/approve",
		"/conversions/" + a.conversion + "/reject",
		"/affiliates/" + a.affiliate,
		fmt.Sprintf("/settings/tokens/%d/revoke", a.tokenID),
		fmt.Sprintf("/settings/stripe/%d/check", a.connection),
	} {
		tried++
		if s, _, _ := vb.do("POST", path, url.Values{"name": {"Stolen"}, "email": {"x@evil.example"}, "code": {"stolen-code"}}); s != http.StatusNotFound {
			t.Errorf("POST %s as B: %d, want 404", path, s)
		}
	}
	for _, path := range []string{"/", "/clicks", "/conversions", "/affiliates", "/settings", "/integration", "/clicks.csv", "/conversions.csv"} {
		tried++
		s, body, _ := vb.do("GET", path, nil)
		must(t, s == 200, "GET %s as B: %d", path, s)
		for _, secret := range secretsOfA {
			must(t, !strings.Contains(body, secret), "GET %s as B shows A's %q", path, secret)
		}
	}

	// The Stripe App: B's token cannot claim A's account.
	ctx := context.Background()
	if _, err := app.Store.Connect(ctx, b.id, "acct_alpha", true, "usr_x", "…"); err == nil {
		t.Error("B took A's Stripe account")
	}

	// Nothing of A changed.
	conv, err := app.Store.Conversion(ctx, a.id, a.conversion)
	must(t, err == nil && conv.ManualStatus == "" && conv.Status == "pending", "A's conversion changed: %+v %v", conv, err)
	aff, err := app.Store.Affiliate(ctx, a.id, a.affiliate)
	must(t, err == nil && aff.Name == "Partner alpha", "A's affiliate changed: %+v", aff)
	must(t, app.QueryInt(t, `SELECT count(*) FROM personal_tokens WHERE tenant_id = $1 AND revoked_at IS NOT NULL`, a.id) == 0, "A's token revoked")
	t.Logf("%d cross-tenant requests tried; 0 leaked, 0 changed", tried)
}
