package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/testkit/apptest"
	headless "github.com/tracklane/tracklane/server/testkit/browser"
	"github.com/tracklane/tracklane/server/tracklane"
)

// payoutShop signs up a merchant with three affiliates and approved sales:
// two with a payout email, one without.
func payoutShop(t *testing.T, app *apptest.App, b *browser) (string, []tracklane.Affiliate) {
	t.Helper()
	tenantID := b.signup("Acme <Coffee>", "owner@payouts.example")
	var affs []tracklane.Affiliate
	for i, name := range []string{"Jamie Rivera", "Kai Tanaka", "Lee <b>Bold</b>"} {
		a, err := app.Accounts.CreateAffiliate(context.Background(), tenantID, account.AffiliateInput{
			Name: name, Email: strings.Fields(strings.ToLower(name))[0] + "@partners.example", Code: []string{"jamie", "kai", "lee"}[i]})
		if err != nil {
			t.Fatal(err)
		}
		affs = append(affs, a)
	}
	app.ApprovedSale(t, tenantID, affs[0], 12000, "usd")
	app.ApprovedSale(t, tenantID, affs[0], 8000, "usd")
	app.ApprovedSale(t, tenantID, affs[1], 50000, "jpy")
	app.ApprovedSale(t, tenantID, affs[2], 4000, "eur")
	for i, email := range []string{"jamie.paypal@partners.example", "kai.paypal@partners.example"} {
		if _, err := app.Store.DB().Exec(`UPDATE affiliates SET payout_email = $2 WHERE id = $1`, affs[i].ID, email); err != nil {
			t.Fatal(err)
		}
	}
	return tenantID, affs
}

// TestPayoutsPage: what is owed, create, the PayPal file (the payout
// without an email listed as left out), mark paid, cancel, the 409 page
// of a finished payout, the statement, the conversion's payout, the
// minimum, and CSRF on every form.
func TestPayoutsPage(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, nil)
	b := newBrowser(t, app)
	tenantID, affs := payoutShop(t, app, b)

	b.get("/payouts").must(t, http.StatusOK, "Owed now", "Jamie Rivera", "$40.00", "¥10,000", "None: not in the PayPal file",
		"Lee &lt;b&gt;Bold&lt;/b&gt;", `href="/payouts"`)
	if a := b.post("/payouts/create", url.Values{"csrf": {"forged"}}); a.status != http.StatusForbidden {
		t.Fatalf("create without CSRF: %d", a.status)
	}
	if n := app.QueryInt(t, `SELECT count(*) FROM payouts`); n != 0 {
		t.Fatalf("a forged form created %d payouts", n)
	}
	a := b.post("/payouts/create", nil)
	if a.status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", a.status, short(a.body))
	}
	page := b.get(a.header.Get("Location"))
	page.must(t, http.StatusOK, "Payouts created", "Mark paid", "Left out of the PayPal file", "Nothing is owed")
	csv := b.get("/payouts/paypal.csv")
	if csv.status != 200 || strings.Count(csv.body, "\n") != 2 || !strings.Contains(csv.body, "jamie.paypal@partners.example,40.00,USD,") ||
		!strings.Contains(csv.body, "kai.paypal@partners.example,10000,JPY,") || strings.Contains(csv.body, "EUR") {
		t.Errorf("paypal.csv: %d\n%s", csv.status, csv.body)
	}
	var jamie, lee string
	app.Store.DB().QueryRow(`SELECT id FROM payouts WHERE affiliate_id = $1`, affs[0].ID).Scan(&jamie)
	app.Store.DB().QueryRow(`SELECT id FROM payouts WHERE affiliate_id = $1`, affs[2].ID).Scan(&lee)
	if a := b.post("/payouts/"+jamie+"/paid", url.Values{"reference": {"PP <batch> 7"}}); a.status != http.StatusSeeOther {
		t.Fatalf("paid: %d %s", a.status, short(a.body))
	}
	b.get("/payouts?status=paid").must(t, http.StatusOK, "PP &lt;batch&gt; 7", "badge-green")
	b.post("/payouts/"+jamie+"/paid", nil).must(t, http.StatusConflict, "only a pending payout can be marked paid")
	b.post("/payouts/"+jamie+"/cancel", nil).must(t, http.StatusConflict, "only a pending payout can be cancelled")
	a = b.post("/payouts/"+lee+"/cancel", nil)
	if a.status != http.StatusSeeOther {
		t.Fatalf("cancel: %d", a.status)
	}
	b.get(a.header.Get("Location")).must(t, http.StatusOK, "Payout cancelled", "€8.00")
	b.post("/payouts/po_nope/paid", nil).must(t, http.StatusNotFound, "Not found")
	b.get("/payouts?status=lost").must(t, http.StatusBadRequest, "status must be")

	b.get("/affiliates/"+affs[0].ID).must(t, http.StatusOK, `href="/payouts/affiliates/`+affs[0].ID+`"`)
	b.get("/payouts/affiliates/"+affs[0].ID).must(t, http.StatusOK, "Jamie Rivera · statement", jamie, "jamie.paypal@partners.example", "PP &lt;batch&gt; 7")
	var conv string
	app.Store.DB().QueryRow(`SELECT id FROM conversions WHERE payout_id = $1 LIMIT 1`, jamie).Scan(&conv)
	b.get("/conversions/"+conv).must(t, http.StatusOK, "Payout", jamie, "paid")

	b.post("/payouts/minimum", url.Values{"payout_minimum": {"abc"}}).must(t, http.StatusBadRequest, "whole number")
	if a := b.post("/payouts/minimum", url.Values{"payout_minimum": {"2500"}}); a.status != http.StatusSeeOther {
		t.Fatalf("minimum: %d %s", a.status, short(a.body))
	}
	b.get("/payouts").must(t, http.StatusOK, `value="2500"`, "Below minimum")

	// A pending payout keeps its address when the affiliate's changes; the
	// page shows both.
	app.ApprovedSale(t, tenantID, affs[1], 90000, "jpy")
	b.post("/payouts/create", nil)
	var kai string
	app.Store.DB().QueryRow(`SELECT id FROM payouts WHERE affiliate_id = $1 AND status = 'pending'`, affs[1].ID).Scan(&kai)
	if _, err := app.Store.DB().Exec(`UPDATE affiliates SET payout_email = 'kai.new@partners.example' WHERE id = $1`, affs[1].ID); err != nil {
		t.Fatal(err)
	}
	b.get("/payouts").must(t, http.StatusOK, kai, "kai.paypal@partners.example", "Payout email changed since this payout was made", "kai.new@partners.example")
	if csv := b.get("/payouts/paypal.csv"); !strings.Contains(csv.body, "kai.paypal@partners.example,") || strings.Contains(csv.body, "kai.new@") {
		t.Errorf("the PayPal file follows the new address:\n%s", csv.body)
	}
	if n := app.QueryInt(t, `SELECT payout_minimum FROM tenants WHERE id = $1`, tenantID); n != 2500 {
		t.Errorf("minimum %d", n)
	}
	// Other tenants' affiliates are not found.
	other := newBrowser(t, app)
	other.signup("Other", "other@payouts.example")
	other.get("/payouts/affiliates/"+affs[0].ID).must(t, http.StatusNotFound)
	other.post("/payouts/"+lee+"/cancel", nil).must(t, http.StatusNotFound)
}

