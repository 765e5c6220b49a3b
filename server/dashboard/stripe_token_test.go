package dashboard_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/views"
)

var shownToken = regexp.MustCompile(`id="stripe-app-token-value">(tl_pt_[A-Za-z0-9_-]+)<`)

// A new merchant gets a token to paste into the Stripe App where they need
// it, the getting-started card and the Stripe section of Settings: shown
// once, with the Tenant ID and the next step, and it works.
func TestStripeAppToken(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, map[string]string{"STRIPE_TEST_SECRET_KEY": "sk_test_x"})
	b := newBrowser(t, app)
	tenantID := b.signup("Acme Coffee", "owner@acme.example")

	home := b.get("/")
	home.must(t, http.StatusOK, "Connect Stripe", `action="/settings/stripe-app-token#connect-stripe"`, "Create a token for the Stripe App")
	for _, from := range []string{"overview", "settings"} {
		a := b.follow(b.post("/settings/stripe-app-token", url.Values{"from": {from}}))
		a.must(t, http.StatusOK, "Token for the Stripe App created", "it will not be shown again", tenantID,
			"paste the Tenant ID and this token")
		m := shownToken.FindStringSubmatch(a.body)
		if m == nil {
			t.Fatalf("from %s: no token shown:\n%s", from, short(a.body))
		}
		if from == "overview" && !strings.Contains(a.body, "Get started") {
			t.Errorf("asked from the overview, answered with another page")
		}
		if from == "settings" && !strings.Contains(a.body, `id="stripe"`) {
			t.Errorf("asked from settings, answered with another page")
		}
		// The token is a live token of this tenant.
		status, body := app.Do(t, "GET", "/api/v1/affiliates", nil, "Authorization: Bearer "+m[1])
		if status != http.StatusOK {
			t.Errorf("from %s: the shown token does not work: %d %s", from, status, body)
		}
	}
	// Once only; the settings list names it.
	settings := b.get("/settings")
	settings.must(t, http.StatusOK, "Stripe App")
	if strings.Contains(settings.body, "stripe-app-token-value") {
		t.Error("the token is shown again")
	}
}

// With no Stripe account connected, the Stripe section says what is true
// for this server: its own app (not a Marketplace listing), the guides, the
// values to paste, and which keys the server still lacks.
func TestStripeSectionSaysWhatThisServerNeeds(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, map[string]string{"STRIPE_TEST_SECRET_KEY": "sk_test_x"})
	b := newBrowser(t, app)
	tenantID := b.signup("Acme Coffee", "owner@acme.example")
	page := b.get("/settings")
	page.must(t, http.StatusOK, "the Stripe App of this server", "not listed in the Stripe App Marketplace",
		views.OperatorGuideURL, views.StripeAppGuideURL, `id="connect-tenant-id">`+tenantID+"<",
		"Create a token for the Stripe App", "STRIPE_APP_SECRET", "reads test-mode installs only")
	if strings.Contains(page.body, "Install the Tracklane app from the Stripe App Marketplace") {
		t.Error("the Stripe section still sends the merchant to the Marketplace")
	}

	ready := apptest.New(t, map[string]string{"STRIPE_APP_SECRET": "absec_x", "STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_TEST_SECRET_KEY": "sk_test_x"})
	b = newBrowser(t, ready)
	b.signup("Acme Coffee", "owner@acme.example")
	page = b.get("/settings")
	page.must(t, http.StatusOK, "the Stripe App of this server")
	for _, s := range []string{"STRIPE_APP_SECRET", "STRIPE_SECRET_KEY", "installs only"} {
		if strings.Contains(page.body, s) {
			t.Errorf("a server with every key set still says %q", s)
		}
	}
}