// TestPayoutsPageInBrowser renders the Payouts page in headless Chromium
// with owed balances, pending, paid and cancelled payouts, and saves
// artifacts/payouts.png.
func TestPayoutsPageInBrowser(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, nil)
	b := newBrowser(t, app)
	tenantID, affs := payoutShop(t, app, b)
	ps, err := app.Accounts.CreatePayouts(context.Background(), tenantID, "")
	if err != nil || len(ps) != 3 {
		t.Fatalf("payouts %v %v", ps, err)
	}
	for _, p := range ps {
		if p.AffiliateID == affs[0].ID {
			if _, err := app.Accounts.MarkPayoutPaid(context.Background(), tenantID, p.ID, "PAYPAL-BATCH-0042"); err != nil {
				t.Fatal(err)
			}
		}
	}
	var charge string // one of Jamie's paid sales, refunded: clawed back
	app.Store.DB().QueryRow(`SELECT stripe_charge FROM conversions WHERE affiliate_id = $1 AND amount = 8000`, affs[0].ID).Scan(&charge)
	app.Refund(t, tenantID, charge, 8000)
	app.ApprovedSale(t, tenantID, affs[0], 30000, "usd")
	app.ApprovedSale(t, tenantID, affs[1], 2000, "eur")

	ctx := headless.New(t)
	headless.ScreenshotOnFailure(t, ctx)
	console := headless.Console(t, ctx)
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1366, 900),
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, "owner@payouts.example"),
		chromedp.SendKeys(`input[name=password]`, "correct horse battery"),
		chromedp.Click(`button[type=submit]`),
		chromedp.WaitVisible(`.page-header`),
		chromedp.Navigate(app.URL+"/payouts"),
		chromedp.WaitVisible(`#create-payouts`),
	); err != nil {
		t.Fatal(err)
	}
	headless.Screenshot(t, ctx, "payouts")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(app.URL+"/payouts/affiliates/"+affs[0].ID),
		chromedp.WaitVisible(`.crumbs`),
	); err != nil {
		t.Fatal(err)
	}
	headless.Screenshot(t, ctx, "payouts-statement")
	if ex := console.Exceptions(); len(ex) > 0 {
		t.Errorf("script errors: %v", ex)
	}
}

// The PayPal button with nothing to pay says so instead of downloading an
// empty file; marking paid without mail set up does not claim a mail; the
// Mark paid form asks before it posts.
func TestPayoutsSayWhatHappens(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, nil)
	b := newBrowser(t, app)
	tenantID, _ := payoutShop(t, app, b)
	a := b.get("/payouts/paypal.csv")
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/payouts?ok=paypal-empty" {
		t.Fatalf("an empty PayPal file: %d %q", a.status, a.header.Get("Location"))
	}
	b.get("/payouts?ok=paypal-empty").must(t, http.StatusOK, "The PayPal file would be empty")
	ps, err := app.Accounts.CreatePayouts(context.Background(), tenantID, "")
	if err != nil || len(ps) == 0 {
		t.Fatalf("payouts %v %v", ps, err)
	}
	page := b.get("/payouts")
	page.must(t, http.StatusOK, `data-confirm="Mark this payout of`)
	done := b.post("/payouts/"+ps[0].ID+"/paid", nil)
	if loc := done.header.Get("Location"); done.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/payouts?ok=payout-paid-nomail") {
		t.Fatalf("marked paid without SMTP_URL: %d %q", done.status, loc)
	}
	b.get("/payouts?ok=payout-paid-nomail").must(t, http.StatusOK, "the affiliate is not emailed")
	if csv := b.get("/payouts/paypal.csv"); csv.status != http.StatusOK || !strings.Contains(csv.header.Get("Content-Type"), "text/csv") {
		t.Errorf("with pending payouts the PayPal file: %d %s", csv.status, csv.header.Get("Content-Type"))
	}
}
